//! What to do about one video's copies: min/max hysteresis in the manner of IPFS Cluster's
//! `replication_factor_min/max`, with a repair delay and a minimum copy lifetime.
//!
//! Inputs: the placed set (top k of [`hrw`](super::hrw) over members that are live *or lost
//! for less than `repair_delay`*, see [`Liveness::in_placement`]), the holders with their copy
//! state, creation time and liveness, the [`Policy`] and `now`. Rules:
//! 1. A placed live member without a copy fetches. A placed member that is lost (in its grace
//!    time) is neither replaced nor asked to fetch: a short absence triggers no copying.
//! 2. A live non-placed member still fetching cancels (its copy counts for nothing yet).
//! 3. A live non-placed complete copy younger than `min_lifetime` is never dropped.
//! 4. Once every placed member holds a live complete copy, older non-placed complete copies
//!    are dropped (so the count returns to k after a member comes back).
//! 5. Otherwise, complete copies above `replicas_max` are dropped, non-placed ones only.
//! 6. No drop ever leaves fewer than one live complete copy (rules 4 and 5 leave at least
//!    min(k, placed) — at least one — since only non-placed copies go).

use super::PlacementError;

/// Replication knobs (from `[redundancy]`): all durations in the unit of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    replicas: usize,
    replicas_max: usize,
    pub min_lifetime: u64,
    pub repair_delay: u64,
}

impl Policy {
    /// Checks `replicas >= 1` and `replicas_max >= replicas`.
    pub fn new(
        replicas: usize,
        replicas_max: usize,
        min_lifetime: u64,
        repair_delay: u64,
    ) -> Result<Self, PlacementError> {
        if replicas == 0 {
            return Err(PlacementError::ZeroReplicas);
        }
        if replicas_max < replicas {
            return Err(PlacementError::MaxBelowMin { min: replicas, max: replicas_max });
        }
        Ok(Policy { replicas, replicas_max, min_lifetime, repair_delay })
    }

    /// k.
    pub fn replicas(&self) -> usize {
        self.replicas
    }

    /// The upper bound before surplus is dropped.
    pub fn replicas_max(&self) -> usize {
        self.replicas_max
    }
}

/// What the local member knows of another's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Heard within `member_timeout`.
    Live,
    /// Silent past `member_timeout`; the loss was first seen at `since`.
    Lost { since: u64 },
}

impl Liveness {
    /// Whether the member takes part in placement at `now`: live, or lost for less than
    /// `repair_delay` (so that a short absence does not move its videos).
    pub fn in_placement(self, now: u64, repair_delay: u64) -> bool {
        match self {
            Liveness::Live => true,
            Liveness::Lost { since } => now.saturating_sub(since) < repair_delay,
        }
    }
}

/// The state of one copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyState {
    /// Every piece fetched and verified.
    Complete,
    /// Being fetched.
    Fetching,
}

/// A member holding (or fetching) the video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder<M> {
    pub member: M,
    pub state: CopyState,
    /// When the copy was started.
    pub created_at: u64,
    pub liveness: Liveness,
}

/// What should happen now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<M> {
    /// Members that should start fetching (placement order).
    pub fetch: Vec<M>,
    /// Members whose copy (or fetch) is surplus and should be dropped (or cancelled).
    pub drop: Vec<M>,
    /// The earliest time the answer may change without any membership or copy change
    /// (a young surplus copy reaching `min_lifetime`, a grace time ending).
    pub next_check: Option<u64>,
}

/// Decides for one video; `placed` is best first with each member's liveness.
pub fn decide<M: Ord + Clone>(
    placed: &[(M, Liveness)],
    holders: &[Holder<M>],
    policy: &Policy,
    now: u64,
) -> Decision<M> {
    let is_placed = |m: &M| placed.iter().any(|(p, l)| p == m && l.in_placement(now, policy.repair_delay));
    let holds = |m: &M| holders.iter().any(|h| &h.member == m);
    let mut next_check: Option<u64> = None;
    let mut wake = |t: u64| next_check = Some(next_check.map_or(t, |n: u64| n.min(t)));
    let mut fetch = Vec::new();
    for (m, l) in placed {
        match l {
            Liveness::Live if !holds(m) => fetch.push(m.clone()),
            Liveness::Lost { since } if l.in_placement(now, policy.repair_delay) => wake(since + policy.repair_delay),
            _ => {}
        }
    }
    let live_complete = |h: &&Holder<M>| h.liveness == Liveness::Live && h.state == CopyState::Complete;
    let mut drop: Vec<M> = holders
        .iter()
        .filter(|h| h.liveness == Liveness::Live && h.state == CopyState::Fetching && !is_placed(&h.member))
        .map(|h| h.member.clone())
        .collect();
    let complete = holders.iter().filter(live_complete).count();
    let placed_complete = holders.iter().filter(live_complete).filter(|h| is_placed(&h.member)).count();
    let mut surplus: Vec<&Holder<M>> = Vec::new();
    for h in holders.iter().filter(live_complete).filter(|h| !is_placed(&h.member)) {
        let old_at = h.created_at.saturating_add(policy.min_lifetime);
        if now >= old_at {
            surplus.push(h);
        } else {
            wake(old_at);
        }
    }
    surplus.sort_by(|a, b| a.member.cmp(&b.member));
    let all_placed_done = !placed.is_empty() && placed_complete == placed.len();
    let allowed = if all_placed_done { surplus.len() } else { complete.saturating_sub(policy.replicas_max) };
    // Never below one live complete copy, whatever the inputs.
    let allowed = allowed.min(surplus.len()).min(complete.saturating_sub(1));
    drop.extend(surplus.iter().take(allowed).map(|h| h.member.clone()));
    Decision { fetch, drop, next_check }
}
