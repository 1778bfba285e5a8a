//! The seam federation plugs into: [`SocialHook`] is told about each local comment,
//! rating and view flush once it is durable, and decides what to send where.

use super::comment::CommentRecord;
use super::rating::Rating;
use crate::videos::VideoRecord;

/// Called by [`super::Social`] **after** a change is in the store (flushed). Calls happen
/// on the caller's task, so implementations must return quickly (queue work, don't send).
///
/// Changes of remote origin (`add_remote_comment`, `delete_remote_comment`, `rate_remote`,
/// `add_views`) are not reported: the federation layer made them and knows about them.
pub trait SocialHook: Send + Sync + 'static {
    /// A local account commented (thread or reply) on `video`.
    fn comment_created(&self, video: &VideoRecord, comment: &CommentRecord) {
        let _ = (video, comment);
    }

    /// A comment on `video` was soft-deleted by a local user (`comment.deleted_at` is set,
    /// its text is empty; `comment.url` and `comment.author` are kept).
    fn comment_deleted(&self, video: &VideoRecord, comment: &CommentRecord) {
        let _ = (video, comment);
    }

    /// A local account's rating of `video` changed from `old` to `new` (never equal).
    /// `video` carries the updated counts.
    fn rating_changed(&self, video: &VideoRecord, account_id: u64, old: Rating, new: Rating) {
        let _ = (video, account_id, old, new);
    }

    /// `count` local views of `video` were written at this flush (one call per video per
    /// flush interval: the coalesced count). `video` carries the updated `views`.
    fn views_flushed(&self, video: &VideoRecord, count: u64) {
        let _ = (video, count);
    }
}

/// The hook installed until federation replaces it: does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopHook;

impl SocialHook for NoopHook {}
