//! One bandwidth step: every request in flight is a flow from its source's upload to its
//! sink's download; flows get max-min fair rates for `dt`, bytes move, pieces complete; then
//! each fetching viewer advances its playhead and issues new requests.

use super::engine::Engine;
use super::peer::{Phase, SERVER_BIT};

impl Engine {
    pub(super) fn step(&mut self) {
        let dt = self.cfg.dt_ms;
        let start = self.now.saturating_sub(dt);
        let ready_by = start + dt / 2;
        let servers = self.servers.len() as u32;
        // Flows.
        let (mut links, mut demand, mut owner, mut rates) = std::mem::take(&mut self.step_buffers);
        links.clear();
        demand.clear();
        owner.clear();
        for &i in &self.downloading {
            for (j, r) in self.peers[i as usize].reqs.iter().enumerate() {
                if r.ready_ms > ready_by {
                    continue;
                }
                let up = if r.src & SERVER_BIT != 0 { r.src & !SERVER_BIT } else { servers + 2 * r.src };
                links.push((up, servers + 2 * i + 1));
                demand.push(f64::from(r.remaining));
                owner.push((i, j as u16));
            }
        }
        {
            let (peers, srv, specs) = (&self.peers, &self.servers, &self.cfg.servers);
            let capacity = |l: u32| -> f64 {
                let bytes_per_sec = if l < servers {
                    if srv[l as usize].live {
                        specs[l as usize].up
                    } else {
                        0
                    }
                } else {
                    let p = &peers[((l - servers) / 2) as usize];
                    u64::from(if (l - servers) & 1 == 0 { p.up } else { p.down })
                };
                bytes_per_sec as f64 * dt as f64 / 1000.0
            };
            self.maxmin.allocate(&links, &demand, capacity, &mut rates);
        }
        // Bytes move.
        let second = (start / 1000) as usize;
        let (mut origin, mut mirrors, mut p2p) = (0u64, 0u64, 0u64);
        for (f, &(i, j)) in owner.iter().enumerate() {
            let r = &mut self.peers[i as usize].reqs[j as usize];
            let bytes = (rates[f].floor() as u64).min(u64::from(r.remaining)) as u32;
            r.remaining -= bytes;
            r.last = bytes;
            let src = r.src;
            let b = u64::from(bytes);
            if src & SERVER_BIT != 0 {
                let k = (src & !SERVER_BIT) as usize;
                self.servers[k].bytes += b;
                if self.cfg.servers[k].origin {
                    origin += b;
                    self.peers[i as usize].from_origin += b;
                } else {
                    mirrors += b;
                    self.peers[i as usize].from_mirrors += b;
                }
            } else {
                p2p += b;
                self.peers[i as usize].from_peers += b;
                self.peers[src as usize].uploaded += b;
            }
        }
        self.step_buffers = (links, demand, owner, rates);
        if let Some(row) = self.rows.get_mut(second) {
            row.origin_bytes += origin;
            row.mirror_bytes += mirrors;
            row.p2p_bytes += p2p;
        }
        // Pieces complete, playheads move, new requests go out.
        let mut leaving = Vec::new();
        for d in 0..self.downloading.len() {
            let i = self.downloading[d];
            let mut j = 0;
            while j < self.peers[i as usize].reqs.len() {
                let r = self.peers[i as usize].reqs[j];
                if r.remaining == 0 {
                    self.peers[i as usize].reqs.swap_remove(j);
                    self.piece_done(i, r);
                } else {
                    j += 1;
                }
            }
            if self.peers[i as usize].have == self.cfg.pieces {
                self.download_complete(i);
                continue;
            }
            if self.cfg.watch && self.playback(i) {
                leaving.push(i);
                continue;
            }
            if self.peers[i as usize].phase == Phase::Active {
                self.refill(i);
            }
        }
        for i in leaving {
            self.leave(i);
        }
        let peers = &self.peers;
        self.downloading.retain(|&i| peers[i as usize].phase == Phase::Active);
        // Gauges.
        let counts = self.tracker.counts();
        let stalled = if self.cfg.watch {
            self.downloading.iter().filter(|&&i| self.peers[i as usize].stalled).count() as u32
        } else {
            0
        };
        if let Some(row) = self.rows.get_mut(second) {
            row.online = self.online;
            row.downloading = self.downloading.len() as u32;
            row.seeders = counts.seeders;
            row.leechers = counts.leechers;
            row.stalled = stalled;
        }
    }
}
