//! API tokens: issued to an account, revoked one by one or all at once.
//! Only a token's hash is ever stored.

use sqlx::AnyConnection;

use senim_domain::token::TokenInfo;
use senim_domain::{AccountId, AccountStatus, Timestamp, TokenId};

use super::events::{EventDraft, Step};
use super::{Applied, NewToken};
use crate::error::StoreError;
use crate::logged::{PublicToken, TokenCreated, TokenRevoked, TokenShown};
use crate::query;
use crate::record::{self, Recorded};

pub(super) async fn create_token(
    conn: &mut AnyConnection,
    token: NewToken,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let account = query::account(&mut *conn, token.account_id).await?;
    if account.status != AccountStatus::Active {
        return Err(StoreError::invalid(
            "account_id",
            "names a withdrawn account",
        ));
    }
    let info = TokenInfo {
        id: token.id,
        account_id: token.account_id,
        name: token.name,
        scopes: token.scopes,
        created_at: now,
        expires_at: token.expires_at,
        revoked_at: None,
    };
    insert_token(conn, &info, &token.token_hash).await?;
    let event = EventDraft::logged(
        "token.created",
        "account",
        info.account_id.to_string(),
        &TokenCreated {
            token: info.to_record(),
            token_hash: token.token_hash,
        },
    )?
    .shown(&public_token(&info))?;
    Ok((Applied::Token(info), Some(event)))
}

pub(super) async fn insert_token(
    conn: &mut AnyConnection,
    info: &TokenInfo,
    token_hash: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_tokens (id, account_id, token_hash, data, expires_at, revoked_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6)",
    )
    .bind(info.id.to_string())
    .bind(info.account_id.to_string())
    .bind(token_hash.to_string())
    .bind(record::json(info)?)
    .bind(info.expires_at.to_rfc3339())
    .bind(info.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn store_revoked_token(
    conn: &mut AnyConnection,
    info: &TokenInfo,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $1, data = $2 WHERE id = $3")
        .bind(info.revoked_at.map(|t| t.to_rfc3339()))
        .bind(record::json(info)?)
        .bind(info.id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn revoke_token(
    conn: &mut AnyConnection,
    id: TokenId,
    account_id: Option<AccountId>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let info = query::token(&mut *conn, id).await?;
    if let Some(account) = account_id {
        if info.account_id != account {
            return Err(StoreError::NotFound {
                what: "token",
                id: id.to_string(),
            });
        }
    }
    if info.revoked_at.is_some() {
        return Err(StoreError::conflict("the token is already revoked", ""));
    }
    let info = TokenInfo {
        revoked_at: Some(now),
        ..info
    };
    store_revoked_token(conn, &info).await?;
    let event = EventDraft::logged(
        "token.revoked",
        "account",
        info.account_id.to_string(),
        &TokenRevoked {
            token: info.to_record(),
        },
    )?
    .shown(&public_token(&info))?;
    Ok((Applied::Token(info), Some(event)))
}

/// A token as the public log shows it: no name, no hash.
fn public_token(info: &TokenInfo) -> TokenShown {
    TokenShown {
        token: PublicToken {
            id: info.id,
            scopes: info.scopes.clone(),
            expires_at: info.expires_at,
            revoked_at: info.revoked_at,
        },
    }
}

/// Revokes every token of an account still in force.
pub(super) async fn revoke_tokens(
    conn: &mut AnyConnection,
    id: AccountId,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
    )
    .bind(now.to_rfc3339())
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
