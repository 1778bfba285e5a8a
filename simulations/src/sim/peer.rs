//! A simulated viewer: what was drawn for it at arrival, its playback and download state, its
//! connections and its in-flight piece requests. Kept compact: a million of them fit in memory.

/// "Not yet" for the millisecond timestamps below.
pub const NEVER: u64 = u64::MAX;

/// A source encoded in a `u32`: peers are their index, servers carry this bit.
pub const SERVER_BIT: u32 = 1 << 31;

/// Where a viewer is in its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Page open, fetching pieces (and watching, in `watch` behaviour).
    Active,
    /// Done fetching (download complete, or the player closed); the page stays open and seeds.
    Lingering,
    /// The page is closed.
    Gone,
}

/// One in-flight piece request.
#[derive(Debug, Clone, Copy)]
pub struct Req {
    pub piece: u32,
    /// A peer index or `SERVER_BIT | server`.
    pub src: u32,
    /// Bytes still to come.
    pub remaining: u32,
    /// Bytes received in the last step (for the deadline check).
    pub last: u32,
    /// Simulated ms from which bytes flow (the request's round trip).
    pub ready_ms: u64,
}

/// A viewer.
#[derive(Debug)]
pub struct Peer {
    pub join_ms: u64,
    /// Upload capacity, bytes/s.
    pub up: u32,
    /// Download capacity, bytes/s.
    pub down: u32,
    pub region: u8,
    /// Can make WebRTC connections (and P2P is enabled).
    pub p2p: bool,
    /// Leaves without a `stopped` announce.
    pub crash: bool,
    pub phase: Phase,
    pub started: bool,
    pub stalled: bool,
    pub abandoned: bool,
    /// Announced to the tracker and not refused.
    pub tracked: bool,
    /// Seconds of video it will watch.
    pub watch_target: f32,
    /// Seconds the page stays open after watching (or after the download).
    pub linger: f32,
    /// Seconds it waits for playback to start.
    pub patience: f32,
    /// Pieces it has.
    pub have: u32,
    /// The first piece it lacks (everything before is contiguous from the start).
    pub first_missing: u32,
    /// Playhead in seconds of video.
    pub playhead: f64,
    pub startup_ms: u64,
    pub completed_ms: u64,
    pub left_ms: u64,
    pub stalls: u32,
    pub stall_ms: u64,
    pub from_origin: u64,
    pub from_mirrors: u64,
    pub from_peers: u64,
    pub uploaded: u64,
    /// Requests currently served by this peer.
    pub serving: u32,
    /// Connections being set up.
    pub pending: u16,
    /// Rotates the scan over neighbours so no neighbour is always asked first.
    pub rot: u16,
    pub neighbours: Vec<u32>,
    pub reqs: Vec<Req>,
}

impl Peer {
    /// Connections open or being opened.
    pub fn conns(&self) -> usize {
        self.neighbours.len() + self.pending as usize
    }

    /// Requests in flight from web seeds, not counting those about to finish (see
    /// [`Peer::has_free_slot`]).
    pub fn webseed_reqs(&self) -> usize {
        self.reqs.iter().filter(|r| r.src & SERVER_BIT != 0 && (r.last == 0 || r.remaining > r.last)).count()
    }

    /// Requests in flight from peer `src`.
    pub fn reqs_from(&self, src: u32) -> usize {
        self.reqs.iter().filter(|r| r.src == src).count()
    }

    /// Whether another request fits in `max` slots. A request that will finish within the
    /// next step at its current rate frees its slot already: the next one is pipelined behind
    /// it, as BitTorrent clients keep requests queued so the connection never idles (at most
    /// `2 * max` in flight).
    pub fn has_free_slot(&self, max: usize) -> bool {
        self.reqs.len() < 2 * max && self.reqs.iter().filter(|r| r.last == 0 || r.remaining > r.last).count() < max
    }

    pub fn requested(&self, piece: u32) -> bool {
        self.reqs.iter().any(|r| r.piece == piece)
    }
}
