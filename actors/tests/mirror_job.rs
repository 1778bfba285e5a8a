//! Mirror jobs end to end against an in-test origin (axum on 127.0.0.1:0) that serves a
//! generated file as a web seed and its torrent made by `torrent_file::write_torrent`:
//! a plain mirror is byte-identical; a member that corrupts a piece is rejected, counted
//! and reported while the file completes from the web seed; a supervisor stopped
//! mid-transfer resumes from sled and fetches less than the file; a wrong info hash, an
//! oversized torrent and a server answering 200 to ranges end in typed errors.

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use futures::future::BoxFuture;
use ractor::{Actor, ActorRef};
use shoal_actors::config::ShoalConfig;
use shoal_actors::replication::copies::{self, CopyReason};
use shoal_actors::replication::mirror::transfer::IN_FLIGHT;
use shoal_actors::replication::mirror::{
    MirrorArgs, MirrorError, MirrorEvent, MirrorHttp, MirrorMetrics, MirrorMsg, MirrorProgress, MirrorRequest,
    MirrorSupervisor, NoMembers, PieceSource, SourceError, SourceProvider, WebSeedSource, KIND_MEMBER, KIND_WEB_SEED,
};
use shoal_actors::store::Store;
use shoal_actors::torrent_file::{self, TorrentRequest};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

const FILENAME: &str = "0f6a9f5e-1b2c-4d3e-8f00-123456789abc-360.mp4";
const TORRENT_NAME: &str = "0f6a9f5e-1b2c-4d3e-8f00-123456789abc-360.torrent";
const WAIT: Duration = Duration::from_secs(60);

/// Deterministic, non-repeating bytes (xorshift), so every piece has its own hash.
fn generated_file(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// What the origin does.
struct Origin {
    file: Bytes,
    torrent: Bytes,
    /// Delay before each web-seed answer (the throttle of the resume test).
    delay_ms: AtomicU64,
    /// Answer ranges with 200 and the whole file.
    ignore_ranges: AtomicBool,
    /// Web-seed body bytes sent so far.
    served: AtomicU64,
    /// Answer this many web-seed requests with 503 first.
    fail_next: AtomicU64,
}

struct OriginServer {
    base: String,
    state: Arc<Origin>,
    torrent: Vec<u8>,
    info_hash: [u8; 20],
    piece_length: u32,
    _dir: tempfile::TempDir,
}

impl OriginServer {
    fn web_seed_url(&self) -> String {
        format!("{}/static/web-videos/{FILENAME}", self.base)
    }

    fn request(&self) -> MirrorRequest {
        MirrorRequest {
            info_hash: self.info_hash,
            video_uuid: uuid::Uuid::from_u128(0x0f6a9f5e),
            video_url: format!("{}/videos/watch/0f6a9f5e-1b2c-4d3e-8f00-123456789abc", self.base),
            origin_host: self.base.trim_start_matches("http://").to_string(),
            filename: FILENAME.into(),
            size: self.state.file.len() as u64,
            torrent_url: format!("{}/lazy-static/torrents/{TORRENT_NAME}", self.base),
            web_seed_url: self.web_seed_url(),
            reason: CopyReason::Placement,
            repair: false,
        }
    }
}

async fn web_seed(State(origin): State<Arc<Origin>>, UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Response {
    if name != FILENAME {
        return StatusCode::NOT_FOUND.into_response();
    }
    if origin.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let delay = origin.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let len = origin.file.len() as u64;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)));
    match range {
        Some((first, last)) if !origin.ignore_ranges.load(Ordering::Relaxed) && first <= last && last < len => {
            let body = origin.file.slice(first as usize..=last as usize);
            origin.served.fetch_add(body.len() as u64, Ordering::Relaxed);
            Response::builder()
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_RANGE, format!("bytes {first}-{last}/{len}"))
                .body(Body::from(body))
                .unwrap()
        }
        _ => {
            origin.served.fetch_add(len, Ordering::Relaxed);
            Response::new(Body::from(origin.file.clone()))
        }
    }
}

async fn torrent(State(origin): State<Arc<Origin>>, UrlPath(name): UrlPath<String>) -> Response {
    match name.as_str() {
        TORRENT_NAME => Response::new(Body::from(origin.torrent.clone())),
        // 5 MiB: over the 4 MiB cap of `MirrorHttp`.
        "huge.torrent" => Response::new(Body::from(vec![b'x'; 5 << 20])),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Writes the file, makes its torrent with the node's own torrent code, serves both.
async fn start_origin(len: usize) -> OriginServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let file = generated_file(len);
    let file_path = media.join(FILENAME);
    std::fs::write(&file_path, &file).unwrap();
    let artifacts = torrent_file::write_torrent(&TorrentRequest {
        file_path: &file_path,
        filename: FILENAME,
        torrent_filename: TORRENT_NAME,
        media_dir: &media,
        tmp_dir: &tmp,
        public_url: &base,
        display_name: "mirror test",
        creation_date: 1_700_000_000,
    })
    .unwrap();
    let torrent = std::fs::read(media.join(TORRENT_NAME)).unwrap();
    let state = Arc::new(Origin {
        file: Bytes::from(file),
        torrent: Bytes::from(torrent.clone()),
        delay_ms: AtomicU64::new(0),
        ignore_ranges: AtomicBool::new(false),
        served: AtomicU64::new(0),
        fail_next: AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/static/web-videos/{name}", get(web_seed))
        .route("/lazy-static/torrents/{name}", get(self::torrent))
        .with_state(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    OriginServer {
        base,
        state,
        torrent,
        info_hash: artifacts.metainfo.info_hash(),
        piece_length: artifacts.metainfo.info.piece_length,
        _dir: dir,
    }
}

/// A member holding the file in memory that corrupts one piece.
struct CorruptMember {
    file: Bytes,
    piece_length: u64,
    bad_piece: u64,
    /// Set once the bad piece was handed out.
    sent_bad: AtomicBool,
    /// Requests received after that.
    asked_after_bad: AtomicU64,
}

impl PieceSource for CorruptMember {
    fn id(&self) -> String {
        "corrupt-member".into()
    }
    fn kind(&self) -> &'static str {
        KIND_MEMBER
    }
    fn fetch(&self, offset: u64, len: u64) -> BoxFuture<'_, Result<Bytes, SourceError>> {
        Box::pin(async move {
            if self.sent_bad.load(Ordering::SeqCst) {
                self.asked_after_bad.fetch_add(1, Ordering::SeqCst);
            }
            let mut piece = self.file.slice(offset as usize..(offset + len) as usize).to_vec();
            if offset / self.piece_length == self.bad_piece {
                piece[7] ^= 0x55;
                self.sent_bad.store(true, Ordering::SeqCst);
            }
            Ok(Bytes::from(piece))
        })
    }
}

/// Members for the tests: the given sources, and maybe a torrent.
struct TestMembers {
    members: Vec<Arc<dyn PieceSource>>,
    torrent: Option<Vec<u8>>,
}

impl SourceProvider for TestMembers {
    fn members_holding(&self, _info_hash: &[u8; 20]) -> Vec<Arc<dyn PieceSource>> {
        self.members.clone()
    }
    fn torrent(&self, _info_hash: &[u8; 20]) -> BoxFuture<'_, Option<Vec<u8>>> {
        let torrent = self.torrent.clone();
        Box::pin(async move { torrent })
    }
}

struct Node {
    _dir: tempfile::TempDir,
    config: Arc<ShoalConfig>,
    store: Store,
}

impl Node {
    fn new(configure: impl FnOnce(&mut ShoalConfig)) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ShoalConfig::default();
        config.storage.data_dir = dir.path().to_path_buf();
        config.federation.allow_private_addresses = true;
        config.redundancy.concurrency = 2;
        config.redundancy.max_attempts = 3;
        config.redundancy.retry_backoff_ms = 50;
        configure(&mut config);
        let store = Store::open(&config.db_dir()).unwrap();
        Node { _dir: dir, config: Arc::new(config), store }
    }

    fn media(&self) -> PathBuf {
        self.config.media_dir()
    }

    async fn start(
        &self,
        sources: Arc<dyn SourceProvider>,
        metrics: MirrorMetrics,
    ) -> (ActorRef<MirrorMsg>, tokio::task::JoinHandle<()>, UnboundedReceiver<MirrorEvent>) {
        let (events, rx) = unbounded_channel();
        let args = MirrorArgs {
            store: self.store.clone(),
            config: self.config.clone(),
            metrics,
            http: MirrorHttp::new(&self.config.federation).unwrap(),
            sources,
            events,
        };
        let (actor, handle) = Actor::spawn(None, MirrorSupervisor, args).await.unwrap();
        (actor, handle, rx)
    }
}

/// The next event `pick` accepts (others are skipped), within [`WAIT`].
async fn wait_event<T>(rx: &mut UnboundedReceiver<MirrorEvent>, mut pick: impl FnMut(MirrorEvent) -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(event)) => {
                if let Some(found) = pick(event) {
                    return found;
                }
            }
            Ok(None) => panic!("event channel closed"),
            Err(_) => panic!("no matching event within {WAIT:?}"),
        }
    }
}

/// The next `Failed` event; a completion is a test failure.
async fn next_failure(rx: &mut UnboundedReceiver<MirrorEvent>) -> (MirrorRequest, MirrorError) {
    wait_event(rx, |e| match e {
        MirrorEvent::Failed { request, error } => Some((request, error)),
        MirrorEvent::Completed(copy) => panic!("completed unexpectedly: {copy:?}"),
        _ => None,
    })
    .await
}

async fn status(actor: &ActorRef<MirrorMsg>) -> Vec<MirrorProgress> {
    ractor::call_t!(actor, MirrorMsg::Status, 5_000).unwrap()
}

fn assert_nothing_partial_left(node: &Node) {
    let part_dir = copies::redundancy_dir(&node.media()).join(copies::PART_DIR);
    let left: Vec<_> =
        std::fs::read_dir(&part_dir).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "partial files left: {left:?}");
}

fn assert_no_copy(node: &Node, info_hash: &[u8; 20]) {
    assert_eq!(copies::get(&node.store, info_hash).unwrap(), None);
    assert!(!copies::copy_path(&node.media(), FILENAME).exists());
    assert!(node.store.mirror_progress.is_empty(), "progress left in sled");
    assert_nothing_partial_left(node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_mirrors_from_the_web_seed_byte_identical() {
    let origin = start_origin(1_000_003).await;
    let node = Node::new(|_| {});
    let metrics = MirrorMetrics::default();
    let (actor, handle, mut rx) = node.start(Arc::new(NoMembers), metrics.clone()).await;
    actor.cast(MirrorMsg::Mirror(origin.request())).unwrap();

    let copy = wait_event(&mut rx, |e| match e {
        MirrorEvent::Completed(copy) => Some(copy),
        MirrorEvent::Failed { error, .. } => panic!("mirror failed: {error}"),
        _ => None,
    })
    .await;
    assert_eq!(copy.info_hash, origin.info_hash);
    assert_eq!(copy.filename, FILENAME);
    assert_eq!(copy.size, 1_000_003);
    assert_eq!(copy.reason, CopyReason::Placement);
    let mirrored = std::fs::read(copies::copy_path(&node.media(), FILENAME)).unwrap();
    assert!(mirrored == origin.state.file[..], "the copy differs from the origin's file");
    assert_eq!(std::fs::read(copies::torrent_path(&node.media(), FILENAME)).unwrap(), origin.torrent);
    assert_eq!(copies::get(&node.store, &origin.info_hash).unwrap(), Some(copy.clone()));
    assert_eq!(copies::by_filename(&node.store, FILENAME).unwrap(), Some(copy));
    assert!(node.store.mirror_progress.is_empty());
    assert!(status(&actor).await.is_empty());
    assert_nothing_partial_left(&node);

    let pieces = 1_000_003u64.div_ceil(u64::from(origin.piece_length));
    assert_eq!(metrics.pieces_fetched(KIND_WEB_SEED), pieces);
    assert_eq!(metrics.bytes_fetched(KIND_WEB_SEED), 1_000_003);
    assert_eq!(metrics.pieces_rejected(KIND_WEB_SEED), 0);
    assert_eq!(metrics.jobs_ended("completed"), 1);

    // Asking again for a copy held is a no-op; Drop removes the file, torrent and record.
    actor.cast(MirrorMsg::Mirror(origin.request())).unwrap();
    actor.cast(MirrorMsg::Drop { info_hash: origin.info_hash }).unwrap();
    let dropped = wait_event(&mut rx, |e| match e {
        MirrorEvent::Dropped { copy, .. } => Some(copy),
        _ => None,
    })
    .await;
    assert_eq!(dropped.map(|c| c.filename), Some(FILENAME.to_string()));
    assert_no_copy(&node, &origin.info_hash);
    assert!(!copies::torrent_path(&node.media(), FILENAME).exists());
    actor.stop(None);
    handle.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_member_is_rejected_reported_and_the_file_completes_from_the_web_seed() {
    let origin = start_origin(700_001).await;
    let node = Node::new(|_| {});
    let metrics = MirrorMetrics::default();
    let bad_piece = 3u64;
    let member = Arc::new(CorruptMember {
        file: origin.state.file.clone(),
        piece_length: u64::from(origin.piece_length),
        bad_piece,
        sent_bad: AtomicBool::new(false),
        asked_after_bad: AtomicU64::new(0),
    });
    // The member also hands over the torrent (so the origin's torrent URL is not needed).
    let provider = TestMembers { members: vec![member.clone()], torrent: Some(origin.torrent.clone()) };
    // The web seed fails the first attempt, so another attempt runs: the member banned in
    // the first must not be asked again. Three failures in a row drop a source, and up to
    // IN_FLIGHT requests may be out when the third comes back: 3 + IN_FLIGHT 503s make
    // sure no success resets the count (an attempt that fails uses at least 3, so the
    // three attempts allowed suffice).
    origin.state.fail_next.store(3 + IN_FLIGHT as u64, Ordering::SeqCst);
    let (actor, handle, mut rx) = node.start(Arc::new(provider), metrics.clone()).await;
    let mut request = origin.request();
    request.torrent_url = format!("{}/lazy-static/torrents/missing.torrent", origin.base);
    actor.cast(MirrorMsg::Mirror(request)).unwrap();

    let mut misbehaving = Vec::new();
    let copy = wait_event(&mut rx, |e| match e {
        MirrorEvent::Completed(copy) => Some(copy),
        MirrorEvent::Misbehaving { source_id, source_kind, piece, info_hash } => {
            assert_eq!(info_hash, origin.info_hash);
            misbehaving.push((source_id, source_kind, piece));
            None
        }
        MirrorEvent::Failed { error, .. } => panic!("mirror failed: {error}"),
        _ => None,
    })
    .await;
    assert_eq!(misbehaving, vec![("corrupt-member".to_string(), KIND_MEMBER, bad_piece as u32)]);
    let mirrored = std::fs::read(copies::copy_path(&node.media(), &copy.filename)).unwrap();
    assert!(mirrored == origin.state.file[..], "a corrupt byte was kept");
    assert_eq!(metrics.pieces_rejected(KIND_MEMBER), 1);
    assert_eq!(metrics.pieces_rejected(KIND_WEB_SEED), 0);
    // The member was dropped once its bad piece was seen: at most the requests already in
    // flight (issued before the job saw the bad piece) reached it afterwards; the rest of
    // the file came from the web seed.
    let asked_after = member.asked_after_bad.load(Ordering::SeqCst);
    assert!(asked_after < IN_FLIGHT as u64, "the member was asked {asked_after} times after its bad piece");
    let pieces = 700_001u64.div_ceil(u64::from(origin.piece_length));
    assert!(metrics.pieces_fetched(KIND_WEB_SEED) > 0);
    assert_eq!(metrics.pieces_fetched(KIND_MEMBER) + metrics.pieces_fetched(KIND_WEB_SEED), pieces);
    assert!(origin.state.served.load(Ordering::Relaxed) > 0);
    assert_eq!(origin.state.fail_next.load(Ordering::SeqCst), 0, "the first attempt did not reach the web seed");
    assert_nothing_partial_left(&node);
    actor.stop(None);
    handle.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_transfer_resumes_from_sled_and_fetches_less_than_the_file() {
    let size = 2_000_000usize;
    let origin = start_origin(size).await;
    // 16 KiB pieces (123), 4 in flight, 25 ms per answer: about 0.8 s for the whole file.
    origin.state.delay_ms.store(25, Ordering::Relaxed);
    let node = Node::new(|c| c.redundancy.concurrency = 1);
    let (actor, handle, _rx) = node.start(Arc::new(NoMembers), MirrorMetrics::default()).await;
    actor.cast(MirrorMsg::Mirror(origin.request())).unwrap();

    // Wait until about a third is verified, then stop the supervisor under the job.
    let deadline = Instant::now() + WAIT;
    let done_before = loop {
        let jobs = status(&actor).await;
        if let Some(job) = jobs.first() {
            if job.pieces_total > 0 && job.pieces_done * 3 >= job.pieces_total {
                assert!(job.running);
                assert_eq!(job.fetched_by_kind.get(KIND_WEB_SEED).copied(), Some(job.bytes_done));
                break job.pieces_done;
            }
        }
        assert!(Instant::now() < deadline, "the transfer made no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    actor.stop(None);
    handle.await.unwrap();
    assert!(copies::get(&node.store, &origin.info_hash).unwrap().is_none());
    let record = shoal_actors::replication::mirror::progress::get(&node.store, &origin.info_hash).unwrap().unwrap();
    assert!(record.pieces_done() >= done_before && !record.is_complete(), "progress not kept in sled");
    node.store.flush().await.unwrap();

    // A new supervisor on the same database finishes the job.
    tokio::time::sleep(Duration::from_millis(100)).await; // let in-flight answers of the old job drain
    origin.state.delay_ms.store(0, Ordering::Relaxed);
    let served_before = origin.state.served.load(Ordering::Relaxed);
    let metrics = MirrorMetrics::default();
    let (actor, handle, mut rx) = node.start(Arc::new(NoMembers), metrics.clone()).await;
    let copy = wait_event(&mut rx, |e| match e {
        MirrorEvent::Completed(copy) => Some(copy),
        MirrorEvent::Failed { error, .. } => panic!("resumed mirror failed: {error}"),
        _ => None,
    })
    .await;
    let served_after = origin.state.served.load(Ordering::Relaxed) - served_before;
    let mirrored = std::fs::read(copies::copy_path(&node.media(), &copy.filename)).unwrap();
    assert!(mirrored == origin.state.file[..], "the resumed copy differs from the origin's file");
    assert!(served_after < size as u64, "fetched {served_after} bytes after the restart, the file is {size}");
    assert!(metrics.bytes_fetched(KIND_WEB_SEED) < size as u64);
    assert!(metrics.bytes_fetched(KIND_WEB_SEED) >= (size as u64) / 3);
    println!("resume: {served_after} of {size} bytes fetched after the restart ({done_before} pieces were done)");
    actor.stop(None);
    handle.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_torrents_and_servers_give_typed_errors() {
    let origin = start_origin(100_000).await;
    // Two attempts: permanent errors give up at once, the 200 answer after a retry.
    let node = Node::new(|c| c.redundancy.max_attempts = 2);
    let (actor, handle, mut rx) = node.start(Arc::new(NoMembers), MirrorMetrics::default()).await;
    // The torrent at the URL is not the asked one.
    let mut wrong = origin.request();
    wrong.info_hash = [0xab; 20];
    actor.cast(MirrorMsg::Mirror(wrong.clone())).unwrap();
    let (request, error) = next_failure(&mut rx).await;
    assert_eq!(request, wrong);
    assert_eq!(error, MirrorError::WrongInfoHash { expected: "ab".repeat(20), found: hex::encode(origin.info_hash) });
    assert!(error.is_permanent());
    assert_no_copy(&node, &[0xab; 20]);

    // A torrent over the cap.
    let mut huge = origin.request();
    huge.torrent_url = format!("{}/lazy-static/torrents/huge.torrent", origin.base);
    actor.cast(MirrorMsg::Mirror(huge)).unwrap();
    let (_, error) = next_failure(&mut rx).await;
    assert!(matches!(error, MirrorError::TorrentTooLarge { limit } if limit == 4 << 20), "{error:?}");
    assert_no_copy(&node, &origin.info_hash);

    // A web seed that answers ranges with 200 and the whole file.
    origin.state.ignore_ranges.store(true, Ordering::Relaxed);
    actor.cast(MirrorMsg::Mirror(origin.request())).unwrap();
    let (_, error) = next_failure(&mut rx).await;
    assert_eq!(error, MirrorError::NoSourceLeft { last_error: Some(SourceError::NotPartial { status: 200 }) });
    assert_no_copy(&node, &origin.info_hash);

    // An unsafe file name never touches the disk.
    let mut sneaky = origin.request();
    sneaky.filename = "../../escape.mp4".into();
    actor.cast(MirrorMsg::Mirror(sneaky)).unwrap();
    let (_, error) = next_failure(&mut rx).await;
    assert_eq!(error, MirrorError::UnsafeFilename("../../escape.mp4".into()));
    assert!(!node.media().join("../../escape.mp4").exists());
    actor.stop(None);
    handle.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_seed_source_accepts_only_exact_partial_answers() {
    let origin = start_origin(50_000).await;
    let http = MirrorHttp::new(&ShoalConfig::default().federation).unwrap();
    // With private addresses refused (the default), loopback is not reachable.
    let refused = WebSeedSource::new(http, origin.web_seed_url(), 50_000);
    assert!(matches!(refused.fetch(0, 10).await, Err(SourceError::Refused(_))));

    let mut config = ShoalConfig::default();
    config.federation.allow_private_addresses = true;
    let http = MirrorHttp::new(&config.federation).unwrap();
    let seed = WebSeedSource::new(http.clone(), origin.web_seed_url(), 50_000);
    assert_eq!(seed.fetch(100, 50).await.unwrap(), origin.state.file.slice(100..150));
    // A size that is not the file's: the Content-Range total does not match.
    let wrong_size = WebSeedSource::new(http.clone(), origin.web_seed_url(), 60_000);
    assert!(matches!(wrong_size.fetch(0, 10).await, Err(SourceError::BadContentRange { .. })));
    // Past the end of the file: refused before any request.
    assert!(matches!(seed.fetch(49_990, 20).await, Err(SourceError::WrongLength { .. })));
    let missing = WebSeedSource::new(http.clone(), format!("{}/static/web-videos/nope.mp4", origin.base), 50_000);
    assert_eq!(missing.fetch(0, 10).await, Err(SourceError::Status { status: 404 }));
    origin.state.ignore_ranges.store(true, Ordering::Relaxed);
    assert_eq!(seed.fetch(0, 10).await, Err(SourceError::NotPartial { status: 200 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_origin_is_retried_with_backoff_and_then_completes() {
    let origin = start_origin(300_000).await;
    // Enough 503s to drop the only source in the first attempt.
    origin.state.fail_next.store(6, Ordering::SeqCst);
    let node = Node::new(|c| {
        c.redundancy.max_attempts = 3;
        c.redundancy.retry_backoff_ms = 200;
    });
    let metrics = MirrorMetrics::default();
    let (actor, handle, mut rx) = node.start(Arc::new(NoMembers), metrics.clone()).await;
    let started = Instant::now();
    actor.cast(MirrorMsg::Mirror(origin.request())).unwrap();

    // The first attempt fails and is recorded with its reason and backoff.
    let deadline = Instant::now() + WAIT;
    let failed_once = loop {
        let jobs = status(&actor).await;
        if let Some(job) = jobs.first().filter(|j| j.failures >= 1) {
            break job.clone();
        }
        assert!(Instant::now() < deadline, "the first attempt never failed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(failed_once.last_error.as_deref().is_some_and(|e| e.contains("HTTP 503")), "{failed_once:?}");

    let copy = wait_event(&mut rx, |e| match e {
        MirrorEvent::Completed(copy) => Some(copy),
        MirrorEvent::Failed { error, .. } => panic!("gave up: {error}"),
        _ => None,
    })
    .await;
    assert!(started.elapsed() >= Duration::from_millis(200), "retried before the backoff");
    let mirrored = std::fs::read(copies::copy_path(&node.media(), &copy.filename)).unwrap();
    assert!(mirrored == origin.state.file[..]);
    assert_eq!(metrics.jobs_ended("completed"), 1);
    assert_eq!(metrics.jobs_ended("failed"), 0);
    actor.stop(None);
    handle.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_running_job_cancels_it_and_deletes_its_partial_file() {
    let origin = start_origin(1_500_000).await;
    origin.state.delay_ms.store(20, Ordering::Relaxed);
    let node = Node::new(|_| {});
    let metrics = MirrorMetrics::default();
    let (actor, handle, mut rx) = node.start(Arc::new(NoMembers), metrics.clone()).await;
    actor.cast(MirrorMsg::Mirror(origin.request())).unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let jobs = status(&actor).await;
        if jobs.first().is_some_and(|j| j.running && j.pieces_done > 4) {
            break;
        }
        assert!(Instant::now() < deadline, "the transfer made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let part = copies::part_path(&node.media(), FILENAME);
    assert!(part.exists());
    actor.cast(MirrorMsg::Drop { info_hash: origin.info_hash }).unwrap();
    let dropped = wait_event(&mut rx, |e| match e {
        MirrorEvent::Dropped { info_hash, copy } => Some((info_hash, copy)),
        MirrorEvent::Completed(_) => panic!("completed after the drop"),
        _ => None,
    })
    .await;
    assert_eq!(dropped, (origin.info_hash, None));
    assert!(status(&actor).await.is_empty());
    // Nothing comes back: no completion, no partial file, no record.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.try_recv().is_err(), "an event after the drop");
    assert_no_copy(&node, &origin.info_hash);
    assert_eq!(metrics.jobs_running(), 0);
    assert_eq!(metrics.jobs_ended("dropped"), 1);
    actor.stop(None);
    handle.await.unwrap();
}
