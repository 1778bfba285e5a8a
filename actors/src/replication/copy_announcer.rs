//! Completed, refreshed and dropped copies, announced to their origins as ActivityPub
//! `CacheFile`s through the durable federation queue: `Create` for a new copy, `Update` with a
//! later `expires` to keep it (the `ReplicationActor` refreshes each copy at half its
//! lifetime), `Undo` when it is dropped. PeerTube's origins drop a mirror whose CacheFile
//! expires, so a copy that stops being refreshed stops being advertised.

use super::actor::CopyEvent;
use crate::activitypub::{ActivityPub, CopyAnnouncement};
use tokio::sync::mpsc;
use tracing::warn;

/// Runs until the channel closes (the replication actor is gone for good) or it is aborted.
pub fn spawn_copy_announcer(
    activitypub: ActivityPub,
    mut events: mpsc::UnboundedReceiver<CopyEvent>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                CopyEvent::Held { copy, resolution, expires_at } => {
                    let announcement = CopyAnnouncement {
                        info_hash: copy.info_hash,
                        video_url: copy.video_url.clone(),
                        video_uuid: copy.video_uuid,
                        origin_host: copy.origin_host.clone(),
                        filename: copy.filename.clone(),
                        size: copy.size,
                        resolution,
                        // Not announced by members; the origin matches on height and size.
                        fps: 0.0,
                        created_at: copy.created_at,
                    };
                    if let Err(e) = activitypub.announce_copy(&announcement, Some(expires_at)).await {
                        warn!(video = %copy.video_url, file = %copy.filename, error = %e,
                            "announcing a copy to its origin failed");
                    }
                }
                CopyEvent::Dropped(copy) => {
                    if let Err(e) = activitypub.withdraw_copy(&copy.info_hash).await {
                        warn!(video = %copy.video_url, file = %copy.filename, error = %e,
                            "withdrawing a copy from its origin failed");
                    }
                }
            }
        }
    })
}
