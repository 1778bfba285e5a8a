//! What `GET /api/v1/server/redundancy/status` and `shoal redundancy status` show: this
//! node's identity and addresses, the members and their state, the copies held, the
//! transfers in progress and the repair backlog.

use serde::Serialize;

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
