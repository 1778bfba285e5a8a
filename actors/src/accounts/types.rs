//! The account records and the values the account service hands out.

use serde::{Deserialize, Serialize};

/// PeerTube's user roles (ids 0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Administrator,
    Moderator,
    User,
}

impl Role {
    /// PeerTube's numeric id.
    pub fn id(self) -> u8 {
        match self {
            Role::Administrator => 0,
            Role::Moderator => 1,
            Role::User => 2,
        }
    }
    /// PeerTube's English label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::Moderator => "Moderator",
            Role::User => "User",
        }
    }
    /// The role with PeerTube's numeric id.
    pub fn from_id(id: u8) -> Option<Role> {
        match id {
            0 => Some(Role::Administrator),
            1 => Some(Role::Moderator),
            2 => Some(Role::User),
            _ => None,
        }
    }
}

/// A local user; its id is also its account id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Bytes (-1 = unlimited).
    pub video_quota: i64,
    /// Bytes per day (-1 = unlimited).
    pub video_quota_daily: i64,
    /// RFC 3339.
    pub created_at: String,
    pub default_channel_id: u64,
}

/// A video channel owned by an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRecord {
    pub id: u64,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub account_id: u64,
    /// RFC 3339.
    pub created_at: String,
}

/// What an admin (or the first start) passes to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub email: String,
    pub role: Role,
    /// Defaults to `limits.default_video_quota`.
    pub video_quota: Option<i64>,
    /// Defaults to -1 (unlimited).
    pub video_quota_daily: Option<i64>,
    /// Defaults to `{username}_channel`.
    pub channel_name: Option<String>,
}

/// The instance's OAuth client, as `GET /api/v1/oauth-clients/local` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
}

/// Tokens issued by a password or refresh grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token expires.
    pub refresh_token_expires_in: u64,
}

/// Stored under `SHA-256(access token)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AccessTokenRecord {
    pub user_id: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// Key of the refresh token issued with it, so revoking one revokes both.
    pub refresh_key: Vec<u8>,
}

/// Stored under `SHA-256(refresh token)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RefreshTokenRecord {
    pub user_id: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// Key of the access token issued with it.
    pub access_key: Vec<u8>,
}
