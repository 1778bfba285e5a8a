//! Which piece to ask for, and from whom.
//!
//! `webtorrent` (the default) follows the webtorrent library: pieces of the streaming window
//! (`window_secs` ahead of the playhead) first, in order, from a connected peer that has them,
//! or from a web seed when no peer can; pieces a peer is too slow to deliver before the
//! playhead needs them are moved to a web seed; outside the window, rarest-first among what
//! each neighbour has (rarest of a few random candidates, by swarm-wide availability); at most
//! `max_inflight` requests, `per_peer_inflight` per neighbour, `webseed_inflight` to web seeds;
//! a viewer with nothing in flight and no peer to ask falls back to a web seed.
//!
//! `ideal` has global knowledge: every online peer is a source, the piece is the globally
//! rarest counting requests in flight, and the source (peer or web seed) is the least loaded
//! relative to its upload. It exists to check the engine against the theoretical bounds.

use super::engine::Engine;

/// Neighbours a viewer asks for rarest pieces per step (the scan rotates, so every neighbour
/// is asked within a few steps).
const NEIGHBOURS_PER_STEP: usize = 8;
use super::peer::SERVER_BIT;

impl Engine {
    pub(super) fn refill(&mut self, i: u32) {
        if self.cfg.ideal {
            self.refill_ideal(i);
        } else {
            self.refill_webtorrent(i);
        }
    }

    /// The first piece peer `i` may not fetch yet (`prefetch_secs` ahead of the playhead).
    fn horizon(&self, i: u32) -> u32 {
        match (self.cfg.watch, self.cfg.prefetch_secs) {
            (true, Some(ahead)) => {
                (self.cfg.piece_at(self.peers[i as usize].playhead + ahead) + 1).min(self.cfg.pieces)
            }
            _ => self.cfg.pieces,
        }
    }

    /// The live web seed with the least load per byte of capacity.
    fn pick_server(&self) -> Option<u32> {
        let mut best: Option<(f64, usize)> = None;
        for (k, s) in self.servers.iter().enumerate() {
            if !s.live {
                continue;
            }
            let load = f64::from(s.serving + 1) / self.cfg.servers[k].up as f64;
            if best.is_none_or(|(b, _)| load < b) {
                best = Some((load, k));
            }
        }
        best.map(|(_, k)| SERVER_BIT | k as u32)
    }

    /// A neighbour of `i` that has `piece` and may take another request.
    fn peer_source(&mut self, i: u32, piece: u32) -> Option<u32> {
        let peer = &self.peers[i as usize];
        let n = peer.neighbours.len();
        if n == 0 {
            return None;
        }
        let rot = peer.rot as usize;
        for k in 0..n {
            let c = peer.neighbours[(rot + k) % n];
            if self.bits.has(c, piece) && peer.reqs_from(c) < self.cfg.per_peer_inflight {
                self.peers[i as usize].rot = ((rot + k + 1) % n) as u16;
                return Some(c);
            }
        }
        None
    }

    fn refill_webtorrent(&mut self, i: u32) {
        let max = self.cfg.max_inflight;
        if !self.peers[i as usize].has_free_slot(max) {
            if self.cfg.watch {
                self.rescue_late(i);
            }
            return;
        }
        let horizon = self.horizon(i);
        let first = self.peers[i as usize].first_missing;
        // The streaming window, in order.
        let window_end = if self.cfg.watch {
            self.rescue_late(i);
            let playhead = self.peers[i as usize].playhead;
            (self.cfg.piece_at(playhead + self.cfg.window_secs) + 1).min(horizon)
        } else {
            first
        };
        let mut q = first;
        while q < window_end && self.peers[i as usize].has_free_slot(max) {
            if !self.bits.has(i, q) && !self.peers[i as usize].requested(q) {
                if let Some(src) = self.peer_source(i, q) {
                    self.add_req(i, q, src);
                } else if self.peers[i as usize].webseed_reqs() < self.cfg.webseed_inflight {
                    match self.pick_server() {
                        Some(s) => self.add_req(i, q, s),
                        None => break,
                    }
                }
            }
            q += 1;
        }
        // Rarest-first from neighbours, outside the window.
        let n = self.peers[i as usize].neighbours.len();
        let mut tries = 0;
        while tries < n.min(NEIGHBOURS_PER_STEP) && self.peers[i as usize].has_free_slot(max) {
            let peer = &self.peers[i as usize];
            let rot = peer.rot as usize % n;
            let c = peer.neighbours[rot];
            self.peers[i as usize].rot = ((rot + 1) % n) as u16;
            tries += 1;
            if self.peers[i as usize].reqs_from(c) >= self.cfg.per_peer_inflight {
                continue;
            }
            let peer = &self.peers[i as usize];
            let from = window_end.max(first);
            let piece = self
                .bits
                .rarest_wanted(Some(c), i, from..horizon, &self.avail, &mut self.rng_sched, |p| peer.requested(p));
            if let Some(piece) = piece {
                self.add_req(i, piece, c);
            }
        }
        // Nothing to do from peers: fall back to a web seed, rarest-first (as for any wire).
        if self.peers[i as usize].reqs.is_empty() {
            let from = window_end.max(first);
            while self.peers[i as usize].reqs.len() < self.cfg.webseed_inflight {
                let peer = &self.peers[i as usize];
                let piece = self
                    .bits
                    .rarest_wanted(None, i, from..horizon, &self.avail, &mut self.rng_sched, |p| peer.requested(p));
                match (piece, self.pick_server()) {
                    (Some(piece), Some(s)) => self.add_req(i, piece, s),
                    _ => break,
                }
            }
        }
    }

    /// Moves to a web seed the requests from peers that will not arrive before the playhead
    /// needs them (at the rate they got in the last step).
    fn rescue_late(&mut self, i: u32) {
        let dt = self.cfg.dt_ms as f64 / 1000.0;
        let peer = &self.peers[i as usize];
        let playing = peer.started && !peer.stalled;
        let playhead = peer.playhead;
        let mut j = 0;
        while j < self.peers[i as usize].reqs.len() {
            let r = self.peers[i as usize].reqs[j];
            j += 1;
            if r.src & SERVER_BIT != 0 || r.ready_ms > self.now {
                continue;
            }
            let start_secs = self.cfg.secs_in(r.piece);
            let deadline = if playing { (start_secs - playhead).max(0.0) } else { 0.0 };
            if deadline > self.cfg.window_secs {
                continue;
            }
            let eta = f64::from(r.remaining) / f64::from(r.last.max(1)) * dt;
            if eta <= deadline + dt || self.peers[i as usize].webseed_reqs() >= self.cfg.webseed_inflight {
                continue;
            }
            let Some(server) = self.pick_server() else { return };
            self.source_serving(r.src, -1);
            self.source_serving(server, 1);
            let rtt = self.rtt(self.src_region(server), self.peers[i as usize].region);
            let req = &mut self.peers[i as usize].reqs[j - 1];
            req.src = server;
            req.ready_ms = self.now + rtt;
            req.last = 0;
            self.events += 1;
        }
    }

    fn refill_ideal(&mut self, i: u32) {
        let pieces = self.cfg.pieces;
        let first = self.peers[i as usize].first_missing;
        while self.peers[i as usize].has_free_slot(self.cfg.max_inflight) {
            // The least loaded source that has something `i` needs: a web seed (one request
            // per viewer at a time) or any online peer (`per_peer_inflight` at a time).
            let peer = &self.peers[i as usize];
            let mut best: Option<(f64, u32)> = None;
            if peer.webseed_reqs() < self.cfg.webseed_inflight {
                if let Some(s) = self.pick_server() {
                    best = Some((self.load(s), s));
                }
            }
            for &c in &self.online_p2p {
                if c == i || peer.reqs_from(c) >= self.cfg.per_peer_inflight {
                    continue;
                }
                let load = self.load(c);
                if best.is_some_and(|(b, _)| load >= b) {
                    continue;
                }
                if self.bits.first_wanted(Some(c), i, first, pieces, |p| peer.requested(p)).is_some() {
                    best = Some((load, c));
                }
            }
            let Some((_, src)) = best else { return };
            // The globally rarest piece it has (counting requests in flight), ties from a random start.
            let holder = (src & SERVER_BIT == 0).then_some(src);
            let offset = rand::Rng::gen_range(&mut self.rng_sched, 0..pieces);
            let mut choice: Option<(u32, u32)> = None;
            for k in 0..pieces {
                let p = (offset + k) % pieces;
                if self.bits.has(i, p) || holder.is_some_and(|h| !self.bits.has(h, p)) {
                    continue;
                }
                let score = self.avail[p as usize] + self.inflight[p as usize];
                if choice.is_none_or(|(b, _)| score < b) && !peer.requested(p) {
                    choice = Some((score, p));
                    if score == 0 {
                        break;
                    }
                }
            }
            let Some((_, piece)) = choice else { return };
            self.add_req(i, piece, src);
        }
    }

    /// Requests a source would serve with one more, per byte/s of its upload.
    fn load(&self, src: u32) -> f64 {
        if src & SERVER_BIT != 0 {
            let k = (src & !SERVER_BIT) as usize;
            f64::from(self.servers[k].serving + 1) / self.cfg.servers[k].up.max(1) as f64
        } else {
            let p = &self.peers[src as usize];
            f64::from(p.serving + 1) / f64::from(p.up.max(1))
        }
    }
}
