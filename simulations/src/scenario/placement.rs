//! A placement scenario (`kind = "placement"`): cooperating redundancy nodes with capacities
//! and transfer rates, churn (failures, returns, joins, departures, as random processes and
//! scripted events), a catalogue of videos with sizes and a Zipf popularity, and the
//! `[redundancy]` knobs the nodes run with. Every key is documented here and in
//! `simulations/scenarios/placement_*.toml`.

use serde::{Deserialize, Serialize};

use super::validate::{Check, KeyPath};
use crate::dist::Dist;

/// Nodes a placement run may have (initial plus joined).
pub const MAX_NODES: u64 = 100_000;
/// Videos a placement run may have.
pub const MAX_VIDEOS: u64 = 10_000_000;

/// The whole placement scenario file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementScenario {
    /// Must be `"placement"` (what tells this format from a swarm scenario).
    pub kind: String,
    /// A human-readable name, copied into `report.json`.
    #[serde(default)]
    pub name: String,
    /// Simulated seconds.
    pub duration_secs: f64,
    /// Seconds between two rows of the time series (copies, availability, traffic).
    #[serde(default = "defaults::sample_secs")]
    pub sample_secs: f64,
    pub redundancy: Redundancy,
    pub nodes: Nodes,
    pub catalogue: Catalogue,
    /// Random failures, returns and joins; absent: none.
    #[serde(default)]
    pub churn: Option<Churn>,
    /// Scripted membership events, in any order.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// The `[redundancy]` knobs every node runs with (`shoal_protocol::placement::Policy`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redundancy {
    /// k: copies of every video.
    pub replicas: u32,
    /// Complete copies above which surplus is dropped even before every placed member has one
    /// (default: `replicas + 1`).
    #[serde(default)]
    pub replicas_max: Option<u32>,
    /// Seconds of silence after which a member is seen as lost.
    pub member_timeout_secs: f64,
    /// Seconds a lost member keeps its place before its videos are re-placed.
    pub repair_delay_secs: f64,
    /// Seconds a surplus copy is kept at least (after a member comes back).
    pub min_lifetime_secs: f64,
    /// Order a node fetches its queue in: `fifo`; `popular_first` (by popularity rank); or
    /// `repairs_first`: fetches of videos below k complete copies go before rebalancing moves
    /// (a video that falls below k while queued moves to the front).
    #[serde(default)]
    pub repair_order: RepairOrder,
    /// `true`: a video no member holds is fetched from its origin's web seed; `false`: it
    /// waits until a member holding it comes back.
    #[serde(default = "defaults::yes")]
    pub origin_fallback: bool,
}

/// See [`Redundancy::repair_order`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairOrder {
    #[default]
    Fifo,
    PopularFirst,
    RepairsFirst,
}

/// The nodes present at the start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nodes {
    /// How many (named `node-00000`, `node-00001`, ...; joiners are `join-00000`, ...).
    pub count: u64,
    /// Storage budget in GB (10^9 bytes), also the placement weight (`capacity_bytes`).
    pub capacity_gb: Dist,
    /// Replication download rate in Mbit/s: a copy of S bytes takes `S / rate`; a node fetches
    /// one copy at a time from its queue.
    pub transfer_mbps: Dist,
}

/// The videos to be kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// How many videos (keys `video-0`, `video-1`, ...; video i has popularity rank i + 1).
    pub videos: u64,
    /// Size of each video in MB (10^6 bytes).
    pub size_mb: Dist,
    /// Popularity of rank r is proportional to `1 / r^zipf_exponent` (0: all equal).
    #[serde(default = "defaults::zipf")]
    pub zipf_exponent: f64,
}

/// Membership changes as random processes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Churn {
    /// Seconds a node stays up before it fails (drawn again after each return); absent: no
    /// random failures.
    #[serde(default)]
    pub fail_after_secs: Option<Dist>,
    /// Seconds a failed node stays down before it returns with its data.
    #[serde(default = "defaults::return_after")]
    pub return_after_secs: Dist,
    /// Share of random failures that are departures: the node never returns.
    #[serde(default)]
    pub permanent_share: f64,
    /// New (empty) nodes per simulated day, a Poisson process.
    #[serde(default)]
    pub joins_per_day: f64,
    /// Nodes down at once at most: a random failure that would exceed it does not happen (the
    /// node draws its next failure time instead). Scripted events are not limited.
    #[serde(default = "defaults::max_down")]
    pub max_down: u64,
}

/// A scripted membership event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Simulated second it happens.
    pub at_secs: f64,
    pub action: Action,
    /// The initial nodes it applies to, by name (`node-00007`); for `join`, leave empty.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Or: this many nodes, drawn at random among those it can apply to (up nodes for `fail`
    /// and `leave`, down nodes for `return`), or this many new nodes for `join`.
    #[serde(default)]
    pub count: u64,
}

/// See [`Event::action`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The node crashes with its data intact; it returns by the churn process, if any, or a
    /// scripted `return`.
    Fail,
    /// A down node restarts with its data.
    Return,
    /// New empty nodes join.
    Join,
    /// The node goes for good.
    Leave,
}

mod defaults {
    use crate::dist::Dist;

    pub fn sample_secs() -> f64 {
        3600.0
    }
    pub fn yes() -> bool {
        true
    }
    pub fn zipf() -> f64 {
        0.8
    }
    pub fn return_after() -> Dist {
        Dist::Exponential { mean: 3600.0 }
    }
    pub fn max_down() -> u64 {
        u64::MAX
    }
}

impl PlacementScenario {
    /// `replicas_max`, defaulted.
    pub fn replicas_max(&self) -> u32 {
        self.redundancy.replicas_max.unwrap_or(self.redundancy.replicas + 1)
    }

    /// The name of initial node `i`.
    pub fn node_name(i: u64) -> String {
        format!("node-{i:05}")
    }

    /// The index of initial node `name`, if it is one.
    pub fn node_index(&self, name: &str) -> Option<u64> {
        let n: u64 = name.strip_prefix("node-")?.parse().ok()?;
        (n < self.nodes.count && Self::node_name(n) == name).then_some(n)
    }
}

fn positive(path: KeyPath, v: f64) -> Check {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err((path, format!("must be a finite number > 0, got {v}")))
    }
}

fn non_negative(path: KeyPath, v: f64) -> Check {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err((path, format!("must be a finite number >= 0, got {v}")))
    }
}

fn dist(path: KeyPath, d: &Dist, need_positive_mean: bool) -> Check {
    d.check()
        .map_err(|(sub, message)| (if let Some(sub) = sub { path.clone().key(sub) } else { path.clone() }, message))?;
    if matches!(d, Dist::Constant { value } if value.is_infinite()) {
        return Err((path, "must be finite".into()));
    }
    if need_positive_mean && d.mean() <= 0.0 {
        return Err((path, "must not be always 0".into()));
    }
    Ok(())
}

/// Checks every range the types allow but the model does not.
pub fn validate(s: &PlacementScenario) -> Check {
    if s.kind != "placement" {
        return Err((KeyPath::of(&["kind"]), format!("must be \"placement\", got {:?}", s.kind)));
    }
    positive(KeyPath::of(&["duration_secs"]), s.duration_secs)?;
    if s.duration_secs > 3650.0 * 86_400.0 {
        return Err((KeyPath::of(&["duration_secs"]), "must be at most 10 years".into()));
    }
    positive(KeyPath::of(&["sample_secs"]), s.sample_secs)?;
    if s.duration_secs / s.sample_secs > 1_000_000.0 {
        return Err((KeyPath::of(&["sample_secs"]), "gives more than 1,000,000 samples: make it larger".into()));
    }
    let r = &s.redundancy;
    if r.replicas == 0 || r.replicas > 64 {
        return Err((KeyPath::of(&["redundancy", "replicas"]), format!("must be in 1..=64, got {}", r.replicas)));
    }
    if let Some(max) = r.replicas_max {
        if max < r.replicas {
            return Err((
                KeyPath::of(&["redundancy", "replicas_max"]),
                format!("must be at least replicas ({}), got {max}", r.replicas),
            ));
        }
    }
    non_negative(KeyPath::of(&["redundancy", "member_timeout_secs"]), r.member_timeout_secs)?;
    non_negative(KeyPath::of(&["redundancy", "repair_delay_secs"]), r.repair_delay_secs)?;
    non_negative(KeyPath::of(&["redundancy", "min_lifetime_secs"]), r.min_lifetime_secs)?;
    let n = &s.nodes;
    if n.count == 0 || n.count > MAX_NODES {
        return Err((KeyPath::of(&["nodes", "count"]), format!("must be in 1..={MAX_NODES}, got {}", n.count)));
    }
    dist(KeyPath::of(&["nodes", "capacity_gb"]), &n.capacity_gb, true)?;
    dist(KeyPath::of(&["nodes", "transfer_mbps"]), &n.transfer_mbps, true)?;
    let c = &s.catalogue;
    if c.videos == 0 || c.videos > MAX_VIDEOS {
        return Err((KeyPath::of(&["catalogue", "videos"]), format!("must be in 1..={MAX_VIDEOS}, got {}", c.videos)));
    }
    dist(KeyPath::of(&["catalogue", "size_mb"]), &c.size_mb, true)?;
    non_negative(KeyPath::of(&["catalogue", "zipf_exponent"]), c.zipf_exponent)?;
    if let Some(ch) = &s.churn {
        if let Some(f) = &ch.fail_after_secs {
            dist(KeyPath::of(&["churn", "fail_after_secs"]), f, true)?;
        }
        dist(KeyPath::of(&["churn", "return_after_secs"]), &ch.return_after_secs, false)?;
        if !(0.0..=1.0).contains(&ch.permanent_share) {
            return Err((
                KeyPath::of(&["churn", "permanent_share"]),
                format!("must be between 0 and 1, got {}", ch.permanent_share),
            ));
        }
        non_negative(KeyPath::of(&["churn", "joins_per_day"]), ch.joins_per_day)?;
        if n.count as f64 + ch.joins_per_day * s.duration_secs / 86_400.0 > MAX_NODES as f64 {
            return Err((
                KeyPath::of(&["churn", "joins_per_day"]),
                format!("would bring more than {MAX_NODES} nodes in duration_secs"),
            ));
        }
    }
    let mut joins = 0u64;
    for (i, e) in s.events.iter().enumerate() {
        let path = KeyPath::of(&["events"]).index(i);
        non_negative(path.clone().key("at_secs"), e.at_secs)?;
        match (e.nodes.is_empty(), e.count) {
            (true, 0) => return Err((path.key("count"), "give `nodes` or a `count` >= 1".into())),
            (false, c) if c > 0 => return Err((path.key("count"), "give `nodes` or `count`, not both".into())),
            _ => {}
        }
        if e.action == Action::Join {
            if !e.nodes.is_empty() {
                return Err((path.key("nodes"), "a join names no nodes: give `count`".into()));
            }
            joins += e.count;
        }
        for (j, name) in e.nodes.iter().enumerate() {
            if s.node_index(name).is_none() {
                return Err((
                    path.clone().key("nodes").index(j),
                    format!(
                        "unknown node {name:?}: initial nodes are node-00000..{}",
                        PlacementScenario::node_name(n.count - 1)
                    ),
                ));
            }
        }
    }
    if n.count + joins > MAX_NODES {
        return Err((KeyPath::of(&["events"]), format!("the joins bring more than {MAX_NODES} nodes")));
    }
    Ok(())
}
