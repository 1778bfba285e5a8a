//! The comment record as stored, its author (a local account or a remote actor), the
//! outcomes of federation calls, and the text rules (PeerTube's 1..=10000 characters).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::SocialError;

/// PeerTube's longest comment, in characters (`VIDEO_COMMENTS.TEXT.max`).
pub const MAX_TEXT_CHARS: usize = 10_000;

/// A comment on a video: a thread root (`in_reply_to` is `None`, `thread_id == id`) or a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentRecord {
    /// Local numeric id (PeerTube's `id`), allocated from a counter.
    pub id: u64,
    /// ActivityPub id. Local comments: `{public_url}/videos/watch/{video uuid}/comments/{id}`.
    pub url: String,
    pub video_id: u64,
    /// Id of the thread's root comment.
    pub thread_id: u64,
    /// The comment this one answers; `None` for a thread root.
    pub in_reply_to: Option<u64>,
    /// Empty once deleted.
    pub text: String,
    pub author: CommentAuthor,
    /// PeerTube-layout timestamps (`2024-05-01T12:00:00.000Z`).
    pub created_at: String,
    pub updated_at: String,
    /// Set by a soft delete: the node stays in the tree so replies keep their place.
    pub deleted_at: Option<String>,
    /// A comment on a remote video whose origin holds replies for approval (PeerTube's
    /// comments policy 3) stays held until the origin sends `ApproveReply`; only its
    /// author sees it meanwhile, as on PeerTube (`heldForReview`).
    #[serde(default)]
    pub held_for_review: bool,
    /// The id of the `ApproveReply` the video's origin sent for this comment (PeerTube's
    /// `replyApproval`, carried on the comment's `Note`).
    #[serde(default)]
    pub reply_approval: Option<String>,
}

impl CommentRecord {
    /// Whether the comment was (soft-)deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Whether this comment starts a thread.
    pub fn is_thread_root(&self) -> bool {
        self.in_reply_to.is_none()
    }

    /// The local account that wrote it, if local.
    pub fn local_account(&self) -> Option<u64> {
        match self.author {
            CommentAuthor::Local { account_id } => Some(account_id),
            CommentAuthor::Remote(_) => None,
        }
    }
}

/// Who wrote a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommentAuthor {
    /// A local account (its user id).
    Local { account_id: u64 },
    /// An actor of another instance.
    Remote(RemoteAuthor),
}

/// A remote actor as the REST API shows it (PeerTube's `Account` summary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteAuthor {
    /// The actor's ActivityPub id.
    pub actor_url: String,
    /// `preferredUsername`.
    pub name: String,
    /// The actor's host (`mastodon.example:443` style, as PeerTube's `host`).
    pub host: String,
    /// The actor's `name`, or `preferredUsername` when it has none.
    pub display_name: String,
}

impl RemoteAuthor {
    /// A stable numeric id for the REST API's `account.id`: the first bytes of
    /// SHA-256(actor URL), kept to 52 bits and offset by 2^52, so it is the same on every
    /// call and node, exact in JavaScript (below 2^53), and above any local account id.
    pub fn numeric_id(&self) -> u64 {
        let digest = Sha256::digest(self.actor_url.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        (1u64 << 52) | (u64::from_be_bytes(first) & ((1u64 << 52) - 1))
    }
}

/// What [`super::Social::add_remote_comment`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    /// Stored as a new comment.
    Added(Box<CommentRecord>),
    /// A comment with this url exists already; nothing changed.
    AlreadyKnown,
    /// `in_reply_to_url` is neither the video nor a known comment of it; nothing changed.
    /// The caller may fetch the parent and try again.
    ParentUnknown,
}

/// What [`super::Social::delete_remote_comment`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteDeleteOutcome {
    /// Soft-deleted now.
    Deleted(Box<CommentRecord>),
    /// It was deleted before; nothing changed.
    AlreadyDeleted,
}

/// Checks a comment's text: 1..=10000 characters, not only whitespace.
pub fn validate_text(text: &str) -> Result<(), SocialError> {
    if text.trim().is_empty() {
        return Err(SocialError::InvalidText("should not be empty".into()));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(SocialError::InvalidText(format!("{chars} characters; at most {MAX_TEXT_CHARS}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_limits_follow_peertube() {
        assert!(validate_text("a").is_ok());
        assert!(validate_text(&"é".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(validate_text(&"a".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(validate_text("").is_err());
        assert!(validate_text(" \n\t").is_err());
    }

    fn author(url: &str) -> RemoteAuthor {
        RemoteAuthor { actor_url: url.into(), name: "n".into(), host: "h".into(), display_name: "d".into() }
    }

    proptest! {
        #[test]
        fn remote_ids_are_stable_and_js_safe(url in ".{0,200}") {
            let id = author(&url).numeric_id();
            prop_assert_eq!(id, author(&url).numeric_id());
            prop_assert!((1 << 52..1 << 53).contains(&id));
        }

        #[test]
        fn text_validation_matches_the_rule(text in "\\PC{0,50}") {
            let ok = !text.trim().is_empty() && text.chars().count() <= MAX_TEXT_CHARS;
            prop_assert_eq!(validate_text(&text).is_ok(), ok);
        }
    }
}
