//! PeerTube's `VideoRedundancy` JSON (`GET /api/v1/server/redundancy/videos`):
//! `{id, name, url, uuid, redundancies: {files, streamingPlaylists}}`, each entry a
//! `RedundancyInformation` `{id, fileUrl, strategy, createdAt, updatedAt, expiresOn, size}`.
//!
//! PeerTube 8 duplicates only HLS playlists and its model has `streamingPlaylists` alone;
//! PeerTube up to 6 also listed web-video copies under `files`. Shoal's copies are whole
//! web-video files (no HLS yet), so each entry is listed under `files`, where they belong,
//! and under `streamingPlaylists` too, because that is the one list PeerTube 8's clients
//! read (peertube-cli's `list-*-redundancies` and `remove` use nothing else).

use serde::Serialize;
use shoal_actors::replication::admin::{RedundancyEntry, VideoRedundancies};

/// PeerTube's `RedundancyInformation`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedundancyInformationJson {
    pub id: u64,
    pub file_url: String,
    pub strategy: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub expires_on: Option<String>,
    pub size: u64,
}

/// `redundancies`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedundanciesJson {
    pub files: Vec<RedundancyInformationJson>,
    pub streaming_playlists: Vec<RedundancyInformationJson>,
}

/// PeerTube's `VideoRedundancy`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoRedundancyJson {
    pub id: u64,
    pub name: String,
    pub url: String,
    pub uuid: String,
    pub redundancies: RedundanciesJson,
}

fn entry(e: &RedundancyEntry) -> RedundancyInformationJson {
    RedundancyInformationJson {
        id: e.id,
        file_url: e.file_url.clone(),
        strategy: e.strategy.clone(),
        created_at: e.created_at.clone(),
        updated_at: e.updated_at.clone(),
        expires_on: e.expires_on.clone(),
        size: e.size,
    }
}

/// The JSON of one video and its copies.
pub fn video_redundancy(video: &VideoRedundancies) -> VideoRedundancyJson {
    let entries: Vec<RedundancyInformationJson> = video.entries.iter().map(entry).collect();
    VideoRedundancyJson {
        id: video.video_id,
        name: video.name.clone(),
        url: video.url.clone(),
        uuid: video.uuid.to_string(),
        redundancies: RedundanciesJson { files: entries.clone(), streaming_playlists: entries },
    }
}
