//! Channels and accounts: `GET /api/v1/video-channels/{name}`,
//! `GET /api/v1/accounts/{name}` and `GET /api/v1/accounts/{name}/video-channels`.
//! Names may carry `@host` (PeerTube's handles); only local names exist here.

use axum::extract::State;
use axum::Json;

use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::json::actors::{AccountJson, ChannelJson};
use crate::json::ResultList;
use crate::state::AppState;

/// `GET /api/v1/video-channels/{name}`.
pub async fn channel(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<ChannelJson>, ApiError> {
    let accounts = state.shoal.accounts();
    let channel =
        accounts.channel_by_name(local_name(&handle))?.ok_or_else(|| ApiError::not_found("Video channel not found"))?;
    let owner = accounts.user(channel.account_id)?;
    Ok(Json(ChannelJson::new(state.shoal.config().public_url(), &channel, owner.as_ref())))
}

/// `GET /api/v1/accounts/{name}`.
pub async fn account(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<AccountJson>, ApiError> {
    let user = state
        .shoal
        .accounts()
        .user_by_name(local_name(&handle))?
        .ok_or_else(|| ApiError::not_found("Account not found"))?;
    Ok(Json(AccountJson::new(state.shoal.config().public_url(), &user)))
}

/// `GET /api/v1/accounts/{name}/video-channels`.
pub async fn channels_of_account(
    State(state): State<AppState>,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<ResultList<ChannelJson>>, ApiError> {
    let accounts = state.shoal.accounts();
    let user = accounts.user_by_name(local_name(&handle))?.ok_or_else(|| ApiError::not_found("Account not found"))?;
    let channels = accounts.channels_of(user.id)?;
    let public_url = state.shoal.config().public_url();
    let data: Vec<ChannelJson> = channels.iter().map(|c| ChannelJson::new(public_url, c, Some(&user))).collect();
    Ok(Json(ResultList { total: data.len() as u64, data }))
}

/// `name@host` -> `name`.
fn local_name(handle: &str) -> &str {
    handle.split_once('@').map(|(name, _)| name).unwrap_or(handle)
}
