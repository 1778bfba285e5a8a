//! Actors of other servers: fetched from their origin (signed as the instance actor, so
//! Mastodon's authorized-fetch mode answers), checked (`id` = fetched URL, inbox and key
//! on the actor's host, key owned by it), cached in sled and refreshed when stale or
//! when a signature fails to verify with the cached key (key rotation).

use super::{ApServiceError, Ctx};
use crate::clock::unix_secs;
use crate::store::{self, tree};
use serde::{Deserialize, Serialize};
use shoal_protocol::activitypub::actor::RemoteActor;
use std::time::Duration;

/// How long a cached actor is used before it is fetched again.
pub const ACTOR_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// A remote actor as cached: the parsed document and when it was fetched. Reads of the
/// actor's fields go through to [`RemoteActor`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteActorRecord {
    pub actor: RemoteActor,
    /// Unix seconds.
    pub fetched_at: u64,
}

impl std::ops::Deref for RemoteActorRecord {
    type Target = RemoteActor;

    fn deref(&self) -> &RemoteActor {
        &self.actor
    }
}

/// The cached copy of `id`, fresh or not.
pub fn cached(ctx: &Ctx, id: &str) -> Result<Option<RemoteActorRecord>, ApServiceError> {
    Ok(store::get(&ctx.store.remote_actors, tree::REMOTE_ACTORS, id)?)
}

/// The actor `id`: the cached copy when fresh, else fetched.
pub async fn get(ctx: &Ctx, id: &str) -> Result<RemoteActorRecord, ApServiceError> {
    if let Some(record) = cached(ctx, id)? {
        if unix_secs().saturating_sub(record.fetched_at) < ACTOR_MAX_AGE.as_secs() {
            return Ok(record);
        }
    }
    fetch(ctx, id).await
}

/// Fetches `id` from its origin and caches it.
pub async fn fetch(ctx: &Ctx, id: &str) -> Result<RemoteActorRecord, ApServiceError> {
    if ctx.urls.parse(id).is_some() || shoal_protocol::activitypub::same_host(id, ctx.urls.base()) {
        return Err(ApServiceError::Invalid(format!("{id} is a local URL, not a remote actor")));
    }
    let doc = super::fetch::document(ctx, id).await?;
    let actor = RemoteActor::parse(&doc.value, &doc.final_url)?;
    let record = RemoteActorRecord { actor, fetched_at: unix_secs() };
    store::put(&ctx.store.remote_actors, &record.id, &record)?;
    ctx.store.remote_actor_keys.insert(record.key_id.as_bytes(), record.id.as_bytes())?;
    Ok(record)
}

/// The actor owning `key_id`. `refresh` forces a fetch (the cached key failed).
pub async fn by_key_id(ctx: &Ctx, key_id: &str, refresh: bool) -> Result<RemoteActorRecord, ApServiceError> {
    let known = ctx.store.remote_actor_keys.get(key_id.as_bytes())?;
    let actor_id = match known {
        Some(id) => String::from_utf8_lossy(&id).into_owned(),
        // Mastodon's and PeerTube's key ids are the actor id with a fragment.
        None => key_id.split('#').next().unwrap_or(key_id).to_string(),
    };
    let record = if refresh { fetch(ctx, &actor_id).await? } else { get(ctx, &actor_id).await? };
    if record.key_id != key_id {
        return Err(ApServiceError::Signature(format!(
            "key {key_id} is not the key of {} ({})",
            record.id, record.key_id
        )));
    }
    Ok(record)
}
