//! PeerTube's redundancy admin API (administrators only):
//! `PUT /api/v1/server/redundancy/{host}` `{redundancyAllowed}`,
//! `GET /api/v1/server/redundancy/videos?target=my-videos|remote-videos&strategy&start&count&sort`,
//! `POST /api/v1/server/redundancy/videos` `{videoId}` and
//! `DELETE /api/v1/server/redundancy/videos/{redundancyId}`.
//!
//! As PeerTube: the token is checked first (401), then the role (403), then the request
//! (400 with `invalid-params`), then existence (404) and conflicts (409). Bodies are read
//! after the role check, so a non-administrator learns nothing from a malformed one.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use shoal_actors::replication::admin::{AdminError, ListQuery, Target};
use shoal_actors::replication::strategies::ManualError;
use shoal_actors::videos::record::VideoKey;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::json::redundancy::{video_redundancy, VideoRedundancyJson};
use crate::json::ResultList;
use crate::pagination::PageParams;
use crate::state::AppState;

/// `?target&strategy&start&count&sort` of the list.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    strategy: Option<String>,
    #[serde(default)]
    start: Option<usize>,
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    sort: Option<String>,
}

fn admin_error(err: AdminError) -> ApiError {
    match err {
        AdminError::VideoNotFound => ApiError::not_found("Video not found"),
        AdminError::Manual(ManualError::LocalVideo) => {
            ApiError::bad_request("Cannot create a redundancy on a local video")
        }
        AdminError::Manual(ManualError::NoFiles) => ApiError::bad_request("This video has no file to duplicate"),
        AdminError::Manual(ManualError::AlreadyDuplicated) => {
            ApiError::new(StatusCode::CONFLICT, "This video is already duplicated by your instance.")
        }
        other => ApiError::internal("redundancy", &other),
    }
}

/// A 400 naming a body field, with PeerTube's `invalid-params`.
fn invalid_body(param: &str, msg: &str) -> ApiError {
    ApiError::invalid_param(param, msg)
}

/// The JSON object of a body, or a 400.
fn json_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("The request body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("Invalid JSON body: {e}"))),
    }
}

/// PeerTube's `isHostValid`: a host name or address, with an optional port.
fn is_host_valid(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// `PUT /api/v1/server/redundancy/{host}`: 204, or 404 when `host` is not followed.
pub async fn update_host(
    State(state): State<AppState>,
    admin: AuthUser,
    ApiPath(host): ApiPath<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    if !is_host_valid(&host) {
        return Err(ApiError::invalid_param("host", "Should have a valid host"));
    }
    let map = json_object(&body)?;
    // PeerTube's toBooleanOrNull: a boolean, or the strings "true" / "false".
    let allowed = match map.get("redundancyAllowed") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "1" => true,
        Some(Value::String(s)) if s == "false" || s == "0" => false,
        _ => return Err(invalid_body("redundancyAllowed", "Should have a valid redundancyAllowed boolean")),
    };
    let redundancy = state.shoal.redundancy_admin();
    if !redundancy.set_host_redundancy(&host, allowed).map_err(admin_error)? {
        return Err(ApiError::not_found(format!("Server {host} not found.")));
    }
    redundancy.flush().await.map_err(admin_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/server/redundancy/videos`.
pub async fn list(
    State(state): State<AppState>,
    admin: AuthUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ResultList<VideoRedundancyJson>>, ApiError> {
    admin.require_admin()?;
    let target = params.target.as_deref().and_then(Target::parse).ok_or_else(|| {
        let mut err = ApiError::invalid_param("target", "Should have a valid video redundancies target");
        if let Some(p) = err.invalid_params.as_mut().and_then(|v| v.get_mut("target")) {
            p["location"] = Value::from("query");
        }
        err
    })?;
    let page = PageParams { start: params.start, count: params.count, sort: params.sort };
    let count = page.count()?;
    // PeerTube's SORTABLE_COLUMNS.VIDEO_REDUNDANCIES: `name` only.
    let descending = page.sort(false, |s| match s {
        "name" => Some(false),
        "-name" => Some(true),
        _ => None,
    })?;
    let query = ListQuery { target, strategy: params.strategy, start: page.start(), count, descending };
    let (total, videos) = state.shoal.redundancy_admin().list(&query).map_err(admin_error)?;
    Ok(Json(ResultList { total, data: videos.iter().map(video_redundancy).collect() }))
}

/// `POST /api/v1/server/redundancy/videos` `{videoId}`: 204 once the request is recorded
/// (the copy is made by the mirror jobs, as PeerTube's job queue does).
pub async fn add(State(state): State<AppState>, admin: AuthUser, body: Bytes) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    let map = json_object(&body)?;
    let key = match map.get("videoId") {
        Some(Value::Number(n)) => n.as_u64().filter(|id| *id > 0).map(VideoKey::Id),
        Some(Value::String(s)) => VideoKey::parse(s.trim()),
        _ => None,
    }
    .ok_or_else(|| invalid_body("videoId", "Should have a valid video id or uuid"))?;
    let redundancy = state.shoal.redundancy_admin();
    redundancy.add_manual(&key).map_err(admin_error)?;
    redundancy.flush().await.map_err(admin_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/server/redundancy/videos/{redundancyId}`.
pub async fn remove(
    State(state): State<AppState>,
    admin: AuthUser,
    ApiPath(raw_id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    let id: u64 = raw_id.parse().map_err(|_| {
        let mut err = ApiError::invalid_param("redundancyId", "Should have a valid redundancy id");
        if let Some(p) = err.invalid_params.as_mut().and_then(|v| v.get_mut("redundancyId")) {
            p["location"] = Value::from("params");
        }
        err
    })?;
    match state.shoal.remove_redundancy(id).await.map_err(admin_error)? {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::not_found("Video redundancy not found")),
    }
}
