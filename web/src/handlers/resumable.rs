//! PeerTube's resumable upload, `/api/v1/videos/upload-resumable`:
//! - `POST` with the JSON metadata and `X-Upload-Content-Length` /
//!   `X-Upload-Content-Type` headers opens a session: 201 with
//!   `Location: .../upload-resumable?upload_id=ID`.
//! - `PUT ?upload_id=ID` with `Content-Range: bytes a-b/total` sends a chunk:
//!   308 with `Range: bytes=0-N` while incomplete, 200 `{"video": {...}}` once
//!   the last byte arrived and the video was created. `Content-Range: bytes */total`
//!   with an empty body asks how far the upload is (resume after a disconnect).
//! - `DELETE ?upload_id=ID` cancels (or, after completion, forgets) the session: 204.
//!
//! Sessions live on disk ([`crate::resumable_session`]) and survive restarts.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use serde::Deserialize;
use shoal_actors::videos::NewVideo;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::json::video::{UploadedJson, UploadedVideo};
use crate::resumable_session::{self as session, ContentRange, UploadSession};
use crate::state::AppState;
use crate::upload_sink::{remove_leftover, sanitize_filename, UploadFile, UploadLimits};
use crate::video_form::VideoForm;

static X_UPLOAD_CONTENT_LENGTH: HeaderName = HeaderName::from_static("x-upload-content-length");
static X_UPLOAD_CONTENT_TYPE: HeaderName = HeaderName::from_static("x-upload-content-type");

#[derive(Debug, Deserialize)]
pub struct SessionParams {
    pub upload_id: Option<String>,
}

/// `POST /api/v1/videos/upload-resumable`: opens a session.
pub async fn init(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Response, ApiError> {
    let size: u64 = headers
        .get(&X_UPLOAD_CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ApiError::bad_request("Missing or invalid X-Upload-Content-Length header"))?;
    if size == 0 {
        return Err(ApiError::invalid_param("videofile", "The video file is empty"));
    }
    UploadLimits::for_user(&state.shoal, &user)?.check(size)?;
    let object = body.as_object().ok_or_else(|| ApiError::bad_request("Expected a JSON object of video metadata"))?;
    let mut form = VideoForm::default();
    form.set_json(object)?;
    let meta = form.finish()?;
    super::videos::check_channel(&state, user.id, meta.channel_id)?;

    let dir = state.shoal.uploads_dir();
    tokio::spawn(session::remove_stale(dir.clone()));
    let id = session::new_id();
    let record = UploadSession {
        id: id.clone(),
        account_id: user.id,
        meta,
        filename: sanitize_filename(form.filename.as_deref()),
        size,
        content_type: headers.get(&X_UPLOAD_CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned),
        created_at_unix: session::now_unix(),
        completed: None,
    };
    tokio::fs::File::create(UploadSession::data_path(&dir, &id)).await?;
    record.save(&dir).await?;
    tracing::info!(%id, user = user.id, size, "resumable upload opened");

    let location = format!("{}/api/v1/videos/upload-resumable?upload_id={id}", state.shoal.config().public_url());
    let location = HeaderValue::from_str(&location).map_err(|err| ApiError::internal("location header", &err))?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(serde_json::json!({}))).into_response())
}

/// `PUT /api/v1/videos/upload-resumable?upload_id=ID`: one chunk (or a status query).
pub async fn put_chunk(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(params): ApiQuery<SessionParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = session_id(&params)?;
    let lock = state.upload_locks.lock_for(&id);
    let _guard = lock.lock().await;
    let dir = state.shoal.uploads_dir();
    let record = load_own(&dir, &id, user.id).await?;
    if let Some(video) = &record.completed {
        return Ok(Json(UploadedJson { video: video.clone() }).into_response());
    }
    let content_range = headers
        .get(header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(session::parse_content_range)
        .ok_or_else(|| ApiError::bad_request("Missing or invalid Content-Range header (expected `bytes a-b/total`)"))?;
    let received = UploadSession::received(&dir, &id).await?;
    let received = match content_range {
        ContentRange::Query { total } => {
            check_total(total, &record)?;
            received
        }
        ContentRange::Chunk { start, end, total } => {
            check_total(total, &record)?;
            if start > received || end < received {
                // A gap, or bytes we already have: tell the client where we are.
                return Ok(resume_incomplete(received));
            }
            write_chunk(&dir, &id, start, end - start + 1, body, record.size).await?
        }
    };
    if received < record.size {
        return Ok(resume_incomplete(received));
    }
    finish(&state, &dir, record).await
}

/// `DELETE /api/v1/videos/upload-resumable?upload_id=ID`.
pub async fn cancel(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiQuery(params): ApiQuery<SessionParams>,
) -> Result<StatusCode, ApiError> {
    let id = session_id(&params)?;
    let lock = state.upload_locks.lock_for(&id);
    let _guard = lock.lock().await;
    let dir = state.shoal.uploads_dir();
    let record = load_own(&dir, &id, user.id).await?;
    UploadSession::remove(&dir, &id).await;
    state.upload_locks.forget(&id);
    tracing::info!(%id, completed = record.completed.is_some(), "resumable upload session closed");
    Ok(StatusCode::NO_CONTENT)
}

fn session_id(params: &SessionParams) -> Result<String, ApiError> {
    match params.upload_id.as_deref() {
        Some(id) if session::is_valid_id(id) => Ok(id.to_owned()),
        Some(_) => Err(ApiError::not_found("Upload session not found")),
        None => Err(ApiError::bad_request("Missing upload_id query parameter")),
    }
}

async fn load_own(dir: &std::path::Path, id: &str, account_id: u64) -> Result<UploadSession, ApiError> {
    let record = UploadSession::load(dir, id).await?.ok_or_else(|| ApiError::not_found("Upload session not found"))?;
    if record.account_id != account_id {
        return Err(ApiError::forbidden("This upload session belongs to another user"));
    }
    Ok(record)
}

fn check_total(total: u64, record: &UploadSession) -> Result<(), ApiError> {
    if total != record.size {
        return Err(ApiError::bad_request(format!(
            "Content-Range total {total} differs from the announced X-Upload-Content-Length {}",
            record.size
        )));
    }
    Ok(())
}

/// Writes the request body at `start` (at most `max_len` bytes); returns the file's new length.
async fn write_chunk(
    dir: &std::path::Path,
    id: &str,
    start: u64,
    max_len: u64,
    body: Body,
    size: u64,
) -> Result<u64, ApiError> {
    let path = UploadSession::data_path(dir, id);
    let before = UploadSession::received(dir, id).await?;
    let mut file = UploadFile::open_at(path, start).await?;
    let limits = UploadLimits { max_bytes: start.saturating_add(max_len).min(size), quota_left: None };
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| ApiError::bad_request(format!("Reading the chunk failed: {err}")))?;
        if file.len() + chunk.len() as u64 > limits.max_bytes {
            return Err(ApiError::bad_request("The chunk is longer than its Content-Range"));
        }
        file.write(&chunk, &limits).await?;
    }
    file.flush().await?;
    Ok(file.len().max(before))
}

/// PeerTube's "308 Resume Incomplete" with the bytes held so far.
fn resume_incomplete(received: u64) -> Response {
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    if received > 0 {
        if let Ok(value) = HeaderValue::from_str(&format!("bytes=0-{}", received - 1)) {
            response.headers_mut().insert(header::RANGE, value);
        }
    }
    response
}

/// Every byte is in: create the video and remember it in the session.
async fn finish(state: &AppState, dir: &std::path::Path, mut record: UploadSession) -> Result<Response, ApiError> {
    let path = UploadSession::data_path(dir, &record.id);
    let new = NewVideo {
        account_id: record.account_id,
        details: record.meta.clone(),
        upload_path: path.clone(),
        original_filename: record.filename.clone(),
    };
    match state.shoal.create_video(new).await {
        Ok(video) => {
            tracing::info!(id = video.id, uuid = %video.uuid, session = %record.id, "resumable upload complete");
            let uploaded = UploadedVideo::new(&video);
            record.completed = Some(uploaded.clone());
            if let Err(err) = record.save(dir).await {
                tracing::warn!(session = %record.id, ?err, "could not mark the upload session complete");
            }
            Ok(Json(UploadedJson { video: uploaded }).into_response())
        }
        Err(err) => {
            remove_leftover(&path).await;
            UploadSession::remove(dir, &record.id).await;
            state.upload_locks.forget(&record.id);
            Err(err.into())
        }
    }
}
