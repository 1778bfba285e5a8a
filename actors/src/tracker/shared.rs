//! What every part of the tracker shares: its configuration, metrics, clock, the
//! per-IP limiter and the registry of running swarm actors (read on every
//! announce, so connections reach a swarm without a hop through its supervisor).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Instant;

use ractor::{ActorId, ActorRef};

use super::ip_limit::IpLimiter;
use super::metrics::TrackerMetrics;
use super::swarm_actor::{ConnId, SwarmMsg};
use crate::config::TrackerConfig;

pub struct TrackerShared {
    pub config: TrackerConfig,
    pub metrics: TrackerMetrics,
    pub limiter: IpLimiter,
    pub fault_prefix: Option<Vec<u8>>,
    epoch: Instant,
    next_conn: AtomicU64,
    registry: RwLock<HashMap<[u8; 20], ActorRef<SwarmMsg>>>,
}

impl TrackerShared {
    pub fn new(config: TrackerConfig, metrics: TrackerMetrics) -> Self {
        Self {
            limiter: IpLimiter::new(config.announces_per_ip_per_minute),
            fault_prefix: config.fault_injection_peer_prefix.as_ref().map(|p| p.as_bytes().to_vec()),
            config,
            metrics,
            epoch: Instant::now(),
            next_conn: AtomicU64::new(1),
            registry: RwLock::new(HashMap::new()),
        }
    }

    /// Seconds since the tracker started: the swarms' clock.
    pub fn now_secs(&self) -> u32 {
        u32::try_from(self.epoch.elapsed().as_secs()).unwrap_or(u32::MAX)
    }

    pub fn next_conn(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<[u8; 20], ActorRef<SwarmMsg>>> {
        match self.registry.read() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<[u8; 20], ActorRef<SwarmMsg>>> {
        match self.registry.write() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The running swarm actor of an info-hash.
    pub fn lookup(&self, info_hash: &[u8; 20]) -> Option<ActorRef<SwarmMsg>> {
        self.read().get(info_hash).cloned()
    }

    pub fn swarm_count(&self) -> usize {
        self.read().len()
    }

    pub(crate) fn register(&self, info_hash: [u8; 20], swarm: ActorRef<SwarmMsg>) {
        self.write().insert(info_hash, swarm);
    }

    /// Removes the entry if it is still `swarm` (a replacement stays).
    pub(crate) fn deregister(&self, info_hash: &[u8; 20], swarm: ActorId) {
        let mut registry = self.write();
        if registry.get(info_hash).is_some_and(|r| r.get_id() == swarm) {
            registry.remove(info_hash);
        }
    }

    /// Empties the registry, returning what it held.
    pub(crate) fn take_all(&self) -> Vec<ActorRef<SwarmMsg>> {
        self.write().drain().map(|(_, r)| r).collect()
    }
}
