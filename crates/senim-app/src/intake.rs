//! Limits on the public intake: a report needs no account, and each one is
//! a permanent log entry and a case in the supervisors' queue, so an
//! address may file a few an hour and everyone together a bounded number a
//! minute (`reports_per_address_per_hour`, `reports_per_minute`). Counted
//! in memory, per server, like the sign-in limits; the authority's own
//! accounts are not limited.
//!
//! Besides, each report carries a proof of work (issue 19): the intake
//! hands out a challenge (`GET /api/v1/reports/challenge`) and the
//! submitter's browser or client finds a nonce whose SHA-256 with it starts
//! with `report_proof_bits` zero bits, about 260,000 hashes at the default
//! 18: a second or two for one person, a real cost for a flood spread over
//! many addresses. No third party is asked and nothing about the submitter
//! is kept. A challenge is signed by the register (an HMAC under a key
//! derived from the log key, so every server of one register accepts the
//! others'), lasts ten minutes and is spent by its first report.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use senim_domain::Timestamp;

use senim_domain::proof::proof_bits;

use crate::auth::address_key;

/// Addresses remembered at most before the ones with nothing left in the
/// hour are forgotten.
const MAX_ADDRESSES: usize = 100_000;

/// Which limit a report ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// This address's reports in the last hour.
    Address,
    /// Everyone's reports in the last minute.
    Everyone,
    /// Everyone's reports without a proof of work in the last minute.
    WithoutProof,
}

/// Reports let through, by address over the last hour and in all over the
/// last minute.
#[derive(Default)]
pub struct IntakeLimiter {
    state: Mutex<IntakeState>,
}

#[derive(Default)]
struct IntakeState {
    addresses: HashMap<String, Vec<Timestamp>>,
    everyone: VecDeque<Timestamp>,
    /// The reports of the last minute that came without a proof of work.
    unproven: VecDeque<Timestamp>,
}

/// The intake's limits, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    pub per_address_per_hour: u32,
    pub per_minute: u32,
    /// Of those, the ones without a proof of work (a browser without
    /// JavaScript, a client that does not solve the challenge).
    pub without_proof_per_minute: u32,
}

impl IntakeLimiter {
    /// Lets a report from `ip` through and counts it, or says which limit it
    /// ran into and in how many seconds a report would pass it.
    pub fn check(
        &self,
        ip: IpAddr,
        now: Timestamp,
        proven: bool,
        quotas: Quotas,
    ) -> Result<(), (Limit, u64)> {
        let Quotas {
            per_address_per_hour,
            per_minute,
            without_proof_per_minute,
        } = quotas;
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        let state = &mut *state;
        let wait = |oldest: Timestamp, window: i64| {
            let free = oldest.plus_seconds(window);
            ((free.unix_millis() - now.unix_millis() + 999) / 1000).max(1) as u64
        };
        let minute_ago = now.plus_seconds(-60);
        while state.everyone.front().is_some_and(|t| *t <= minute_ago) {
            state.everyone.pop_front();
        }
        while state.unproven.front().is_some_and(|t| *t <= minute_ago) {
            state.unproven.pop_front();
        }
        let hour_ago = now.plus_seconds(-3600);
        let key = address_key(ip);
        let times = state.addresses.entry(key).or_default();
        times.retain(|t| *t > hour_ago);
        if times.len() >= per_address_per_hour as usize {
            return Err((Limit::Address, wait(times[0], 3600)));
        }
        if state.everyone.len() >= per_minute as usize {
            let oldest = state.everyone.front().copied().unwrap_or(now);
            return Err((Limit::Everyone, wait(oldest, 60)));
        }
        if !proven && state.unproven.len() >= without_proof_per_minute as usize {
            let oldest = state.unproven.front().copied().unwrap_or(now);
            return Err((Limit::WithoutProof, wait(oldest, 60)));
        }
        times.push(now);
        state.everyone.push_back(now);
        if !proven {
            state.unproven.push_back(now);
        }
        if state.addresses.len() > MAX_ADDRESSES {
            state.addresses.retain(|_, times| {
                times.retain(|t| *t > hour_ago);
                !times.is_empty()
            });
        }
        Ok(())
    }
}

/// How long a challenge may be solved and spent, in seconds.
pub const CHALLENGE_SECONDS: i64 = 600;

/// Issues and checks the intake's challenges.
pub struct ProofOfWork {
    key: [u8; 32],
    /// Challenges spent, with when they expire.
    spent: Mutex<HashMap<String, i64>>,
}

/// Why a proof was refused (the `proof` field's reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofRefused {
    Missing,
    Malformed,
    Forged,
    Expired,
    Spent,
    TooEasy,
}

impl ProofRefused {
    pub fn reason(self) -> &'static str {
        match self {
            ProofRefused::Missing => "is missing: get a challenge from GET /api/v1/reports/challenge and send `<challenge>:<nonce>` in the Senim-Proof header",
            ProofRefused::Malformed => "is not `<challenge>:<nonce>`",
            ProofRefused::Forged => "names a challenge this register did not issue",
            ProofRefused::Expired => "names a challenge older than ten minutes: get a new one",
            ProofRefused::Spent => "names a challenge already used for a report: get a new one",
            ProofRefused::TooEasy => "does not solve the challenge: SHA-256(`<challenge>:<nonce>`) must start with the number of zero bits the challenge asks",
        }
    }
}

impl ProofOfWork {
    /// Challenges keyed by `secret` (the register's log key).
    pub fn new(secret: &[u8]) -> ProofOfWork {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(b"senim: the intake's proof-of-work challenges\n");
        hash.update(secret);
        ProofOfWork {
            key: hash.finalize().into(),
            spent: Mutex::new(HashMap::new()),
        }
    }

    fn mac(&self, body: &str) -> String {
        use hmac::Mac;
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(body.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// A fresh challenge asking for `bits` zero bits: `1.<bits>.<unix
    /// seconds>.<random>.<mac>`.
    pub fn challenge(&self, bits: u32, now: Timestamp) -> String {
        let random: [u8; 12] = rand::random();
        let body = format!(
            "1.{bits}.{}.{}",
            now.unix_millis() / 1000,
            hex::encode(random)
        );
        let mac = self.mac(&body);
        format!("{body}.{mac}")
    }

    /// Checks `proof` (`<challenge>:<nonce>`) against at least `bits` zero
    /// bits and spends its challenge.
    pub fn check(
        &self,
        proof: Option<&str>,
        bits: u32,
        now: Timestamp,
    ) -> Result<(), ProofRefused> {
        let proof = proof
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .ok_or(ProofRefused::Missing)?;
        let (challenge, nonce) = proof.rsplit_once(':').ok_or(ProofRefused::Malformed)?;
        if nonce.is_empty() {
            return Err(ProofRefused::Missing);
        }
        if nonce.len() > 64 || challenge.len() > 200 {
            return Err(ProofRefused::Malformed);
        }
        let (body, mac) = challenge.rsplit_once('.').ok_or(ProofRefused::Malformed)?;
        let fields: Vec<&str> = body.split('.').collect();
        let [version, asked, issued, _random] = fields[..] else {
            return Err(ProofRefused::Malformed);
        };
        if version != "1" {
            return Err(ProofRefused::Malformed);
        }
        let expected = self.mac(body);
        if expected.is_empty()
            || !bool::from(subtle::ConstantTimeEq::ct_eq(
                expected.as_bytes(),
                mac.as_bytes(),
            ))
        {
            return Err(ProofRefused::Forged);
        }
        let asked: u32 = asked.parse().map_err(|_| ProofRefused::Malformed)?;
        let issued: i64 = issued.parse().map_err(|_| ProofRefused::Malformed)?;
        let now_secs = now.unix_millis() / 1000;
        if now_secs - issued > CHALLENGE_SECONDS || issued - now_secs > 60 {
            return Err(ProofRefused::Expired);
        }
        if proof_bits(proof) < asked.max(bits) {
            return Err(ProofRefused::TooEasy);
        }
        let Ok(mut spent) = self.spent.lock() else {
            return Ok(());
        };
        if spent.len() > MAX_ADDRESSES {
            spent.retain(|_, until| *until > now_secs);
        }
        if spent
            .insert(challenge.to_string(), issued + CHALLENGE_SECONDS)
            .is_some_and(|until| until > now_secs)
        {
            return Err(ProofRefused::Spent);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use senim_domain::proof::solve;

    #[test]
    fn a_proof_is_checked_once_and_only_as_issued() {
        let pow = ProofOfWork::new(b"log key");
        let t0 = Timestamp::from_unix_millis(1_800_000_000_000);
        let challenge = pow.challenge(8, t0);
        let proof = solve(&challenge).unwrap();
        assert_eq!(pow.check(None, 8, t0), Err(ProofRefused::Missing));
        assert_eq!(
            pow.check(Some("nonsense"), 8, t0),
            Err(ProofRefused::Malformed)
        );
        // Another register's challenge, or one edited to ask for less.
        let other = ProofOfWork::new(b"another key").challenge(8, t0);
        assert_eq!(
            pow.check(Some(&solve(&other).unwrap()), 8, t0),
            Err(ProofRefused::Forged)
        );
        let easier = challenge.replacen("1.8.", "1.0.", 1);
        assert_eq!(
            pow.check(Some(&format!("{easier}:0")), 8, t0),
            Err(ProofRefused::Forged)
        );
        // A wrong nonce (almost surely), too late, then right, then again.
        let wrong = (0..1000)
            .map(|n| format!("{challenge}:x{n}"))
            .find(|p| proof_bits(p) < 8)
            .unwrap();
        assert_eq!(pow.check(Some(&wrong), 8, t0), Err(ProofRefused::TooEasy));
        assert_eq!(
            pow.check(Some(&proof), 8, t0.plus_seconds(CHALLENGE_SECONDS + 1)),
            Err(ProofRefused::Expired)
        );
        assert_eq!(pow.check(Some(&proof), 8, t0.plus_seconds(5)), Ok(()));
        assert_eq!(
            pow.check(Some(&proof), 8, t0.plus_seconds(6)),
            Err(ProofRefused::Spent)
        );
        // A challenge asking for less than the register now wants.
        let weak = pow.challenge(1, t0);
        let weak_proof = (0..100_000)
            .map(|n| format!("{weak}:{n}"))
            .find(|p| (1..16).contains(&proof_bits(p)))
            .unwrap();
        assert_eq!(
            pow.check(Some(&weak_proof), 16, t0),
            Err(ProofRefused::TooEasy)
        );
    }

    const Q: Quotas = Quotas {
        per_address_per_hour: 3,
        per_minute: 5,
        without_proof_per_minute: 2,
    };

    #[test]
    fn reports_without_a_proof_share_a_smaller_minute() {
        let l = IntakeLimiter::default();
        let t0 = Timestamp::from_unix_millis(10_000_000);
        let ip = |i: u8| -> IpAddr { format!("198.51.100.{i}").parse().unwrap() };
        assert!(l.check(ip(1), t0, false, Q).is_ok());
        assert!(l.check(ip(2), t0, false, Q).is_ok());
        assert_eq!(l.check(ip(3), t0, false, Q), Err((Limit::WithoutProof, 60)));
        // With a proof, the minute still has room.
        assert!(l.check(ip(3), t0, true, Q).is_ok());
    }

    #[test]
    fn an_address_files_a_few_an_hour_and_everyone_a_few_a_minute() {
        let l = IntakeLimiter::default();
        let t0 = Timestamp::from_unix_millis(10_000_000);
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(a, t0, true, Q).is_ok());
        }
        assert_eq!(l.check(a, t0, true, Q), Err((Limit::Address, 3600)));
        // An hour later the address may file again.
        assert!(l.check(a, t0.plus_seconds(3600), true, Q).is_ok());
        // Everyone together: five a minute.
        let l = IntakeLimiter::default();
        for i in 0..5 {
            let ip: IpAddr = format!("198.51.100.{}", i + 1).parse().unwrap();
            assert!(l.check(ip, t0, true, Q).is_ok());
        }
        let fresh: IpAddr = "192.0.2.9".parse().unwrap();
        assert_eq!(
            l.check(fresh, t0.plus_seconds(20), true, Q),
            Err((Limit::Everyone, 40))
        );
        assert!(l.check(fresh, t0.plus_seconds(60), true, Q).is_ok());
    }
}
