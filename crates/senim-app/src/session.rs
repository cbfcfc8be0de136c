//! Signing in: browser sessions (`/api/v1/session`) and API tokens for
//! programs that start from a password (`/api/v1/tokens`, used by `senim login`).
//! Both are rate-limited per address and e-mail.

use std::net::IpAddr;

use axum::http::header;

use senim_domain::account::Password;
use senim_domain::case::{Notice, Recipient};
use senim_domain::{Account, AccountStatus};
use senim_store::{Actor, Command};

use crate::auth::{
    cookie_name, random_secret, secret_hash, verify_password, Caller, Credential,
    LOGIN_LOCKOUT_FAILURES, SESSION_COOKIE,
};
use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::state::AppState;

/// Checks e-mail and password, with the sign-in limits of
/// [`crate::auth::LoginLimiter`]; the same answer for an unknown e-mail and
/// a wrong password. `client` is the client's address behind the trusted
/// proxies ([`crate::auth::ClientIp`]).
pub async fn check_credentials(
    state: &AppState,
    client: IpAddr,
    email: &str,
    password: Password,
) -> Result<Account, ApiError> {
    let now = state.clock.now();
    let attempt = match state.limiter.check(client, email, now) {
        Ok(attempt) => attempt,
        Err(wait) => {
            return Err(ApiError {
                retry_after: Some(wait),
                ..ApiError::new(
                    ErrorCode::RateLimited,
                    format!("too many failed sign-ins from here; try again in {wait} seconds"),
                )
            })
        }
    };
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
            state.limiter.record_success(client, email);
            Ok(account)
        }
        account => {
            // The attempt was counted when it was let through.
            if let Some(account) = account.filter(|_| attempt.consecutive == LOGIN_LOCKOUT_FAILURES)
            {
                warn_owner(state, &account).await;
            }
            tokio::time::sleep(attempt.slow_down).await;
            Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "the e-mail or the password is wrong",
            ))
        }
    }
}

/// Tells an account's owner, in the inbox and by mail, that its password
/// failed [`LOGIN_LOCKOUT_FAILURES`] times in a row: addresses that failed
/// now wait the longest wait. Not a fact of the register: no log entry.
async fn warn_owner(state: &AppState, account: &Account) {
    let notice = Notice::new(
        Recipient::Account(account.id),
        "notice-sign-in-failures",
        &[("count", LOGIN_LOCKOUT_FAILURES.to_string())],
        format!(
            "Your password was entered wrongly {LOGIN_LOCKOUT_FAILURES} times in a row. \
             If it was not you, someone is guessing it: choose a new one. Addresses that failed now wait 15 minutes between tries; you can still sign in from your usual place."
        ),
    );
    let command = Command::Notify {
        notices: vec![notice.clone()],
        kind: "account.sign_in_failures".into(),
    };
    match state.execute(Actor::operator(), command).await {
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "the warning of repeated sign-in failures was not written")
        }
    }
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

pub fn session_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let name = cookie_name(SESSION_COOKIE, state.config.secure_cookies());
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// How long a link to choose a password lives.
pub const RESET_LINK_MINUTES: i64 = 60;

/// The requests for a link one address may make: a few an hour, and few
/// from everyone at once (each sends a mail).
const RESET_QUOTAS: crate::intake::Quotas = crate::intake::Quotas {
    per_address_per_hour: 5,
    per_minute: 30,
    without_proof_per_minute: 30,
};

/// Asks for a link to choose a new password, mailed to `email` if an
/// active account has that address. The answer is the same whether one
/// has or not, so the form tells no one which addresses have accounts.
pub async fn request_password_reset(
    state: &AppState,
    client: IpAddr,
    email: &str,
) -> Result<(), ApiError> {
    let email = senim_domain::account::Email::parse(email).map_err(|reason| {
        ApiError::invalid(vec![senim_domain::FieldError {
            field: "email".into(),
            reason,
        }])
    })?;
    let now = state.clock.now();
    if let Err((_, wait)) = state.resets.check(client, now, true, RESET_QUOTAS) {
        return Err(ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "too many requests for a password link from here; try again in {wait} seconds"
                ),
            )
        });
    }
    let token = random_secret("");
    let command = Command::RequestPasswordReset {
        email: email.as_str().to_string(),
        token_hash: secret_hash(&token),
        expires_at: now.plus_seconds(RESET_LINK_MINUTES * 60),
        mail: senim_store::mail::DirectMail {
            key: "mail-password-link".into(),
            args: [("minutes".to_string(), RESET_LINK_MINUTES.to_string())].into(),
            path: format!("/password/reset?token={token}"),
            reference: None,
        },
    };
    state.execute(Actor::operator(), command).await?;
    Ok(())
}

/// Sets a new password with a link's token; the link is used up, and every
/// session and API token of the account ends.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    password: Password,
) -> Result<Account, ApiError> {
    if let Err(reason) = password.check() {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "password".into(),
            reason,
        }]));
    }
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password.0))
        .await
        .map_err(|_| ApiError::internal())??;
    let command = Command::ResetPassword {
        token_hash: secret_hash(token.trim()),
        password_hash: hash,
    };
    match state.execute(Actor::operator(), command).await? {
        senim_store::Applied::Account(a) => Ok(a),
        _ => Err(ApiError::internal()),
    }
}
