//! The simulated tracker: Shoal's own swarm peer table (`shoal_protocol::tracker::swarm`, the
//! code the node's `SwarmActor` runs), addressed by peer index and driven on simulated seconds.

use rand::Rng;
use shoal_protocol::tracker::swarm::{
    Announce, AnnounceEvent, Peer, PeerId, Swarm, SwarmCounts, SwarmError, SwarmLimits,
};

/// The swarm of the simulated video plus a reusable reply buffer.
#[derive(Debug)]
pub struct SimTracker {
    swarm: Swarm<u32>,
    reply: Vec<Peer<u32>>,
}

/// The 20-byte peer id of simulated peer `index` (webtorrent-style `-WW0000-` prefix).
pub fn peer_id(index: u32) -> PeerId {
    let mut id = *b"-WW0208-\0\0\0\0\0\0\0\0\0\0\0\0";
    id[8..12].copy_from_slice(&index.to_be_bytes());
    PeerId(id)
}

impl SimTracker {
    pub fn new(max_peers: usize, peer_timeout_secs: u32) -> Self {
        SimTracker { swarm: Swarm::new(SwarmLimits { max_peers, peer_timeout_secs }), reply: Vec::new() }
    }

    /// Announces peer `index` at `now_ms`; returns the indices of the peers handed out.
    pub fn announce<R: Rng + ?Sized>(
        &mut self,
        now_ms: u64,
        index: u32,
        seeder: bool,
        event: AnnounceEvent,
        numwant: usize,
        rng: &mut R,
    ) -> Result<impl Iterator<Item = u32> + '_, SwarmError> {
        self.reply.clear();
        let announce = Announce { peer_id: peer_id(index), addr: index, seeder, event, numwant };
        self.swarm.announce(secs(now_ms), announce, rng, &mut self.reply)?;
        Ok(self.reply.iter().map(|p| p.addr))
    }

    /// Drops peers silent for longer than the timeout; returns how many.
    pub fn expire(&mut self, now_ms: u64) -> usize {
        self.swarm.expire(secs(now_ms))
    }

    pub fn counts(&self) -> SwarmCounts {
        self.swarm.counts()
    }
}

fn secs(ms: u64) -> u32 {
    u32::try_from(ms / 1000).unwrap_or(u32::MAX)
}
