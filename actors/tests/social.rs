//! The social service against a real sled store: comment threads and soft deletes,
//! idempotent remote comments, rating transitions (checked against a model by proptest),
//! view deduplication and flushing, PeerTube 8's reply approval, and what the federation
//! hook hears.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use shoal_actors::accounts::{Accounts, NewUser, Role};
use shoal_actors::config::{LimitsConfig, SocialConfig};
use shoal_actors::media::Probe;
use shoal_actors::social::{
    AddOutcome, ApprovalOutcome, CommentAuthor, CommentRecord, Rating, RemoteAuthor, RemoteDeleteOutcome, Social,
    SocialHook, ThreadSort,
};
use shoal_actors::store::{counter, Store};
use shoal_actors::videos::record::{RemoteActorRef, RemoteOrigin};
use shoal_actors::videos::{create, repo, NewVideo, Privacy, VideoDetails, VideoRecord};
use shoal_actors::SocialError;
use uuid::Uuid;

const PUBLIC_URL: &str = "http://127.0.0.1:9999";

/// What the hook heard, in order.
#[derive(Debug, Clone, PartialEq)]
enum Heard {
    Created(u64),
    Deleted(u64),
    Rated { account: u64, old: Rating, new: Rating, likes: u64, dislikes: u64 },
    Views { video: u64, count: u64, total: u64 },
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Heard>>);

impl Recorder {
    fn take(&self) -> Vec<Heard> {
        std::mem::take(&mut *self.0.lock().expect("recorder lock"))
    }
    fn push(&self, heard: Heard) {
        self.0.lock().expect("recorder lock").push(heard);
    }
}

impl SocialHook for Recorder {
    fn comment_created(&self, _: &VideoRecord, comment: &CommentRecord) {
        self.push(Heard::Created(comment.id));
    }
    fn comment_deleted(&self, _: &VideoRecord, comment: &CommentRecord) {
        self.push(Heard::Deleted(comment.id));
    }
    fn rating_changed(&self, video: &VideoRecord, account: u64, old: Rating, new: Rating) {
        self.push(Heard::Rated { account, old, new, likes: video.likes, dislikes: video.dislikes });
    }
    fn views_flushed(&self, video: &VideoRecord, count: u64) {
        self.push(Heard::Views { video: video.id, count, total: video.views });
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    accounts: Accounts,
    social: Social,
    heard: Arc<Recorder>,
}

fn fixture_with(config: &SocialConfig) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("db")).expect("store");
    let accounts = Accounts::new(store.clone(), LimitsConfig::default());
    let social = Social::new(store.clone(), accounts.clone(), PUBLIC_URL, config);
    let heard = Arc::new(Recorder::default());
    social.set_hook(heard.clone());
    Fixture { _dir: dir, store, accounts, social, heard }
}

fn fixture() -> Fixture {
    fixture_with(&SocialConfig::default())
}

impl Fixture {
    /// Stores a video owned by `account_id` (no files; the social service does not need them).
    fn video(&self, account_id: u64, comments_enabled: bool) -> VideoRecord {
        let id = self.store.next_id(counter::VIDEO_ID).expect("id");
        let new = NewVideo {
            account_id,
            details: VideoDetails {
                name: format!("video {id}"),
                channel_id: 1,
                description: None,
                privacy: Privacy::Public,
                category: None,
                licence: None,
                language: None,
                nsfw: false,
                tags: vec![],
                comments_enabled,
                download_enabled: true,
                wait_transcoding: false,
            },
            upload_path: PathBuf::from("unused"),
            original_filename: "clip.y4m".into(),
        };
        let probe = Probe {
            width: 64,
            height: 48,
            fps: 10.0,
            fps_num: 10,
            fps_den: 1,
            frames: 10,
            duration_secs: 1.0,
            has_audio: false,
            format: "yuv4mpegpipe".into(),
        };
        let record = create::new_record(id, Uuid::new_v4(), &new, &probe, PathBuf::from("unused"), 1, vec![]);
        repo::insert_with_jobs(&self.store, &record, &[]).expect("insert video");
        record
    }

    fn load(&self, video_id: u64) -> VideoRecord {
        repo::load(&self.store, video_id).expect("store").expect("video exists")
    }

    async fn user(&self, name: &str, role: Role) -> u64 {
        let new = NewUser {
            username: name.into(),
            password: "a-long-password".into(),
            email: format!("{name}@example.org"),
            role,
            video_quota: None,
            video_quota_daily: None,
            channel_name: None,
        };
        self.accounts.create_user(new).await.expect("create user").id
    }
}

fn remote(actor: &str) -> RemoteAuthor {
    RemoteAuthor {
        actor_url: format!("https://mastodon.example/users/{actor}"),
        name: actor.into(),
        host: "mastodon.example".into(),
        display_name: actor.to_uppercase(),
    }
}

#[tokio::test]
async fn threads_replies_and_listing() {
    let f = fixture();
    let video = f.video(1, true);
    let first = f.social.create_thread(video.id, 2, "first").await.expect("thread");
    assert_eq!(first.thread_id, first.id);
    assert_eq!(first.in_reply_to, None);
    assert_eq!(first.url, format!("{PUBLIC_URL}/videos/watch/{}/comments/{}", video.uuid, first.id));
    let second = f.social.create_thread(video.id, 3, "second").await.expect("thread");
    let answer = f.social.reply(video.id, first.id, 1, "from the author").await.expect("reply");
    let deeper = f.social.reply(video.id, answer.id, 2, "deeper").await.expect("reply");
    assert_eq!((answer.thread_id, answer.in_reply_to), (first.id, Some(first.id)));
    assert_eq!((deeper.thread_id, deeper.in_reply_to), (first.id, Some(answer.id)));
    assert_eq!(
        f.heard.take(),
        vec![Heard::Created(first.id), Heard::Created(second.id), Heard::Created(answer.id), Heard::Created(deeper.id)]
    );

    let page = f.social.threads(video.id, 0, 10, ThreadSort::CreatedAtDesc).expect("threads");
    assert_eq!((page.total, page.total_not_deleted), (2, 2));
    assert_eq!(page.data.iter().map(|t| t.comment.id).collect::<Vec<_>>(), vec![second.id, first.id]);
    assert_eq!((page.data[1].total_replies, page.data[1].total_replies_from_video_author), (2, 1));
    let oldest = f.social.threads(video.id, 0, 10, ThreadSort::CreatedAtAsc).expect("threads");
    assert_eq!(oldest.data[0].comment.id, first.id);
    let busiest = f.social.threads(video.id, 0, 1, ThreadSort::TotalRepliesDesc).expect("threads");
    assert_eq!((busiest.total, busiest.data.len(), busiest.data[0].comment.id), (2, 1, first.id));
    let beyond = f.social.threads(video.id, 5, 10, ThreadSort::CreatedAtDesc).expect("threads");
    assert!(beyond.data.is_empty() && beyond.total == 2);

    let tree = f.social.thread(video.id, first.id).expect("tree");
    assert_eq!(tree.comment.id, first.id);
    assert_eq!(tree.total_replies, 2);
    assert_eq!(tree.children.len(), 1);
    assert_eq!(tree.children[0].comment.id, answer.id);
    assert_eq!(tree.children[0].children[0].comment.id, deeper.id);
    assert!(matches!(f.social.thread(video.id, answer.id), Err(SocialError::CommentNotFound)), "not a root");

    // Another video's comments are not reachable through this one.
    let other = f.video(1, true);
    assert!(matches!(f.social.reply(other.id, first.id, 2, "x").await, Err(SocialError::CommentNotFound)));
    assert!(matches!(f.social.thread(other.id, first.id), Err(SocialError::CommentNotFound)));
    assert!(matches!(f.social.threads(999, 0, 10, ThreadSort::CreatedAtDesc), Err(SocialError::VideoNotFound)));
}

#[tokio::test]
async fn text_rules_and_disabled_comments() {
    let f = fixture();
    let video = f.video(1, true);
    assert!(matches!(f.social.create_thread(video.id, 2, "  ").await, Err(SocialError::InvalidText(_))));
    let long = "x".repeat(10_001);
    assert!(matches!(f.social.create_thread(video.id, 2, &long).await, Err(SocialError::InvalidText(_))));
    assert!(f.social.create_thread(video.id, 2, &"x".repeat(10_000)).await.is_ok());
    let closed = f.video(1, false);
    assert!(matches!(f.social.create_thread(closed.id, 2, "hello").await, Err(SocialError::CommentsDisabled)));
    let outcome = f
        .social
        .add_remote_comment(
            closed.id,
            "https://m.example/1",
            &format!("x/videos/watch/{}", closed.uuid),
            "hi",
            remote("a"),
            None,
        )
        .await;
    assert!(matches!(outcome, Err(SocialError::CommentsDisabled)));
    assert!(matches!(f.social.create_thread(4242, 2, "hello").await, Err(SocialError::VideoNotFound)));
}

#[tokio::test]
async fn soft_delete_keeps_the_tree_and_checks_rights() {
    let f = fixture();
    let owner = f.user("owner", Role::User).await;
    let author = f.user("author", Role::User).await;
    let stranger = f.user("stranger", Role::User).await;
    let moderator = f.user("moder", Role::Moderator).await;
    let video = f.video(owner, true);
    let root = f.social.create_thread(video.id, author, "root").await.expect("thread");
    let reply = f.social.reply(video.id, root.id, stranger, "reply").await.expect("reply");
    let lone = f.social.create_thread(video.id, stranger, "lone").await.expect("thread");
    f.heard.take();

    assert!(matches!(f.social.delete(video.id, root.id, stranger).await, Err(SocialError::Forbidden(_))));
    let deleted = f.social.delete(video.id, root.id, author).await.expect("author deletes");
    assert!(deleted.is_deleted() && deleted.text.is_empty());
    assert_eq!(deleted.author, CommentAuthor::Local { account_id: author }, "the author is kept for federation");
    assert!(matches!(f.social.delete(video.id, root.id, author).await, Err(SocialError::AlreadyDeleted)));
    assert_eq!(f.heard.take(), vec![Heard::Deleted(root.id)]);

    // The deleted root stays listed (it has a live reply) and in its tree.
    let page = f.social.threads(video.id, 0, 10, ThreadSort::CreatedAtDesc).expect("threads");
    assert_eq!((page.total, page.total_not_deleted), (2, 1));
    let tree = f.social.thread(video.id, root.id).expect("tree");
    assert!(tree.comment.is_deleted());
    assert_eq!(tree.children[0].comment.id, reply.id);

    // The video's owner and a moderator may delete others' comments.
    f.social.delete(video.id, reply.id, owner).await.expect("video owner deletes");
    f.social.delete(video.id, lone.id, moderator).await.expect("moderator deletes");
    let page = f.social.threads(video.id, 0, 10, ThreadSort::CreatedAtDesc).expect("threads");
    assert_eq!((page.total, page.total_not_deleted), (0, 0), "deleted roots without live replies are hidden");
    assert_eq!(f.social.thread(video.id, root.id).expect("tree").total_replies, 0);
}

#[tokio::test]
async fn remote_comments_are_idempotent_and_deleted_only_by_their_author() {
    let f = fixture();
    let video = f.video(1, true);
    let video_url = format!("{PUBLIC_URL}/videos/watch/{}", video.uuid);
    let note = "https://mastodon.example/users/alice/statuses/1";
    let added = f
        .social
        .add_remote_comment(
            video.id,
            note,
            &video_url,
            "hello",
            remote("alice"),
            Some("2024-05-01T12:00:00+02:00".into()),
        )
        .await
        .expect("add");
    let AddOutcome::Added(root) = added else { panic!("expected Added, got {added:?}") };
    assert_eq!(root.created_at, "2024-05-01T10:00:00.000Z");
    assert_eq!(root.thread_id, root.id);
    let again = f.social.add_remote_comment(video.id, note, &video_url, "hello", remote("alice"), None).await;
    assert_eq!(again.expect("again"), AddOutcome::AlreadyKnown);

    let local = f.social.create_thread(video.id, 1, "local").await.expect("local");
    let reply_url = "https://mastodon.example/users/bob/statuses/2";
    let AddOutcome::Added(reply) =
        f.social.add_remote_comment(video.id, reply_url, &local.url, "re", remote("bob"), None).await.expect("reply")
    else {
        panic!("reply to a local comment is added")
    };
    assert_eq!((reply.thread_id, reply.in_reply_to), (local.id, Some(local.id)));
    let orphan = f
        .social
        .add_remote_comment(video.id, "https://m.example/3", "https://m.example/unknown", "x", remote("c"), None)
        .await;
    assert_eq!(orphan.expect("orphan"), AddOutcome::ParentUnknown);
    let other = f.video(1, true);
    let cross = f.social.add_remote_comment(other.id, "https://m.example/4", note, "x", remote("c"), None).await;
    assert_eq!(cross.expect("cross"), AddOutcome::ParentUnknown, "a parent on another video is unknown here");

    assert_eq!(f.social.comment_by_url(note).expect("lookup").map(|c| c.id), Some(root.id));
    assert_eq!(f.heard.take(), vec![Heard::Created(local.id)], "remote comments are not reported");

    let bob = remote("bob").actor_url;
    let alice = remote("alice").actor_url;
    assert!(matches!(f.social.delete_remote_comment(note, &bob).await, Err(SocialError::Forbidden(_))));
    assert!(matches!(f.social.delete_remote_comment(&local.url, &bob).await, Err(SocialError::Forbidden(_))));
    let gone = f.social.delete_remote_comment(note, &alice).await.expect("delete");
    assert!(matches!(gone, RemoteDeleteOutcome::Deleted(ref c) if c.is_deleted() && c.text.is_empty()));
    assert_eq!(f.social.delete_remote_comment(note, &alice).await.expect("again"), RemoteDeleteOutcome::AlreadyDeleted);
    assert!(matches!(
        f.social.delete_remote_comment("https://nowhere/1", &alice).await,
        Err(SocialError::CommentNotFound)
    ));
    assert!(f.heard.take().is_empty());
}

#[tokio::test]
async fn concurrent_deliveries_of_one_remote_comment_store_it_once() {
    let f = fixture();
    let video = f.video(1, true);
    let video_url = format!("{PUBLIC_URL}/videos/watch/{}", video.uuid);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (social, video_url) = (f.social.clone(), video_url.clone());
        tasks.push(tokio::spawn(async move {
            social.add_remote_comment(video.id, "https://m.example/same", &video_url, "once", remote("a"), None).await
        }));
    }
    let mut added = 0;
    for task in tasks {
        if matches!(task.await.expect("task").expect("add"), AddOutcome::Added(_)) {
            added += 1;
        }
    }
    assert_eq!(added, 1);
    assert_eq!(f.social.threads(video.id, 0, 10, ThreadSort::CreatedAtDesc).expect("threads").total, 1);
}

#[tokio::test]
async fn ratings_move_counts_and_tell_the_hook_only_on_change() {
    let f = fixture();
    let video = f.video(1, true);
    let v = f.social.rate(video.id, 7, Rating::Like).await.expect("like");
    assert_eq!((v.likes, v.dislikes), (1, 0));
    f.social.rate(video.id, 7, Rating::Like).await.expect("like again");
    let v = f.social.rate(video.id, 7, Rating::Dislike).await.expect("dislike");
    assert_eq!((v.likes, v.dislikes), (0, 1));
    assert_eq!(f.social.rating_of(video.id, 7).expect("rating"), Rating::Dislike);
    let (v, old) = f.social.rate_remote(video.id, "https://m.example/users/a", Rating::Like).await.expect("remote");
    assert_eq!((old, v.likes, v.dislikes), (Rating::None, 1, 1));
    let v = f.social.rate(video.id, 7, Rating::None).await.expect("none");
    assert_eq!((v.likes, v.dislikes), (1, 0));
    assert_eq!(f.social.rating_of(video.id, 7).expect("rating"), Rating::None);
    assert_eq!(
        f.heard.take(),
        vec![
            Heard::Rated { account: 7, old: Rating::None, new: Rating::Like, likes: 1, dislikes: 0 },
            Heard::Rated { account: 7, old: Rating::Like, new: Rating::Dislike, likes: 0, dislikes: 1 },
            Heard::Rated { account: 7, old: Rating::Dislike, new: Rating::None, likes: 1, dislikes: 0 },
        ]
    );
    assert!(matches!(f.social.rate(999, 7, Rating::Like).await, Err(SocialError::VideoNotFound)));
}

#[tokio::test]
async fn views_are_deduplicated_coalesced_and_flushed() {
    let f = fixture();
    let video = f.video(1, true);
    let quiet = f.video(1, true);
    let (a, b) = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)));
    assert!(f.social.record_view(video.id, a));
    assert!(!f.social.record_view(video.id, a));
    assert!(f.social.record_view(video.id, b));
    assert_eq!(f.load(video.id).views, 0, "buffered until the flush");
    assert_eq!(f.social.flush_views().await.expect("flush"), 2);
    assert_eq!(f.load(video.id).views, 2);
    assert_eq!(f.heard.take(), vec![Heard::Views { video: video.id, count: 2, total: 2 }]);
    assert_eq!(f.social.flush_views().await.expect("flush"), 0, "nothing new");
    assert!(f.heard.take().is_empty());

    f.social.add_views(quiet.id, 40);
    f.social.add_views(quiet.id, 2);
    assert_eq!(f.social.flush_views().await.expect("flush"), 42);
    assert_eq!(f.load(quiet.id).views, 42);
    assert!(f.heard.take().is_empty(), "reported views are not sent back out");

    // Views of a video deleted before the flush vanish with it.
    let doomed = f.video(1, true);
    f.social.record_view(doomed.id, a);
    repo::remove(&f.store, &doomed).expect("remove");
    assert_eq!(f.social.flush_views().await.expect("flush"), 0);
}

#[tokio::test(start_paused = true)]
async fn the_flusher_writes_every_interval() {
    let f = fixture();
    let video = f.video(1, true);
    let flusher = f.social.spawn_view_flusher(std::time::Duration::from_secs(10));
    f.social.record_view(video.id, IpAddr::V4(Ipv4Addr::LOCALHOST));
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(f.load(video.id).views, 0);
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        if f.load(video.id).views == 1 {
            break;
        }
    }
    assert_eq!(f.load(video.id).views, 1);
    flusher.abort();
}

#[tokio::test]
async fn forgetting_a_video_drops_its_comments_and_ratings() {
    let f = fixture();
    let video = f.video(1, true);
    let kept = f.video(1, true);
    let c = f.social.create_thread(video.id, 2, "bye").await.expect("thread");
    let k = f.social.create_thread(kept.id, 2, "stay").await.expect("thread");
    f.social.rate(video.id, 2, Rating::Like).await.expect("rate");
    f.social.rate(kept.id, 2, Rating::Like).await.expect("rate");
    f.social.forget_video(video.id).expect("forget");
    assert!(f.social.comment_by_url(&c.url).expect("lookup").is_none());
    assert!(f.social.comment_by_url(&k.url).expect("lookup").is_some());
    assert_eq!(f.social.rating_of(video.id, 2).expect("rating"), Rating::None);
    assert_eq!(f.social.rating_of(kept.id, 2).expect("rating"), Rating::Like);
}

/// One rating operation of the model test: rater 0..3 are local accounts, 3..6 remote actors.
fn op() -> impl Strategy<Value = (usize, Rating)> {
    (0usize..6, prop_oneof![Just(Rating::None), Just(Rating::Like), Just(Rating::Dislike)])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any sequence of ratings leaves the video's counts equal to the model's tally, and
    /// each rater's stored rating equal to its last one.
    #[test]
    fn ratings_match_a_model(ops in proptest::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let f = fixture();
            let video = f.video(1, true);
            let mut model = [Rating::None; 6];
            let mut hook_calls = 0;
            for (rater, rating) in ops {
                let changed = model[rater] != rating;
                let counts = if rater < 3 {
                    let v = f.social.rate(video.id, rater as u64, rating).await.expect("rate");
                    hook_calls += usize::from(changed);
                    (v.likes, v.dislikes)
                } else {
                    let actor = format!("https://m.example/users/{rater}");
                    let (v, old) = f.social.rate_remote(video.id, &actor, rating).await.expect("rate");
                    prop_assert_eq!(old, model[rater]);
                    (v.likes, v.dislikes)
                };
                model[rater] = rating;
                let likes = model.iter().filter(|r| **r == Rating::Like).count() as u64;
                let dislikes = model.iter().filter(|r| **r == Rating::Dislike).count() as u64;
                prop_assert_eq!(counts, (likes, dislikes));
                let stored = f.load(video.id);
                prop_assert_eq!((stored.likes, stored.dislikes), (likes, dislikes));
            }
            for (rater, expected) in model.iter().enumerate().take(3) {
                prop_assert_eq!(f.social.rating_of(video.id, rater as u64).expect("rating"), *expected);
            }
            prop_assert_eq!(f.heard.take().len(), hook_calls);
            Ok(())
        })?;
    }
}

/// A video of a PeerTube instance, as federation stores it; `approval` is its comments
/// policy 3 (replies held until the owner approves them).
fn peertube_video(f: &Fixture, approval: bool) -> VideoRecord {
    let video = f.video(0, true);
    let actor = |kind: &str, name: &str| RemoteActorRef {
        url: format!("http://pt.example/{kind}/{name}"),
        name: name.into(),
        host: "pt.example".into(),
        display_name: name.into(),
    };
    let origin = RemoteOrigin {
        url: format!("http://pt.example/videos/watch/{}", video.uuid),
        host: "pt.example".into(),
        account: actor("accounts", "root"),
        channel: Some(actor("video-channels", "root_channel")),
        files: vec![],
        thumbnail_url: None,
        trackers: vec![],
        replies_need_approval: approval,
        hls: None,
    };
    repo::update(&f.store, video.id, |v| v.remote = Some(origin.clone())).expect("update").expect("video")
}

#[tokio::test]
async fn peertube_reply_approval_releases_held_comments_only_from_the_video_owner() {
    let f = fixture();
    let author = f.user("carol", Role::User).await;
    let other = f.user("dave", Role::User).await;
    let held_video = peertube_video(&f, true);
    let held = f.social.create_thread(held_video.id, author, "waiting for approval").await.expect("comment");
    assert!(held.held_for_review, "a reply to a policy-3 video starts held");
    let visible = |viewer: Option<u64>| {
        f.social.threads_for(held_video.id, 0, 10, ThreadSort::CreatedAtDesc, viewer).expect("threads").total
    };
    assert_eq!((visible(None), visible(Some(other)), visible(Some(author))), (0, 0, 1), "only its author sees it");
    assert_eq!(f.social.visible_comment_urls(held_video.id).expect("urls"), Vec::<String>::new());
    assert_eq!(f.heard.take(), vec![Heard::Created(held.id)], "sent to the origin once, held");

    let approval = format!("{}/approve-reply", held.url);
    let stranger = "https://mastodon.example/users/mallory";
    assert!(matches!(f.social.approve_reply(&held.url, &approval, stranger).await, Err(SocialError::Forbidden(_))));
    assert!(matches!(
        f.social.approve_reply("http://127.0.0.1:9999/nope", &approval, "http://pt.example/accounts/root").await,
        Err(SocialError::CommentNotFound)
    ));
    let owner = "http://pt.example/accounts/root";
    let released = f.social.approve_reply(&held.url, &approval, owner).await.expect("approve");
    let ApprovalOutcome::Changed(released) = released else { panic!("approval changed nothing") };
    assert!(!released.held_for_review);
    assert_eq!(released.reply_approval.as_deref(), Some(approval.as_str()));
    assert_eq!(visible(None), 1, "visible to all once approved");
    assert_eq!(f.heard.take(), vec![Heard::Created(held.id)], "sent again with its replyApproval");
    assert_eq!(f.social.approve_reply(&held.url, &approval, owner).await.expect("again"), ApprovalOutcome::Unchanged);
    assert_eq!(f.heard.take(), vec![], "a repeated approval sends nothing");

    // An open PeerTube video: visible at once; the approval only records its id. The
    // channel may approve too.
    let open_video = peertube_video(&f, false);
    let open = f.social.create_thread(open_video.id, author, "open").await.expect("comment");
    assert!(!open.held_for_review);
    f.heard.take();
    let channel = "http://pt.example/video-channels/root_channel";
    f.social.approve_reply(&open.url, "http://pt.example/a/1", channel).await.expect("approve");
    assert_eq!(f.heard.take(), vec![], "nothing to resend for a comment never held");
    // RejectReply holds it again.
    f.social.reject_reply(&open.url, owner).await.expect("reject");
    assert_eq!(f.social.threads(open_video.id, 0, 10, ThreadSort::CreatedAtDesc).expect("threads").total, 0);

    // A local video approves its replies itself: a remote approval of a comment on it is refused.
    let local = f.video(author, true);
    let mine = f.social.create_thread(local.id, other, "on a local video").await.expect("comment");
    assert!(matches!(f.social.approve_reply(&mine.url, &approval, owner).await, Err(SocialError::Forbidden(_))));
}
