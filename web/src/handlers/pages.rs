//! HTML pages for people: `/` (recent videos with thumbnails) and the watch page
//! at `/w/{shortUUID}` and `/videos/watch/{uuid}`, whose player
//! (`web/ui/player.js`) streams the video with webtorrent from peers and the web seed.
//!
//! Pages are rendered by small functions over [`crate::html`]; every piece of user
//! text goes through [`escape`]. Only public and unlisted videos have watch pages
//! (a browser sends no API token); any other id is answered with a 404 page.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shoal_actors::config::WatchPlayer;
use shoal_actors::torrent_file::ws_tracker_url;
use shoal_actors::videos::record::{Privacy, VideoKey, VideoRecord, VideoState};
use shoal_actors::{VideoListQuery, VideoSort};
use shoal_protocol::media_layout::{HlsFile, MediaUrls};
use std::fmt::Write;

use crate::error::ApiError;
use crate::html::{self, escape, page, script_json};
use crate::json::video::resolution_label;
use crate::state::AppState;

/// Videos listed on `/`.
const HOME_COUNT: usize = 30;

/// `GET /`: the most recently published public videos.
pub async fn home(State(state): State<AppState>) -> Response {
    let query = VideoListQuery { start: 0, count: HOME_COUNT, sort: VideoSort::PublishedAtDesc, viewer_account: None };
    let videos = match state.shoal.list_videos(&query) {
        Ok((_, videos)) => videos,
        Err(err) => {
            tracing::error!(error = %err, "listing videos for the home page");
            return error_page(&state, StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Try again later.");
        }
    };
    let instance = &state.shoal.config().instance;
    let mut body = format!("<h1>{}</h1>\n", escape(&instance.name));
    if !instance.short_description.is_empty() {
        let _ = writeln!(body, "<p class=\"lead\">{}</p>", escape(&instance.short_description));
    }
    body.push_str("<h2>Recent videos</h2>\n");
    let published: Vec<&VideoRecord> =
        videos.iter().filter(|v| v.privacy == Privacy::Public && is_playable(v)).collect();
    if published.is_empty() {
        body.push_str("<p class=\"empty\">No videos yet.</p>\n");
    } else {
        body.push_str("<ul class=\"videos\">\n");
        for video in published {
            body.push_str(&video_card(video));
        }
        body.push_str("</ul>\n");
    }
    html_response(StatusCode::OK, page(&instance.name, "Recent videos", "", &body))
}

/// `GET /w/{shortUUID}` (also accepts a uuid, like PeerTube).
pub async fn watch_short(State(state): State<AppState>, Path(id): Path<String>, RawQuery(query): RawQuery) -> Response {
    watch_page(&state, &id, query.as_deref()).await
}

/// `GET /videos/watch/{uuid}`, with content negotiation: servers asking for
/// `application/activity+json` (or `application/ld+json` with the ActivityStreams
/// profile) get the `Video` object; browsers get the watch page.
pub async fn watch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|a| a.to_str().ok()).unwrap_or_default();
    if shoal_protocol::activitypub::accept_prefers_activity(accept) {
        return video_object(&state, &id);
    }
    watch_page(&state, &id, query.as_deref()).await
}

/// The player a watch page's query asks for (`?player=hls|webtorrent`), else `default`.
fn chosen_player(query: Option<&str>, default: WatchPlayer) -> WatchPlayer {
    let asked = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "player")
        .and_then(|(_, value)| WatchPlayer::parse(&value));
    asked.unwrap_or(default)
}

/// The `Video` object of a local video; a remote video redirects to its origin.
fn video_object(state: &AppState, id: &str) -> Response {
    use crate::handlers::activitypub::{activity_json, ap_error};
    let video = VideoKey::parse(id).and_then(|key| state.shoal.get_video(&key).ok().flatten());
    let Some(video) = video else { return ApiError::not_found("video not found").into_response() };
    if let Some(remote) = &video.remote {
        return match HeaderValue::from_str(&remote.url) {
            Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            Err(_) => ApiError::not_found("video not found").into_response(),
        };
    }
    match state.shoal.activitypub().video_document(&video) {
        Ok(Some(doc)) => activity_json(&doc),
        Ok(None) => ApiError::not_found("video not found").into_response(),
        Err(err) => ap_error(err).into_response(),
    }
}

/// The watch page of video `id` (uuid or shortUUID), or a 404 page.
async fn watch_page(state: &AppState, id: &str, query: Option<&str>) -> Response {
    let key = match VideoKey::parse(id) {
        Some(key @ (VideoKey::Uuid(_) | VideoKey::ShortUuid(_))) => key,
        _ => return not_found(state),
    };
    let video = match state.shoal.get_video(&key) {
        Ok(Some(video)) if matches!(video.privacy, Privacy::Public | Privacy::Unlisted) => video,
        Ok(_) => return not_found(state),
        Err(err) => {
            tracing::error!(error = %err, id, "loading a video for its watch page");
            return error_page(state, StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Try again later.");
        }
    };
    let instance = &state.shoal.config().instance.name;
    let public_url = state.shoal.config().public_url();
    if !is_playable(&video) {
        let (title, detail) = match video.state {
            VideoState::TranscodingFailed => ("This video could not be processed", "Its transcoding failed."),
            _ => ("This video is not ready yet", "It is being transcoded; this page reloads by itself."),
        };
        let refresh = match video.state {
            VideoState::TranscodingFailed => "",
            _ => "<meta http-equiv=\"refresh\" content=\"10\">\n",
        };
        let body = format!("<h1>{}</h1>\n<p>{title}. {detail}</p>\n", escape(&video.name));
        return html_response(StatusCode::OK, page(instance, &video.name, refresh, &body));
    }
    let player = chosen_player(query, state.shoal.config().ui.player);
    let mut data = PlayerData::new(public_url, &video, state.ui.available(), player)
        .with_mirrors(|info_hash| state.shoal.mirror_urls(info_hash));
    if let Some(hls) = data.hls.as_mut().filter(|_| video.remote.is_none()) {
        let swarms: Vec<[u8; 20]> =
            video.hls_swarms.iter().filter_map(|h| hex::decode(h).ok()?.try_into().ok()).collect();
        hls.others_watching = Some(state.shoal.tracker().peers_in(&swarms).await);
    }
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".to_owned());
    html_response(StatusCode::OK, page(instance, &video.name, "", &watch_body(&video, &data, &json)))
}

/// A video with at least one transcoded file.
fn is_playable(video: &VideoRecord) -> bool {
    let remote_files = video.remote.as_ref().is_some_and(|r| !r.files.is_empty());
    video.state == VideoState::Published && (!video.files.is_empty() || remote_files)
}

/// Which of a video's images.
#[derive(Clone, Copy)]
enum Image {
    Thumbnail,
    Preview,
}

/// The thumbnail's URL: local, or the origin's for a remote video.
fn thumbnail_url(video: &VideoRecord, image: Image) -> Option<String> {
    match &video.remote {
        Some(remote) => remote.thumbnail_url.clone(),
        None => video.thumbnail.as_ref().map(|t| match image {
            Image::Thumbnail => MediaUrls::relative().thumbnail(t),
            Image::Preview => MediaUrls::relative().preview(t),
        }),
    }
}

/// One entry of the home page's list.
fn video_card(video: &VideoRecord) -> String {
    let name = escape(&video.name);
    let href = format!("/w/{}", escape(&video.short_uuid));
    let thumb = match thumbnail_url(video, Image::Thumbnail) {
        Some(t) => format!("<img src=\"{}\" alt=\"\" width=\"280\" height=\"158\" loading=\"lazy\">", escape(&t)),
        None => "<span class=\"no-thumb\" aria-hidden=\"true\"></span>".to_owned(),
    };
    format!(
        "<li><a href=\"{href}\">{thumb}<span class=\"title\">{name}</span></a>\
         <span class=\"duration\">{}</span></li>\n",
        html::duration(video.source.duration_secs)
    )
}

/// What the player script reads from the page (`<script id="shoal-watch-data">`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PlayerData {
    uuid: String,
    name: String,
    duration: f64,
    /// Highest resolution first, like PeerTube's `files`.
    files: Vec<PlayerFile>,
    /// The node's WebSocket tracker (also in each torrent), given to webtorrent explicitly.
    trackers: Vec<String>,
    /// The webtorrent ES module, or `None` when its bundle is missing (HTTP playback only).
    web_torrent: Option<&'static str>,
    service_worker: &'static str,
    service_worker_scope: &'static str,
    /// The HLS player's stream, when it plays this page (`?player=hls` or `ui.player`) and
    /// the video has a playlist.
    #[serde(skip_serializing_if = "Option::is_none")]
    hls: Option<HlsData>,
}

/// What the HLS player (hls.js with p2p-media-loader) needs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct HlsData {
    playlist_url: String,
    segments_sha256_url: String,
    /// The WebSocket trackers p2p-media-loader announces the playlist's streams to.
    trackers: Vec<String>,
    /// Peers in this node's swarms of the playlist when the page was made (local videos): the
    /// player waits briefly for them before asking the server for its first segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    others_watching: Option<u64>,
    hls_js: &'static str,
    p2p_hls_js: &'static str,
}

impl HlsData {
    /// The stream of a local video whose files are fragmented MP4s, or the origin's playlist
    /// of a remote video (its swarms are on the origin's trackers).
    fn of(public_url: &str, video: &VideoRecord) -> Option<HlsData> {
        if let Some(remote) = &video.remote {
            let hls = remote.hls.as_ref()?;
            return Some(HlsData {
                playlist_url: hls.playlist_url.clone(),
                segments_sha256_url: hls.segments_sha256_url.clone(),
                trackers: remote.trackers.iter().filter(|t| t.starts_with("ws")).cloned().collect(),
                others_watching: None,
                hls_js: super::ui::HLS_JS_PATH,
                p2p_hls_js: super::ui::P2P_HLSJS_PATH,
            });
        }
        if video.files.iter().all(|f| f.hls.is_none()) {
            return None;
        }
        let media = MediaUrls::new(public_url);
        let uuid = video.uuid.to_string();
        Some(HlsData {
            playlist_url: media.hls(&uuid, HlsFile::Master),
            segments_sha256_url: media.hls(&uuid, HlsFile::SegmentsSha256),
            trackers: vec![ws_tracker_url(public_url)],
            others_watching: None,
            hls_js: super::ui::HLS_JS_PATH,
            p2p_hls_js: super::ui::P2P_HLSJS_PATH,
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PlayerFile {
    resolution: u32,
    size: u64,
    file_url: String,
    torrent_url: String,
    magnet_uri: String,
    info_hash: String,
    /// Mirrors other instances announced of this file (ActivityPub `CacheFile`s): extra
    /// web seeds, and where HTTP playback goes when the first URL fails.
    mirrors: Vec<String>,
    /// The name of the HLS fragmented MP4 that is this same file (same info hash), when there
    /// is one: the HLS player then also fetches its segments from the mirrors.
    #[serde(skip_serializing_if = "Option::is_none")]
    hls_name: Option<String>,
}

impl PlayerData {
    fn new(public_url: &str, video: &VideoRecord, bundle: bool, player: WatchPlayer) -> PlayerData {
        // A remote video plays from its origin's web seed and trackers (and the mirrors),
        // with its torrent served here.
        let (files, trackers) = match &video.remote {
            Some(remote) => (
                remote
                    .files
                    .iter()
                    .rev()
                    .map(|f| PlayerFile {
                        resolution: f.resolution,
                        size: f.size,
                        file_url: f.url.clone(),
                        torrent_url: crate::json::video::remote_torrent_urls(public_url, video, f).0,
                        magnet_uri: f.magnet_uri.clone(),
                        info_hash: f.info_hash.clone(),
                        mirrors: Vec::new(),
                        // A Shoal origin's HLS files are its web-video files; PeerTube's are not.
                        hls_name: remote
                            .hls
                            .iter()
                            .flat_map(|h| &h.files)
                            .find(|h| !f.info_hash.is_empty() && h.info_hash == f.info_hash)
                            .and_then(|h| h.url.rsplit('/').next())
                            .map(str::to_owned),
                    })
                    .collect(),
                remote.trackers.iter().filter(|t| t.starts_with("ws")).cloned().collect(),
            ),
            None => (
                video
                    .files
                    .iter()
                    .rev()
                    .map(|f| PlayerFile {
                        resolution: f.resolution,
                        size: f.size,
                        file_url: MediaUrls::new(public_url).web_video(&f.filename),
                        torrent_url: MediaUrls::new(public_url).torrent(&f.torrent_filename),
                        magnet_uri: f.magnet_uri.clone(),
                        info_hash: f.info_hash.clone(),
                        mirrors: Vec::new(),
                        hls_name: f
                            .hls
                            .as_ref()
                            .map(|_| HlsFile::Fragmented(f.resolution).name(&video.uuid.to_string())),
                    })
                    .collect(),
                vec![ws_tracker_url(public_url)],
            ),
        };
        PlayerData {
            uuid: video.uuid.to_string(),
            name: video.name.clone(),
            duration: video.source.duration_secs,
            files,
            trackers,
            web_torrent: bundle.then_some(super::ui::BUNDLE_PATH),
            service_worker: super::ui::SERVICE_WORKER_PATH,
            service_worker_scope: "/",
            hls: match player {
                WatchPlayer::Hls => HlsData::of(public_url, video),
                WatchPlayer::WebTorrent => None,
            },
        }
    }
}

impl PlayerData {
    /// Fills each file's `mirrors` with `mirrors(info_hash)`.
    fn with_mirrors(mut self, mirrors: impl Fn(&str) -> Vec<String>) -> Self {
        for file in self.files.iter_mut().filter(|f| !f.info_hash.is_empty()) {
            file.mirrors = mirrors(&file.info_hash);
        }
        self
    }
}

/// The watch page's `<main>`: player, P2P statistics, description and files.
fn watch_body(video: &VideoRecord, data: &PlayerData, json: &str) -> String {
    let poster = thumbnail_url(video, Image::Preview).map(|t| format!(" poster=\"{}\"", escape(&t)));
    let mut body = String::with_capacity(4096);
    let _ = write!(
        body,
        "<article class=\"watch\">\n<div class=\"player\">\
         <video id=\"shoal-video\" controls playsinline preload=\"metadata\"{}></video></div>\n\
         <h1>{}</h1>\n<p class=\"meta\">{}{}</p>\n",
        poster.unwrap_or_default(),
        escape(&video.name),
        html::duration(video.source.duration_secs),
        video.published_at.as_deref().map(|p| format!(" · published {}", escape(p))).unwrap_or_default(),
    );
    body.push_str(
        "<section class=\"p2p\" aria-label=\"Peer-to-peer statistics\">\n\
         <p id=\"stat-mode\" aria-live=\"polite\">Loading the player…</p>\n<dl>\
         <div><dt>Peers</dt><dd id=\"stat-peers\">0</dd></div>\
         <div><dt>From peers</dt><dd id=\"stat-from-peers\">0 B</dd></div>\
         <div><dt>From the server</dt><dd id=\"stat-from-server\">0 B</dd></div>\
         <div><dt>Shared with peers</dt><dd id=\"stat-uploaded\">0 B</dd></div>\
         </dl>\n</section>\n",
    );
    if let Some(description) = video.description.as_deref().filter(|d| !d.trim().is_empty()) {
        let _ = writeln!(body, "<div class=\"description\">{}</div>", escape(description));
    }
    body.push_str("<h2>Files</h2>\n<ul class=\"files\">\n");
    for file in &data.files {
        let _ = writeln!(
            body,
            "<li>{} · {} · <a href=\"{}\" download>MP4</a> · <a href=\"{}\">torrent</a> · <a href=\"{}\">magnet</a>{}</li>",
            resolution_label(file.resolution),
            human_bytes(file.size),
            escape(&file.file_url),
            escape(&file.torrent_url),
            escape(&file.magnet_uri),
            mirror_links(&file.mirrors),
        );
    }
    body.push_str("</ul>\n</article>\n");
    // The HLS player's p2p-media-loader-hlsjs imports the core by its package name.
    let (import_map, player) = match data.hls {
        Some(_) => (
            format!(
                "<script type=\"importmap\">{{\"imports\":{{\"p2p-media-loader-core\":\"{}\"}}}}</script>\n",
                super::ui::P2P_CORE_PATH
            ),
            super::ui::HLS_PLAYER_PATH,
        ),
        None => (String::new(), super::ui::PLAYER_PATH),
    };
    let _ = write!(
        body,
        "<script type=\"application/json\" id=\"shoal-watch-data\">{}</script>\n\
         {import_map}<script type=\"module\" src=\"{player}\"></script>\n",
        script_json(json),
    );
    body
}

/// ` · mirrors: <a>1</a> <a>2</a>` for a file's mirrors, or nothing.
fn mirror_links(mirrors: &[String]) -> String {
    if mirrors.is_empty() {
        return String::new();
    }
    let links: Vec<String> = mirrors
        .iter()
        .enumerate()
        .map(|(i, url)| format!("<a class=\"mirror\" href=\"{}\" download>{}</a>", escape(url), i + 1))
        .collect();
    format!(" · mirrors: {}", links.join(" "))
}

/// `bytes` in B, kB, MB or GB (powers of 1000, one decimal).
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The 404 page.
fn not_found(state: &AppState) -> Response {
    error_page(
        state,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no video or page here. It may have been deleted, or the link may be mistyped.",
    )
}

fn error_page(state: &AppState, status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        format!("<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/\">Recent videos</a></p>\n", escape(title), escape(detail));
    html_response(status, page(&state.shoal.config().instance.name, title, "", &body))
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 kB");
        assert_eq!(human_bytes(16_000_000), "16.0 MB");
    }
}
