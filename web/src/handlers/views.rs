//! `POST /api/v1/videos/{id}/views` (body `{ currentTime, viewEvent? }`, optional):
//! counts a view for the client's IP address, deduplicated and buffered by the social
//! service. Answers 204 whether or not the view counted, as PeerTube does.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::auth::MaybeUser;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::handlers::videos::{check_can_see, find};
use crate::state::AppState;

/// PeerTube's view body; both fields optional here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViewBody {
    #[serde(default)]
    current_time: Option<f64>,
    #[serde(default)]
    view_event: Option<String>,
}

/// The address of the connection a request came on; `0.0.0.0` when the server was not
/// started with connection info (in-process tests).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(ip))
    }
}

/// `POST /api/v1/videos/{id}/views`.
pub async fn add_view(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    if !body.iter().all(u8::is_ascii_whitespace) {
        let parsed: ViewBody =
            serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("Invalid view body: {e}")))?;
        if parsed.current_time.is_some_and(|t| !t.is_finite() || t < 0.0) {
            return Err(ApiError::invalid_param("currentTime", "should be a positive number"));
        }
        if parsed.view_event.as_deref().is_some_and(|e| e != "seek" && e != "watch") {
            return Err(ApiError::invalid_param("viewEvent", "should be seek or watch"));
        }
    }
    let video = find(&state, &id)?;
    check_can_see(&video, viewer.as_ref())?;
    state.shoal.social().record_view(video.id, ip);
    Ok(StatusCode::NO_CONTENT)
}
