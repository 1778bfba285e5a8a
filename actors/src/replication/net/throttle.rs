//! The token bucket that caps the bytes this node serves to other members
//! (`max_bytes_per_second`, 0 = unlimited), shared by every serving stream.
//!
//! Debt form: a send of `n` bytes always takes its tokens, possibly going below zero, and the
//! sender then waits until the bucket is back at zero. So any chunk size works, the long-run
//! rate is exact, and concurrent senders share it (each later one waits for the others' debt).
//! The bucket holds at most one second of tokens (the burst).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The pure bucket: `take(n, now)` returns how long to wait before sending.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `rate` bytes per second (0 = unlimited).
    pub fn new(rate: u64, now: Instant) -> Self {
        TokenBucket { rate, tokens: rate as f64, last: now }
    }

    /// Takes `n` bytes' worth of tokens at `now`; the caller waits the returned time, then sends.
    pub fn take(&mut self, n: u64, now: Instant) -> Duration {
        if self.rate == 0 {
            return Duration::ZERO;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.rate as f64).min(self.rate as f64);
        self.tokens -= n as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate as f64)
        }
    }
}

/// A bucket shared by tasks.
#[derive(Debug)]
pub struct Throttle {
    bucket: Option<Mutex<TokenBucket>>,
}

impl Throttle {
    /// `rate` bytes per second; 0 = unlimited.
    pub fn new(rate: u64) -> Self {
        Throttle { bucket: (rate > 0).then(|| Mutex::new(TokenBucket::new(rate, Instant::now()))) }
    }

    /// Waits until `n` more bytes may be sent.
    pub async fn acquire(&self, n: u64) {
        let Some(bucket) = &self.bucket else { return };
        let wait = match bucket.lock() {
            Ok(mut b) => b.take(n, Instant::now()),
            Err(poisoned) => poisoned.into_inner().take(n, Instant::now()),
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_holds_over_time_and_zero_is_unlimited() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1000, t0);
        assert_eq!(b.take(1000, t0), Duration::ZERO, "one second of burst");
        assert_eq!(b.take(500, t0), Duration::from_millis(500));
        // After the debt is paid, 1000 bytes cost one more second.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(b.take(1000, t1), Duration::from_secs(1));
        // A long pause refills at most one second's worth.
        let t2 = t1 + Duration::from_secs(100);
        assert_eq!(b.take(1000, t2), Duration::ZERO);
        assert!(b.take(1, t2) > Duration::ZERO);
        let mut free = TokenBucket::new(0, t0);
        assert_eq!(free.take(u64::MAX, t0), Duration::ZERO);
    }
}
