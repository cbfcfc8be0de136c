//! `/api/v1/accounts`: accounts, roles and API tokens.

use senim_domain::{Account, AccountId, AccountInput, FieldError, TokenId};
use senim_store::{Applied, Command, NewToken, TokenInfo};

use crate::auth::{hash_password, random_secret, secret_hash, Caller, TOKEN_PREFIX};
use crate::error::ApiError;
use crate::policy::{Action, Resource};
use crate::state::AppState;
use senim_domain::api::{NewTokenResponse, TokenRequest};

/// Adds an account (the API's and the administrator desk's one path).
pub async fn add(
    state: &AppState,
    caller: &Caller,
    input: AccountInput,
) -> Result<Account, ApiError> {
    caller.require(
        state,
        Action::AccountCreate,
        &Resource::Collection("accounts"),
    )?;
    let mut account = input.parse()?;
    let password_hash = hash_optional(account.password.take().map(|p| p.0)).await?;
    let command = Command::CreateAccount {
        account,
        password_hash,
    };
    match state.execute(caller.actor(), command).await? {
        Applied::Account(a) => Ok(a),
        _ => Err(ApiError::internal()),
    }
}

async fn hash_optional(password: Option<String>) -> Result<Option<String>, ApiError> {
    match password {
        None => Ok(None),
        Some(p) => tokio::task::spawn_blocking(move || hash_password(&p))
            .await
            .map_err(|_| ApiError::internal())?
            .map(Some),
    }
}

/// Changes an account from the revision read (a new password only when
/// one is given): the API's and the administrator's page's one path.
pub async fn change(
    state: &AppState,
    caller: &Caller,
    id: AccountId,
    expected_revision: i64,
    input: AccountInput,
) -> Result<Account, ApiError> {
    caller.require(state, Action::AccountUpdate, &Resource::Account(id))?;
    let mut account = input.parse()?;
    let password_hash = hash_optional(account.password.take().map(|p| p.0)).await?;
    let command = Command::UpdateAccount {
        id,
        expected_revision,
        account,
        password_hash,
    };
    match state.execute(caller.actor(), command).await? {
        Applied::Account(a) => Ok(a),
        _ => Err(ApiError::internal()),
    }
}

/// Closes an account: it can no longer sign in; its sessions end and its
/// tokens are revoked.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    id: AccountId,
    expected_revision: Option<i64>,
) -> Result<Account, ApiError> {
    caller.require(state, Action::AccountWithdraw, &Resource::Account(id))?;
    let command = Command::WithdrawAccount {
        id,
        expected_revision,
    };
    match state.execute(caller.actor(), command).await? {
        Applied::Account(a) => Ok(a),
        _ => Err(ApiError::internal()),
    }
}

/// Checks a token request and builds the command; shared with `POST /tokens`.
pub fn token_command(
    state: &AppState,
    account: AccountId,
    request: TokenRequest,
) -> Result<(String, NewToken), ApiError> {
    let mut fields = Vec::new();
    let name = senim_domain::error::bounded_text(&request.name, 200)
        .map_err(|reason| {
            fields.push(FieldError {
                field: "name".into(),
                reason,
            })
        })
        .ok();
    if request.scopes.is_empty() {
        fields.push(FieldError {
            field: "scopes".into(),
            reason: "must list at least one of read, write, admin".into(),
        });
    }
    let days = request.expires_in_days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        fields.push(FieldError {
            field: "expires_in_days".into(),
            reason: "must be between 1 and 365".into(),
        });
    }
    if !fields.is_empty() {
        return Err(ApiError::invalid(fields));
    }
    let secret = random_secret(TOKEN_PREFIX);
    let mut scopes = request.scopes;
    scopes.sort();
    scopes.dedup();
    let token = NewToken {
        id: TokenId::generate(),
        account_id: account,
        name: name.unwrap_or_default(),
        scopes,
        expires_at: state.clock.now().plus_seconds(days * 86_400),
        token_hash: secret_hash(&secret),
    };
    Ok((secret, token))
}

/// Creates a token for account `id` as `caller` may; the API and the pages
/// both create tokens through here.
pub async fn new_token(
    state: &AppState,
    caller: &Caller,
    id: AccountId,
    request: TokenRequest,
) -> Result<NewTokenResponse, ApiError> {
    caller.require(state, Action::TokenCreate, &Resource::Account(id))?;
    let (secret, token) = token_command(state, id, request)?;
    match state
        .execute(caller.actor(), Command::CreateToken(token))
        .await?
    {
        Applied::Token(info) => Ok(NewTokenResponse {
            token: secret,
            info,
        }),
        _ => Err(ApiError::internal()),
    }
}

/// Revokes account `id`'s token `token_id` as `caller` may (API and pages).
pub async fn end_token(
    state: &AppState,
    caller: &Caller,
    id: AccountId,
    token_id: TokenId,
) -> Result<TokenInfo, ApiError> {
    caller.require(state, Action::TokenRevoke, &Resource::Account(id))?;
    let command = Command::RevokeToken {
        id: token_id,
        account_id: Some(id),
    };
    match state.execute(caller.actor(), command).await? {
        Applied::Token(info) => Ok(info),
        _ => Err(ApiError::internal()),
    }
}
