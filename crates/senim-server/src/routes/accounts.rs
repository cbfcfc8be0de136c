//! `/api/v1/accounts`: accounts, roles and API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use senim_domain::{
    Account, AccountId, AccountInput, AccountStatus, FieldError, OrganisationId, Role, TokenId,
};
use senim_store::{AccountFilter, Applied, Command, NewToken, TokenInfo};

use crate::auth::{hash_password, random_secret, secret_hash, Caller, TOKEN_PREFIX};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{etag, IfMatch, JsonBody, QueryParams};
use crate::policy::{Action, Resource};
use crate::routes::{decode_cursor, encode_cursor, page_limit, path_id};
use crate::state::AppState;
use senim_domain::api::{AccountList, NewTokenResponse, TokenList, TokenRequest};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    pub role: Option<Role>,
    pub organisation: Option<OrganisationId>,
    pub status: Option<AccountStatus>,
    /// Words in the name or e-mail.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

fn respond(status: StatusCode, account: Account) -> impl IntoResponse {
    (status, [etag(account.revision)], Json(account))
}

/// List accounts (administrators, supervisors).
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(AccountQuery),
    responses((status = 200, body = AccountList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<AccountQuery>,
) -> Result<Json<AccountList>, ApiError> {
    caller.require(
        &state,
        Action::AccountList,
        &Resource::Collection("accounts"),
    )?;
    let filter = AccountFilter {
        role: query.role,
        organisation: query.organisation,
        status: query.status,
        text: query.q,
        after: decode_cursor(query.cursor.as_deref())?,
        limit: page_limit(query.limit)?,
    };
    let page = state.store.accounts(&filter).await?;
    Ok(Json(AccountList {
        items: page.items,
        total: page.total,
        next_cursor: encode_cursor(page.next_after),
    }))
}

/// Create an account (administrators).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountInput,
    responses((status = 201, body = Account), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<JsonBody<AccountInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(
        &state,
        Action::AccountCreate,
        &Resource::Collection("accounts"),
    )?;
    let JsonBody(input) = body?;
    let account = add(&state, &caller, input).await?;
    Ok(respond(StatusCode::CREATED, account))
}

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

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/accounts/me", tag = "accounts",
    responses((status = 200, body = Account), (status = 401, body = ErrorBody)))]
pub async fn me(caller: Caller) -> Result<impl IntoResponse, ApiError> {
    match caller.account {
        Some(a) => Ok(respond(StatusCode::OK, a)),
        None => Err(ApiError::unauthenticated()),
    }
}

/// Read an account (itself, administrators, supervisors).
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses((status = 200, body = Account), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: AccountId = path_id(&id, "account")?;
    caller.require(&state, Action::AccountRead, &Resource::Account(id))?;
    Ok(respond(StatusCode::OK, state.store.account(id).await?))
}

/// Change an account's e-mail, name, roles, organisation or password (administrators).
#[utoipa::path(put, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Account id"),
           ("If-Match" = String, Header, description = "The ETag of the revision being updated")),
    request_body = AccountInput,
    responses((status = 200, body = Account), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    body: Result<JsonBody<AccountInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: AccountId = path_id(&id, "account")?;
    caller.require(&state, Action::AccountUpdate, &Resource::Account(id))?;
    let expected_revision = if_match.required()?;
    let JsonBody(input) = body?;
    let account = change(&state, &caller, id, expected_revision, input).await?;
    Ok(respond(StatusCode::OK, account))
}

/// Changes an account from the revision read (a new password only when
/// one is given): the API's and the administrator's page's one path.
pub(crate) async fn change(
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

/// Withdraw an account: it can no longer sign in; its sessions end and its tokens are revoked.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/withdraw", tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses((status = 200, body = Account), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> Result<impl IntoResponse, ApiError> {
    let id: AccountId = path_id(&id, "account")?;
    let account = close(&state, &caller, id, if_match.0).await?;
    Ok(respond(StatusCode::OK, account))
}

/// Closes an account: it can no longer sign in; its sessions end and its
/// tokens are revoked.
pub(crate) async fn close(
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

/// An account's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/tokens", tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses((status = 200, body = TokenList), (status = 403, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TokenList>, ApiError> {
    let id: AccountId = path_id(&id, "account")?;
    caller.require(&state, Action::TokenList, &Resource::Account(id))?;
    Ok(Json(TokenList {
        items: state.store.tokens_of(id).await?,
    }))
}

/// Checks a token request and builds the command; shared with `POST /tokens`.
pub(crate) fn token_command(
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

/// Create an API token for an account; the response shows the secret once.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/tokens", tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    request_body = TokenRequest,
    responses((status = 201, body = NewTokenResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<TokenRequest>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: AccountId = path_id(&id, "account")?;
    let JsonBody(request) = body?;
    let created = new_token(&state, &caller, id, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
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

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/tokens/{token_id}", tag = "accounts",
    params(("id" = String, Path, description = "Account id"), ("token_id" = String, Path, description = "Token id")),
    responses((status = 200, body = TokenInfo), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<Json<TokenInfo>, ApiError> {
    let id: AccountId = path_id(&id, "account")?;
    let token_id: TokenId = path_id(&token_id, "token")?;
    Ok(Json(end_token(&state, &caller, id, token_id).await?))
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
