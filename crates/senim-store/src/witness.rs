//! Senim as a witness of other logs (issue 22): the latest checkpoint it
//! cosigned for each, replaced only from its own size. The application
//! core checks a checkpoint (`senim_tlog::witness::check`) against the one
//! read here; `advance` (the `Witness` command) then replaces it in the
//! writer's transaction only if it is still the one checked, so two
//! requests racing never roll the size back, nor cosign two roots for one
//! size.

use sqlx::{AnyConnection, Row};

use senim_domain::Timestamp;

use crate::error::StoreError;
use crate::Store;

/// The latest checkpoint cosigned for a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    pub size: u64,
    /// The root hash, base64.
    pub root: String,
    /// The checkpoint with the log's signatures and the cosignature.
    pub note: String,
}

fn size_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt("a witnessed size is negative".into()))
}

fn stored(size: u64) -> Result<i64, StoreError> {
    // (The witness refuses such a size before it gets here.)
    i64::try_from(size).map_err(|_| StoreError::Commit("a size past 2^63 - 1".into()))
}

impl Store {
    /// The latest checkpoint this witness cosigned for `origin`, if any.
    pub async fn witnessed(&self, origin: &str) -> Result<Option<Witnessed>, StoreError> {
        let row = sqlx::query("SELECT size, root, note FROM witnessed WHERE origin = $1")
            .bind(origin.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| {
            Ok(Witnessed {
                size: size_of(r.try_get("size")?)?,
                root: r.try_get("root")?,
                note: r.try_get("note")?,
            })
        })
        .transpose()
    }
}

/// The conflict that names the size last cosigned.
fn conflict(latest: u64) -> StoreError {
    StoreError::Conflict {
        message: format!("the old size is not the size this witness last cosigned ({latest})"),
        current: Some(latest.to_string()),
    }
}

/// Replaces the latest checkpoint of `origin` by `next`, if the one kept
/// is still of size `old` (none counting as 0); otherwise a conflict whose
/// `current` is the size kept.
pub(crate) async fn advance(
    conn: &mut AnyConnection,
    origin: String,
    old: u64,
    next: Witnessed,
    now: Timestamp,
) -> Result<(), StoreError> {
    let kept: Option<i64> = sqlx::query("SELECT size FROM witnessed WHERE origin = $1")
        .bind(origin.clone())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("size"))
        .transpose()?;
    let done = match kept {
        None if old != 0 => return Err(conflict(0)),
        None => {
            sqlx::query(
                "INSERT INTO witnessed (origin, size, root, note, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (origin) DO NOTHING",
            )
            .bind(origin.clone())
            .bind(stored(next.size)?)
            .bind(next.root)
            .bind(next.note)
            .bind(now.to_rfc3339())
            .execute(&mut *conn)
            .await?
        }
        Some(size) if size_of(size)? != old => return Err(conflict(size_of(size)?)),
        Some(_) => {
            sqlx::query(
                "UPDATE witnessed SET size = $2, root = $3, note = $4, updated_at = $5 \
                 WHERE origin = $1 AND size = $6",
            )
            .bind(origin.clone())
            .bind(stored(next.size)?)
            .bind(next.root)
            .bind(next.note)
            .bind(now.to_rfc3339())
            .bind(stored(old)?)
            .execute(&mut *conn)
            .await?
        }
    };
    if done.rows_affected() == 0 {
        // Another server moved it between the read and the write.
        let latest: i64 = sqlx::query("SELECT size FROM witnessed WHERE origin = $1")
            .bind(origin)
            .fetch_one(&mut *conn)
            .await?
            .try_get("size")?;
        return Err(conflict(size_of(latest)?));
    }
    Ok(())
}

/// What this register knows of a witness of its own log (issue 22, item
/// 2): the size it last cosigned, and the last error asking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogWitness {
    pub size: u64,
    pub error: Option<String>,
    pub updated_at: String,
}

impl Store {
    /// What this register knows of the witness named `witness`.
    pub async fn log_witness(&self, witness: &str) -> Result<Option<LogWitness>, StoreError> {
        let row =
            sqlx::query("SELECT size, error, updated_at FROM log_witnesses WHERE witness = $1")
                .bind(witness.to_string())
                .fetch_optional(self.reader())
                .await?;
        row.map(|r| {
            Ok(LogWitness {
                size: size_of(r.try_get("size")?)?,
                error: r.try_get("error")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    /// The witnesses' cosignature lines (each ending in a newline) of the
    /// checkpoint of `size`, by witness name.
    pub async fn log_cosignatures(&self, size: u64) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT line FROM log_cosignatures WHERE size = $1 ORDER BY witness")
                .bind(stored(size)?)
                .fetch_all(self.reader())
                .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("line")?))
            .collect()
    }
}

/// Records what a witness answered: the size it cosigned (or says it
/// last cosigned), its cosignature of the checkpoint of that size if it
/// gave one, or the error asking it.
pub(crate) async fn record_cosignature(
    conn: &mut AnyConnection,
    witness: String,
    size: u64,
    line: Option<String>,
    error: Option<String>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let at = now.to_rfc3339();
    sqlx::query(
        "INSERT INTO log_witnesses (witness, size, error, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (witness) DO UPDATE SET size = $2, error = $3, updated_at = $4",
    )
    .bind(witness.clone())
    .bind(stored(size)?)
    .bind(error)
    .bind(at.clone())
    .execute(&mut *conn)
    .await?;
    if let Some(line) = line {
        sqlx::query(
            "INSERT INTO log_cosignatures (size, witness, line, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (size, witness) DO UPDATE SET line = $3, received_at = $4",
        )
        .bind(stored(size)?)
        .bind(witness)
        .bind(line)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
