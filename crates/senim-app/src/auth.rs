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

/// Failed sign-ins an address may make for one account before each next
/// attempt from it for that account waits (1 s, then 2, 4, ... seconds).
pub const LOGIN_FAILURES_PER_KEY: u32 = 5;
/// The longest wait between attempts of one address for one account, in
/// seconds.
pub const LOGIN_MAX_WAIT_SECONDS: i64 = 15 * 60;
/// Failed sign-ins an address may make, whatever the accounts, in the
/// window before its wrong answers come back slowly (a spray of guesses).
pub const LOGIN_FAILURES_PER_ADDRESS: usize = 20;
/// The window the address's failures are counted in, in seconds.
pub const LOGIN_WINDOW_SECONDS: i64 = 15 * 60;
/// Consecutive failures on one account, from anywhere, after which its
/// owner is told and every address that failed for it waits the longest
/// wait (NIST SP 800-63B §5.2.2: at most 100).
pub const LOGIN_LOCKOUT_FAILURES: u32 = 100;
/// How long an address's failures for an account are remembered after its
/// last one, in seconds.
const PAIR_MEMORY_SECONDS: i64 = 24 * 3600;
/// Keys remembered at most; see [`LoginLimiter::check`].
const MAX_KEYS: usize = 100_000;

/// Counts sign-in failures in memory and slows down whoever keeps failing,
/// without letting a stranger lock anyone else out.
///
/// - An address that failed for an account five times waits before each
///   next try for it, twice as long each time up to 15 minutes
///   ([`LOGIN_FAILURES_PER_KEY`], [`LOGIN_MAX_WAIT_SECONDS`]).
/// - An account's 100th consecutive failure, from any addresses, tells its
///   owner; from then on every address that failed for it waits the
///   longest wait ([`LOGIN_LOCKOUT_FAILURES`]).
/// - An address with many failures over any accounts gets its wrong answers
///   slowly ([`LOGIN_FAILURES_PER_ADDRESS`]): a spray of guesses is slowed.
///
/// A correct password from an address that has not failed for the account
/// is never refused, so failures made up by a stranger, even from the same
/// proxy, cannot keep the account's owner out (OWASP ASVS v5 §6.3). The
/// address is the client's as [`client_ip`] finds it behind trusted
/// proxies. An attempt is counted when it is let through, before the
/// password is checked, so parallel guesses cannot all pass before the
/// first failure is recorded; a success takes it back. IPv6 addresses count
/// by their /64, which one subscriber usually holds whole. Per process:
/// behind a load balancer each server counts on its own.
#[derive(Default)]
pub struct LoginLimiter {
    state: Mutex<LimiterState>,
}

#[derive(Default)]
struct LimiterState {
    /// Failures of an address for an account: how many, and the last.
    pairs: HashMap<String, (u32, Timestamp)>,
    /// Failures of an address over every account, in the window.
    addresses: HashMap<String, Vec<Timestamp>>,
    /// Consecutive failures of an account, from anywhere.
    accounts: HashMap<String, u32>,
}

/// An attempt let through: what its failure would mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// The account's consecutive failures, this one included if it fails.
    pub consecutive: u32,
    /// How long to hold a wrong answer back (a spraying address).
    pub slow_down: std::time::Duration,
}

/// The key an address is counted under: itself, or an IPv6 address's /64.
pub(crate) fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// How long an address with `failures` for an account waits after its last.
fn pair_wait(failures: u32, locked: bool) -> i64 {
    if locked {
        return LOGIN_MAX_WAIT_SECONDS;
    }
    match failures.checked_sub(LOGIN_FAILURES_PER_KEY) {
        None => 0,
        Some(n) => 1i64
            .checked_shl(n.min(30))
            .unwrap_or(i64::MAX)
            .min(LOGIN_MAX_WAIT_SECONDS),
    }
}

impl LoginLimiter {
    fn keys(ip: IpAddr, email: &str) -> (String, String, String) {
        let address = address_key(ip);
        let account = email.trim().to_lowercase();
        (format!("{address}|{account}"), address, account)
    }

    /// Lets an attempt through and counts it, or `Err(seconds to wait)`.
    pub fn check(&self, ip: IpAddr, email: &str, now: Timestamp) -> Result<Attempt, u64> {
        let Ok(mut state) = self.state.lock() else {
            return Ok(Attempt {
                consecutive: 0,
                slow_down: std::time::Duration::ZERO,
            });
        };
        let state = &mut *state;
        let (pair, address, account) = Self::keys(ip, email);
        let consecutive = state.accounts.get(&account).copied().unwrap_or(0);
        let locked = consecutive >= LOGIN_LOCKOUT_FAILURES;
        if let Some((failures, last)) = state.pairs.get(&pair).copied() {
            if last.plus_seconds(PAIR_MEMORY_SECONDS) <= now {
                state.pairs.remove(&pair);
            } else {
                let wait = pair_wait(failures, locked && failures > 0);
                let until = last.plus_seconds(wait);
                if until > now {
                    let left = (until.unix_millis() - now.unix_millis() + 999) / 1000;
                    return Err(left.max(1) as u64);
                }
            }
        }
        let horizon = now.plus_seconds(-LOGIN_WINDOW_SECONDS);
        if state.pairs.len() + state.addresses.len() + state.accounts.len() >= MAX_KEYS {
            // Bound memory under a spray: forget what no longer slows
            // anyone. Pairs still waiting stay, so a spray cannot lift them.
            state.pairs.retain(|_, (n, last)| {
                *n >= LOGIN_FAILURES_PER_KEY && last.plus_seconds(PAIR_MEMORY_SECONDS) > now
            });
            state.addresses.retain(|_, times| {
                times.retain(|t| *t > horizon);
                times.len() >= LOGIN_FAILURES_PER_ADDRESS
            });
            state.accounts.retain(|_, n| *n >= LOGIN_FAILURES_PER_KEY);
        }
        let times = state.addresses.entry(address).or_default();
        times.retain(|t| *t > horizon);
        let over = times.len().saturating_sub(LOGIN_FAILURES_PER_ADDRESS);
        times.push(now);
        let entry = state.pairs.entry(pair).or_insert((0, now));
        entry.0 += 1;
        entry.1 = now;
        let n = state.accounts.entry(account).or_insert(0);
        *n += 1;
        Ok(Attempt {
            consecutive: *n,
            slow_down: std::time::Duration::from_millis((over as u64 * 250).min(5_000)),
        })
    }

    /// A correct password: the attempt is taken back, and the account's and
    /// this address's failures for it are forgotten.
    pub fn record_success(&self, ip: IpAddr, email: &str) {
        if let Ok(mut state) = self.state.lock() {
            let (pair, address, account) = Self::keys(ip, email);
            state.pairs.remove(&pair);
            state.accounts.remove(&account);
            if let Some(times) = state.addresses.get_mut(&address) {
                times.pop();
            }
        }
    }
}

/// An address range (`10.0.0.0/8`, `::1/128`, or one address), as
/// `trusted_proxies` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    pub network: IpAddr,
    pub prefix: u8,
}

impl std::str::FromStr for AddressRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not an address or a range such as 10.0.0.0/8"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: the prefix must be from 0 to {max}"))?,
        };
        Ok(AddressRange { network, prefix })
    }
}

impl<'de> serde::Deserialize<'de> for AddressRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl AddressRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
            if prefix == 0 {
                0
            } else {
                bits >> (width - prefix)
            }
        }
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(n).into(), self.prefix, 32)
                    == masked(u32::from(a).into(), self.prefix, 32)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), self.prefix, 128) == masked(u128::from(a), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// The client's address (see [`client_ip`]), as a handler's argument.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(ApiError::internal)?;
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// The client's address: the peer's, unless the peer is one of the trusted
/// proxies; then the nearest address of `X-Forwarded-For`, read from the
/// right, that is not one of them (what a client writes further left is
/// not believed).
pub fn client_ip(
    peer: IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[AddressRange],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    return ip;
                }
            }
            // A hop that is no address: trust nothing further left.
            Err(_) => return client,
        }
    }
    client
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
    fn an_address_that_keeps_failing_waits_longer_each_time() {
        let l = LoginLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Timestamp::from_unix_millis(1_000_000);
        for _ in 0..LOGIN_FAILURES_PER_KEY {
            assert!(l.check(ip, "a@b.kz", t0).is_ok());
        }
        // Counted before their passwords are checked: the sixth waits 1 s.
        assert_eq!(l.check(ip, "a@b.kz", t0), Err(1));
        assert!(l.check(ip, "a@b.kz", t0.plus_seconds(1)).is_ok());
        assert_eq!(l.check(ip, "a@b.kz", t0.plus_seconds(1)), Err(2));
        assert!(l.check(ip, "a@b.kz", t0.plus_seconds(3)).is_ok());
        assert_eq!(l.check(ip, "a@b.kz", t0.plus_seconds(3)), Err(4));
        // Another account from the same address, and the same account from
        // another address, are not held back.
        assert!(l.check(ip, "other@b.kz", t0).is_ok());
        let elsewhere: IpAddr = "10.0.0.9".parse().unwrap();
        assert!(l.check(elsewhere, "a@b.kz", t0).is_ok());
        // The waits stop doubling at fifteen minutes.
        assert_eq!(pair_wait(40, false), LOGIN_MAX_WAIT_SECONDS);
    }

    #[test]
    fn strangers_failing_for_an_account_never_keep_its_owner_out() {
        // Through one proxy every client shares an address: a stranger's
        // made-up e-mails slow the stranger's own answers only.
        let l = LoginLimiter::default();
        let proxy: IpAddr = "10.0.0.3".parse().unwrap();
        let t0 = Timestamp::from_unix_millis(1_000_000);
        for i in 0..LOGIN_FAILURES_PER_ADDRESS + 10 {
            let attempt = l.check(proxy, &format!("made-up-{i}@x.kz"), t0).unwrap();
            let slowed = attempt.slow_down > std::time::Duration::ZERO;
            assert_eq!(slowed, i > LOGIN_FAILURES_PER_ADDRESS);
        }
        assert!(l.check(proxy, "supervisor@gov.kz", t0).is_ok());
    }

    #[test]
    fn an_account_s_hundredth_failure_locks_out_the_addresses_that_failed() {
        let l = LoginLimiter::default();
        let t0 = Timestamp::from_unix_millis(1_000_000);
        let mut last = None;
        for i in 0..LOGIN_LOCKOUT_FAILURES {
            let ip: IpAddr = format!("10.1.{}.{}", i / 200, i % 200 + 1).parse().unwrap();
            last = Some(l.check(ip, "a@b.kz", t0).unwrap());
        }
        assert_eq!(last.unwrap().consecutive, LOGIN_LOCKOUT_FAILURES);
        // An address that failed once now waits fifteen minutes.
        let failed: IpAddr = "10.1.0.1".parse().unwrap();
        assert_eq!(
            l.check(failed, "a@b.kz", t0.plus_seconds(1)),
            Err((LOGIN_MAX_WAIT_SECONDS - 1) as u64)
        );
        // The owner, from an address that has not failed, gets in, and
        // that clears the count.
        let owner: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(l.check(owner, "a@b.kz", t0.plus_seconds(1)).is_ok());
        l.record_success(owner, "a@b.kz");
        assert_eq!(
            l.check(owner, "a@b.kz", t0.plus_seconds(2))
                .unwrap()
                .consecutive,
            1
        );
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
    fn the_client_is_found_behind_trusted_proxies_only() {
        let trusted: Vec<AddressRange> = ["10.0.0.0/8", "::1"]
            .iter()
            .map(|r| r.parse().unwrap())
            .collect();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.5, 10.0.0.2".parse().unwrap(),
        );
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Through two proxies: the first address that is not one.
        assert_eq!(
            client_ip(ip("10.0.0.1"), &headers, &trusted),
            ip("203.0.113.5")
        );
        // A peer that is not a proxy is the client, whatever it says.
        assert_eq!(
            client_ip(ip("198.51.100.1"), &headers, &trusted),
            ip("198.51.100.1")
        );
        // No proxies configured: the peer.
        assert_eq!(client_ip(ip("10.0.0.1"), &headers, &[]), ip("10.0.0.1"));
        assert!("10.0.0.0/33".parse::<AddressRange>().is_err());
        assert!("::1".parse::<AddressRange>().unwrap().contains(ip("::1")));
        assert!(!"10.0.0.0/8"
            .parse::<AddressRange>()
            .unwrap()
            .contains(ip("11.0.0.1")));
    }

    #[test]
    fn a_wider_token_scope_covers_the_narrower() {
        assert!(scope_covers(&[TokenScope::Admin], TokenScope::Read));
        assert!(!scope_covers(&[TokenScope::Read], TokenScope::Write));
    }
}
