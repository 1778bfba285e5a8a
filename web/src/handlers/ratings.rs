//! Likes and dislikes: `PUT /api/v1/videos/{id}/rate` `{ rating }` and
//! `GET /api/v1/users/me/videos/{videoId}/rating` → `{ videoId, rating }`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use shoal_actors::social::Rating;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::handlers::videos::{check_can_see, find};
use crate::state::AppState;

/// `{ "rating": "like" | "dislike" | "none" }`.
#[derive(Debug, Deserialize)]
pub struct RateBody {
    #[serde(default)]
    pub rating: Option<String>,
}

/// PeerTube's `UserVideoRate`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserVideoRateJson {
    pub video_id: u64,
    pub rating: &'static str,
}

/// `PUT /api/v1/videos/{id}/rate`.
pub async fn rate(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RateBody>,
) -> Result<StatusCode, ApiError> {
    let rating = body
        .rating
        .as_deref()
        .and_then(Rating::parse)
        .ok_or_else(|| ApiError::invalid_param("rating", "should be one of like, dislike, none"))?;
    let video = find(&state, &id)?;
    check_can_see(&video, Some(&user.0))?;
    state.shoal.social().rate(video.id, user.0.id, rating).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/users/me/videos/{videoId}/rating`.
pub async fn my_rating(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<UserVideoRateJson>, ApiError> {
    let video = find(&state, &id)?;
    let rating = state.shoal.social().rating_of(video.id, user.0.id)?;
    Ok(Json(UserVideoRateJson { video_id: video.id, rating: rating.as_str() }))
}
