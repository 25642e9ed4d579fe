//! Keyed rate limits: one token bucket per key (a client address, an account name, a join code, a socket...),
//! with bounded memory.
//!
//! API:
//! - [`KeyedLimiter::new(rate, max_keys)`](KeyedLimiter::new) with a [`Rate`] (`burst` tokens, one more every
//!   `refill`) and the most keys remembered at once.
//! - [`check(&key)`](KeyedLimiter::check) takes one token: `Ok(())`, or `Err(Limited { retry_after })` when the
//!   bucket is empty (nothing is taken then). [`check_n`](KeyedLimiter::check_n) takes several.
//! - [`would_allow(&key)`](KeyedLimiter::would_allow) looks without taking (for checks that must not cost).
//! - [`refund(&key)`](KeyedLimiter::refund) gives a token back (e.g. a login that turned out right).
//! - [`Limited`] converts into a `429 too_many_requests` JSON error with a `Retry-After` header, so a handler
//!   can simply `limiter.check(&key)?` when it returns `Result<_, Response>`, or use
//!   [`Limited::into_response_with`] for a more specific code and message.
//!
//! Memory: a bucket that has refilled completely carries no information (it behaves like a new key), so such
//! buckets are dropped first when the table is full; if every remembered key is still limited, the key touched
//! least recently is dropped. The table never holds more than `max_keys` entries, at O(max_keys) cost for the
//! insert that finds it full (rare: only under a flood of distinct keys).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// A token bucket's shape: up to `burst` requests at once, then one every `refill`.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub burst: u32,
    pub refill: Duration,
}

impl Rate {
    pub const fn new(burst: u32, refill: Duration) -> Self {
        Self { burst, refill }
    }
}

/// A request refused by a limiter: try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds for `Retry-After`, rounded up (never 0, which would invite an immediate retry).
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        secs.max(1)
    }

    /// A `429` with the given code and message, and the `Retry-After` header.
    pub fn into_response_with(self, code: &'static str, message: impl Into<String>) -> Response {
        let secs = self.retry_after_secs();
        let mut response = AppError::new(StatusCode::TOO_MANY_REQUESTS, code, message)
            .with_details(serde_json::json!({"retry_after_seconds": secs}))
            .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        response
    }
}

impl IntoResponse for Limited {
    fn into_response(self) -> Response {
        let secs = self.retry_after_secs();
        self.into_response_with(
            "too_many_requests",
            format!("too many requests; try again in {secs} s"),
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens available at `updated`.
    tokens: f64,
    updated: Instant,
}

/// Token buckets by key. Cheap to share behind an `Arc`; one short mutex section per call.
pub struct KeyedLimiter<K> {
    rate: Rate,
    max_keys: usize,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(rate: Rate, max_keys: usize) -> Self {
        Self {
            rate: Rate {
                burst: rate.burst.max(1),
                refill: rate.refill.max(Duration::from_millis(1)),
            },
            max_keys: max_keys.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Take one token for `key`.
    pub fn check(&self, key: &K) -> Result<(), Limited> {
        self.check_n(key, 1)
    }

    /// Take `n` tokens for `key`, all or none.
    pub fn check_n(&self, key: &K, n: u32) -> Result<(), Limited> {
        self.check_n_at(key, n, Instant::now())
    }

    /// Whether [`check`](Self::check) would succeed now, without taking anything.
    pub fn would_allow(&self, key: &K) -> Result<(), Limited> {
        let now = Instant::now();
        let buckets = self.lock();
        match buckets.get(key) {
            None => Ok(()),
            Some(bucket) => self.wait_for(self.refilled(bucket, now), 1.0),
        }
    }

    /// Give one token back to `key` (never above the burst).
    pub fn refund(&self, key: &K) {
        let now = Instant::now();
        let mut buckets = self.lock();
        if let Some(bucket) = buckets.get_mut(key) {
            let now = now.max(bucket.updated);
            let tokens = self.refilled(bucket, now);
            *bucket = Bucket {
                tokens: (tokens + 1.0).min(f64::from(self.rate.burst)),
                updated: now,
            };
        }
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check_n_at(&self, key: &K, n: u32, now: Instant) -> Result<(), Limited> {
        let needed = f64::from(n);
        let mut buckets = self.lock();
        if !buckets.contains_key(key) && buckets.len() >= self.max_keys {
            self.evict(&mut buckets, now);
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: f64::from(self.rate.burst),
            updated: now,
        });
        // `now` was read before the lock: a caller that waited for it may carry an older instant than the
        // bucket's. Never move `updated` back, or the time between would be refilled twice.
        let now = now.max(bucket.updated);
        let tokens = self.refilled(bucket, now);
        self.wait_for(tokens, needed)?;
        *bucket = Bucket {
            tokens: tokens - needed,
            updated: now,
        };
        Ok(())
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.updated);
        let gained = elapsed.as_secs_f64() / self.rate.refill.as_secs_f64();
        (bucket.tokens + gained).min(f64::from(self.rate.burst))
    }

    fn wait_for(&self, tokens: f64, needed: f64) -> Result<(), Limited> {
        if tokens >= needed {
            return Ok(());
        }
        let missing = needed - tokens;
        Err(Limited {
            retry_after: self.rate.refill.mul_f64(missing),
        })
    }

    /// Make room for one key: drop full buckets; if none is full, drop the least recently touched one.
    fn evict(&self, buckets: &mut HashMap<K, Bucket>, now: Instant) {
        let burst = f64::from(self.rate.burst);
        buckets.retain(|_, bucket| self.refilled(bucket, now) < burst);
        if buckets.len() >= self.max_keys
            && let Some(oldest) = buckets
                .iter()
                .min_by_key(|(_, bucket)| bucket.updated)
                .map(|(key, _)| key.clone())
        {
            buckets.remove(&oldest);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Bucket>> {
        // A panic while holding this lock cannot leave a bucket half-written; keep limiting.
        self.buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, refill_ms: u64, max_keys: usize) -> KeyedLimiter<String> {
        KeyedLimiter::new(Rate::new(burst, Duration::from_millis(refill_ms)), max_keys)
    }

    #[test]
    fn burst_then_refused_then_refilled() {
        let l = limiter(3, 1000, 10);
        let t0 = Instant::now();
        let key = "a".to_string();
        for _ in 0..3 {
            assert!(l.check_n_at(&key, 1, t0).is_ok());
        }
        let refused = l.check_n_at(&key, 1, t0).expect_err("fourth is refused");
        assert_eq!(refused.retry_after, Duration::from_millis(1000));
        assert_eq!(refused.retry_after_secs(), 1);
        // Half a token after 500 ms: still refused, and told to wait the other half.
        let half = l
            .check_n_at(&key, 1, t0 + Duration::from_millis(500))
            .expect_err("half a token");
        assert_eq!(half.retry_after, Duration::from_millis(500));
        assert!(l.check_n_at(&key, 1, t0 + Duration::from_millis(1000)).is_ok());
        // Other keys are independent.
        assert!(l.check_n_at(&"b".to_string(), 3, t0).is_ok());
    }

    #[test]
    fn an_instant_read_before_a_later_one_mints_no_tokens() {
        // Concurrent callers read the clock before taking the lock, so they may arrive out of order.
        let l = limiter(2, 1000, 10);
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_millis(1000);
        let key = "k".to_string();
        l.check_n_at(&key, 1, t1).expect("first of the burst");
        l.check_n_at(&key, 1, t0)
            .expect("second of the burst, with an older instant");
        // Had the bucket moved back to t0, the second from t0 to t1 would refill a token now.
        assert!(
            l.check_n_at(&key, 1, t1).is_err(),
            "the same second is not refilled twice"
        );
        assert!(l.check_n_at(&key, 1, t1 + Duration::from_millis(1000)).is_ok());
    }

    #[test]
    fn refund_gives_back_at_most_the_burst() {
        let l = limiter(2, 60_000, 10);
        let key = "k".to_string();
        l.check(&key).expect("1");
        l.check(&key).expect("2");
        assert!(l.check(&key).is_err());
        assert!(l.would_allow(&key).is_err());
        l.refund(&key);
        assert!(l.would_allow(&key).is_ok());
        l.check(&key).expect("refunded");
        for _ in 0..5 {
            l.refund(&key);
        }
        l.check_n(&key, 2).expect("burst");
        assert!(l.check(&key).is_err(), "refunds never exceed the burst");
    }

    #[test]
    fn memory_is_bounded_and_limited_keys_survive_idle_ones() {
        let l = limiter(1, 60_000, 100);
        let t0 = Instant::now();
        let hot = "hot".to_string();
        l.check_n_at(&hot, 1, t0).expect("hot");
        for i in 0..10_000 {
            let _ = l.check_n_at(&format!("k{i}"), 1, t0 + Duration::from_millis(1 + i));
        }
        assert!(l.len() <= 100, "{} keys", l.len());
        // Every key is limited (burst 1, long refill), so the oldest went first: the hot key was evicted
        // only because it was the least recently touched. With a refilled bucket it would have gone first.
        let l = limiter(1, 10, 3);
        l.check_n_at(&"limited".to_string(), 1, t0 + Duration::from_millis(100))
            .expect("limited");
        l.check_n_at(&"idle".to_string(), 1, t0).expect("idle");
        l.check_n_at(&"x".to_string(), 1, t0 + Duration::from_millis(100))
            .expect("x");
        // At t0+105 "idle" has refilled (10 ms refill) and is dropped first; "limited" stays limited.
        l.check_n_at(&"y".to_string(), 1, t0 + Duration::from_millis(105))
            .expect("y");
        assert_eq!(l.len(), 3);
        assert!(
            l.check_n_at(&"limited".to_string(), 1, t0 + Duration::from_millis(105))
                .is_err()
        );
    }

    #[test]
    fn limited_is_a_429_with_retry_after() {
        let response = Limited {
            retry_after: Duration::from_millis(2500),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("3")
        );
    }
}
