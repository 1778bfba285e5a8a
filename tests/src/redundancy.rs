//! Helpers of the redundancy tests (issue 11): a followed fake PeerTube whose video Shoal
//! stores, and the records the mirror jobs and the CacheFile inbox write
//! (`replication::copies`, `replication::origin_mirrors`), put into a stopped node's store.

use anyhow::{anyhow, Context};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

use shoal_actors::replication::copies::{CopyReason, CopyRecord};
use shoal_actors::replication::origin_mirrors;
use shoal_actors::store::Store;

use crate::fake_peertube::{summarize, FakePeerTube};
use crate::federation::{follow_instance, wait_for};
use crate::{ApiClient, Result, TestNode};

/// Longest a federation step may take.
const STEP: Duration = Duration::from_secs(30);

/// Follows the fake, waits for the follow and its video on Shoal; the video's local JSON.
pub fn follow_fake(node: &TestNode, admin: &ApiClient, fake: &FakePeerTube) -> Result<Value> {
    follow_instance(admin, &fake.host)?;
    wait_for(STEP, "PeerTube's video on Shoal", |last| {
        let list = node.anonymous()?.get_json("/api/v1/videos?start=0&count=50")?;
        *last = format!("{list}\nfake: {}", summarize(&fake.state()?));
        Ok(list["data"].as_array().and_then(|d| d.iter().find(|v| v["uuid"] == fake.video_uuid.as_str()).cloned()))
    })
}

/// Stops the node, lets `seed` write into its store and media folder, starts it again.
pub fn with_stopped_node(node: &mut TestNode, seed: impl FnOnce(&Store, &Path) -> Result<()>) -> Result<()> {
    node.terminate(Duration::from_secs(30))?;
    {
        let store = Store::open(&node.data_dir().join("db")).context("opening the stopped node's store")?;
        seed(&store, &node.data_dir().join("media"))?;
        store.flush_blocking()?;
    }
    node.restart()
}

/// The copy record a mirror job writes for the first file of a remote video (`video` is its
/// Shoal JSON with `files`).
pub fn copy_of(video: &Value, reason: CopyReason, created_at: u64) -> Result<CopyRecord> {
    let file = &video["files"][0];
    let magnet = file["magnetUri"].as_str().unwrap_or_default();
    let info_hash = magnet_hash(magnet).ok_or_else(|| anyhow!("no info hash in {file}"))?;
    let url = file["fileUrl"].as_str().ok_or_else(|| anyhow!("no fileUrl: {file}"))?;
    let filename = url.rsplit('/').next().unwrap_or_default().to_string();
    Ok(CopyRecord {
        info_hash,
        video_uuid: video["uuid"].as_str().unwrap_or_default().parse().context("uuid")?,
        video_url: video["url"].as_str().unwrap_or_default().to_string(),
        origin_host: video["account"]["host"].as_str().unwrap_or_default().to_string(),
        filename,
        size: file["size"].as_u64().unwrap_or(0),
        created_at,
        reason,
    })
}

/// The 20-byte info hash in a magnet URI (`xt=urn:btih:<40 hex>`).
pub fn magnet_hash(magnet: &str) -> Option<[u8; 20]> {
    let hex = magnet.split("xt=urn:btih:").nth(1)?.get(..40)?;
    origin_mirrors::parse_info_hash(hex)
}

/// The mirror another instance (`mirror.example`) announced, with a CacheFile, of the first
/// file of this node's video `video` (its Shoal JSON), as the inbox stores it.
pub fn mirror_of(node: &TestNode, video: &Value) -> Result<origin_mirrors::MirrorRecord> {
    let file = &video["files"][0];
    let info_hash =
        magnet_hash(file["magnetUri"].as_str().unwrap_or_default()).ok_or_else(|| anyhow!("no info hash in {file}"))?;
    let uuid = video["uuid"].as_str().unwrap_or_default();
    Ok(origin_mirrors::MirrorRecord {
        info_hash,
        video_url: node.url(&format!("/videos/watch/{uuid}")),
        cache_file_id: format!("http://mirror.example/redundancy/videos/{uuid}-120"),
        file_url: format!("http://mirror.example/static/redundancy/{uuid}-120.mp4"),
        mirror_actor: "http://mirror.example/accounts/peertube".into(),
        mirror_host: "mirror.example".into(),
        expires_at: Some(4_000_000_000),
        created_at: 1_790_000_100,
        updated_at: 1_790_000_200,
    })
}
