//! Catalogue plans: every member computes the same placement from the same announcements,
//! in any order; with no copies each file is fetched by exactly min(k, members - 1) members,
//! never by its origin; and after any sequence of plans applied by all members, no file with
//! a complete copy ever loses its last one.

use proptest::prelude::*;
use shoal_protocol::placement::{
    plan_for, CatalogueVideo, CopyFact, CopyState, Liveness, MemberId, MemberView, Policy,
};
use std::collections::{BTreeMap, BTreeSet};

fn members(n: usize, weights: &[u64]) -> Vec<MemberView> {
    (0..n)
        .map(|i| MemberView {
            id: MemberId::from(format!("m{i}").as_str()),
            weight: weights[i % weights.len()],
            liveness: Liveness::Live,
        })
        .collect()
}

fn catalogue(videos: usize, members: usize) -> Vec<CatalogueVideo> {
    (0..videos)
        .map(|v| CatalogueVideo {
            key: format!("https://origin/videos/watch/{v}").into_bytes(),
            origin: MemberId::from(format!("m{}", v % members).as_str()),
            files: vec![[v as u8; 20], [v as u8 ^ 0x80; 20]],
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn members_agree_and_fetch_exactly_k(n in 2usize..9, k in 1usize..4, weights in prop::collection::vec(1u64..50, 1..5), rotate in 0usize..8) {
        let policy = Policy::new(k, k + 1, 100, 10).unwrap();
        let members = members(n, &weights);
        let mut shuffled = members.clone();
        shuffled.rotate_left(rotate % n);
        let catalogue = catalogue(40, n);
        let mut fetchers: BTreeMap<([u8; 20], usize), BTreeSet<String>> = BTreeMap::new();
        for m in &members {
            let plan = plan_for(&m.id, &members, &catalogue, &[], &policy, 0).unwrap();
            let again = plan_for(&m.id, &shuffled, &catalogue, &[], &policy, 0).unwrap();
            prop_assert_eq!(&plan, &again);
            prop_assert!(plan.drop.is_empty());
            for (index, hash) in plan.fetch {
                fetchers.entry((hash, index)).or_default().insert(m.id.to_string());
            }
        }
        for (index, video) in catalogue.iter().enumerate() {
            for hash in &video.files {
                let who = fetchers.get(&(*hash, index)).cloned().unwrap_or_default();
                prop_assert_eq!(who.len(), k.min(n - 1));
                prop_assert!(!who.contains(&video.origin.to_string()));
            }
        }
    }

    #[test]
    fn applying_plans_never_loses_the_last_copy(
        n in 3usize..7,
        k in 1usize..3,
        events in prop::collection::vec((0usize..7, any::<bool>()), 1..12),
    ) {
        // Members flap (lost / live); after each change all live members apply their plans.
        let policy = Policy::new(k, k, 5, 3).unwrap();
        let mut members = members(n, &[10, 20, 30]);
        let catalogue = catalogue(12, n);
        let mut copies: Vec<CopyFact> = Vec::new();
        let mut now = 0u64;
        for (who, live) in events {
            now += 10;
            let who = who % n;
            members[who].liveness = if live { Liveness::Live } else { Liveness::Lost { since: now } };
            for round in 0..3 {
                let t = now + round * 10;
                let before: BTreeSet<[u8; 20]> = copies.iter().filter(|c| c.state == CopyState::Complete && is_live(&members, &c.member)).map(|c| c.info_hash).collect();
                let mut next = copies.clone();
                for m in members.iter().filter(|m| m.liveness == Liveness::Live) {
                    let plan = plan_for(&m.id, &members, &catalogue, &copies, &policy, t).unwrap();
                    next.retain(|c| !(c.member == m.id && plan.drop.contains(&c.info_hash)));
                    for (_, hash) in plan.fetch {
                        // Transfers complete within the round.
                        next.push(CopyFact { member: m.id.clone(), info_hash: hash, state: CopyState::Complete, created_at: t });
                    }
                }
                copies = next;
                let after: BTreeSet<[u8; 20]> = copies.iter().filter(|c| c.state == CopyState::Complete && is_live(&members, &c.member)).map(|c| c.info_hash).collect();
                for hash in &before {
                    prop_assert!(after.contains(hash), "a file lost its last live copy");
                }
            }
        }
    }
}

fn is_live(members: &[MemberView], id: &MemberId) -> bool {
    members.iter().any(|m| &m.id == id && m.liveness == Liveness::Live)
}
