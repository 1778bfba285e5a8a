//! The delivery schedule of one remote host: exponential backoff with jitter between
//! attempts on the head of its queue, a circuit breaker for dead hosts, and the expiry of
//! records that were retried for too long. Pure: every call takes `now` (Unix
//! milliseconds) and, where it draws a delay, a random number; the `RemoteInstanceActor`
//! drives it and the simulator may replay it.
//!
//! States: `Closed` (attempts follow the backoff), `Open` (after `breaker_failures`
//! consecutive failures: no attempt until `breaker_open_ms` passed), `HalfOpen` (the open
//! time passed: one probe; success closes, failure opens again).

use serde::{Deserialize, Serialize};

/// The knobs of the schedule (from `[federation]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Delay before the first retry, and the floor of every retry delay.
    pub initial_ms: u64,
    /// Ceiling of a retry delay.
    pub max_ms: u64,
    /// A record older than this is dropped instead of retried.
    pub max_age_ms: u64,
    /// Consecutive failures that open the breaker (0 = never).
    pub breaker_failures: u32,
    /// How long an open breaker leaves the host alone before one probe.
    pub breaker_open_ms: u64,
}

/// The circuit breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BreakerState {
    /// The host answers; attempts follow the backoff.
    Closed,
    /// The host is considered dead: no attempts until the open time passed.
    Open,
    /// The open time passed: the next attempt is a probe.
    HalfOpen,
}

impl BreakerState {
    /// A short lowercase name (metrics, stats).
    pub fn label(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// What to do with the head of the queue now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it.
    Attempt,
    /// Not before this time (Unix ms).
    WaitUntil(u64),
    /// It is expired and the host is failing: drop it without sending.
    DropExpired,
}

/// The schedule of one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSchedule {
    policy: BackoffPolicy,
    state: BreakerState,
    consecutive_failures: u32,
    /// No attempt before this time (Unix ms).
    next_attempt_ms: u64,
}

impl HostSchedule {
    /// A host with no failures: attempts go out right away.
    pub fn new(policy: BackoffPolicy) -> HostSchedule {
        HostSchedule { policy, state: BreakerState::Closed, consecutive_failures: 0, next_attempt_ms: 0 }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// The earliest time of the next attempt (Unix ms; 0 = now).
    pub fn next_attempt_ms(&self) -> u64 {
        self.next_attempt_ms
    }

    /// Whether a record enqueued at `enqueued_ms` is past the maximum age at `now_ms`.
    pub fn is_expired(&self, enqueued_ms: u64, now_ms: u64) -> bool {
        now_ms.saturating_sub(enqueued_ms) > self.policy.max_age_ms
    }

    /// What to do with a head record enqueued at `enqueued_ms`. An open breaker whose time
    /// has passed becomes half-open (the attempt is the probe). An expired head is dropped
    /// unsent only while the host is failing; a healthy host gets one attempt.
    pub fn decide(&mut self, enqueued_ms: u64, now_ms: u64) -> Decision {
        if self.consecutive_failures > 0 && self.is_expired(enqueued_ms, now_ms) {
            return Decision::DropExpired;
        }
        if now_ms < self.next_attempt_ms {
            return Decision::WaitUntil(self.next_attempt_ms);
        }
        if self.state == BreakerState::Open {
            self.state = BreakerState::HalfOpen;
        }
        Decision::Attempt
    }

    /// The host answered (2xx, or a 4xx that rejects one activity: the host is alive).
    pub fn on_answer(&mut self) {
        self.state = BreakerState::Closed;
        self.consecutive_failures = 0;
        self.next_attempt_ms = 0;
    }

    /// A retryable failure (network error, 5xx, 408, 429) at `now_ms`; `random` is any
    /// uniformly drawn number (it picks the jitter). Returns the time of the next attempt.
    pub fn on_failure(&mut self, now_ms: u64, random: u64) -> u64 {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let breaker = self.policy.breaker_failures;
        let opens = self.state == BreakerState::HalfOpen || (breaker > 0 && self.consecutive_failures >= breaker);
        if opens {
            self.state = BreakerState::Open;
            self.next_attempt_ms = now_ms.saturating_add(self.policy.breaker_open_ms);
        } else {
            self.next_attempt_ms =
                now_ms.saturating_add(retry_delay_ms(&self.policy, self.consecutive_failures, random));
        }
        self.next_attempt_ms
    }
}

/// The delay before retry number `failures` (1-based): uniform in
/// `[initial, min(max, initial * 2^(failures-1))]` ("full jitter" above the floor).
pub fn retry_delay_ms(policy: &BackoffPolicy, failures: u32, random: u64) -> u64 {
    let floor = policy.initial_ms.min(policy.max_ms);
    let shift = failures.saturating_sub(1).min(40);
    let cap = policy.initial_ms.saturating_mul(1u64 << shift).min(policy.max_ms).max(floor);
    let span = cap - floor;
    floor + if span == u64::MAX { random } else { random % (span + 1) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> BackoffPolicy {
        BackoffPolicy {
            initial_ms: 1_000,
            max_ms: 60_000,
            max_age_ms: 86_400_000,
            breaker_failures: 3,
            breaker_open_ms: 300_000,
        }
    }

    #[test]
    fn delays_grow_exponentially_within_jitter_bounds() {
        let p = policy();
        assert_eq!(retry_delay_ms(&p, 1, 12345), 1_000);
        assert_eq!(retry_delay_ms(&p, 2, 0), 1_000);
        assert_eq!(retry_delay_ms(&p, 2, 1_000), 2_000);
        assert_eq!(retry_delay_ms(&p, 3, 3_000), 4_000);
        assert_eq!(retry_delay_ms(&p, 30, 59_000), 60_000);
        assert_eq!(retry_delay_ms(&p, 30, 59_001), 1_000);
    }

    #[test]
    fn breaker_opens_after_consecutive_failures_then_probes_once() {
        let mut s = HostSchedule::new(policy());
        assert_eq!(s.decide(0, 10), Decision::Attempt);
        let at = s.on_failure(10, 0);
        assert_eq!(at, 1_010);
        assert_eq!(s.decide(0, 500), Decision::WaitUntil(1_010));
        assert_eq!(s.decide(0, 1_010), Decision::Attempt);
        s.on_failure(1_010, 0);
        assert_eq!(s.state(), BreakerState::Closed);
        let open_until = s.on_failure(3_000, 0);
        assert_eq!(s.state(), BreakerState::Open);
        assert_eq!(open_until, 303_000);
        assert_eq!(s.decide(0, 302_999), Decision::WaitUntil(303_000));
        assert_eq!(s.state(), BreakerState::Open);
        assert_eq!(s.decide(0, 303_000), Decision::Attempt);
        assert_eq!(s.state(), BreakerState::HalfOpen);
        // A failed probe opens it again for the whole open time.
        assert_eq!(s.on_failure(303_100, 0), 603_100);
        assert_eq!(s.state(), BreakerState::Open);
        assert_eq!(s.decide(0, 603_100), Decision::Attempt);
        s.on_answer();
        assert_eq!(s.state(), BreakerState::Closed);
        assert_eq!(s.consecutive_failures(), 0);
        assert_eq!(s.decide(0, 603_101), Decision::Attempt);
    }

    #[test]
    fn expired_heads_are_dropped_only_while_the_host_fails() {
        let mut s = HostSchedule::new(policy());
        let day = 86_400_000;
        assert_eq!(s.decide(0, day + 1), Decision::Attempt);
        s.on_failure(day + 1, 0);
        assert_eq!(s.decide(0, day + 2), Decision::DropExpired);
        assert_eq!(s.decide(day, day + 2), Decision::WaitUntil(day + 1_001));
    }

    #[test]
    fn a_zero_breaker_never_opens() {
        let mut s = HostSchedule::new(BackoffPolicy { breaker_failures: 0, ..policy() });
        for i in 0..100 {
            s.on_failure(i, i);
        }
        assert_eq!(s.state(), BreakerState::Closed);
    }

    proptest! {
        #[test]
        fn delay_is_within_floor_and_ceiling(initial in 0u64..10_000_000, max in 0u64..10_000_000, failures in 0u32..100, random: u64) {
            let p = BackoffPolicy { initial_ms: initial, max_ms: max, ..policy() };
            let d = retry_delay_ms(&p, failures, random);
            prop_assert!(d >= initial.min(max));
            prop_assert!(d <= max.max(initial.min(max)));
        }

        #[test]
        fn next_attempt_never_precedes_now(now in 0u64..u64::MAX / 2, random: u64, n in 1usize..30) {
            let mut s = HostSchedule::new(policy());
            for _ in 0..n {
                prop_assert!(s.on_failure(now, random) >= now);
            }
        }
    }
}
