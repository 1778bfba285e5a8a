//! `shoal-sim`: deterministic swarm simulations on Shoal's own protocol logic.
//!
//! - [`scenario`]: the TOML scenario format, its checks and error messages.
//! - [`dist`]: distributions peers' properties are drawn from.
//! - [`sim`]: the discrete-event engine (tracker = `shoal_protocol::tracker::swarm`).
//! - [`placement`]: redundancy-node placement scenarios (the nodes' own placement function)
//!   under churn: copies per video, availability, repair traffic, capacity use.
//! - [`report`]: `summary.json`, `timeseries.csv`, `sessions.csv` and their hashes.
//! - [`plot`]: SVG plots of a run.
//! - [`sweep`]: parameter grids run in parallel.
//! - [`theory`]: the bounds and fluid models the tests hold the engine to.

pub mod dist;
pub mod placement;
pub mod plot;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod theory;
