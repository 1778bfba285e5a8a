//! Announces per client IP per minute: a fixed one-minute window per address,
//! shared by the HTTP and WebSocket trackers. Memory stays bounded: windows that
//! have ended are swept out once the table passes a size, and past a hard cap new
//! addresses are refused rather than tracked.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Addresses tracked before ended windows are swept.
const SWEEP_AT: usize = 16_384;
/// Addresses tracked at most; beyond, unknown addresses are refused until a sweep frees room.
const HARD_CAP: usize = 262_144;
/// Window length in seconds.
const WINDOW_SECS: u32 = 60;

/// Per-IP announce counter.
pub struct IpLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (u32, u32)>>,
}

impl IpLimiter {
    /// `per_minute == 0` disables the limit.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one announce from `ip` at `now_secs`; false when over the limit.
    pub fn allow(&self, ip: IpAddr, now_secs: u32) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let mut windows = match self.windows.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() >= SWEEP_AT && !windows.contains_key(&ip) {
            windows.retain(|_, (start, _)| now_secs.saturating_sub(*start) < WINDOW_SECS);
            if windows.len() >= HARD_CAP {
                return false;
            }
        }
        let (start, count) = windows.entry(ip).or_insert((now_secs, 0));
        if now_secs.saturating_sub(*start) >= WINDOW_SECS {
            *start = now_secs;
            *count = 0;
        }
        *count += 1;
        *count <= self.per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_address_per_window() {
        let limiter = IpLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow(a, 0)));
        assert!(!limiter.allow(a, 59));
        assert!(limiter.allow(b, 59), "another address has its own budget");
        assert!(limiter.allow(a, 60), "a new window starts");
    }

    #[test]
    fn many_addresses_stay_bounded() {
        let limiter = IpLimiter::new(1);
        for i in 0..(SWEEP_AT as u32 * 2) {
            let ip = IpAddr::from(i.to_be_bytes());
            limiter.allow(ip, i / 1000 * 61);
        }
        assert!(limiter.windows.lock().unwrap().len() <= SWEEP_AT + 1000);
    }
}
