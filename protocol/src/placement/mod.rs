//! Coordinator-free placement of video copies among cooperating redundancy nodes.
//!
//! - [`hrw`]: weighted rendezvous (highest random weight) hashing: every member computes the
//!   same top-k members for a video from the same member list, in any order.
//! - [`hysteresis`]: what to do about one video given who holds it (min/max replicas,
//!   `repair_delay`, `min_lifetime`, as IPFS Cluster's `replication_factor_min/max`).
//! - [`bulk`]: placement of a whole catalogue at once, as per-member assignments.
//! - [`plan`]: one member's fetches and drops for a catalogue, from everyone's announced copies.
//! - [`strategy`]: PeerTube's redundancy strategies (`most-views`, `trending`,
//!   `recently-added`) as a deterministic selection within each strategy's size budget.
//!
//! Pure: no I/O, no clock; times are passed in (any unit, the same for times and durations).

pub mod bulk;
pub mod hrw;
pub mod hysteresis;
pub mod plan;
pub mod strategy;

pub use bulk::{place_all, Assignment};
pub use hrw::{place, Member, MemberId, Members, Ranked, VideoDigest};
pub use hysteresis::{decide, CopyState, Decision, Holder, Liveness, Policy};
pub use plan::{plan_for, CatalogueVideo, CopyFact, LocalPlan, MemberView, PreparedMembers};

/// Why placement inputs are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    /// `replicas` (k) is 0: a video must be placed on at least one member; fix the config.
    #[error("replicas must be at least 1")]
    ZeroReplicas,
    /// `replicas_max` is below `replicas`; fix the config.
    #[error("replicas_max ({max}) must be at least replicas ({min})")]
    MaxBelowMin { min: usize, max: usize },
    /// The same member id was given twice (with possibly different weights); dedupe the list.
    #[error("member {0} is listed twice")]
    DuplicateMember(String),
    /// More than `u32::MAX` members or videos in a bulk placement.
    #[error("too many members or videos for a bulk placement")]
    TooLarge,
}
