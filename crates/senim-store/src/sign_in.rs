//! Sign-in beyond the password (issue 21): an account's authenticator
//! secret and the sign-ins waiting for a code; the sign-ins waiting for an
//! OpenID provider's answer, and the identities linked to accounts; the
//! texts given to sign in with an electronic digital signature.
//! Sign-ins, not changes to the register: no event, and a rebuild leaves
//! the tables alone.

use sqlx::{AnyConnection, Row};

use senim_domain::{AccountId, Timestamp};

use crate::error::StoreError;
use crate::Store;

/// Wrong codes a waiting sign-in takes before it ends (the password must
/// then be given again, and its own limits apply).
pub const MAX_FAILURES: i64 = 5;

/// Lets the sign-ins that waited too long go (for a code or for a
/// provider's answer): called whenever one starts or ends.
async fn let_expired_go(conn: &mut AnyConnection, now: Timestamp) -> Result<(), StoreError> {
    for table in ["sign_in_challenges", "sign_in_flows", "eds_nonces"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= $1"))
            .bind(now.to_rfc3339())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The `account_id` column of a row.
fn account_of(row: &sqlx::any::AnyRow) -> Result<AccountId, StoreError> {
    let id: String = row.try_get("account_id")?;
    id.parse()
        .map_err(|_| StoreError::Corrupt(format!("account id {id}")))
}

/// An account's authenticator secret as stored.
#[derive(Debug, Clone)]
pub struct SecondFactor {
    /// Base32, as the person's app holds it.
    pub secret: String,
    /// A first code was right: the account signs in with it.
    pub confirmed: bool,
    /// The last time step a code was used for.
    pub last_step: i64,
    /// Wrong codes in a row, and when the last one came.
    pub failures: i64,
    pub failed_at: Option<Timestamp>,
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
        "UPDATE second_factors SET last_step = $1, failures = 0, \
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

/// Keeps a sign-in waiting for its code (and lets those that waited too
/// long go).
pub(crate) async fn challenge(
    conn: &mut AnyConnection,
    token_hash: String,
    account: AccountId,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    let_expired_go(conn, now).await?;
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

/// Counts a wrong code against the account, and against its waiting
/// sign-in if any (the last one allowed ends it).
pub(crate) async fn fail(
    conn: &mut AnyConnection,
    account: AccountId,
    token_hash: Option<String>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE second_factors SET failures = failures + 1, failed_at = $1 WHERE account_id = $2",
    )
    .bind(now.to_rfc3339())
    .bind(account.to_string())
    .execute(&mut *conn)
    .await?;
    let Some(token_hash) = token_hash else {
        return Ok(());
    };
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
    sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    let_expired_go(conn, now).await
}

/// A sign-in through an OpenID provider, waiting for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub provider: String,
    /// The `state` the answer must carry.
    pub state: String,
    /// The PKCE verifier of the code's challenge.
    pub verifier: String,
    pub nonce: String,
    /// Where the person goes once signed in.
    pub next: String,
}

/// Keeps a sign-in waiting for its provider's answer (and lets those
/// that waited too long go).
pub(crate) async fn start_flow(
    conn: &mut AnyConnection,
    cookie_hash: String,
    flow: Flow,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    let_expired_go(conn, now).await?;
    sqlx::query(
        "INSERT INTO sign_in_flows (cookie_hash, provider, state, verifier, nonce, next, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(cookie_hash)
    .bind(flow.provider)
    .bind(flow.state)
    .bind(flow.verifier)
    .bind(flow.nonce)
    .bind(flow.next)
    .bind(expires_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes the row of `table` whose `column` is `key` and that has not
/// expired, and lets the expired go: whether there was one to take.
async fn take_once(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    key: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(&format!(
        "DELETE FROM {table} WHERE {column} = $1 AND expires_at > $2"
    ))
    .bind(key)
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    let_expired_go(conn, now).await?;
    Ok(done.rows_affected() > 0)
}

/// Ends a waiting sign-in, once: refused if it is not there any more (its
/// answer came already), so an answer is taken once; expired ones go too.
pub(crate) async fn end_flow(
    conn: &mut AnyConnection,
    cookie_hash: String,
    now: Timestamp,
) -> Result<(), StoreError> {
    if !take_once(conn, "sign_in_flows", "cookie_hash", &cookie_hash, now).await? {
        return Err(StoreError::invalid(
            "state",
            "names no sign-in waiting here: it was answered already or expired",
        ));
    }
    Ok(())
}

/// Keeps a text given to sign, by its hash, until `expires_at`.
pub(crate) async fn issue_nonce(
    conn: &mut AnyConnection,
    nonce_hash: String,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    let_expired_go(conn, now).await?;
    sqlx::query("INSERT INTO eds_nonces (nonce_hash, expires_at) VALUES ($1, $2)")
        .bind(nonce_hash)
        .bind(expires_at.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes a text given to sign, once: refused when it was taken already,
/// expired or never given.
pub(crate) async fn take_nonce(
    conn: &mut AnyConnection,
    nonce_hash: String,
    now: Timestamp,
) -> Result<(), StoreError> {
    if !take_once(conn, "eds_nonces", "nonce_hash", &nonce_hash, now).await? {
        return Err(StoreError::invalid(
            "nonce",
            "was used already or has expired: ask for a new text to sign",
        ));
    }
    Ok(())
}

/// Links an identity at a provider to an account (replacing another link
/// of the same identity).
pub(crate) async fn link(
    conn: &mut AnyConnection,
    provider: String,
    subject: String,
    account: AccountId,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM identities WHERE provider = $1 AND subject = $2")
        .bind(&provider)
        .bind(&subject)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO identities (provider, subject, account_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(provider)
    .bind(subject)
    .bind(account.to_string())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The sign-in through a provider a browser's cookie waits for.
    pub async fn sign_in_flow(
        &self,
        cookie_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Flow>, StoreError> {
        let row = sqlx::query(
            "SELECT provider, state, verifier, nonce, next FROM sign_in_flows \
             WHERE cookie_hash = $1 AND expires_at > $2",
        )
        .bind(cookie_hash.to_string())
        .bind(now.to_rfc3339())
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            Ok(Flow {
                provider: r.try_get("provider")?,
                state: r.try_get("state")?,
                verifier: r.try_get("verifier")?,
                nonce: r.try_get("nonce")?,
                next: r.try_get("next")?,
            })
        })
        .transpose()
    }

    /// The account an identity at a provider is linked to.
    pub async fn identity(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<AccountId>, StoreError> {
        let row =
            sqlx::query("SELECT account_id FROM identities WHERE provider = $1 AND subject = $2")
                .bind(provider.to_string())
                .bind(subject.to_string())
                .fetch_optional(self.reader())
                .await?;
        row.as_ref().map(account_of).transpose()
    }

    /// An account's authenticator secret, if it has one.
    pub async fn second_factor(
        &self,
        account: AccountId,
    ) -> Result<Option<SecondFactor>, StoreError> {
        let row = sqlx::query(
            "SELECT secret, confirmed_at, last_step, failures, failed_at FROM second_factors \
             WHERE account_id = $1",
        )
        .bind(account.to_string())
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            Ok(SecondFactor {
                secret: r.try_get("secret")?,
                confirmed: r.try_get::<Option<String>, _>("confirmed_at")?.is_some(),
                last_step: r.try_get("last_step")?,
                failures: r.try_get("failures")?,
                failed_at: r
                    .try_get::<Option<String>, _>("failed_at")?
                    .map(|t| Timestamp::parse(&t).map_err(StoreError::Corrupt))
                    .transpose()?,
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
        row.as_ref().map(account_of).transpose()
    }
}
