//! Copies and transfers: incremental re-placement when membership changes (only videos whose
//! top k can change are recomputed, with `Members::place_among`), one `hysteresis::decide`
//! per touched video, and the node's fetch queue (one copy at a time at its transfer rate).
//!
//! A member entering placement can only take videos for which its race key beats the k-th
//! placed key (one key per video to test); a member leaving only changes the videos it was
//! placed for. Either way the recomputed set is the full top k over the members in placement,
//! so it equals what every node computes from scratch (the tests check that).

use std::cmp::Reverse;

use shoal_protocol::placement::{decide, CopyState, Holder};

use super::engine::{Copy, Engine, Ev, Transfer, NONE};
use crate::scenario::placement::RepairOrder;

impl Engine {
    /// `node` has entered placement: re-places the videos whose k-th key it beats.
    pub(super) fn add_member(&mut self, node: u32) {
        for v in 0..self.digests.len() {
            let key = self.members.key(node as usize, self.digests[v]);
            if key.is_finite() && key <= self.kth[v] {
                self.recompute(v as u32);
            }
        }
    }

    /// `node` has left placement: re-places the videos it was placed for.
    pub(super) fn remove_member(&mut self, node: u32) {
        let affected: Vec<u32> = self.nodes[node as usize].placed_on.iter().copied().collect();
        for v in affected {
            self.recompute(v);
        }
    }

    /// Recomputes video `v`'s top k over the members in placement, then decides it.
    fn recompute(&mut self, v: u32) {
        let k = self.cfg.k;
        let mut top = std::mem::take(&mut self.scratch);
        let eligible = &self.eligible;
        self.members.place_among(self.digests[v as usize], k, |i| eligible[i], &mut top);
        let base = v as usize * k;
        let old: Vec<u32> = self.placed[base..base + k].iter().copied().filter(|&m| m != NONE).collect();
        for &m in &old {
            if !top.iter().any(|r| r.index == m) {
                self.nodes[m as usize].placed_on.remove(&v);
            }
        }
        for (slot, r) in top.iter().enumerate() {
            if !old.contains(&r.index) {
                self.nodes[r.index as usize].placed_on.insert(v);
                self.metrics.moves += 1;
            }
            self.placed[base + slot] = r.index;
        }
        for slot in top.len()..k {
            self.placed[base + slot] = NONE;
        }
        self.kth[v as usize] = if top.len() == k { top[k - 1].key } else { f64::INFINITY };
        self.scratch = top;
        self.decide(v);
    }

    /// Runs the placement rules for video `v` and applies them.
    pub(super) fn decide(&mut self, v: u32) {
        self.metrics.decisions += 1;
        let k = self.cfg.k;
        let placed: Vec<_> = self.placed[v as usize * k..][..k]
            .iter()
            .filter(|&&m| m != NONE)
            .map(|&m| (m, self.nodes[m as usize].liveness))
            .collect();
        let holders: Vec<Holder<u32>> = self.videos[v as usize]
            .copies
            .iter()
            .map(|c| Holder {
                member: c.node,
                state: c.state,
                created_at: c.created_at,
                liveness: self.nodes[c.node as usize].liveness,
            })
            .collect();
        let d = decide(&placed, &holders, &self.cfg.policy, self.now);
        for m in d.drop {
            self.drop_copy(v, m);
        }
        for m in d.fetch {
            self.start_fetch(v, m);
        }
        if let Some(t) = d.next_check {
            let video = &mut self.videos[v as usize];
            if t > self.now && t < video.check_at {
                video.check_at = t;
                self.schedule(t, Ev::Check(v));
            }
        }
    }

    fn has_member_source(&self, v: u32) -> bool {
        self.videos[v as usize].copies.iter().any(|c| c.state == CopyState::Complete && self.nodes[c.node as usize].up)
    }

    /// Member `m` is asked to fetch `v`: a copy being fetched is queued (a node that is
    /// really down, though not yet seen lost, cannot start; it is asked again when it returns).
    fn start_fetch(&mut self, v: u32, m: u32) {
        if !self.nodes[m as usize].up {
            return;
        }
        if !self.cfg.origin_fallback && !self.has_member_source(v) {
            self.metrics.no_source += 1;
            return;
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.videos[v as usize].copies.push(Copy { node: m, state: CopyState::Fetching, created_at: self.now, ticket });
        let prio = match self.cfg.order {
            RepairOrder::Fifo => 0,
            RepairOrder::PopularFirst => u64::from(v),
            RepairOrder::RepairsFirst => u64::from(self.videos[v as usize].up_complete >= self.cfg.k as u32),
        };
        let node = &mut self.nodes[m as usize];
        node.held.insert(v);
        node.queue.push(Reverse((prio, ticket, v)));
        node.pending += 1;
        self.metrics.fetching += 1;
        self.metrics.max_queue = self.metrics.max_queue.max(node.pending);
        if node.current.is_none() {
            self.start_next(m);
        }
    }

    /// Starts the next valid fetch in `m`'s queue, if any.
    fn start_next(&mut self, m: u32) {
        while let Some(Reverse((_, ticket, v))) = self.nodes[m as usize].queue.pop() {
            let valid = self.videos[v as usize]
                .copies
                .iter()
                .any(|c| c.node == m && c.ticket == ticket && c.state == CopyState::Fetching);
            if !valid {
                continue;
            }
            let from_origin = !self.has_member_source(v);
            if from_origin && !self.cfg.origin_fallback {
                // The last source went down while this fetch waited: give it up for now.
                self.remove_copy(v, m);
                self.nodes[m as usize].pending -= 1;
                self.metrics.fetching -= 1;
                self.metrics.no_source += 1;
                continue;
            }
            let node = &mut self.nodes[m as usize];
            let duration = ((self.sizes[v as usize] as f64 / node.rate).ceil() as u64).max(1);
            let end = self.now.saturating_add(duration);
            node.current = Some(Transfer { video: v, ticket, start: self.now, end, from_origin });
            node.gen = node.gen.wrapping_add(1);
            let gen = node.gen;
            self.metrics.in_flight += 1;
            self.schedule(end, Ev::TransferDone { node: m, gen });
            return;
        }
    }

    pub(super) fn transfer_done(&mut self, m: u32, gen: u32) {
        let node = &mut self.nodes[m as usize];
        if node.gen != gen {
            return;
        }
        let Some(t) = node.current.take() else { return };
        let size = self.sizes[t.video as usize];
        node.pending -= 1;
        node.held_bytes += size;
        node.peak_bytes = node.peak_bytes.max(node.held_bytes);
        self.metrics.in_flight -= 1;
        self.metrics.fetching -= 1;
        self.metrics.completed += 1;
        self.metrics.traffic(t.start, t.end, size, t.from_origin);
        if let Some(c) = self.videos[t.video as usize].copies.iter_mut().find(|c| c.node == m && c.ticket == t.ticket) {
            c.state = CopyState::Complete;
        }
        self.change_up_complete(t.video, 1);
        self.start_next(m);
        self.decide(t.video);
    }

    /// Bytes of transfer `t` moved by now.
    fn partial(&self, t: &Transfer) -> u64 {
        let size = self.sizes[t.video as usize];
        let span = (t.end - t.start).max(1);
        (u128::from(size) * u128::from(self.now.min(t.end) - t.start) / u128::from(span)) as u64
    }

    /// Stops `m`'s current transfer, counting the bytes it moved.
    fn cancel_current(&mut self, m: u32) {
        if let Some(t) = self.nodes[m as usize].current.take() {
            let bytes = self.partial(&t);
            self.metrics.traffic(t.start, self.now, bytes, t.from_origin);
            self.metrics.cancelled_bytes += bytes;
            self.metrics.cancelled += 1;
            self.metrics.in_flight -= 1;
            let node = &mut self.nodes[m as usize];
            node.gen = node.gen.wrapping_add(1);
        }
    }

    fn remove_copy(&mut self, v: u32, m: u32) -> Option<Copy> {
        let copies = &mut self.videos[v as usize].copies;
        let at = copies.iter().position(|c| c.node == m)?;
        self.nodes[m as usize].held.remove(&v);
        Some(copies.remove(at))
    }

    /// Drops (or cancels) `m`'s copy of `v`, as `decide` asked.
    fn drop_copy(&mut self, v: u32, m: u32) {
        let Some(copy) = self.remove_copy(v, m) else { return };
        match copy.state {
            CopyState::Fetching => {
                if self.nodes[m as usize].current.is_some_and(|t| t.video == v && t.ticket == copy.ticket) {
                    self.cancel_current(m);
                    self.start_next(m);
                } else {
                    self.metrics.cancelled += 1;
                }
                self.nodes[m as usize].pending -= 1;
                self.metrics.fetching -= 1;
            }
            CopyState::Complete => {
                self.metrics.dropped += 1;
                self.nodes[m as usize].held_bytes -= self.sizes[v as usize];
                if self.nodes[m as usize].up {
                    self.change_up_complete(v, -1);
                    if self.videos[v as usize].up_complete == 0 {
                        self.metrics.drops_to_zero += 1;
                    }
                }
            }
        }
    }

    /// `m` went down: its current and queued fetches are abandoned.
    pub(super) fn abort_transfers(&mut self, m: u32) {
        self.cancel_current(m);
        let node = &mut self.nodes[m as usize];
        node.queue.clear();
        let fetching: Vec<u32> = node
            .held
            .iter()
            .copied()
            .filter(|&v| self.videos[v as usize].copies.iter().any(|c| c.node == m && c.state == CopyState::Fetching))
            .collect();
        for v in fetching {
            self.remove_copy(v, m);
            self.metrics.fetching -= 1;
        }
        self.nodes[m as usize].pending = 0;
    }

    /// Video `v`'s count of complete copies on up nodes changes by `delta`.
    pub(super) fn change_up_complete(&mut self, v: u32, delta: i32) {
        let video = &mut self.videos[v as usize];
        let old = video.up_complete;
        video.up_complete = old.saturating_add_signed(delta);
        self.metrics.copies_changed(v, old, video.up_complete, self.now);
        let k = self.cfg.k as u32;
        if self.cfg.order == RepairOrder::RepairsFirst && old >= k && video.up_complete < k {
            // Queued fetches of this video jump ahead (the old entry goes stale once it runs).
            let queued: Vec<(u32, u64)> =
                video.copies.iter().filter(|c| c.state == CopyState::Fetching).map(|c| (c.node, c.ticket)).collect();
            for (m, ticket) in queued {
                let node = &mut self.nodes[m as usize];
                if node.current.is_none_or(|t| t.ticket != ticket) {
                    node.queue.push(Reverse((0, ticket, v)));
                }
            }
        }
    }
}
