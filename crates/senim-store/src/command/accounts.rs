//! Accounts: creation, changes (a new password shuts out whoever held the
//! old one) and withdrawal.

use serde_json::json;
use sqlx::AnyConnection;

use senim_domain::account::ValidAccount;
use senim_domain::{Account, AccountId, AccountStatus, Timestamp};

use super::events::{EventDraft, Step};
use super::organisations::require_organisation;
use super::revision::{check_revision, refuse_withdrawn};
use super::sessions::end_sessions;
use super::tokens::revoke_tokens;
use super::Applied;
use crate::error::{is_unique_violation, StoreError};
use crate::query;

fn account_event(kind: &'static str, account: &Account) -> EventDraft {
    EventDraft {
        kind,
        subject_type: "account",
        subject_id: account.id.to_string(),
        payload: json!({ "account": account }),
        // A person's name and e-mail are personal data.
        public: Some(json!({ "account": {
            "id": account.id,
            "roles": account.roles,
            "organisation_id": account.organisation_id,
            "status": account.status,
            "revision": account.revision,
        }})),
        replay: None,
    }
}

fn duplicate_email(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::invalid("email", "is already used by another account")
    } else {
        StoreError::Database(e)
    }
}

async fn write_roles(conn: &mut AnyConnection, account: &Account) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM account_roles WHERE account_id = $1")
        .bind(account.id.to_string())
        .execute(&mut *conn)
        .await?;
    for role in &account.roles {
        sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
            .bind(account.id.to_string())
            .bind(role.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
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
    let mut event = account_event("account.created", &record);
    event.replay = Some(json!({ "password_hash": password_hash }).to_string());
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
    .bind(serde_json::to_string(record)?)
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
    .bind(serde_json::to_string(record)?)
    .bind(record.updated_at.to_rfc3339())
    .bind(record.id.to_string())
    .bind(expected_revision)
    .execute(&mut *conn)
    .await
    .map_err(duplicate_email)?;
    if result.rows_affected() != 1 {
        return Err(StoreError::conflict(
            "the account was changed by someone else; reload it and try again",
            "",
        ));
    }
    write_roles(conn, record).await
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
    check_revision("account", expected_revision, current.revision)?;
    refuse_withdrawn(
        current.status == AccountStatus::Withdrawn,
        "the account is withdrawn and cannot be changed",
        current.revision,
    )?;
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
    let replay = json!({ "password_hash": password_hash }).to_string();
    store_account(conn, &record, expected_revision, password_hash).await?;
    if password_changed {
        // A new password after a compromise must shut out whoever held the
        // old one: sessions end and API tokens are revoked.
        end_sessions(conn, id).await?;
        revoke_tokens(conn, id, now).await?;
    }
    let mut event = account_event("account.updated", &record);
    event.replay = Some(replay);
    Ok((Applied::Account(record), Some(event)))
}

pub(super) async fn withdraw_account(
    conn: &mut AnyConnection,
    id: AccountId,
    expected_revision: Option<i64>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::account(&mut *conn, id).await?;
    if let Some(expected) = expected_revision {
        check_revision("account", expected, current.revision)?;
    }
    refuse_withdrawn(
        current.status == AccountStatus::Withdrawn,
        "the account is already withdrawn",
        current.revision,
    )?;
    let revision = current.revision;
    let record = Account {
        status: AccountStatus::Withdrawn,
        revision: revision + 1,
        updated_at: now,
        ..current
    };
    store_account(conn, &record, revision, None).await?;
    // A withdrawn account can no longer act: end its sessions, revoke its tokens.
    end_sessions(conn, id).await?;
    revoke_tokens(conn, id, now).await?;
    let event = account_event("account.withdrawn", &record);
    Ok((Applied::Account(record), Some(event)))
}
