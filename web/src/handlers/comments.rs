//! Comments, as PeerTube serves them: `GET/POST /api/v1/videos/{id}/comment-threads`,
//! `GET .../comment-threads/{threadId}`, `POST/DELETE /api/v1/videos/{id}/comments/{commentId}`.
//! Thin: the rules live in `shoal_actors::social`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shoal_actors::accounts::UserRecord;
use shoal_actors::social::{CommentRecord, ThreadSort};
use shoal_actors::AccountError;

use crate::auth::{AuthUser, MaybeUser};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::handlers::videos::{check_can_see, find};
use crate::json::comment::{CommentCreatedJson, CommentRenderer, ThreadListJson, ThreadTreeJson};
use crate::pagination::PageParams;
use crate::state::AppState;

/// `{ "text": ... }`.
#[derive(Debug, Deserialize)]
pub struct CommentBody {
    #[serde(default)]
    pub text: Option<String>,
}

/// `GET /api/v1/videos/{id}/comment-threads?start&count&sort`.
pub async fn list_threads(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<ThreadListJson>, ApiError> {
    let video = find(&state, &id)?;
    check_can_see(&video, viewer.as_ref())?;
    let count = params.count()?;
    let sort = params.sort(ThreadSort::CreatedAtDesc, ThreadSort::parse)?;
    let viewer_id = viewer.as_ref().map(|v| v.id);
    let page = state.shoal.social().threads_for(video.id, params.start(), count, sort, viewer_id)?;
    Ok(Json(with_renderer(&state, |r| r.threads(&page))?))
}

/// `GET /api/v1/videos/{id}/comment-threads/{threadId}`.
pub async fn get_thread(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ApiPath((id, thread)): ApiPath<(String, String)>,
) -> Result<Json<ThreadTreeJson>, ApiError> {
    let video = find(&state, &id)?;
    check_can_see(&video, viewer.as_ref())?;
    let viewer_id = viewer.as_ref().map(|v| v.id);
    let tree = state.shoal.social().thread_for(video.id, comment_id("threadId", &thread)?, viewer_id)?;
    Ok(Json(with_renderer(&state, |r| r.tree(&tree))?))
}

/// `POST /api/v1/videos/{id}/comment-threads` `{ text }`.
pub async fn create_thread(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<CommentCreatedJson>, ApiError> {
    let video = find(&state, &id)?;
    check_can_see(&video, Some(&user.0))?;
    let text = required_text(body)?;
    let comment = state.shoal.social().create_thread(video.id, user.0.id, &text).await?;
    created(&state, &comment)
}

/// `POST /api/v1/videos/{id}/comments/{commentId}` `{ text }`: a reply.
pub async fn reply(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, parent)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<CommentCreatedJson>, ApiError> {
    let video = find(&state, &id)?;
    check_can_see(&video, Some(&user.0))?;
    let parent = comment_id("commentId", &parent)?;
    let text = required_text(body)?;
    let comment = state.shoal.social().reply(video.id, parent, user.0.id, &text).await?;
    created(&state, &comment)
}

/// `DELETE /api/v1/videos/{id}/comments/{commentId}`: its author, the video's owner,
/// administrators and moderators.
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, comment)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let video = find(&state, &id)?;
    check_can_see(&video, Some(&user.0))?;
    state.shoal.social().delete(video.id, comment_id("commentId", &comment)?, user.0.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn created(state: &AppState, comment: &CommentRecord) -> Result<Json<CommentCreatedJson>, ApiError> {
    let comment = with_renderer(state, |r| r.comment(comment, 0, 0))?;
    Ok(Json(CommentCreatedJson { comment }))
}

/// Runs `render` with a renderer over this node's accounts.
fn with_renderer<T>(
    state: &AppState,
    render: impl FnOnce(&mut CommentRenderer<'_>) -> Result<T, AccountError>,
) -> Result<T, ApiError> {
    let accounts = state.shoal.accounts();
    let lookup = |id: u64| -> Result<Option<UserRecord>, AccountError> { accounts.user(id) };
    let mut renderer = CommentRenderer::new(state.shoal.config().public_url(), &lookup);
    Ok(render(&mut renderer)?)
}

/// A numeric comment id from the path (400 otherwise, like PeerTube's validators).
fn comment_id(param: &str, raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>().map_err(|_| ApiError::bad_request(format!("Incorrect request parameters: {param}")))
}

/// The `text` field, present (its length is checked by the social service).
fn required_text(body: CommentBody) -> Result<String, ApiError> {
    body.text.ok_or_else(|| ApiError::invalid_param("text", "should be present"))
}
