//! Files from the media folder at PeerTube's URLs: web seeds
//! (`/static/web-videos/{file}`, also `/download/web-videos/{file}` and
//! `/download/videos/{file}`), torrents (`/lazy-static/torrents/{file}` and
//! `/download/torrents/{file}`) and images (`/lazy-static/thumbnails/{file}`,
//! `/lazy-static/previews/{file}`) and mirrored copies this node holds
//! (`/static/redundancy/{file}`, only once the copy is complete and recorded). Each route
//! only serves its own extensions. Web-seed bodies share the upload budget of
//! `web_seed.max_upload_bytes_per_second`.

use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::file_response::{is_valid_name, preflight, ServedFile};
use crate::state::AppState;
use crate::throttle::throttled;
use shoal_actors::remote_torrents::RemoteTorrentError;
use shoal_actors::replication::copies::REDUNDANCY_DIR;

const VIDEO_TYPES: &[(&str, &str)] = &[(".mp4", "video/mp4"), (".webm", "video/webm")];
const TORRENT_TYPES: &[(&str, &str)] = &[(".torrent", "application/x-bittorrent")];
const IMAGE_TYPES: &[(&str, &str)] = &[(".jpg", "image/jpeg")];

/// `GET|HEAD /static/web-videos/{filename}`: the web seed.
pub async fn web_video(State(state): State<AppState>, Path(name): Path<String>, request: Request) -> Response {
    seed_file(&state, &name, request).await
}

/// Serves the local video file `name` as a web seed (Range, CORS), counted and throttled
/// like every seed answer; also the HLS route's fragmented MP4s, which are these files.
pub(crate) async fn seed_file(state: &AppState, name: &str, request: Request) -> Response {
    let method = request.method().clone();
    let response = serve(state, name, VIDEO_TYPES, request).await;
    seed_answer(state, &method, response)
}

/// `GET|HEAD /static/redundancy/{filename}`: a mirrored copy (PeerTube's path), served
/// like the node's own web seeds. 404 unless the copy is recorded, i.e. complete and
/// verified (a transfer in progress lives under `.part/`, which no valid name reaches).
pub async fn redundancy(State(state): State<AppState>, Path(name): Path<String>, request: Request) -> Response {
    let method = request.method().clone();
    let response = match state.shoal.copies().by_filename(&name) {
        Ok(Some(_)) => serve_in(&state, Some(REDUNDANCY_DIR), &name, VIDEO_TYPES, request).await,
        Ok(None) => ApiError::not_found("File not found").into_response(),
        Err(err) => ApiError::internal("reading the copies store", &err).into_response(),
    };
    seed_answer(&state, &method, response)
}

/// Counts a web-seed answer and throttles its body to the seed budget.
fn seed_answer(state: &AppState, method: &axum::http::Method, response: Response) -> Response {
    state.metrics.seed_answered(method, &response);
    match &state.seed_throttle {
        Some(throttle) => {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, throttled(throttle.clone(), body))
        }
        None => response,
    }
}

/// `GET|HEAD /lazy-static/torrents/{filename}`: with the file's mirrors added to its
/// `url-list` when it has any (see [`super::torrent_mirrors`]). A name that is no local file
/// may be a remote video's file (`{uuid}-{resolution}.torrent`): its torrent is served from
/// the actors' cache, fetched from the origin or a redundancy member (502 when neither gives it).
pub async fn torrent(State(state): State<AppState>, Path(name): Path<String>, request: Request) -> Response {
    let method = request.method().clone();
    if name.ends_with(".torrent") && is_valid_name(&name) {
        if let Some(response) = super::torrent_mirrors::with_mirrors(&state, &name, &method).await {
            return response;
        }
        let local = tokio::fs::try_exists(state.media_dir.join(&name)).await.unwrap_or(true);
        if !local && (method == Method::GET || method == Method::HEAD) {
            match state.shoal.remote_torrent(&name).await {
                Ok(Some(bytes)) => return super::torrent_mirrors::remote(&state, &bytes, &method),
                Ok(None) => {}
                Err(err @ RemoteTorrentError::Unavailable { .. }) => {
                    return ApiError::new(StatusCode::BAD_GATEWAY, err.to_string()).into_response();
                }
                Err(err) => return ApiError::internal("serving a remote torrent", &err).into_response(),
            }
        }
    }
    serve(&state, &name, TORRENT_TYPES, request).await
}

/// `GET|HEAD /lazy-static/thumbnails/{filename}` and `/lazy-static/previews/{filename}`
/// (Shoal makes one image per video and serves it for both).
pub async fn image(State(state): State<AppState>, Path(name): Path<String>, request: Request) -> Response {
    serve(&state, &name, IMAGE_TYPES, request).await
}

/// `OPTIONS` on any of the above: CORS preflight.
pub async fn options() -> Response {
    preflight()
}

async fn serve(state: &AppState, name: &str, types: &[(&str, &'static str)], request: Request) -> Response {
    serve_in(state, None, name, types, request).await
}

/// Serves `name` from the media folder, or from its `subdir`. The file cache is keyed by
/// the path under the media folder, so a copy never shadows a local file of the same name.
async fn serve_in(
    state: &AppState,
    subdir: Option<&str>,
    name: &str,
    types: &[(&str, &'static str)],
    request: Request,
) -> Response {
    let content_type = match types.iter().find(|(ext, _)| name.ends_with(ext)) {
        Some((_, content_type)) if is_valid_name(name) => *content_type,
        _ => return ApiError::bad_request("Invalid file name").into_response(),
    };
    let opened = match subdir {
        Some(subdir) => state.files.get(&state.media_dir, &format!("{subdir}/{name}")),
        None => state.files.get(&state.media_dir, name),
    };
    match opened {
        Ok(open) => ServedFile::new(open, content_type).respond(request.method(), request.headers()).await,
        Err(err) => err.into_response(),
    }
}
