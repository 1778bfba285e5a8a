//! Users: `GET /api/v1/users/me`, `GET /api/v1/users/me/video-quota-used`,
//! and for administrators `POST /api/v1/users` and `GET /api/v1/users`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use shoal_actors::accounts::NewUser;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::json::labels;
use crate::json::user::{CreateUserRequest, CreatedUser, CreatedUserJson, IdOnly, QuotaUsedJson, UserJson};
use crate::json::ResultList;
use crate::state::AppState;
use crate::upload_sink::used_quota_daily;

const MAX_COUNT: usize = 100;

/// `GET /api/v1/users/me`.
pub async fn me(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Json<UserJson>, ApiError> {
    let channels = state.shoal.accounts().channels_of(user.id)?;
    Ok(Json(UserJson::new(state.shoal.config().public_url(), &user, &channels)))
}

/// `GET /api/v1/users/me/video-quota-used`.
pub async fn quota_used(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<QuotaUsedJson>, ApiError> {
    let used = state.shoal.used_quota(user.id)?;
    let used_daily = used_quota_daily(&state.shoal, user.id)?;
    Ok(Json(QuotaUsedJson { video_quota_used: used, video_quota_used_daily: used_daily }))
}

/// `POST /api/v1/users` (administrators): answers `{"user": {"id", "account": {"id"}}}`.
pub async fn create(
    State(state): State<AppState>,
    admin: AuthUser,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> Result<Json<CreatedUserJson>, ApiError> {
    admin.require_admin()?;
    let role = labels::role_from_id(req.role)
        .ok_or_else(|| ApiError::invalid_param("role", "Should have a valid role (0, 1 or 2)"))?;
    for (name, quota) in [("videoQuota", req.video_quota), ("videoQuotaDaily", req.video_quota_daily)] {
        if quota.is_some_and(|q| q < -1) {
            return Err(ApiError::invalid_param(name, "Should be -1 (unlimited) or a number of bytes"));
        }
    }
    let user = state
        .shoal
        .accounts()
        .create_user(NewUser {
            username: req.username,
            password: req.password,
            email: req.email,
            role,
            video_quota: req.video_quota,
            video_quota_daily: req.video_quota_daily,
            channel_name: req.channel_name,
        })
        .await?;
    tracing::info!(id = user.id, username = %user.username, by = admin.0.id, "user created");
    Ok(Json(CreatedUserJson { user: CreatedUser { id: user.id, account: IdOnly { id: user.id } } }))
}

#[derive(Debug, Deserialize)]
pub struct PageParams {
    #[serde(default)]
    pub start: Option<usize>,
    #[serde(default)]
    pub count: Option<usize>,
}

/// `GET /api/v1/users?start&count` (administrators).
pub async fn list(
    State(state): State<AppState>,
    admin: AuthUser,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<ResultList<UserJson>>, ApiError> {
    admin.require_admin()?;
    let count = params.count.unwrap_or(15).min(MAX_COUNT);
    let (total, users) = state.shoal.accounts().list_users(params.start.unwrap_or(0), count)?;
    let public_url = state.shoal.config().public_url();
    let mut data = Vec::with_capacity(users.len());
    for user in &users {
        let channels = state.shoal.accounts().channels_of(user.id)?;
        data.push(UserJson::new(public_url, user, &channels));
    }
    Ok(Json(ResultList { total, data }))
}
