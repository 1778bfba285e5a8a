//! One member's plan for a whole catalogue: which files it should fetch and which of its
//! copies are surplus, from what every member announced. Every member runs this on the same
//! announcements and reaches the same placement; each then acts only on its own part.
//!
//! A video is placed on the top k (weighted [`hrw`](super::hrw)) of the trusted members that
//! take part in placement (live, or lost for less than `repair_delay`), *excluding its
//! origin*: the origin's own files are not copies. All files of a video go to the same
//! members. Per file, [`hysteresis::decide`](super::hysteresis::decide) turns the placement
//! and the known holders into fetches and drops.

use super::hrw::{Member, Members, Ranked, VideoDigest};
use super::hysteresis::{decide, CopyState, Holder, Liveness, Policy};
use super::{MemberId, PlacementError};
use std::collections::HashMap;

/// A member as the local member sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberView {
    pub id: MemberId,
    /// Placement weight (its `capacity_bytes`).
    pub weight: u64,
    pub liveness: Liveness,
}

/// One video of some member's catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueVideo {
    /// The placement key: the video's ActivityPub id (the same on every member).
    pub key: Vec<u8>,
    /// The member that is the video's origin.
    pub origin: MemberId,
    /// Info hashes of its files.
    pub files: Vec<[u8; 20]>,
}

/// A copy some member holds or is fetching.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyFact {
    pub member: MemberId,
    pub info_hash: [u8; 20],
    pub state: CopyState,
    /// When the copy was started (same unit as `now`).
    pub created_at: u64,
}

/// What the local member should do now.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LocalPlan {
    /// Files to fetch: (catalogue index, file info hash), in catalogue order.
    pub fetch: Vec<(usize, [u8; 20])>,
    /// Copies (or fetches) of this member that are surplus.
    pub drop: Vec<[u8; 20]>,
    /// Files with fewer than k live complete copies (the repair backlog, over all members).
    pub below_k: usize,
    /// Files with no live complete copy anywhere (the origin's files not counted).
    pub without_copy: usize,
    /// Earliest time the answer may change without new announcements.
    pub next_check: Option<u64>,
}

/// Placement inputs that change rarely, prepared once per membership change.
pub struct PreparedMembers {
    members: Members,
    liveness: Vec<Liveness>,
    index_of: HashMap<MemberId, usize>,
}

impl PreparedMembers {
    /// Prepares the members that take part in placement at `now`; `members` may include the
    /// local member. A duplicate id is an error.
    pub fn new(members: &[MemberView], policy: &Policy, now: u64) -> Result<Self, PlacementError> {
        let taking_part: Vec<&MemberView> =
            members.iter().filter(|m| m.liveness.in_placement(now, policy.repair_delay)).collect();
        let prepared = Members::new(taking_part.iter().map(|m| Member { id: m.id.clone(), weight: m.weight }))?;
        let by_id: HashMap<&MemberId, Liveness> = taking_part.iter().map(|m| (&m.id, m.liveness)).collect();
        let liveness = prepared.ids().iter().map(|id| by_id.get(id).copied().unwrap_or(Liveness::Live)).collect();
        let index_of = prepared.ids().iter().enumerate().map(|(i, id)| (id.clone(), i)).collect();
        Ok(PreparedMembers { members: prepared, liveness, index_of })
    }

    /// The members placed for `video_key` (best first), never its origin, with their liveness.
    pub fn placed(&self, video_key: &[u8], origin: &MemberId, k: usize) -> Vec<(MemberId, Liveness)> {
        let origin_index = self.index_of.get(origin).copied();
        let mut out: Vec<Ranked> = Vec::with_capacity(k);
        self.members.place_among(VideoDigest::of(video_key), k, |i| Some(i) != origin_index, &mut out);
        out.iter().map(|r| (self.members.ids()[r.index as usize].clone(), self.liveness[r.index as usize])).collect()
    }
}

/// The plan of member `me` for `catalogue`, given every known copy. Copies held by members
/// unknown to `members` are ignored; members lost past `repair_delay` hold nothing usable.
pub fn plan_for(
    me: &MemberId,
    members: &[MemberView],
    catalogue: &[CatalogueVideo],
    copies: &[CopyFact],
    policy: &Policy,
    now: u64,
) -> Result<LocalPlan, PlacementError> {
    let prepared = PreparedMembers::new(members, policy, now)?;
    let liveness: HashMap<&MemberId, Liveness> = members.iter().map(|m| (&m.id, m.liveness)).collect();
    let mut holders_of: HashMap<[u8; 20], Vec<Holder<MemberId>>> = HashMap::new();
    for copy in copies {
        let Some(&l) = liveness.get(&copy.member) else { continue };
        holders_of.entry(copy.info_hash).or_default().push(Holder {
            member: copy.member.clone(),
            state: copy.state,
            created_at: copy.created_at,
            liveness: l,
        });
    }
    let mut plan = LocalPlan::default();
    let wake = |t: Option<u64>, plan: &mut LocalPlan| {
        if let Some(t) = t {
            plan.next_check = Some(plan.next_check.map_or(t, |n| n.min(t)));
        }
    };
    for (index, video) in catalogue.iter().enumerate() {
        let placed = prepared.placed(&video.key, &video.origin, policy.replicas());
        for info_hash in &video.files {
            let holders: Vec<Holder<MemberId>> = holders_of
                .get(info_hash)
                .map(|h| h.iter().filter(|h| h.member != video.origin).cloned().collect())
                .unwrap_or_default();
            let complete =
                holders.iter().filter(|h| h.liveness == Liveness::Live && h.state == CopyState::Complete).count();
            if complete < policy.replicas() {
                plan.below_k += 1;
            }
            if complete == 0 {
                plan.without_copy += 1;
            }
            let decision = decide(&placed, &holders, policy, now);
            if decision.fetch.contains(me) {
                plan.fetch.push((index, *info_hash));
            }
            if decision.drop.contains(me) {
                plan.drop.push(*info_hash);
            }
            wake(decision.next_check, &mut plan);
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str) -> MemberView {
        MemberView { id: MemberId::from(id), weight: 100, liveness: Liveness::Live }
    }

    fn video(key: &str, origin: &str, file: u8) -> CatalogueVideo {
        CatalogueVideo { key: key.as_bytes().to_vec(), origin: MemberId::from(origin), files: vec![[file; 20]] }
    }

    fn policy() -> Policy {
        Policy::new(2, 3, 100, 10).unwrap()
    }

    #[test]
    fn exactly_the_placed_members_fetch_and_never_the_origin() {
        let members: Vec<MemberView> = ["a", "b", "c", "d"].into_iter().map(member).collect();
        let catalogue: Vec<CatalogueVideo> = (0..20).map(|i| video(&format!("v{i}"), "a", i)).collect();
        let mut fetchers: HashMap<[u8; 20], Vec<String>> = HashMap::new();
        for m in &members {
            let plan = plan_for(&m.id, &members, &catalogue, &[], &policy(), 0).unwrap();
            assert!(plan.drop.is_empty());
            assert_eq!(plan.below_k, 20);
            for (_, hash) in plan.fetch {
                fetchers.entry(hash).or_default().push(m.id.to_string());
            }
        }
        for v in &catalogue {
            let who = &fetchers[&v.files[0]];
            assert_eq!(who.len(), 2, "{who:?}");
            assert!(!who.contains(&"a".to_string()));
            let placed = PreparedMembers::new(&members, &policy(), 0).unwrap().placed(&v.key, &v.origin, 2);
            let mut expected: Vec<String> = placed.iter().map(|(m, _)| m.to_string()).collect();
            let mut got = who.clone();
            expected.sort();
            got.sort();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn a_lost_member_is_replaced_only_after_the_repair_delay() {
        let mut members: Vec<MemberView> = ["a", "b", "c", "d"].into_iter().map(member).collect();
        let v = video("v", "a", 7);
        let placed = PreparedMembers::new(&members, &policy(), 0).unwrap().placed(&v.key, &v.origin, 2);
        let copies: Vec<CopyFact> = placed
            .iter()
            .map(|(m, _)| CopyFact { member: m.clone(), info_hash: [7; 20], state: CopyState::Complete, created_at: 0 })
            .collect();
        let lost = placed[0].0.clone();
        let spare = members
            .iter()
            .map(|m| m.id.clone())
            .find(|id| id.to_string() != "a" && !placed.iter().any(|(p, _)| p == id))
            .unwrap();
        for m in &mut members {
            if m.id == lost {
                m.liveness = Liveness::Lost { since: 50 };
            }
        }
        let early = plan_for(&spare, &members, std::slice::from_ref(&v), &copies, &policy(), 55).unwrap();
        assert!(early.fetch.is_empty(), "{early:?}");
        assert_eq!(early.next_check, Some(60));
        let late = plan_for(&spare, &members, &[v], &copies, &policy(), 61).unwrap();
        assert_eq!(late.fetch, vec![(0, [7; 20])]);
        assert_eq!(late.below_k, 1);
    }
}
