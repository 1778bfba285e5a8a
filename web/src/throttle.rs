//! The web seeds' shared upload budget: one token bucket for every web-seed
//! response together (`web_seed.max_upload_bytes_per_second`), so the operator's
//! upload is capped however many viewers pull at once. Bodies are paced in small
//! slices; each slice reserves its bytes and waits until the bucket has paid them
//! back, so concurrent responses share the rate in the order they asked.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use axum::body::Body;
use bytes::Bytes;
use futures::StreamExt;

/// Largest slice of a body sent per reservation.
pub const SLICE: usize = 16 * 1024;

/// A shared byte-rate limiter.
pub struct Throttle {
    bytes_per_second: f64,
    burst: f64,
    /// Available bytes (negative: reserved ahead of time) and when last refilled.
    bucket: Mutex<(f64, Instant)>,
}

impl Throttle {
    /// A limiter for `bytes_per_second`; it lets through at most a tenth of a
    /// second's worth (and at least one slice) in a burst.
    pub fn new(bytes_per_second: u64) -> Self {
        let rate = bytes_per_second.max(1) as f64;
        let burst = (rate / 10.0).max(SLICE as f64);
        Self { bytes_per_second: rate, burst, bucket: Mutex::new((burst, Instant::now())) }
    }

    /// How long to wait before sending `n` bytes; the bytes are reserved at once.
    fn reserve(&self, n: usize) -> Duration {
        let mut bucket = match self.bucket.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = Instant::now();
        let (tokens, last) = &mut *bucket;
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.bytes_per_second).min(self.burst);
        *last = now;
        *tokens -= n as f64;
        if *tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-*tokens / self.bytes_per_second)
        }
    }

    /// Waits until `n` bytes may be sent.
    pub async fn take(&self, n: usize) {
        let wait = self.reserve(n);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// `body`, paced by `throttle` in slices of at most [`SLICE`] bytes.
pub fn throttled(throttle: Arc<Throttle>, body: Body) -> Body {
    let stream = body.into_data_stream();
    let paced =
        futures::stream::unfold((stream, Bytes::new(), throttle), |(mut stream, mut pending, throttle)| async move {
            if pending.is_empty() {
                match stream.next().await {
                    Some(Ok(bytes)) => pending = bytes,
                    Some(Err(e)) => return Some((Err(e), (stream, Bytes::new(), throttle))),
                    None => return None,
                }
            }
            let slice = pending.split_to(pending.len().min(SLICE));
            throttle.take(slice.len()).await;
            Some((Ok(slice), (stream, pending, throttle)))
        });
    Body::from_stream(paced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn concurrent_takers_share_one_rate() {
        let throttle = Arc::new(Throttle::new(1_000_000));
        let started = tokio::time::Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let t = throttle.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..64 {
                    t.take(SLICE).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        // 4 x 64 x 16 KiB = 4 MiB at 1 MB/s, less the initial burst of 100 kB.
        let secs = started.elapsed().as_secs_f64();
        let expected = (4.0 * 64.0 * SLICE as f64 - 100_000.0) / 1_000_000.0;
        assert!((secs - expected).abs() < 0.05, "took {secs} s, expected {expected} s");
    }
}
