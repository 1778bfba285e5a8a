//! PeerTube's `User` shape (`/api/v1/users/me`, `/api/v1/users`), the body of
//! `POST /api/v1/users` and its answer, and the quota-used answer.

use serde::{Deserialize, Serialize};
use shoal_actors::accounts::{ChannelRecord, UserRecord};

use super::actors::{AccountJson, ChannelJson};
use super::{labels, Labelled};

/// PeerTube's `User`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub pending_email: Option<String>,
    pub nsfw_policy: &'static str,
    pub p2p_enabled: bool,
    pub auto_play_video: bool,
    pub videos_history_enabled: bool,
    pub theme: &'static str,
    pub role: Labelled<u8>,
    pub admin_flags: u32,
    pub blocked: bool,
    pub blocked_reason: Option<String>,
    pub video_quota: i64,
    pub video_quota_daily: i64,
    pub created_at: String,
    pub account: AccountJson,
    pub video_channels: Vec<ChannelJson>,
    pub no_instance_config_warning_modal: bool,
    pub no_welcome_modal: bool,
    pub no_account_setup_warning_modal: bool,
    pub two_factor_enabled: bool,
}

impl UserJson {
    pub fn new(public_url: &str, user: &UserRecord, channels: &[ChannelRecord]) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            email_verified: true,
            pending_email: None,
            nsfw_policy: "display",
            p2p_enabled: true,
            auto_play_video: true,
            videos_history_enabled: false,
            theme: "instance-default",
            role: labels::role(&user.role),
            admin_flags: 0,
            blocked: false,
            blocked_reason: None,
            video_quota: user.video_quota,
            video_quota_daily: user.video_quota_daily,
            created_at: user.created_at.clone(),
            account: AccountJson::new(public_url, user),
            video_channels: channels.iter().map(|c| ChannelJson::new(public_url, c, None)).collect(),
            no_instance_config_warning_modal: true,
            no_welcome_modal: true,
            no_account_setup_warning_modal: true,
            two_factor_enabled: false,
        }
    }
}

/// `POST /api/v1/users` body (PeerTube's `AddUser`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserRequest {
    pub username: String,
    pub password: String,
    pub email: String,
    /// PeerTube role id: 0 administrator, 1 moderator, 2 user.
    pub role: u8,
    #[serde(default)]
    pub video_quota: Option<i64>,
    #[serde(default)]
    pub video_quota_daily: Option<i64>,
    #[serde(default)]
    pub channel_name: Option<String>,
}

/// `POST /api/v1/users` answer: `{"user": {"id", "account": {"id"}}}`.
#[derive(Debug, Serialize)]
pub struct CreatedUserJson {
    pub user: CreatedUser,
}

#[derive(Debug, Serialize)]
pub struct CreatedUser {
    pub id: u64,
    pub account: IdOnly,
}

#[derive(Debug, Serialize)]
pub struct IdOnly {
    pub id: u64,
}

/// `GET /api/v1/users/me/video-quota-used`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaUsedJson {
    pub video_quota_used: u64,
    pub video_quota_used_daily: u64,
}
