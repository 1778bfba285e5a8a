//! ActivityPub: what federation means for Shoal's data. The local actors and their keys,
//! the documents served about local things, the inbox (verification, then effects),
//! remote actors and videos, follows, the publisher that tells followers about local
//! videos and the hook that federates comments, ratings and views. Transport (the
//! SSRF-safe client and the durable per-host delivery queues) is [`crate::federation`].

mod cache_files;
mod documents;
mod fetch;
pub(crate) mod follows;
mod inbox;
mod inbox_limit;
mod keys;
mod metrics;
mod outbox_crawl;
mod publisher;
mod receive;
mod remote_actors;
mod remote_videos;
mod replies;
mod service;
mod signer;
mod social_hook;
mod urls;

pub use cache_files::{Announced, AnnouncedCopy, CacheFileMetrics, CopyAnnouncement};
pub use follows::{FollowState, FollowerRecord, FollowingRecord};
pub use inbox::InboxRequest;
pub use keys::ActorKeys;
pub use metrics::ApMetrics;
pub use remote_actors::RemoteActorRecord;
pub use service::{ActivityPub, FollowEntry, FollowSide, LocalActorKind};
pub use signer::KeySigner;
pub use urls::{LocalObject, LocalUrls, INSTANCE_ACTOR_NAME};

use crate::accounts::Accounts;
use crate::config::ShoalConfig;
use crate::federation::Federation;
use crate::social::Social;
use crate::store::{Store, StoreError};
use serde_json::Value;
use shoal_protocol::activitypub::ApError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Views one `View` activity may report (a coalesced count).
pub const MAX_VIEWS_PER_ACTIVITY: u64 = 10_000;
/// How often a remote actor's key may be fetched again after a failed verification.
const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// Failures of ActivityPub operations; the web edge maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum ApServiceError {
    /// The document or activity is malformed or not acceptable. 400.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The HTTP signature is missing, malformed, stale or wrong. 401.
    #[error("signature: {0}")]
    Signature(String),
    /// Signed, but not allowed (key owner is not the actor, cross-host object). 403.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such local object. 404.
    #[error("not found: {0}")]
    NotFound(String),
    /// Body over the inbox cap. 413.
    #[error("body over {0} bytes")]
    TooLarge(usize),
    /// The sending host is over its rate. 429.
    #[error("too many requests from {0}")]
    RateLimited(String),
    /// A remote document could not be fetched. 502 (or 401 while verifying).
    #[error("fetch: {0}")]
    Fetch(String),
    /// The store failed. 500.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that is our fault. 500.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<sled::Error> for ApServiceError {
    fn from(err: sled::Error) -> Self {
        ApServiceError::Store(StoreError::Sled(err))
    }
}

impl From<ApError> for ApServiceError {
    fn from(err: ApError) -> Self {
        match err {
            ApError::CrossOrigin { .. } => ApServiceError::Forbidden(err.to_string()),
            _ => ApServiceError::Invalid(err.to_string()),
        }
    }
}

impl From<crate::AccountError> for ApServiceError {
    fn from(err: crate::AccountError) -> Self {
        match err {
            crate::AccountError::Store(e) => ApServiceError::Store(e),
            other => ApServiceError::Internal(other.to_string()),
        }
    }
}

impl From<crate::error::SocialError> for ApServiceError {
    fn from(err: crate::error::SocialError) -> Self {
        ApServiceError::Invalid(err.to_string())
    }
}

/// What every part of this module works with. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub store: Store,
    pub config: Arc<ShoalConfig>,
    pub urls: LocalUrls,
    pub keys: ActorKeys,
    pub accounts: Accounts,
    pub federation: Federation,
    pub social: Social,
    pub metrics: ApMetrics,
    pub inbox_limiter: Arc<inbox_limit::InboxLimiter>,
    /// Serialises creation of remote videos (one record per ActivityPub id).
    pub remote_video_lock: Arc<tokio::sync::Mutex<()>>,
    refetched: Arc<Mutex<HashMap<String, Instant>>>,
    /// Hosts whose NodeInfo was asked for in this run.
    probed_software: Arc<Mutex<std::collections::HashSet<String>>>,
}

impl Ctx {
    /// The instance actor's key id (its key is made if needed).
    pub async fn instance_key_id(&self) -> Result<String, ApServiceError> {
        self.keys.get_or_create(&format!("accounts/{INSTANCE_ACTOR_NAME}")).await?;
        Ok(format!("{}#main-key", self.urls.instance_actor()))
    }

    /// Queues `activity` (with id `id`) for `inboxes`, signed by the local actor at
    /// `actor_path`. Durable when it returns. Returns how many deliveries were queued.
    pub async fn deliver(
        &self,
        id: &str,
        activity: &Value,
        actor_path: &str,
        inboxes: Vec<String>,
    ) -> Result<usize, ApServiceError> {
        if inboxes.is_empty() {
            return Ok(0);
        }
        self.keys.get_or_create(actor_path).await?;
        let key_id = format!("{}#main-key", self.urls.actor_id(actor_path));
        let body = bytes::Bytes::from(activity.to_string());
        self.federation
            .deliver(id, body, &key_id, inboxes)
            .await
            .map_err(|e| ApServiceError::Internal(format!("queueing {id}: {e}")))
    }

    /// True (and remembered) the first time `host`'s software is wanted in this run.
    pub fn software_probe_wanted(&self, host: &str) -> bool {
        let Ok(mut probed) = self.probed_software.lock() else { return false };
        if probed.len() > 10_000 {
            probed.clear();
        }
        probed.insert(host.to_string())
    }

    /// True (and remembered) when the key of `actor` was not re-fetched recently.
    pub fn refetch_allowed(&self, actor: &str) -> bool {
        let Ok(mut map) = self.refetched.lock() else { return false };
        let now = Instant::now();
        if map.get(actor).is_some_and(|at| now.duration_since(*at) < REFETCH_INTERVAL) {
            return false;
        }
        if map.len() > 10_000 {
            map.retain(|_, at| now.duration_since(*at) < REFETCH_INTERVAL);
        }
        map.insert(actor.to_string(), now);
        true
    }
}
