//! Placement simulations: a federation of cooperating redundancy nodes keeping k copies of a
//! catalogue under churn, with the nodes' own placement (`shoal_protocol::placement`: the
//! initial state from `bulk::place_all`, re-placement with `Members::place_among`, what to
//! fetch and drop from `hysteresis::decide`) on a simulated clock.
//!
//! - [`engine`](Engine): the federation's state, the event queue and the run loop.
//! - `membership`: failures, detection, repair delay, returns, joins, scripted events.
//! - `copies`: incremental re-placement, decisions and the per-node fetch queue.
//! - `metrics`: copies per video, availability, below-k episodes, traffic.
//! - [`report`]: `report.json` and the SVG plots.

mod copies;
mod engine;
mod membership;
mod metrics;
mod plot;
pub mod report;

use serde::Serialize;
use shoal_protocol::placement::PlacementError;

pub use engine::Engine;
pub use metrics::Sample;

use crate::scenario::LoadedPlacement;

/// Headline figures of a run (times in simulated seconds, bytes in bytes).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub duration_secs: f64,
    pub nodes_initial: u64,
    pub nodes_joined: u64,
    pub failures: u64,
    pub returns: u64,
    pub departures: u64,
    pub nodes_up_end: u64,
    pub members_in_placement_end: u64,
    pub videos: u64,
    pub replicas: u64,
    pub replicas_max: u64,
    pub catalogue_bytes: u64,
    /// Complete copies on up nodes at the end, and the fewest any video had at any time.
    pub copies_end: u64,
    pub copies_min_ever: u32,
    /// Share of videos with ≥1 complete copy: time average and lowest (exact, not sampled).
    pub available_mean: f64,
    pub available_min: f64,
    /// Share of videos with ≥k complete copies: time average and lowest.
    pub at_k_mean: f64,
    pub at_k_min: f64,
    /// Share of views (Zipf) that find ≥1 complete copy: time average and lowest.
    pub views_available_mean: f64,
    pub views_available_min: f64,
    /// Episodes of a video below k complete copies (finished), still open at the end, the
    /// longest (open ones included) with its video and start, and quantiles of finished ones.
    pub below_k_episodes: u64,
    pub below_k_open_at_end: u64,
    pub below_k_longest_secs: f64,
    pub below_k_longest_video: String,
    pub below_k_longest_start_secs: f64,
    pub below_k_p50_secs: f64,
    pub below_k_p99_secs: f64,
    /// The same for no complete copy at all.
    pub unavailable_episodes: u64,
    pub unavailable_open_at_end: u64,
    pub unavailable_longest_secs: f64,
    /// Repair traffic.
    pub repair_bytes_from_members: u64,
    pub repair_bytes_from_origin: u64,
    pub repair_bytes_total: u64,
    /// Of which spent on fetches cancelled before completing.
    pub cancelled_bytes: u64,
    pub transfers_completed: u64,
    pub transfers_cancelled: u64,
    pub copies_dropped: u64,
    /// Drops that left a video with no complete copy on an up node (must be 0 while fewer
    /// than k nodes are down at once).
    pub drops_leaving_no_copy: u64,
    /// Fetches not started because no member held the video and `origin_fallback = false`.
    pub fetches_without_source: u64,
    /// (video, member) pairs added to placed sets after the start.
    pub placement_moves: u64,
    /// Most copies queued or fetching at one node at once.
    pub max_queue_per_node: u32,
    pub decisions: u64,
    pub events: u64,
    pub capacity: CapacityUse,
}

/// Capacity use at the end among members in placement: held share / weight share.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CapacityUse {
    pub members: u64,
    pub share_ratio_min: f64,
    pub share_ratio_p05: f64,
    pub share_ratio_p50: f64,
    pub share_ratio_p95: f64,
    pub share_ratio_max: f64,
    /// Members holding more bytes than their capacity, and the highest held / capacity.
    pub over_capacity: u64,
    pub utilisation_max: f64,
    pub utilisation_mean: f64,
}

/// One node at the end of the run.
#[derive(Debug, Clone, Serialize)]
pub struct NodeUse {
    pub name: String,
    pub capacity_bytes: u64,
    pub up: bool,
    pub in_placement: bool,
    /// Its weight over the weights of the members in placement (0 when not in placement).
    pub weight_share: f64,
    /// Complete copies and their bytes, and its bytes over all members' held bytes.
    pub copies: u64,
    pub held_bytes: u64,
    pub held_share: f64,
    /// `held_share / weight_share` (1 is exactly proportional).
    pub share_ratio: f64,
    pub peak_held_bytes: u64,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct Output {
    pub seed: u64,
    pub summary: Summary,
    pub samples: Vec<Sample>,
    pub nodes: Vec<NodeUse>,
}

/// Runs `loaded` with `seed`; `progress(simulated_ms, duration_ms)` reports simulated time.
pub fn simulate(loaded: &LoadedPlacement, seed: u64, progress: impl FnMut(u64, u64)) -> Result<Output, PlacementError> {
    let mut engine = Engine::new(loaded, seed)?;
    engine.run(progress);
    Ok(engine.finish())
}

fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

impl Engine {
    pub(crate) fn sample(&mut self) {
        let members = self.eligible.iter().filter(|&&e| e).count() as u64;
        self.metrics.sample(self.now, members);
    }

    /// The run's records (transfers still in flight count the bytes they moved so far).
    pub fn finish(mut self) -> Output {
        let end = self.now;
        for node in &self.nodes {
            if let Some(t) = node.current {
                let size = self.sizes[t.video as usize];
                let bytes = (u128::from(size) * u128::from(end.min(t.end) - t.start)
                    / u128::from((t.end - t.start).max(1))) as u64;
                self.metrics.traffic(t.start, end, bytes, t.from_origin);
            }
        }
        let (open_below, open_zero) = self.metrics.close(end);
        let m = &self.metrics;
        let secs = |ms: u64| ms as f64 / 1000.0;
        let quant = |episodes: &[u64], q: f64| {
            let mut sorted: Vec<f64> = episodes.iter().map(|&d| secs(d)).collect();
            sorted.sort_by(f64::total_cmp);
            nearest_rank(&sorted, q)
        };
        let duration = end - self.cfg.t0;
        let (available_mean, at_k_mean, views_available_mean) = m.time_averages(duration);
        let (available_min, at_k_min, views_available_min) = m.minima();
        let nodes = self.node_use();
        let capacity = capacity_use(&nodes);
        let summary = Summary {
            duration_secs: secs(duration),
            nodes_initial: self.nodes.iter().filter(|n| n.joined).count() as u64 - m.joins,
            nodes_joined: m.joins,
            failures: m.failures,
            returns: m.returns,
            departures: m.departures,
            nodes_up_end: m.up,
            members_in_placement_end: self.eligible.iter().filter(|&&e| e).count() as u64,
            videos: self.digests.len() as u64,
            replicas: self.cfg.k as u64,
            replicas_max: self.cfg.policy.replicas_max() as u64,
            catalogue_bytes: self.sizes.iter().sum(),
            copies_end: self.videos.iter().map(|v| u64::from(v.up_complete)).sum(),
            copies_min_ever: m.min_copies,
            available_mean,
            available_min,
            at_k_mean,
            at_k_min,
            views_available_mean,
            views_available_min,
            below_k_episodes: m.below_episodes.len() as u64,
            below_k_open_at_end: open_below,
            below_k_longest_secs: secs(m.longest_below.0),
            below_k_longest_video: if m.longest_below.0 > 0 {
                Engine::video_key(m.longest_below.1 as usize)
            } else {
                String::new()
            },
            below_k_longest_start_secs: secs(m.longest_below.2.saturating_sub(self.cfg.t0)),
            below_k_p50_secs: quant(&m.below_episodes, 0.5),
            below_k_p99_secs: quant(&m.below_episodes, 0.99),
            unavailable_episodes: m.zero_episodes.len() as u64,
            unavailable_open_at_end: open_zero,
            unavailable_longest_secs: secs(m.longest_zero.0),
            repair_bytes_from_members: m.total_member_bytes,
            repair_bytes_from_origin: m.total_origin_bytes,
            repair_bytes_total: m.total_member_bytes + m.total_origin_bytes,
            cancelled_bytes: m.cancelled_bytes,
            transfers_completed: m.completed,
            transfers_cancelled: m.cancelled,
            copies_dropped: m.dropped,
            drops_leaving_no_copy: m.drops_to_zero,
            fetches_without_source: m.no_source,
            placement_moves: m.moves,
            max_queue_per_node: m.max_queue,
            decisions: m.decisions,
            events: m.events,
            capacity,
        };
        Output { seed: self.seed, summary, samples: self.metrics.samples, nodes }
    }

    fn node_use(&self) -> Vec<NodeUse> {
        let in_placement = |i: usize| self.eligible[i];
        let total_weight: u64 =
            (0..self.nodes.len()).filter(|&i| in_placement(i)).map(|i| self.nodes[i].capacity).sum();
        let total_held: u64 =
            (0..self.nodes.len()).filter(|&i| in_placement(i)).map(|i| self.nodes[i].held_bytes).sum();
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].joined)
            .map(|i| {
                let n = &self.nodes[i];
                let placed = in_placement(i);
                let weight_share = if placed { n.capacity as f64 / total_weight.max(1) as f64 } else { 0.0 };
                let held_share = if placed { n.held_bytes as f64 / total_held.max(1) as f64 } else { 0.0 };
                let copies =
                    n.held
                        .iter()
                        .filter(|&&v| {
                            self.videos[v as usize].copies.iter().any(|c| {
                                c.node == i as u32 && c.state == shoal_protocol::placement::CopyState::Complete
                            })
                        })
                        .count() as u64;
                NodeUse {
                    name: self.members.ids()[i].to_string(),
                    capacity_bytes: n.capacity,
                    up: n.up,
                    in_placement: placed,
                    weight_share,
                    copies,
                    held_bytes: n.held_bytes,
                    held_share,
                    share_ratio: if weight_share > 0.0 { held_share / weight_share } else { 0.0 },
                    peak_held_bytes: n.peak_bytes,
                }
            })
            .collect()
    }
}

fn capacity_use(nodes: &[NodeUse]) -> CapacityUse {
    let members: Vec<&NodeUse> = nodes.iter().filter(|n| n.in_placement && n.capacity_bytes > 0).collect();
    let mut ratios: Vec<f64> = members.iter().map(|n| n.share_ratio).collect();
    ratios.sort_by(f64::total_cmp);
    let utilisation: Vec<f64> = members.iter().map(|n| n.held_bytes as f64 / n.capacity_bytes as f64).collect();
    CapacityUse {
        members: members.len() as u64,
        share_ratio_min: ratios.first().copied().unwrap_or(0.0),
        share_ratio_p05: nearest_rank(&ratios, 0.05),
        share_ratio_p50: nearest_rank(&ratios, 0.5),
        share_ratio_p95: nearest_rank(&ratios, 0.95),
        share_ratio_max: ratios.last().copied().unwrap_or(0.0),
        over_capacity: members.iter().filter(|n| n.held_bytes > n.capacity_bytes).count() as u64,
        utilisation_max: utilisation.iter().copied().fold(0.0, f64::max),
        utilisation_mean: utilisation.iter().sum::<f64>() / utilisation.len().max(1) as f64,
    }
}
