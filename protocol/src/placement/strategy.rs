//! PeerTube's redundancy strategies (`most-views`, `trending`, `recently-added`) as one
//! deterministic selection: given the candidate videos of followed instances, what this
//! node already holds and `now`, which videos each strategy keeps, extends, fetches and
//! drops.
//!
//! How PeerTube does it (`lib/schedulers/videos-redundancy-scheduler.ts`,
//! `models/redundancy/video-redundancy.ts`): every check interval, each configured strategy
//! in turn picks **one** video at random among the top 5 (`RANDOMIZED_FACTOR`) of public,
//! non-live remote videos of servers with `redundancyAllowed`, ordered by `-views`,
//! `-trending` or `-publishedAt` (with `views >= minViews` for `recently-added`), that the
//! instance does not already duplicate (by any strategy); it evicts the strategy's oldest
//! copies older than `minLifetime` while the strategy's total would exceed `size`, skips the
//! video if it still does not fit, and duplicates it with `expiresOn = now + minLifetime`.
//! Copies whose `expiresOn` passed are extended by `minLifetime` unless the strategy is gone
//! or its total is over `size`, in which case they are removed.
//!
//! Where this differs, and why:
//! - **No random factor.** Ties are broken by video id, so every run (and every node with the
//!   same inputs) computes the same answer, and tests can state it. PeerTube randomises to
//!   spread instances over different videos; Shoal's cooperating nodes coordinate with
//!   placement instead (see [`hrw`](super::hrw)).
//! - **The whole budget at once.** Each run fills a strategy's `size` greedily in rank order
//!   (a video too big for what is left is skipped, smaller ones after it may still fit),
//!   instead of one video per check interval. The result is the same set PeerTube converges
//!   to, without waiting `size / video` intervals.
//! - **Expiry follows the ranking.** A copy is kept, whatever its rank, until it expires
//!   (`min_lifetime` after it was made or last extended; it counts against the budget while
//!   kept). When it expires it is extended by `min_lifetime` if the strategy would still
//!   select it, and dropped otherwise. PeerTube extends every expired copy while the
//!   strategy's total fits and only evicts to make room, so a copy of a video nobody watches
//!   any more can stay for ever; here the budget goes to what the strategy ranks now.
//! - A held copy whose video is no longer a candidate (its host disallowed redundancy, the
//!   video was deleted or made private) is dropped at once, as PeerTube's
//!   `removeRedundanciesOfServer` and its cascades do.
//! - A copy of a strategy that is no longer configured is kept until it expires, then
//!   dropped (as PeerTube's `extendsLocalExpiration`).
//!
//! Pure: times are plain numbers in any unit (the same for `now`, `published_at`,
//! `expires_at` and `min_lifetime`).

use std::collections::{HashMap, HashSet};

/// PeerTube's strategy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StrategyName {
    MostViews,
    Trending,
    RecentlyAdded,
}

impl StrategyName {
    /// PeerTube's label (`most-views`, `trending`, `recently-added`).
    pub fn label(self) -> &'static str {
        match self {
            StrategyName::MostViews => "most-views",
            StrategyName::Trending => "trending",
            StrategyName::RecentlyAdded => "recently-added",
        }
    }

    /// The strategy a label names.
    pub fn from_label(label: &str) -> Option<StrategyName> {
        match label {
            "most-views" => Some(StrategyName::MostViews),
            "trending" => Some(StrategyName::Trending),
            "recently-added" => Some(StrategyName::RecentlyAdded),
            _ => None,
        }
    }
}

/// One configured strategy (`[[redundancy.strategies]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrategyPolicy {
    pub name: StrategyName,
    /// Bytes this strategy may fill.
    pub size: u64,
    /// How long a copy is kept at least, and how far an expiry is pushed when extended.
    pub min_lifetime: u64,
    /// `recently-added` only: views a video needs to be a candidate.
    pub min_views: u64,
}

/// A video this node could mirror: public, remote, of a host that allows redundancy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// A stable id (the local video id).
    pub video: u64,
    /// Bytes of every file a copy takes.
    pub size: u64,
    /// Total views.
    pub views: u64,
    /// Views within the trending window.
    pub trending_views: u64,
    /// Publication time.
    pub published_at: u64,
}

/// Who made a copy this node holds (or is fetching).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldBy {
    /// A strategy; `expires_at` is when it must be extended or dropped.
    Strategy { name: StrategyName, expires_at: u64 },
    /// Something else (a manual request, placement among members): strategies leave it
    /// alone and never select its video.
    Other,
}

/// A video this node holds a copy of (complete or being fetched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub video: u64,
    /// Bytes the copy takes.
    pub size: u64,
    pub by: HeldBy,
}

/// What a strategy does about one video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Not held yet, selected: fetch it, expiring at `expires_at`.
    Fetch { expires_at: u64 },
    /// Held and not expired: keep it as it is.
    Keep { expires_at: u64 },
    /// Held, expired and still selected: keep it, with a new expiry.
    Extend { expires_at: u64 },
    /// Held and dropped.
    Drop(DropReason),
}

/// Why a held copy is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Expired and the strategy no longer selects it (ranked out, or over budget).
    NotSelected,
    /// The video is not a candidate any more (host disallowed, deleted, not public).
    NotCandidate,
    /// Expired and its strategy is no longer configured.
    StrategyRemoved,
}

/// One decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub video: u64,
    pub strategy: StrategyName,
    pub action: Action,
}

/// A strategy's ranking of the candidates, best first, ties by video id.
pub fn rank<'a>(policy: &StrategyPolicy, candidates: &'a [Candidate]) -> Vec<&'a Candidate> {
    let mut ranked: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| policy.name != StrategyName::RecentlyAdded || c.views >= policy.min_views)
        .collect();
    match policy.name {
        StrategyName::MostViews => ranked.sort_by(|a, b| b.views.cmp(&a.views).then(a.video.cmp(&b.video))),
        StrategyName::Trending => {
            ranked.sort_by(|a, b| b.trending_views.cmp(&a.trending_views).then(a.video.cmp(&b.video)))
        }
        StrategyName::RecentlyAdded => {
            ranked.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(a.video.cmp(&b.video)))
        }
    }
    ranked
}

/// Every strategy's decisions, in `policies` order (an earlier strategy gets first pick, as
/// PeerTube runs them in configuration order), then the drops of strategies no longer
/// configured. `held` has one entry per video (later ones for the same video are ignored).
/// Each held strategy copy gets exactly one outcome; copies held by [`HeldBy::Other`] get
/// none. The same inputs give the same outcomes, in the same order.
pub fn select(policies: &[StrategyPolicy], candidates: &[Candidate], held: &[Held], now: u64) -> Vec<Outcome> {
    let candidate_ids: HashSet<u64> = candidates.iter().map(|c| c.video).collect();
    // A video is claimed once: by whoever holds it, or by the first strategy that picks it.
    let mut claimed: HashMap<u64, Option<StrategyName>> = HashMap::new();
    for h in held {
        let by = match h.by {
            HeldBy::Strategy { name, .. } => Some(name),
            HeldBy::Other => None,
        };
        claimed.entry(h.video).or_insert(by);
    }
    let mut out = Vec::new();
    let mut seen_policies = HashSet::new();
    for policy in policies {
        if !seen_policies.insert(policy.name) {
            continue; // a strategy configured twice counts once (the first)
        }
        let mut used = 0u64;
        let mut decided: HashSet<u64> = HashSet::new();
        let mut expired: HashMap<u64, u64> = HashMap::new();
        for h in held.iter().filter(|h| claimed.get(&h.video) == Some(&Some(policy.name))) {
            let HeldBy::Strategy { name, expires_at } = h.by else { continue };
            if name != policy.name || decided.contains(&h.video) || expired.contains_key(&h.video) {
                continue;
            }
            if !candidate_ids.contains(&h.video) {
                decided.insert(h.video);
                let action = Action::Drop(DropReason::NotCandidate);
                out.push(Outcome { video: h.video, strategy: policy.name, action });
            } else if expires_at > now {
                decided.insert(h.video);
                used = used.saturating_add(h.size);
                out.push(Outcome { video: h.video, strategy: policy.name, action: Action::Keep { expires_at } });
            } else {
                expired.insert(h.video, h.size);
            }
        }
        let new_expiry = now.saturating_add(policy.min_lifetime);
        for c in rank(policy, candidates) {
            if decided.contains(&c.video) {
                continue;
            }
            let held_expired = expired.contains_key(&c.video);
            match claimed.get(&c.video) {
                Some(Some(name)) if *name == policy.name && held_expired => {}
                None => {}
                _ => continue, // held by someone else, or picked by an earlier strategy
            }
            let size = expired.get(&c.video).map_or(c.size, |held| (*held).max(c.size));
            if used.saturating_add(size) > policy.size {
                continue;
            }
            used += size;
            decided.insert(c.video);
            claimed.insert(c.video, Some(policy.name));
            let action = if held_expired {
                Action::Extend { expires_at: new_expiry }
            } else {
                Action::Fetch { expires_at: new_expiry }
            };
            out.push(Outcome { video: c.video, strategy: policy.name, action });
        }
        let mut leftover: Vec<u64> = expired.keys().copied().filter(|v| !decided.contains(v)).collect();
        leftover.sort_unstable();
        for video in leftover {
            out.push(Outcome { video, strategy: policy.name, action: Action::Drop(DropReason::NotSelected) });
        }
    }
    // Copies of strategies no longer configured: kept until they expire, then dropped.
    let mut gone: Vec<(u64, StrategyName, u64)> = held
        .iter()
        .filter_map(|h| match h.by {
            HeldBy::Strategy { name, expires_at } if !seen_policies.contains(&name) => {
                Some((h.video, name, expires_at))
            }
            _ => None,
        })
        .collect();
    gone.sort_unstable();
    gone.dedup_by_key(|g| (g.0, g.1));
    for (video, strategy, expires_at) in gone {
        let action = if !candidate_ids.contains(&video) {
            Action::Drop(DropReason::NotCandidate)
        } else if expires_at > now {
            Action::Keep { expires_at }
        } else {
            Action::Drop(DropReason::StrategyRemoved)
        };
        out.push(Outcome { video, strategy, action });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1_000;

    fn c(video: u64, size: u64, views: u64, trending: u64, published: u64) -> Candidate {
        Candidate { video, size, views, trending_views: trending, published_at: published }
    }

    fn policy(name: StrategyName, size: u64) -> StrategyPolicy {
        StrategyPolicy { name, size, min_lifetime: 100, min_views: 0 }
    }

    fn held(video: u64, size: u64, name: StrategyName, expires_at: u64) -> Held {
        Held { video, size, by: HeldBy::Strategy { name, expires_at } }
    }

    fn action_of(out: &[Outcome], video: u64) -> Option<Action> {
        out.iter().find(|o| o.video == video).map(|o| o.action)
    }

    #[test]
    fn most_views_fills_the_budget_in_rank_order_skipping_what_does_not_fit() {
        let cands = [c(1, 4 * GB, 10, 0, 0), c(2, 5 * GB, 50, 0, 0), c(3, 2 * GB, 30, 0, 0), c(4, GB, 5, 0, 0)];
        let out = select(&[policy(StrategyName::MostViews, 8 * GB)], &cands, &[], 1_000);
        // Ranked 2 (50), 3 (30), 1 (10), 4 (5): 2 and 3 fill 7, 1 does not fit, 4 does.
        let fetched: Vec<u64> =
            out.iter().filter(|o| matches!(o.action, Action::Fetch { .. })).map(|o| o.video).collect();
        assert_eq!(fetched, vec![2, 3, 4]);
        assert_eq!(action_of(&out, 2), Some(Action::Fetch { expires_at: 1_100 }));
        assert_eq!(action_of(&out, 1), None);
    }

    #[test]
    fn trending_ranks_by_window_views_and_recently_added_by_date_with_min_views() {
        let cands = [c(1, 1, 100, 1, 10), c(2, 1, 5, 9, 30), c(3, 1, 2, 5, 40)];
        let trending = select(&[policy(StrategyName::Trending, 1)], &cands, &[], 0);
        assert_eq!(trending.iter().map(|o| o.video).collect::<Vec<_>>(), vec![2]);
        let recent = StrategyPolicy { min_views: 3, ..policy(StrategyName::RecentlyAdded, 1) };
        // Video 3 is newest but has 2 views < 3: video 2 is next.
        let out = select(&[recent], &cands, &[], 0);
        assert_eq!(out.iter().map(|o| o.video).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn ties_are_broken_by_video_id_whatever_the_input_order() {
        let mut cands = vec![c(9, 1, 7, 0, 0), c(3, 1, 7, 0, 0), c(5, 1, 7, 0, 0)];
        let p = [policy(StrategyName::MostViews, 2)];
        let a = select(&p, &cands, &[], 0);
        cands.reverse();
        let b = select(&p, &cands, &[], 0);
        assert_eq!(a, b);
        assert_eq!(a.iter().map(|o| o.video).collect::<Vec<_>>(), vec![3, 5]);
    }

    #[test]
    fn an_unexpired_copy_is_kept_even_ranked_out_and_counts_against_the_budget() {
        let cands = [c(1, 5, 1, 0, 0), c(2, 5, 100, 0, 0), c(3, 5, 50, 0, 0)];
        let h = [held(1, 5, StrategyName::MostViews, 500)];
        let out = select(&[policy(StrategyName::MostViews, 10)], &cands, &h, 200);
        assert_eq!(action_of(&out, 1), Some(Action::Keep { expires_at: 500 }));
        assert_eq!(action_of(&out, 2), Some(Action::Fetch { expires_at: 300 }));
        assert_eq!(action_of(&out, 3), None, "the kept copy uses half the budget");
    }

    #[test]
    fn an_expired_copy_is_extended_if_still_selected_and_dropped_otherwise() {
        let cands = [c(1, 5, 1, 0, 0), c(2, 5, 100, 0, 0), c(3, 5, 50, 0, 0)];
        let h = [held(1, 5, StrategyName::MostViews, 150), held(2, 5, StrategyName::MostViews, 150)];
        let out = select(&[policy(StrategyName::MostViews, 10)], &cands, &h, 200);
        assert_eq!(action_of(&out, 2), Some(Action::Extend { expires_at: 300 }));
        assert_eq!(action_of(&out, 3), Some(Action::Fetch { expires_at: 300 }));
        assert_eq!(action_of(&out, 1), Some(Action::Drop(DropReason::NotSelected)));
        assert_eq!(out.len(), 3, "one outcome per video: {out:?}");
    }

    #[test]
    fn a_copy_of_a_video_no_longer_a_candidate_is_dropped_at_once() {
        let h = [held(7, 5, StrategyName::Trending, 10_000)];
        let out = select(&[policy(StrategyName::Trending, 10)], &[], &h, 0);
        assert_eq!(
            out,
            vec![Outcome {
                video: 7,
                strategy: StrategyName::Trending,
                action: Action::Drop(DropReason::NotCandidate)
            }]
        );
    }

    #[test]
    fn a_video_is_taken_once_and_others_copies_are_left_alone() {
        let cands = [c(1, 1, 100, 100, 100), c(2, 1, 50, 50, 50), c(3, 1, 10, 10, 10)];
        let h = [Held { video: 1, size: 1, by: HeldBy::Other }];
        let out = select(
            &[
                policy(StrategyName::MostViews, 1),
                policy(StrategyName::Trending, 1),
                policy(StrategyName::RecentlyAdded, 1),
            ],
            &cands,
            &h,
            0,
        );
        // 1 is held manually: most-views takes 2, trending then 3, recently-added nothing left.
        let picks: Vec<(u64, StrategyName)> = out.iter().map(|o| (o.video, o.strategy)).collect();
        assert_eq!(picks, vec![(2, StrategyName::MostViews), (3, StrategyName::Trending)]);
    }

    #[test]
    fn a_removed_strategy_keeps_its_copies_until_they_expire() {
        let cands = [c(1, 1, 1, 0, 0), c(2, 1, 1, 0, 0)];
        let h = [held(1, 1, StrategyName::Trending, 50), held(2, 1, StrategyName::Trending, 500)];
        let out = select(&[policy(StrategyName::MostViews, 0)], &cands, &h, 100);
        assert_eq!(action_of(&out, 1), Some(Action::Drop(DropReason::StrategyRemoved)));
        assert_eq!(action_of(&out, 2), Some(Action::Keep { expires_at: 500 }));
    }

    #[test]
    fn a_lower_budget_drops_expired_copies_beyond_it() {
        let cands = [c(1, 6, 100, 0, 0), c(2, 6, 50, 0, 0)];
        let h = [held(1, 6, StrategyName::MostViews, 10), held(2, 6, StrategyName::MostViews, 10)];
        let out = select(&[policy(StrategyName::MostViews, 10)], &cands, &h, 20);
        assert_eq!(action_of(&out, 1), Some(Action::Extend { expires_at: 120 }));
        assert_eq!(action_of(&out, 2), Some(Action::Drop(DropReason::NotSelected)));
    }

    #[test]
    fn labels_round_trip() {
        for s in [StrategyName::MostViews, StrategyName::Trending, StrategyName::RecentlyAdded] {
            assert_eq!(StrategyName::from_label(s.label()), Some(s));
        }
        assert_eq!(StrategyName::from_label("manual"), None);
    }
}
