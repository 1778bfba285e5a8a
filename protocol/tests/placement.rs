//! Placement properties: order independence, minimal movement on leave and join, shares
//! proportional to weight, and the hysteresis rules.

use proptest::prelude::*;
use shoal_protocol::placement::{
    decide, place, CopyState, Holder, Liveness, Member, MemberId, Members, PlacementError, Policy, VideoDigest,
};

fn members_strategy(max: usize) -> impl Strategy<Value = Vec<Member>> {
    prop::collection::btree_map(prop::collection::vec(any::<u8>(), 1..12), 1u64..1_000, 1..max)
        .prop_map(|m| m.into_iter().map(|(id, weight)| Member { id: MemberId::from(id), weight }).collect())
}

fn keys(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("video-{i}").into_bytes()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_order_gives_the_same_answer(members in members_strategy(30), k in 1usize..5, seed in any::<u64>()) {
        let mut shuffled = members.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        for key in keys(50) {
            let a = place(&key, &members, k).unwrap();
            prop_assert_eq!(&a, &place(&key, &shuffled, k).unwrap());
            prop_assert_eq!(a.len(), k.min(members.len()));
        }
    }

    #[test]
    fn removing_a_member_moves_only_its_videos(members in members_strategy(30), k in 1usize..4, gone in any::<prop::sample::Index>()) {
        let gone = gone.get(&members).id.clone();
        let rest: Vec<Member> = members.iter().filter(|m| m.id != gone).cloned().collect();
        for key in keys(100) {
            let before = place(&key, &members, k).unwrap();
            let after = place(&key, &rest, k).unwrap();
            if before.contains(&gone) {
                // Every other placed member stays; only the lost one is replaced.
                for m in before.iter().filter(|m| **m != gone) {
                    prop_assert!(after.contains(m));
                }
            } else {
                prop_assert_eq!(&before, &after);
            }
        }
    }

    #[test]
    fn adding_a_member_moves_videos_only_to_it(members in members_strategy(30), k in 1usize..4, id in prop::collection::vec(any::<u8>(), 12..14), weight in 1u64..1_000) {
        let new = MemberId::from(id);
        let mut more = members.clone();
        more.push(Member { id: new.clone(), weight });
        for key in keys(100) {
            let before = place(&key, &members, k).unwrap();
            let after = place(&key, &more, k).unwrap();
            for m in after.iter().filter(|m| **m != new) {
                prop_assert!(before.contains(m), "{:?} appeared without being the new member", m);
            }
        }
    }

    /// 10,000 videos, k = 2, 10 members of weights 1..=3 (any mix). Top-k weighted HRW
    /// (`-ln(u)/w`, lowest first) is an exponential race, i.e. successive sampling without
    /// replacement: member i holds a video with probability
    /// `p_i + Σ_{j≠i} p_j · p_i / (1 − p_j)` (`p = w/W`), not `2 p_i` (light members get
    /// more than their weight share, heavy ones less). Every member holds within ±15 % of
    /// that expectation: at least 5 binomial standard deviations for the lightest member
    /// (~1,100 copies), so the bound holds by a wide margin over all cases.
    #[test]
    fn copies_follow_successive_sampling_within_15_percent(weights in prop::collection::vec(1u64..=3, 10), salt in any::<u32>()) {
        let members: Vec<Member> = weights.iter().enumerate()
            .map(|(i, w)| Member { id: MemberId::from(format!("m{i}-{salt}").into_bytes()), weight: *w << 30 })
            .collect();
        let prepared = Members::new(members.clone()).unwrap();
        let videos: Vec<VideoDigest> = (0..10_000).map(|i| VideoDigest::of(format!("{salt}/{i}").as_bytes())).collect();
        let a = shoal_protocol::placement::place_all(&prepared, &videos, 2).unwrap();
        prop_assert_eq!(a.copies(), 20_000);
        let total: u64 = prepared.weights().iter().sum();
        let p: Vec<f64> = prepared.weights().iter().map(|w| *w as f64 / total as f64).collect();
        for m in 0..prepared.len() {
            let second: f64 = (0..p.len()).filter(|j| *j != m).map(|j| p[j] * p[m] / (1.0 - p[j])).sum();
            let expected = 10_000.0 * (p[m] + second);
            let got = a.of_member(m).len() as f64;
            prop_assert!(
                (got - expected).abs() <= 0.15 * expected,
                "member {} holds {} where successive sampling expects {:.0}", m, got, expected
            );
        }
    }
}

#[test]
fn bulk_agrees_with_single_placement() {
    let members: Vec<Member> =
        (0..40).map(|i| Member { id: MemberId::from(format!("peer{i}").as_str()), weight: 1 + i % 7 }).collect();
    let prepared = Members::new(members.clone()).unwrap();
    let ks = keys(500);
    let digests: Vec<VideoDigest> = ks.iter().map(|k| VideoDigest::of(k)).collect();
    let a = shoal_protocol::placement::place_all(&prepared, &digests, 3).unwrap();
    for (v, key) in ks.iter().enumerate() {
        let mut from_bulk: Vec<MemberId> = (0..prepared.len())
            .filter(|&m| a.of_member(m).binary_search(&(v as u32)).is_ok())
            .map(|m| prepared.ids()[m].clone())
            .collect();
        let mut single = place(key, &members, 3).unwrap();
        from_bulk.sort();
        single.sort();
        assert_eq!(from_bulk, single);
    }
}

#[test]
fn edge_cases_are_typed_or_empty() {
    let m = |s: &str, w| Member { id: MemberId::from(s), weight: w };
    assert_eq!(place(b"v", &[], 2).unwrap(), Vec::<MemberId>::new());
    assert_eq!(place(b"v", &[m("a", 1)], 0), Err(PlacementError::ZeroReplicas));
    assert!(matches!(place(b"v", &[m("a", 1), m("a", 2)], 1), Err(PlacementError::DuplicateMember(_))));
    assert_eq!(place(b"v", &[m("a", 0), m("b", 5)], 2).unwrap(), vec![MemberId::from("b")]);
    assert_eq!(Policy::new(3, 2, 0, 0), Err(PlacementError::MaxBelowMin { min: 3, max: 2 }));
    assert_eq!(Policy::new(0, 2, 0, 0), Err(PlacementError::ZeroReplicas));
}

// ---- hysteresis ----

const K2: fn() -> Policy = || Policy::new(2, 3, 3_600, 10).unwrap();

fn holder(m: &str, state: CopyState, created_at: u64, liveness: Liveness) -> Holder<&str> {
    Holder { member: m, state, created_at, liveness }
}

#[test]
fn a_short_absence_triggers_no_copying() {
    let p = K2();
    let lost = Liveness::Lost { since: 1_000 };
    // b was lost 5 s ago (< repair_delay 10): still placed, nobody fetches, nothing dropped.
    assert!(lost.in_placement(1_005, p.repair_delay));
    let placed = [("a", Liveness::Live), ("b", lost)];
    let holders = [holder("a", CopyState::Complete, 0, Liveness::Live), holder("b", CopyState::Complete, 0, lost)];
    let d = decide(&placed, &holders, &p, 1_005);
    assert!(d.fetch.is_empty() && d.drop.is_empty(), "{d:?}");
    assert_eq!(d.next_check, Some(1_010), "wake up when the grace ends");
}

#[test]
fn a_loss_past_repair_delay_is_repaired() {
    let p = K2();
    let lost = Liveness::Lost { since: 1_000 };
    assert!(!lost.in_placement(1_010, p.repair_delay));
    // Placement now over a and c (b is out): c fetches.
    let placed = [("a", Liveness::Live), ("c", Liveness::Live)];
    let holders = [holder("a", CopyState::Complete, 0, Liveness::Live), holder("b", CopyState::Complete, 0, lost)];
    let d = decide(&placed, &holders, &p, 1_010);
    assert_eq!(d.fetch, vec!["c"]);
    assert!(d.drop.is_empty());
}

#[test]
fn a_returning_member_causes_surplus_dropped_only_after_min_lifetime() {
    let p = K2();
    // b is back and placed again; c completed its repair copy at 1_010.
    let placed = [("a", Liveness::Live), ("b", Liveness::Live)];
    let holders = [
        holder("a", CopyState::Complete, 0, Liveness::Live),
        holder("b", CopyState::Complete, 0, Liveness::Live),
        holder("c", CopyState::Complete, 1_010, Liveness::Live),
    ];
    let young = decide(&placed, &holders, &p, 2_000);
    assert!(young.drop.is_empty() && young.fetch.is_empty(), "{young:?}");
    assert_eq!(young.next_check, Some(1_010 + 3_600));
    let old = decide(&placed, &holders, &p, 1_010 + 3_600);
    assert_eq!(old.drop, vec!["c"]);
}

#[test]
fn surplus_is_kept_while_a_placed_member_is_still_fetching() {
    let p = K2();
    let placed = [("a", Liveness::Live), ("b", Liveness::Live)];
    let holders = [
        holder("a", CopyState::Complete, 0, Liveness::Live),
        holder("b", CopyState::Fetching, 9_000, Liveness::Live),
        holder("c", CopyState::Complete, 0, Liveness::Live),
    ];
    let d = decide(&placed, &holders, &p, 10_000);
    assert!(d.drop.is_empty(), "c is one of only two complete copies: {d:?}");
    // Above replicas_max (3) the oldest non-placed copies go even then, down to max.
    let mut more = holders.to_vec();
    more.push(holder("d", CopyState::Complete, 0, Liveness::Live));
    more.push(holder("e", CopyState::Complete, 0, Liveness::Live));
    let d = decide(&placed, &more, &p, 10_000);
    assert_eq!(d.drop, vec!["c"], "4 complete > max 3: one non-placed copy goes");
}

#[test]
fn a_non_placed_fetch_is_cancelled() {
    let p = K2();
    let placed = [("a", Liveness::Live), ("b", Liveness::Live)];
    let holders = [
        holder("a", CopyState::Complete, 0, Liveness::Live),
        holder("b", CopyState::Complete, 0, Liveness::Live),
        holder("c", CopyState::Fetching, 5, Liveness::Live),
    ];
    assert_eq!(decide(&placed, &holders, &p, 6).drop, vec!["c"]);
}

proptest! {
    /// Whatever the inputs, a decision never leaves fewer than one live complete copy, never
    /// drops a complete copy younger than min_lifetime, never drops a placed member's copy.
    #[test]
    fn never_below_one_complete_copy(
        copies in prop::collection::vec((0u8..8, any::<bool>(), 0u64..5_000, prop::option::of(0u64..5_000)), 0..8),
        placed in prop::collection::btree_set(0u8..8, 0..3),
        now in 0u64..10_000,
    ) {
        let p = Policy::new(2, 3, 3_600, 10).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let holders: Vec<Holder<u8>> = copies.into_iter().filter(|c| seen.insert(c.0)).map(|(m, complete, created, lost)| Holder {
            member: m,
            state: if complete { CopyState::Complete } else { CopyState::Fetching },
            created_at: created.min(now),
            liveness: lost.map_or(Liveness::Live, |s| Liveness::Lost { since: s.min(now) }),
        }).collect();
        let placed: Vec<(u8, Liveness)> = placed.into_iter().map(|m| (m, Liveness::Live)).collect();
        let d = decide(&placed, &holders, &p, now);
        let live_complete = |h: &&Holder<u8>| h.liveness == Liveness::Live && h.state == CopyState::Complete;
        let before = holders.iter().filter(live_complete).count();
        let after = holders.iter().filter(live_complete).filter(|h| !d.drop.contains(&h.member)).count();
        if before >= 1 {
            prop_assert!(after >= 1);
        }
        for h in holders.iter().filter(|h| d.drop.contains(&h.member)) {
            prop_assert!(!placed.iter().any(|(m, _)| *m == h.member));
            if h.state == CopyState::Complete {
                prop_assert!(now >= h.created_at + p.min_lifetime);
            }
        }
    }
}
