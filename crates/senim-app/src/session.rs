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
    if !state.config.passwords {
        return Err(passwords_off());
    }
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

/// The refusal of a password where the deployment switched passwords off.
pub fn passwords_off() -> ApiError {
    ApiError::new(
        crate::error::ErrorCode::Forbidden,
        "passwords are switched off here: sign in through an identity provider",
    )
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
    if !state.config.passwords {
        return Err(passwords_off());
    }
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

/// The second factor of a sign-in (issue 21): what a sign-in whose
/// password was right still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondStep {
    /// Nothing: the session starts.
    None,
    /// The code of the authenticator app the account enrolled.
    Code,
    /// The account's role requires a second factor and it has none yet:
    /// it enrols an app, then gives its first code.
    Enrol,
}

/// Wrong codes in a row after which an account's codes are held back.
pub const CODE_FAILURES_IN_A_ROW: i64 = 10;
/// How long they are held back, in seconds.
pub const CODE_HOLD_SECONDS: i64 = 15 * 60;

/// How long a sign-in waits for its code, in seconds.
pub const CHALLENGE_SECONDS: i64 = 300;

/// The cookie that names a sign-in waiting for its code.
pub const CHALLENGE_COOKIE: &str = "senim_sign_in";

/// Whether the configuration requires a second factor of `account`'s roles.
pub fn second_factor_required(state: &AppState, account: &Account) -> bool {
    account
        .roles
        .iter()
        .any(|r| state.config.two_factor_roles.contains(r))
}

/// What `account`'s sign-in needs after its password.
pub async fn second_step(state: &AppState, account: &Account) -> Result<SecondStep, ApiError> {
    let factor = state.store.second_factor(account.id).await?;
    Ok(if factor.is_some_and(|f| f.confirmed) {
        SecondStep::Code
    } else if second_factor_required(state, account) {
        SecondStep::Enrol
    } else {
        SecondStep::None
    })
}

/// Keeps a sign-in waiting for its code: the cookie's `Set-Cookie` value.
pub async fn challenge(state: &AppState, account: &Account) -> Result<String, ApiError> {
    let secret = random_secret("");
    let command = Command::ChallengeSignIn {
        token_hash: secret_hash(&secret),
        account_id: account.id,
        expires_at: state.clock.now().plus_seconds(CHALLENGE_SECONDS),
    };
    state.execute(Actor::of(account), command).await?;
    Ok(challenge_cookie(state, &secret, CHALLENGE_SECONDS))
}

/// The `Set-Cookie` value of the waiting sign-in's cookie.
pub fn challenge_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let name = cookie_name(CHALLENGE_COOKIE, state.config.secure_cookies());
    format!("{name}={value}; Path=/login; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The account a request's waiting sign-in is for, with the hash its
/// cookie is stored by; `None` when there is none (or it expired, or took
/// too many wrong codes).
pub async fn waiting(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<(Account, String)>, ApiError> {
    let name = cookie_name(CHALLENGE_COOKIE, state.config.secure_cookies());
    let Some(value) = crate::auth::cookie_value(headers, name) else {
        return Ok(None);
    };
    let hash = secret_hash(value);
    let Some(id) = state
        .store
        .sign_in_challenge(&hash, state.clock.now())
        .await?
    else {
        return Ok(None);
    };
    let account = state.store.account(id).await?;
    Ok((account.status == AccountStatus::Active).then_some((account, hash)))
}

/// The secret an enrolling account's app is to hold, in base32: the one
/// kept if enrolment started before, else a new one.
pub async fn enrolment_secret(state: &AppState, account: &Account) -> Result<String, ApiError> {
    if let Some(f) = state.store.second_factor(account.id).await? {
        return Ok(f.secret);
    }
    let mut bytes = [0u8; senim_domain::totp::SECRET_BYTES];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    let secret = senim_domain::totp::base32(&bytes);
    let command = Command::EnrolSecondFactor {
        account_id: account.id,
        secret: secret.clone(),
    };
    state.execute(Actor::of(account), command).await?;
    Ok(secret)
}

fn code_refused(reason: &str) -> ApiError {
    ApiError::invalid(vec![senim_domain::FieldError {
        field: "code".into(),
        reason: reason.into(),
    }])
}

/// Checks `code` against `account`'s authenticator secret and marks its
/// time step used (a code is taken once); with `challenge`, a wrong code
/// counts against that waiting sign-in and a right one ends it. Refusals
/// go to the security log (the server's, not the public one).
pub async fn check_code(
    state: &AppState,
    account: &Account,
    code: &str,
    challenge: Option<&str>,
) -> Result<(), ApiError> {
    let factor = state
        .store
        .second_factor(account.id)
        .await?
        .ok_or_else(|| code_refused("is not expected: this account has no authenticator app"))?;
    let secret = senim_domain::totp::from_base32(&factor.secret).ok_or_else(ApiError::internal)?;
    // Someone who has the password guessing codes: after ten wrong ones in
    // a row, the account's codes wait a quarter of an hour, whoever sends them.
    let held_back = factor.failures >= CODE_FAILURES_IN_A_ROW
        && factor
            .failed_at
            .is_some_and(|at| at.plus_seconds(CODE_HOLD_SECONDS) > state.clock.now());
    if held_back {
        tracing::warn!(account = %account.id, "security: second-factor codes held back after repeated failures");
        return Err(code_refused(
            "cannot be checked now: too many wrong codes were given for this account; try again in 15 minutes",
        ));
    }
    let now = state.clock.now().unix_millis().div_euclid(1000);
    match senim_domain::totp::verify(&secret, code, now, factor.last_step) {
        Ok(step) => {
            let command = Command::PassSecondFactor {
                account_id: account.id,
                step,
                challenge: challenge.map(str::to_string),
            };
            state
                .execute(Actor::of(account), command)
                .await
                .inspect_err(|_| {
                    tracing::warn!(account = %account.id, "security: a code was used twice");
                })?;
            Ok(())
        }
        Err(refused) => {
            tracing::warn!(account = %account.id, reason = refused.reason(), "security: a second-factor code was refused");
            let command = Command::FailSecondFactor {
                account_id: account.id,
                challenge: challenge.map(str::to_string),
            };
            state.execute(Actor::of(account), command).await?;
            Err(code_refused(refused.reason()))
        }
    }
}

/// For a password sign-in over the API (a session or a token): the code it
/// must carry, if the account signs in with one; an account whose role
/// requires one and that has none is sent to the sign-in page to enrol.
pub async fn check_api_second_factor(
    state: &AppState,
    account: &Account,
    code: Option<&str>,
) -> Result<(), ApiError> {
    match second_step(state, account).await? {
        SecondStep::None => Ok(()),
        SecondStep::Enrol => Err(ApiError::new(
            crate::error::ErrorCode::Forbidden,
            "this account signs in with an authenticator app: enrol one on the sign-in page first",
        )),
        SecondStep::Code => match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => check_code(state, account, code, None).await,
            None => Err(code_refused(
                "is required: this account signs in with the code of its authenticator app",
            )),
        },
    }
}
