//! Listing videos like PeerTube's `GET /api/v1/videos`: who sees what, sort orders
//! (`sort=-createdAt` and friends) and pagination.

use super::record::{Privacy, VideoRecord, VideoState};
use super::repo;
use crate::store::{Store, StoreError};
use std::cmp::Ordering;

/// Sort orders of PeerTube's `sort` query parameter that Shoal supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VideoSort {
    /// `-createdAt` (the default): newest first.
    #[default]
    CreatedAtDesc,
    /// `createdAt`
    CreatedAtAsc,
    /// `name`
    NameAsc,
    /// `-name`
    NameDesc,
    /// `-publishedAt`: recently published first; unpublished last.
    PublishedAtDesc,
    /// `publishedAt`: unpublished last.
    PublishedAtAsc,
}

impl VideoSort {
    /// Parses PeerTube's `sort` value; `None` for values Shoal does not support.
    pub fn parse(value: &str) -> Option<VideoSort> {
        match value {
            "-createdAt" => Some(VideoSort::CreatedAtDesc),
            "createdAt" => Some(VideoSort::CreatedAtAsc),
            "name" => Some(VideoSort::NameAsc),
            "-name" => Some(VideoSort::NameDesc),
            "-publishedAt" => Some(VideoSort::PublishedAtDesc),
            "publishedAt" => Some(VideoSort::PublishedAtAsc),
            _ => None,
        }
    }

    /// The `sort` value this order is parsed from.
    pub fn as_str(self) -> &'static str {
        match self {
            VideoSort::CreatedAtDesc => "-createdAt",
            VideoSort::CreatedAtAsc => "createdAt",
            VideoSort::NameAsc => "name",
            VideoSort::NameDesc => "-name",
            VideoSort::PublishedAtDesc => "-publishedAt",
            VideoSort::PublishedAtAsc => "publishedAt",
        }
    }

    fn compare(self, a: &VideoRecord, b: &VideoRecord) -> Ordering {
        match self {
            VideoSort::CreatedAtDesc => b.id.cmp(&a.id),
            VideoSort::CreatedAtAsc => a.id.cmp(&b.id),
            VideoSort::NameAsc => by_name(a, b).then(a.id.cmp(&b.id)),
            VideoSort::NameDesc => by_name(b, a).then(b.id.cmp(&a.id)),
            VideoSort::PublishedAtDesc => by_published(a, b, |x, y| y.cmp(x)).then(b.id.cmp(&a.id)),
            VideoSort::PublishedAtAsc => by_published(a, b, |x, y| x.cmp(y)).then(a.id.cmp(&b.id)),
        }
    }
}

fn by_name(a: &VideoRecord, b: &VideoRecord) -> Ordering {
    a.name.to_lowercase().cmp(&b.name.to_lowercase())
}

/// Orders published videos with `order` and puts unpublished ones after them.
fn by_published(a: &VideoRecord, b: &VideoRecord, order: impl Fn(&String, &String) -> Ordering) -> Ordering {
    match (&a.published_at, &b.published_at) {
        (Some(x), Some(y)) => order(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// A page request for the video list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoListQuery {
    pub start: usize,
    pub count: usize,
    pub sort: VideoSort,
    /// Include this account's own unpublished/private videos.
    pub viewer_account: Option<u64>,
}

impl Default for VideoListQuery {
    fn default() -> Self {
        VideoListQuery { start: 0, count: 15, sort: VideoSort::default(), viewer_account: None }
    }
}

/// Whether a video appears in the list for this viewer: published public videos for
/// everyone, and every video of the viewer's own account.
pub fn is_listed(video: &VideoRecord, viewer_account: Option<u64>) -> bool {
    let public = video.state == VideoState::Published && video.privacy == Privacy::Public;
    public || viewer_account == Some(video.account_id)
}

/// `(total matching, the requested page)`.
pub fn list(store: &Store, query: &VideoListQuery) -> Result<(u64, Vec<VideoRecord>), StoreError> {
    let mut matching = Vec::new();
    for video in repo::all(store) {
        let video = video?;
        if is_listed(&video, query.viewer_account) {
            matching.push(video);
        }
    }
    matching.sort_by(|a, b| query.sort.compare(a, b));
    let total = matching.len() as u64;
    let page = matching.into_iter().skip(query.start).take(query.count).collect();
    Ok((total, page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_values_round_trip() {
        for sort in [
            VideoSort::CreatedAtDesc,
            VideoSort::CreatedAtAsc,
            VideoSort::NameAsc,
            VideoSort::NameDesc,
            VideoSort::PublishedAtDesc,
            VideoSort::PublishedAtAsc,
        ] {
            assert_eq!(VideoSort::parse(sort.as_str()), Some(sort));
        }
        assert_eq!(VideoSort::parse("-views"), None);
    }
}
