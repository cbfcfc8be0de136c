//! `/api/v1/accounts`: accounts, roles and API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use senim_domain::{
    Account, AccountId, AccountInput, AccountStatus, OrganisationId, Role, TokenId,
};
use senim_store::{AccountFilter, TokenInfo};

use senim_app::accounts::{add, change, close, end_token, new_token};
use senim_app::auth::Caller;
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::{decode_cursor, encode_cursor, page_limit, path_id};
use senim_app::extract::{etag, IfMatch, JsonBody, QueryParams};
use senim_app::policy::{Action, Resource};
use senim_app::state::AppState;
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
