//! The ActivityPub documents of local things: the instance, account and channel actors
//! (with their public keys), a local video's `Video` object and a local comment's
//! `Note`, built from the records in sled.

use super::urls::INSTANCE_ACTOR_NAME;
use super::{ApServiceError, Ctx};
use crate::accounts::{ChannelRecord, UserRecord};
use crate::media::THUMBNAIL_WIDTH;
use crate::social::{CommentAuthor, CommentRecord};
use crate::torrent_file::{http_announce_url, ws_tracker_url};
use crate::videos::record::{Privacy, VideoFileRecord, VideoRecord};
use shoal_protocol::activitypub::actor::{ActorKind, LocalActor};
use shoal_protocol::activitypub::note::NoteObject;
use shoal_protocol::activitypub::video::{HlsPlaylistLinks, VideoFileLinks, VideoObject};
use shoal_protocol::hls::swarm_ids;
use shoal_protocol::media_layout::{HlsFile, MediaUrls};

/// The instance actor (`Application`).
pub async fn instance_actor(ctx: &Ctx) -> Result<LocalActor, ApServiceError> {
    let path = format!("accounts/{INSTANCE_ACTOR_NAME}");
    let key = ctx.keys.get_or_create(&path).await?;
    Ok(LocalActor {
        kind: ActorKind::Application,
        id: ctx.urls.instance_actor(),
        preferred_username: INSTANCE_ACTOR_NAME.into(),
        name: ctx.config.instance.name.clone(),
        summary: Some(ctx.config.instance.short_description.clone()),
        shared_inbox: ctx.urls.shared_inbox(),
        public_key_pem: key.public_key_pem(),
        published: "1970-01-01T00:00:00.000Z".into(),
        owner: None,
    })
}

/// A user's account actor (`Person`).
pub async fn account_actor(ctx: &Ctx, user: &UserRecord) -> Result<LocalActor, ApServiceError> {
    let key = ctx.keys.get_or_create(&format!("accounts/{}", user.username)).await?;
    Ok(LocalActor {
        kind: ActorKind::Person,
        id: ctx.urls.account(&user.username),
        preferred_username: user.username.clone(),
        name: user.display_name.clone(),
        summary: None,
        shared_inbox: ctx.urls.shared_inbox(),
        public_key_pem: key.public_key_pem(),
        published: user.created_at.clone(),
        owner: None,
    })
}

/// A channel's actor (`Group`), attributed to its account.
pub async fn channel_actor(ctx: &Ctx, channel: &ChannelRecord) -> Result<LocalActor, ApServiceError> {
    let key = ctx.keys.get_or_create(&format!("video-channels/{}", channel.name)).await?;
    let owner = ctx.accounts.user(channel.account_id)?.map(|u| ctx.urls.account(&u.username));
    Ok(LocalActor {
        kind: ActorKind::Group,
        id: ctx.urls.channel(&channel.name),
        preferred_username: channel.name.clone(),
        name: channel.display_name.clone(),
        summary: channel.description.clone(),
        shared_inbox: ctx.urls.shared_inbox(),
        public_key_pem: key.public_key_pem(),
        published: channel.created_at.clone(),
        owner,
    })
}

/// The local actor (path and document) that `actor_id` names, if any.
pub async fn local_actor(ctx: &Ctx, actor_id: &str) -> Result<Option<LocalActor>, ApServiceError> {
    use super::urls::LocalObject;
    match ctx.urls.parse(actor_id) {
        Some(LocalObject::Instance) => Ok(Some(instance_actor(ctx).await?)),
        Some(LocalObject::Account(name)) => match ctx.accounts.user_by_name(&name)? {
            Some(user) => Ok(Some(account_actor(ctx, &user).await?)),
            None => Ok(None),
        },
        Some(LocalObject::Channel(name)) => match ctx.accounts.channel_by_name(&name)? {
            Some(channel) => Ok(Some(channel_actor(ctx, &channel).await?)),
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

/// The account and channel actor ids of a local video.
pub fn video_actors(ctx: &Ctx, video: &VideoRecord) -> Result<(String, String), ApServiceError> {
    let account = match ctx.accounts.user(video.account_id)? {
        Some(user) => ctx.urls.account(&user.username),
        None => ctx.urls.instance_actor(),
    };
    let channel = match ctx.accounts.channel(video.channel_id)? {
        Some(channel) => ctx.urls.channel(&channel.name),
        None => account.clone(),
    };
    Ok((account, channel))
}

/// The `Video` object of a local video.
pub fn video_object(ctx: &Ctx, video: &VideoRecord) -> Result<VideoObject, ApServiceError> {
    let (account, channel) = video_actors(ctx, video)?;
    let base = ctx.urls.base();
    let media = MediaUrls::new(base);
    let links = |f: &VideoFileRecord, url: String| VideoFileLinks {
        media_type: if f.filename.ends_with(".webm") { "video/webm" } else { "video/mp4" }.into(),
        url,
        torrent_url: media.torrent(&f.torrent_filename),
        magnet_uri: f.magnet_uri.clone(),
        width: f.width,
        height: f.height,
        size: f.size,
        fps: f.fps,
    };
    let files = video.files.iter().map(|f| links(f, media.web_video(&f.filename))).collect();
    let uuid = video.uuid.to_string();
    let fragmented: Vec<&VideoFileRecord> = video.files.iter().filter(|f| f.hls.is_some()).collect();
    let hls = (!fragmented.is_empty()).then(|| {
        let playlist_url = media.hls(&uuid, HlsFile::Master);
        HlsPlaylistLinks {
            info_hashes: (0..fragmented.len())
                .map(|i| hex::encode(swarm_ids::v2_info_hash(&playlist_url, i)))
                .collect(),
            segments_sha256_url: media.hls(&uuid, HlsFile::SegmentsSha256),
            playlist_url,
            // Highest first, as PeerTube lists them.
            files: fragmented
                .iter()
                .rev()
                .map(|f| links(f, media.hls(&uuid, HlsFile::Fragmented(f.resolution))))
                .collect(),
            has_audio: video.source.has_audio,
        }
    });
    let thumbnail = video.thumbnail.as_ref().map(|t| {
        let (w, h) = (video.source.width.max(1), video.source.height.max(1));
        let height = (u64::from(THUMBNAIL_WIDTH) * u64::from(h) / u64::from(w)) as u32;
        (media.thumbnail(t), THUMBNAIL_WIDTH, height)
    });
    Ok(VideoObject {
        id: ctx.urls.video(video.uuid),
        uuid: video.uuid.to_string(),
        name: video.name.clone(),
        description: video.description.clone(),
        duration_secs: video.source.duration_secs.max(0.0).round() as u64,
        published: video.published_at.clone().unwrap_or_else(|| video.created_at.clone()),
        updated: video.updated_at.clone(),
        views: video.views,
        sensitive: video.nsfw,
        comments_enabled: video.comments_enabled,
        download_enabled: video.download_enabled,
        wait_transcoding: video.wait_transcoding,
        state: video.state.id(),
        tags: video.tags.clone(),
        category: video.category,
        licence: video.licence,
        language: video.language.clone(),
        account,
        channel,
        files,
        hls,
        thumbnail,
        tracker_http: ctx.config.tracker.enabled.then(|| http_announce_url(base)),
        tracker_websocket: ctx.config.tracker.enabled.then(|| ws_tracker_url(base)),
        public: video.privacy == Privacy::Public,
    })
}

/// A video's ActivityPub id: its origin's for a remote video.
pub fn video_url(ctx: &Ctx, video: &VideoRecord) -> String {
    match &video.remote {
        Some(remote) => remote.url.clone(),
        None => ctx.urls.video(video.uuid),
    }
}

/// The `Note` of a comment written by a local account, with the path of that account's
/// actor (its key signs the note) and the parent comment, if any; `None` for a remote
/// author's comment or a vanished account.
pub fn comment_note(
    ctx: &Ctx,
    video: &VideoRecord,
    comment: &CommentRecord,
) -> Result<Option<(NoteObject, String, Option<CommentRecord>)>, ApServiceError> {
    let CommentAuthor::Local { account_id } = &comment.author else { return Ok(None) };
    let Some(user) = ctx.accounts.user(*account_id)? else { return Ok(None) };
    let author_path = format!("accounts/{}", user.username);
    let author = ctx.urls.actor_id(&author_path);
    let parent = match comment.in_reply_to {
        Some(parent_id) => ctx.social.comment(video.id, parent_id)?,
        None => None,
    };
    let note = NoteObject {
        id: comment.url.clone(),
        text: comment.text.clone(),
        in_reply_to: parent.as_ref().map_or_else(|| video_url(ctx, video), |p| p.url.clone()),
        published: comment.created_at.clone(),
        updated: comment.updated_at.clone(),
        cc: vec![format!("{author}/followers")],
        attributed_to: author,
        reply_approval: comment.reply_approval.clone(),
    };
    Ok(Some((note, author_path, parent)))
}

/// True when a local video is shown to other servers: published and public or unlisted.
pub fn is_federated(video: &VideoRecord) -> bool {
    video.is_local()
        && video.state == crate::videos::record::VideoState::Published
        && matches!(video.privacy, Privacy::Public | Privacy::Unlisted)
}
