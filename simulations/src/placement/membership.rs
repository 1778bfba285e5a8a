//! Membership changes: random failures (limited by `max_down`), departures, returns with the
//! data kept, joins, scripted events; loss detection `member_timeout` after a failure and the
//! end of a lost member's place `repair_delay` later. Each change decides the videos it touches.

use rand::Rng;
use shoal_protocol::placement::{Liveness, MemberId};

use super::engine::{Engine, Ev, Node};
use crate::dist::Dist;
use crate::scenario::placement::Action;

fn ms(secs: f64) -> u64 {
    (secs * 1000.0).round().max(0.0) as u64
}

impl Engine {
    pub(super) fn draw_ms(&mut self, d: &Dist) -> u64 {
        ms(d.sample(&mut self.rng_churn)).max(1)
    }

    pub(super) fn schedule_failure(&mut self, node: u32) {
        if let Some(d) = self.cfg.fail_after.clone() {
            let after = self.draw_ms(&d);
            let epoch = self.nodes[node as usize].epoch;
            self.schedule(self.now.saturating_add(after), Ev::Fail { node, epoch });
        }
    }

    pub(super) fn schedule_return(&mut self, node: u32) {
        if let Some(d) = self.cfg.return_after.clone() {
            let after = self.draw_ms(&d);
            let epoch = self.nodes[node as usize].epoch;
            self.schedule(self.now.saturating_add(after), Ev::Return { node, epoch });
        }
    }

    pub(super) fn random_failure(&mut self, node: u32, epoch: u32) {
        let n = &self.nodes[node as usize];
        if n.epoch != epoch || !n.up {
            return;
        }
        if self.metrics.down >= self.cfg.max_down {
            self.schedule_failure(node);
            return;
        }
        let permanent = self.rng_churn.gen::<f64>() < self.cfg.permanent_share;
        self.node_fails(node, permanent);
        if !permanent {
            self.schedule_return(node);
        }
    }

    /// Node `node` stops: its fetches are aborted (partial bytes counted), its complete copies
    /// stop counting; the others notice `member_timeout` later.
    pub(super) fn node_fails(&mut self, node: u32, permanent: bool) {
        self.abort_transfers(node);
        let n = &mut self.nodes[node as usize];
        n.up = false;
        n.gone = permanent;
        n.epoch += 1;
        let epoch = n.epoch;
        let held: Vec<u32> = n.held.iter().copied().collect();
        if permanent {
            self.metrics.departures += 1;
        } else {
            self.metrics.failures += 1;
            self.metrics.down += 1;
        }
        self.metrics.up -= 1;
        for v in held {
            self.change_up_complete(v, -1);
        }
        self.schedule(self.now + self.cfg.timeout_ms, Ev::Lost { node, epoch });
    }

    /// Node `node` restarts with its complete copies; it is in placement again at once.
    pub(super) fn node_returns(&mut self, node: u32) {
        let n = &mut self.nodes[node as usize];
        n.up = true;
        n.epoch += 1;
        n.liveness = Liveness::Live;
        let held: Vec<u32> = n.held.iter().copied().collect();
        self.metrics.returns += 1;
        self.metrics.down -= 1;
        self.metrics.up += 1;
        for &v in &held {
            self.change_up_complete(v, 1);
        }
        if !self.eligible[node as usize] {
            self.eligible[node as usize] = true;
            self.add_member(node);
        }
        self.decide_around(node);
        self.schedule_failure(node);
    }

    pub(super) fn node_lost(&mut self, node: u32, epoch: u32) {
        let n = &mut self.nodes[node as usize];
        if n.epoch != epoch || n.up {
            return;
        }
        n.liveness = Liveness::Lost { since: self.now };
        self.schedule(self.now + self.cfg.delay_ms, Ev::GraceEnd { node, epoch });
        self.decide_around(node);
    }

    pub(super) fn grace_ends(&mut self, node: u32, epoch: u32) {
        let n = &self.nodes[node as usize];
        if n.epoch != epoch || n.up || !self.eligible[node as usize] {
            return;
        }
        self.eligible[node as usize] = false;
        self.remove_member(node);
    }

    pub(super) fn node_joins(&mut self, node: u32) {
        let n = &mut self.nodes[node as usize];
        n.joined = true;
        n.up = true;
        n.liveness = Liveness::Live;
        self.metrics.joins += 1;
        self.metrics.up += 1;
        self.eligible[node as usize] = true;
        self.add_member(node);
        self.schedule_failure(node);
    }

    /// Decides every video `node` holds or is placed for.
    pub(super) fn decide_around(&mut self, node: u32) {
        let n = &self.nodes[node as usize];
        let around: Vec<u32> = n.held.union(&n.placed_on).copied().collect();
        for v in around {
            self.decide(v);
        }
    }

    pub(super) fn script(&mut self, i: usize) {
        let e = self.scripts[i].clone();
        let applies = |n: &Node| match e.action {
            Action::Fail | Action::Leave => n.joined && n.up,
            Action::Return => n.joined && !n.up && !n.gone,
            Action::Join => false,
        };
        let targets: Vec<u32> = if e.nodes.is_empty() {
            let mut candidates: Vec<u32> =
                (0..self.nodes.len() as u32).filter(|&n| applies(&self.nodes[n as usize])).collect();
            let take = (e.count as usize).min(candidates.len());
            for j in 0..take {
                let pick = self.rng_script.gen_range(j..candidates.len());
                candidates.swap(j, pick);
            }
            candidates.truncate(take);
            candidates
        } else {
            e.nodes
                .iter()
                .filter_map(|name| self.members.ids().binary_search(&MemberId::from(name.as_str())).ok())
                .map(|i| i as u32)
                .filter(|&n| applies(&self.nodes[n as usize]))
                .collect()
        };
        for n in targets {
            match e.action {
                Action::Fail => {
                    self.node_fails(n, false);
                    self.schedule_return(n);
                }
                Action::Leave => self.node_fails(n, true),
                Action::Return => self.node_returns(n),
                Action::Join => {}
            }
        }
    }
}
