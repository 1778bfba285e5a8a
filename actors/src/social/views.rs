//! View counting: at most one view per client IP per video per `views_dedup_secs`,
//! buffered in memory and written to the videos' records at each flush (every
//! `view_flush_interval_secs`), so a popular video costs one store write per interval.
//!
//! [`ViewCounter`] is the in-memory part and takes `now` (Unix seconds) as an argument,
//! so tests drive its clock. The dedup table is bounded: past `views_dedup_max_entries`
//! the oldest pairs are forgotten first (such a client could count again early).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use super::Social;
use crate::clock;
use crate::error::SocialError;
use crate::videos::repo;

/// Deduplication and buffered counts.
pub struct ViewCounter {
    state: Mutex<ViewState>,
}

struct ViewState {
    window_secs: u64,
    max_entries: usize,
    /// `(ip, video) -> expiry` of the last counted view.
    seen: HashMap<(IpAddr, u64), u64>,
    /// The same pairs in expiry order (expiries only grow: one window, a monotonic clock).
    expiries: VecDeque<(u64, IpAddr, u64)>,
    /// Local views not yet written, per video.
    local: HashMap<u64, u64>,
    /// Views reported by other instances, not yet written, per video.
    reported: HashMap<u64, u64>,
}

/// Counts taken out of the buffer by [`ViewCounter::take`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PendingViews {
    pub local: Vec<(u64, u64)>,
    pub reported: Vec<(u64, u64)>,
}

impl ViewCounter {
    /// A counter remembering each (IP, video) for `window_secs`, at most `max_entries` pairs.
    pub fn new(window_secs: u64, max_entries: usize) -> ViewCounter {
        ViewCounter {
            state: Mutex::new(ViewState {
                window_secs,
                max_entries: max_entries.max(1),
                seen: HashMap::new(),
                expiries: VecDeque::new(),
                local: HashMap::new(),
                reported: HashMap::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ViewState> {
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Counts a view of `video_id` from `ip` at `now` unless that IP was counted for that
    /// video within the window. Returns whether it counted.
    pub fn record(&self, video_id: u64, ip: IpAddr, now: u64) -> bool {
        let mut state = self.state();
        state.forget_expired(now);
        if state.seen.get(&(ip, video_id)).is_some_and(|&expiry| expiry > now) {
            return false;
        }
        while state.seen.len() >= state.max_entries {
            if !state.forget_oldest() {
                break;
            }
        }
        let expiry = now.saturating_add(state.window_secs);
        state.seen.insert((ip, video_id), expiry);
        state.expiries.push_back((expiry, ip, video_id));
        *state.local.entry(video_id).or_default() += 1;
        true
    }

    /// Buffers `n` views another instance reported for `video_id`.
    pub fn add_reported(&self, video_id: u64, n: u64) {
        let mut state = self.state();
        let slot = state.reported.entry(video_id).or_default();
        *slot = slot.saturating_add(n);
    }

    /// Takes every buffered count out (they are written by the caller).
    pub fn take(&self) -> PendingViews {
        let mut state = self.state();
        let mut local: Vec<_> = state.local.drain().collect();
        let mut reported: Vec<_> = state.reported.drain().collect();
        local.sort_unstable();
        reported.sort_unstable();
        PendingViews { local, reported }
    }

    /// Puts counts back after a failed write, so they go out at the next flush.
    pub fn restore(&self, pending: PendingViews) {
        let mut state = self.state();
        for (video, n) in pending.local {
            *state.local.entry(video).or_default() += n;
        }
        for (video, n) in pending.reported {
            *state.reported.entry(video).or_default() += n;
        }
    }

    /// (IP, video) pairs currently remembered.
    pub fn remembered(&self) -> usize {
        self.state().seen.len()
    }
}

impl ViewState {
    fn forget_expired(&mut self, now: u64) {
        while self.expiries.front().is_some_and(|&(expiry, _, _)| expiry <= now) {
            self.forget_oldest();
        }
    }

    /// Drops the pair with the earliest expiry; false when there is none.
    fn forget_oldest(&mut self) -> bool {
        let Some((expiry, ip, video)) = self.expiries.pop_front() else { return false };
        if self.seen.get(&(ip, video)) == Some(&expiry) {
            self.seen.remove(&(ip, video));
        }
        true
    }
}

impl Social {
    /// Counts a view of a video from a client IP (deduplicated; written at the next flush).
    /// Returns whether it counted.
    pub fn record_view(&self, video_id: u64, ip: IpAddr) -> bool {
        self.inner.views.record(video_id, ip, clock::unix_secs())
    }

    /// Adds `n` views another instance reported for a video (written at the next flush,
    /// without telling the hook).
    pub fn add_views(&self, video_id: u64, n: u64) {
        self.inner.views.add_reported(video_id, n);
    }

    /// Writes the buffered counts to the videos' records, flushes the store, then tells
    /// the hook each video's local count. Returns the number of views written. On a store
    /// failure the counts not yet written stay buffered for the next flush.
    pub async fn flush_views(&self) -> Result<u64, SocialError> {
        let pending = self.inner.views.take();
        let mut written = Vec::new();
        let mut total = 0u64;
        let mut remaining = PendingViews::default();
        let mut failure = None;
        for (is_local, list) in [(true, pending.local), (false, pending.reported)] {
            for (video_id, n) in list {
                if failure.is_some() {
                    push(&mut remaining, is_local, video_id, n);
                    continue;
                }
                match repo::update(self.store(), video_id, |v| v.views = v.views.saturating_add(n)) {
                    Ok(Some(video)) => {
                        total += n;
                        if is_local {
                            written.push((video, n));
                        }
                    }
                    // The video was deleted meanwhile: its views go with it.
                    Ok(None) => {}
                    Err(e) => {
                        push(&mut remaining, is_local, video_id, n);
                        failure = Some(e);
                    }
                }
            }
        }
        self.inner.views.restore(remaining);
        if total > 0 {
            self.store().flush().await?;
        }
        let hook = self.hook();
        for (video, n) in &written {
            hook.views_flushed(video, *n);
        }
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(total),
        }
    }

    /// Runs [`Social::flush_views`] every `interval` until the task is aborted.
    pub fn spawn_view_flusher(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let social = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(10)));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                if let Err(e) = social.flush_views().await {
                    tracing::warn!(error = %e, "writing view counts failed; kept for the next flush");
                }
            }
        })
    }
}

fn push(pending: &mut PendingViews, is_local: bool, video_id: u64, n: u64) {
    if is_local {
        pending.local.push((video_id, n));
    } else {
        pending.reported.push((video_id, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[test]
    fn one_view_per_ip_per_video_per_window() {
        let views = ViewCounter::new(3600, 1000);
        assert!(views.record(1, ip(1), 100));
        assert!(!views.record(1, ip(1), 101));
        assert!(!views.record(1, ip(1), 3699));
        assert!(views.record(2, ip(1), 101), "another video counts");
        assert!(views.record(1, ip(2), 101), "another IP counts");
        assert!(views.record(1, ip(1), 3700), "after the window it counts again");
        assert_eq!(views.take().local, vec![(1, 3), (2, 1)]);
        assert_eq!(views.take(), PendingViews::default(), "taking empties the buffer");
    }

    #[test]
    fn dedup_table_stays_bounded_and_forgets_the_oldest() {
        let views = ViewCounter::new(3600, 3);
        for last in 1..=10 {
            assert!(views.record(1, ip(last), 10));
            assert!(views.remembered() <= 3);
        }
        assert!(!views.record(1, ip(10), 11), "the newest is remembered");
        assert!(views.record(1, ip(1), 11), "the oldest was forgotten");
    }

    #[test]
    fn expired_pairs_are_forgotten() {
        let views = ViewCounter::new(60, 1000);
        for last in 1..=50 {
            views.record(1, ip(last), 0);
        }
        assert_eq!(views.remembered(), 50);
        views.record(2, ip(1), 61);
        assert_eq!(views.remembered(), 1);
    }

    #[test]
    fn restore_adds_back() {
        let views = ViewCounter::new(60, 10);
        views.record(1, ip(1), 0);
        views.add_reported(2, 5);
        let taken = views.take();
        assert_eq!(taken.reported, vec![(2, 5)]);
        views.add_reported(2, 1);
        views.restore(taken);
        let again = views.take();
        assert_eq!(again.local, vec![(1, 1)]);
        assert_eq!(again.reported, vec![(2, 6)]);
    }
}
