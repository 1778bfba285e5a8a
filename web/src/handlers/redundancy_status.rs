//! `GET /api/v1/server/redundancy/status` (administrators): this node's part in its
//! federation of redundancy nodes — identity and addresses, members and their state, copies
//! held, transfers with progress, the repair backlog. `shoal redundancy status` prints it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shoal_actors::replication::RedundancyStatus;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/v1/server/redundancy/status`.
pub async fn status(State(state): State<AppState>, admin: AuthUser) -> Result<Json<RedundancyStatus>, ApiError> {
    admin.require_admin()?;
    match state.shoal.redundancy_status().await {
        Some(status) => Ok(Json(status)),
        None => Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "The replication actor is not answering.")),
    }
}
