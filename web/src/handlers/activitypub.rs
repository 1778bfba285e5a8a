//! ActivityPub over HTTP: the actors (`/accounts/{name}`, `/video-channels/{name}`) and
//! their collections, the inboxes (`/inbox`, `{actor}/inbox`), and a video's comments
//! and collections. Documents are `application/activity+json`; inbox POSTs answer 202
//! when taken in and a JSON 4xx saying why when refused (no state changes then).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use shoal_actors::activitypub::{ApServiceError, InboxRequest, LocalActorKind};
use shoal_actors::videos::record::VideoKey;

use crate::error::ApiError;
use crate::state::AppState;

/// The content type of every ActivityPub document served.
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";

/// `?page=N` of collections.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<usize>,
}

/// An ActivityPub document response.
pub fn activity_json(doc: &Value) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static(ACTIVITY_JSON))], doc.to_string()).into_response()
}

/// Maps the ActivityPub service's errors to PeerTube-shaped JSON errors.
pub fn ap_error(err: ApServiceError) -> ApiError {
    match err {
        ApServiceError::Invalid(d) => ApiError::bad_request(d),
        ApServiceError::Signature(d) => ApiError::new(StatusCode::UNAUTHORIZED, d).with_code("invalid_signature"),
        ApServiceError::Forbidden(d) => ApiError::forbidden(d),
        ApServiceError::NotFound(d) => ApiError::not_found(d),
        ApServiceError::TooLarge(limit) => ApiError::too_large(limit as u64),
        ApServiceError::RateLimited(host) => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, format!("too many requests from {host}"))
        }
        ApServiceError::Fetch(d) => ApiError::new(StatusCode::BAD_GATEWAY, d),
        other => ApiError::internal("activitypub", &other),
    }
}

fn document(result: Result<Option<Value>, ApServiceError>, what: &str) -> Response {
    match result {
        Ok(Some(doc)) => activity_json(&doc),
        Ok(None) => ApiError::not_found(format!("{what} not found")).into_response(),
        Err(err) => ap_error(err).into_response(),
    }
}

/// `GET /accounts/{name}`.
pub async fn account(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    document(state.shoal.activitypub().actor_document(LocalActorKind::Account, &name).await, "account")
}

/// `GET /video-channels/{name}`.
pub async fn channel(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    document(state.shoal.activitypub().actor_document(LocalActorKind::Channel, &name).await, "channel")
}

async fn collection(state: &AppState, kind: LocalActorKind, name: &str, which: &str, page: Option<usize>) -> Response {
    let ap = state.shoal.activitypub();
    let result = match which {
        "followers" => ap.followers_collection(kind, name, page).await,
        "following" => ap.following_collection(kind, name, page).await,
        "outbox" => ap.outbox(kind, name, page).await,
        "playlists" => ap.playlists_collection(kind, name, page).await,
        _ => Ok(None),
    };
    document(result, "collection")
}

/// `GET /accounts/{name}/{followers|following|outbox|playlists}`.
pub async fn account_collection(
    State(state): State<AppState>,
    Path((name, which)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Response {
    collection(&state, LocalActorKind::Account, &name, &which, query.page).await
}

/// `GET /video-channels/{name}/{followers|following|outbox|playlists}`.
pub async fn channel_collection(
    State(state): State<AppState>,
    Path((name, which)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Response {
    collection(&state, LocalActorKind::Channel, &name, &which, query.page).await
}

/// The body of an inbox POST, or the JSON error for one over the limit.
type InboxBody = Result<Bytes, BytesRejection>;

/// `POST /inbox`.
pub async fn shared_inbox(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: InboxBody,
) -> Response {
    inbox(&state, &method, &uri, &headers, body).await
}

/// `POST /accounts/{name}/inbox` and `/video-channels/{name}/inbox`.
pub async fn actor_inbox(
    State(state): State<AppState>,
    Path(_name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: InboxBody,
) -> Response {
    inbox(&state, &method, &uri, &headers, body).await
}

async fn inbox(state: &AppState, method: &Method, uri: &Uri, headers: &HeaderMap, body: InboxBody) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            state.shoal.activitypub().metrics().inbox_refused("too_large");
            let limit = state.shoal.config().federation.max_inbox_bytes;
            return ApiError::too_large(limit as u64).into_response();
        }
        Err(rejection) => return ApiError::bad_request(rejection.body_text()).into_response(),
    };
    let body = &body[..];
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let request = InboxRequest { method, uri, host, headers, body };
    match state.shoal.activitypub().receive(request).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(err) => ap_error(err).into_response(),
    }
}

/// `GET /videos/watch/{uuid}/comments/{id}`: a local comment's `Note`.
pub async fn video_comment(State(state): State<AppState>, Path((id, comment)): Path<(String, u64)>) -> Response {
    let Some(video) = local_video(&state, &id) else { return ApiError::not_found("video not found").into_response() };
    document(state.shoal.activitypub().comment_document(&video, comment), "comment")
}

/// `GET /videos/watch/{uuid}/{likes|dislikes|comments|announces|shares}` (and `?page=N`).
pub async fn video_collection(
    State(state): State<AppState>,
    Path((id, which)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Response {
    let Some(video) = local_video(&state, &id) else { return ApiError::not_found("video not found").into_response() };
    document(state.shoal.activitypub().video_collection(&video, &which, query.page), "collection")
}

fn local_video(state: &AppState, id: &str) -> Option<shoal_actors::videos::record::VideoRecord> {
    let key = VideoKey::parse(id)?;
    state.shoal.get_video(&key).ok().flatten()
}

/// `GET /videos/watch/{uuid}/announces/{peertube|channel}`: a share of a local video.
pub async fn video_share(State(state): State<AppState>, Path((id, which)): Path<(String, String)>) -> Response {
    let Some(video) = local_video(&state, &id) else { return ApiError::not_found("video not found").into_response() };
    document(state.shoal.activitypub().video_share(&video, &which), "share")
}
