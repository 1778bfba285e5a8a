//! Replication between cooperating redundancy nodes (issue 11).

pub mod copies;
pub mod mirror;
pub mod net;
pub mod origin_mirrors;
