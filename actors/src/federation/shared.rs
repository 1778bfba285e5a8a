//! State shared by the `Federation` handle, the supervisor and the remote instance
//! actors: the client, the store, the live actor of each host, and each host's
//! counters for [`FederationStats`]. Queue depths are counted under the stats lock
//! together with the inserts, so a host's count starts from one scan of sled and stays
//! exact afterwards.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use ractor::{ActorId, ActorRef};
use serde::Serialize;
use shoal_protocol::delivery_backoff::{BackoffPolicy, BreakerState};

use super::fetch::FederationClient;
use super::host_schemes::HostSchemes;
use super::metrics::FederationMetrics;
use super::queue;
use super::remote_instance::RemoteMsg;
use crate::config::FederationConfig;
use crate::store::Store;

/// Delivery figures of one remote host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostStats {
    pub host: String,
    /// Activities waiting for this host.
    pub queued: u64,
    pub consecutive_failures: u32,
    pub state: BreakerState,
    /// Activities the host accepted (2xx) since start.
    pub delivered_total: u64,
    /// Attempts that failed and were retried since start.
    pub failed_total: u64,
    /// Activities dropped since start: rejected by the host (4xx) or expired.
    pub dropped_total: u64,
    pub last_error: Option<String>,
}

impl HostStats {
    fn new(host: &str, queued: u64) -> HostStats {
        HostStats {
            host: host.to_string(),
            queued,
            consecutive_failures: 0,
            state: BreakerState::Closed,
            delivered_total: 0,
            failed_total: 0,
            dropped_total: 0,
            last_error: None,
        }
    }
}

/// Delivery figures of every host known since start, and their totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FederationStats {
    pub hosts: Vec<HostStats>,
    pub queued_total: u64,
    pub delivered_total: u64,
    pub failed_total: u64,
    pub dropped_total: u64,
    /// Hosts whose breaker is open (considered dead).
    pub hosts_open: usize,
}

/// See the module documentation.
pub struct FederationShared {
    pub(crate) config: FederationConfig,
    pub(crate) store: Store,
    pub(crate) client: FederationClient,
    pub(crate) metrics: FederationMetrics,
    pub(crate) schemes: Arc<HostSchemes>,
    actors: Mutex<HashMap<String, ActorRef<RemoteMsg>>>,
    stats: Mutex<HashMap<String, HostStats>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FederationShared {
    pub fn new(
        config: FederationConfig,
        store: Store,
        client: FederationClient,
        schemes: Arc<HostSchemes>,
    ) -> Arc<FederationShared> {
        let metrics = client.metrics().clone();
        Arc::new(FederationShared {
            config,
            store,
            client,
            metrics,
            schemes,
            actors: Mutex::new(HashMap::new()),
            stats: Mutex::new(HashMap::new()),
        })
    }

    /// The schedule knobs from the configuration.
    pub fn policy(&self) -> BackoffPolicy {
        let c = &self.config;
        BackoffPolicy {
            initial_ms: c.delivery_backoff_initial_ms,
            max_ms: c.delivery_backoff_max_secs.saturating_mul(1000),
            max_age_ms: c.delivery_max_age_secs.saturating_mul(1000),
            breaker_failures: c.circuit_breaker_failures,
            breaker_open_ms: c.circuit_breaker_open_secs.saturating_mul(1000),
        }
    }

    /// Runs `f` on the stats of `host` (created from a scan of the queue on first use).
    pub fn with_host<R>(&self, host: &str, f: impl FnOnce(&mut HostStats) -> R) -> R {
        let mut stats = lock(&self.stats);
        let entry =
            stats.entry(host.to_string()).or_insert_with(|| HostStats::new(host, queue::depth(&self.store, host)));
        let result = f(entry);
        self.metrics.set_queue_depth(host, entry.queued);
        self.metrics.set_breaker(host, entry.state);
        result
    }

    /// Every host's figures, sorted by host.
    pub fn stats(&self) -> FederationStats {
        let mut hosts: Vec<HostStats> = lock(&self.stats).values().cloned().collect();
        hosts.sort_by(|a, b| a.host.cmp(&b.host));
        FederationStats {
            queued_total: hosts.iter().map(|h| h.queued).sum(),
            delivered_total: hosts.iter().map(|h| h.delivered_total).sum(),
            failed_total: hosts.iter().map(|h| h.failed_total).sum(),
            dropped_total: hosts.iter().map(|h| h.dropped_total).sum(),
            hosts_open: hosts.iter().filter(|h| h.state == BreakerState::Open).count(),
            hosts,
        }
    }

    pub fn lookup(&self, host: &str) -> Option<ActorRef<RemoteMsg>> {
        lock(&self.actors).get(host).cloned()
    }

    pub fn register(&self, host: &str, actor: ActorRef<RemoteMsg>) {
        lock(&self.actors).insert(host.to_string(), actor);
    }

    /// Forgets `host`'s actor if it is still `id` (a replacement may be registered).
    pub fn deregister(&self, host: &str, id: ActorId) {
        let mut actors = lock(&self.actors);
        if actors.get(host).is_some_and(|a| a.get_id() == id) {
            actors.remove(host);
        }
    }

    pub fn take_all(&self) -> Vec<ActorRef<RemoteMsg>> {
        lock(&self.actors).drain().map(|(_, a)| a).collect()
    }
}
