//! What `GET /api/v1/server/redundancy/status` and `shoal redundancy status` show: this
//! node's identity and addresses, the members and their state, the copies held, the
//! transfers in progress and the repair backlog; [`of`] builds it from the actor's state.

use super::actor::{unix_now, ReplicationState};
use super::copies;
use crate::videos::repo;
use serde::Serialize;
use shoal_protocol::placement::Liveness;

/// The whole status.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RedundancyStatus {
    pub enabled: bool,
    /// Base58 libp2p peer id (empty when disabled).
    pub peer_id: String,
    pub replicas: usize,
    pub replicas_max: usize,
    pub capacity_bytes: u64,
    pub listen_addresses: Vec<String>,
    pub members: Vec<MemberStatus>,
    pub held: Vec<HeldStatus>,
    pub fetching: Vec<FetchStatus>,
    /// Files of member origins with fewer than k live complete copies.
    pub repair_backlog: usize,
    /// Files of member origins with no live copy but the origin's.
    pub without_copy: usize,
    /// Files of member origins placed.
    pub placed_files: usize,
    /// Why replication is not running, when it failed to start.
    pub error: Option<String>,
}

/// One member (or a stranger that tried).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberStatus {
    pub peer_id: String,
    /// `live`, `lost` or `stranger`.
    pub state: &'static str,
    pub trusted: bool,
    pub public_url: String,
    pub capacity_bytes: u64,
    /// Complete copies it announced.
    pub holds: usize,
    /// Videos it is the origin of.
    pub catalogue: usize,
    pub last_seen_seconds_ago: u64,
    /// Pieces it sent that failed verification.
    pub bad_pieces: u64,
}

/// One complete copy held here.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldStatus {
    pub info_hash: String,
    pub video_uuid: String,
    pub video_url: String,
    pub name: String,
    pub filename: String,
    pub size: u64,
    /// `placement`, `manual` or a strategy name.
    pub reason: String,
    pub origin: String,
    /// Unix seconds.
    pub created_at: u64,
}

/// One transfer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchStatus {
    pub info_hash: String,
    pub video_uuid: String,
    pub name: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub pieces_done: u32,
    pub pieces_total: u32,
    pub running: bool,
    pub failures: u32,
    pub last_error: Option<String>,
    /// Verified bytes fetched by source kind (`member`, `web_seed`).
    pub fetched_by_kind: std::collections::BTreeMap<String, u64>,
}

/// The status of the replication actor in `state`.
pub(super) async fn of(state: &ReplicationState) -> RedundancyStatus {
    let cfg = &state.config.redundancy;
    let mut status = RedundancyStatus {
        enabled: cfg.enabled,
        replicas: cfg.replicas,
        replicas_max: cfg.replicas_max,
        capacity_bytes: cfg.capacity_bytes,
        ..RedundancyStatus::default()
    };
    let running = match &state.running {
        Ok(running) => running,
        Err(why) => {
            status.error = cfg.enabled.then(|| why.clone());
            return status;
        }
    };
    let now = unix_now();
    status.peer_id = running.net.local_peer_id().to_base58();
    status.listen_addresses = running.net.listen_addrs().await.iter().map(|a| a.to_string()).collect();
    for (peer, member) in running.membership.iter() {
        status.members.push(MemberStatus {
            peer_id: peer.to_base58(),
            state: if member.liveness == Liveness::Live { "live" } else { "lost" },
            trusted: true,
            public_url: member.announcement.public_url.clone(),
            capacity_bytes: member.announcement.capacity_bytes,
            holds: member.announcement.holds.len(),
            catalogue: member.announcement.catalogue.len(),
            last_seen_seconds_ago: now.saturating_sub(member.last_heard),
            bad_pieces: running.bad_pieces.get(peer).copied().unwrap_or(0),
        });
    }
    for (peer, seen) in &running.strangers {
        status.members.push(MemberStatus {
            peer_id: peer.to_base58(),
            state: "stranger",
            trusted: false,
            public_url: String::new(),
            capacity_bytes: 0,
            holds: 0,
            catalogue: 0,
            last_seen_seconds_ago: now.saturating_sub(*seen),
            bad_pieces: 0,
        });
    }
    let names =
        |uuid: uuid::Uuid| repo::load_by_uuid(&state.store, uuid).ok().flatten().map(|v| v.name).unwrap_or_default();
    for copy in copies::list(&state.store).unwrap_or_default() {
        status.held.push(HeldStatus {
            info_hash: copy.info_hash_hex(),
            video_uuid: copy.video_uuid.to_string(),
            video_url: copy.video_url.clone(),
            name: names(copy.video_uuid),
            filename: copy.filename.clone(),
            size: copy.size,
            reason: reason_label(&copy.reason),
            origin: copy.origin_host.clone(),
            created_at: copy.created_at,
        });
    }
    for job in &running.progress {
        status.fetching.push(FetchStatus {
            info_hash: job.info_hash.clone(),
            video_uuid: job.video_uuid.to_string(),
            name: names(job.video_uuid),
            bytes_done: job.bytes_done,
            bytes_total: job.size,
            pieces_done: job.pieces_done,
            pieces_total: job.pieces_total,
            running: job.running,
            failures: job.failures,
            last_error: job.last_error.clone(),
            fetched_by_kind: job.fetched_by_kind.clone(),
        });
    }
    status.repair_backlog = running.below_k;
    status.without_copy = running.without_copy;
    status.placed_files = running.placed_files;
    status
}

fn reason_label(reason: &copies::CopyReason) -> String {
    use super::copies::CopyReason;
    match reason {
        CopyReason::Placement => "placement".to_string(),
        CopyReason::Manual => "manual".to_string(),
        CopyReason::Strategy(kind) => {
            serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
        }
    }
}
