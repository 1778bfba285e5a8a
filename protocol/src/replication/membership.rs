//! Who is in the federation right now: the pure membership state machine.
//!
//! Inputs: [`Membership::observe`] for every announcement from a trusted member (the local
//! node may observe its own too), [`Membership::forget`] when a member stops being trusted.
//! Output: [`Membership::tick`]`(now)`, called after each input and periodically (at least
//! every `member_timeout / 2`, or at [`Membership::next_deadline`]), returns what changed
//! since the last tick: [`MembershipEvent::Joined`], [`MembershipEvent::Lost`],
//! [`MembershipEvent::Returned`], in the order they happened.
//!
//! A member is lost when it has been silent for *more than* `member_timeout` (silent for
//! exactly the timeout is still live); its loss time is the instant the timeout ran out
//! (`last_heard + member_timeout`), not the tick that noticed it, so that the answer does not
//! depend on how often `tick` runs. Times are in any unit, the same as `member_timeout`.
//! Placement inputs: [`Membership::live_members`] (weights = `capacity_bytes`) and
//! [`Membership::liveness`] for [`placement::decide`](crate::placement::decide).

use std::collections::BTreeMap;

use super::frames::Announcement;
use crate::placement::{Liveness, Member, MemberId};

/// A change in membership, as returned by [`Membership::tick`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipEvent<P> {
    /// First announcement ever seen from this member.
    Joined(P),
    /// Silent past `member_timeout`.
    Lost(P),
    /// A lost member announced again.
    Returned(P),
}

/// What [`Membership::observe`] made of an announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// A newer announcement: its content replaced the member's.
    Fresh,
    /// Its `seq` is not above the last one kept: it proves the member is alive, but its
    /// content is ignored (a duplicate or a reordered older one).
    Stale,
}

/// One member's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    /// The newest announcement (highest `seq`).
    pub announcement: Announcement,
    /// When anything was last heard from it.
    pub last_heard: u64,
    pub liveness: Liveness,
}

/// The membership table, keyed by `P` (the actors use libp2p's `PeerId`).
#[derive(Debug, Clone)]
pub struct Membership<P> {
    member_timeout: u64,
    members: BTreeMap<P, MemberState>,
    pending: Vec<MembershipEvent<P>>,
}

impl<P: Ord + Clone> Membership<P> {
    /// An empty table; a member silent more than `member_timeout` is lost.
    pub fn new(member_timeout: u64) -> Self {
        Membership { member_timeout, members: BTreeMap::new(), pending: Vec::new() }
    }

    /// The configured timeout.
    pub fn member_timeout(&self) -> u64 {
        self.member_timeout
    }

    /// Takes an announcement from `peer` received at `now`. A first one queues `Joined`; one
    /// from a lost member queues `Returned` (see [`Membership::tick`]).
    pub fn observe(&mut self, peer: P, announcement: Announcement, now: u64) -> Observed {
        match self.members.get_mut(&peer) {
            None => {
                self.members
                    .insert(peer.clone(), MemberState { announcement, last_heard: now, liveness: Liveness::Live });
                self.pending.push(MembershipEvent::Joined(peer));
                Observed::Fresh
            }
            Some(state) => {
                // A late message never moves the clock back.
                state.last_heard = state.last_heard.max(now);
                if let Liveness::Lost { .. } = state.liveness {
                    state.liveness = Liveness::Live;
                    self.pending.push(MembershipEvent::Returned(peer));
                }
                if announcement.seq > state.announcement.seq {
                    state.announcement = announcement;
                    Observed::Fresh
                } else {
                    Observed::Stale
                }
            }
        }
    }

    /// Removes `peer` (no longer trusted); no event. Returns whether it was known.
    pub fn forget(&mut self, peer: &P) -> bool {
        self.pending.retain(|e| match e {
            MembershipEvent::Joined(p) | MembershipEvent::Lost(p) | MembershipEvent::Returned(p) => p != peer,
        });
        self.members.remove(peer).is_some()
    }

    /// Marks members silent past the timeout at `now` as lost, and returns every change since
    /// the last call (queued `Joined`/`Returned`, then new `Lost`, by member order).
    pub fn tick(&mut self, now: u64) -> Vec<MembershipEvent<P>> {
        let mut events = std::mem::take(&mut self.pending);
        for (peer, state) in &mut self.members {
            if state.liveness == Liveness::Live && now.saturating_sub(state.last_heard) > self.member_timeout {
                state.liveness = Liveness::Lost { since: state.last_heard.saturating_add(self.member_timeout) };
                events.push(MembershipEvent::Lost(peer.clone()));
            }
        }
        events
    }

    /// The earliest time a live member can become lost (the next useful `tick`), if any.
    pub fn next_deadline(&self) -> Option<u64> {
        self.members
            .values()
            .filter(|s| s.liveness == Liveness::Live)
            .map(|s| s.last_heard.saturating_add(self.member_timeout).saturating_add(1))
            .min()
    }

    /// A member's liveness as of the last [`Membership::tick`].
    pub fn liveness(&self, peer: &P) -> Option<Liveness> {
        self.members.get(peer).map(|s| s.liveness)
    }

    /// A member's state.
    pub fn get(&self, peer: &P) -> Option<&MemberState> {
        self.members.get(peer)
    }

    /// Every known member (live or lost), ordered by key.
    pub fn iter(&self) -> impl Iterator<Item = (&P, &MemberState)> {
        self.members.iter()
    }

    /// Number of known members (live or lost).
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// No member known.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The live members as placement members, weighted by `capacity_bytes`; `id` maps a key
    /// to its placement id (e.g. `|p| MemberId::from(p.to_bytes())`).
    pub fn live_members(&self, id: impl Fn(&P) -> MemberId) -> Vec<Member> {
        self.members
            .iter()
            .filter(|(_, s)| s.liveness == Liveness::Live)
            .map(|(p, s)| Member { id: id(p), weight: s.announcement.capacity_bytes })
            .collect()
    }

    /// The members that take part in placement at `now`: live, or lost for less than
    /// `repair_delay` ([`Liveness::in_placement`]), with their weight and liveness.
    pub fn placement_members(
        &self,
        now: u64,
        repair_delay: u64,
        id: impl Fn(&P) -> MemberId,
    ) -> Vec<(Member, Liveness)> {
        self.members
            .iter()
            .filter(|(_, s)| s.liveness.in_placement(now, repair_delay))
            .map(|(p, s)| (Member { id: id(p), weight: s.announcement.capacity_bytes }, s.liveness))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(seq: u64, capacity: u64) -> Announcement {
        Announcement { seq, capacity_bytes: capacity, public_url: String::new(), catalogue: vec![], holds: vec![] }
    }

    #[test]
    fn join_loss_and_return_in_order() {
        let mut m = Membership::new(30);
        assert_eq!(m.observe("a", ann(1, 10), 100), Observed::Fresh);
        assert_eq!(m.tick(100), vec![MembershipEvent::Joined("a")]);
        assert_eq!(m.tick(130), vec![], "silent for exactly the timeout is still live");
        assert_eq!(m.next_deadline(), Some(131));
        assert_eq!(m.tick(131), vec![MembershipEvent::Lost("a")]);
        assert_eq!(m.liveness(&"a"), Some(Liveness::Lost { since: 130 }));
        assert_eq!(m.tick(500), vec![], "lost once");
        assert!(m.live_members(|p| MemberId::from(*p)).is_empty());
        assert_eq!(m.observe("a", ann(2, 20), 501), Observed::Fresh);
        assert_eq!(m.tick(501), vec![MembershipEvent::Returned("a")]);
        assert_eq!(m.live_members(|p| MemberId::from(*p)), vec![Member { id: "a".into(), weight: 20 }]);
    }

    #[test]
    fn a_stale_announcement_keeps_the_member_alive_but_not_its_content() {
        let mut m = Membership::new(10);
        m.observe("a", ann(5, 50), 0);
        assert_eq!(m.observe("a", ann(4, 40), 8), Observed::Stale);
        assert_eq!(m.get(&"a").unwrap().announcement.capacity_bytes, 50);
        m.tick(8);
        assert_eq!(m.tick(18), vec![]);
        assert_eq!(m.tick(19), vec![MembershipEvent::Lost("a")]);
    }

    #[test]
    fn placement_members_keep_a_lost_member_during_the_repair_delay() {
        let mut m = Membership::new(10);
        m.observe("a", ann(1, 1), 0);
        m.observe("b", ann(1, 2), 15);
        m.tick(20);
        let ids = |now| {
            m.placement_members(now, 5, |p: &&str| MemberId::from(*p))
                .into_iter()
                .map(|(member, _)| member.id.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(14), vec!["a", "b"], "lost since 10, in its grace time");
        assert_eq!(ids(15), vec!["b"]);
    }

    #[test]
    fn forget_drops_the_member_and_its_pending_events() {
        let mut m = Membership::new(10);
        m.observe("a", ann(1, 1), 0);
        assert!(m.forget(&"a"));
        assert_eq!(m.tick(100), vec![]);
        assert!(m.is_empty());
    }
}
