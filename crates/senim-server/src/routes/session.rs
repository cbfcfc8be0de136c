//! Signing in: browser sessions (`/api/v1/session`) and API tokens for
//! programs that start from a password (`/api/v1/tokens`, used by `senim login`).
//! Both are rate-limited per address and e-mail.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use senim_domain::account::Password;
use senim_domain::{Account, AccountStatus};
use senim_store::{Actor, Applied, Command};

use crate::auth::{
    cookie_name, random_secret, secret_hash, verify_password, Caller, Credential, SESSION_COOKIE,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::routes::accounts::token_command;
use crate::state::AppState;
use senim_domain::api::{LoginInput, NewTokenResponse, SessionInfo, TokenLoginInput, TokenRequest};

/// Checks e-mail and password, with the rate limit; the same answer for an
/// unknown e-mail and a wrong password.
pub async fn check_credentials(
    state: &AppState,
    address: SocketAddr,
    email: &str,
    password: Password,
) -> Result<Account, ApiError> {
    let now = state.clock.now();
    if let Err(wait) = state.limiter.check(address.ip(), email, now) {
        return Err(ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many failed sign-ins; try again in {wait} seconds"),
            )
        });
    }
    let found = state.store.account_by_email(email).await?;
    let (account, hash) = match found {
        Some((account, Some(hash))) if account.status == AccountStatus::Active => {
            (Some(account), hash)
        }
        _ => (None, state.dummy_hash().to_string()),
    };
    let ok = tokio::task::spawn_blocking(move || verify_password(&password.0, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    match account {
        Some(account) if ok => {
            state.limiter.record_success(address.ip(), email);
            Ok(account)
        }
        _ => {
            // The attempt was counted when it was let through.
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the e-mail or the password is wrong",
            ))
        }
    }
}

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let name = cookie_name(SESSION_COOKIE, state.config.secure_cookies());
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// Starts a session for an account whose password was checked: the
/// `Set-Cookie` value and the session's CSRF token.
pub async fn start_session(
    state: &AppState,
    account: &Account,
) -> Result<(String, String), ApiError> {
    let secret = random_secret("");
    let csrf_token = random_secret("");
    let hours = state.config.session_hours.clamp(1, 24 * 30);
    let command = Command::CreateSession {
        token_hash: secret_hash(&secret),
        account_id: account.id,
        csrf_token: csrf_token.clone(),
        expires_at: state.clock.now().plus_seconds(hours * 3600),
    };
    state.execute(Actor::of(account), command).await?;
    Ok((session_cookie(state, &secret, hours * 3600), csrf_token))
}

/// Ends the session a request's cookie names, if any; the `Set-Cookie`
/// value that clears it.
pub async fn end_session(
    state: &AppState,
    caller: &Caller,
    headers: &axum::http::HeaderMap,
) -> Result<String, ApiError> {
    if let Credential::Session { .. } = caller.credential {
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == cookie_name(SESSION_COOKIE, state.config.secure_cookies()))
            .map(|(_, v)| v.to_string());
        if let Some(cookie) = cookie {
            let command = Command::DeleteSession {
                token_hash: secret_hash(&cookie),
            };
            state.execute(caller.actor(), command).await?;
        }
    }
    Ok(session_cookie(state, "", 0))
}

/// Sign in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginInput,
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    body: Result<JsonBody<LoginInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let JsonBody(input) = body?;
    let account = check_credentials(&state, address, &input.email, input.password).await?;
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
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn token_login(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    body: Result<JsonBody<TokenLoginInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let JsonBody(input) = body?;
    let account = check_credentials(&state, address, &input.email, input.password).await?;
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
