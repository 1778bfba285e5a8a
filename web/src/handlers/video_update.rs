//! `PUT /api/v1/videos/{id}`: PeerTube's video edit. The body is multipart/form-data
//! (what PeerTube's web client and `peertube-cli` send; `tags[]` for tags), JSON or
//! urlencoded, with any of the upload form's fields ([`VideoForm`]); absent fields keep
//! their values. PeerTube's order of checks: token (401), fields (400), video (404),
//! rights (403: remote video, or neither its owner nor a moderator/administrator),
//! channel (400), then 204.
//!
//! `thumbnailfile` / `previewfile` parts are read and ignored (Shoal makes its own
//! thumbnail); `support` and `originallyPublishedAt` are ignored as on upload.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use shoal_actors::accounts::Role;
use shoal_actors::videos::VideoRecord;

use super::upload::{drain, multipart_error, read_text, MAX_IMAGE_PART_BYTES};
use super::videos::{check_channel, find};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::state::AppState;
use crate::video_form::VideoForm;

/// Largest edit body: the text fields plus a thumbnail and a preview part.
pub const UPDATE_BODY_LIMIT: usize = 2 * MAX_IMAGE_PART_BYTES + (1 << 20);

/// `PUT /api/v1/videos/{id|uuid|shortUUID}`.
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    request: Request,
) -> Result<StatusCode, ApiError> {
    let form = read_form(&state, request).await?;
    let changes = form.changes()?;
    let video = find(&state, &id)?;
    check_can_manage(&video, &user)?;
    if let Some(channel_id) = changes.channel_id {
        check_channel(&state, video.account_id, channel_id)?;
    }
    let updated = state.shoal.update_video(video.id, &changes).await?;
    tracing::info!(id = updated.id, uuid = %updated.uuid, by = user.0.id, "video edited");
    Ok(StatusCode::NO_CONTENT)
}

/// PeerTube's `checkCanManageVideo` with `UPDATE_ANY_VIDEO` (administrators and
/// moderators) and `checkIsLocal`.
fn check_can_manage(video: &VideoRecord, user: &AuthUser) -> Result<(), ApiError> {
    if !video.is_local() {
        return Err(ApiError::forbidden("Cannot manage a video of another server."));
    }
    let may_edit_any = matches!(user.0.role, Role::Administrator | Role::Moderator);
    if video.account_id != user.0.id && !may_edit_any {
        return Err(ApiError::forbidden("Cannot manage a video of another user."));
    }
    Ok(())
}

/// The fields of the body, whichever of multipart, JSON or urlencoded it is.
async fn read_form(state: &AppState, request: Request) -> Result<VideoForm, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase())
        .unwrap_or_default();
    let mut form = VideoForm::default();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, state).await.map_err(|rejection| {
            ApiError::bad_request(format!("Expected a multipart/form-data body: {}", rejection.body_text()))
        })?;
        while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                drain(&mut field, MAX_IMAGE_PART_BYTES, &name).await?;
            } else {
                let value = read_text(&mut field, &name).await?;
                form.set(&name, value)?;
            }
        }
        return Ok(form);
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let axum::Form(pairs) =
            axum::Form::<Vec<(String, String)>>::from_request(request, state).await.map_err(|rejection| {
                ApiError::new(rejection.status(), format!("Invalid request: {}", rejection.body_text()))
            })?;
        for (key, value) in pairs {
            form.set(&key, value)?;
        }
        return Ok(form);
    }
    let body = Bytes::from_request(request, state).await.map_err(|rejection| {
        let status = rejection.status();
        ApiError::new(if status.is_client_error() { status } else { StatusCode::BAD_REQUEST }, rejection.body_text())
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(form);
    }
    let json: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))?;
    let object = json.as_object().ok_or_else(|| ApiError::bad_request("Expected a JSON object"))?;
    form.set_json(object)?;
    Ok(form)
}
