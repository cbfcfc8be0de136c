//! Signing in: browser sessions (`/api/v1/session`) and API tokens for
//! programs that start from a password (`/api/v1/tokens`, used by `senim login`).
//! Both are rate-limited per address and e-mail.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use senim_store::{Actor, Applied, Command};

use senim_app::accounts::token_command;
use senim_app::auth::{Caller, ClientIp, Credential};
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::JsonBody;
use senim_app::session::{check_api_second_factor, check_credentials, end_session, start_session};
use senim_app::state::AppState;
use senim_domain::api::{
    LoginInput, NewTokenResponse, SessionInfo, SignInText, SignatureLoginInput, TokenLoginInput,
    TokenRequest,
};

/// Sign in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginInput,
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Result<JsonBody<LoginInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let JsonBody(input) = body?;
    let account = check_credentials(&state, client, &input.email, input.password).await?;
    check_api_second_factor(&state, &account, input.code.as_deref()).await?;
    let (cookie, csrf_token) = start_session(&state, &account).await?;
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(SessionInfo {
            account: Some(account),
            csrf_token: Some(csrf_token),
        }),
    ))
}

/// A fresh text to sign with an electronic digital signature (an
/// authentication key), for `POST /api/v1/session/signature`; taken once,
/// within five minutes. 404 where no certification authority is trusted.
#[utoipa::path(post, path = "/api/v1/session/signature/text", tag = "session",
    responses((status = 201, body = SignInText), (status = 404, body = ErrorBody)))]
pub async fn signature_text(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let (nonce, expires_at) = senim_app::eds::nonce(&state).await?;
    Ok((StatusCode::CREATED, Json(SignInText { nonce, expires_at })))
}

/// Sign in with an electronic digital signature of a text from
/// `POST /api/v1/session/signature/text`; sets the session cookie. The
/// account is the one linked to the certificate's IIN.
#[utoipa::path(post, path = "/api/v1/session/signature", tag = "session",
    request_body = SignatureLoginInput,
    responses((status = 200, body = SessionInfo), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn signature_login(
    State(state): State<AppState>,
    body: Result<JsonBody<SignatureLoginInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let JsonBody(input) = body?;
    let account = senim_app::eds::sign_in(&state, &input.nonce, &input.signature).await?;
    let (cookie, csrf_token) = start_session(&state, &account).await?;
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(SessionInfo {
            account: Some(account),
            csrf_token: Some(csrf_token),
        }),
    ))
}

/// Who is signed in, with the CSRF token.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionInfo)))]
pub async fn show(caller: Caller) -> Json<SessionInfo> {
    let csrf_token = match &caller.credential {
        Credential::Session { csrf_token } => Some(csrf_token.clone()),
        _ => None,
    };
    Json(SessionInfo {
        account: caller.account,
        csrf_token,
    })
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let cookie = end_session(&state, &caller, &headers).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]))
}

/// Exchange e-mail and password for an API token (for command-line tools).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = TokenLoginInput,
    responses((status = 201, body = NewTokenResponse), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn token_login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Result<JsonBody<TokenLoginInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let JsonBody(input) = body?;
    let account = check_credentials(&state, client, &input.email, input.password).await?;
    check_api_second_factor(&state, &account, input.code.as_deref()).await?;
    let request = TokenRequest {
        name: input.name,
        scopes: input.scopes,
        expires_in_days: input.expires_in_days,
    };
    let (secret, token) = token_command(&state, account.id, request)?;
    match state
        .execute(Actor::of(&account), Command::CreateToken(token))
        .await?
    {
        Applied::Token(info) => Ok((
            StatusCode::CREATED,
            Json(NewTokenResponse {
                token: secret,
                info,
            }),
        )),
        _ => Err(ApiError::internal()),
    }
}
