//! What each verified inbox activity does. Follow/Undo of a local actor (answered with an
//! Accept at the follower's own inbox, as PeerTube requires), Accept/Reject of our
//! follows, Create/Update/Delete/Announce of videos (only from followed hosts) and
//! comments, CacheFiles of mirrored copies (see [`super::cache_files`]), Like/Dislike/View
//! of local videos, PeerTube 8's ApproveReply/RejectReply of
//! comments made here. Objects from another host than the sender's are fetched from
//! their origin, never taken from the activity.

use super::remote_actors::RemoteActorRecord;
use super::{follows, remote_videos, replies, ApServiceError, Ctx};
use crate::clock::now_rfc3339;
use crate::social::{ApprovalOutcome, CommentAuthor, Rating, RemoteAuthor};
use crate::videos::record::VideoKey;
use crate::videos::repo;
use serde_json::{json, Value};
use shoal_protocol::activitypub::activity::{self, ActivityKind};
use shoal_protocol::activitypub::note::RemoteNote;
use shoal_protocol::activitypub::video::RemoteVideo;
use shoal_protocol::activitypub::{same_host, Activity, ObjectRef};

/// Applies a verified activity from `actor`.
pub async fn process(ctx: &Ctx, actor: &RemoteActorRecord, activity: Activity) -> Result<(), ApServiceError> {
    match activity.kind {
        ActivityKind::Follow => follow(ctx, actor, &activity).await,
        ActivityKind::Accept => accept(ctx, actor, &activity).await,
        ActivityKind::Reject => reject(ctx, actor, &activity).await,
        ActivityKind::Undo => undo(ctx, actor, &activity).await,
        ActivityKind::Create | ActivityKind::Update => create_or_update(ctx, actor, &activity).await,
        ActivityKind::Delete => delete(ctx, actor, &activity).await,
        ActivityKind::Announce => announce(ctx, actor, &activity).await,
        ActivityKind::Like => rate(ctx, actor, &activity, Rating::Like).await,
        ActivityKind::Dislike => rate(ctx, actor, &activity, Rating::Dislike).await,
        ActivityKind::View => view(ctx, &activity),
        ActivityKind::ApproveReply | ActivityKind::RejectReply => reply_approval(ctx, actor, &activity).await,
    }
}

fn object_id(activity: &Activity) -> Result<&str, ApServiceError> {
    activity.object.id().ok_or_else(|| ApServiceError::Invalid("the object has no id".into()))
}

/// A remote actor follows a local one: remember it and answer with an Accept.
async fn follow(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity) -> Result<(), ApServiceError> {
    let target = object_id(activity)?;
    let Some(path) = ctx.urls.actor_path(target) else {
        return Err(ApServiceError::Invalid(format!("{target} is not an actor of this instance")));
    };
    if super::documents::local_actor(ctx, target).await?.is_none() {
        return Err(ApServiceError::NotFound(format!("no actor {target}")));
    }
    let record = follows::FollowerRecord {
        actor: actor.id.clone(),
        host: actor.host.clone(),
        inbox: actor.delivery_inbox().to_string(),
        follow_id: activity.id.clone(),
        created_at: now_rfc3339(),
    };
    follows::add_follower(&ctx.store, &path, &record)?;
    // PeerTube 8 takes only draft-cavage signatures: learnt in the background (until then
    // the 401/403 fallback covers it).
    super::fetch::learn_software_soon(ctx, &actor.host);
    ctx.store.flush().await?;
    let follow = json!({ "type": "Follow", "id": activity.id, "actor": actor.id, "object": target });
    let accept_id = ctx.urls.new_activity(target, "accept");
    let accept =
        activity::build(ActivityKind::Accept, &accept_id, target, follow, std::slice::from_ref(&actor.id), &[]);
    // The follower's own inbox, never the shared one: PeerTube takes an Accept only there
    // ("Need to accept on explicit inbox").
    ctx.deliver(&accept_id, &accept, &path, vec![actor.inbox.clone()]).await?;
    tracing::info!(follower = %actor.id, followed = %target, "new follower");
    Ok(())
}

/// A remote actor accepted a follow of ours.
async fn accept(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity) -> Result<(), ApServiceError> {
    let Some(mut record) = follows::following(&ctx.store, &actor.id)? else {
        return Err(ApServiceError::Invalid(format!("{} accepted a follow this instance did not ask for", actor.id)));
    };
    // The object is our Follow: its id, or the Follow embedded (some servers give it a
    // new id but keep our actor and their own as its object).
    let ours = match &activity.object {
        ObjectRef::Id(id) => *id == record.follow_id,
        ObjectRef::Embedded(follow) => {
            activity.object.id() == Some(record.follow_id.as_str())
                || (follow.get("actor").and_then(Value::as_str) == Some(ctx.urls.instance_actor().as_str())
                    && follow.get("object").and_then(shoal_protocol::activitypub::json_id) == Some(actor.id.as_str()))
        }
    };
    if !ours {
        return Err(ApServiceError::Invalid(format!("not an answer to our follow of {}", actor.id)));
    }
    record.state = follows::FollowState::Accepted;
    follows::put_following(&ctx.store, &record)?;
    ctx.store.flush().await?;
    tracing::info!(followed = %actor.id, "follow accepted");
    super::outbox_crawl::spawn(ctx.clone(), actor.clone());
    Ok(())
}

/// A remote actor refused our follow, or removed us from its followers (PeerTube's
/// "remove follower"): we no longer follow it, and its host's videos go unless another
/// follow still covers that host.
async fn reject(ctx: &Ctx, actor: &RemoteActorRecord, _activity: &Activity) -> Result<(), ApServiceError> {
    if follows::remove_following(&ctx.store, &actor.id)?.is_none() {
        return Ok(());
    }
    let removed = if follows::follows_host(&ctx.store, &actor.host)? {
        0
    } else {
        remote_videos::remove_host(ctx, &actor.host).await?
    };
    ctx.store.flush().await?;
    tracing::info!(followed = %actor.id, removed_videos = removed, "follow rejected or ended by the followed side");
    Ok(())
}

async fn undo(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity) -> Result<(), ApServiceError> {
    let ObjectRef::Embedded(inner) = &activity.object else {
        // Mastodon and PeerTube embed what they undo; a bare id could only be a follow.
        let id = object_id(activity)?;
        return undo_follow_by_id(ctx, actor, id);
    };
    let inner = match Activity::from_value(inner.clone()) {
        Ok(inner) => inner,
        Err(shoal_protocol::activitypub::ApError::Unsupported(kind)) => {
            tracing::info!(kind = %kind, actor = %actor.id, "undo of an unhandled activity type: ignored");
            ctx.metrics.inbox_ignored(&kind);
            return Ok(());
        }
        Err(err) => return Err(err.into()),
    };
    if inner.actor != actor.id {
        return Err(ApServiceError::Forbidden("an actor can only undo its own activities".into()));
    }
    match inner.kind {
        ActivityKind::Follow => {
            let target = object_id(&inner)?;
            if let Some(path) = ctx.urls.actor_path(target) {
                follows::remove_follower(&ctx.store, &path, &actor.id)?;
                ctx.store.flush().await?;
                tracing::info!(follower = %actor.id, followed = %target, "follower left");
            }
            Ok(())
        }
        ActivityKind::Like | ActivityKind::Dislike => rate(ctx, actor, &inner, Rating::None).await,
        ActivityKind::Create if is_cache_file(&inner) => super::cache_files::undo(ctx, actor, &inner).await,
        _ => Ok(()),
    }
}

/// A Create whose object is a CacheFile (embedded, or a `/redundancy/` id: PeerTube's
/// Undo embeds it, but a bare id names one just as well).
fn is_cache_file(activity: &Activity) -> bool {
    match &activity.object {
        ObjectRef::Embedded(_) => activity.object.embedded_type() == Some("CacheFile"),
        ObjectRef::Id(id) => id.contains("/redundancy/"),
    }
}

fn undo_follow_by_id(ctx: &Ctx, actor: &RemoteActorRecord, follow_id: &str) -> Result<(), ApServiceError> {
    for entry in ctx.store.followers.iter() {
        let (key, value) = entry?;
        let record: follows::FollowerRecord = crate::store::codec::decode(crate::store::tree::FOLLOWERS, &value)?;
        if record.follow_id == follow_id && record.actor == actor.id {
            ctx.store.followers.remove(key)?;
        }
    }
    Ok(())
}

/// The object of a Create/Update/Announce: embedded when from the sender's host,
/// otherwise (or when only an id is given) fetched from its origin.
async fn object_document(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity) -> Result<Value, ApServiceError> {
    match &activity.object {
        ObjectRef::Embedded(doc) if activity.object.id().is_some_and(|id| same_host(id, &actor.id)) => Ok(doc.clone()),
        _ => Ok(super::fetch::document(ctx, object_id(activity)?).await?.value),
    }
}

async fn create_or_update(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity) -> Result<(), ApServiceError> {
    let kind = activity.object.embedded_type().map(str::to_string);
    match kind.as_deref() {
        Some("Note") => {
            let doc = object_document(ctx, actor, activity).await?;
            let note = RemoteNote::parse(&doc)?;
            if note.attributed_to != actor.id {
                return Err(ApServiceError::Forbidden("a note must be sent by its author".into()));
            }
            if activity.kind == ActivityKind::Update {
                // Comment edits are not kept; the original text stays.
                return Ok(());
            }
            replies::receive_note(ctx, actor, note).await
        }
        Some("Video") => {
            if !follows::follows_host(&ctx.store, &actor.host)?
                && remote_videos::by_url(ctx, object_id(activity)?)?.is_none()
            {
                tracing::debug!(host = %actor.host, "video from a host this instance does not follow: ignored");
                return Ok(());
            }
            let doc = object_document(ctx, actor, activity).await?;
            store_video(ctx, &doc).await
        }
        Some("CacheFile") => super::cache_files::receive(ctx, actor, activity).await,
        Some("Person" | "Group" | "Application" | "Service" | "Organization") => {
            super::remote_actors::fetch(ctx, &actor.id).await.map(|_| ())
        }
        Some(other) => {
            tracing::debug!(kind = other, "create/update of an unsupported object: ignored");
            Ok(())
        }
        None => Err(ApServiceError::Invalid("Create and Update must embed their object".into())),
    }
}

/// Stores a remote `Video` document.
pub(super) async fn store_video(ctx: &Ctx, doc: &Value) -> Result<(), ApServiceError> {
    let video = RemoteVideo::parse(doc)?;
    let account = super::remote_actors::get(ctx, &video.account).await.ok();
    let channel = match &video.channel {
        Some(c) => super::remote_actors::get(ctx, c).await.ok(),
        None => None,
    };
    remote_videos::upsert(ctx, &video, account.as_ref(), channel.as_ref()).await?;
    Ok(())
}

async fn delete(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity) -> Result<(), ApServiceError> {
    let id = object_id(activity)?;
    if id == actor.id {
        let removed = follows::remove_actor_everywhere(&ctx.store, &actor.id)?;
        ctx.store.remote_actors.remove(actor.id.as_bytes())?;
        tracing::info!(actor = %actor.id, removed, "remote actor deleted");
        return Ok(());
    }
    if remote_videos::remove(ctx, id).await? {
        return Ok(());
    }
    match ctx.social.delete_remote_comment(id, &actor.id).await {
        Ok(_) | Err(crate::error::SocialError::CommentNotFound) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

async fn announce(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity) -> Result<(), ApServiceError> {
    if !follows::follows_host(&ctx.store, &actor.host)? {
        return Ok(());
    }
    // Whatever is embedded, the announced object comes from its origin.
    let fetched = super::fetch::document(ctx, object_id(activity)?).await?;
    if fetched.value.get("type").and_then(Value::as_str) == Some("Video") {
        store_video(ctx, &fetched.value).await?;
    }
    Ok(())
}

/// The id of the local video a URL names.
fn local_video_id(ctx: &Ctx, url: &str) -> Result<Option<u64>, ApServiceError> {
    match ctx.urls.parse(url) {
        Some(super::urls::LocalObject::Video(uuid)) => Ok(repo::resolve_id(&ctx.store, &VideoKey::Uuid(uuid))?),
        _ => Ok(None),
    }
}

async fn rate(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity, rating: Rating) -> Result<(), ApServiceError> {
    let target = object_id(activity)?;
    let Some(video_id) = local_video_id(ctx, target)? else {
        // A rating of a video that is not ours: its origin counts it.
        return Ok(());
    };
    ctx.social.rate_remote(video_id, &actor.id, rating).await?;
    Ok(())
}

fn view(ctx: &Ctx, activity: &Activity) -> Result<(), ApServiceError> {
    if activity.expires.is_some() {
        // PeerTube's count of current viewers, not a view: nothing to add.
        return Ok(());
    }
    let target = object_id(activity)?;
    if let Some(video_id) = local_video_id(ctx, target)? {
        ctx.social.add_views(video_id, activity.view_count.min(super::MAX_VIEWS_PER_ACTIVITY));
    }
    Ok(())
}

/// PeerTube 8's answer to a comment made here on one of its videos: `ApproveReply`
/// releases it, `RejectReply` holds it (see [`crate::social::reply_approval`]).
async fn reply_approval(ctx: &Ctx, actor: &RemoteActorRecord, activity: &Activity) -> Result<(), ApServiceError> {
    let comment = object_id(activity)?;
    if !matches!(ctx.urls.parse(comment), Some(super::urls::LocalObject::Comment(..))) {
        return Err(ApServiceError::Invalid(format!("{comment} is not a comment of this instance")));
    }
    let outcome = match activity.kind {
        ActivityKind::ApproveReply => ctx.social.approve_reply(comment, &activity.id, &actor.id).await,
        _ => ctx.social.reject_reply(comment, &actor.id).await,
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(crate::error::SocialError::CommentNotFound) => {
            return Err(ApServiceError::NotFound(format!("no comment {comment}")));
        }
        Err(err) => return Err(err.into()),
    };
    let changed = matches!(outcome, ApprovalOutcome::Changed(_));
    tracing::info!(comment, kind = activity.kind.as_str(), by = %actor.id, changed, "reply approval");
    Ok(())
}

/// A remote author as comments record it.
pub fn remote_author(actor: &RemoteActorRecord) -> CommentAuthor {
    CommentAuthor::Remote(RemoteAuthor {
        actor_url: actor.id.clone(),
        name: actor.preferred_username.clone(),
        host: actor.host.clone(),
        display_name: actor.name.clone(),
    })
}
