//! Limits on the public intake: a report needs no account, and each one is
//! a permanent log entry and a case in the supervisors' queue, so an
//! address may file a few an hour and everyone together a bounded number a
//! minute (`reports_per_address_per_hour`, `reports_per_minute`). Counted
//! in memory, per server, like the sign-in limits; the authority's own
//! accounts are not limited.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use senim_domain::Timestamp;

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
}

impl IntakeLimiter {
    /// Lets a report from `ip` through and counts it, or says which limit it
    /// ran into and in how many seconds a report would pass it.
    pub fn check(
        &self,
        ip: IpAddr,
        now: Timestamp,
        per_address_per_hour: u32,
        per_minute: u32,
    ) -> Result<(), (Limit, u64)> {
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
        times.push(now);
        state.everyone.push_back(now);
        if state.addresses.len() > MAX_ADDRESSES {
            state.addresses.retain(|_, times| {
                times.retain(|t| *t > hour_ago);
                !times.is_empty()
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_files_a_few_an_hour_and_everyone_a_few_a_minute() {
        let l = IntakeLimiter::default();
        let t0 = Timestamp::from_unix_millis(10_000_000);
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(a, t0, 3, 5).is_ok());
        }
        assert_eq!(l.check(a, t0, 3, 5), Err((Limit::Address, 3600)));
        // An hour later the address may file again.
        assert!(l.check(a, t0.plus_seconds(3600), 3, 5).is_ok());
        // Everyone together: five a minute.
        let l = IntakeLimiter::default();
        for i in 0..5 {
            let ip: IpAddr = format!("198.51.100.{}", i + 1).parse().unwrap();
            assert!(l.check(ip, t0, 3, 5).is_ok());
        }
        let fresh: IpAddr = "192.0.2.9".parse().unwrap();
        assert_eq!(
            l.check(fresh, t0.plus_seconds(20), 3, 5),
            Err((Limit::Everyone, 40))
        );
        assert!(l.check(fresh, t0.plus_seconds(60), 3, 5).is_ok());
    }
}
