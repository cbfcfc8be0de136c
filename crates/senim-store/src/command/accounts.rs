//! Accounts: creation, changes (a new password shuts out whoever held the
//! old one) and withdrawal.

use sqlx::{AnyConnection, Row};

use senim_domain::account::ValidAccount;
use senim_domain::{Account, AccountId, AccountStatus, Timestamp};

use super::events::{EventDraft, Step};
use super::organisations::require_organisation;
use super::revision::{check_change, check_written, withdrawal, Revised};
use super::sessions::end_sessions;
use super::tokens::revoke_tokens;
use super::{replace_set, Applied};
use crate::error::{is_unique_violation, StoreError};
use crate::logged::{AccountChanged, AccountReplay, AccountShown, PublicAccount};
use crate::query;
use crate::record::{self, Recorded};

impl Revised for Account {
    const NAME: &'static str = "account";
    const COUNTER: &'static str = "revision";
    const CHANGE_REFUSED_WHEN_WITHDRAWN: &'static str =
        "the account is withdrawn and cannot be changed";

    fn counter(&self) -> i64 {
        self.revision
    }

    fn is_withdrawn(&self) -> bool {
        self.status == AccountStatus::Withdrawn
    }

    fn into_withdrawn(self, now: Timestamp) -> Account {
        Account {
            status: AccountStatus::Withdrawn,
            revision: self.revision + 1,
            updated_at: now,
            ..self
        }
    }
}

fn account_event(kind: &'static str, account: &Account) -> Result<EventDraft, StoreError> {
    // A person's name and e-mail are personal data.
    EventDraft::logged(
        kind,
        "account",
        account.id.to_string(),
        &AccountChanged {
            account: account.to_record(),
        },
    )?
    .shown(&AccountShown {
        account: PublicAccount {
            id: account.id,
            roles: account.roles.clone(),
            organisation_id: account.organisation_id,
            status: account.status,
            revision: account.revision,
        },
    })
}

fn duplicate_email(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::invalid("email", "is already used by another account")
    } else {
        StoreError::Database(e)
    }
}

async fn write_roles(conn: &mut AnyConnection, account: &Account) -> Result<(), StoreError> {
    let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
    let owner = account.id.to_string();
    replace_set(
        conn,
        "account_roles",
        ("account_id", &owner),
        "role",
        &roles,
    )
    .await
}

pub(super) async fn create_account(
    conn: &mut AnyConnection,
    account: ValidAccount,
    password_hash: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    if let Some(org) = account.organisation_id {
        require_organisation(conn, "organisation_id", org).await?;
    }
    let record = Account {
        id: AccountId::generate(),
        email: account.email,
        display_name: account.display_name,
        roles: account.roles,
        organisation_id: account.organisation_id,
        status: AccountStatus::Active,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    insert_account(conn, &record, password_hash.clone()).await?;
    let event = account_event("account.created", &record)?
        .replaying_with(&AccountReplay { password_hash })?;
    Ok((Applied::Account(record), Some(event)))
}

pub(super) async fn insert_account(
    conn: &mut AnyConnection,
    record: &Account,
    password_hash: Option<String>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO accounts (id, email, organisation_id, status, revision, password_hash, data, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(record.id.to_string())
    .bind(record.email.as_str().to_string())
    .bind(record.organisation_id.map(|o| o.to_string()))
    .bind(record.status.as_str())
    .bind(record.revision)
    .bind(password_hash)
    .bind(record::json(record)?)
    .bind(record.created_at.to_rfc3339())
    .bind(record.updated_at.to_rfc3339())
    .execute(&mut *conn)
    .await
    .map_err(duplicate_email)?;
    write_roles(conn, record).await
}

pub(super) async fn store_account(
    conn: &mut AnyConnection,
    record: &Account,
    expected_revision: i64,
    password_hash: Option<String>,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE accounts SET email = $1, organisation_id = $2, status = $3, revision = $4, \
         password_hash = COALESCE($5, password_hash), data = $6, updated_at = $7 \
         WHERE id = $8 AND revision = $9",
    )
    .bind(record.email.as_str().to_string())
    .bind(record.organisation_id.map(|o| o.to_string()))
    .bind(record.status.as_str())
    .bind(record.revision)
    .bind(password_hash)
    .bind(record::json(record)?)
    .bind(record.updated_at.to_rfc3339())
    .bind(record.id.to_string())
    .bind(expected_revision)
    .execute(&mut *conn)
    .await
    .map_err(duplicate_email)?;
    check_written::<Account>(result.rows_affected())?;
    write_roles(conn, record).await
}

/// Records that the account is leaving its stored organisation, if
/// `record` (its next state) names another one or none: the former
/// organisation stays a conflict of interest for its reviews a while.
pub(super) async fn note_departure(
    conn: &mut AnyConnection,
    record: &Account,
) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT organisation_id FROM accounts WHERE id = $1")
        .bind(record.id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let stored: Option<String> = match row {
        Some(row) => row.try_get("organisation_id")?,
        None => None,
    };
    let Some(before) = stored else {
        return Ok(());
    };
    if record.organisation_id.map(|o| o.to_string()).as_deref() == Some(before.as_str()) {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO affiliations (account_id, organisation_id, until_at) VALUES ($1, $2, $3)",
    )
    .bind(record.id.to_string())
    .bind(before)
    .bind(record.updated_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn update_account(
    conn: &mut AnyConnection,
    id: AccountId,
    expected_revision: i64,
    account: ValidAccount,
    password_hash: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::account(&mut *conn, id).await?;
    check_change(&current, expected_revision)?;
    if let Some(org) = account.organisation_id {
        require_organisation(conn, "organisation_id", org).await?;
    }
    let record = Account {
        email: account.email,
        display_name: account.display_name,
        roles: account.roles,
        organisation_id: account.organisation_id,
        revision: current.revision + 1,
        updated_at: now,
        ..current
    };
    let password_changed = password_hash.is_some();
    note_departure(conn, &record).await?;
    let replay = AccountReplay {
        password_hash: password_hash.clone(),
    };
    store_account(conn, &record, expected_revision, password_hash).await?;
    if password_changed {
        // A new password after a compromise must shut out whoever held the
        // old one: sessions end and API tokens are revoked.
        end_sessions(conn, id).await?;
        revoke_tokens(conn, id, now).await?;
    }
    let event = account_event("account.updated", &record)?.replaying_with(&replay)?;
    Ok((Applied::Account(record), Some(event)))
}

pub(super) async fn withdraw_account(
    conn: &mut AnyConnection,
    id: AccountId,
    expected_revision: Option<i64>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::account(&mut *conn, id).await?;
    let revision = current.revision;
    let record = withdrawal(current, expected_revision, now)?;
    store_account(conn, &record, revision, None).await?;
    // A withdrawn account can no longer act: end its sessions, revoke its tokens.
    end_sessions(conn, id).await?;
    revoke_tokens(conn, id, now).await?;
    let event = account_event("account.withdrawn", &record)?;
    Ok((Applied::Account(record), Some(event)))
}

/// Applies [`crate::Command::RequestPasswordReset`].
pub(super) async fn request_reset(
    conn: &mut AnyConnection,
    email: &str,
    token_hash: String,
    expires_at: Timestamp,
    mail: &crate::mail::DirectMail,
    now: Timestamp,
) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT id FROM accounts WHERE email = $1 AND status = 'active'")
        .bind(email.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(());
    };
    let id: String = row.try_get("id")?;
    // One live link per account: a new request replaces the older ones,
    // and the expired links of everyone go.
    sqlx::query("DELETE FROM password_resets WHERE account_id = $1 OR expires_at <= $2")
        .bind(id.clone())
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    insert_reset(conn, token_hash, &id, expires_at, now).await?;
    crate::mail::queue_direct(conn, email, mail, now).await
}

/// Stores a link to choose a password for `account`, by its token's hash.
pub(crate) async fn insert_reset(
    conn: &mut AnyConnection,
    token_hash: String,
    account: &str,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO password_resets (token_hash, account_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(account.to_string())
    .bind(expires_at.to_rfc3339())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies [`crate::Command::ResetPassword`].
pub(super) async fn reset_password(
    conn: &mut AnyConnection,
    token_hash: String,
    password_hash: String,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let refused = || {
        StoreError::Invalid(senim_domain::ValidationError::single(
            "token",
            "has expired or was already used: ask for a new link",
        ))
    };
    let row = sqlx::query(
        "SELECT account_id FROM password_resets WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now.to_rfc3339())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(refused)?;
    let id: AccountId = row
        .try_get::<String, _>("account_id")?
        .parse()
        .map_err(|_| refused())?;
    let current = query::account(&mut *conn, id)
        .await
        .map_err(|_| refused())?;
    if current.status != AccountStatus::Active {
        return Err(refused());
    }
    sqlx::query("DELETE FROM password_resets WHERE account_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    let expected = current.revision;
    let record = Account {
        revision: current.revision + 1,
        updated_at: now,
        ..current
    };
    store_account(conn, &record, expected, Some(password_hash.clone())).await?;
    // As any new password: whoever held the old one is shut out.
    end_sessions(conn, id).await?;
    revoke_tokens(conn, id, now).await?;
    let event = account_event("account.updated", &record)?.replaying_with(&AccountReplay {
        password_hash: Some(password_hash),
    })?;
    Ok((Applied::Account(record), Some(event)))
}
