//! Every route of the node, in one place, pointing at `handlers::<area>::<verb>`.
//!
//! Body limits: JSON and form bodies are capped at [`SMALL_BODY_LIMIT`], a video edit
//! (which may carry a thumbnail part) at `video_update::UPDATE_BODY_LIMIT`; the two
//! upload routes lift axum's limit and count bytes themselves against
//! `limits.max_upload_bytes` and the uploader's quota.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{delete, get, post, put};
use axum::Router;
use shoal_actors::Shoal;
use shoal_protocol::media_layout as layout;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

use crate::handlers::{
    activitypub, channels, comments, config, discovery, hls, not_found, oauth, pages, ratings, redundancy,
    redundancy_status, resumable, server_follows, server_stats, static_files, tracker, ui, upload, users, video_update,
    videos, views,
};
use crate::metrics;
use crate::state::AppState;

/// Largest JSON / form body accepted outside the upload routes.
pub const SMALL_BODY_LIMIT: usize = 1 << 20;

/// Every route of the node. `shoal` is the handle; body limits come from `shoal.config().limits`.
pub fn router(shoal: Shoal) -> Router {
    let state = AppState::new(shoal);

    let uploads = Router::new()
        .route("/api/v1/videos/upload", post(upload::upload))
        .route(
            "/api/v1/videos/upload-resumable",
            post(resumable::init).put(resumable::put_chunk).delete(resumable::cancel),
        )
        .layer(DefaultBodyLimit::disable());

    let api = Router::new()
        .route("/api/v1/ping", get(config::ping))
        .route("/metrics", get(metrics::metrics))
        .route("/api/v1/config", get(config::server_config))
        .route("/api/v1/oauth-clients/local", get(oauth::local_client))
        .route("/api/v1/users/token", post(oauth::token))
        .route("/api/v1/users/revoke-token", post(oauth::revoke))
        .route("/api/v1/users/me", get(users::me))
        .route("/api/v1/users/me/video-quota-used", get(users::quota_used))
        .route("/api/v1/users", get(users::list).post(users::create))
        .route("/api/v1/accounts/{name}", get(channels::account))
        .route("/api/v1/accounts/{name}/video-channels", get(channels::channels_of_account))
        .route("/api/v1/video-channels/{name}", get(channels::channel))
        .route("/api/v1/videos", get(videos::list))
        .route(
            "/api/v1/videos/{id}",
            get(videos::get)
                .delete(videos::delete)
                .put(video_update::update.layer(DefaultBodyLimit::max(video_update::UPDATE_BODY_LIMIT))),
        )
        .route("/api/v1/server/following", get(server_follows::following).post(server_follows::follow))
        .route("/api/v1/server/following/{target}", delete(server_follows::unfollow))
        .route("/api/v1/server/followers", get(server_follows::followers))
        .route("/api/v1/server/redundancy/status", get(redundancy_status::status))
        .route("/api/v1/server/followers/{target}", delete(server_follows::remove_follower))
        .route("/api/v1/server/stats", get(server_stats::stats))
        .route("/api/v1/server/redundancy/videos", get(redundancy::list).post(redundancy::add))
        .route("/api/v1/server/redundancy/videos/{id}", delete(redundancy::remove))
        .route("/api/v1/server/redundancy/{host}", put(redundancy::update_host))
        .route("/api/v1/videos/{id}/comment-threads", get(comments::list_threads).post(comments::create_thread))
        .route("/api/v1/videos/{id}/comment-threads/{thread_id}", get(comments::get_thread))
        .route("/api/v1/videos/{id}/comments/{comment_id}", post(comments::reply).delete(comments::delete))
        .route("/api/v1/videos/{id}/rate", put(ratings::rate))
        .route("/api/v1/users/me/videos/{id}/rating", get(ratings::my_rating))
        .route("/api/v1/videos/{id}/views", post(views::add_view))
        .layer(DefaultBodyLimit::max(SMALL_BODY_LIMIT))
        .merge(uploads)
        .fallback(not_found)
        .layer(CorsLayer::permissive())
        .layer(TraceLayer::new_for_http());

    // Web seeds, torrents and images carry their own CORS headers (see file_response).
    // They are the hot path (tens of thousands of range requests a second), so they
    // get no per-request tracing span; failures are logged by the handlers.
    let files = Router::new()
        .route(layout::WEB_VIDEO_ROUTE, get(static_files::web_video).options(static_files::options))
        .route(layout::WEB_VIDEO_DOWNLOAD_ROUTE, get(static_files::web_video).options(static_files::options))
        .route(layout::LEGACY_WEB_VIDEO_DOWNLOAD_ROUTE, get(static_files::web_video).options(static_files::options))
        .route(layout::REDUNDANCY_ROUTE, get(static_files::redundancy).options(static_files::options))
        .route(layout::TORRENT_ROUTE, get(static_files::torrent).options(static_files::options))
        .route(layout::TORRENT_DOWNLOAD_ROUTE, get(static_files::torrent).options(static_files::options))
        .route(layout::THUMBNAIL_ROUTE, get(static_files::image).options(static_files::options))
        .route(layout::PREVIEW_ROUTE, get(static_files::image).options(static_files::options))
        .route(layout::HLS_ROUTE, get(hls::file).options(static_files::options))
        .route(layout::HLS_DOWNLOAD_ROUTE, get(hls::download).options(static_files::options));

    // The tracker: BitTorrent clients ignore CORS and WebSockets do not use it.
    let tracker = if state.shoal.config().tracker.enabled {
        Router::new()
            .route("/tracker/announce", get(tracker::announce))
            .route("/tracker/scrape", get(tracker::scrape))
            .route("/tracker/socket", get(tracker::socket))
    } else {
        Router::new()
    };

    // Pages for people and the player's assets.
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/w/{id}", get(pages::watch_short))
        .route("/videos/watch/{id}", get(pages::watch))
        .route(ui::PLAYER_PATH, get(ui::player))
        .route("/ui/shoal.css", get(ui::style))
        .route(ui::BUNDLE_PATH, get(ui::webtorrent_bundle))
        .route(ui::SERVICE_WORKER_PATH, get(ui::service_worker))
        .route(ui::PANEL_PATH, get(ui::panel))
        .route(ui::HLS_PLAYER_PATH, get(ui::hls_player))
        .route(ui::HLS_JS_PATH, get(ui::hls_js))
        .route(ui::P2P_CORE_PATH, get(ui::p2p_core))
        .route(ui::P2P_HLSJS_PATH, get(ui::p2p_hlsjs))
        .layer(TraceLayer::new_for_http());

    // ActivityPub and discovery. Inbox bodies are capped at `federation.max_inbox_bytes`
    // (the handlers answer a JSON 413 past it).
    let inbox_limit = state.shoal.config().federation.max_inbox_bytes;
    let federation = Router::new()
        .route("/.well-known/webfinger", get(discovery::webfinger))
        .route("/.well-known/host-meta", get(discovery::host_meta))
        .route("/.well-known/nodeinfo", get(discovery::nodeinfo_links))
        .route("/nodeinfo/{file}", get(discovery::nodeinfo))
        .route("/inbox", post(activitypub::shared_inbox))
        .route("/accounts/{name}", get(activitypub::account))
        .route("/accounts/{name}/inbox", post(activitypub::actor_inbox))
        .route("/accounts/{name}/{collection}", get(activitypub::account_collection))
        .route("/video-channels/{name}", get(activitypub::channel))
        .route("/video-channels/{name}/inbox", post(activitypub::actor_inbox))
        .route("/video-channels/{name}/{collection}", get(activitypub::channel_collection))
        .route("/videos/watch/{id}/comments/{comment}", get(activitypub::video_comment))
        .route("/videos/watch/{id}/{collection}", get(activitypub::video_collection))
        .route("/videos/watch/{id}/announces/{actor}", get(activitypub::video_share))
        .layer(DefaultBodyLimit::max(inbox_limit))
        .layer(TraceLayer::new_for_http());

    Router::new().merge(files).merge(tracker).merge(pages).merge(federation).merge(api).with_state(state)
}
