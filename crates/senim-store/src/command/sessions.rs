//! Browser sessions: sign-ins, not changes to the register, so they append
//! no event and a rebuild does not restore them.

use sqlx::AnyConnection;

use senim_domain::{AccountId, Timestamp};

use crate::error::StoreError;

/// Stores a new session under its token's hash.
pub(super) async fn create_session(
    conn: &mut AnyConnection,
    token_hash: String,
    account_id: AccountId,
    csrf_token: String,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(account_id.to_string())
    .bind(csrf_token)
    .bind(expires_at.to_rfc3339())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends one session (a sign-out).
pub(super) async fn delete_session(
    conn: &mut AnyConnection,
    token_hash: String,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends every session of an account.
pub(super) async fn end_sessions(
    conn: &mut AnyConnection,
    id: AccountId,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
