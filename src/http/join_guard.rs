//! Join limits: failed joins per client address and per contest (token buckets of [`super::limits`]).
//!
//! What counts as a failure: a join code that names no contest (on `POST /api/join` and on the code lookup
//! `GET /api/join/{code}`), and, in a contest that has a roster, an unknown badge or a wrong secret. Successful
//! joins take nothing, so thousands of officers (or the load generator) joining at once are never throttled by
//! their own number.
//!
//! The decision comes after the outcome is known, not before, and a spent budget hides the outcome: once a
//! bucket is empty every attempt gets `429`, a right guess included. A flood of parallel guesses therefore
//! learns the outcome of at most as many guesses as the budget allows (deciding before the lookup would let all
//! requests in flight through).
//! - Per address ([`JoinGuard::failed`] and [`JoinGuard::admit_address`]): one attacker gets `per_ip` failures
//!   a minute. When its budget is spent, every join and code lookup from that address is refused until a token
//!   is back: an answer that tells a valid code from an invalid one is an answer too.
//! - Per contest ([`JoinGuard::admit_contest`]): a scan spread over many addresses gets `per_contest` failures a
//!   minute against one contest. While that budget is spent, a correct first join waits too (it cannot be told
//!   from a right guess); a phone that already holds its seat (its device secret) always rejoins.
//!
//! IPv6 clients are counted per /64 (one device can pick many addresses in its prefix); IPv4-mapped addresses
//! count as IPv4.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use axum::response::{IntoResponse, Response};

use super::limits::{KeyedLimiter, Limited, Rate};
use crate::config::Settings;

/// Most addresses and contests remembered at once (see `KeyedLimiter` for the eviction rule).
const MAX_ADDRESSES: usize = 10_000;
const MAX_CONTESTS: usize = 1_000;

pub struct JoinGuard {
    by_address: Option<KeyedLimiter<IpAddr>>,
    by_contest: Option<KeyedLimiter<i64>>,
}

/// `n` a minute: a burst of `n`, then one every 60/n s. `None` for 0 (no limit).
fn per_minute(n: u32) -> Option<Rate> {
    (n > 0).then(|| Rate::new(n, Duration::from_secs(60) / n))
}

/// The key an address is counted under.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A join refused because a failure budget is spent: `429` with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinLimited {
    /// This client address (`join_limited`).
    Address(Limited),
    /// This contest, from all addresses together (`contest_join_limited`).
    Contest(Limited),
}

impl IntoResponse for JoinLimited {
    fn into_response(self) -> Response {
        match self {
            JoinLimited::Address(limited) => limited.into_response_with(
                "join_limited",
                format!(
                    "too many failed join attempts from this address; try again in {} s",
                    limited.retry_after_secs()
                ),
            ),
            JoinLimited::Contest(limited) => limited.into_response_with(
                "contest_join_limited",
                format!(
                    "too many failed join attempts for this contest; try again in {} s",
                    limited.retry_after_secs()
                ),
            ),
        }
    }
}

impl JoinGuard {
    pub fn new(settings: &Settings) -> Self {
        Self {
            by_address: per_minute(settings.join_failures_per_ip)
                .map(|rate| KeyedLimiter::new(rate, MAX_ADDRESSES)),
            by_contest: per_minute(settings.join_failures_per_contest)
                .map(|rate| KeyedLimiter::new(rate, MAX_CONTESTS)),
        }
    }

    /// Whether this address may still be told anything (its failure budget is not spent). Takes nothing.
    pub fn admit_address(&self, ip: IpAddr) -> Result<(), JoinLimited> {
        match &self.by_address {
            Some(limiter) => limiter.would_allow(&client_key(ip)).map_err(JoinLimited::Address),
            None => Ok(()),
        }
    }

    /// Whether a successful join of this contest may be answered (its failure budget is not spent).
    pub fn admit_contest(&self, contest_id: i64) -> Result<(), JoinLimited> {
        match &self.by_contest {
            Some(limiter) => limiter.would_allow(&contest_id).map_err(JoinLimited::Contest),
            None => Ok(()),
        }
    }

    /// Count a failure against the address and (for a badge or secret) the contest. `Ok`: the failure may be
    /// answered as such; `Err`: a budget is spent, answer `429` instead (nothing was taken from it then).
    pub fn failed(&self, ip: IpAddr, contest_id: Option<i64>) -> Result<(), JoinLimited> {
        if let Some(limiter) = &self.by_address {
            limiter.check(&client_key(ip)).map_err(JoinLimited::Address)?;
        }
        if let (Some(limiter), Some(contest_id)) = (&self.by_contest, contest_id) {
            limiter.check(&contest_id).map_err(JoinLimited::Contest)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn guard(per_ip: u32, per_contest: u32) -> JoinGuard {
        let mut settings = Settings::new(std::path::PathBuf::from("unused"));
        settings.join_failures_per_ip = per_ip;
        settings.join_failures_per_contest = per_contest;
        JoinGuard::new(&settings)
    }

    fn code(refused: JoinLimited) -> (StatusCode, bool) {
        let response = refused.into_response();
        (
            response.status(),
            response.headers().contains_key(axum::http::header::RETRY_AFTER),
        )
    }

    #[test]
    fn failures_spend_the_address_budget_only_for_that_address() {
        let g = guard(3, 1000);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(g.admit_address(a).is_ok());
            assert!(g.failed(a, Some(1)).is_ok());
        }
        let refused = g.admit_address(a).expect_err("spent");
        assert_eq!(code(refused), (StatusCode::TOO_MANY_REQUESTS, true));
        assert!(g.failed(a, Some(1)).is_err());
        assert!(g.admit_address(b).is_ok(), "another address is untouched");
        assert!(g.admit_contest(1).is_ok(), "3 failures leave the contest open");
    }

    #[test]
    fn the_contest_budget_caps_failures_from_many_addresses() {
        let g = guard(5, 4);
        for i in 0..4u8 {
            let ip = IpAddr::from([10, 0, 1, i]);
            assert!(g.failed(ip, Some(7)).is_ok());
        }
        assert!(g.admit_contest(7).is_err());
        assert!(g.failed(IpAddr::from([10, 0, 1, 9]), Some(7)).is_err());
        assert!(g.admit_contest(8).is_ok(), "another contest is untouched");
        // A wrong code counts against the address only.
        assert!(g.failed(IpAddr::from([10, 0, 2, 1]), None).is_ok());
    }

    #[test]
    fn zero_means_no_limit() {
        let g = guard(0, 0);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..1000 {
            assert!(g.failed(ip, Some(1)).is_ok());
        }
        assert!(g.admit_address(ip).is_ok() && g.admit_contest(1).is_ok());
    }

    #[test]
    fn ipv6_counts_per_prefix() {
        let a: IpAddr = "2001:db8:1:2::10".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::10".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(client_key(mapped), "10.1.2.3".parse::<IpAddr>().unwrap());
    }
}
