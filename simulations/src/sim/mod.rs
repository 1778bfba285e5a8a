//! The simulator proper: a discrete-event engine over Shoal's swarm logic, with a flow-level
//! bandwidth model, webtorrent-like peers, web seeds and a player model.

mod arrivals;
mod config;
mod engine;
mod lifecycle;
mod maxmin;
mod metrics;
mod peer;
mod pieces;
mod playback;
mod schedule;
mod step;
mod tracker;

pub use config::Config;
pub use engine::Engine;
pub use maxmin::MaxMin;
pub use metrics::{Row, Session, Summary};
pub use tracker::{peer_id, SimTracker};

use crate::scenario::Loaded;

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct Output {
    pub seed: u64,
    pub config: Config,
    pub rows: Vec<Row>,
    pub sessions: Vec<Session>,
    pub summary: Summary,
}

/// Runs `loaded` with `seed`; `progress(now_ms, end_ms)` reports simulated time.
pub fn simulate(loaded: &Loaded, seed: u64, progress: impl FnMut(u64, u64)) -> Output {
    let mut engine = Engine::new(loaded, seed);
    engine.run(progress);
    engine.finish()
}

impl Engine {
    /// The run's records.
    pub fn finish(self) -> Output {
        let sessions: Vec<Session> =
            self.peers.iter().enumerate().map(|(i, p)| Session::of(i as u32, p, &self.cfg)).collect();
        let summary = Summary::compute(&self.rows, &sessions, &self.cfg, self.events);
        Output { seed: self.seed, config: self.cfg, rows: self.rows, sessions, summary }
    }

    /// Peer events so far.
    pub fn events(&self) -> u64 {
        self.events
    }
}
