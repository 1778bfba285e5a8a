//! Shoal's actors: the supervised owners of state and I/O.
//!
//! The web edge talks to a [`Shoal`] handle; behind it sit the sled [`store`],
//! the account service ([`accounts`]), and the actor tree rooted at the
//! [`node_supervisor`]: one `VideoActor` per video under a `VideoSupervisor`
//! ([`videos`]) and a `TranscodeSupervisor` running `TranscodeJob` actors
//! ([`transcode`]) over the [`media`] pipeline, and outbound [`federation`]
//! (see `../shared/DESIGN.md`).

pub mod accounts;
pub mod activitypub;
pub mod clock;
pub mod config;
pub mod error;
pub mod federation;
pub mod handle;
mod housekeeping;
pub mod media;
pub mod metrics;
pub mod node_supervisor;
mod redundancy_config;
pub mod remote_torrents;
pub mod replication;
mod restart_budget;
pub mod social;
mod staging;
mod startup;
pub mod store;
pub mod torrent_file;
pub mod tracker;
pub mod transcode;
pub mod videos;

pub use config::ShoalConfig;
pub use error::{AccountError, SocialError, StartError, VideoError};
pub use handle::{Shoal, VideoListQuery, VideoSort};
