//! Pure views over a video's comments: the paginated thread list (`GET comment-threads`)
//! and one thread as a tree (`GET comment-threads/{id}`), with PeerTube's reply counts
//! (non-deleted replies, and those written by the video's author).
//!
//! Trees are built without recursion, and nodes deeper than [`MAX_TREE_DEPTH`] are
//! attached to their ancestor at that depth, so an arbitrarily long reply chain can
//! neither overflow the stack here nor when the answer is serialised.

use std::collections::HashMap;

use super::comment::CommentRecord;

/// Deepest nesting of a returned tree; deeper replies hang under their ancestor at this depth.
pub const MAX_TREE_DEPTH: usize = 64;

/// Orders of the thread list (PeerTube's `sort` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadSort {
    /// `-createdAt` (the default): newest thread first.
    CreatedAtDesc,
    /// `createdAt`.
    CreatedAtAsc,
    /// `-totalReplies`: most answered first, then newest.
    TotalRepliesDesc,
    /// `totalReplies`.
    TotalRepliesAsc,
}

impl ThreadSort {
    /// Parses PeerTube's `sort` query value.
    pub fn parse(raw: &str) -> Option<ThreadSort> {
        match raw {
            "-createdAt" => Some(ThreadSort::CreatedAtDesc),
            "createdAt" => Some(ThreadSort::CreatedAtAsc),
            "-totalReplies" => Some(ThreadSort::TotalRepliesDesc),
            "totalReplies" => Some(ThreadSort::TotalRepliesAsc),
            _ => None,
        }
    }
}

/// A thread root with its reply counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    pub comment: CommentRecord,
    /// Non-deleted replies anywhere in the thread.
    pub total_replies: u64,
    /// Of those, the ones written by the video's (local) author.
    pub total_replies_from_video_author: u64,
}

/// One page of threads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPage {
    /// Threads listed (a deleted root is listed while it has live replies).
    pub total: u64,
    /// Listed threads whose root is not deleted.
    pub total_not_deleted: u64,
    pub data: Vec<ThreadSummary>,
}

/// A comment and its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentTree {
    pub comment: CommentRecord,
    /// Non-deleted comments below this one.
    pub total_replies: u64,
    /// Of those, the ones written by the video's author.
    pub total_replies_from_video_author: u64,
    /// Direct answers, oldest first.
    pub children: Vec<CommentTree>,
}

/// The page `start..start+count` of a video's threads in `sort` order.
pub fn page(
    comments: Vec<CommentRecord>,
    video_author: u64,
    start: usize,
    count: usize,
    sort: ThreadSort,
) -> ThreadPage {
    let mut replies: HashMap<u64, (u64, u64)> = HashMap::new();
    for comment in comments.iter().filter(|c| !c.is_thread_root() && !c.is_deleted()) {
        let counts = replies.entry(comment.thread_id).or_default();
        counts.0 += 1;
        counts.1 += u64::from(comment.local_account() == Some(video_author));
    }
    let mut threads: Vec<ThreadSummary> = comments
        .into_iter()
        .filter(|c| c.is_thread_root())
        .map(|comment| {
            let (total_replies, from_author) = replies.get(&comment.id).copied().unwrap_or_default();
            ThreadSummary { comment, total_replies, total_replies_from_video_author: from_author }
        })
        .filter(|t| !t.comment.is_deleted() || t.total_replies > 0)
        .collect();
    // Ids grow with creation time, so they break ties between equal timestamps.
    let by_age = |t: &ThreadSummary| (t.comment.created_at.clone(), t.comment.id);
    match sort {
        ThreadSort::CreatedAtDesc => threads.sort_by_key(|t| std::cmp::Reverse(by_age(t))),
        ThreadSort::CreatedAtAsc => threads.sort_by_key(by_age),
        ThreadSort::TotalRepliesDesc => threads.sort_by_key(|t| std::cmp::Reverse((t.total_replies, by_age(t)))),
        ThreadSort::TotalRepliesAsc => threads.sort_by_key(|t| (t.total_replies, std::cmp::Reverse(by_age(t)))),
    }
    let total = threads.len() as u64;
    let total_not_deleted = threads.iter().filter(|t| !t.comment.is_deleted()).count() as u64;
    let data = threads.into_iter().skip(start).take(count).collect();
    ThreadPage { total, total_not_deleted, data }
}

/// Thread `thread_id` as a tree, or `None` when no root comment has that id.
pub fn tree(comments: Vec<CommentRecord>, thread_id: u64, video_author: u64) -> Option<CommentTree> {
    let mut members: Vec<CommentRecord> = comments.into_iter().filter(|c| c.thread_id == thread_id).collect();
    members.sort_by_key(|c| c.id);
    let root_index = members.iter().position(|c| c.id == thread_id && c.is_thread_root())?;
    let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
    for c in &members {
        if let Some(parent) = c.in_reply_to {
            children.entry(parent).or_default().push(c.id);
        }
    }
    let mut nodes: HashMap<u64, CommentTree> = HashMap::new();
    let root = members.swap_remove(root_index);
    for c in members {
        nodes.insert(c.id, leaf(c));
    }

    // Breadth-first from the root: each node's depth and the node it hangs under.
    let mut order: Vec<(u64, u64)> = Vec::new(); // (id, attach to)
    let mut frontier: Vec<(u64, usize, u64)> = vec![(root.id, 0, root.id)]; // (id, depth, attach point)
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for (id, depth, attach) in frontier {
            for &child in children.get(&id).map(Vec::as_slice).unwrap_or_default() {
                let (child_depth, child_attach) =
                    if depth < MAX_TREE_DEPTH { (depth + 1, id) } else { (depth, attach) };
                if nodes.contains_key(&child) {
                    order.push((child, child_attach));
                    next.push((child, child_depth, child_attach));
                }
            }
        }
        frontier = next;
    }

    // Deepest first: a node moves under its parent once all its descendants are inside it.
    let mut root = leaf(root);
    for &(id, attach) in order.iter().rev() {
        let Some(mut node) = nodes.remove(&id) else { continue };
        node.children.reverse();
        let live = u64::from(!node.comment.is_deleted());
        let by_author = u64::from(live == 1 && node.comment.local_account() == Some(video_author));
        let (sub_total, sub_author) = (node.total_replies, node.total_replies_from_video_author);
        let parent = if attach == root.comment.id { Some(&mut root) } else { nodes.get_mut(&attach) };
        if let Some(parent) = parent {
            parent.total_replies += sub_total + live;
            parent.total_replies_from_video_author += sub_author + by_author;
            parent.children.push(node);
        }
    }
    root.children.reverse();
    Some(root)
}

fn leaf(comment: CommentRecord) -> CommentTree {
    CommentTree { comment, total_replies: 0, total_replies_from_video_author: 0, children: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::comment::CommentAuthor;
    use proptest::prelude::*;

    fn comment(id: u64, thread_id: u64, in_reply_to: Option<u64>, author: u64, deleted: bool) -> CommentRecord {
        CommentRecord {
            id,
            url: format!("https://x.example/c/{id}"),
            video_id: 1,
            thread_id,
            in_reply_to,
            text: if deleted { String::new() } else { format!("c{id}") },
            author: CommentAuthor::Local { account_id: author },
            created_at: format!("2024-01-01T00:00:{:02}.000Z", id % 60),
            updated_at: String::new(),
            deleted_at: deleted.then(|| "2024-01-02T00:00:00.000Z".to_owned()),
            held_for_review: false,
            reply_approval: None,
        }
    }

    #[test]
    fn sorts_parse_like_peertube() {
        assert_eq!(ThreadSort::parse("-createdAt"), Some(ThreadSort::CreatedAtDesc));
        assert_eq!(ThreadSort::parse("totalReplies"), Some(ThreadSort::TotalRepliesAsc));
        assert_eq!(ThreadSort::parse("-likes"), None);
    }

    #[test]
    fn a_long_chain_is_capped_in_depth_and_keeps_every_comment() {
        let mut comments = vec![comment(1, 1, None, 9, false)];
        for id in 2..=500 {
            comments.push(comment(id, 1, Some(id - 1), 9, false));
        }
        let root = tree(comments, 1, 9).expect("root");
        assert_eq!(root.total_replies, 499);
        assert_eq!(root.total_replies_from_video_author, 499);
        let (mut depth, mut node, mut seen) = (0, &root, 1);
        while let Some(last) = node.children.last() {
            seen += node.children.len();
            depth += 1;
            node = last;
        }
        assert_eq!(depth, MAX_TREE_DEPTH);
        assert_eq!(seen, 500);
        assert_eq!(node.comment.id, 500, "the newest reply ends the deepest branch");
    }

    #[test]
    fn siblings_are_oldest_first_and_deleted_replies_are_not_counted() {
        let comments = vec![
            comment(1, 1, None, 9, false),
            comment(2, 1, Some(1), 9, false),
            comment(3, 1, Some(1), 5, true),
            comment(4, 1, Some(1), 5, false),
            comment(5, 1, Some(3), 5, false),
        ];
        let root = tree(comments, 1, 9).expect("root");
        let ids: Vec<u64> = root.children.iter().map(|c| c.comment.id).collect();
        assert_eq!(ids, vec![2, 3, 4]);
        assert_eq!((root.total_replies, root.total_replies_from_video_author), (3, 1));
        assert_eq!(root.children[1].total_replies, 1);
    }

    proptest! {
        /// Whatever the forest, the page holds `min(count, total - start)` threads, the
        /// counts agree with the listed roots, and replies are counted per thread.
        #[test]
        fn pages_are_consistent(
            shape in proptest::collection::vec((any::<bool>(), any::<bool>(), 0usize..20), 0..60),
            start in 0usize..30,
            count in 0usize..30,
        ) {
            let mut comments: Vec<CommentRecord> = Vec::new();
            for (i, (is_root, deleted, parent)) in shape.into_iter().enumerate() {
                let id = i as u64 + 1;
                match comments.get(parent % comments.len().max(1)).filter(|_| !is_root) {
                    Some(p) => comments.push(comment(id, p.thread_id, Some(p.id), 9, deleted)),
                    None => comments.push(comment(id, id, None, 9, deleted)),
                }
            }
            let live_replies = |root: u64| {
                comments.iter().filter(|c| c.thread_id == root && c.id != root && !c.is_deleted()).count() as u64
            };
            let listed: Vec<&CommentRecord> = comments
                .iter()
                .filter(|c| c.is_thread_root() && (!c.is_deleted() || live_replies(c.id) > 0))
                .collect();
            let result = page(comments.clone(), 9, start, count, ThreadSort::TotalRepliesDesc);
            prop_assert_eq!(result.total, listed.len() as u64);
            prop_assert_eq!(result.total_not_deleted, listed.iter().filter(|c| !c.is_deleted()).count() as u64);
            prop_assert_eq!(result.data.len(), count.min(listed.len().saturating_sub(start)));
            for t in &result.data {
                prop_assert_eq!(t.total_replies, live_replies(t.comment.id));
            }
            prop_assert!(result.data.windows(2).all(|w| w[0].total_replies >= w[1].total_replies));
        }
    }
}
