//! The OAuth client and tokens: PeerTube's password and refresh grants, bearer-token
//! authentication and revocation.
//!
//! Tokens are 32 random bytes in hex. Only their SHA-256 is stored, so a copy of the
//! database does not hand out sessions. A refresh token is single-use: a refresh grant
//! removes it (atomically) together with its access token and issues a new pair.

use super::types::{AccessTokenRecord, OAuthClient, RefreshTokenRecord, TokenGrant, UserRecord};
use super::{password, Accounts};
use crate::clock::unix_secs;
use crate::error::AccountError;
use crate::store::{self, codec, tree, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Key of the instance's client in the `oauth` tree.
const LOCAL_CLIENT: &[u8] = b"local";

impl Accounts {
    /// The instance's OAuth client, created on first use and stored.
    pub fn oauth_client(&self) -> Result<OAuthClient, AccountError> {
        if let Some(client) = store::get(&self.store.oauth, tree::OAUTH, LOCAL_CLIENT)? {
            return Ok(client);
        }
        let fresh = OAuthClient { client_id: random_hex(16), client_secret: random_hex(16) };
        let bytes = codec::encode(&fresh)?;
        // Another caller may have raced us: whoever stored first wins, and both return it.
        match self
            .store
            .oauth
            .compare_and_swap(LOCAL_CLIENT, None as Option<&[u8]>, Some(bytes))
            .map_err(StoreError::from)?
        {
            Ok(()) => Ok(fresh),
            Err(current) => match current.current {
                Some(stored) => Ok(codec::decode(tree::OAUTH, &stored)?),
                None => Err(AccountError::InvalidClient),
            },
        }
    }

    /// PeerTube's `grant_type=password`: checks the client, then the username (or e-mail)
    /// and password (argon2 on a blocking thread), and issues a token pair.
    pub async fn password_grant(
        &self,
        client_id: &str,
        client_secret: &str,
        username: &str,
        password: &str,
    ) -> Result<TokenGrant, AccountError> {
        self.check_client(client_id, client_secret)?;
        let user = match self.user_by_name(username)? {
            Some(user) => Some(user),
            None if username.contains('@') => self.user_by_email(username)?,
            None => None,
        };
        let secret = password.to_string();
        let phc = user.as_ref().map(|u| u.password_hash.clone());
        let matches = tokio::task::spawn_blocking(move || match phc {
            Some(phc) => password::verify(&secret, &phc),
            None => {
                password::verify_dummy(&secret);
                false
            }
        })
        .await
        .unwrap_or(false);
        match user {
            Some(user) if matches => self.issue(user.id).await,
            _ => Err(AccountError::InvalidCredentials),
        }
    }

    /// PeerTube's `grant_type=refresh_token`: consumes the refresh token (and its access
    /// token) and issues a new pair.
    pub async fn refresh_grant(
        &self,
        client_id: &str,
        client_secret: &str,
        refresh_token: &str,
    ) -> Result<TokenGrant, AccountError> {
        self.check_client(client_id, client_secret)?;
        let key = token_key(refresh_token);
        let removed = self.store.refresh_tokens.remove(key).map_err(StoreError::from)?;
        let record: RefreshTokenRecord = match removed {
            Some(bytes) => codec::decode(tree::REFRESH_TOKENS, &bytes)?,
            None => return Err(AccountError::InvalidToken),
        };
        self.store.tokens.remove(record.access_key.as_slice()).map_err(StoreError::from)?;
        if record.expires_at <= unix_secs() {
            return Err(AccountError::InvalidToken);
        }
        match self.user(record.user_id)? {
            Some(user) => self.issue(user.id).await,
            None => Err(AccountError::InvalidToken),
        }
    }

    /// The user owning a live access token; `InvalidToken` if unknown or expired.
    pub fn authenticate(&self, access_token: &str) -> Result<UserRecord, AccountError> {
        let key = token_key(access_token);
        let record: AccessTokenRecord = match store::get(&self.store.tokens, tree::TOKENS, key)? {
            Some(record) => record,
            None => return Err(AccountError::InvalidToken),
        };
        if record.expires_at <= unix_secs() {
            self.store.tokens.remove(key).map_err(StoreError::from)?;
            return Err(AccountError::InvalidToken);
        }
        self.user(record.user_id)?.ok_or(AccountError::InvalidToken)
    }

    /// Revokes an access token and the refresh token issued with it. Unknown tokens are
    /// `InvalidToken`.
    pub fn revoke(&self, access_token: &str) -> Result<(), AccountError> {
        let removed = self.store.tokens.remove(token_key(access_token)).map_err(StoreError::from)?;
        let record: AccessTokenRecord = match removed {
            Some(bytes) => codec::decode(tree::TOKENS, &bytes)?,
            None => return Err(AccountError::InvalidToken),
        };
        self.store.refresh_tokens.remove(record.refresh_key.as_slice()).map_err(StoreError::from)?;
        Ok(())
    }

    /// Removes every expired token; returns how many entries went.
    pub fn purge_expired_tokens(&self) -> Result<usize, AccountError> {
        let now = unix_secs();
        let mut purged = 0;
        for entry in self.store.tokens.iter() {
            let (key, bytes) = entry.map_err(StoreError::from)?;
            let record: AccessTokenRecord = codec::decode(tree::TOKENS, &bytes)?;
            if record.expires_at <= now {
                self.store.tokens.remove(key).map_err(StoreError::from)?;
                purged += 1;
            }
        }
        for entry in self.store.refresh_tokens.iter() {
            let (key, bytes) = entry.map_err(StoreError::from)?;
            let record: RefreshTokenRecord = codec::decode(tree::REFRESH_TOKENS, &bytes)?;
            if record.expires_at <= now {
                self.store.refresh_tokens.remove(key).map_err(StoreError::from)?;
                purged += 1;
            }
        }
        Ok(purged)
    }

    fn check_client(&self, client_id: &str, client_secret: &str) -> Result<(), AccountError> {
        let client = self.oauth_client()?;
        let id_ok = constant_time_eq(client.client_id.as_bytes(), client_id.as_bytes());
        let secret_ok = constant_time_eq(client.client_secret.as_bytes(), client_secret.as_bytes());
        if id_ok && secret_ok {
            Ok(())
        } else {
            Err(AccountError::InvalidClient)
        }
    }

    /// Stores a new token pair, flushed before it is handed out so a token a client
    /// holds survives a crash of the node.
    async fn issue(&self, user_id: u64) -> Result<TokenGrant, AccountError> {
        let now = unix_secs();
        let access_token = random_hex(32);
        let refresh_token = random_hex(32);
        let access_key = token_key(&access_token);
        let refresh_key = token_key(&refresh_token);
        let access = AccessTokenRecord {
            user_id,
            expires_at: now.saturating_add(self.limits.access_token_lifetime_secs),
            refresh_key: refresh_key.to_vec(),
        };
        let refresh = RefreshTokenRecord {
            user_id,
            expires_at: now.saturating_add(self.limits.refresh_token_lifetime_secs),
            access_key: access_key.to_vec(),
        };
        store::put(&self.store.refresh_tokens, refresh_key, &refresh)?;
        store::put(&self.store.tokens, access_key, &access)?;
        self.store.flush().await?;
        Ok(TokenGrant {
            access_token,
            refresh_token,
            expires_in: self.limits.access_token_lifetime_secs,
            refresh_token_expires_in: self.limits.refresh_token_lifetime_secs,
        })
    }
}

/// `bytes` random bytes from the OS generator, as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// The stored key of a token.
fn token_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares secrets without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
