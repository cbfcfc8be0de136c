//! Who is calling: passwords, sessions, API tokens and the login rate limit.
//!
//! Browsers sign in with a password and get a session cookie (HttpOnly,
//! SameSite=Lax, Secure behind TLS); a state-changing request made with that
//! cookie must also carry the session's CSRF token in the `X-CSRF-Token`
//! header (HTML forms, with a `csrf_token` field, arrive with the pages). Programs send `Authorization: Bearer`
//! with an API token, which is shown once, stored as its SHA-256, scoped,
//! expiring and revocable. Passwords are hashed with argon2id.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use senim_domain::{Account, Timestamp};
use senim_store::{Actor, TokenInfo, TokenScope};

use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::policy::{Action, Resource};
use crate::state::AppState;

/// The session cookie's name over plain HTTP (a development server).
pub const SESSION_COOKIE: &str = "senim_session";

/// The cookie that holds an anonymous reader's CSRF token.
pub const CSRF_COOKIE: &str = "senim_csrf";

/// The cookie that carries a filed report's number and tracking code to the
/// confirmation page, for this browser session only.
pub const FILED_COOKIE: &str = "senim_report";

/// A cookie's name: behind TLS (`public_url` https) prefixed `__Host-`, which
/// the browser accepts only when this very host set it, `Secure`, for the
/// whole site and without a `Domain`: a sibling subdomain or a network
/// attacker on plain HTTP cannot plant one (a planted session cookie would
/// sign the reader in to the attacker's account).
pub fn cookie_name(base: &'static str, secure: bool) -> &'static str {
    match (base, secure) {
        (SESSION_COOKIE, true) => "__Host-senim_session",
        (CSRF_COOKIE, true) => "__Host-senim_csrf",
        (FILED_COOKIE, true) => "__Host-senim_report",
        _ => base,
    }
}
/// API tokens start with this, so secret scanners can recognise a leaked one.
pub const TOKEN_PREFIX: &str = "senim_";

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::internal()
        })
}

/// Checks a password against a stored hash; false for a malformed hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash computed once, so that an unknown e-mail costs as much time as a
/// wrong password and does not reveal which accounts exist.
pub fn dummy_hash() -> String {
    hash_password("not a real password, only for timing").unwrap_or_default()
}

/// A new random secret, URL-safe.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The SHA-256 of a secret, hex; what the database keeps.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    Anonymous,
    Session { csrf_token: String },
    Token(TokenInfo),
}

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Option<Account>,
    pub credential: Credential,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller {
            account: None,
            credential: Credential::Anonymous,
        }
    }

    /// The actor recorded in events.
    pub fn actor(&self) -> Actor {
        match &self.account {
            Some(a) => Actor::of(a),
            None => Actor {
                account_id: None,
                roles: Vec::new(),
                organisation_id: None,
            },
        }
    }

    /// Asks the policies; a token must also carry the action's scope.
    pub fn may(
        &self,
        state: &AppState,
        action: Action,
        resource: &Resource,
    ) -> Result<bool, ApiError> {
        if let Credential::Token(token) = &self.credential {
            if !scope_covers(&token.scopes, action.scope()) {
                return Ok(false);
            }
        }
        Ok(state
            .policies
            .allows(self.account.as_ref(), action, resource)?)
    }

    /// Like [`Caller::may`], but an error: 401 for the anonymous, 403 otherwise.
    pub fn require(
        &self,
        state: &AppState,
        action: Action,
        resource: &Resource,
    ) -> Result<(), ApiError> {
        if self.may(state, action, resource)? {
            return Ok(());
        }
        match (&self.account, &self.credential) {
            (None, _) => Err(ApiError::unauthenticated()),
            (Some(_), Credential::Token(t)) if !scope_covers(&t.scopes, action.scope()) => {
                Err(ApiError::new(
                    ErrorCode::Forbidden,
                    format!(
                        "this API token lacks the `{}` scope needed to do this",
                        scope_name(action.scope())
                    ),
                ))
            }
            _ => Err(ApiError::forbidden()),
        }
    }
}

fn scope_name(scope: TokenScope) -> &'static str {
    match scope {
        TokenScope::Read => "read",
        TokenScope::Write => "write",
        TokenScope::Admin => "admin",
    }
}

/// `admin` implies `write`, which implies `read`.
pub fn scope_covers(scopes: &[TokenScope], needed: TokenScope) -> bool {
    scopes.iter().any(|s| *s >= needed)
}

pub fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let now = state.clock.now();
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let text = value.to_str().unwrap_or("");
            let token = text
                .strip_prefix("Bearer ")
                .map(str::trim)
                .filter(|t| t.starts_with(TOKEN_PREFIX))
                .ok_or_else(|| {
                    ApiError::field(
                        ErrorCode::Unauthenticated,
                        "Authorization",
                        "must be `Bearer senim_...` with an API token",
                    )
                })?;
            return match state
                .store
                .authenticate_token(&secret_hash(token), now)
                .await?
            {
                Some(found) => Ok(Caller {
                    account: Some(found.account),
                    credential: Credential::Token(found.token),
                }),
                None => Err(ApiError::field(
                    ErrorCode::Unauthenticated,
                    "Authorization",
                    "the API token is unknown, expired or revoked",
                )),
            };
        }
        let caller = session_caller(parts, state).await?;
        if let Credential::Session { csrf_token } = &caller.credential {
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe {
                let sent = parts
                    .headers
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !constant_time_eq(sent.as_bytes(), csrf_token.as_bytes()) {
                    return Err(ApiError::field(
                        ErrorCode::Forbidden,
                        "X-CSRF-Token",
                        "is missing or wrong: a request signed in by cookie must carry the session's CSRF token",
                    ));
                }
            }
        }
        Ok(caller)
    }
}

/// The caller a session cookie names, or the anonymous caller. The CSRF
/// token is not checked here: the API checks its header above, the pages
/// check their forms' hidden field (the pages of `senim-web`).
pub async fn session_caller(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let name = cookie_name(SESSION_COOKIE, state.config.secure_cookies());
    if let Some(cookie) = cookie_value(&parts.headers, name) {
        if let Some(found) = state
            .store
            .authenticate_session(&secret_hash(cookie), state.clock.now())
            .await?
        {
            return Ok(Caller {
                account: Some(found.account),
                credential: Credential::Session {
                    csrf_token: found.csrf_token,
                },
            });
        }
    }
    Ok(Caller::anonymous())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Sign-in attempts allowed per e-mail and address in the window.
pub const LOGIN_FAILURES_PER_KEY: usize = 5;
/// Sign-in attempts allowed per address in the window, whatever the e-mail.
pub const LOGIN_FAILURES_PER_ADDRESS: usize = 20;
/// The window, in seconds.
pub const LOGIN_WINDOW_SECONDS: i64 = 15 * 60;
/// Keys remembered at most; see [`LoginLimiter::check`].
const MAX_KEYS: usize = 100_000;

/// Counts sign-in attempts in memory and refuses further ones for a while.
///
/// An attempt is counted when it is let through, before the password is
/// checked, so a burst of parallel guesses cannot all pass the check before
/// the first failure is recorded; a success takes its attempt back. IPv6
/// addresses count by their /64, which one subscriber usually holds whole.
/// Per process: behind a load balancer each server counts on its own, which
/// multiplies the limit by the number of servers, still far below what a
/// password guesser needs.
#[derive(Default)]
pub struct LoginLimiter {
    attempts: Mutex<HashMap<String, Vec<Timestamp>>>,
}

fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

impl LoginLimiter {
    fn keys(ip: IpAddr, email: &str) -> [(String, usize); 2] {
        let address = address_key(ip);
        [
            (
                format!("{address}|{}", email.trim().to_lowercase()),
                LOGIN_FAILURES_PER_KEY,
            ),
            (address, LOGIN_FAILURES_PER_ADDRESS),
        ]
    }

    /// Lets an attempt through and counts it, or `Err(seconds to wait)`.
    pub fn check(&self, ip: IpAddr, email: &str, now: Timestamp) -> Result<(), u64> {
        let Ok(mut map) = self.attempts.lock() else {
            return Ok(());
        };
        let horizon = now.plus_seconds(-LOGIN_WINDOW_SECONDS);
        let keys = Self::keys(ip, email);
        for (key, limit) in &keys {
            if let Some(times) = map.get_mut(key) {
                times.retain(|t| *t > horizon);
                if times.len() >= *limit {
                    let oldest = times.first().copied().unwrap_or(now);
                    let wait = (oldest.unix_millis() + LOGIN_WINDOW_SECONDS * 1000
                        - now.unix_millis())
                        / 1000;
                    return Err(wait.max(1) as u64);
                }
            }
        }
        if map.len() >= MAX_KEYS {
            // Bound memory under a spray of addresses: forget what has
            // expired, then what is not blocking anyone. Keys at their limit
            // stay, so a spray cannot lift a block.
            map.retain(|_, times| {
                times.retain(|t| *t > horizon);
                !times.is_empty()
            });
            if map.len() >= MAX_KEYS {
                map.retain(|key, times| {
                    let limit = if key.contains('|') {
                        LOGIN_FAILURES_PER_KEY
                    } else {
                        LOGIN_FAILURES_PER_ADDRESS
                    };
                    times.len() >= limit
                });
            }
        }
        for (key, _) in keys {
            map.entry(key).or_default().push(now);
        }
        Ok(())
    }

    /// A correct password: the attempt is taken back and the e-mail's count cleared.
    pub fn record_success(&self, ip: IpAddr, email: &str) {
        if let Ok(mut map) = self.attempts.lock() {
            let [(key, _), (address, _)] = Self::keys(ip, email);
            map.remove(&key);
            if let Some(times) = map.get_mut(&address) {
                times.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_hashes_differ() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("wrong horse battery", &a));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn limiter_blocks_after_five_attempts_and_forgets_later() {
        let l = LoginLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Timestamp::from_unix_millis(1_000_000);
        for _ in 0..LOGIN_FAILURES_PER_KEY {
            assert!(l.check(ip, "a@b.kz", t0).is_ok());
        }
        assert!(
            l.check(ip, "a@b.kz", t0).is_err(),
            "attempts count before their passwords are checked"
        );
        assert!(l.check(ip, "other@b.kz", t0).is_ok());
        assert!(l
            .check(ip, "a@b.kz", t0.plus_seconds(LOGIN_WINDOW_SECONDS + 1))
            .is_ok());
    }

    #[test]
    fn success_takes_its_attempt_back() {
        let l = LoginLimiter::default();
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Timestamp::from_unix_millis(1_000_000);
        for _ in 0..LOGIN_FAILURES_PER_ADDRESS * 2 {
            assert!(l.check(ip, "a@b.kz", t0).is_ok());
            l.record_success(ip, "a@b.kz");
        }
    }

    #[test]
    fn ipv6_counts_by_slash_64() {
        let l = LoginLimiter::default();
        let t0 = Timestamp::from_unix_millis(1_000_000);
        for i in 0..LOGIN_FAILURES_PER_KEY {
            let ip: IpAddr = format!("2001:db8:1:2::{:x}", i + 1).parse().unwrap();
            assert!(l.check(ip, "a@b.kz", t0).is_ok());
        }
        let fresh: IpAddr = "2001:db8:1:2::ffff".parse().unwrap();
        assert!(l.check(fresh, "a@b.kz", t0).is_err());
    }

    #[test]
    fn a_wider_token_scope_covers_the_narrower() {
        assert!(scope_covers(&[TokenScope::Admin], TokenScope::Read));
        assert!(!scope_covers(&[TokenScope::Read], TokenScope::Write));
    }
}
