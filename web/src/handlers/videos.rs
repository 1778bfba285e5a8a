//! Videos: `GET /api/v1/videos` (paginated list), `GET /api/v1/videos/{id}`
//! (details, by id, uuid or shortUUID) and `DELETE /api/v1/videos/{id}`.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shoal_actors::accounts::{ChannelRecord, UserRecord};
use shoal_actors::videos::record::{Privacy, VideoKey, VideoRecord};
use shoal_actors::{VideoListQuery, VideoSort};

use crate::auth::{AuthUser, MaybeUser};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::json::labels;
use crate::json::video::{VideoDetailsJson, VideoJson, VideoOwner};
use crate::json::ResultList;
use crate::pagination::PageParams;
use crate::state::AppState;

/// `GET /api/v1/videos?start&count&sort`.
pub async fn list(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<ResultList<VideoJson>>, ApiError> {
    let count = params.count()?;
    let sort = params.sort(VideoSort::PublishedAtDesc, VideoSort::parse)?;
    let query =
        VideoListQuery { start: params.start(), count, sort, viewer_account: viewer.as_ref().map(|user| user.id) };
    let (total, videos) = state.shoal.list_videos(&query)?;
    let public_url = state.shoal.config().public_url().to_owned();
    let mut owners = OwnerCache::default();
    let mut data = Vec::with_capacity(videos.len());
    for video in &videos {
        let (account, channel) = owners.lookup(&state, video)?;
        data.push(VideoJson::new(
            &public_url,
            video,
            &VideoOwner { account: account.as_ref(), channel: channel.as_ref() },
        ));
    }
    Ok(Json(ResultList { total, data }))
}

/// `GET /api/v1/videos/{id|uuid|shortUUID}`.
pub async fn get(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<VideoDetailsJson>, ApiError> {
    let video = find(&state, &id)?;
    check_can_see(&video, viewer.as_ref())?;
    let account = state.shoal.accounts().user(video.account_id)?;
    let channel = state.shoal.accounts().channel(video.channel_id)?;
    let progress = state.shoal.progress(video.uuid).await;
    let public_url = state.shoal.config().public_url();
    Ok(Json(
        VideoDetailsJson::new(
            public_url,
            &video,
            &VideoOwner { account: account.as_ref(), channel: channel.as_ref() },
            progress,
        )
        .with_mirrors(|info_hash| state.shoal.mirror_urls(info_hash)),
    ))
}

/// `DELETE /api/v1/videos/{id}`: the owner or an administrator.
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let video = find(&state, &id)?;
    if video.account_id != user.0.id && !user.is_admin() {
        return Err(ApiError::forbidden("Cannot remove a video of another user"));
    }
    state.shoal.delete_video(&VideoKey::Id(video.id)).await?;
    tracing::info!(id = video.id, uuid = %video.uuid, by = user.0.id, "video deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// The video named by a path segment: 400 when it cannot be an id, 404 when unknown.
pub(crate) fn find(state: &AppState, id: &str) -> Result<VideoRecord, ApiError> {
    let key = VideoKey::parse(id)
        .ok_or_else(|| ApiError::bad_request("Incorrect request parameters: id (expected an id, uuid or shortUUID)"))?;
    state.shoal.get_video(&key)?.ok_or_else(|| ApiError::not_found("Video not found"))
}

/// PeerTube's privacy rules: private videos for their owner (and admins),
/// internal ones for logged-in users, others for everyone.
pub(crate) fn check_can_see(video: &VideoRecord, viewer: Option<&UserRecord>) -> Result<(), ApiError> {
    match video.privacy {
        Privacy::Public | Privacy::Unlisted => Ok(()),
        Privacy::Internal => match viewer {
            Some(_) => Ok(()),
            None => Err(ApiError::invalid_token("This video is internal: log in to see it")),
        },
        Privacy::Private => match viewer {
            Some(user) if user.id == video.account_id || labels::role_id(&user.role) == 0 => Ok(()),
            Some(_) => Err(ApiError::forbidden("Cannot get this private video of another user")),
            None => Err(ApiError::invalid_token("This video is private: log in as its owner")),
        },
    }
}

/// 400 unless `channel_id` is a channel of account `account_id` (PeerTube:
/// "Unknown video channel for this account").
pub fn check_channel(state: &AppState, account_id: u64, channel_id: u64) -> Result<ChannelRecord, ApiError> {
    match state.shoal.accounts().channel(channel_id)? {
        Some(channel) if channel.account_id == account_id => Ok(channel),
        _ => Err(ApiError::invalid_param("channelId", format!("Unknown video channel {channel_id} for this account."))),
    }
}

/// Account and channel records looked up once per list page.
#[derive(Default)]
struct OwnerCache {
    accounts: HashMap<u64, Option<UserRecord>>,
    channels: HashMap<u64, Option<ChannelRecord>>,
}

impl OwnerCache {
    fn lookup(
        &mut self,
        state: &AppState,
        video: &VideoRecord,
    ) -> Result<(Option<UserRecord>, Option<ChannelRecord>), ApiError> {
        if let Entry::Vacant(slot) = self.accounts.entry(video.account_id) {
            slot.insert(state.shoal.accounts().user(video.account_id)?);
        }
        if let Entry::Vacant(slot) = self.channels.entry(video.channel_id) {
            slot.insert(state.shoal.accounts().channel(video.channel_id)?);
        }
        Ok((
            self.accounts.get(&video.account_id).cloned().flatten(),
            self.channels.get(&video.channel_id).cloned().flatten(),
        ))
    }
}
