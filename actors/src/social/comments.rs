//! Comment operations of [`Social`]: local threads, replies and soft deletes (each
//! reported to the hook once flushed), listing, and the idempotent entry points for
//! comments other instances send.

use super::comment::{validate_text, AddOutcome, CommentAuthor, CommentRecord, RemoteAuthor, RemoteDeleteOutcome};
use super::comment_store::{self, Inserted};
use super::threads::{self, CommentTree, ThreadPage, ThreadSort};
use super::Social;
use crate::accounts::Role;
use crate::clock;
use crate::error::SocialError;
use crate::store::counter;
use crate::videos::VideoRecord;

impl Social {
    /// Starts a thread on a video as local account `account_id`.
    pub async fn create_thread(
        &self,
        video_id: u64,
        account_id: u64,
        text: &str,
    ) -> Result<CommentRecord, SocialError> {
        self.create_local(video_id, None, account_id, text).await
    }

    /// Answers comment `parent_comment_id` of the video as local account `account_id`.
    pub async fn reply(
        &self,
        video_id: u64,
        parent_comment_id: u64,
        account_id: u64,
        text: &str,
    ) -> Result<CommentRecord, SocialError> {
        self.create_local(video_id, Some(parent_comment_id), account_id, text).await
    }

    async fn create_local(
        &self,
        video_id: u64,
        parent_id: Option<u64>,
        account_id: u64,
        text: &str,
    ) -> Result<CommentRecord, SocialError> {
        validate_text(text)?;
        let video = self.commentable_video(video_id)?;
        let parent = match parent_id {
            Some(id) => Some(self.comment_of(video_id, id)?),
            None => None,
        };
        let store = self.store();
        let id = store.next_id(counter::COMMENT_ID)?;
        let now = clock::now_rfc3339();
        let record = CommentRecord {
            id,
            url: format!("{}/videos/watch/{}/comments/{id}", self.inner.public_url, video.uuid),
            video_id,
            thread_id: parent.as_ref().map_or(id, |p| p.thread_id),
            in_reply_to: parent.as_ref().map(|p| p.id),
            text: text.to_owned(),
            author: CommentAuthor::Local { account_id },
            created_at: now.clone(),
            updated_at: now,
            deleted_at: None,
            held_for_review: video.remote.as_ref().is_some_and(|r| r.replies_need_approval),
            reply_approval: None,
        };
        match comment_store::insert_new(store, &record)? {
            Inserted::Stored => {}
            // A fresh id makes a fresh url; only a remote comment squatting a local-looking
            // url could collide, and that would be refused upstream. Report it anyway.
            Inserted::UrlTaken => return Err(SocialError::Forbidden("a comment with this url exists")),
        }
        store.flush().await?;
        tracing::info!(video = video_id, comment = id, account = account_id, "comment created");
        self.hook().comment_created(&video, &record);
        Ok(record)
    }

    /// Soft-deletes a comment (PeerTube keeps the node, empties its text and sets
    /// `deleted_at`). Allowed to its author, the video's owner, administrators and
    /// moderators.
    pub async fn delete(&self, video_id: u64, comment_id: u64, by_account: u64) -> Result<CommentRecord, SocialError> {
        let video = self.video(video_id)?;
        let comment = self.comment_of(video_id, comment_id)?;
        if comment.is_deleted() {
            return Err(SocialError::AlreadyDeleted);
        }
        let is_author = comment.local_account() == Some(by_account);
        let is_video_owner = video.account_id == by_account;
        let is_staff = || -> Result<bool, SocialError> {
            let user = self.inner.accounts.user(by_account)?;
            Ok(user.is_some_and(|u| matches!(u.role, Role::Administrator | Role::Moderator)))
        };
        if !is_author && !is_video_owner && !is_staff()? {
            return Err(SocialError::Forbidden("Cannot remove video comment of another user"));
        }
        let deleted = soft_delete(comment);
        comment_store::save(self.store(), &deleted)?;
        self.store().flush().await?;
        tracing::info!(video = video_id, comment = comment_id, by = by_account, "comment deleted");
        self.hook().comment_deleted(&video, &deleted);
        Ok(deleted)
    }

    /// One page of a video's threads, as an anonymous viewer sees them.
    pub fn threads(
        &self,
        video_id: u64,
        start: usize,
        count: usize,
        sort: ThreadSort,
    ) -> Result<ThreadPage, SocialError> {
        self.threads_for(video_id, start, count, sort, None)
    }

    /// One page of a video's threads as local account `viewer` sees them: comments held
    /// for review are shown only to their author, as PeerTube does.
    pub fn threads_for(
        &self,
        video_id: u64,
        start: usize,
        count: usize,
        sort: ThreadSort,
        viewer: Option<u64>,
    ) -> Result<ThreadPage, SocialError> {
        let video = self.video(video_id)?;
        let comments = self.seen_by(video_id, viewer)?;
        Ok(threads::page(comments, video.account_id, start, count, sort))
    }

    /// Thread `thread_id` of a video as a tree ([`SocialError::CommentNotFound`] when
    /// there is no such thread on this video), as an anonymous viewer sees it.
    pub fn thread(&self, video_id: u64, thread_id: u64) -> Result<CommentTree, SocialError> {
        self.thread_for(video_id, thread_id, None)
    }

    /// [`Social::thread`] as local account `viewer` sees it (see [`Social::threads_for`]).
    pub fn thread_for(&self, video_id: u64, thread_id: u64, viewer: Option<u64>) -> Result<CommentTree, SocialError> {
        let video = self.video(video_id)?;
        let comments = self.seen_by(video_id, viewer)?;
        threads::tree(comments, thread_id, video.account_id).ok_or(SocialError::CommentNotFound)
    }

    /// A video's comments less those held for review that `viewer` did not write.
    fn seen_by(&self, video_id: u64, viewer: Option<u64>) -> Result<Vec<CommentRecord>, SocialError> {
        let mut comments = comment_store::of_video(self.store(), video_id)?;
        comments.retain(|c| {
            !c.held_for_review || matches!(c.author, CommentAuthor::Local { account_id } if Some(account_id) == viewer)
        });
        Ok(comments)
    }

    /// The comment with this id, if it belongs to the video.
    pub fn comment(&self, video_id: u64, comment_id: u64) -> Result<Option<CommentRecord>, SocialError> {
        Ok(comment_store::load(self.store(), comment_id)?.filter(|c| c.video_id == video_id))
    }

    /// The comment with this ActivityPub id.
    pub fn comment_by_url(&self, url: &str) -> Result<Option<CommentRecord>, SocialError> {
        Ok(comment_store::load_by_url(self.store(), url)?)
    }

    /// Stores a comment another instance sent. Idempotent on `url`. `in_reply_to_url` is
    /// the video's url (a new thread) or the url of a known comment of this video (a
    /// reply). `published` (RFC 3339) becomes `created_at` when it parses, else now.
    /// Does not call the hook.
    pub async fn add_remote_comment(
        &self,
        video_id: u64,
        url: &str,
        in_reply_to_url: &str,
        text: &str,
        author: RemoteAuthor,
        published: Option<String>,
    ) -> Result<AddOutcome, SocialError> {
        let video = self.commentable_video(video_id)?;
        if self.comment_by_url(url)?.is_some() {
            return Ok(AddOutcome::AlreadyKnown);
        }
        validate_text(text)?;
        let parent = if self.is_video_url(&video, in_reply_to_url) {
            None
        } else {
            match self.comment_by_url(in_reply_to_url)? {
                Some(parent) if parent.video_id == video_id => Some(parent),
                _ => return Ok(AddOutcome::ParentUnknown),
            }
        };
        let store = self.store();
        let id = store.next_id(counter::COMMENT_ID)?;
        let created_at = published.as_deref().and_then(normalise_timestamp).unwrap_or_else(clock::now_rfc3339);
        let record = CommentRecord {
            id,
            url: url.to_owned(),
            video_id,
            thread_id: parent.as_ref().map_or(id, |p| p.thread_id),
            in_reply_to: parent.as_ref().map(|p| p.id),
            text: text.to_owned(),
            author: CommentAuthor::Remote(author),
            created_at: created_at.clone(),
            updated_at: created_at,
            deleted_at: None,
            held_for_review: false,
            reply_approval: None,
        };
        match comment_store::insert_new(store, &record)? {
            Inserted::Stored => {
                store.flush().await?;
                Ok(AddOutcome::Added(Box::new(record)))
            }
            Inserted::UrlTaken => Ok(AddOutcome::AlreadyKnown),
        }
    }

    /// Soft-deletes a remote comment on its author's request (`actor_url` must be the
    /// comment's author: [`SocialError::Forbidden`] otherwise). Does not call the hook.
    pub async fn delete_remote_comment(&self, url: &str, actor_url: &str) -> Result<RemoteDeleteOutcome, SocialError> {
        let comment = self.comment_by_url(url)?.ok_or(SocialError::CommentNotFound)?;
        match &comment.author {
            CommentAuthor::Remote(author) if author.actor_url == actor_url => {}
            _ => return Err(SocialError::Forbidden("only its author may delete a remote comment")),
        }
        if comment.is_deleted() {
            return Ok(RemoteDeleteOutcome::AlreadyDeleted);
        }
        let deleted = soft_delete(comment);
        comment_store::save(self.store(), &deleted)?;
        self.store().flush().await?;
        Ok(RemoteDeleteOutcome::Deleted(Box::new(deleted)))
    }

    /// The video, if it accepts comments.
    fn commentable_video(&self, video_id: u64) -> Result<VideoRecord, SocialError> {
        let video = self.video(video_id)?;
        if !video.comments_enabled {
            return Err(SocialError::CommentsDisabled);
        }
        Ok(video)
    }

    /// The comment, if it belongs to the video.
    fn comment_of(&self, video_id: u64, comment_id: u64) -> Result<CommentRecord, SocialError> {
        self.comment(video_id, comment_id)?.ok_or(SocialError::CommentNotFound)
    }

    /// Whether `url` names the video: its local watch url, or (for a video another
    /// instance holds) any `.../videos/watch/{uuid}` url with its uuid.
    /// True when `url` is the video's ActivityPub id: its origin's for a remote video.
    fn is_video_url(&self, video: &VideoRecord, url: &str) -> bool {
        match &video.remote {
            Some(remote) => url == remote.url,
            None => url == format!("{}/videos/watch/{}", self.inner.public_url, video.uuid),
        }
    }

    /// The ActivityPub ids of a video's comments others may see (not deleted, not held for
    /// review), oldest first: its `comments` collection.
    pub fn visible_comment_urls(&self, video_id: u64) -> Result<Vec<String>, SocialError> {
        let mut comments = comment_store::of_video(self.store(), video_id)?;
        comments.retain(|c| !c.is_deleted() && !c.held_for_review);
        comments.sort_by_key(|c| c.id);
        Ok(comments.into_iter().map(|c| c.url).collect())
    }

    /// How many comments (deleted ones included) a video has.
    pub fn comment_count(&self, video_id: u64) -> u64 {
        comment_store::count_of_video(self.store(), video_id) as u64
    }

    /// How many comments local accounts wrote (NodeInfo's `localComments`).
    pub fn local_comment_count(&self) -> Result<u64, SocialError> {
        let mut count = 0;
        for entry in self.store().comments.iter() {
            let (_, value) = entry.map_err(crate::store::StoreError::from)?;
            let record: CommentRecord = crate::store::codec::decode(crate::store::tree::COMMENTS, &value)?;
            if matches!(record.author, CommentAuthor::Local { .. }) {
                count += 1;
            }
        }
        Ok(count)
    }
}

/// The comment as PeerTube keeps a deleted one.
fn soft_delete(mut comment: CommentRecord) -> CommentRecord {
    let now = clock::now_rfc3339();
    comment.text.clear();
    comment.deleted_at = Some(now.clone());
    comment.updated_at = now;
    comment
}

/// An RFC 3339 timestamp in PeerTube's layout, or `None` when it does not parse.
fn normalise_timestamp(raw: &str) -> Option<String> {
    let parsed = time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).ok()?;
    Some(clock::format_timestamp(parsed))
}
