//! Periodic housekeeping of the node's state: expired OAuth tokens are removed from
//! sled, so the token trees hold live sessions only.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::accounts::Accounts;

/// How often expired tokens are purged.
pub const TOKEN_PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Purges expired tokens now and then every `every`, until the task is aborted.
pub fn spawn(accounts: Accounts, every: Duration) -> JoinHandle<()> {
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
        }
    })
}
