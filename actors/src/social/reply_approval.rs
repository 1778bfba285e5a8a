//! PeerTube 8's reply approval, for comments made here on other instances' videos: the
//! video's owner answers each reply with `ApproveReply` (its id becomes the comment's
//! `replyApproval`), and a comment held for review (the origin's comments policy 3) is
//! released by it. `RejectReply` (defined by PeerTube, not sent by 8.0) holds it again.

use super::comment::{CommentAuthor, CommentRecord};
use super::comment_store;
use super::Social;
use crate::error::SocialError;
use crate::videos::VideoRecord;

/// What an approval or a rejection changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalOutcome {
    /// The comment's state changed (it was released, or held).
    Changed(Box<CommentRecord>),
    /// It was already in that state with that approval.
    Unchanged,
}

impl Social {
    /// `by_actor` approves local comment `url` with the approval activity `approval_id`.
    /// Only the owner of the (remote) video it answers may: its account, or its channel.
    pub async fn approve_reply(
        &self,
        url: &str,
        approval_id: &str,
        by_actor: &str,
    ) -> Result<ApprovalOutcome, SocialError> {
        let (video, mut comment) = self.owned_reply(url, by_actor)?;
        if !comment.held_for_review && comment.reply_approval.as_deref() == Some(approval_id) {
            return Ok(ApprovalOutcome::Unchanged);
        }
        let was_held = comment.held_for_review;
        comment.held_for_review = false;
        comment.reply_approval = Some(approval_id.to_owned());
        let outcome = self.save_approval(comment).await?;
        if let (true, ApprovalOutcome::Changed(released)) = (was_held, &outcome) {
            // Sent again, now with its replyApproval, so the origin forwards it (PeerTube's
            // processApproveReply does the same).
            self.hook().comment_created(&video, released);
        }
        Ok(outcome)
    }

    /// `by_actor` refuses local comment `url`: it is held (seen only by its author).
    pub async fn reject_reply(&self, url: &str, by_actor: &str) -> Result<ApprovalOutcome, SocialError> {
        let (_, mut comment) = self.owned_reply(url, by_actor)?;
        if comment.held_for_review && comment.reply_approval.is_none() {
            return Ok(ApprovalOutcome::Unchanged);
        }
        comment.held_for_review = true;
        comment.reply_approval = None;
        self.save_approval(comment).await
    }

    /// The local, live comment `url` on a remote video owned by `by_actor`, with its video.
    fn owned_reply(&self, url: &str, by_actor: &str) -> Result<(VideoRecord, CommentRecord), SocialError> {
        let comment = self.comment_by_url(url)?.ok_or(SocialError::CommentNotFound)?;
        if comment.is_deleted() {
            return Err(SocialError::CommentNotFound);
        }
        if !matches!(comment.author, CommentAuthor::Local { .. }) {
            return Err(SocialError::Forbidden("only comments made on this instance are approved here"));
        }
        let video = self.video(comment.video_id)?;
        let Some(remote) = &video.remote else {
            return Err(SocialError::Forbidden("this instance approves replies to its own videos itself"));
        };
        let owner = remote.account.url == by_actor || remote.channel.as_ref().is_some_and(|c| c.url == by_actor);
        if !owner {
            return Err(SocialError::Forbidden("only the video's owner may approve or reject its replies"));
        }
        Ok((video, comment))
    }

    async fn save_approval(&self, comment: CommentRecord) -> Result<ApprovalOutcome, SocialError> {
        comment_store::save(self.store(), &comment)?;
        self.store().flush().await?;
        tracing::info!(
            comment = comment.id,
            held = comment.held_for_review,
            approval = comment.reply_approval.as_deref().unwrap_or(""),
            "reply approval recorded"
        );
        Ok(ApprovalOutcome::Changed(Box::new(comment)))
    }
}
