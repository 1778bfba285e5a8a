//! ActivityPub `CacheFile`s, both ways.
//!
//! Sending: [`ActivityPub::announce_copy`] tells a video's origin that this node holds a
//! copy of one of its files (`Create`, or `Update` to extend `expires` when the copy was
//! announced before), [`ActivityPub::withdraw_copy`] that it no longer does (`Undo`).
//! Sent by the instance actor to the shared inbox of the video's owner, as PeerTube's
//! `sendCreateCacheFile` does, through the durable delivery queue. What was sent is kept
//! in the sled tree `redundancy_announced` (info hash -> [`AnnouncedCopy`]).
//!
//! Receiving: a `Create`/`Update` of a CacheFile about one of this node's federated
//! videos, or a remote video it knows, is taken per `redundancy.accept_from` (`nobody`,
//! `followings`: hosts this node follows, `anybody`) and stored in
//! [`crate::replication::origin_mirrors`]; `Undo` removes it. A refusal changes nothing
//! and is answered 202 as PeerTube answers (it takes the activity and drops it); every
//! outcome is counted in `shoal_activitypub_cache_files_total{activity, outcome}`.
//! Shoal takes both forms: a web-video file's, and PeerTube 8's only one, a whole HLS
//! playlist (`href` its base URL), recorded as one mirror per fragmented MP4 of the video at
//! `{href}/{file name}` (record ids `{id}#{res}`; Shoal's fragmented MP4s are its web-video
//! files, so such a mirror is also a web seed of the file's torrent). An accepted
//! CacheFile is not forwarded to the origin's followers (PeerTube forwards it, signed with
//! JSON-LD signatures, which Shoal does not make).

use super::remote_actors::RemoteActorRecord;
use super::{follows, remote_videos, ActivityPub, ApServiceError, Ctx};
use crate::clock::unix_secs;
use crate::config::AcceptFrom;
use crate::replication::origin_mirrors::{self, MirrorRecord, MirrorsError, Upserted};
use crate::store::{self, tree};
use crate::videos::record::VideoRecord;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};
use shoal_protocol::activitypub::cache_file::{self, CacheFile, CachedCopy};
use shoal_protocol::activitypub::video::RemoteVideo;
use shoal_protocol::activitypub::{Activity, ActivityKind, ObjectRef};
use shoal_protocol::media_layout::HlsFile;
use uuid::Uuid;

/// A copy this node holds, as announcing it needs (helper B's `CopyRecord` plus the
/// file's resolution and fps, which the origin matches the CacheFile to its file by).
#[derive(Debug, Clone, PartialEq)]
pub struct CopyAnnouncement {
    /// SHA-1 info hash of the file's torrent.
    pub info_hash: [u8; 20],
    /// The video's ActivityPub id on its origin.
    pub video_url: String,
    pub video_uuid: Uuid,
    /// `host[:port]` of the origin.
    pub origin_host: String,
    /// File name under `media/redundancy/` (served at `/static/redundancy/{filename}`).
    pub filename: String,
    pub size: u64,
    /// PeerTube's resolution (the picture's short side); 0: taken from the file of that
    /// info hash in the remote video this node knows (helper B's `CopyRecord` has none).
    pub resolution: u32,
    /// Frames per second; with `resolution` 0, taken from the known file too.
    pub fps: f64,
    /// Unix seconds when the copy completed.
    pub created_at: u64,
}

/// What this node sent about one of its copies (`redundancy_announced`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnouncedCopy {
    pub info_hash: [u8; 20],
    pub cache_file_id: String,
    pub video_url: String,
    pub media_type: String,
    pub href: String,
    pub height: u32,
    pub size: u64,
    pub fps: Option<f64>,
    pub expires_at: Option<i64>,
    /// The video owner (the activities' `to`) and the inbox they went to.
    pub owner: String,
    pub inbox: String,
    pub created_at: u64,
    pub updated_at: u64,
}

impl AnnouncedCopy {
    fn cache_file(&self) -> CacheFile {
        CacheFile {
            id: self.cache_file_id.clone(),
            object: self.video_url.clone(),
            expires: self.expires_at.map(cache_file::format_iso8601),
            expires_at: self.expires_at,
            url: CachedCopy::VideoFile {
                media_type: self.media_type.clone(),
                href: self.href.clone(),
                height: self.height,
                size: self.size,
                fps: self.fps,
            },
        }
    }
}

/// What [`ActivityPub::announce_copy`] sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announced {
    Created,
    Updated,
}

// ---------------------------------------------------------------- metrics

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheFileLabels {
    /// `create`, `update`, `undo` (received) or `sent_create`, `sent_update`, `sent_undo`.
    activity: &'static str,
    outcome: &'static str,
}

/// `shoal_activitypub_cache_files_total{activity, outcome}`: the labels are fixed strings, so
/// a sender cannot grow the set.
#[derive(Clone, Default)]
pub struct CacheFileMetrics {
    total: Family<CacheFileLabels, Counter>,
}

impl CacheFileMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "activitypub_cache_files",
            "CacheFile activities received and sent, by activity and outcome",
            self.total.clone(),
        );
    }

    fn count(&self, activity: &'static str, outcome: &'static str) {
        self.total.get_or_create(&CacheFileLabels { activity, outcome }).inc();
    }
}

fn received_label(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Create => "create",
        ActivityKind::Update => "update",
        _ => "undo",
    }
}

// ---------------------------------------------------------------- receiving

/// A `Create` or `Update` whose object is a CacheFile.
pub(super) async fn receive(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity) -> Result<(), ApServiceError> {
    let label = received_label(activity.kind);
    let count = |outcome| ctx.metrics.cache_files.count(label, outcome);
    let ObjectRef::Embedded(doc) = &activity.object else {
        count("invalid");
        return Err(ApServiceError::Invalid("a CacheFile must be embedded".into()));
    };
    let cache_file = match CacheFile::parse(doc, &actor.host) {
        Ok(cf) => cf,
        Err(err) => {
            count("invalid");
            return Err(err.into());
        }
    };
    if let Some(reason) = refusal(ctx, actor)? {
        count("refused");
        tracing::info!(cache_file = %cache_file.id, by = %actor.id, reason, "remote redundancy refused");
        return Ok(());
    }
    let Some(video) = known_video(ctx, &cache_file.object)? else {
        count("unknown_video");
        tracing::info!(cache_file = %cache_file.id, video = %cache_file.object, "CacheFile of an unknown video: ignored");
        return Ok(());
    };
    // What the copy holds: one file, or (PeerTube 8's only form) the whole HLS playlist,
    // whose fragmented MP4s are this video's files under the mirror's base URL.
    let copies: Vec<([u8; 20], String, String)> = match &cache_file.url {
        CachedCopy::VideoFile { height, fps, size, href, .. } => match matching_file(&video, *height, *fps, *size) {
            Some(info_hash) => vec![(info_hash, cache_file.id.clone(), href.clone())],
            None => {
                count("unknown_file");
                tracing::info!(cache_file = %cache_file.id, height, "CacheFile of a file the video does not have: ignored");
                return Ok(());
            }
        },
        CachedCopy::Playlist { href } => {
            let base = href.trim_end_matches('/');
            let files = fragmented_files(&video);
            if files.is_empty() {
                count("ignored_playlist");
                tracing::info!(cache_file = %cache_file.id, "CacheFile of an HLS playlist the video does not have: ignored");
                return Ok(());
            }
            files
                .into_iter()
                .map(|(info_hash, resolution, name)| {
                    (info_hash, origin_mirrors::playlist_file_id(&cache_file.id, resolution), format!("{base}/{name}"))
                })
                .collect()
        }
    };
    let now = unix_secs();
    let mut outcome = Upserted::Created;
    for (info_hash, cache_file_id, file_url) in copies {
        let record = MirrorRecord {
            info_hash,
            video_url: cache_file.object.clone(),
            cache_file_id,
            file_url,
            mirror_actor: actor.id.clone(),
            mirror_host: actor.host.clone(),
            expires_at: cache_file.expires_at,
            created_at: now,
            updated_at: now,
        };
        match origin_mirrors::upsert(&ctx.store, record) {
            Ok(done) => outcome = done,
            Err(err) => return mirrors_error(&count, err),
        }
    }
    ctx.store.flush().await?;
    count("accepted");
    tracing::info!(cache_file = %cache_file.id, video = %cache_file.object, mirror = %cache_file.url.href(),
        expires = cache_file.expires.as_deref().unwrap_or("never"),
        updated = outcome == Upserted::Updated, "mirror recorded");
    Ok(())
}

/// The answer to a refused mirror record.
fn mirrors_error(count: &impl Fn(&'static str), err: MirrorsError) -> Result<(), ApServiceError> {
    match err {
        MirrorsError::NotOwner { id, owner, .. } => {
            count("not_owner");
            Err(ApServiceError::Forbidden(format!("CacheFile {id} belongs to {owner}")))
        }
        MirrorsError::Store(err) => Err(err.into()),
    }
}

/// The video's fragmented MP4s (info hash, resolution, file name), which an HLS mirror holds
/// under the same names.
fn fragmented_files(video: &VideoRecord) -> Vec<([u8; 20], u32, String)> {
    let uuid = video.uuid.to_string();
    match &video.remote {
        Some(remote) => remote
            .hls
            .iter()
            .flat_map(|hls| &hls.files)
            .filter_map(|f| {
                let name = f.url.rsplit('/').next().filter(|n| !n.is_empty())?;
                Some((origin_mirrors::parse_info_hash(&f.info_hash)?, f.resolution, name.to_owned()))
            })
            .collect(),
        None => video
            .files
            .iter()
            .filter(|f| f.hls.is_some())
            .filter_map(|f| {
                let name = HlsFile::Fragmented(f.resolution).name(&uuid);
                Some((origin_mirrors::parse_info_hash(&f.info_hash)?, f.resolution, name))
            })
            .collect(),
    }
}

/// An `Undo` of a `Create` whose object is a CacheFile (embedded or its id).
pub(super) async fn undo(ctx: &Ctx, actor: &RemoteActorRecord, create: &Activity) -> Result<(), ApServiceError> {
    let count = |outcome| ctx.metrics.cache_files.count("undo", outcome);
    let Some(id) = create.object.id() else {
        count("invalid");
        return Err(ApServiceError::Invalid("the undone CacheFile has no id".into()));
    };
    let removed = match origin_mirrors::remove(&ctx.store, id, &actor.id) {
        Ok(None) => origin_mirrors::remove_playlist(&ctx.store, id, &actor.id).map(|n| (n > 0).then_some(())),
        other => other.map(|r| r.map(|_| ())),
    };
    match removed {
        Ok(Some(())) => {
            ctx.store.flush().await?;
            count("accepted");
            tracing::info!(cache_file = %id, by = %actor.id, "mirror withdrawn");
            Ok(())
        }
        Ok(None) => {
            count("unknown_cache_file");
            Ok(())
        }
        Err(MirrorsError::NotOwner { owner, .. }) => {
            count("not_owner");
            Err(ApServiceError::Forbidden(format!("CacheFile {id} belongs to {owner}")))
        }
        Err(MirrorsError::Store(err)) => Err(err.into()),
    }
}

/// Why `accept_from` refuses `actor`'s CacheFiles, if it does (PeerTube's
/// `isRedundancyAccepted`).
fn refusal(ctx: &Ctx, actor: &RemoteActorRecord) -> Result<Option<&'static str>, ApServiceError> {
    Ok(match ctx.config.redundancy.accept_from {
        AcceptFrom::Nobody => Some("accept_from is nobody"),
        AcceptFrom::Followings if !follows::follows_host(&ctx.store, &actor.host)? => {
            Some("accept_from is followings and this instance does not follow the sender")
        }
        _ => None,
    })
}

/// The video a CacheFile is about: a federated video of this node, or a remote one it knows.
fn known_video(ctx: &Ctx, url: &str) -> Result<Option<VideoRecord>, ApServiceError> {
    if let Some(super::urls::LocalObject::Video(uuid)) = ctx.urls.parse(url) {
        let video = crate::videos::repo::load_by_uuid(&ctx.store, uuid)?;
        return Ok(video.filter(super::documents::is_federated));
    }
    remote_videos::by_url(ctx, url)
}

/// The info hash of the video's file a CacheFile names: PeerTube matches
/// `resolution === url.height && fps === url.fps`; Shoal's fps is fractional, so within 1
/// (and when several match, the one of the announced size).
fn matching_file(video: &VideoRecord, height: u32, fps: Option<f64>, size: u64) -> Option<[u8; 20]> {
    let files: Vec<(u32, f64, u64, &str)> = match &video.remote {
        Some(remote) => remote.files.iter().map(|f| (f.resolution, f.fps, f.size, f.info_hash.as_str())).collect(),
        None => video.files.iter().map(|f| (f.resolution, f.fps, f.size, f.info_hash.as_str())).collect(),
    };
    let candidates: Vec<_> = files
        .into_iter()
        .filter(|(resolution, file_fps, _, _)| {
            *resolution == height && fps.is_none_or(|fps| (file_fps - fps).abs() < 1.0)
        })
        .collect();
    let best = candidates.iter().find(|(_, _, s, _)| *s == size).or(candidates.first())?;
    origin_mirrors::parse_info_hash(best.3)
}

// ---------------------------------------------------------------- sending

fn media_type_of(filename: &str) -> &'static str {
    if filename.ends_with(".webm") {
        "video/webm"
    } else {
        "video/mp4"
    }
}

/// The owner (account) of a remote video and its shared inbox.
async fn owner_and_inbox(ctx: &Ctx, video_url: &str) -> Result<(String, String), ApServiceError> {
    let owner = match remote_videos::by_url(ctx, video_url)?.and_then(|v| v.remote) {
        Some(remote) => remote.account.url,
        None => RemoteVideo::parse(&super::fetch::document(ctx, video_url).await?.value)?.account,
    };
    let actor = super::remote_actors::get(ctx, &owner).await?;
    Ok((owner, actor.delivery_inbox().to_string()))
}

/// `copy` with its resolution and fps from the known remote video's file of the same
/// info hash, when it has none (resolution 0).
fn with_known_file(ctx: &Ctx, copy: &CopyAnnouncement) -> Result<CopyAnnouncement, ApServiceError> {
    let mut copy = copy.clone();
    if copy.resolution != 0 {
        return Ok(copy);
    }
    let hex = hex::encode(copy.info_hash);
    let file = remote_videos::by_url(ctx, &copy.video_url)?
        .and_then(|v| v.remote)
        .and_then(|r| r.files.into_iter().find(|f| f.info_hash.eq_ignore_ascii_case(&hex)));
    let Some(file) = file else {
        return Err(ApServiceError::Invalid(format!(
            "no resolution for the copy {hex} of {}: the video's file is unknown here",
            copy.video_url
        )));
    };
    copy.resolution = file.resolution;
    copy.fps = file.fps;
    Ok(copy)
}

fn announced(ctx: &Ctx, info_hash: &[u8; 20]) -> Result<Option<AnnouncedCopy>, ApServiceError> {
    Ok(store::get(&ctx.store.redundancy_announced, tree::REDUNDANCY_ANNOUNCED, info_hash)?)
}

/// The instance actor's path (`accounts/{INSTANCE_ACTOR_NAME}`, checked in the tests).
const INSTANCE_PATH: &str = "accounts/peertube";

impl ActivityPub {
    /// Tells the origin of `copy`'s video that this node holds it, until `expires_at`
    /// (unix seconds; `None`: no expiry): a `Create` CacheFile the first time, an `Update`
    /// (new `expires`) after. Durable (queued) when it returns.
    pub async fn announce_copy(
        &self,
        copy: &CopyAnnouncement,
        expires_at: Option<i64>,
    ) -> Result<Announced, ApServiceError> {
        let ctx = self.ctx();
        let now = unix_secs();
        let copy = &with_known_file(ctx, copy)?;
        let previous = announced(ctx, &copy.info_hash)?;
        let (owner, inbox) = match &previous {
            Some(p) if p.video_url == copy.video_url => (p.owner.clone(), p.inbox.clone()),
            _ => owner_and_inbox(ctx, &copy.video_url).await?,
        };
        let base = ctx.urls.base();
        let fps = (copy.fps > 0.0).then_some(copy.fps.round());
        let record = AnnouncedCopy {
            info_hash: copy.info_hash,
            cache_file_id: cache_file::video_file_id(
                base,
                &copy.video_uuid.to_string(),
                copy.resolution,
                fps.map(|f| f as u32),
            ),
            video_url: copy.video_url.clone(),
            media_type: media_type_of(&copy.filename).to_string(),
            href: cache_file::copy_href(base, &copy.filename),
            height: copy.resolution,
            size: copy.size,
            fps,
            expires_at,
            owner: owner.clone(),
            inbox: inbox.clone(),
            created_at: previous.as_ref().map_or(now, |p| p.created_at),
            updated_at: now,
        };
        let actor = ctx.urls.instance_actor();
        let to = vec![owner];
        let cf = record.cache_file();
        // A copy announced before under another CacheFile id (its file name or resolution
        // changed) is withdrawn first.
        if let Some(p) = previous.as_ref().filter(|p| p.cache_file_id != record.cache_file_id) {
            let undo = cache_file::undo(&actor, &p.cache_file(), std::slice::from_ref(&p.owner));
            let id = cache_file::undo_activity_id(&p.cache_file_id);
            ctx.deliver(&id, &undo, INSTANCE_PATH, vec![p.inbox.clone()]).await?;
        }
        let (id, activity, outcome) = match previous.as_ref().filter(|p| p.cache_file_id == record.cache_file_id) {
            Some(_) => {
                let updated_at = cache_file::format_iso8601(now as i64);
                let id = cache_file::update_activity_id(&cf.id, &updated_at);
                (id, cache_file::update(&actor, &cf, &updated_at, &to), Announced::Updated)
            }
            None => (cache_file::create_activity_id(&cf.id), cache_file::create(&actor, &cf, &to), Announced::Created),
        };
        store::put(&ctx.store.redundancy_announced, copy.info_hash, &record)?;
        ctx.deliver(&id, &activity, INSTANCE_PATH, vec![inbox]).await?;
        ctx.store.flush().await?;
        let label = if outcome == Announced::Created { "sent_create" } else { "sent_update" };
        ctx.metrics.cache_files.count(label, "queued");
        tracing::info!(cache_file = %cf.id, video = %copy.video_url, origin = %copy.origin_host,
            expires = cf.expires.as_deref().unwrap_or("never"), ?outcome, "copy announced to its origin");
        Ok(outcome)
    }

    /// Tells the origin this node no longer holds the copy of `info_hash` (`Undo` of its
    /// `Create`). `false` when it was never announced.
    pub async fn withdraw_copy(&self, info_hash: &[u8; 20]) -> Result<bool, ApServiceError> {
        let ctx = self.ctx();
        let Some(previous) = announced(ctx, info_hash)? else {
            return Ok(false);
        };
        let actor = ctx.urls.instance_actor();
        let undo = cache_file::undo(&actor, &previous.cache_file(), std::slice::from_ref(&previous.owner));
        let id = cache_file::undo_activity_id(&previous.cache_file_id);
        ctx.deliver(&id, &undo, INSTANCE_PATH, vec![previous.inbox.clone()]).await?;
        ctx.store.redundancy_announced.remove(info_hash)?;
        ctx.store.flush().await?;
        ctx.metrics.cache_files.count("sent_undo", "queued");
        tracing::info!(cache_file = %previous.cache_file_id, video = %previous.video_url, "copy withdrawn from its origin");
        Ok(true)
    }

    /// What this node announced about its copy of `info_hash`, if anything.
    pub fn announced_copy(&self, info_hash: &[u8; 20]) -> Result<Option<AnnouncedCopy>, ApServiceError> {
        announced(self.ctx(), info_hash)
    }

    /// The URLs of the live mirrors other instances announced of the file with hex info
    /// hash `info_hash_hex` (oldest first; empty when none or on a store error).
    pub fn mirror_urls(&self, info_hash_hex: &str) -> Vec<String> {
        origin_mirrors::mirror_urls(&self.ctx().store, info_hash_hex, unix_secs() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_path_names_the_instance_actor() {
        assert_eq!(INSTANCE_PATH, format!("accounts/{}", super::super::INSTANCE_ACTOR_NAME));
        assert_eq!(media_type_of("a-720.webm"), "video/webm");
        assert_eq!(media_type_of("a-720.mp4"), "video/mp4");
    }
}
