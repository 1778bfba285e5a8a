//! Videos of other instances, kept in the same `videos` tree as local ones (so the
//! REST API, comments and ratings treat them alike) with a `remote` origin: created or
//! updated from the origin's `Video` object, removed when the origin deletes them.
//! They keep their origin's uuid unless a local video already has it.

use super::{ApServiceError, Ctx};
use crate::clock::now_rfc3339;
use crate::store::{counter, keys, tree};
use crate::videos::record::{
    Privacy, RemoteActorRef, RemoteFile, RemoteHls, RemoteOrigin, SourceInfo, VideoKey, VideoRecord, VideoState,
};
use crate::videos::repo;
use shoal_protocol::activitypub::video::{CommentsPolicy, RemoteVideo, VideoFileLinks};
use shoal_protocol::magnet::MagnetLink;
use uuid::Uuid;

/// The local id of the remote video with ActivityPub id `url`.
pub fn id_by_url(ctx: &Ctx, url: &str) -> Result<Option<u64>, ApServiceError> {
    match ctx.store.videos_by_url.get(url.as_bytes())? {
        Some(bytes) => Ok(Some(keys::read_id(tree::VIDEOS_BY_URL, &bytes)?)),
        None => Ok(None),
    }
}

/// The remote video with ActivityPub id `url`.
pub fn by_url(ctx: &Ctx, url: &str) -> Result<Option<VideoRecord>, ApServiceError> {
    match id_by_url(ctx, url)? {
        Some(id) => Ok(repo::load(&ctx.store, id)?),
        None => Ok(None),
    }
}

fn actor_ref(url: &str, host: &str, display: Option<&super::remote_actors::RemoteActorRecord>) -> RemoteActorRef {
    let fallback = url.rsplit('/').next().unwrap_or(url).to_string();
    RemoteActorRef {
        url: url.to_string(),
        name: display.map(|a| a.preferred_username.clone()).filter(|n| !n.is_empty()).unwrap_or(fallback.clone()),
        host: host.to_string(),
        display_name: display.map(|a| a.name.clone()).filter(|n| !n.is_empty()).unwrap_or(fallback),
    }
}

/// A remote video's files as stored, lowest resolution first.
fn remote_files(files: &[VideoFileLinks]) -> Vec<RemoteFile> {
    let mut files: Vec<RemoteFile> = files
        .iter()
        .map(|f| RemoteFile {
            resolution: if f.width > 0 && f.height > 0 { f.width.min(f.height) } else { f.height },
            width: f.width,
            height: f.height,
            size: f.size,
            fps: f.fps,
            url: f.url.clone(),
            torrent_url: f.torrent_url.clone(),
            magnet_uri: f.magnet_uri.clone(),
            info_hash: MagnetLink::parse(&f.magnet_uri).map(|m| hex::encode(m.info_hash)).unwrap_or_default(),
        })
        .collect();
    files.sort_by_key(|f| f.resolution);
    files
}

fn origin_of(video: &RemoteVideo, account: RemoteActorRef, channel: Option<RemoteActorRef>) -> RemoteOrigin {
    let files = remote_files(&video.files);
    let hls = video.hls.as_ref().filter(|h| !h.files.is_empty()).map(|h| RemoteHls {
        playlist_url: h.playlist_url.clone(),
        segments_sha256_url: h.segments_sha256_url.clone(),
        files: remote_files(&h.files),
    });
    RemoteOrigin {
        url: video.id.clone(),
        host: video.host.clone(),
        account,
        channel,
        files,
        thumbnail_url: video.thumbnail.clone(),
        trackers: video.trackers.clone(),
        replies_need_approval: video.comments_policy == CommentsPolicy::RequiresApproval,
        hls,
    }
}

fn apply(record: &mut VideoRecord, video: &RemoteVideo, origin: RemoteOrigin) {
    let best = origin.files.last();
    record.name = video.name.clone();
    record.description = video.description.clone();
    record.privacy = if video.public { Privacy::Public } else { Privacy::Unlisted };
    record.language = video.language.clone();
    record.nsfw = video.sensitive;
    record.tags = video.tags.iter().take(5).cloned().collect();
    record.comments_enabled = video.comments_policy != CommentsPolicy::Disabled;
    record.download_enabled = video.download_enabled;
    record.updated_at = video.updated.clone().unwrap_or_else(now_rfc3339);
    record.published_at = video.published.clone().or_else(|| record.published_at.clone());
    // The origin counts views (ours are reported to it): its figure is authoritative.
    record.views = video.views;
    record.source.duration_secs = video.duration_secs as f64;
    record.source.width = best.map_or(0, |f| f.width);
    record.source.height = best.map_or(0, |f| f.height);
    record.source.fps = best.map_or(0.0, |f| f.fps);
    record.source.size = best.map_or(0, |f| f.size);
    record.remote = Some(origin);
}

/// Creates or updates the local copy of a remote video. `account` and `channel` are the
/// cached actors it is attributed to, when known (for names shown in the API).
pub async fn upsert(
    ctx: &Ctx,
    video: &RemoteVideo,
    account: Option<&super::remote_actors::RemoteActorRecord>,
    channel: Option<&super::remote_actors::RemoteActorRecord>,
) -> Result<VideoRecord, ApServiceError> {
    let _guard = ctx.remote_video_lock.lock().await;
    let account_ref = actor_ref(&video.account, &video.host, account);
    let channel_ref = video.channel.as_deref().map(|c| actor_ref(c, &video.host, channel));
    let origin = origin_of(video, account_ref, channel_ref);
    if let Some(id) = id_by_url(ctx, &video.id)? {
        let updated = repo::update(&ctx.store, id, |record| apply(record, video, origin.clone()))?;
        if let Some(record) = updated {
            ctx.store.flush().await?;
            return Ok(record);
        }
    }
    let id = ctx.store.next_id(counter::VIDEO_ID)?;
    let uuid = video
        .uuid
        .as_deref()
        .and_then(|u| Uuid::parse_str(u).ok())
        .filter(|u| matches!(repo::resolve_id(&ctx.store, &VideoKey::Uuid(*u)), Ok(None)))
        .unwrap_or_else(Uuid::new_v4);
    let now = now_rfc3339();
    let mut record = VideoRecord {
        id,
        uuid,
        short_uuid: shoal_protocol::short_uuid::encode(uuid),
        name: String::new(),
        description: None,
        privacy: Privacy::Public,
        channel_id: 0,
        account_id: 0,
        category: None,
        licence: None,
        language: None,
        nsfw: false,
        tags: Vec::new(),
        comments_enabled: true,
        download_enabled: true,
        wait_transcoding: false,
        created_at: now.clone(),
        updated_at: now,
        published_at: None,
        state: VideoState::Published,
        state_error: None,
        source: SourceInfo {
            path: Default::default(),
            original_filename: String::new(),
            width: 0,
            height: 0,
            fps: 0.0,
            frames: 0,
            duration_secs: 0.0,
            has_audio: true,
            size: 0,
            format: "remote".into(),
        },
        files: Vec::new(),
        pending_resolutions: Vec::new(),
        thumbnail: None,
        views: 0,
        likes: 0,
        dislikes: 0,
        remote: None,
        hls_swarms: Vec::new(),
    };
    apply(&mut record, video, origin);
    repo::insert_with_jobs(&ctx.store, &record, &[])?;
    ctx.store.videos_by_url.insert(video.id.as_bytes(), &keys::id_key(id))?;
    ctx.store.flush().await?;
    tracing::info!(video = %record.uuid, url = %video.id, host = %video.host, "remote video stored");
    Ok(record)
}

/// Removes the remote video `url` (its origin deleted it); false if unknown.
pub async fn remove(ctx: &Ctx, url: &str) -> Result<bool, ApServiceError> {
    let _guard = ctx.remote_video_lock.lock().await;
    let Some(record) = by_url(ctx, url)? else { return Ok(false) };
    if record.is_local() {
        return Ok(false);
    }
    repo::remove(&ctx.store, &record)?;
    ctx.store.videos_by_url.remove(url.as_bytes())?;
    ctx.store.flush().await?;
    tracing::info!(video = %record.uuid, url, "remote video removed");
    Ok(true)
}

/// Removes every remote video of `host` (this instance stopped following it).
pub async fn remove_host(ctx: &Ctx, host: &str) -> Result<usize, ApServiceError> {
    let mut urls = Vec::new();
    for entry in ctx.store.videos_by_url.iter() {
        let (url, _) = entry?;
        let url = String::from_utf8_lossy(&url).into_owned();
        if shoal_protocol::activitypub::host_of(&url).as_deref() == Some(host) {
            urls.push(url);
        }
    }
    let mut removed = 0;
    for url in urls {
        if remove(ctx, &url).await? {
            removed += 1;
        }
    }
    Ok(removed)
}
