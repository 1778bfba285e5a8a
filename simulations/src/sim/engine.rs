//! The discrete-event engine: a time-ordered event queue (arrivals, announces, connections,
//! departures, server failures, tracker expiry) plus a periodic step event that shares
//! bandwidth max-min fairly among the flows in flight (see `step.rs`). Everything random is
//! drawn from seeded ChaCha streams; ties in time are broken by insertion order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shoal_protocol::tracker::swarm::AnnounceEvent;

use super::arrivals::ArrivalProcess;
use super::config::{mbps_to_bytes, Config};
use super::lifecycle::region_of;
use super::maxmin::MaxMin;
use super::metrics::Row;
use super::peer::{Peer, Phase, NEVER, SERVER_BIT};
use super::pieces::Bitfields;
use super::tracker::SimTracker;
use crate::scenario::Loaded;

/// Something that happens at a simulated millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Ev {
    /// Bandwidth step covering the last `dt_ms`.
    Step,
    Arrival,
    Announce(u32),
    Connect(u32, u32),
    WatchEnd(u32),
    Leave(u32),
    ServerUp(u16),
    ServerDown(u16),
    Expire,
}

/// A web seed's live state.
#[derive(Debug, Clone)]
pub(super) struct ServerState {
    pub live: bool,
    /// Requests in flight.
    pub serving: u32,
    pub bytes: u64,
}

/// Seconds between tracker expiry sweeps.
const EXPIRE_EVERY_MS: u64 = 30_000;

/// The simulation.
pub struct Engine {
    pub(super) cfg: Config,
    pub(super) peers: Vec<Peer>,
    pub(super) bits: Bitfields,
    /// Per piece: online P2P peers that have it.
    pub(super) avail: Vec<u32>,
    /// Per piece: requests in flight (the ideal scheduler's global knowledge).
    pub(super) inflight: Vec<u32>,
    pub(super) servers: Vec<ServerState>,
    pub(super) tracker: SimTracker,
    arrivals: ArrivalProcess,
    queue: BinaryHeap<Reverse<(u64, u64, Ev)>>,
    seq: u64,
    pub(super) now: u64,
    /// Peers fetching pieces, in arrival order.
    pub(super) downloading: Vec<u32>,
    /// Online P2P peers (kept for the ideal scheduler only).
    pub(super) online_p2p: Vec<u32>,
    pub(super) online: u32,
    rng_arrivals: ChaCha8Rng,
    rng_peers: ChaCha8Rng,
    rng_tracker: ChaCha8Rng,
    pub(super) rng_sched: ChaCha8Rng,
    pub(super) maxmin: MaxMin,
    pub(super) rows: Vec<Row>,
    /// Peer events processed (arrivals, announces, connections, requests, pieces, playback
    /// changes, departures).
    pub(super) events: u64,
    pub(super) seed: u64,
    pub(super) scratch: Vec<u32>,
    /// A trace's watch time for the arrival scheduled next.
    next_watch: Option<f64>,
    /// Flow buffers reused by every step: links, demands, owners `(peer, request)`, rates.
    pub(super) step_buffers: StepBuffers,
}

/// See [`Engine::step_buffers`].
pub(super) type StepBuffers = (Vec<(u32, u32)>, Vec<f64>, Vec<(u32, u16)>, Vec<f64>);

impl Engine {
    /// Builds the engine for `loaded` with `seed`.
    pub fn new(loaded: &Loaded, seed: u64) -> Self {
        let cfg = Config::new(&loaded.scenario);
        let stream = |k: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(k);
            rng
        };
        let seconds = cfg.end_ms.div_ceil(1000) as usize;
        let mut engine = Engine {
            bits: Bitfields::new(cfg.pieces),
            avail: vec![0; cfg.pieces as usize],
            inflight: vec![0; cfg.pieces as usize],
            servers: cfg.servers.iter().map(|_| ServerState { live: false, serving: 0, bytes: 0 }).collect(),
            tracker: SimTracker::new(cfg.tracker_max_peers, cfg.tracker_timeout_secs),
            arrivals: ArrivalProcess::new(&loaded.scenario.arrivals, &loaded.trace, cfg.end_ms as f64 / 1000.0),
            queue: BinaryHeap::new(),
            seq: 0,
            now: 0,
            peers: Vec::new(),
            downloading: Vec::new(),
            online_p2p: Vec::new(),
            online: 0,
            rng_arrivals: stream(1),
            rng_peers: stream(2),
            rng_tracker: stream(3),
            rng_sched: stream(4),
            maxmin: MaxMin::default(),
            rows: (0..seconds).map(|s| Row { second: s as u32, ..Row::default() }).collect(),
            events: 0,
            seed,
            scratch: Vec::new(),
            next_watch: None,
            step_buffers: Default::default(),
            cfg,
        };
        for (k, s) in engine.cfg.servers.clone().iter().enumerate() {
            engine.schedule(s.up_ms, Ev::ServerUp(k as u16));
            if let Some(d) = s.down_ms {
                engine.schedule(d, Ev::ServerDown(k as u16));
            }
        }
        engine.schedule_next_arrival();
        engine.schedule(engine.cfg.dt_ms, Ev::Step);
        engine.schedule(EXPIRE_EVERY_MS, Ev::Expire);
        engine
    }

    pub(super) fn schedule(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, ev)));
    }

    /// Runs to the end; `progress(now_ms, end_ms)` is called about every simulated 10 s.
    pub fn run(&mut self, mut progress: impl FnMut(u64, u64)) {
        let mut next_report = 0;
        while let Some(Reverse((at, _, ev))) = self.queue.pop() {
            if at > self.cfg.end_ms {
                break;
            }
            self.now = at;
            if at >= next_report {
                progress(at, self.cfg.end_ms);
                next_report = at + 10_000;
            }
            match ev {
                Ev::Step => {
                    self.step();
                    self.schedule(at + self.cfg.dt_ms, Ev::Step);
                }
                Ev::Arrival => self.arrive(),
                Ev::Announce(i) => self.periodic_announce(i),
                Ev::Connect(a, b) => self.connect(a, b),
                Ev::WatchEnd(i) => self.watch_end(i),
                Ev::Leave(i) => self.leave(i),
                Ev::ServerUp(k) => self.servers[k as usize].live = true,
                Ev::ServerDown(k) => self.server_down(k as usize),
                Ev::Expire => {
                    self.tracker.expire(self.now);
                    self.schedule(at + EXPIRE_EVERY_MS, Ev::Expire);
                }
            }
        }
        self.now = self.cfg.end_ms;
        progress(self.cfg.end_ms, self.cfg.end_ms);
    }

    fn schedule_next_arrival(&mut self) {
        if let Some((t, watch)) = self.arrivals.next(&mut self.rng_arrivals) {
            let at = (t * 1000.0).round() as u64;
            if at <= self.cfg.end_ms {
                self.next_watch = watch;
                self.schedule(at, Ev::Arrival);
            }
        }
    }
}

impl Engine {
    /// A viewer arrives: draws its properties (always in the same order, so one flag never
    /// shifts the others' draws), opens the page and asks for the first pieces.
    fn arrive(&mut self) {
        let watch_override = self.next_watch.take();
        self.schedule_next_arrival();
        let index = self.peers.len() as u32;
        let cfg = &self.cfg;
        let rng = &mut self.rng_peers;
        let region = region_of(&cfg.region_cdf, rng.gen::<f64>());
        let up = mbps_to_bytes(cfg.upload_mbps.sample(rng)).min(u64::from(u32::MAX)) as u32;
        let down = mbps_to_bytes(cfg.download_mbps.sample(rng)).clamp(1, u64::from(u32::MAX)) as u32;
        let webrtc = rng.gen::<f64>() >= cfg.no_webrtc_share;
        let crash = rng.gen::<f64>() < cfg.crash_share;
        let watch = cfg.watch_secs.sample(rng);
        let linger = cfg.linger_secs.sample(rng);
        let patience = cfg.patience_secs.sample(rng);
        let watch_target = watch_override.unwrap_or(watch).min(cfg.video_secs);
        let p2p = cfg.p2p && webrtc;
        self.peers.push(Peer {
            join_ms: self.now,
            up,
            down,
            region,
            p2p,
            crash,
            phase: Phase::Active,
            started: false,
            stalled: false,
            abandoned: false,
            tracked: false,
            watch_target: watch_target as f32,
            linger: linger.min(1e9) as f32,
            patience: patience.min(1e9) as f32,
            have: 0,
            first_missing: 0,
            playhead: 0.0,
            startup_ms: NEVER,
            completed_ms: NEVER,
            left_ms: NEVER,
            stalls: 0,
            stall_ms: 0,
            from_origin: 0,
            from_mirrors: 0,
            from_peers: 0,
            uploaded: 0,
            serving: 0,
            pending: 0,
            rot: 0,
            neighbours: Vec::new(),
            reqs: Vec::new(),
        });
        self.bits.push_peer();
        self.online += 1;
        self.events += 1;
        if let Some(row) = self.rows.get_mut((self.now / 1000) as usize) {
            row.arrivals += 1;
        }
        self.downloading.push(index);
        if p2p {
            if self.cfg.ideal {
                self.online_p2p.push(index);
            }
            let origin_region = self.cfg.servers[0].region;
            let delay = self.rtt(region, origin_region);
            self.schedule(self.now + delay, Ev::Announce(index));
        }
    }

    /// Round trip between two regions, ms.
    pub(super) fn rtt(&self, a: u8, b: u8) -> u64 {
        self.cfg.rtt_ms[a as usize][b as usize]
    }

    /// Region of a source (peer or server).
    pub(super) fn src_region(&self, src: u32) -> u8 {
        if src & SERVER_BIT != 0 {
            self.cfg.servers[(src & !SERVER_BIT) as usize].region
        } else {
            self.peers[src as usize].region
        }
    }

    fn periodic_announce(&mut self, i: u32) {
        if self.peers[i as usize].phase == Phase::Gone {
            return;
        }
        let event = if self.peers[i as usize].tracked { AnnounceEvent::Update } else { AnnounceEvent::Started };
        self.announce(i, event);
        self.schedule(self.now + self.cfg.announce_ms, Ev::Announce(i));
    }

    /// Sends one announce to the tracker and opens connections to the peers it hands out.
    pub(super) fn announce(&mut self, i: u32, event: AnnounceEvent) {
        self.events += 1;
        let peer = &self.peers[i as usize];
        let seeder = peer.have == self.cfg.pieces;
        let wants_peers = !self.cfg.ideal && event != AnnounceEvent::Stopped && peer.conns() < self.cfg.max_conns;
        let numwant = if wants_peers { self.cfg.numwant } else { 0 };
        let mut candidates = std::mem::take(&mut self.scratch);
        candidates.clear();
        match self.tracker.announce(self.now, i, seeder, event, numwant, &mut self.rng_tracker) {
            Ok(peers) => {
                candidates.extend(peers);
                self.peers[i as usize].tracked = event != AnnounceEvent::Stopped;
            }
            Err(_full) => self.peers[i as usize].tracked = false,
        }
        for &c in &candidates {
            self.try_connect(i, c);
        }
        self.scratch = candidates;
    }

    /// Starts a WebRTC connection between `a` and `b` if both have room: signalling goes
    /// through the tracker (each side's round trip to the origin's region), then the ICE and
    /// DTLS handshake takes one round trip between them.
    fn try_connect(&mut self, a: u32, b: u32) {
        let (pa, pb) = (&self.peers[a as usize], &self.peers[b as usize]);
        if a == b || pb.phase == Phase::Gone || !pb.p2p || pa.phase == Phase::Gone {
            return;
        }
        if pa.conns() >= self.cfg.max_conns || pb.conns() >= self.cfg.max_conns || pa.neighbours.contains(&b) {
            return;
        }
        let origin = self.cfg.servers[0].region;
        let delay = self.rtt(pa.region, origin) + self.rtt(pb.region, origin) + self.rtt(pa.region, pb.region);
        self.peers[a as usize].pending += 1;
        self.peers[b as usize].pending += 1;
        self.schedule(self.now + delay, Ev::Connect(a, b));
    }

    fn connect(&mut self, a: u32, b: u32) {
        for x in [a, b] {
            let p = &mut self.peers[x as usize];
            p.pending = p.pending.saturating_sub(1);
        }
        let (pa, pb) = (&self.peers[a as usize], &self.peers[b as usize]);
        if pa.phase == Phase::Gone || pb.phase == Phase::Gone || pa.neighbours.contains(&b) {
            return;
        }
        if pa.neighbours.len() >= self.cfg.max_conns || pb.neighbours.len() >= self.cfg.max_conns {
            return;
        }
        self.events += 1;
        self.peers[a as usize].neighbours.push(b);
        self.peers[b as usize].neighbours.push(a);
    }
}
