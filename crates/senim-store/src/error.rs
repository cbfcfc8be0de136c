//! The store's error type: what went wrong, in terms the server can map to
//! HTTP once (404, 409, 422, 503) without looking at SQL.

use senim_domain::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// An update started from a revision that is no longer current, or a
    /// transition is not allowed in the record's current state.
    #[error("{message}")]
    Conflict {
        message: String,
        current: Option<String>,
    },
    /// The command refers to something that makes it invalid (an unknown
    /// organisation, a BIN already registered); names the field.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The configuration cannot work (bad URL, unwritable directory).
    #[error("{0}")]
    Config(String),
    /// The store was opened read-only (`StoreOptions::read_only`): nothing
    /// can be changed until it is started normally.
    #[error("the register is open read-only while its operator investigates: nothing can be changed now")]
    ReadOnly,
    /// The writer has stopped (the server is shutting down).
    #[error("the store is shutting down")]
    Unavailable,
    /// The transaction holding the change could not be committed; nothing was written.
    #[error("the change could not be committed: {0}")]
    Commit(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> StoreError {
        StoreError::Invalid(ValidationError::single(field, reason))
    }

    pub(crate) fn conflict(message: impl Into<String>, current: impl Into<String>) -> StoreError {
        StoreError::Conflict {
            message: message.into(),
            current: Some(current.into()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// True when a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation)
                || db.message().contains("UNIQUE constraint failed")
                || db.code().as_deref() == Some("23505")
        }
        _ => false,
    }
}
