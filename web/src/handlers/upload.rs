//! `POST /api/v1/videos/upload`: PeerTube's legacy multipart upload (what
//! `peertube-cli upload` sends). The `videofile` part is streamed to a temp file
//! under `uploads_dir()`; fields may come before or after it. Size is limited
//! by `limits.max_upload_bytes` (413) and the user's quota (403
//! `quota_reached`), checked from `Content-Length` first and then byte by byte.

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::Json;
use shoal_actors::videos::NewVideo;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::json::video::{UploadedJson, UploadedVideo};
use crate::state::AppState;
use crate::upload_sink::{remove_leftover, sanitize_filename, UploadFile, UploadLimits, FORM_OVERHEAD_BYTES};
use crate::video_form::{VideoForm, MAX_TEXT_FIELD_BYTES};

/// Largest thumbnail/preview part read (and discarded: Shoal makes its own).
pub const MAX_IMAGE_PART_BYTES: usize = 8 << 20;

pub async fn upload(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<UploadedJson>, ApiError> {
    let limits = UploadLimits::for_user(&state.shoal, &user)?;
    limits.check_content_length(&headers, FORM_OVERHEAD_BYTES)?;
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::bad_request(format!("Expected a multipart/form-data body: {}", rejection.body_text()))
    })?;

    let mut form = VideoForm::default();
    let mut received: Option<(UploadFile, String)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "videofile" {
            if received.is_some() {
                return Err(ApiError::invalid_param("videofile", "Should have exactly one video file"));
            }
            // Refuse a bad form before receiving its file, when its fields came first.
            form.check_present()?;
            if let Some(channel_id) = form.channel_id() {
                super::videos::check_channel(&state, user.id, channel_id)?;
            }
            let original = sanitize_filename(field.file_name());
            let path = state.shoal.uploads_dir().join(format!("upload-{}.part", Uuid::new_v4().simple()));
            let mut file = UploadFile::create(path).await?;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                file.write(&chunk, &limits).await?;
            }
            file.flush().await?;
            tracing::debug!(bytes = file.len(), user = user.id, "upload received");
            received = Some((file, original));
        } else if field.file_name().is_some() {
            // thumbnailfile / previewfile: accepted and ignored, like unknown fields.
            drain(&mut field, MAX_IMAGE_PART_BYTES, &name).await?;
        } else {
            let value = read_text(&mut field, &name).await?;
            form.set(&name, value)?;
        }
    }

    let Some((file, original_filename)) = received else {
        return Err(ApiError::invalid_param("videofile", "Should have an input video file (the `videofile` part)"));
    };
    let details = form.finish()?;
    super::videos::check_channel(&state, user.id, details.channel_id)?;
    if file.is_empty() {
        return Err(ApiError::invalid_param("videofile", "The video file is empty"));
    }
    let path = file.keep().await?;
    let new = NewVideo { account_id: user.id, details, upload_path: path.clone(), original_filename };
    match state.shoal.create_video(new).await {
        Ok(video) => {
            tracing::info!(id = video.id, uuid = %video.uuid, user = user.id, "video uploaded");
            Ok(Json(UploadedJson { video: UploadedVideo::new(&video) }))
        }
        Err(err) => {
            remove_leftover(&path).await;
            Err(err.into())
        }
    }
}

/// A multipart framing error (or a body read error) as a 400/413 JSON error.
pub fn multipart_error(err: MultipartError) -> ApiError {
    let status = err.status();
    let detail = format!("Malformed multipart body: {}", err.body_text());
    if status.is_client_error() {
        ApiError::new(status, detail)
    } else {
        ApiError::bad_request(detail)
    }
}

/// A text field's value, at most [`MAX_TEXT_FIELD_BYTES`].
pub async fn read_text(field: &mut Field<'_>, name: &str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(ApiError::invalid_param(name, format!("Field is longer than {MAX_TEXT_FIELD_BYTES} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| ApiError::invalid_param(name, "Field is not valid UTF-8"))
}

/// Reads and discards a file part of at most `max` bytes.
pub async fn drain(field: &mut Field<'_>, max: usize, name: &str) -> Result<(), ApiError> {
    let mut seen = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        seen += chunk.len();
        if seen > max {
            return Err(ApiError::invalid_param(name, format!("File part is larger than {max} bytes")));
        }
    }
    Ok(())
}
