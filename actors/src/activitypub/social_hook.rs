//! Local comments, ratings and views, federated: the [`SocialHook`] the social service
//! calls once a change is stored. A comment goes out as a `Note` (Create / Delete) to the
//! video's origin when the video is remote, or to the video's followers when it is ours
//! (and to the author of the comment it answers); a rating of a remote video goes to its
//! origin as Like / Dislike / Undo; views of remote videos go to the origin as one `View`
//! per video and flush interval carrying the count. A crash between storing a change and
//! queueing its activity loses that activity (the queue itself survives crashes).

use super::urls::INSTANCE_ACTOR_NAME;
use super::{follows, ApServiceError, Ctx};
use crate::social::{CommentAuthor, CommentRecord, Rating, SocialHook};
use crate::videos::record::VideoRecord;
use serde_json::json;
use shoal_protocol::activitypub::activity::{self, ActivityKind};
use shoal_protocol::activitypub::PUBLIC;
use tokio::sync::mpsc;

/// One local change to federate.
enum Change {
    Comment { video: Box<VideoRecord>, comment: Box<CommentRecord>, deleted: bool },
    Rating { video: Box<VideoRecord>, account_id: u64, old: Rating, new: Rating },
    Views { video: Box<VideoRecord>, count: u64 },
}

/// The hook installed into the social service. Changes are federated one at a time, in
/// the order they happened, by one task: deliveries to a host keep that order.
pub struct FederatingHook {
    tx: mpsc::UnboundedSender<Change>,
}

impl FederatingHook {
    /// The hook and its worker task.
    pub fn start(ctx: Ctx) -> (FederatingHook, tokio::task::AbortHandle) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Change>();
        let worker = tokio::spawn(async move {
            while let Some(change) = rx.recv().await {
                let (what, result) = match change {
                    Change::Comment { video, comment, deleted } => {
                        ("comment", send_comment(&ctx, &video, &comment, deleted).await)
                    }
                    Change::Rating { video, account_id, old, new } => {
                        ("rating", send_rating(&ctx, &video, account_id, old, new).await)
                    }
                    Change::Views { video, count } => ("views", send_views(&ctx, &video, count).await),
                };
                if let Err(err) = result {
                    tracing::warn!(error = %err, what, "federating a local change");
                }
            }
        });
        (FederatingHook { tx }, worker.abort_handle())
    }

    fn send(&self, change: Change) {
        if self.tx.send(change).is_err() {
            tracing::warn!("the federation worker has stopped; a local change is not federated");
        }
    }
}

impl SocialHook for FederatingHook {
    fn comment_created(&self, video: &VideoRecord, comment: &CommentRecord) {
        self.send(Change::Comment {
            video: Box::new(video.clone()),
            comment: Box::new(comment.clone()),
            deleted: false,
        });
    }

    fn comment_deleted(&self, video: &VideoRecord, comment: &CommentRecord) {
        self.send(Change::Comment {
            video: Box::new(video.clone()),
            comment: Box::new(comment.clone()),
            deleted: true,
        });
    }

    fn rating_changed(&self, video: &VideoRecord, account_id: u64, old: Rating, new: Rating) {
        self.send(Change::Rating { video: Box::new(video.clone()), account_id, old, new });
    }

    fn views_flushed(&self, video: &VideoRecord, count: u64) {
        self.send(Change::Views { video: Box::new(video.clone()), count });
    }
}

/// The inbox of a remote video's origin (its account's host's shared inbox).
async fn origin_inbox(ctx: &Ctx, video: &VideoRecord) -> Result<Option<String>, ApServiceError> {
    let Some(remote) = &video.remote else { return Ok(None) };
    let actor = super::remote_actors::get(ctx, &remote.account.url).await?;
    Ok(Some(actor.delivery_inbox().to_string()))
}

async fn send_comment(
    ctx: &Ctx,
    video: &VideoRecord,
    comment: &CommentRecord,
    deleted: bool,
) -> Result<(), ApServiceError> {
    let Some((note, author_path, parent)) = super::documents::comment_note(ctx, video, comment)? else {
        return Ok(());
    };
    let author = note.attributed_to.clone();
    let mut inboxes = Vec::new();
    if let Some(inbox) = origin_inbox(ctx, video).await? {
        inboxes.push(inbox);
    } else {
        let (account_path, channel_path) = super::publisher::paths_of(ctx, video)?;
        inboxes = follows::follower_inboxes(
            &ctx.store,
            &[format!("accounts/{INSTANCE_ACTOR_NAME}"), account_path, channel_path],
        )?;
    }
    // A comment held for review goes to the video's origin only, as PeerTube sends one.
    let parent_author = parent.as_ref().filter(|_| !comment.held_for_review).map(|p| &p.author);
    if let Some(CommentAuthor::Remote(parent_author)) = parent_author {
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
        (ActivityKind::Create, note.to_object())
    };
    let id = ctx.urls.new_activity(&author, kind.as_str());
    let doc = activity::build(kind, &id, &author, object, &[PUBLIC.to_string()], &[followers]);
    ctx.deliver(&id, &doc, &author_path, inboxes).await?;
    Ok(())
}

async fn send_rating(
    ctx: &Ctx,
    video: &VideoRecord,
    account_id: u64,
    old: Rating,
    new: Rating,
) -> Result<(), ApServiceError> {
    let Some(remote) = &video.remote else { return Ok(()) };
    let Some(inbox) = origin_inbox(ctx, video).await? else { return Ok(()) };
    let Some(user) = ctx.accounts.user(account_id)? else { return Ok(()) };
    let path = format!("accounts/{}", user.username);
    let actor = ctx.urls.actor_id(&path);
    // Stable ids per (actor, video, kind), so an Undo names what it undoes.
    let rating_id = |kind: ActivityKind| format!("{actor}/{}/{}", kind.as_str().to_ascii_lowercase(), video.uuid);
    let rating_doc = |kind: ActivityKind| json!({ "type": kind.as_str(), "id": rating_id(kind), "actor": actor, "object": remote.url });
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

/// Views of one flush sent as one `View` each (see [`send_views`]).
const SINGLE_VIEWS_PER_FLUSH: u64 = 1_000;

async fn send_views(ctx: &Ctx, video: &VideoRecord, count: u64) -> Result<(), ApServiceError> {
    let Some(remote) = &video.remote else { return Ok(()) };
    let Some(inbox) = origin_inbox(ctx, video).await? else { return Ok(()) };
    let path = format!("accounts/{INSTANCE_ACTOR_NAME}");
    let actor = ctx.urls.instance_actor();
    // PeerTube counts one view per `View` activity (and ignores Shoal's `viewCount`), so
    // each view is its own activity, up to SINGLE_VIEWS_PER_FLUSH; a rare excess beyond
    // that goes in one coalesced View that Shoal origins count in full.
    let single = count.min(SINGLE_VIEWS_PER_FLUSH);
    let mut activities = vec![1; usize::try_from(single).unwrap_or(0)];
    if count > single {
        activities.push(count - single);
    }
    for n in activities {
        let id = ctx.urls.new_activity(&actor, "view");
        let doc = activity::view(&id, &actor, &remote.url, n, std::slice::from_ref(&remote.account.url));
        ctx.deliver(&id, &doc, &path, vec![inbox.clone()]).await?;
    }
    Ok(())
}
