//! The peer table of one swarm (one info-hash), sans-I/O.
//!
//! The node's `SwarmActor` and the simulator both drive this: they pass in the
//! announce, the time (`now_secs`, seconds on the driver's own clock) and a random
//! number generator, and get back the swarm's counts and the peers to hand out.
//! Nothing here reads a clock or draws OS randomness, so a seeded generator
//! replays exactly.
//!
//! Layout: peers live in a `Vec` (iteration order is deterministic: insertion,
//! with removals filled by the last peer) and a `HashMap` from peer id to slot
//! serves lookups only. Peer choice walks the table from a random slot with a
//! random stride coprime to its length, so it visits each peer at most once,
//! costs O(numwant) in the usual case and still finds the few eligible peers
//! of a lopsided swarm (a seeder asking for leechers among thousands of seeders).

use std::collections::HashMap;

use rand::Rng;

/// A BitTorrent peer id (20 bytes, chosen by the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub [u8; 20]);

/// Limits of one swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwarmLimits {
    /// Peers the swarm holds at most; announces of new peers beyond it are refused.
    pub max_peers: usize,
    /// A peer not heard from for longer than this is dropped by [`Swarm::expire`].
    pub peer_timeout_secs: u32,
}

impl Default for SwarmLimits {
    fn default() -> Self {
        Self { max_peers: 10_000, peer_timeout_secs: 240 }
    }
}

/// The `event` of an announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnounceEvent {
    /// The peer joins.
    Started,
    /// The peer finished downloading (it is a seeder from now on).
    Completed,
    /// The peer leaves; it is removed and gets no peers back.
    Stopped,
    /// A periodic announce without an event.
    Update,
}

/// One announce, as the driver decoded it from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce<A> {
    pub peer_id: PeerId,
    /// How the driver reaches the peer: a socket address, a connection handle, a simulated peer index.
    pub addr: A,
    /// Whether the peer has the whole content (`left == 0`).
    pub seeder: bool,
    pub event: AnnounceEvent,
    /// How many other peers the reply may carry.
    pub numwant: usize,
}

/// A peer in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer<A> {
    pub id: PeerId,
    pub addr: A,
    pub seeder: bool,
    /// `now_secs` of its last announce.
    pub last_seen: u32,
}

/// What a tracker reports about a swarm (`complete`, `incomplete`, `downloaded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SwarmCounts {
    pub seeders: u32,
    pub leechers: u32,
    /// Announces with the `completed` event seen since the swarm started.
    pub completed: u32,
}

/// Why an announce was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SwarmError {
    /// The swarm already holds `max_peers` peers; the peer may retry after the interval.
    #[error("swarm is full")]
    Full,
}

/// The peer table of one info-hash.
#[derive(Debug, Clone)]
pub struct Swarm<A> {
    limits: SwarmLimits,
    peers: Vec<Peer<A>>,
    slots: HashMap<PeerId, usize>,
    seeders: u32,
    completed: u32,
}

impl<A: Clone> Swarm<A> {
    pub fn new(limits: SwarmLimits) -> Self {
        Self { limits, peers: Vec::new(), slots: HashMap::new(), seeders: 0, completed: 0 }
    }

    /// Records `announce` at `now_secs` and appends to `out` up to `numwant`
    /// other peers chosen with `rng` (a seeder is never sent seeders). A
    /// [`AnnounceEvent::Stopped`] removes the peer and hands out no peers.
    /// Returns the counts after the announce.
    pub fn announce<R: Rng + ?Sized>(
        &mut self,
        now_secs: u32,
        announce: Announce<A>,
        rng: &mut R,
        out: &mut Vec<Peer<A>>,
    ) -> Result<SwarmCounts, SwarmError> {
        let Announce { peer_id, addr, seeder, event, numwant } = announce;
        if event == AnnounceEvent::Stopped {
            self.remove(&peer_id);
            return Ok(self.counts());
        }
        let finished = event == AnnounceEvent::Completed;
        let slot = match self.slots.get(&peer_id) {
            Some(&slot) => {
                let peer = &mut self.peers[slot];
                if finished && !peer.seeder {
                    self.completed = self.completed.saturating_add(1);
                }
                match (peer.seeder, seeder) {
                    (false, true) => self.seeders += 1,
                    (true, false) => self.seeders -= 1,
                    _ => {}
                }
                peer.seeder = seeder;
                peer.addr = addr;
                peer.last_seen = now_secs;
                slot
            }
            None => {
                if self.peers.len() >= self.limits.max_peers {
                    return Err(SwarmError::Full);
                }
                if finished {
                    self.completed = self.completed.saturating_add(1);
                }
                if seeder {
                    self.seeders += 1;
                }
                let slot = self.peers.len();
                self.peers.push(Peer { id: peer_id, addr, seeder, last_seen: now_secs });
                self.slots.insert(peer_id, slot);
                slot
            }
        };
        self.choose_peers(slot, seeder, numwant, rng, out);
        Ok(self.counts())
    }

    /// Appends to `out` up to `numwant` peers other than the one in `me`, only
    /// leechers when the asker is a seeder.
    fn choose_peers<R: Rng + ?Sized>(
        &self,
        me: usize,
        asker_is_seeder: bool,
        numwant: usize,
        rng: &mut R,
        out: &mut Vec<Peer<A>>,
    ) {
        let n = self.peers.len();
        // Nothing to hand out: no one else, or a seeder in a swarm of seeders.
        if numwant == 0 || n <= 1 || (asker_is_seeder && self.seeders as usize == n) {
            return;
        }
        let start = rng.gen_range(0..n);
        let stride = coprime_stride(n, rng.gen_range(1..n.max(2)));
        let mut taken = 0;
        let mut slot = start;
        for _ in 0..n {
            let peer = &self.peers[slot];
            if slot != me && !(asker_is_seeder && peer.seeder) {
                out.push(peer.clone());
                taken += 1;
                if taken == numwant {
                    break;
                }
            }
            slot = (slot + stride) % n;
        }
    }

    /// Removes peers not heard from for longer than the peer timeout; returns how many.
    pub fn expire(&mut self, now_secs: u32) -> usize {
        let timeout = self.limits.peer_timeout_secs;
        let before = self.peers.len();
        let mut removed_seeders = 0;
        self.peers.retain(|p| {
            let keep = now_secs.saturating_sub(p.last_seen) <= timeout;
            if !keep && p.seeder {
                removed_seeders += 1;
            }
            keep
        });
        let removed = before - self.peers.len();
        if removed > 0 {
            self.seeders -= removed_seeders;
            self.slots.clear();
            self.slots.extend(self.peers.iter().enumerate().map(|(slot, p)| (p.id, slot)));
        }
        removed
    }

    /// Removes one peer, if present.
    pub fn remove(&mut self, id: &PeerId) -> Option<Peer<A>> {
        let slot = self.slots.remove(id)?;
        let peer = self.peers.swap_remove(slot);
        if let Some(moved) = self.peers.get(slot) {
            self.slots.insert(moved.id, slot);
        }
        if peer.seeder {
            self.seeders -= 1;
        }
        Some(peer)
    }

    /// The peer with this id, if present.
    pub fn get(&self, id: &PeerId) -> Option<&Peer<A>> {
        self.slots.get(id).map(|&slot| &self.peers[slot])
    }

    pub fn counts(&self) -> SwarmCounts {
        let seeders = self.seeders;
        SwarmCounts { seeders, leechers: self.peers.len() as u32 - seeders, completed: self.completed }
    }

    pub fn len(&self) -> usize {
        self.peers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// Every peer, in the table's deterministic order.
    pub fn peers(&self) -> &[Peer<A>] {
        &self.peers
    }
}

/// The first stride at or above `candidate` (wrapping within 1..n) that is
/// coprime to `n`, so stepping by it from any slot visits every slot once.
fn coprime_stride(n: usize, candidate: usize) -> usize {
    if n <= 2 {
        return 1;
    }
    let mut s = candidate.clamp(1, n - 1);
    while gcd(s, n) != 1 {
        s = if s + 1 >= n { 1 } else { s + 1 };
    }
    s
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests;
