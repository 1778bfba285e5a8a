//! Per-host rate limit of inbox POSTs: a token bucket per sending host (the host of the
//! signature's key), refilled continuously, with a bounded table of hosts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Hosts tracked at most; past it the oldest-refilled entries are dropped.
const MAX_HOSTS: usize = 10_000;

/// The limiter. `per_minute` = 0 disables it.
pub struct InboxLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl InboxLimiter {
    pub fn new(per_minute: u32) -> InboxLimiter {
        InboxLimiter { per_minute, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `host`; false when its bucket is empty.
    pub fn allow(&self, host: &str) -> bool {
        self.allow_at(host, Instant::now())
    }

    fn allow_at(&self, host: &str, now: Instant) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let capacity = f64::from(self.per_minute);
        let Ok(mut buckets) = self.buckets.lock() else { return true };
        if buckets.len() >= MAX_HOSTS && !buckets.contains_key(host) {
            let oldest = buckets.iter().min_by_key(|(_, (_, at))| *at).map(|(h, _)| h.clone());
            if let Some(oldest) = oldest {
                buckets.remove(&oldest);
            }
        }
        let (tokens, at) = buckets.entry(host.to_string()).or_insert((capacity, now));
        let refill = now.saturating_duration_since(*at).as_secs_f64() * capacity / 60.0;
        *tokens = (*tokens + refill).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_empties_and_refills() {
        let limiter = InboxLimiter::new(60);
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(limiter.allow_at("a", t0));
        }
        assert!(!limiter.allow_at("a", t0));
        assert!(limiter.allow_at("b", t0), "hosts are independent");
        assert!(limiter.allow_at("a", t0 + Duration::from_secs(1)), "one token per second");
        assert!(!limiter.allow_at("a", t0 + Duration::from_secs(1)));
        assert!(InboxLimiter::new(0).allow("x"));
    }
}
