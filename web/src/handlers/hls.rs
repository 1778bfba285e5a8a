//! A local video's HLS files at PeerTube's `/static/streaming-playlists/hls/{uuid}/{name}`
//! (names in `shoal_protocol::media_layout::HlsFile`): the master playlist, one byte-range
//! playlist per resolution and `segments-sha256.json`, written from each file's fragment index
//! when asked (they are a few kB; Range and ETag as for files), and the fragmented MP4s,
//! which are the rungs' own files served by the web seed's code (Range, CORS, the seed's
//! upload budget). Private and internal videos follow the API's rules: their owner (or an
//! admin) with a bearer token. Unknown videos, names and resolutions are 404 with a JSON body.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use shoal_actors::videos::record::{VideoFileRecord, VideoKey, VideoRecord};
use shoal_protocol::hls::{playlist, segment_hashes, FragmentIndex};
use shoal_protocol::media_layout::HlsFile;
use shoal_protocol::range::{self, RangeOutcome};
use uuid::Uuid;

use super::static_files::seed_file;
use super::videos::check_can_see;
use crate::auth::MaybeUser;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET|HEAD /static/streaming-playlists/hls/{uuid}/{filename}`.
pub async fn file(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Path((uuid, name)): Path<(String, String)>,
    request: Request,
) -> Response {
    let video = match find(&state, &uuid) {
        Ok(video) => video,
        Err(err) => return err.into_response(),
    };
    if let Err(err) = check_can_see(&video, viewer.as_ref()) {
        return err.into_response();
    }
    let uuid = video.uuid.to_string();
    let Some(file) = HlsFile::parse(&uuid, &name) else {
        return ApiError::not_found("No such HLS file").into_response();
    };
    let streams = streams(&video);
    let rung = |res: u32| streams.iter().find(|(f, _)| f.resolution == res).copied();
    let body = match file {
        HlsFile::Master if !streams.is_empty() => {
            let names: Vec<String> = streams.iter().map(|(f, _)| HlsFile::Playlist(f.resolution).name(&uuid)).collect();
            let variants: Vec<playlist::Variant<'_>> = streams
                .iter()
                .zip(&names)
                .map(|((f, index), name)| playlist::Variant {
                    playlist: name,
                    index,
                    width: f.width,
                    height: f.height,
                    fps: f.fps,
                })
                .collect();
            playlist::master(&variants)
        }
        HlsFile::Playlist(res) => match rung(res) {
            Some((_, index)) => playlist::media(&HlsFile::Fragmented(res).name(&uuid), index),
            None => return unknown_resolution(),
        },
        HlsFile::SegmentsSha256 if !streams.is_empty() => {
            let files = streams.iter().map(|(f, index)| (HlsFile::Fragmented(f.resolution).name(&uuid), *index));
            segment_hashes::document(files).to_string()
        }
        HlsFile::Fragmented(res) => match rung(res) {
            Some((f, _)) => return seed_file(&state, &f.filename, request).await,
            None => return unknown_resolution(),
        },
        HlsFile::Master | HlsFile::SegmentsSha256 => {
            return ApiError::not_found("This video has no HLS playlist").into_response()
        }
    };
    document(file.content_type(), body, request.headers())
}

/// `GET|HEAD /download/streaming-playlists/hls/videos/{uuid}-{res}-fragmented.mp4`: the
/// fragmented MP4 as a download, under the same rules.
pub async fn download(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    // A uuid is 36 characters; the rest must name a fragmented file of that video.
    let Some(uuid) = name.get(..36).filter(|_| name.ends_with("-fragmented.mp4")) else {
        return ApiError::not_found("No such HLS file").into_response();
    };
    let uuid = uuid.to_owned();
    file(State(state), viewer, Path((uuid, name)), request).await
}

/// The video of a path's `{uuid}`: 404 when it is no uuid or no video.
fn find(state: &AppState, uuid: &str) -> Result<VideoRecord, ApiError> {
    let uuid = Uuid::parse_str(uuid).map_err(|_| ApiError::not_found("Video not found"))?;
    state.shoal.get_video(&VideoKey::Uuid(uuid))?.ok_or_else(|| ApiError::not_found("Video not found"))
}

/// The files of `video` that are fragmented MP4s, lowest resolution first.
fn streams(video: &VideoRecord) -> Vec<(&VideoFileRecord, &FragmentIndex)> {
    let mut streams: Vec<_> = video.files.iter().filter_map(|f| f.hls.as_ref().map(|index| (f, index))).collect();
    streams.sort_by_key(|(f, _)| f.resolution);
    streams
}

fn unknown_resolution() -> Response {
    ApiError::not_found("This video has no HLS stream at that resolution").into_response()
}

/// A generated playlist or JSON document, with the web seed's CORS headers, a strong ETag
/// (the body's SHA-256: the same index always writes the same bytes) and, for a GET with one
/// satisfiable `Range`, that range with 206 (several ranges get the whole document, which RFC
/// 9110 allows; an unsatisfiable one gets 416). axum answers a HEAD with the headers alone.
fn document(content_type: &'static str, body: String, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(body.as_bytes())[..16]));
    let len = body.len() as u64;
    let range = request
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| request.get(header::IF_RANGE).and_then(|v| v.to_str().ok()).is_none_or(|v| v == etag))
        .map_or(RangeOutcome::Ignore, |value| range::parse_range(value, len));
    let mut response = match range {
        RangeOutcome::Satisfiable(ranges) if ranges.len() == 1 => {
            let r = ranges[0];
            let part = body.into_bytes().get(r.start as usize..=r.end_inclusive as usize).map(<[u8]>::to_vec);
            let mut response = (StatusCode::PARTIAL_CONTENT, part.unwrap_or_default()).into_response();
            if let Ok(value) = HeaderValue::from_str(&r.content_range(len)) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            response
        }
        RangeOutcome::Unsatisfiable => {
            let mut response =
                ApiError::new(StatusCode::RANGE_NOT_SATISFIABLE, "Range not satisfiable").into_response();
            if let Ok(value) = HeaderValue::from_str(&range::unsatisfied_content_range(len)) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return with_cors(response);
        }
        RangeOutcome::Ignore | RangeOutcome::Satisfiable(_) => body.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    with_cors(response)
}

fn with_cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Content-Length, Content-Range, Accept-Ranges, ETag"),
    );
    response
}
