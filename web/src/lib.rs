//! Shoal's axum edge: PeerTube's REST API (`/api/v1`), the web seed
//! (`/static/web-videos`), torrents and images (`/lazy-static`), and the pages
//! people open: `/` and the watch pages with their webtorrent player (`/ui`).
//!
//! The crate is a thin translation layer: every handler turns HTTP into calls
//! on the [`shoal_actors::Shoal`] handle and back into PeerTube's JSON shapes.
//! [`router`] lists every route in one place.

pub mod auth;
pub mod error;
pub mod extract;
pub mod file_cache;
pub mod file_response;
pub mod handlers;
pub mod html;
pub mod json;
pub mod metrics;
pub mod pagination;
pub mod read_buffers;
pub mod resumable_session;
pub mod router;
pub mod state;
pub mod throttle;
pub mod ui_assets;
pub mod upload_sink;
pub mod video_form;

pub use error::ApiError;
pub use router::router;
