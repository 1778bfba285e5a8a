//! PeerTube's account and channel shapes: the summaries embedded in videos
//! ([`ActorSummary`]) and the full `Account` / `VideoChannel`.

use serde::Serialize;
use shoal_actors::accounts::{ChannelRecord, UserRecord};
use shoal_actors::videos::record::RemoteActorRef;

use super::host_of;

/// `account` or `channel` inside a video: PeerTube's `AccountSummary` and
/// `VideoChannelSummary` have the same fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorSummary {
    pub id: u64,
    pub name: String,
    pub display_name: String,
    pub url: String,
    pub host: String,
    pub avatars: Vec<serde_json::Value>,
}

impl ActorSummary {
    /// The video's account.
    pub fn account(public_url: &str, user: &UserRecord) -> Self {
        Self::at(public_url, "accounts", user.id, &user.username, &user.display_name)
    }

    /// The video's channel.
    pub fn channel(public_url: &str, channel: &ChannelRecord) -> Self {
        Self::at(public_url, "video-channels", channel.id, &channel.name, &channel.display_name)
    }

    /// Stand-in when the account record is gone (the video is kept; its id stays truthful).
    pub fn missing_account(public_url: &str, id: u64) -> Self {
        Self::at(public_url, "accounts", id, &format!("account-{id}"), "Deleted account")
    }

    /// Stand-in when the channel record is gone.
    pub fn missing_channel(public_url: &str, id: u64) -> Self {
        Self::at(public_url, "video-channels", id, &format!("channel-{id}"), "Deleted channel")
    }

    /// An actor of another instance (a remote video's account or channel). Remote actors
    /// have no local numeric id; 0 stands for none.
    pub fn remote(actor: &RemoteActorRef) -> Self {
        Self {
            id: 0,
            name: actor.name.clone(),
            display_name: actor.display_name.clone(),
            url: actor.url.clone(),
            host: actor.host.clone(),
            avatars: Vec::new(),
        }
    }

    /// `collection` is the URL folder: `accounts` or `video-channels`.
    fn at(public_url: &str, collection: &str, id: u64, name: &str, display_name: &str) -> Self {
        Self {
            id,
            name: name.to_owned(),
            display_name: display_name.to_owned(),
            url: format!("{public_url}/{collection}/{name}"),
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
