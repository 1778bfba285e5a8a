//! The web seeds of the copies the federation holds, as every member sees them: for each
//! file, this node's own copy and each live trusted member's announced copy, at
//! `{public_url}/static/redundancy/{filename}`. Every member lists them (in `redundancies`,
//! the torrents' `url-list` and the watch page) for any video it shows, its own or a followed
//! instance's, so a viewer still plays a video whose origin is down. Members whose pieces
//! failed verification too often are left out, as they are as transfer sources.

use super::by_file::ByFile;
use super::copies::{copy_url, is_safe_filename, CopyRecord};
use shoal_protocol::replication::{Announcement, InfoHash};
use std::collections::HashMap;

/// `info hash -> [web seed URL]`, own copy first, then the members' in URL order.
pub type MemberMirrors = ByFile<String>;

/// The table from this node's copies and the members' announcements (`members`: the live,
/// trusted, not distrusted ones).
pub fn table<'a>(
    public_url: &str,
    own: &[CopyRecord],
    members: impl IntoIterator<Item = &'a Announcement>,
) -> HashMap<InfoHash, Vec<String>> {
    let mut table: HashMap<InfoHash, Vec<String>> = HashMap::new();
    for copy in own {
        table.entry(copy.info_hash).or_default().push(copy_url(public_url, &copy.filename));
    }
    let mut announced: Vec<(InfoHash, String)> = Vec::new();
    for announcement in members {
        let Some(base) = web_base(&announcement.public_url) else { continue };
        for held in announcement.holds.iter().filter(|h| is_safe_filename(&h.filename)) {
            announced.push((held.info_hash, copy_url(base, &held.filename)));
        }
    }
    announced.sort();
    for (info_hash, url) in announced {
        let urls = table.entry(info_hash).or_default();
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    table
}

/// A member's `public_url` when it is an http(s) origin without query or fragment; members
/// are trusted, but what they say ends up in pages and torrents.
fn web_base(public_url: &str) -> Option<&str> {
    let url = url::Url::parse(public_url).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty();
    plain.then_some(public_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replication::copies::CopyReason;
    use shoal_protocol::replication::HeldCopy;
    use uuid::Uuid;

    fn announcement(public_url: &str, holds: &[([u8; 20], &str)]) -> Announcement {
        Announcement {
            seq: 1,
            capacity_bytes: 1,
            public_url: public_url.into(),
            catalogue: Vec::new(),
            holds: holds.iter().map(|(h, f)| HeldCopy { info_hash: *h, since: 1, filename: f.to_string() }).collect(),
        }
    }

    #[test]
    fn own_copy_first_then_members_and_nothing_unsafe() {
        let own = CopyRecord {
            info_hash: [1; 20],
            video_uuid: Uuid::nil(),
            video_url: String::new(),
            origin_host: String::new(),
            filename: "a-720.mp4".into(),
            size: 1,
            created_at: 1,
            reason: CopyReason::Placement,
        };
        let members = [
            announcement("https://m2.example", &[([1; 20], "a-720.mp4"), ([2; 20], "b-720.mp4")]),
            announcement("https://m1.example/", &[([1; 20], "a-720.mp4"), ([3; 20], "../x"), ([3; 20], "")]),
            announcement("javascript:alert(1)", &[([2; 20], "b-720.mp4")]),
            announcement("https://m3.example/?q", &[([2; 20], "b-720.mp4")]),
        ];
        let table = table("https://me.example", &[own], &members);
        assert_eq!(
            table[&[1; 20]],
            vec![
                "https://me.example/static/redundancy/a-720.mp4",
                "https://m1.example/static/redundancy/a-720.mp4",
                "https://m2.example/static/redundancy/a-720.mp4"
            ]
        );
        assert_eq!(table[&[2; 20]], vec!["https://m2.example/static/redundancy/b-720.mp4"]);
        assert!(!table.contains_key(&[3; 20]));
    }
}
