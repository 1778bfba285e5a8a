//! The placement engine: the federation's state (nodes, copies, the placed set of every
//! video) and a time-ordered event queue of membership changes (failures, loss detection,
//! the end of the repair delay, returns, joins, scripted events), transfer completions and
//! re-checks asked for by `hysteresis::decide`. Membership as seen by the members is one
//! shared view (every member detects a loss at the same time, `member_timeout` after it);
//! availability counts only copies on nodes that are really up.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use shoal_protocol::placement::{
    place_all, CopyState, Liveness, Member, MemberId, Members, PlacementError, Policy, VideoDigest,
};

use super::metrics::Tracker;
use crate::dist::Dist;
use crate::scenario::placement::{Action, Event, RepairOrder};
use crate::scenario::{LoadedPlacement, PlacementScenario};

/// No member in this slot of a video's placed set.
pub(super) const NONE: u32 = u32::MAX;
/// Videos per task of the initial bulk placement (run on all cores, merged in order).
const CHUNK: usize = 4096;

/// Something that happens at a simulated millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Ev {
    Sample,
    Fail { node: u32, epoch: u32 },
    Return { node: u32, epoch: u32 },
    Lost { node: u32, epoch: u32 },
    GraceEnd { node: u32, epoch: u32 },
    Join(u32),
    Script(u32),
    TransferDone { node: u32, gen: u32 },
    Check(u32),
}

/// A copy being fetched by a node.
#[derive(Debug, Clone, Copy)]
pub(super) struct Transfer {
    pub video: u32,
    pub ticket: u64,
    pub start: u64,
    pub end: u64,
    pub from_origin: bool,
}

/// One redundancy node.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub capacity: u64,
    /// Download rate, bytes per simulated ms.
    pub rate: f64,
    pub joined: bool,
    /// Really up (serving and fetching).
    pub up: bool,
    /// Left for good.
    pub gone: bool,
    /// As the other members see it.
    pub liveness: Liveness,
    /// Bumped on every failure and return, so stale timers are ignored.
    pub epoch: u32,
    /// Videos this node holds or fetches.
    pub held: BTreeSet<u32>,
    /// Videos whose placed set names this node.
    pub placed_on: BTreeSet<u32>,
    /// Fetches waiting: (priority, ticket, video).
    pub queue: BinaryHeap<Reverse<(u64, u64, u32)>>,
    pub current: Option<Transfer>,
    /// Bumped on every transfer start or abort (stale completions are ignored).
    pub gen: u32,
    /// Copies being fetched or queued.
    pub pending: u32,
    /// Bytes of complete copies held, now and at most.
    pub held_bytes: u64,
    pub peak_bytes: u64,
}

/// A copy of a video on a node.
#[derive(Debug, Clone, Copy)]
pub(super) struct Copy {
    pub node: u32,
    pub state: CopyState,
    pub created_at: u64,
    pub ticket: u64,
}

/// One video's copies.
#[derive(Debug, Clone, Default)]
pub(super) struct Video {
    pub copies: Vec<Copy>,
    /// Complete copies on nodes that are up.
    pub up_complete: u32,
    /// The re-check scheduled (`u64::MAX`: none).
    pub check_at: u64,
}

/// Knobs in engine units (ms since the internal epoch).
#[derive(Debug, Clone)]
pub(super) struct Cfg {
    pub k: usize,
    pub policy: Policy,
    /// Internal time of simulated second 0 (= `min_lifetime`, so initial copies are old).
    pub t0: u64,
    pub end: u64,
    pub sample_ms: u64,
    pub timeout_ms: u64,
    pub delay_ms: u64,
    pub origin_fallback: bool,
    pub order: RepairOrder,
    pub fail_after: Option<Dist>,
    pub return_after: Option<Dist>,
    pub permanent_share: f64,
    pub max_down: u64,
}

/// The simulation.
pub struct Engine {
    pub(super) cfg: Cfg,
    pub(super) members: Members,
    pub(super) nodes: Vec<Node>,
    /// Per member index: whether it is in placement (live, or lost within `repair_delay`).
    pub(super) eligible: Vec<bool>,
    pub(super) digests: Vec<VideoDigest>,
    pub(super) sizes: Vec<u64>,
    pub(super) videos: Vec<Video>,
    /// `placed[v * k..][..k]`: the placed set of video v, best first (`NONE` padded).
    pub(super) placed: Vec<u32>,
    /// The race key of the k-th placed member (`inf` when fewer than k).
    pub(super) kth: Vec<f64>,
    pub(super) metrics: Tracker,
    pub(super) scripts: Vec<Event>,
    queue: BinaryHeap<Reverse<(u64, u64, Ev)>>,
    seq: u64,
    pub(super) now: u64,
    pub(super) next_ticket: u64,
    pub(super) rng_churn: ChaCha8Rng,
    pub(super) rng_script: ChaCha8Rng,
    pub(super) seed: u64,
    pub(super) scratch: Vec<shoal_protocol::placement::Ranked>,
}

fn ms(secs: f64) -> u64 {
    (secs * 1000.0).round().max(0.0) as u64
}

impl Engine {
    /// Builds the federation of `loaded` at simulated second 0, every video on its top k of the
    /// initial nodes (`bulk::place_all`) with complete copies.
    pub fn new(loaded: &LoadedPlacement, seed: u64) -> Result<Self, PlacementError> {
        let s = &loaded.scenario;
        let stream = |k: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(k);
            rng
        };
        let (mut rng_nodes, mut rng_sizes, mut rng_joins) = (stream(1), stream(2), stream(4));
        let r = &s.redundancy;
        let policy = Policy::new(
            r.replicas as usize,
            s.replicas_max() as usize,
            ms(r.min_lifetime_secs),
            ms(r.repair_delay_secs),
        )?;
        let t0 = policy.min_lifetime;
        let churn = s.churn.as_ref();
        let cfg = Cfg {
            k: r.replicas as usize,
            policy,
            t0,
            end: t0 + ms(s.duration_secs),
            sample_ms: ms(s.sample_secs).max(1),
            timeout_ms: ms(r.member_timeout_secs),
            delay_ms: ms(r.repair_delay_secs),
            origin_fallback: r.origin_fallback,
            order: r.repair_order,
            fail_after: churn.and_then(|c| c.fail_after_secs.clone()),
            return_after: churn.map(|c| c.return_after_secs.clone()),
            permanent_share: churn.map_or(0.0, |c| c.permanent_share),
            max_down: churn.map_or(u64::MAX, |c| c.max_down),
        };
        // Join times: the Poisson process, then scripted joins; sorted, named in that order.
        let mut joins: Vec<u64> = Vec::new();
        if let Some(c) = churn.filter(|c| c.joins_per_day > 0.0) {
            let mut t = 0.0;
            loop {
                t += -(1.0 - rng_joins.gen::<f64>()).ln() * 86_400.0 / c.joins_per_day;
                if t > s.duration_secs {
                    break;
                }
                joins.push(ms(t));
            }
        }
        for e in s.events.iter().filter(|e| e.action == Action::Join) {
            joins.extend(std::iter::repeat_n(ms(e.at_secs), e.count as usize));
        }
        joins.sort();
        // The universe of nodes: initial ones, then joiners; properties drawn in that order.
        let mut universe: Vec<(Member, f64, Option<u64>)> = Vec::new();
        let mut draw = |name: String, join: Option<u64>, universe: &mut Vec<(Member, f64, Option<u64>)>| {
            let capacity = (s.nodes.capacity_gb.sample(&mut rng_nodes) * 1e9).round().max(0.0) as u64;
            let rate = (s.nodes.transfer_mbps.sample(&mut rng_nodes) * 125.0).max(1e-9);
            universe.push((Member { id: MemberId::from(name.as_str()), weight: capacity }, rate, join));
        };
        for i in 0..s.nodes.count {
            draw(PlacementScenario::node_name(i), None, &mut universe);
        }
        for (j, &t) in joins.iter().enumerate() {
            draw(format!("join-{j:05}"), Some(t), &mut universe);
        }
        let members = Members::new(universe.iter().map(|u| u.0.clone()))?;
        let index_of = |id: &MemberId| members.ids().binary_search(id).unwrap_or(0);
        let mut nodes: Vec<Node> = (0..members.len())
            .map(|_| Node {
                capacity: 0,
                rate: 1.0,
                joined: false,
                up: false,
                gone: false,
                liveness: Liveness::Live,
                epoch: 0,
                held: BTreeSet::new(),
                placed_on: BTreeSet::new(),
                queue: BinaryHeap::new(),
                current: None,
                gen: 0,
                pending: 0,
                held_bytes: 0,
                peak_bytes: 0,
            })
            .collect();
        let mut join_events = Vec::new();
        for (m, rate, join) in &universe {
            let i = index_of(&m.id);
            nodes[i].capacity = m.weight;
            nodes[i].rate = *rate;
            match join {
                None => {
                    nodes[i].joined = true;
                    nodes[i].up = true;
                }
                Some(t) => join_events.push((t0 + t, i as u32)),
            }
        }
        let eligible: Vec<bool> = nodes.iter().map(|n| n.joined).collect();
        // The catalogue.
        let v_count = s.catalogue.videos as usize;
        let digests: Vec<VideoDigest> =
            (0..v_count).map(|v| VideoDigest::of(format!("video-{v}").as_bytes())).collect();
        let sizes: Vec<u64> =
            (0..v_count).map(|_| (s.catalogue.size_mb.sample(&mut rng_sizes) * 1e6).round().max(1.0) as u64).collect();
        let popularity: Vec<f64> =
            (0..v_count).map(|v| 1.0 / ((v + 1) as f64).powf(s.catalogue.zipf_exponent)).collect();
        // Initial placement over the initial nodes, as the nodes compute it.
        let initial = Members::new(universe.iter().filter(|u| u.2.is_none()).map(|u| u.0.clone()))?;
        let k = cfg.k;
        let chunks: Vec<_> = digests
            .par_chunks(CHUNK)
            .map(|chunk| place_all(&initial, chunk, k))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<_, _>>()?;
        let mut sets: Vec<Vec<u32>> = vec![Vec::with_capacity(k); v_count];
        for (c, assignment) in chunks.iter().enumerate() {
            for (m, id) in initial.ids().iter().enumerate() {
                let u = index_of(id) as u32;
                for &local in assignment.of_member(m) {
                    sets[c * CHUNK + local as usize].push(u);
                }
            }
        }
        let mut placed = vec![NONE; v_count * k];
        let mut kth = vec![f64::INFINITY; v_count];
        let mut videos = vec![Video { copies: Vec::new(), up_complete: 0, check_at: u64::MAX }; v_count];
        for (v, set) in sets.iter_mut().enumerate() {
            set.sort_by(|&a, &b| members.key(a as usize, digests[v]).total_cmp(&members.key(b as usize, digests[v])));
            for (slot, &m) in set.iter().enumerate() {
                placed[v * k + slot] = m;
                let node = &mut nodes[m as usize];
                node.placed_on.insert(v as u32);
                node.held.insert(v as u32);
                node.held_bytes += sizes[v];
                node.peak_bytes = node.held_bytes;
                videos[v].copies.push(Copy { node: m, state: CopyState::Complete, created_at: 0, ticket: 0 });
            }
            videos[v].up_complete = set.len() as u32;
            if set.len() == k {
                kth[v] = members.key(set[k - 1] as usize, digests[v]);
            }
        }
        let counts: Vec<u32> = videos.iter().map(|v| v.up_complete).collect();
        let up = nodes.iter().filter(|n| n.up).count() as u64;
        let metrics = Tracker::new(&cfg, &counts, &popularity, up);
        let mut engine = Engine {
            cfg,
            members,
            nodes,
            eligible,
            digests,
            sizes,
            videos,
            placed,
            kth,
            metrics,
            scripts: s.events.clone(),
            queue: BinaryHeap::new(),
            seq: 0,
            now: t0,
            next_ticket: 1,
            rng_churn: stream(3),
            rng_script: stream(5),
            seed,
            scratch: Vec::new(),
        };
        for i in 0..engine.nodes.len() {
            if engine.nodes[i].joined {
                engine.schedule_failure(i as u32);
            }
        }
        for (t, i) in join_events {
            engine.schedule(t, Ev::Join(i));
        }
        for (i, e) in engine.scripts.clone().iter().enumerate() {
            if e.action != Action::Join {
                engine.schedule(t0 + ms(e.at_secs), Ev::Script(i as u32));
            }
        }
        engine.schedule(t0, Ev::Sample);
        Ok(engine)
    }

    pub(super) fn schedule(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, ev)));
    }

    /// Runs to the end; `progress(simulated_ms, duration_ms)` is called about 1,000 times.
    pub fn run(&mut self, progress: impl FnMut(u64, u64)) {
        self.run_until((self.cfg.end - self.cfg.t0) as f64 / 1000.0, progress);
    }

    /// Runs every event up to simulated second `secs` (at most the end) and stops there.
    pub fn run_until(&mut self, secs: f64, mut progress: impl FnMut(u64, u64)) {
        let until = (self.cfg.t0 + ms(secs)).min(self.cfg.end);
        let (t0, end) = (self.cfg.t0, self.cfg.end);
        let step = ((end - t0) / 1000).max(1);
        let mut next_report = self.now;
        while let Some(Reverse((at, _, _))) = self.queue.peek() {
            if *at > until {
                break;
            }
            let Some(Reverse((at, _, ev))) = self.queue.pop() else { break };
            self.now = at;
            self.metrics.events += 1;
            if at >= next_report {
                progress(at - t0, end - t0);
                next_report = at + step;
            }
            self.handle(ev);
        }
        self.now = self.now.max(until);
        progress(self.now - t0, end - t0);
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Sample => {
                self.sample();
                if self.now + self.cfg.sample_ms <= self.cfg.end {
                    self.schedule(self.now + self.cfg.sample_ms, Ev::Sample);
                }
            }
            Ev::Fail { node, epoch } => self.random_failure(node, epoch),
            Ev::Return { node, epoch } => {
                let n = &self.nodes[node as usize];
                if n.epoch == epoch && !n.up && !n.gone {
                    self.node_returns(node);
                }
            }
            Ev::Lost { node, epoch } => self.node_lost(node, epoch),
            Ev::GraceEnd { node, epoch } => self.grace_ends(node, epoch),
            Ev::Join(node) => self.node_joins(node),
            Ev::Script(i) => self.script(i as usize),
            Ev::TransferDone { node, gen } => self.transfer_done(node, gen),
            Ev::Check(v) => {
                if self.videos[v as usize].check_at == self.now {
                    self.videos[v as usize].check_at = u64::MAX;
                    self.decide(v);
                }
            }
        }
    }

    /// Simulated seconds since the start.
    pub fn now_secs(&self) -> f64 {
        (self.now - self.cfg.t0) as f64 / 1000.0
    }

    /// Member ids, sorted; member indices point here.
    pub fn ids(&self) -> &[MemberId] {
        self.members.ids()
    }

    /// The members in placement now (live, or lost within `repair_delay`), with their weights.
    pub fn members_in_placement(&self) -> Vec<Member> {
        (0..self.nodes.len())
            .filter(|&i| self.eligible[i])
            .map(|i| Member { id: self.members.ids()[i].clone(), weight: self.nodes[i].capacity })
            .collect()
    }

    /// Video `v`'s placement key (`video-{v}`) and digest.
    pub fn video_key(v: usize) -> String {
        format!("video-{v}")
    }

    /// The digests of the catalogue, in video order.
    pub fn digests(&self) -> &[VideoDigest] {
        &self.digests
    }

    /// Video `v`'s placed set as member indices, best first.
    pub fn placed(&self, v: usize) -> Vec<u32> {
        self.placed[v * self.cfg.k..][..self.cfg.k].iter().copied().filter(|&m| m != NONE).collect()
    }

    /// Member indices holding a complete copy of `v` on a node that is up.
    pub fn complete_holders(&self, v: usize) -> Vec<u32> {
        let mut out: Vec<u32> = self.videos[v]
            .copies
            .iter()
            .filter(|c| c.state == CopyState::Complete && self.nodes[c.node as usize].up)
            .map(|c| c.node)
            .collect();
        out.sort();
        out
    }

    /// Member indices with any copy (complete or being fetched, up or not) of `v`.
    pub fn all_holders(&self, v: usize) -> Vec<u32> {
        let mut out: Vec<u32> = self.videos[v].copies.iter().map(|c| c.node).collect();
        out.sort();
        out
    }
}
