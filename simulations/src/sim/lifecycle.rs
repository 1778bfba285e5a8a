//! The end of things: requests cancelled or completed, a download finished, the player
//! closed, a page closed (with or without a `stopped` announce), a web seed failing.

use shoal_protocol::tracker::swarm::AnnounceEvent;

use super::engine::{Engine, Ev};
use super::peer::{Phase, Req, SERVER_BIT};

/// Index of the region a uniform draw `u` falls in, given the regions' cumulative shares.
pub fn region_of(cdf: &[f64], u: f64) -> u8 {
    cdf.iter().position(|&c| u < c).unwrap_or(cdf.len().saturating_sub(1)) as u8
}

impl Engine {
    /// Books a new request of `piece` from `src` for peer `i`.
    pub(super) fn add_req(&mut self, i: u32, piece: u32, src: u32) {
        let rtt = self.rtt(self.src_region(src), self.peers[i as usize].region);
        let remaining = self.cfg.piece_len(piece);
        self.source_serving(src, 1);
        self.inflight[piece as usize] += 1;
        self.peers[i as usize].reqs.push(Req { piece, src, remaining, last: 0, ready_ms: self.now + rtt });
        self.events += 1;
    }

    /// Adjusts the count of requests `src` serves.
    pub(super) fn source_serving(&mut self, src: u32, delta: i32) {
        let serving = if src & SERVER_BIT != 0 {
            &mut self.servers[(src & !SERVER_BIT) as usize].serving
        } else {
            &mut self.peers[src as usize].serving
        };
        *serving = serving.saturating_add_signed(delta);
    }

    /// Forgets a request that will not complete (its bytes so far are kept in the counters).
    pub(super) fn release(&mut self, req: Req) {
        self.source_serving(req.src, -1);
        self.inflight[req.piece as usize] -= 1;
    }

    /// Peer `i` now has `piece`.
    pub(super) fn piece_done(&mut self, i: u32, req: Req) {
        self.release(req);
        let piece = req.piece;
        if self.bits.has(i, piece) {
            return;
        }
        self.bits.set(i, piece);
        self.events += 1;
        let p2p = self.peers[i as usize].p2p;
        if p2p {
            self.avail[piece as usize] += 1;
        }
        let pieces = self.cfg.pieces;
        let peer = &mut self.peers[i as usize];
        peer.have += 1;
        if peer.first_missing == piece {
            let mut next = piece + 1;
            while next < pieces && self.bits.has(i, next) {
                next += 1;
            }
            self.peers[i as usize].first_missing = next;
        }
    }

    /// Peer `i` has every piece: it tells the tracker and stops fetching; a `download` viewer
    /// lingers, a `watch` viewer plays on without stalls until its watch time is over.
    pub(super) fn download_complete(&mut self, i: u32) {
        let now = self.now;
        let peer = &mut self.peers[i as usize];
        peer.completed_ms = now;
        peer.phase = Phase::Lingering;
        let tracked = peer.tracked;
        if self.cfg.watch {
            if !peer.started {
                peer.started = true;
                peer.startup_ms = now - peer.join_ms;
            }
            peer.stalled = false;
            let left = (f64::from(peer.watch_target) - peer.playhead).max(0.0);
            self.schedule(now + (left * 1000.0).round() as u64, Ev::WatchEnd(i));
        } else {
            let linger = (f64::from(peer.linger) * 1000.0).round() as u64;
            self.schedule(now.saturating_add(linger), Ev::Leave(i));
        }
        if tracked {
            self.announce(i, AnnounceEvent::Completed);
        }
    }

    /// The player of peer `i` closes (end of its watch time): it stops fetching, keeps seeding
    /// what it has while the page stays open, then leaves.
    pub(super) fn stop_watching(&mut self, i: u32) {
        let peer = &mut self.peers[i as usize];
        peer.phase = Phase::Lingering;
        peer.playhead = f64::from(peer.watch_target).min(self.cfg.video_secs);
        let linger = (f64::from(peer.linger) * 1000.0).round() as u64;
        let reqs = std::mem::take(&mut peer.reqs);
        for r in reqs {
            self.release(r);
        }
        self.events += 1;
        self.schedule(self.now.saturating_add(linger), Ev::Leave(i));
    }

    pub(super) fn watch_end(&mut self, i: u32) {
        if self.peers[i as usize].phase != Phase::Gone {
            self.stop_watching(i);
        }
    }

    /// Peer `i` closes its page: its connections drop (neighbours re-request what it was
    /// sending them), and unless it crashed it announces `stopped`.
    pub(super) fn leave(&mut self, i: u32) {
        let peer = &mut self.peers[i as usize];
        if peer.phase == Phase::Gone {
            return;
        }
        peer.phase = Phase::Gone;
        peer.left_ms = self.now;
        peer.stalled = false;
        let reqs = std::mem::take(&mut peer.reqs);
        let neighbours = std::mem::take(&mut peer.neighbours);
        let (p2p, crash, tracked) = (peer.p2p, peer.crash, peer.tracked);
        self.online -= 1;
        self.events += 1;
        for r in reqs {
            self.release(r);
        }
        for n in neighbours {
            let np = &mut self.peers[n as usize];
            if let Some(pos) = np.neighbours.iter().position(|&x| x == i) {
                np.neighbours.swap_remove(pos);
            }
            let mut k = 0;
            while k < self.peers[n as usize].reqs.len() {
                let r = self.peers[n as usize].reqs[k];
                if r.src == i {
                    self.peers[n as usize].reqs.swap_remove(k);
                    self.release(r);
                } else {
                    k += 1;
                }
            }
        }
        if self.cfg.ideal {
            // Sources are any online peer, not only neighbours.
            let src = i;
            for d in 0..self.downloading.len() {
                let n = self.downloading[d] as usize;
                let mut k = 0;
                while k < self.peers[n].reqs.len() {
                    let r = self.peers[n].reqs[k];
                    if r.src == src {
                        self.peers[n].reqs.swap_remove(k);
                        self.release(r);
                    } else {
                        k += 1;
                    }
                }
            }
        }
        if p2p {
            let avail = &mut self.avail;
            self.bits.for_each(i, |p| avail[p as usize] -= 1);
            if let Some(pos) = self.online_p2p.iter().position(|&x| x == i) {
                self.online_p2p.swap_remove(pos);
            }
        }
        if tracked && !crash {
            self.announce(i, AnnounceEvent::Stopped);
        }
        let peer = &mut self.peers[i as usize];
        peer.neighbours = Vec::new();
        peer.reqs = Vec::new();
    }

    /// Web seed `k` fails: requests to it are dropped and re-requested elsewhere next step.
    pub(super) fn server_down(&mut self, k: usize) {
        self.servers[k].live = false;
        let src = SERVER_BIT | k as u32;
        for d in 0..self.downloading.len() {
            let i = self.downloading[d] as usize;
            let mut j = 0;
            while j < self.peers[i].reqs.len() {
                let r = self.peers[i].reqs[j];
                if r.src == src {
                    self.peers[i].reqs.swap_remove(j);
                    self.release(r);
                } else {
                    j += 1;
                }
            }
        }
    }
}
