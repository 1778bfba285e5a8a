//! The `.torrent` files of remote videos, served by this node at
//! `/lazy-static/torrents/{uuid}-{resolution}.torrent` as PeerTube serves them (its
//! lazy-static torrent cache), so that players here keep working when the origin is down.
//! A torrent is fetched once: from the origin over HTTP (through the SSRF-safe mirror client)
//! or, when the origin does not answer, from a redundancy member holding the file (over
//! libp2p, through the `ReplicationActor`); it is kept only if its info hash is the file's, under
//! `media/remote-torrents/{info hash}.torrent`, written to a temporary name and renamed.

use crate::replication::mirror::http::{MirrorHttp, MAX_TORRENT_BYTES};
use crate::replication::mirror::SourceError;
use crate::replication::ReplicationMsg;
use crate::store::{Store, StoreError};
use crate::videos::record::RemoteFile;
use crate::videos::{repo, Privacy, VideoKey, VideoRecord};
use ractor::rpc::CallResult;
use ractor::ActorRef;
use shoal_protocol::torrent::info_hash_of;
use std::path::{Path, PathBuf};
use std::time::Duration;
use uuid::Uuid;

/// The folder under `media/` holding the fetched torrents.
pub const REMOTE_TORRENTS_DIR: &str = "remote-torrents";
/// Bound of one fetch from the origin: a page waits for it.
const ORIGIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound of the ask to the replication actor (members answer from a task of their own).
const MEMBERS_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a remote torrent could not be given.
#[derive(Debug, thiserror::Error)]
pub enum RemoteTorrentError {
    /// Neither the origin nor a member gave a torrent of the file.
    #[error("the origin did not give the torrent ({origin}) and no redundancy member holds it")]
    Unavailable { origin: String },
    #[error("the remote torrent cache: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The cache and the client that fills it. Cheap to clone.
#[derive(Clone)]
pub struct RemoteTorrents {
    dir: PathBuf,
    http: MirrorHttp,
}

impl RemoteTorrents {
    pub fn new(media_dir: &Path, mut http: MirrorHttp) -> RemoteTorrents {
        http.request_timeout = ORIGIN_TIMEOUT;
        RemoteTorrents { dir: media_dir.join(REMOTE_TORRENTS_DIR), http }
    }

    /// The torrent of a remote video's file by its served name: kept from an earlier fetch,
    /// else fetched from the origin, else from a redundancy member holding the file (asked
    /// through `replication`). `Ok(None)` when the name is no public or unlisted remote
    /// video's file.
    pub async fn get(
        &self,
        store: &Store,
        replication: &ActorRef<ReplicationMsg>,
        name: &str,
    ) -> Result<Option<Vec<u8>>, RemoteTorrentError> {
        let Some((uuid, resolution)) = parse_torrent_filename(name) else { return Ok(None) };
        let Some(video) = repo::load_by_key(store, &VideoKey::Uuid(uuid))? else { return Ok(None) };
        if !matches!(video.privacy, Privacy::Public | Privacy::Unlisted) {
            return Ok(None);
        }
        let Some((file, info_hash)) = remote_file(&video, resolution) else { return Ok(None) };
        if let Some(bytes) = self.cached(&info_hash).await {
            return Ok(Some(bytes));
        }
        let origin = match self.from_origin(file, &info_hash).await {
            Ok(bytes) => {
                self.keep(&info_hash, &bytes).await?;
                return Ok(Some(bytes));
            }
            Err(why) => why,
        };
        tracing::info!(torrent = %file.torrent_url, error = %origin, "the origin gave no torrent; asking the redundancy members");
        let from_members =
            replication.call(|reply| ReplicationMsg::Torrent(info_hash, reply), Some(MEMBERS_TIMEOUT)).await;
        if let Ok(CallResult::Success(Some(bytes))) = from_members {
            if self.keep(&info_hash, &bytes).await? {
                tracing::info!(torrent = %name, "remote torrent taken from a redundancy member");
                return Ok(Some(bytes));
            }
            tracing::warn!(torrent = %name, "a redundancy member gave a torrent of another file");
        }
        Err(RemoteTorrentError::Unavailable { origin })
    }

    /// The kept torrent of `info_hash`, if any.
    pub async fn cached(&self, info_hash: &[u8; 20]) -> Option<Vec<u8>> {
        let bytes = tokio::fs::read(self.path(info_hash)).await.ok()?;
        (info_hash_of(&bytes).ok().as_ref() == Some(info_hash)).then_some(bytes)
    }

    /// The torrent from the file's origin, when it answers with the right one.
    pub async fn from_origin(&self, file: &RemoteFile, info_hash: &[u8; 20]) -> Result<Vec<u8>, String> {
        let bytes =
            self.http.get_capped(&file.torrent_url, MAX_TORRENT_BYTES).await.map_err(|e: SourceError| e.to_string())?;
        match info_hash_of(&bytes) {
            Ok(found) if &found == info_hash => Ok(bytes.to_vec()),
            Ok(found) => Err(format!("its info hash is {}, not {}", hex::encode(found), hex::encode(info_hash))),
            Err(e) => Err(format!("not a torrent: {e}")),
        }
    }

    /// Keeps `bytes` as the torrent of `info_hash` when it is one; `false` when it is not.
    pub async fn keep(&self, info_hash: &[u8; 20], bytes: &[u8]) -> Result<bool, RemoteTorrentError> {
        if info_hash_of(bytes).ok().as_ref() != Some(info_hash) {
            return Ok(false);
        }
        tokio::fs::create_dir_all(&self.dir).await?;
        let path = self.path(info_hash);
        let staged = path.with_extension(format!("torrent.{}.part", Uuid::new_v4().simple()));
        tokio::fs::write(&staged, bytes).await?;
        tokio::fs::rename(&staged, &path).await?;
        Ok(true)
    }

    fn path(&self, info_hash: &[u8; 20]) -> PathBuf {
        self.dir.join(format!("{}.torrent", hex::encode(info_hash)))
    }
}

/// The name this node serves a remote file's torrent under (the local files' shape).
pub fn remote_torrent_filename(uuid: Uuid, resolution: u32) -> String {
    crate::transcode::work::torrent_filename(uuid, resolution)
}

/// `{uuid}-{resolution}.torrent` back to its parts.
pub fn parse_torrent_filename(name: &str) -> Option<(Uuid, u32)> {
    let (uuid, resolution) = name.strip_suffix(".torrent")?.rsplit_once('-')?;
    Some((Uuid::parse_str(uuid).ok()?, resolution.parse().ok()?))
}

/// The remote file of `video` a torrent name points at, with its info hash.
pub fn remote_file(video: &VideoRecord, resolution: u32) -> Option<(&RemoteFile, [u8; 20])> {
    let file = video.remote.as_ref()?.files.iter().find(|f| f.resolution == resolution)?;
    let info_hash = crate::replication::origin_mirrors::parse_info_hash(&file.info_hash)?;
    Some((file, info_hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_protocol::torrent::{Info, Metainfo};

    #[test]
    fn names_round_trip_and_junk_does_not_parse() {
        let uuid = Uuid::new_v4();
        let name = remote_torrent_filename(uuid, 720);
        assert_eq!(parse_torrent_filename(&name), Some((uuid, 720)));
        for junk in ["", ".torrent", "x-720.torrent", &format!("{uuid}.torrent"), &format!("{uuid}-a.torrent")] {
            assert_eq!(parse_torrent_filename(junk), None, "{junk:?}");
        }
    }

    #[tokio::test]
    async fn only_a_torrent_of_the_right_file_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let http = MirrorHttp::new(&crate::config::FederationConfig::default()).unwrap();
        let cache = RemoteTorrents::new(dir.path(), http);
        let bytes =
            Metainfo::new(Info { name: "v.mp4".into(), piece_length: 16_384, pieces: vec![[7; 20]], length: 10 })
                .to_bytes();
        let info_hash = info_hash_of(&bytes).unwrap();
        assert!(!cache.keep(&[0; 20], &bytes).await.unwrap(), "another file's hash");
        assert!(!cache.keep(&info_hash, b"not bencode").await.unwrap());
        assert_eq!(cache.cached(&info_hash).await, None);
        assert!(cache.keep(&info_hash, &bytes).await.unwrap());
        assert_eq!(cache.cached(&info_hash).await, Some(bytes));
    }
}
