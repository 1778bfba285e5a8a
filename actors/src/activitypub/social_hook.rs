//! Local comments, ratings and views, federated: the [`SocialHook`] the social service
//! calls once a change is stored. A comment goes out as a `Note` (Create / Delete) to the
//! video's origin when the video is remote, or to the video's followers when it is ours
//! (and to the author of the comment it answers); a rating of a remote video goes to its
//! origin as Like / Dislike / Undo; views of remote videos go to the origin as one `View`
//! per video and flush interval carrying the count.

use super::urls::INSTANCE_ACTOR_NAME;
use super::{follows, ApServiceError, Ctx};
use crate::social::{CommentAuthor, CommentRecord, Rating, SocialHook};
use crate::videos::record::VideoRecord;
use serde_json::json;
use shoal_protocol::activitypub::activity::{self, ActivityKind};
use shoal_protocol::activitypub::note::NoteObject;
use shoal_protocol::activitypub::PUBLIC;

/// The hook installed into the social service.
pub struct FederatingHook {
    pub ctx: Ctx,
}

impl FederatingHook {
    fn run(&self, what: &'static str, work: impl std::future::Future<Output = Result<(), ApServiceError>> + Send + 'static) {
        tokio::spawn(async move {
            if let Err(err) = work.await {
                tracing::warn!(error = %err, what, "federating a local change");
            }
        });
    }
}

impl SocialHook for FederatingHook {
    fn comment_created(&self, video: &VideoRecord, comment: &CommentRecord) {
        let (ctx, video, comment) = (self.ctx.clone(), video.clone(), comment.clone());
        self.run("comment", async move { send_comment(&ctx, &video, &comment, false).await });
    }

    fn comment_deleted(&self, video: &VideoRecord, comment: &CommentRecord) {
        let (ctx, video, comment) = (self.ctx.clone(), video.clone(), comment.clone());
        self.run("comment deletion", async move { send_comment(&ctx, &video, &comment, true).await });
    }

    fn rating_changed(&self, video: &VideoRecord, account_id: u64, old: Rating, new: Rating) {
        let (ctx, video) = (self.ctx.clone(), video.clone());
        self.run("rating", async move { send_rating(&ctx, &video, account_id, old, new).await });
    }

    fn views_flushed(&self, video: &VideoRecord, count: u64) {
        let (ctx, video) = (self.ctx.clone(), video.clone());
        self.run("views", async move { send_views(&ctx, &video, count).await });
    }
}

/// The inbox of a remote video's origin (its account's host's shared inbox).
async fn origin_inbox(ctx: &Ctx, video: &VideoRecord) -> Result<Option<String>, ApServiceError> {
    let Some(remote) = &video.remote else { return Ok(None) };
    let actor = super::remote_actors::get(ctx, &remote.account.url).await?;
    Ok(Some(actor.delivery_inbox().to_string()))
}

async fn send_comment(ctx: &Ctx, video: &VideoRecord, comment: &CommentRecord, deleted: bool) -> Result<(), ApServiceError> {
    let CommentAuthor::Local { account_id } = &comment.author else { return Ok(()) };
    let Some(user) = ctx.accounts.user(*account_id)? else { return Ok(()) };
    let author_path = format!("accounts/{}", user.username);
    let author = ctx.urls.actor_id(&author_path);
    let video_url = match &video.remote {
        Some(remote) => remote.url.clone(),
        None => ctx.urls.video(video.uuid),
    };
    let parent = match comment.in_reply_to {
        Some(parent_id) => ctx.social.comment(parent_id)?,
        None => None,
    };
    let in_reply_to = parent.as_ref().map_or(video_url, |p| p.url.clone());
    let mut inboxes = Vec::new();
    if let Some(inbox) = origin_inbox(ctx, video).await? {
        inboxes.push(inbox);
    } else {
        let (account_path, channel_path) = super::publisher::paths_of(ctx, video)?;
        inboxes = follows::follower_inboxes(&ctx.store, &[format!("accounts/{INSTANCE_ACTOR_NAME}"), account_path, channel_path])?;
    }
    if let Some(CommentAuthor::Remote(parent_author)) = parent.as_ref().map(|p| &p.author) {
        if let Ok(actor) = super::remote_actors::get(ctx, &parent_author.actor_url).await {
            let inbox = actor.delivery_inbox().to_string();
            if !inboxes.contains(&inbox) {
                inboxes.push(inbox);
            }
        }
    }
    let followers = format!("{author}/followers");
    let (kind, object) = if deleted {
        (ActivityKind::Delete, json!({ "type": "Tombstone", "id": comment.url }))
    } else {
        let note = NoteObject {
            id: comment.url.clone(),
            text: comment.text.clone(),
            in_reply_to,
            attributed_to: author.clone(),
            published: comment.created_at.clone(),
            updated: comment.updated_at.clone(),
            cc: vec![followers.clone()],
        };
        (ActivityKind::Create, note.to_object())
    };
    let id = ctx.urls.new_activity(&author, kind.as_str());
    let doc = activity::build(kind, &id, &author, object, &[PUBLIC.to_string()], &[followers]);
    ctx.deliver(&id, &doc, &author_path, inboxes).await?;
    Ok(())
}

async fn send_rating(ctx: &Ctx, video: &VideoRecord, account_id: u64, old: Rating, new: Rating) -> Result<(), ApServiceError> {
    let Some(remote) = &video.remote else { return Ok(()) };
    let Some(inbox) = origin_inbox(ctx, video).await? else { return Ok(()) };
    let Some(user) = ctx.accounts.user(account_id)? else { return Ok(()) };
    let path = format!("accounts/{}", user.username);
    let actor = ctx.urls.actor_id(&path);
    // Stable ids per (actor, video, kind), so an Undo names what it undoes.
    let rating_id = |kind: ActivityKind| format!("{actor}/{}/{}", kind.as_str().to_ascii_lowercase(), video.uuid);
    let rating_doc = |kind: ActivityKind| {
        json!({ "type": kind.as_str(), "id": rating_id(kind), "actor": actor, "object": remote.url })
    };
    let to = vec![remote.account.url.clone()];
    let mut activities = Vec::new();
    let undo_of = |kind: ActivityKind| {
        let id = ctx.urls.new_activity(&actor, "undo");
        let doc = activity::build(ActivityKind::Undo, &id, &actor, rating_doc(kind), &to, &[]);
        (id, doc)
    };
    match old {
        Rating::Like if new != Rating::Like => activities.push(undo_of(ActivityKind::Like)),
        Rating::Dislike if new != Rating::Dislike => activities.push(undo_of(ActivityKind::Dislike)),
        _ => {}
    }
    let positive = match new {
        Rating::Like if old != Rating::Like => Some(ActivityKind::Like),
        Rating::Dislike if old != Rating::Dislike => Some(ActivityKind::Dislike),
        _ => None,
    };
    if let Some(kind) = positive {
        let id = rating_id(kind);
        let doc = activity::build(kind, &id, &actor, json!(remote.url), &to, &[]);
        activities.push((id, doc));
    }
    for (id, doc) in activities {
        ctx.deliver(&id, &doc, &path, vec![inbox.clone()]).await?;
    }
    Ok(())
}

async fn send_views(ctx: &Ctx, video: &VideoRecord, count: u64) -> Result<(), ApServiceError> {
    let Some(remote) = &video.remote else { return Ok(()) };
    let Some(inbox) = origin_inbox(ctx, video).await? else { return Ok(()) };
    let path = format!("accounts/{INSTANCE_ACTOR_NAME}");
    let actor = ctx.urls.instance_actor();
    let id = ctx.urls.new_activity(&actor, "view");
    let doc = activity::view(&id, &actor, &remote.url, count, &[remote.account.url.clone()]);
    ctx.deliver(&id, &doc, &path, vec![inbox]).await?;
    Ok(())
}
