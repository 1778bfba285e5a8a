//! Remote comments: a `Note` replying to a video or comment this instance knows becomes
//! a comment at once; a reply to something unknown starts a background walk up its
//! `inReplyTo` chain (each parent fetched from its own origin) that stops at a known
//! video or comment, or gives up past `federation.max_reply_depth` and stores nothing.

use super::remote_actors::RemoteActorRecord;
use super::{receive, remote_videos, ApServiceError, Ctx};
use crate::videos::record::VideoKey;
use crate::videos::repo;
use shoal_protocol::activitypub::activity::{self, ActivityKind};
use shoal_protocol::activitypub::note::RemoteNote;

/// The video a reply target belongs to: a local or known remote video, or the video of
/// a known comment.
fn video_of_target(ctx: &Ctx, target: &str) -> Result<Option<u64>, ApServiceError> {
    if let Some(super::urls::LocalObject::Video(uuid)) = ctx.urls.parse(target) {
        return Ok(repo::resolve_id(&ctx.store, &VideoKey::Uuid(uuid))?);
    }
    if let Some(id) = remote_videos::id_by_url(ctx, target)? {
        return Ok(Some(id));
    }
    Ok(ctx.social.comment_by_url(target)?.map(|c| c.video_id))
}

/// Takes in a note sent by its author `actor`.
pub async fn receive_note(ctx: &Ctx, actor: &RemoteActorRecord, note: RemoteNote) -> Result<(), ApServiceError> {
    if let Some(video_id) = video_of_target(ctx, &note.in_reply_to)? {
        return add(ctx, video_id, actor, &note).await;
    }
    let ctx = ctx.clone();
    let actor = actor.clone();
    tokio::spawn(async move {
        if let Err(err) = resolve_chain(&ctx, actor, note).await {
            tracing::info!(error = %err, "reply chain not resolved; nothing stored");
        }
    });
    Ok(())
}

async fn add(ctx: &Ctx, video_id: u64, actor: &RemoteActorRecord, note: &RemoteNote) -> Result<(), ApServiceError> {
    let crate::social::CommentAuthor::Remote(author) = receive::remote_author(actor) else {
        return Err(ApServiceError::Internal("remote author expected".into()));
    };
    let outcome = ctx
        .social
        .add_remote_comment(video_id, &note.id, &note.in_reply_to, &note.text, author, note.published.clone())
        .await?;
    tracing::debug!(note = %note.id, ?outcome, "remote comment");
    if let crate::social::AddOutcome::Added(comment) = outcome {
        approve(ctx, actor, &comment, &note.in_reply_to).await?;
    }
    Ok(())
}

/// Sends PeerTube's `ApproveReply` for a new remote comment on a local video, as the
/// video's account (the only actor PeerTube takes it from), to the author's own inbox.
async fn approve(
    ctx: &Ctx,
    author: &RemoteActorRecord,
    comment: &crate::social::CommentRecord,
    in_reply_to: &str,
) -> Result<(), ApServiceError> {
    let Some(video) = repo::load(&ctx.store, comment.video_id)? else { return Ok(()) };
    if !video.is_local() {
        return Ok(());
    }
    let (account_path, _) = super::publisher::paths_of(ctx, &video)?;
    let owner = ctx.urls.actor_id(&account_path);
    let id = format!("{}/approve-reply", comment.url);
    let doc = activity::reply_approval(ActivityKind::ApproveReply, &id, &owner, &comment.url, in_reply_to);
    ctx.deliver(&id, &doc, &account_path, vec![author.inbox.clone()]).await?;
    Ok(())
}

/// Walks up from `note` until a known target, then stores the chain top-down.
async fn resolve_chain(ctx: &Ctx, actor: RemoteActorRecord, note: RemoteNote) -> Result<(), ApServiceError> {
    let max_depth = ctx.config.federation.max_reply_depth;
    let mut chain = vec![(actor, note)];
    loop {
        let parent = chain.last().map(|(_, n)| n.in_reply_to.clone()).unwrap_or_default();
        if let Some(video_id) = video_of_target(ctx, &parent)? {
            for (author, note) in chain.iter().rev() {
                add(ctx, video_id, author, note).await?;
            }
            return Ok(());
        }
        if chain.len() > max_depth {
            return Err(ApServiceError::Invalid(format!("reply chain deeper than {max_depth}")));
        }
        let fetched = super::fetch::document(ctx, &parent).await?;
        let parent_note = RemoteNote::parse(&fetched.value)?;
        let author = super::remote_actors::get(ctx, &parent_note.attributed_to).await?;
        chain.push((author, parent_note));
    }
}
