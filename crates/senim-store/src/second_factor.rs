//! The second factor of sign-ins (issue 21): an account's authenticator
//! secret and the sign-ins waiting for a code. Sign-ins, not changes to the
//! register: no event, and a rebuild leaves the tables alone.

use sqlx::{AnyConnection, Row};

use senim_domain::{AccountId, Timestamp};

use crate::error::StoreError;
use crate::Store;

/// Wrong codes a waiting sign-in takes before it ends (the password must
/// then be given again, and its own limits apply).
pub const MAX_FAILURES: i64 = 5;

/// An account's authenticator secret as stored.
#[derive(Debug, Clone)]
pub struct SecondFactor {
    /// Base32, as the person's app holds it.
    pub secret: String,
    /// A first code was right: the account signs in with it.
    pub confirmed: bool,
    /// The last time step a code was used for.
    pub last_step: i64,
}

/// Keeps a new secret for an account that has none confirmed (an
/// unconfirmed one is replaced: enrolment started again).
pub(crate) async fn enrol(
    conn: &mut AnyConnection,
    account: AccountId,
    secret: String,
    now: Timestamp,
) -> Result<(), StoreError> {
    let confirmed = sqlx::query(
        "SELECT 1 FROM second_factors WHERE account_id = $1 AND confirmed_at IS NOT NULL",
    )
    .bind(account.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    if confirmed.is_some() {
        return Err(StoreError::conflict(
            "this account already signs in with an authenticator app",
            "confirmed",
        ));
    }
    sqlx::query("DELETE FROM second_factors WHERE account_id = $1")
        .bind(account.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO second_factors (account_id, secret, confirmed_at, last_step, created_at) \
         VALUES ($1, $2, NULL, 0, $3)",
    )
    .bind(account.to_string())
    .bind(secret)
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records that a code of `step` was right: refused if that step or a later
/// one was used already (a code is taken once, even by two requests at
/// the same moment); confirms the secret.
pub(crate) async fn pass(
    conn: &mut AnyConnection,
    account: AccountId,
    step: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE second_factors SET last_step = $1, \
         confirmed_at = COALESCE(confirmed_at, $2) \
         WHERE account_id = $3 AND last_step < $1",
    )
    .bind(step)
    .bind(now.to_rfc3339())
    .bind(account.to_string())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::invalid(
            "code",
            "was used already: wait for the next code",
        ));
    }
    Ok(())
}

/// Removes an account's secret (a lost phone: it enrols again at its next
/// sign-in, if its role requires a second factor).
pub(crate) async fn remove(conn: &mut AnyConnection, account: AccountId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM second_factors WHERE account_id = $1")
        .bind(account.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Keeps a sign-in waiting for its code.
pub(crate) async fn challenge(
    conn: &mut AnyConnection,
    token_hash: String,
    account: AccountId,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sign_in_challenges (token_hash, account_id, failures, expires_at) \
         VALUES ($1, $2, 0, $3)",
    )
    .bind(token_hash)
    .bind(account.to_string())
    .bind(expires_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Counts a wrong code against a waiting sign-in; the last one allowed
/// ends it.
pub(crate) async fn fail(conn: &mut AnyConnection, token_hash: String) -> Result<(), StoreError> {
    sqlx::query("UPDATE sign_in_challenges SET failures = failures + 1 WHERE token_hash = $1")
        .bind(&token_hash)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1 AND failures >= $2")
        .bind(token_hash)
        .bind(MAX_FAILURES)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends a waiting sign-in (its code was right, or it was abandoned), and
/// those of every account that expired.
pub(crate) async fn end_challenge(
    conn: &mut AnyConnection,
    token_hash: String,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1 OR expires_at <= $2")
        .bind(token_hash)
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    /// An account's authenticator secret, if it has one.
    pub async fn second_factor(
        &self,
        account: AccountId,
    ) -> Result<Option<SecondFactor>, StoreError> {
        let row = sqlx::query(
            "SELECT secret, confirmed_at, last_step FROM second_factors WHERE account_id = $1",
        )
        .bind(account.to_string())
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            Ok(SecondFactor {
                secret: r.try_get("secret")?,
                confirmed: r.try_get::<Option<String>, _>("confirmed_at")?.is_some(),
                last_step: r.try_get("last_step")?,
            })
        })
        .transpose()
    }

    /// The account a waiting sign-in is for, while it waits.
    pub async fn sign_in_challenge(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AccountId>, StoreError> {
        let row = sqlx::query(
            "SELECT account_id FROM sign_in_challenges WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.to_string())
        .bind(now.to_rfc3339())
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            let id: String = r.try_get("account_id")?;
            id.parse()
                .map_err(|_| StoreError::Corrupt(format!("account id {id}")))
        })
        .transpose()
    }
}
