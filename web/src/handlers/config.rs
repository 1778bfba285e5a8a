//! Instance-level endpoints: `GET /api/v1/ping` and `GET /api/v1/config`.

use axum::extract::State;
use axum::Json;

use crate::json::config::ServerConfigJson;
use crate::state::AppState;

/// `GET /api/v1/ping`: 200 `pong` once the node serves requests.
pub async fn ping() -> &'static str {
    "pong"
}

/// `GET /api/v1/config`: PeerTube's `ServerConfig`.
pub async fn server_config(State(state): State<AppState>) -> Json<ServerConfigJson> {
    Json(ServerConfigJson::new(state.shoal.config()))
}
