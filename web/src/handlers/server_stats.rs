//! `GET /api/v1/server/stats`: PeerTube's instance statistics (the counts Shoal has) and
//! its ActivityPub queue figures, plus Shoal's per-host delivery state
//! (`activityPubHosts`: queue depth, breaker state, failures, last error).

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::activitypub::ap_error;
use crate::error::ApiError;
use crate::state::AppState;

/// One remote host's delivery queue.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostJson {
    host: String,
    queued: u64,
    state: &'static str,
    consecutive_failures: u32,
    delivered: u64,
    failed: u64,
    dropped: u64,
    last_error: Option<String>,
}

/// PeerTube's `ServerStats` (the fields Shoal can fill) and Shoal's `activityPubHosts`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatsJson {
    total_users: u64,
    total_local_videos: u64,
    total_videos: u64,
    total_instance_followers: u64,
    total_instance_following: u64,
    total_activity_pub_messages_processed: u64,
    total_activity_pub_messages_successes: u64,
    total_activity_pub_messages_errors: u64,
    total_activity_pub_messages_waiting: u64,
    activity_pub_hosts: Vec<HostJson>,
}

/// `GET /api/v1/server/stats`.
pub async fn stats(State(state): State<AppState>) -> Result<Json<ServerStatsJson>, ApiError> {
    let shoal = &state.shoal;
    let federation = shoal.federation().stats();
    let ap = shoal.activitypub();
    let (total_videos, local_videos) = shoal.video_counts()?;
    Ok(Json(ServerStatsJson {
        total_users: shoal.accounts().user_count()?,
        total_local_videos: local_videos,
        total_videos,
        total_instance_followers: ap.followers().map_err(ap_error)?.len() as u64,
        total_instance_following: ap.following().map_err(ap_error)?.len() as u64,
        total_activity_pub_messages_processed: federation.delivered_total
            + federation.failed_total
            + federation.dropped_total,
        total_activity_pub_messages_successes: federation.delivered_total,
        total_activity_pub_messages_errors: federation.failed_total + federation.dropped_total,
        total_activity_pub_messages_waiting: federation.queued_total,
        activity_pub_hosts: federation
            .hosts
            .into_iter()
            .map(|h| HostJson {
                host: h.host,
                queued: h.queued,
                state: h.state.label(),
                consecutive_failures: h.consecutive_failures,
                delivered: h.delivered_total,
                failed: h.failed_total,
                dropped: h.dropped_total,
                last_error: h.last_error,
            })
            .collect(),
    }))
}
