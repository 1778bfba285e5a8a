//! Likes and dislikes: one rating per rater (a local account or a remote actor) per
//! video, stored under `video id BE ++ rater key`, and the video's `likes`/`dislikes`
//! moved with it (like→dislike moves one count; repeating a rating changes nothing).
//!
//! Changes are serialised by one lock so a rater's old rating and the counts move
//! together. The rating is written before the counts; a crash between the two leaves
//! the counts one off (they are not recomputed at start-up).

use serde::{Deserialize, Serialize};

use super::Social;
use crate::error::SocialError;
use crate::store::{self, tree};
use crate::videos::{repo, VideoRecord};

/// A rater's opinion of a video (PeerTube's `like`, `dislike`, `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Rating {
    #[default]
    None,
    Like,
    Dislike,
}

impl Rating {
    /// PeerTube's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::None => "none",
            Rating::Like => "like",
            Rating::Dislike => "dislike",
        }
    }

    /// Parses PeerTube's word.
    pub fn parse(raw: &str) -> Option<Rating> {
        match raw {
            "none" => Some(Rating::None),
            "like" => Some(Rating::Like),
            "dislike" => Some(Rating::Dislike),
            _ => None,
        }
    }

    /// `(likes, dislikes)` this rating contributes.
    fn counts(self) -> (u64, u64) {
        match self {
            Rating::None => (0, 0),
            Rating::Like => (1, 0),
            Rating::Dislike => (0, 1),
        }
    }
}

/// Who rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rater<'a> {
    Local(u64),
    /// A remote actor, by ActivityPub id.
    Remote(&'a str),
}

/// `video id BE ++ 0 ++ account id BE` or `video id BE ++ 1 ++ actor url`.
fn rating_key(video_id: u64, rater: Rater<'_>) -> Vec<u8> {
    let mut key = video_id.to_be_bytes().to_vec();
    match rater {
        Rater::Local(account) => {
            key.push(0);
            key.extend_from_slice(&account.to_be_bytes());
        }
        Rater::Remote(actor) => {
            key.push(1);
            key.extend_from_slice(actor.as_bytes());
        }
    }
    key
}

/// Removes every rating of a video (the video is being deleted); returns how many.
pub(crate) fn remove_of_video(store: &crate::store::Store, video_id: u64) -> Result<usize, crate::store::StoreError> {
    let mut removed = 0;
    for entry in store.ratings.scan_prefix(video_id.to_be_bytes()) {
        let (key, _) = entry?;
        store.ratings.remove(key)?;
        removed += 1;
    }
    Ok(removed)
}

impl Social {
    /// Sets local account `account_id`'s rating of a video; returns the video with its
    /// new counts. The hook hears of it when the rating actually changed.
    pub async fn rate(&self, video_id: u64, account_id: u64, rating: Rating) -> Result<VideoRecord, SocialError> {
        let (video, old) = self.apply_rating(video_id, Rater::Local(account_id), rating)?;
        if old != rating {
            self.store().flush().await?;
            self.hook().rating_changed(&video, account_id, old, rating);
        }
        Ok(video)
    }

    /// Sets a remote actor's rating of a video (Like, Dislike, Undo from another
    /// instance); returns the video and the previous rating. Does not call the hook.
    pub async fn rate_remote(
        &self,
        video_id: u64,
        actor_url: &str,
        rating: Rating,
    ) -> Result<(VideoRecord, Rating), SocialError> {
        let (video, old) = self.apply_rating(video_id, Rater::Remote(actor_url), rating)?;
        if old != rating {
            self.store().flush().await?;
        }
        Ok((video, old))
    }

    /// Local account `account_id`'s rating of a video ([`Rating::None`] when it has none).
    pub fn rating_of(&self, video_id: u64, account_id: u64) -> Result<Rating, SocialError> {
        self.stored_rating(video_id, Rater::Local(account_id))
    }

    /// A remote actor's rating of a video.
    pub fn remote_rating_of(&self, video_id: u64, actor_url: &str) -> Result<Rating, SocialError> {
        self.stored_rating(video_id, Rater::Remote(actor_url))
    }

    fn stored_rating(&self, video_id: u64, rater: Rater<'_>) -> Result<Rating, SocialError> {
        let stored: Option<Rating> = store::get(&self.store().ratings, tree::RATINGS, rating_key(video_id, rater))?;
        Ok(stored.unwrap_or_default())
    }

    /// Writes the new rating and moves the counts; returns the video and the old rating.
    fn apply_rating(
        &self,
        video_id: u64,
        rater: Rater<'_>,
        rating: Rating,
    ) -> Result<(VideoRecord, Rating), SocialError> {
        let _serialised = match self.inner.rating_lock.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let video = self.video(video_id)?;
        let old = self.stored_rating(video_id, rater)?;
        if old == rating {
            return Ok((video, old));
        }
        let key = rating_key(video_id, rater);
        match rating {
            Rating::None => {
                self.store().ratings.remove(key).map_err(crate::store::StoreError::from)?;
            }
            _ => store::put(&self.store().ratings, key, &rating)?,
        }
        let (old_likes, old_dislikes) = old.counts();
        let (new_likes, new_dislikes) = rating.counts();
        let updated = repo::update(self.store(), video_id, |v| {
            v.likes = v.likes.saturating_sub(old_likes).saturating_add(new_likes);
            v.dislikes = v.dislikes.saturating_sub(old_dislikes).saturating_add(new_dislikes);
        })?;
        Ok((updated.ok_or(SocialError::VideoNotFound)?, old))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for rating in [Rating::None, Rating::Like, Rating::Dislike] {
            assert_eq!(Rating::parse(rating.as_str()), Some(rating));
        }
        assert_eq!(Rating::parse("Like"), None);
        assert_eq!(Rating::parse(""), None);
    }

    #[test]
    fn keys_keep_raters_of_a_video_together_and_apart() {
        let local = rating_key(7, Rater::Local(1));
        let remote = rating_key(7, Rater::Remote("https://a.example/users/1"));
        assert!(local.starts_with(&7u64.to_be_bytes()) && remote.starts_with(&7u64.to_be_bytes()));
        assert_ne!(local, remote);
        assert_ne!(rating_key(7, Rater::Local(1)), rating_key(8, Rater::Local(1)));
    }
}
