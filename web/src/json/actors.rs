//! PeerTube's account and channel shapes: the summaries embedded in videos
//! (`AccountSummary`, `VideoChannelSummary`) and the full `Account` / `VideoChannel`.

use serde::Serialize;
use shoal_actors::accounts::{ChannelRecord, UserRecord};

use super::host_of;

/// `account` inside a video.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    pub id: u64,
    pub name: String,
    pub display_name: String,
    pub url: String,
    pub host: String,
    pub avatars: Vec<serde_json::Value>,
}

impl AccountSummary {
    pub fn new(public_url: &str, user: &UserRecord) -> Self {
        Self {
            id: user.id,
            name: user.username.clone(),
            display_name: user.display_name.clone(),
            url: format!("{public_url}/accounts/{}", user.username),
            host: host_of(public_url),
            avatars: Vec::new(),
        }
    }

    /// Stand-in when the account record is gone (the video is kept; its id stays truthful).
    pub fn missing(public_url: &str, id: u64) -> Self {
        Self {
            id,
            name: format!("account-{id}"),
            display_name: "Deleted account".to_owned(),
            url: format!("{public_url}/accounts/account-{id}"),
            host: host_of(public_url),
            avatars: Vec::new(),
        }
    }
}

/// `channel` inside a video.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelSummary {
    pub id: u64,
    pub name: String,
    pub display_name: String,
    pub url: String,
    pub host: String,
    pub avatars: Vec<serde_json::Value>,
}

impl ChannelSummary {
    pub fn new(public_url: &str, channel: &ChannelRecord) -> Self {
        Self {
            id: channel.id,
            name: channel.name.clone(),
            display_name: channel.display_name.clone(),
            url: format!("{public_url}/video-channels/{}", channel.name),
            host: host_of(public_url),
            avatars: Vec::new(),
        }
    }

    pub fn missing(public_url: &str, id: u64) -> Self {
        Self {
            id,
            name: format!("channel-{id}"),
            display_name: "Deleted channel".to_owned(),
            url: format!("{public_url}/video-channels/channel-{id}"),
            host: host_of(public_url),
            avatars: Vec::new(),
        }
    }
}

/// PeerTube's `Account`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountJson {
    pub id: u64,
    pub user_id: u64,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub url: String,
    pub host: String,
    pub avatars: Vec<serde_json::Value>,
    pub followers_count: u64,
    pub following_count: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl AccountJson {
    pub fn new(public_url: &str, user: &UserRecord) -> Self {
        Self {
            id: user.id,
            user_id: user.id,
            name: user.username.clone(),
            display_name: user.display_name.clone(),
            description: None,
            url: format!("{public_url}/accounts/{}", user.username),
            host: host_of(public_url),
            avatars: Vec::new(),
            followers_count: 0,
            following_count: 0,
            created_at: user.created_at.clone(),
            updated_at: user.created_at.clone(),
        }
    }
}

/// PeerTube's `VideoChannel`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelJson {
    pub id: u64,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub support: Option<String>,
    pub url: String,
    pub host: String,
    pub is_local: bool,
    pub avatars: Vec<serde_json::Value>,
    pub banners: Vec<serde_json::Value>,
    pub followers_count: u64,
    pub following_count: u64,
    pub created_at: String,
    pub updated_at: String,
    /// The owning account (absent when its record is missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_account: Option<AccountJson>,
}

impl ChannelJson {
    pub fn new(public_url: &str, channel: &ChannelRecord, owner: Option<&UserRecord>) -> Self {
        Self {
            id: channel.id,
            name: channel.name.clone(),
            display_name: channel.display_name.clone(),
            description: channel.description.clone(),
            support: None,
            url: format!("{public_url}/video-channels/{}", channel.name),
            host: host_of(public_url),
            is_local: true,
            avatars: Vec::new(),
            banners: Vec::new(),
            followers_count: 0,
            following_count: 0,
            created_at: channel.created_at.clone(),
            updated_at: channel.created_at.clone(),
            owner_account: owner.map(|user| AccountJson::new(public_url, user)),
        }
    }
}
