//! Users and channels: creation (a user and its default channel in one transaction),
//! look-ups and listings.

use super::types::{ChannelRecord, NewUser, UserRecord};
use super::{password, validate, Accounts};
use crate::clock::now_rfc3339;
use crate::error::AccountError;
use crate::store::{self, codec, counter, keys, tree, StoreError};
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

impl Accounts {
    /// Creates a user and its default channel (`{username}_channel` unless given).
    /// Fails with `Conflict` when the username or channel name is taken.
    pub async fn create_user(&self, new: NewUser) -> Result<UserRecord, AccountError> {
        validate::username(&new.username)?;
        validate::password(&new.password)?;
        validate::email(&new.email)?;
        let quota = new.video_quota.unwrap_or(self.limits.default_video_quota);
        let quota_daily = new.video_quota_daily.unwrap_or(-1);
        validate::quota("videoQuota", quota)?;
        validate::quota("videoQuotaDaily", quota_daily)?;
        let channel_name = new.channel_name.clone().unwrap_or_else(|| format!("{}_channel", new.username));
        validate::channel_name(&channel_name)?;
        if channel_name == new.username {
            return Err(AccountError::Invalid {
                field: "channel name",
                reason: "must differ from the username".into(),
            });
        }
        if self.store.users_by_name.contains_key(new.username.as_bytes()).map_err(StoreError::from)? {
            return Err(AccountError::Conflict(format!("user {}", new.username)));
        }

        let secret = new.password.clone();
        let password_hash = tokio::task::spawn_blocking(move || password::hash(&secret))
            .await
            .map_err(|e| AccountError::Invalid { field: "password", reason: format!("hashing failed: {e}") })?
            .map_err(|e| AccountError::Invalid { field: "password", reason: format!("hashing failed: {e}") })?;

        let user_id = self.store.next_id(counter::USER_ID)?;
        let channel_id = self.store.next_id(counter::CHANNEL_ID)?;
        let created_at = now_rfc3339();
        let user = UserRecord {
            id: user_id,
            username: new.username.clone(),
            email: new.email.clone(),
            display_name: new.username.clone(),
            role: new.role,
            password_hash,
            video_quota: quota,
            video_quota_daily: quota_daily,
            created_at: created_at.clone(),
            default_channel_id: channel_id,
        };
        let channel = ChannelRecord {
            id: channel_id,
            name: channel_name.clone(),
            display_name: format!("Main {} channel", new.username),
            description: None,
            account_id: user_id,
            created_at,
        };
        let user_bytes = codec::encode(&user)?;
        let channel_bytes = codec::encode(&channel)?;
        let s = &self.store;
        (&s.users, &s.users_by_name, &s.channels, &s.channels_by_name)
            .transaction(|(users, by_name, channels, channels_by_name)| {
                if by_name.get(user.username.as_bytes())?.is_some() {
                    return Err(ConflictableTransactionError::Abort(AccountError::Conflict(format!(
                        "user {}",
                        user.username
                    ))));
                }
                if channels_by_name.get(channel.name.as_bytes())?.is_some() {
                    return Err(ConflictableTransactionError::Abort(AccountError::Conflict(format!(
                        "channel {}",
                        channel.name
                    ))));
                }
                users.insert(&keys::id_key(user.id), user_bytes.as_slice())?;
                by_name.insert(user.username.as_bytes(), &keys::id_key(user.id))?;
                channels.insert(&keys::id_key(channel.id), channel_bytes.as_slice())?;
                channels_by_name.insert(channel.name.as_bytes(), &keys::id_key(channel.id))?;
                Ok(())
            })
            .map_err(store::transaction_error)?;
        self.store.flush().await?;
        tracing::info!(user = %user.username, user_id, channel = %channel.name, role = user.role.label(), "user created");
        Ok(user)
    }

    /// The user with this id.
    pub fn user(&self, id: u64) -> Result<Option<UserRecord>, AccountError> {
        Ok(store::get(&self.store.users, tree::USERS, keys::id_key(id))?)
    }

    /// The user with this username (usernames are lowercase; the look-up lowercases).
    pub fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, AccountError> {
        let name = username.to_ascii_lowercase();
        match self.store.users_by_name.get(name.as_bytes()).map_err(StoreError::from)? {
            Some(id) => self.user(keys::read_id(tree::USERS_BY_NAME, &id)?),
            None => Ok(None),
        }
    }

    /// The user with this e-mail address (case-insensitive), by scanning: used only at login.
    pub(crate) fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, AccountError> {
        for entry in self.store.users.iter() {
            let (_, bytes) = entry.map_err(StoreError::from)?;
            let user: UserRecord = codec::decode(tree::USERS, &bytes)?;
            if user.email.eq_ignore_ascii_case(email) {
                return Ok(Some(user));
            }
        }
        Ok(None)
    }

    /// Users in id order: `(total, users[start..start + count])`.
    pub fn list_users(&self, start: usize, count: usize) -> Result<(u64, Vec<UserRecord>), AccountError> {
        let total = self.store.users.len() as u64;
        let mut page = Vec::new();
        for entry in self.store.users.iter().skip(start).take(count) {
            let (_, bytes) = entry.map_err(StoreError::from)?;
            page.push(codec::decode(tree::USERS, &bytes)?);
        }
        Ok((total, page))
    }

    /// Whether any user exists (false on a fresh data folder).
    pub fn has_users(&self) -> Result<bool, AccountError> {
        Ok(!self.store.users.is_empty())
    }

    /// How many users there are.
    pub fn user_count(&self) -> Result<u64, AccountError> {
        Ok(self.store.users.len() as u64)
    }

    /// The channel with this id.
    pub fn channel(&self, id: u64) -> Result<Option<ChannelRecord>, AccountError> {
        Ok(store::get(&self.store.channels, tree::CHANNELS, keys::id_key(id))?)
    }

    /// The channel with this name.
    pub fn channel_by_name(&self, name: &str) -> Result<Option<ChannelRecord>, AccountError> {
        match self.store.channels_by_name.get(name.as_bytes()).map_err(StoreError::from)? {
            Some(id) => self.channel(keys::read_id(tree::CHANNELS_BY_NAME, &id)?),
            None => Ok(None),
        }
    }

    /// Every channel of an account, in id order.
    pub fn channels_of(&self, account_id: u64) -> Result<Vec<ChannelRecord>, AccountError> {
        let mut out = Vec::new();
        for entry in self.store.channels.iter() {
            let (_, bytes) = entry.map_err(StoreError::from)?;
            let channel: ChannelRecord = codec::decode(tree::CHANNELS, &bytes)?;
            if channel.account_id == account_id {
                out.push(channel);
            }
        }
        Ok(out)
    }
}
