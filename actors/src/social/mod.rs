//! Comments, ratings and views of videos ([`Social`], reached through
//! `Shoal::social()`): local first, with a [`SocialHook`] through which federation
//! learns of every local change once it is durable, and `*_remote` entry points for what
//! other instances send.
//!
//! - [`comment`]: the record and its rules; [`comment_store`]: sled; [`threads`]: the
//!   thread list and trees; [`comments`]: the operations; [`reply_approval`]: PeerTube
//!   8's approval of replies made here to other instances' videos.
//! - [`rating`]: one rating per rater per video, kept consistent with the video's counts.
//! - [`views`]: deduplicated, buffered view counting, flushed periodically.

pub mod comment;
pub mod comment_store;
pub mod comments;
pub mod hook;
pub mod rating;
pub mod reply_approval;
pub mod threads;
pub mod views;

pub use comment::{AddOutcome, CommentAuthor, CommentRecord, RemoteAuthor, RemoteDeleteOutcome, MAX_TEXT_CHARS};
pub use hook::{NoopHook, SocialHook};
pub use rating::Rating;
pub use reply_approval::ApprovalOutcome;
pub use threads::{CommentTree, ThreadPage, ThreadSort, ThreadSummary};
pub use views::ViewCounter;

use std::sync::{Arc, Mutex, RwLock};

use crate::accounts::Accounts;
use crate::config::SocialConfig;
use crate::error::SocialError;
use crate::store::Store;
use crate::videos::{repo, VideoRecord};

/// The social service. Cheap to clone; clones share the store, the hook and the view buffer.
#[derive(Clone)]
pub struct Social {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    accounts: Accounts,
    /// Public base URL without trailing slash (local comment urls).
    public_url: String,
    hook: RwLock<Arc<dyn SocialHook>>,
    /// Serialises rating changes: a rater's old rating and the video's counts move together.
    rating_lock: Mutex<()>,
    views: ViewCounter,
}

impl Social {
    /// The service over `store`; comment urls start with `public_url`.
    pub fn new(store: Store, accounts: Accounts, public_url: &str, config: &SocialConfig) -> Social {
        Social {
            inner: Arc::new(Inner {
                store,
                accounts,
                public_url: public_url.trim_end_matches('/').to_owned(),
                hook: RwLock::new(Arc::new(NoopHook)),
                rating_lock: Mutex::new(()),
                views: ViewCounter::new(config.views_dedup_secs, config.views_dedup_max_entries),
            }),
        }
    }

    /// Installs the hook told about local changes (replacing the previous one, at first
    /// the [`NoopHook`]). Federation calls this once at start-up.
    pub fn set_hook(&self, hook: Arc<dyn SocialHook>) {
        match self.inner.hook.write() {
            Ok(mut slot) => *slot = hook,
            Err(poisoned) => *poisoned.into_inner() = hook,
        }
    }

    /// The installed hook.
    fn hook(&self) -> Arc<dyn SocialHook> {
        match self.inner.hook.read() {
            Ok(slot) => slot.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Drops the comments and ratings of a video that is being deleted.
    pub fn forget_video(&self, video_id: u64) -> Result<(), SocialError> {
        let removed = comment_store::remove_of_video(self.store(), video_id)?;
        let ratings = rating::remove_of_video(self.store(), video_id)?;
        tracing::debug!(video = video_id, comments = removed, ratings, "social records of a deleted video removed");
        Ok(())
    }

    /// The video with this id, or [`SocialError::VideoNotFound`].
    fn video(&self, video_id: u64) -> Result<VideoRecord, SocialError> {
        repo::load(&self.inner.store, video_id)?.ok_or(SocialError::VideoNotFound)
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }
}
