//! Follow relations in sled: remote actors following local actors (the instance, an
//! account, a channel), and remote actors this instance follows (server following),
//! with their state.

use super::ApServiceError;
use crate::store::{self, codec, tree, Store};
use serde::{Deserialize, Serialize};

/// A remote actor following a local one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowerRecord {
    /// The remote actor id.
    pub actor: String,
    /// `host[:port]` of the remote actor.
    pub host: String,
    /// Where deliveries to it go (its shared inbox when it has one).
    pub inbox: String,
    /// The Follow activity's id (an Undo names it).
    pub follow_id: String,
    pub created_at: String,
}

/// The state of a follow this instance asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FollowState {
    Pending,
    Accepted,
}

impl FollowState {
    /// PeerTube's label.
    pub fn label(self) -> &'static str {
        match self {
            FollowState::Pending => "pending",
            FollowState::Accepted => "accepted",
        }
    }
}

/// A remote actor this instance follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowingRecord {
    /// Numeric id for the REST API.
    pub id: u64,
    /// The followed actor's id.
    pub actor: String,
    pub host: String,
    pub name: String,
    pub state: FollowState,
    pub follow_id: String,
    pub created_at: String,
    /// PeerTube's `redundancyAllowed` of the followed host (`PUT
    /// /api/v1/server/redundancy/{host}`): this node's strategies may mirror its videos.
    /// The same on every follow of a host; off until an administrator allows it.
    #[serde(default)]
    pub redundancy_allowed: bool,
}

fn follower_key(local_path: &str, actor: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(local_path.len() + 1 + actor.len());
    key.extend_from_slice(local_path.as_bytes());
    key.push(0);
    key.extend_from_slice(actor.as_bytes());
    key
}

fn prefix(local_path: &str) -> Vec<u8> {
    let mut key = local_path.as_bytes().to_vec();
    key.push(0);
    key
}

/// Records `follower` as following the local actor at `local_path`.
pub fn add_follower(store: &Store, local_path: &str, follower: &FollowerRecord) -> Result<(), ApServiceError> {
    store::put(&store.followers, follower_key(local_path, &follower.actor), follower)?;
    Ok(())
}

/// Removes `actor` from the followers of `local_path`; true if it was there.
pub fn remove_follower(store: &Store, local_path: &str, actor: &str) -> Result<bool, ApServiceError> {
    Ok(store.followers.remove(follower_key(local_path, actor))?.is_some())
}

/// Removes `actor` from every local actor's followers (it was deleted); how many.
pub fn remove_actor_everywhere(store: &Store, actor: &str) -> Result<usize, ApServiceError> {
    let mut removed = 0;
    for entry in store.followers.iter() {
        let (key, _) = entry?;
        if key.ends_with(actor.as_bytes()) && key.get(key.len() - actor.len() - 1) == Some(&0) {
            store.followers.remove(key)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The followers of the local actor at `local_path`.
pub fn followers_of(store: &Store, local_path: &str) -> Result<Vec<FollowerRecord>, ApServiceError> {
    let mut out = Vec::new();
    for entry in store.followers.scan_prefix(prefix(local_path)) {
        let (_, value) = entry?;
        out.push(codec::decode(tree::FOLLOWERS, &value)?);
    }
    Ok(out)
}

/// The distinct delivery inboxes of the followers of any of `local_paths`.
pub fn follower_inboxes(store: &Store, local_paths: &[String]) -> Result<Vec<String>, ApServiceError> {
    let mut inboxes = Vec::new();
    for path in local_paths {
        for follower in followers_of(store, path)? {
            if !inboxes.contains(&follower.inbox) {
                inboxes.push(follower.inbox);
            }
        }
    }
    Ok(inboxes)
}

/// Stores (or replaces) a followed actor.
pub fn put_following(store: &Store, record: &FollowingRecord) -> Result<(), ApServiceError> {
    store::put(&store.following, &record.actor, record)?;
    Ok(())
}

/// The follow of `actor`, if any.
pub fn following(store: &Store, actor: &str) -> Result<Option<FollowingRecord>, ApServiceError> {
    Ok(store::get(&store.following, tree::FOLLOWING, actor)?)
}

/// Every actor this instance follows.
pub fn all_following(store: &Store) -> Result<Vec<FollowingRecord>, ApServiceError> {
    let mut out = Vec::new();
    for entry in store.following.iter() {
        let (_, value) = entry?;
        out.push(codec::decode(tree::FOLLOWING, &value)?);
    }
    out.sort_by_key(|r: &FollowingRecord| r.id);
    Ok(out)
}

/// Stops following `actor`; the removed record.
pub fn remove_following(store: &Store, actor: &str) -> Result<Option<FollowingRecord>, ApServiceError> {
    match store.following.remove(actor)? {
        Some(bytes) => Ok(Some(codec::decode(tree::FOLLOWING, &bytes)?)),
        None => Ok(None),
    }
}

/// True when this instance follows some actor on `host` and the follow was accepted:
/// videos from that host are taken in.
pub fn follows_host(store: &Store, host: &str) -> Result<bool, ApServiceError> {
    Ok(all_following(store)?.iter().any(|f| f.host == host && f.state == FollowState::Accepted))
}

/// Sets `redundancyAllowed` on every follow of `host`; false when `host` is not followed.
pub fn set_host_redundancy(store: &Store, host: &str, allowed: bool) -> Result<bool, ApServiceError> {
    let mut found = false;
    for mut record in all_following(store)?.into_iter().filter(|f| f.host == host) {
        found = true;
        if record.redundancy_allowed != allowed {
            record.redundancy_allowed = allowed;
            put_following(store, &record)?;
        }
    }
    Ok(found)
}

/// PeerTube's `hostRedundancyAllowed`: some follow of `host` allows redundancy.
pub fn host_redundancy_allowed(store: &Store, host: &str) -> Result<bool, ApServiceError> {
    Ok(all_following(store)?.iter().any(|f| f.host == host && f.redundancy_allowed))
}
