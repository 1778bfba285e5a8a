//! Periodic housekeeping of the node's state: expired OAuth tokens are removed from
//! sled, so the token trees hold live sessions only, and so are the mirrors other
//! instances announced (`CacheFile`s) whose `expires` has passed without an `Update`
//! (they are never listed once expired; this keeps the table from growing for ever).

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::accounts::Accounts;
use crate::clock;
use crate::replication::origin_mirrors;
use crate::store::Store;

/// How often expired tokens and mirrors are purged.
pub const TOKEN_PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Purges expired tokens and mirrors now and then every `every`, until the task is aborted.
pub fn spawn(accounts: Accounts, store: Store, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let accounts = accounts.clone();
            match tokio::task::spawn_blocking(move || accounts.purge_expired_tokens()).await {
                Ok(Ok(0)) => {}
                Ok(Ok(purged)) => tracing::info!(purged, "expired tokens purged"),
                Ok(Err(err)) => tracing::warn!(%err, "purging expired tokens failed"),
                Err(err) => tracing::warn!(%err, "token purge task failed"),
            }
            let store = store.clone();
            let now = i64::try_from(clock::unix_secs()).unwrap_or(i64::MAX);
            match tokio::task::spawn_blocking(move || origin_mirrors::purge_expired(&store, now)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(purged)) => tracing::info!(purged, "expired mirrors (CacheFiles) purged"),
                Ok(Err(err)) => tracing::warn!(%err, "purging expired mirrors failed"),
                Err(err) => tracing::warn!(%err, "mirror purge task failed"),
            }
        }
    })
}
