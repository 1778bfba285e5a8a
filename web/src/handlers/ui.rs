//! The watch page's assets under `/ui/`: Shoal's two player scripts and style sheet
//! (compiled in), webtorrent's browser bundle and service worker, and hls.js with
//! p2p-media-loader (read from `web/ui/node_modules`, see [`crate::ui_assets`]). The service worker is served
//! with `Service-Worker-Allowed: /` so the player can register it for the whole
//! site: webtorrent's worker answers the stream URLs `/webtorrent/…` under its scope.

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::ui_assets::{UiFile, HLS_PLAYER_JS, PANEL_JS, PLAYER_JS, STYLE_CSS};

/// Where the page loads Shoal's player from.
pub const PLAYER_PATH: &str = "/ui/player.js";
/// Where the player imports the webtorrent ES module from.
pub const BUNDLE_PATH: &str = "/ui/webtorrent/webtorrent.min.js";
/// Where the player registers webtorrent's service worker from.
pub const SERVICE_WORKER_PATH: &str = "/ui/webtorrent/sw.min.js";
/// What both players import (`./panel.js` beside them).
pub const PANEL_PATH: &str = "/ui/panel.js";
/// Where the page loads Shoal's HLS player from (`?player=hls`).
pub const HLS_PLAYER_PATH: &str = "/ui/hls-player.js";
/// hls.js (ES module).
pub const HLS_JS_PATH: &str = "/ui/hls/hls.mjs";
/// p2p-media-loader-core (ES module).
pub const P2P_CORE_PATH: &str = "/ui/hls/p2p-media-loader-core.js";
/// p2p-media-loader-hlsjs (ES module).
pub const P2P_HLSJS_PATH: &str = "/ui/hls/p2p-media-loader-hlsjs.js";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// `GET /ui/player.js`.
pub async fn player() -> Response {
    text(JAVASCRIPT, PLAYER_JS, "no-cache")
}

/// `GET /ui/panel.js`.
pub async fn panel() -> Response {
    text(JAVASCRIPT, PANEL_JS, "no-cache")
}

/// `GET /ui/hls-player.js`.
pub async fn hls_player() -> Response {
    text(JAVASCRIPT, HLS_PLAYER_JS, "no-cache")
}

/// `GET /ui/hls/hls.mjs`.
pub async fn hls_js(State(state): State<AppState>) -> Response {
    library_file(&state, UiFile::HlsJs).await
}

/// `GET /ui/hls/p2p-media-loader-core.js`.
pub async fn p2p_core(State(state): State<AppState>) -> Response {
    library_file(&state, UiFile::P2pCore).await
}

/// `GET /ui/hls/p2p-media-loader-hlsjs.js`.
pub async fn p2p_hlsjs(State(state): State<AppState>) -> Response {
    library_file(&state, UiFile::P2pHlsJs).await
}

/// `GET /ui/shoal.css`.
pub async fn style() -> Response {
    text("text/css; charset=utf-8", STYLE_CSS, "no-cache")
}

/// `GET /ui/webtorrent/webtorrent.min.js`.
pub async fn webtorrent_bundle(State(state): State<AppState>) -> Response {
    library_file(&state, UiFile::Bundle).await
}

/// `GET /ui/webtorrent/sw.min.js`.
pub async fn service_worker(State(state): State<AppState>) -> Response {
    let mut response = library_file(&state, UiFile::ServiceWorker).await;
    if response.status().is_success() {
        response.headers_mut().insert(HeaderName::from_static("service-worker-allowed"), HeaderValue::from_static("/"));
    }
    response
}

async fn library_file(state: &AppState, file: UiFile) -> Response {
    let Some(path) = state.ui.path(file) else {
        return missing(&state.ui.missing_message());
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JAVASCRIPT));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(err) => {
            tracing::error!(path = %path.display(), error = %err, "reading a player library");
            missing(&state.ui.missing_message())
        }
    }
}

/// 503 with the operator's remedy, as JavaScript that logs it (the page then plays over HTTP).
fn missing(message: &str) -> Response {
    let quoted = serde_json::to_string(message).unwrap_or_else(|_| "\"webtorrent bundle missing\"".to_owned());
    let mut response =
        (StatusCode::SERVICE_UNAVAILABLE, format!("console.error({quoted});\nthrow new Error({quoted});\n"))
            .into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JAVASCRIPT));
    response
}

fn text(content_type: &'static str, body: &'static str, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
