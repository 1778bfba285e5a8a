//! The swarm against a model: random announce/expire sequences, checked after every step.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::*;

fn id(n: u8) -> PeerId {
    PeerId([n; 20])
}

fn ann(n: u8, seeder: bool, event: AnnounceEvent, numwant: usize) -> Announce<u8> {
    Announce { peer_id: id(n), addr: n, seeder, event, numwant }
}

#[test]
fn hands_out_other_peers_and_counts_them() {
    let mut swarm = Swarm::new(SwarmLimits::default());
    let mut rng = StdRng::seed_from_u64(1);
    let mut out = Vec::new();
    let counts = swarm.announce(0, ann(1, true, AnnounceEvent::Started, 50), &mut rng, &mut out).unwrap();
    assert!(out.is_empty());
    assert_eq!(counts, SwarmCounts { seeders: 1, leechers: 0, completed: 0 });
    for n in 2..=5 {
        out.clear();
        swarm.announce(1, ann(n, false, AnnounceEvent::Started, 50), &mut rng, &mut out).unwrap();
        assert_eq!(out.len(), usize::from(n) - 1);
        assert!(out.iter().all(|p| p.id != id(n)));
    }
    out.clear();
    let counts = swarm.announce(2, ann(1, true, AnnounceEvent::Update, 2), &mut rng, &mut out).unwrap();
    assert_eq!(out.len(), 2, "numwant caps the reply");
    assert!(out.iter().all(|p| !p.seeder), "a seeder is sent leechers only");
    assert_eq!(counts, SwarmCounts { seeders: 1, leechers: 4, completed: 0 });
}

#[test]
fn completed_counts_once_and_stopped_removes() {
    let mut swarm = Swarm::new(SwarmLimits::default());
    let mut rng = StdRng::seed_from_u64(2);
    let mut out = Vec::new();
    swarm.announce(0, ann(1, false, AnnounceEvent::Started, 0), &mut rng, &mut out).unwrap();
    swarm.announce(1, ann(1, true, AnnounceEvent::Completed, 0), &mut rng, &mut out).unwrap();
    let counts = swarm.announce(2, ann(1, true, AnnounceEvent::Completed, 0), &mut rng, &mut out).unwrap();
    assert_eq!(counts, SwarmCounts { seeders: 1, leechers: 0, completed: 1 });
    let counts = swarm.announce(3, ann(1, true, AnnounceEvent::Stopped, 50), &mut rng, &mut out).unwrap();
    assert_eq!(counts, SwarmCounts { seeders: 0, leechers: 0, completed: 1 });
    assert!(swarm.is_empty() && out.is_empty());
}

#[test]
fn a_full_swarm_refuses_newcomers_but_not_members() {
    let mut swarm = Swarm::new(SwarmLimits { max_peers: 2, peer_timeout_secs: 10 });
    let mut rng = StdRng::seed_from_u64(3);
    let mut out = Vec::new();
    swarm.announce(0, ann(1, false, AnnounceEvent::Started, 5), &mut rng, &mut out).unwrap();
    swarm.announce(0, ann(2, false, AnnounceEvent::Started, 5), &mut rng, &mut out).unwrap();
    assert_eq!(swarm.announce(0, ann(3, false, AnnounceEvent::Started, 5), &mut rng, &mut out), Err(SwarmError::Full));
    assert!(swarm.announce(1, ann(2, false, AnnounceEvent::Update, 5), &mut rng, &mut out).is_ok());
}

#[test]
fn silent_peers_expire() {
    let mut swarm = Swarm::new(SwarmLimits { max_peers: 10, peer_timeout_secs: 10 });
    let mut rng = StdRng::seed_from_u64(4);
    let mut out = Vec::new();
    swarm.announce(0, ann(1, true, AnnounceEvent::Started, 5), &mut rng, &mut out).unwrap();
    swarm.announce(5, ann(2, false, AnnounceEvent::Started, 5), &mut rng, &mut out).unwrap();
    assert_eq!(swarm.expire(10), 0, "exactly the timeout is still alive");
    assert_eq!(swarm.expire(11), 1);
    assert!(swarm.get(&id(1)).is_none());
    assert_eq!(swarm.get(&id(2)).map(|p| p.addr), Some(2));
    assert_eq!(swarm.counts(), SwarmCounts { seeders: 0, leechers: 1, completed: 0 });
}

#[test]
fn the_same_seed_chooses_the_same_peers() {
    let run = |seed| {
        let mut swarm = Swarm::new(SwarmLimits::default());
        let mut rng = StdRng::seed_from_u64(seed);
        let mut out = Vec::new();
        for n in 0..200u8 {
            swarm.announce(0, ann(n, n % 3 == 0, AnnounceEvent::Started, 0), &mut rng, &mut out).unwrap();
        }
        swarm.announce(1, ann(250, false, AnnounceEvent::Started, 30), &mut rng, &mut out).unwrap();
        out.iter().map(|p| p.addr).collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[derive(Debug, Clone)]
enum Op {
    Announce { peer: u8, seeder: bool, event: u8, numwant: usize, dt: u32 },
    Expire { dt: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u8..24, any::<bool>(), 0u8..4, 0usize..12, 0u32..4)
            .prop_map(|(peer, seeder, event, numwant, dt)| Op::Announce { peer, seeder, event, numwant, dt }),
        1 => (0u32..8).prop_map(|dt| Op::Expire { dt }),
    ]
}

proptest! {
    #[test]
    fn agrees_with_a_model(ops in proptest::collection::vec(op(), 1..200), seed in any::<u64>()) {
        let limits = SwarmLimits { max_peers: 16, peer_timeout_secs: 6 };
        let mut swarm = Swarm::new(limits);
        let mut rng = StdRng::seed_from_u64(seed);
        // Model: peer -> (seeder, last_seen).
        let mut model: BTreeMap<u8, (bool, u32)> = BTreeMap::new();
        let mut completed = 0u32;
        let mut now = 0u32;
        for op in ops {
            match op {
                Op::Expire { dt } => {
                    now += dt;
                    let before = model.len();
                    model.retain(|_, (_, seen)| now - *seen <= limits.peer_timeout_secs);
                    prop_assert_eq!(swarm.expire(now), before - model.len());
                }
                Op::Announce { peer, seeder, event, numwant, dt } => {
                    now += dt;
                    let event = [AnnounceEvent::Started, AnnounceEvent::Completed, AnnounceEvent::Stopped, AnnounceEvent::Update][usize::from(event)];
                    let mut out = Vec::new();
                    let result = swarm.announce(now, ann(peer, seeder, event, numwant), &mut rng, &mut out);
                    if event == AnnounceEvent::Stopped {
                        model.remove(&peer);
                        prop_assert!(out.is_empty());
                    } else if !model.contains_key(&peer) && model.len() >= limits.max_peers {
                        prop_assert_eq!(result, Err(SwarmError::Full));
                        continue;
                    } else {
                        let was_leecher = model.get(&peer).map(|(s, _)| !s).unwrap_or(true);
                        if event == AnnounceEvent::Completed && was_leecher {
                            completed += 1;
                        }
                        model.insert(peer, (seeder, now));
                        let eligible: BTreeSet<u8> = model
                            .iter()
                            .filter(|(&p, &(s, _))| p != peer && !(seeder && s))
                            .map(|(&p, _)| p)
                            .collect();
                        let chosen: BTreeSet<u8> = out.iter().map(|p| p.addr).collect();
                        prop_assert_eq!(chosen.len(), out.len(), "no peer twice");
                        prop_assert!(chosen.is_subset(&eligible));
                        prop_assert_eq!(out.len(), numwant.min(eligible.len()));
                    }
                    prop_assert!(result.is_ok());
                }
            }
            let seeders = model.values().filter(|(s, _)| *s).count() as u32;
            prop_assert_eq!(swarm.counts(), SwarmCounts { seeders, leechers: model.len() as u32 - seeders, completed });
            for (&p, &(s, seen)) in &model {
                let entry = swarm.get(&id(p));
                prop_assert_eq!(entry.map(|e| (e.seeder, e.last_seen)), Some((s, seen)));
            }
            prop_assert_eq!(swarm.len(), model.len());
        }
    }
}
