//! Helpers for Shoal end-to-end tests: start nodes as child processes
//! ([`node`]), talk to them like PeerTube clients do ([`client`]), make tiny
//! media files ([`media`]), check served files against their torrents
//! ([`verify`]), run external tools with time limits ([`tools`]), and make
//! network namespaces where browsers use WebRTC ([`netns`]) and watch pages
//! in Chromium there ([`browser`]), beside the reference WebTorrent stack
//! ([`reference_stack`]) and PeerTube's own HLS player ([`peertube_player`]); nodes that federate ([`federation`]) and a fake
//! Mastodon host signing and verifying with independent Python libraries
//! ([`fake_mastodon`]) and a fake PeerTube 8.0 ([`fake_peertube`]), both child
//! processes run by [`fake_host`].
//!
//! The tests need the release `shoal` binary (`cargo build --release
//! --workspace --all-targets`, done by `scripts/test.sh`) and the tools that
//! `scripts/setup.sh` installs (ffmpeg, python3-libtorrent, peertube-cli).

pub mod browser;
pub mod client;
pub mod fake_host;
pub mod fake_mastodon;
pub mod fake_peertube;
pub mod federation;
pub mod media;
pub mod netns;
pub mod node;
pub mod peertube_player;
pub mod proc_stats;
pub mod redundancy;
pub mod redundancy_federation;
pub mod reference_stack;
pub mod tools;
pub mod tracker;
pub mod verify;

pub use client::{ApiClient, UploadedVideo};
pub use node::{NodeBuilder, TestNode, ADMIN_PASSWORD, ADMIN_USERNAME};

/// Result type of the harness and the tests.
pub type Result<T> = anyhow::Result<T>;
