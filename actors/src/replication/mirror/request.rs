//! What a mirror job is asked to do ([`MirrorRequest`]), what the supervisor reports on
//! its event channel ([`MirrorEvent`]) and what `Status` shows ([`MirrorProgress`]).

use super::error::MirrorError;
use crate::replication::copies::{CopyReason, CopyRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One file to mirror.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorRequest {
    /// SHA-1 info hash of the file's torrent; the torrent fetched must have it.
    pub info_hash: [u8; 20],
    pub video_uuid: Uuid,
    /// The video's ActivityPub id on its origin.
    pub video_url: String,
    /// The origin's host (`host[:port]`).
    pub origin_host: String,
    /// The file's name on the origin (kept as the copy's name under `media/redundancy/`).
    pub filename: String,
    /// Announced size in bytes (0: take the torrent's).
    pub size: u64,
    /// Where the `.torrent` is (used when no member offers it).
    pub torrent_url: String,
    /// The origin's web seed of the file (the fallback source).
    pub web_seed_url: String,
    /// Why the copy is made (kept on the [`CopyRecord`]).
    pub reason: CopyReason,
    /// A repair: the file had fewer than k live complete copies when placement asked for
    /// it. Repairs start before other queued jobs (rebalancing after a join, strategies),
    /// which the simulator shows keeps the longest time below k short.
    #[serde(default)]
    pub repair: bool,
}

impl MirrorRequest {
    /// The info hash as 40 lowercase hex digits.
    pub fn info_hash_hex(&self) -> String {
        hex::encode(self.info_hash)
    }
}

/// What the `MirrorSupervisor` reports to the channel it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MirrorEvent {
    /// A copy is complete, verified and recorded: announce it.
    Completed(CopyRecord),
    /// A job was given up (a permanent error, or `redundancy.max_attempts` reached); its
    /// progress and partial file are gone.
    Failed { request: MirrorRequest, error: MirrorError },
    /// A source sent a piece that did not match the torrent: it was dropped for this job.
    /// `source_id` is [`super::PieceSource::id`] (a peer id for members).
    Misbehaving { info_hash: [u8; 20], source_id: String, source_kind: &'static str, piece: u32 },
    /// `Drop` removed a job and/or a copy (`copy` is the record removed, if there was one).
    Dropped { info_hash: [u8; 20], copy: Option<CopyRecord> },
}

/// One unfinished mirror job, as `Status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MirrorProgress {
    /// 40 lowercase hex digits.
    pub info_hash: String,
    pub video_uuid: Uuid,
    pub filename: String,
    /// Bytes of the file (the torrent's, once known; else the announced size).
    pub size: u64,
    pub pieces_done: u32,
    /// 0 until the torrent is known.
    pub pieces_total: u32,
    /// Bytes of verified pieces on disk.
    pub bytes_done: u64,
    /// Bytes fetched (and verified) by source kind, over every attempt.
    pub fetched_by_kind: BTreeMap<String, u64>,
    /// Whether an attempt is running now.
    pub running: bool,
    /// Attempts that failed so far.
    pub failures: u32,
    pub last_error: Option<String>,
}
