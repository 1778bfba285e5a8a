//! Request handlers, one module per area; `crate::router` maps routes to them.

pub mod activitypub;
pub mod channels;
pub mod comments;
pub mod config;
pub mod discovery;
pub mod hls;
pub mod oauth;
pub mod pages;
pub mod ratings;
pub mod redundancy;
pub mod redundancy_status;
pub mod resumable;
pub mod server_follows;
pub mod server_stats;
pub mod static_files;
pub mod torrent_mirrors;
pub mod tracker;
pub mod ui;
pub mod upload;
pub mod users;
pub mod video_update;
pub mod videos;
pub mod views;

use axum::http::Uri;

use crate::error::ApiError;

/// Any route not listed: 404 in PeerTube's JSON error shape.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("No route for {}", uri.path()))
}
