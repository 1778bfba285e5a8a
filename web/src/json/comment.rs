//! PeerTube's comment shapes: `VideoComment`, the thread list
//! `{total, totalNotDeleted, data}`, a thread tree `{comment, children}` and the
//! create answer `{comment}`, built from the social service's records.
//!
//! A deleted comment shows `account: null` and empty text, as PeerTube does. A remote
//! author's `account.id` is [`RemoteAuthor::numeric_id`]: a hash of its actor URL, stable
//! and above every local id.

use std::collections::HashMap;

use serde::Serialize;
use shoal_actors::accounts::UserRecord;
use shoal_actors::social::{CommentAuthor, CommentRecord, CommentTree, RemoteAuthor, ThreadPage};
use shoal_actors::AccountError;

use super::actors::ActorSummary;

/// PeerTube's `VideoComment`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoCommentJson {
    pub id: u64,
    pub url: String,
    pub text: String,
    pub thread_id: u64,
    pub in_reply_to_comment_id: Option<u64>,
    pub video_id: u64,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    pub is_deleted: bool,
    /// PeerTube's `heldForReview`: waiting for the video's owner to approve it.
    pub held_for_review: bool,
    pub total_replies_from_video_author: u64,
    pub total_replies: u64,
    pub account: Option<ActorSummary>,
}

/// `GET /api/v1/videos/{id}/comment-threads`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadListJson {
    pub total: u64,
    pub total_not_deleted: u64,
    pub data: Vec<VideoCommentJson>,
}

/// `GET /api/v1/videos/{id}/comment-threads/{threadId}`: PeerTube's `VideoCommentThreadTree`.
#[derive(Debug, Serialize)]
pub struct ThreadTreeJson {
    pub comment: VideoCommentJson,
    pub children: Vec<ThreadTreeJson>,
}

/// The answer to creating a thread or a reply.
#[derive(Debug, Serialize)]
pub struct CommentCreatedJson {
    pub comment: VideoCommentJson,
}

/// Turns records into JSON, looking each local author up once.
pub struct CommentRenderer<'a> {
    public_url: &'a str,
    lookup: &'a dyn Fn(u64) -> Result<Option<UserRecord>, AccountError>,
    authors: HashMap<u64, ActorSummary>,
}

impl<'a> CommentRenderer<'a> {
    /// `lookup` finds a local account by id (`Accounts::user`).
    pub fn new(public_url: &'a str, lookup: &'a dyn Fn(u64) -> Result<Option<UserRecord>, AccountError>) -> Self {
        Self { public_url, lookup, authors: HashMap::new() }
    }

    /// One comment with its reply counts.
    pub fn comment(
        &mut self,
        record: &CommentRecord,
        total_replies: u64,
        total_replies_from_video_author: u64,
    ) -> Result<VideoCommentJson, AccountError> {
        let account = if record.is_deleted() { None } else { Some(self.author(&record.author)?) };
        Ok(VideoCommentJson {
            id: record.id,
            url: record.url.clone(),
            text: record.text.clone(),
            thread_id: record.thread_id,
            in_reply_to_comment_id: record.in_reply_to,
            video_id: record.video_id,
            created_at: record.created_at.clone(),
            updated_at: record.updated_at.clone(),
            deleted_at: record.deleted_at.clone(),
            is_deleted: record.is_deleted(),
            held_for_review: record.held_for_review,
            total_replies_from_video_author,
            total_replies,
            account,
        })
    }

    /// A page of threads.
    pub fn threads(&mut self, page: &ThreadPage) -> Result<ThreadListJson, AccountError> {
        let mut data = Vec::with_capacity(page.data.len());
        for thread in &page.data {
            data.push(self.comment(&thread.comment, thread.total_replies, thread.total_replies_from_video_author)?);
        }
        Ok(ThreadListJson { total: page.total, total_not_deleted: page.total_not_deleted, data })
    }

    /// A thread tree, built without recursion (trees can be deep).
    pub fn tree(&mut self, tree: &CommentTree) -> Result<ThreadTreeJson, AccountError> {
        // Post-order walk: every node is rendered after its children.
        let mut stack: Vec<(&CommentTree, bool)> = vec![(tree, false)];
        let mut done: Vec<ThreadTreeJson> = Vec::new();
        while let Some((node, children_done)) = stack.pop() {
            if !children_done {
                stack.push((node, true));
                for child in node.children.iter().rev() {
                    stack.push((child, false));
                }
                continue;
            }
            let children = done.split_off(done.len().saturating_sub(node.children.len()));
            let comment = self.comment(&node.comment, node.total_replies, node.total_replies_from_video_author)?;
            done.push(ThreadTreeJson { comment, children });
        }
        done.pop().ok_or_else(|| AccountError::NotFound("comment thread".into()))
    }

    fn author(&mut self, author: &CommentAuthor) -> Result<ActorSummary, AccountError> {
        match author {
            CommentAuthor::Local { account_id } => {
                if let Some(summary) = self.authors.get(account_id) {
                    return Ok(summary.clone());
                }
                let summary = match (self.lookup)(*account_id)? {
                    Some(user) => ActorSummary::account(self.public_url, &user),
                    None => ActorSummary::missing_account(self.public_url, *account_id),
                };
                self.authors.insert(*account_id, summary.clone());
                Ok(summary)
            }
            CommentAuthor::Remote(remote) => Ok(remote_summary(remote)),
        }
    }
}

/// PeerTube's account summary of a remote author.
pub fn remote_summary(author: &RemoteAuthor) -> ActorSummary {
    ActorSummary {
        id: author.numeric_id(),
        name: author.name.clone(),
        display_name: author.display_name.clone(),
        url: author.actor_url.clone(),
        host: author.host.clone(),
        avatars: Vec::new(),
    }
}
