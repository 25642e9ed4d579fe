//! Connection limits: the capacity derived from the open-file limit, and the per-address and total counts
//! that decide at accept whether a connection is served or refused.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::config::Settings;

/// An address holding at least this many connections is a heavy user: it may not take the capacity kept for
/// light clients. A browser opens up to six HTTP/1.1 connections per host plus its WebSocket.
const LIGHT_CLIENT: usize = 16;
/// Refusals are logged at most this often (with a count), so a flood cannot flood the log too.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);
/// Above this share of the connection cap (in tenths), idle keep-alive HTTP connections are asked to close, so
/// that the sockets phones open next (their WebSockets) find room. A phone that joined over HTTP keeps that
/// connection open for the idle timeout unless the server closes it: at 19,000 phones joining within seconds,
/// those idle connections alone would fill the cap.
const RECLAIM_ABOVE_TENTHS: usize = 9;
/// A reclaim signal wakes every connection task between requests, so it is not sent on every accept: only
/// once this long has passed, or a quarter of the room above the mark has been taken since the last one. A flood
/// of connections held mid-request then cannot turn each accept into a wake-up of all of them, and the room
/// above the mark is never used up without a signal.
const RECLAIM_EVERY: Duration = Duration::from_millis(10);

/// The connection limits in force.
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub ws_handshake_timeout: Duration,
    pub max_per_ip: usize,
    pub max_total: usize,
}

impl Limits {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            header_timeout: settings.header_timeout,
            idle_timeout: settings.idle_timeout,
            ws_handshake_timeout: settings.ws_handshake_timeout,
            max_per_ip: settings.max_connections_per_ip.max(1),
            max_total: settings
                .max_connections
                .unwrap_or_else(|| capacity_for_file_limit(file_limit()))
                .max(1),
        }
    }
}

/// Raise the soft open-file limit to the hard limit (the common soft default of 1,024 is far below what a
/// contest hall needs). Returns the soft limit in force afterwards.
pub fn raise_file_limit() -> u64 {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 && limit.rlim_cur < limit.rlim_max
        {
            // An unlimited hard limit is not a valid soft value on every kernel; try a large finite one then.
            for target in [limit.rlim_max, limit.rlim_max.min(1 << 20)] {
                let wanted = libc::rlimit {
                    rlim_cur: target,
                    rlim_max: limit.rlim_max,
                };
                // SAFETY: setrlimit only reads the struct we pass.
                if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) } == 0 {
                    break;
                }
            }
        }
    }
    file_limit()
}

/// The soft open-file limit of this process (a large number where there is none).
pub fn file_limit() -> u64 {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            #[allow(clippy::unnecessary_cast)]
            return limit.rlim_cur as u64;
        }
    }
    65_536
}

/// How many connections fit under an open-file limit: the rest is kept for the database (each pooled
/// connection holds the database, its WAL and shared memory: a few dozen files in all), logs, uploads and the
/// listener. One eighth, at least 128 and at most 512: a large limit is not wasted on a fixed need.
pub fn capacity_for_file_limit(limit: u64) -> usize {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(1 << 24);
    let reserve = (limit / 8).clamp(128, 512);
    limit.saturating_sub(reserve).max(16)
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Refusal {
    TooManyFromAddress,
    Full,
}

/// Counts connections per address and in total.
pub(super) struct Limiter {
    max_per_ip: usize,
    max_total: usize,
    /// Heavy addresses stop here; the rest of `max_total` is for light clients.
    max_total_heavy: usize,
    counts: Mutex<Counts>,
    /// Signalled when the connections in use pass [`RECLAIM_ABOVE_TENTHS`] of the cap (or a connection was
    /// refused): every idle keep-alive connection closes.
    reclaim: tokio::sync::Notify,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
    refused_since_log: u64,
    last_log: Option<Instant>,
    last_reclaim: Option<Instant>,
    acquired_since_reclaim: usize,
}

impl Limiter {
    pub(super) fn new(limits: &Limits) -> Self {
        Self {
            max_per_ip: limits.max_per_ip,
            max_total: limits.max_total,
            max_total_heavy: limits.max_total - limits.max_total / 10,
            counts: Mutex::new(Counts::default()),
            reclaim: tokio::sync::Notify::new(),
        }
    }

    /// Resolves when idle connections should close to make room (see [`RECLAIM_ABOVE_TENTHS`]).
    pub(super) fn reclaim_requested(&self) -> tokio::sync::futures::Notified<'_> {
        self.reclaim.notified()
    }

    /// Ask idle connections to close, at most once per [`RECLAIM_EVERY`].
    fn reclaim_idle(&self, counts: &mut Counts) {
        let now = Instant::now();
        let room = self.max_total - self.max_total * RECLAIM_ABOVE_TENTHS / 10;
        counts.acquired_since_reclaim += 1;
        if counts.acquired_since_reclaim >= (room / 4).max(1)
            || counts
                .last_reclaim
                .is_none_or(|at| now.duration_since(at) >= RECLAIM_EVERY)
        {
            counts.last_reclaim = Some(now);
            counts.acquired_since_reclaim = 0;
            self.reclaim.notify_waiters();
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Refusal> {
        let ip = ip.to_canonical();
        let mut counts = self.counts();
        let held = counts.per_ip.get(&ip).copied().unwrap_or(0);
        if held >= self.max_per_ip {
            return Err(Refusal::TooManyFromAddress);
        }
        let cap = if held >= LIGHT_CLIENT {
            self.max_total_heavy
        } else {
            self.max_total
        };
        if counts.total >= cap {
            self.reclaim_idle(&mut counts);
            return Err(Refusal::Full);
        }
        counts.total += 1;
        *counts.per_ip.entry(ip).or_insert(0) += 1;
        if counts.total * 10 >= self.max_total * RECLAIM_ABOVE_TENTHS {
            self.reclaim_idle(&mut counts);
        }
        Ok(Permit {
            limiter: self.clone(),
            ip,
        })
    }

    /// Tell the client why, without waiting for it, and close.
    pub(super) fn refuse(&self, stream: TcpStream, peer: SocketAddr, refusal: Refusal) {
        let (status, code, message) = match refusal {
            Refusal::TooManyFromAddress => (
                "429 Too Many Requests",
                "too_many_connections",
                "this address holds too many connections; close some and retry",
            ),
            Refusal::Full => (
                "503 Service Unavailable",
                "server_busy",
                "the server is at its connection limit; retry shortly",
            ),
        };
        let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.try_write(response.as_bytes());
        drop(stream);
        let mut counts = self.counts();
        counts.refused_since_log += 1;
        let now = Instant::now();
        if counts
            .last_log
            .is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_EVERY)
        {
            tracing::warn!(
                %peer,
                reason = code,
                refused = counts.refused_since_log,
                open = counts.total,
                "refusing connections"
            );
            counts.refused_since_log = 0;
            counts.last_log = Some(now);
        }
    }
}

/// One connection slot, released when the socket is dropped.
pub(super) struct Permit {
    limiter: Arc<Limiter>,
    ip: IpAddr,
}

impl Permit {
    pub(super) fn limiter(&self) -> Arc<Limiter> {
        self.limiter.clone()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.limiter.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(held) = counts.per_ip.get_mut(&self.ip) {
            *held -= 1;
            if *held == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max_per_ip: usize, max_total: usize) -> Arc<Limiter> {
        Arc::new(Limiter::new(&Limits {
            header_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(1),
            ws_handshake_timeout: Duration::from_secs(1),
            max_per_ip,
            max_total,
        }))
    }

    #[test]
    fn per_address_cap_and_release() {
        let limiter = limiter(2, 100);
        let a: IpAddr = "127.0.0.2".parse().expect("ip");
        let b: IpAddr = "127.0.0.3".parse().expect("ip");
        let first = limiter.try_acquire(a).expect("first");
        let _second = limiter.try_acquire(a).expect("second");
        assert!(matches!(limiter.try_acquire(a), Err(Refusal::TooManyFromAddress)));
        assert!(limiter.try_acquire(b).is_ok(), "another address is still served");
        drop(first);
        assert!(limiter.try_acquire(a).is_ok(), "a released slot is free again");
    }

    #[test]
    fn heavy_addresses_leave_room_for_light_clients() {
        let limiter = limiter(1000, 100);
        let heavy: IpAddr = "127.0.0.9".parse().expect("ip");
        let mut held = Vec::new();
        while let Ok(permit) = limiter.try_acquire(heavy) {
            held.push(permit);
        }
        assert_eq!(held.len(), 90, "a heavy address stops at 90% of capacity");
        let mut light = Vec::new();
        for i in 0..10u8 {
            light.push(
                limiter
                    .try_acquire(IpAddr::from([10, 0, 0, i]))
                    .expect("light client"),
            );
        }
        assert!(matches!(
            limiter.try_acquire(IpAddr::from([10, 0, 1, 1])),
            Err(Refusal::Full)
        ));
    }

    /// Past nine tenths of the cap, waiting connections are told to close their idle keep-alive sockets.
    #[tokio::test]
    async fn idle_connections_are_asked_to_close_near_the_cap() {
        let limiter = limiter(1000, 20);
        let mut held = Vec::new();
        for i in 0..17u8 {
            held.push(
                limiter
                    .try_acquire(IpAddr::from([10, 0, 0, i]))
                    .expect("below the mark"),
            );
        }
        let waiting = limiter.reclaim_requested();
        tokio::pin!(waiting);
        waiting.as_mut().enable();
        held.push(limiter.try_acquire(IpAddr::from([10, 0, 0, 17])).expect("18th"));
        assert!(
            tokio::time::timeout(Duration::from_millis(10), waiting.as_mut())
                .await
                .is_ok(),
            "the 18th of 20 connections (90%) asks idle ones to close"
        );
    }

    #[tokio::test]
    async fn no_reclaim_below_the_mark() {
        let limiter = limiter(1000, 20);
        let waiting = limiter.reclaim_requested();
        tokio::pin!(waiting);
        waiting.as_mut().enable();
        let mut held = Vec::new();
        for i in 0..17u8 {
            held.push(
                limiter
                    .try_acquire(IpAddr::from([10, 0, 0, i]))
                    .expect("below the mark"),
            );
        }
        assert!(
            tokio::time::timeout(Duration::from_millis(10), waiting.as_mut())
                .await
                .is_err(),
            "17 of 20 leaves idle connections alone"
        );
    }

    #[test]
    fn capacity_keeps_a_reserve() {
        assert_eq!(capacity_for_file_limit(1024), 896);
        assert_eq!(capacity_for_file_limit(4_096), 3_584);
        assert_eq!(capacity_for_file_limit(20_000), 19_488);
        assert_eq!(capacity_for_file_limit(100), 16);
    }
}
