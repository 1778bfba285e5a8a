//! Outbound federation: the SSRF-safe [`FederationClient`] every outbound request goes
//! through, the durable delivery [`queue`] in sled, one [`RemoteInstanceActor`] per remote
//! host under the [`FederationSupervisor`], and the [`Federation`] handle the rest of the
//! node calls (`Shoal::federation()`). Requests are signed through a [`RequestSigner`]
//! the node installs at start, with the scheme [`HostSchemes`] chooses for each host.

pub mod address_policy;
pub mod content_type;
pub mod fetch;
pub mod host_schemes;
pub mod metrics;
pub mod queue;
pub mod remote_instance;
mod shared;
pub mod signer;
pub mod supervisor;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ractor::rpc::CallResult;
use ractor::MessagingErr;

pub use address_policy::AddressPolicy;
pub use fetch::{FederationClient, FetchError, Fetched};
pub use host_schemes::{CavageOnlyBecause, HostSchemes, HostSignatureRecord};
pub use metrics::{DeliveryOutcome, FederationMetrics};
pub use queue::DeliveryRecord;
pub use remote_instance::{RemoteInstanceActor, RemoteMsg};
pub use shared::{FederationShared, FederationStats, HostStats};
pub use shoal_protocol::delivery_backoff::BreakerState;
pub use signer::{NoSigner, RequestSigner};
pub use supervisor::{FederationMsg, FederationSupervisor};

use crate::clock::unix_millis;
use crate::node_supervisor::Supervisors;
use crate::store::StoreError;

/// How long a call to the federation supervisor may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Why activities could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// An inbox is not an absolute http(s) URL with a host; nothing was queued.
    #[error(transparent)]
    Inbox(#[from] queue::InboxError),
    /// The body is not UTF-8 JSON text; nothing was queued.
    #[error("activity body is not UTF-8")]
    BodyNotUtf8,
    /// The store failed; some records may be queued (delivery is at least once).
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// The node's handle on federation. Cheap to clone.
#[derive(Clone)]
pub struct Federation {
    shared: Arc<FederationShared>,
    supervisors: Supervisors,
}

impl Federation {
    pub fn new(shared: Arc<FederationShared>, supervisors: Supervisors) -> Federation {
        Federation { shared, supervisors }
    }

    /// The outbound client (signed GETs of documents, WebFinger).
    pub fn client(&self) -> &FederationClient {
        &self.shared.client
    }

    /// Which signature scheme each remote host gets, and what was learnt about hosts.
    /// Tell it what a host's NodeInfo says with [`HostSchemes::note_software`].
    pub fn signature_schemes(&self) -> &HostSchemes {
        &self.shared.schemes
    }

    /// Federation's metric handles (registered by the web edge for `/metrics`).
    pub fn metrics(&self) -> &FederationMetrics {
        &self.shared.metrics
    }

    /// Queues `body` (activity `activity_id`, signed as `key_id`) for every distinct inbox,
    /// durably (on disk before this returns), and wakes the hosts' actors. Returns how many
    /// records were queued. Each host receives its records in the order they were queued.
    pub async fn deliver(
        &self,
        activity_id: &str,
        body: Bytes,
        key_id: &str,
        inboxes: Vec<String>,
    ) -> Result<usize, FederationError> {
        let body = String::from_utf8(body.to_vec()).map_err(|_| FederationError::BodyNotUtf8)?;
        let mut seen = HashSet::new();
        let mut by_host: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for inbox in inboxes {
            if seen.insert(inbox.clone()) {
                by_host.entry(queue::host_of(&inbox)?).or_default().push(inbox);
            }
        }
        let now = unix_millis();
        let mut queued = 0;
        for (host, inboxes) in &by_host {
            self.shared.with_host(host, |stats| -> Result<(), StoreError> {
                for inbox in inboxes {
                    let record = DeliveryRecord {
                        inbox: inbox.clone(),
                        activity_id: activity_id.to_string(),
                        body: body.clone(),
                        key_id: key_id.to_string(),
                        enqueued_at_ms: now,
                        attempts: 0,
                        last_error: None,
                        next_attempt_at_ms: now,
                    };
                    queue::insert(&self.shared.store, host, &record)?;
                    stats.queued += 1;
                    queued += 1;
                }
                Ok(())
            })?;
        }
        self.shared.store.flush().await?;
        for host in by_host.keys() {
            self.wake(host).await;
        }
        Ok(queued)
    }

    /// Wakes (starting if needed) the actor of `host`. A failure is logged: the records
    /// are durable and the supervisor starts every host with queued records on restart.
    async fn wake(&self, host: &str) {
        if let Some(actor) = self.shared.lookup(host) {
            match actor.send_message(RemoteMsg::Wake) {
                Ok(()) => return,
                Err(MessagingErr::SendErr(_)) | Err(_) => self.shared.deregister(host, actor.get_id()),
            }
        }
        let supervisor = self.supervisors.current().federation;
        let host = host.to_string();
        match supervisor.call(|reply| FederationMsg::Ensure { host: host.clone(), reply }, Some(CALL_TIMEOUT)).await {
            Ok(CallResult::Success(Ok(_))) => {}
            Ok(CallResult::Success(Err(e))) => tracing::error!(%host, error = %e, "could not start a delivery actor"),
            _ => tracing::error!(%host, "the federation supervisor did not answer; deliveries wait for its restart"),
        }
    }

    /// The running actor of `host`, if any (diagnostics and supervision tests).
    pub fn actor(&self, host: &str) -> Option<ractor::ActorRef<RemoteMsg>> {
        self.shared.lookup(host)
    }

    /// Delivery figures per host and in total.
    pub fn stats(&self) -> FederationStats {
        self.shared.stats()
    }

    /// Records waiting in the queue (all hosts).
    pub fn queued(&self) -> usize {
        self.shared.store.deliveries.len()
    }

    /// Waits until the queue is empty (delivered, rejected or expired); false on timeout.
    pub async fn wait_until_delivered(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if queue::is_empty(&self.shared.store) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
