//! Server following, PeerTube's admin API: `GET/POST /api/v1/server/following`,
//! `DELETE /api/v1/server/following/{hostOrHandle}`, `GET /api/v1/server/followers`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use shoal_actors::activitypub::FollowEntry;

use super::activitypub::ap_error;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::json::ResultList;
use crate::pagination::{PageParams, DEFAULT_COUNT, MAX_COUNT};
use crate::state::AppState;

/// Hosts or handles followed in one request at most.
const MAX_TARGETS: usize = 100;

/// `POST /api/v1/server/following`: `{ hosts?: [...], handles?: [...] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowRequest {
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    handles: Vec<String>,
}

/// One side of PeerTube's `ActorFollow`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowActorJson {
    name: String,
    host: String,
    url: String,
    avatars: Vec<serde_json::Value>,
    /// Whether this node's redundancy strategies may mirror the actor's host (`PUT
    /// /api/v1/server/redundancy/{host}`).
    host_redundancy_allowed: bool,
}

/// PeerTube's `ActorFollow`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorFollowJson {
    id: u64,
    follower: FollowActorJson,
    following: FollowActorJson,
    score: u32,
    state: &'static str,
    created_at: String,
    updated_at: String,
}

fn to_json(entry: FollowEntry) -> ActorFollowJson {
    let side = |s: shoal_actors::activitypub::FollowSide| FollowActorJson {
        name: s.name,
        host: s.host,
        url: s.url,
        avatars: Vec::new(),
        host_redundancy_allowed: s.host_redundancy_allowed,
    };
    ActorFollowJson {
        id: entry.id,
        follower: side(entry.follower),
        following: side(entry.following),
        score: 20,
        state: entry.state,
        updated_at: entry.created_at.clone(),
        created_at: entry.created_at,
    }
}

fn page(entries: Vec<FollowEntry>, params: &PageParams) -> Json<ResultList<ActorFollowJson>> {
    let total = entries.len() as u64;
    let start = params.start();
    let count = params.count.unwrap_or(DEFAULT_COUNT).min(MAX_COUNT);
    let data = entries.into_iter().skip(start).take(count).map(to_json).collect();
    Json(ResultList { total, data })
}

/// `GET /api/v1/server/following`.
pub async fn following(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<ResultList<ActorFollowJson>>, ApiError> {
    Ok(page(state.shoal.activitypub().following().map_err(ap_error)?, &params))
}

/// `GET /api/v1/server/followers`.
pub async fn followers(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<ResultList<ActorFollowJson>>, ApiError> {
    Ok(page(state.shoal.activitypub().followers().map_err(ap_error)?, &params))
}

/// `POST /api/v1/server/following` (administrators): follows each host or handle.
pub async fn follow(
    State(state): State<AppState>,
    admin: AuthUser,
    ApiJson(request): ApiJson<FollowRequest>,
) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    let targets: Vec<String> = request.hosts.into_iter().chain(request.handles).collect();
    if targets.is_empty() || targets.len() > MAX_TARGETS {
        return Err(ApiError::invalid_param("hosts", format!("give 1 to {MAX_TARGETS} hosts or handles")));
    }
    for target in &targets {
        state.shoal.activitypub().follow(target).await.map_err(ap_error)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/server/following/{hostOrHandle}` (administrators).
pub async fn unfollow(
    State(state): State<AppState>,
    admin: AuthUser,
    ApiPath(target): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    match state.shoal.activitypub().unfollow(&target).await.map_err(ap_error)? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::not_found(format!("{target} is not followed"))),
    }
}

/// `DELETE /api/v1/server/followers/{nameWithHost}` (administrators): the follower is
/// sent a Reject and forgotten.
pub async fn remove_follower(
    State(state): State<AppState>,
    admin: AuthUser,
    ApiPath(target): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    match state.shoal.activitypub().remove_follower(&target).await.map_err(ap_error)? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::not_found(format!("{target} does not follow this instance"))),
    }
}
