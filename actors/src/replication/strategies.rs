//! PeerTube's redundancy strategies run over this node's store: which files of the videos
//! of followed instances to mirror, and which copies to drop.
//!
//! [`plan`] gathers the candidates — remote videos (the `videos` tree, `remote` origin) that
//! are public, have files, and whose host this node follows with `redundancyAllowed` (`PUT
//! /api/v1/server/redundancy/{host}`) — with their size (every file), views, views in the
//! trending window ([`TRENDING_WINDOW_SECS`], from view samples this module keeps) and
//! publication time; what is held (complete copies in `replication::copies`, strategy
//! holds in the tree `redundancy_holds`, manual requests); and asks the pure
//! [`shoal_protocol::placement::strategy::select`] what each configured strategy does. It
//! writes the holds (one per video: strategy, expiry) and returns a [`StrategyPlan`]: the
//! files to mirror (strategy picks and pending manual requests not yet complete) and the
//! files to drop. The caller (the replication actor) hands them to the mirror jobs.
//!
//! Manual requests (`POST /api/v1/server/redundancy/videos`) are kept in the tree
//! `redundancy_manual` (`info hash -> ManualRequest`) until the copy completes or is
//! removed: see [`request_manual`].

use crate::activitypub::follows::{self, FollowState};
use crate::config::{StrategyConfig, StrategyKind};
use crate::replication::copies::{self, CopyReason, CopyRecord};
use crate::store::{self, codec, keys, tree, Store, StoreError};
use crate::videos::record::{Privacy, VideoRecord};
use crate::videos::repo;
use serde::{Deserialize, Serialize};
use shoal_protocol::placement::strategy::{
    self as pure, Action, Candidate, Held, HeldBy, Outcome, StrategyName, StrategyPolicy,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// PeerTube's `trending.videos.interval_days` default (7 days): the window of "trending".
pub const TRENDING_WINDOW_SECS: u64 = 7 * 24 * 3_600;
/// View samples of a video are taken at most this often.
pub const SAMPLE_EVERY_SECS: u64 = 3_600;

/// One file this node wants a copy of: a mirror job's `MirrorRequest` (see the `From`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WantedFile {
    pub info_hash: [u8; 20],
    pub video_uuid: Uuid,
    /// The video's ActivityPub id on its origin.
    pub video_url: String,
    /// `host[:port]` of the origin.
    pub origin_host: String,
    /// The origin's file name, kept as the copy's name under `media/redundancy/`.
    pub filename: String,
    pub size: u64,
    pub torrent_url: String,
    /// The origin's web seed of the file.
    pub web_seed_url: String,
    pub reason: CopyReason,
}

impl From<WantedFile> for crate::replication::mirror::MirrorRequest {
    fn from(f: WantedFile) -> Self {
        crate::replication::mirror::MirrorRequest {
            info_hash: f.info_hash,
            video_uuid: f.video_uuid,
            video_url: f.video_url,
            origin_host: f.origin_host,
            filename: f.filename,
            size: f.size,
            torrent_url: f.torrent_url,
            web_seed_url: f.web_seed_url,
            reason: f.reason,
            repair: false,
        }
    }
}

/// A manual request waiting for its copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualRequest {
    pub file: WantedFile,
    /// Unix seconds.
    pub requested_at: u64,
}

/// A strategy's claim on a video (tree `redundancy_holds`, keyed by video uuid): made when
/// the strategy first picks it, extended or removed by later runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRecord {
    pub video_uuid: Uuid,
    pub strategy: StrategyKind,
    /// Unix seconds.
    pub created_at: u64,
    pub updated_at: u64,
    pub expires_at: u64,
}

/// What one run decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StrategyPlan {
    /// Files to fetch (not held yet): new strategy picks, still-wanted strategy files that
    /// are not complete, and pending manual requests.
    pub mirror: Vec<WantedFile>,
    /// Held files to drop (complete copies and unfinished ones), with the record when the
    /// copy is complete.
    pub drop: Vec<DroppedFile>,
    /// Videos whose hold was extended this run (their copies' CacheFiles need an Update).
    pub extended: Vec<HoldRecord>,
    /// Every strategy decision, by video uuid (for logs and tests).
    pub outcomes: Vec<(Uuid, Outcome)>,
}

/// A file a strategy no longer wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedFile {
    pub info_hash: [u8; 20],
    pub video_uuid: Uuid,
    /// The complete copy, if there is one.
    pub copy: Option<CopyRecord>,
}

/// Why a manual request is refused.
#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    /// The video is this node's own (PeerTube: "Cannot create a redundancy on a local video").
    #[error("Cannot create a redundancy on a local video")]
    LocalVideo,
    /// The video has no file this node can mirror.
    #[error("This video has no file to duplicate")]
    NoFiles,
    /// A copy exists or is already requested.
    #[error("This video is already duplicated by your instance.")]
    AlreadyDuplicated,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sled::Error> for ManualError {
    fn from(err: sled::Error) -> Self {
        ManualError::Store(StoreError::Sled(err))
    }
}

fn protocol_name(kind: StrategyKind) -> StrategyName {
    match kind {
        StrategyKind::MostViews => StrategyName::MostViews,
        StrategyKind::Trending => StrategyName::Trending,
        StrategyKind::RecentlyAdded => StrategyName::RecentlyAdded,
    }
}

fn config_kind(name: StrategyName) -> StrategyKind {
    match name {
        StrategyName::MostViews => StrategyKind::MostViews,
        StrategyName::Trending => StrategyKind::Trending,
        StrategyName::RecentlyAdded => StrategyKind::RecentlyAdded,
    }
}

/// PeerTube's label of a copy's reason: a strategy name, `manual`, or Shoal's `placement`.
pub fn reason_label(reason: CopyReason) -> &'static str {
    match reason {
        CopyReason::Strategy(kind) => protocol_name(kind).label(),
        CopyReason::Manual => "manual",
        CopyReason::Placement => "placement",
    }
}

/// The files of a remote video a copy would take, as [`WantedFile`]s: those with an info
/// hash and a file name safe for the redundancy folder. Empty for a local video.
pub fn wanted_files(video: &VideoRecord, reason: CopyReason) -> Vec<WantedFile> {
    let Some(origin) = &video.remote else { return Vec::new() };
    origin
        .files
        .iter()
        .filter_map(|f| {
            let info_hash: [u8; 20] = hex::decode(&f.info_hash).ok()?.try_into().ok()?;
            let filename = f.url.split(['?', '#']).next()?.rsplit('/').next()?.to_string();
            if !copies::is_safe_filename(&filename) {
                return None;
            }
            Some(WantedFile {
                info_hash,
                video_uuid: video.uuid,
                video_url: origin.url.clone(),
                origin_host: origin.host.clone(),
                filename,
                size: f.size,
                torrent_url: f.torrent_url.clone(),
                web_seed_url: f.url.clone(),
                reason,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Manual requests

/// Records a manual request for every file of `video` (a remote video). Refused for a
/// local video, a video without mirrorable files, or one this node already holds a copy of
/// or already asked for. Returns the files to hand to the mirror jobs.
pub fn request_manual(store: &Store, video: &VideoRecord, now: u64) -> Result<Vec<WantedFile>, ManualError> {
    if video.is_local() {
        return Err(ManualError::LocalVideo);
    }
    let files = wanted_files(video, CopyReason::Manual);
    if files.is_empty() {
        return Err(ManualError::NoFiles);
    }
    if is_duplicated(store, video.uuid)? {
        return Err(ManualError::AlreadyDuplicated);
    }
    for file in &files {
        store::put(&store.redundancy_manual, file.info_hash, &ManualRequest { file: file.clone(), requested_at: now })?;
    }
    Ok(files)
}

/// PeerTube's `isLocalByVideoUUIDExists`, and a pending manual request: this node holds (or
/// asked for) a copy of some file of the video.
pub fn is_duplicated(store: &Store, video_uuid: Uuid) -> Result<bool, StoreError> {
    Ok(copies::list(store)?.iter().any(|c| c.video_uuid == video_uuid)
        || manual_requests(store)?.iter().any(|r| r.file.video_uuid == video_uuid))
}

/// Every pending manual request.
pub fn manual_requests(store: &Store) -> Result<Vec<ManualRequest>, StoreError> {
    let mut out = Vec::new();
    for entry in store.redundancy_manual.iter() {
        let (_, value) = entry?;
        out.push(codec::decode(tree::REDUNDANCY_MANUAL, &value)?);
    }
    Ok(out)
}

/// Forgets the manual request of a file; true if there was one.
pub fn remove_manual_request(store: &Store, info_hash: &[u8; 20]) -> Result<bool, StoreError> {
    Ok(store.redundancy_manual.remove(info_hash)?.is_some())
}

/// Forgets the pending manual requests of the videos of `host`; how many.
pub fn remove_manual_requests_of_host(store: &Store, host: &str) -> Result<usize, StoreError> {
    let mut removed = 0;
    for request in manual_requests(store)? {
        if request.file.origin_host == host && remove_manual_request(store, &request.file.info_hash)? {
            removed += 1;
        }
    }
    Ok(removed)
}

// ---------------------------------------------------------------------------------------
// Holds

/// The strategy hold of a video, if any.
pub fn hold(store: &Store, video_uuid: Uuid) -> Result<Option<HoldRecord>, StoreError> {
    store::get(&store.redundancy_holds, tree::REDUNDANCY_HOLDS, video_uuid.as_bytes())
}

/// Every strategy hold.
pub fn holds(store: &Store) -> Result<Vec<HoldRecord>, StoreError> {
    let mut out = Vec::new();
    for entry in store.redundancy_holds.iter() {
        let (_, value) = entry?;
        out.push(codec::decode(tree::REDUNDANCY_HOLDS, &value)?);
    }
    Ok(out)
}

/// Removes a video's hold (its copy was removed by hand); true if there was one.
pub fn remove_hold(store: &Store, video_uuid: Uuid) -> Result<bool, StoreError> {
    Ok(store.redundancy_holds.remove(video_uuid.as_bytes())?.is_some())
}

// ---------------------------------------------------------------------------------------
// Views in the trending window

/// Records `views` of `video_id` at `now` (at most one sample per [`SAMPLE_EVERY_SECS`]) and
/// returns the views gained within [`TRENDING_WINDOW_SECS`]: against the newest sample at
/// least a window old, else the oldest one; a video published within the window counts
/// all its views. Samples older than needed are pruned.
fn trending_views(store: &Store, video_id: u64, views: u64, published_at: u64, now: u64) -> Result<u64, StoreError> {
    let key = keys::id_key(video_id);
    let mut samples: Vec<(u64, u64)> =
        store::get(&store.redundancy_view_samples, tree::REDUNDANCY_VIEW_SAMPLES, key)?.unwrap_or_default();
    let window_start = now.saturating_sub(TRENDING_WINDOW_SECS);
    if samples.last().is_none_or(|(at, _)| now >= at.saturating_add(SAMPLE_EVERY_SECS)) {
        samples.push((now, views));
    }
    // Keep the newest sample at or before the window start, and everything after it.
    if let Some(base) = samples.iter().rposition(|(at, _)| *at <= window_start) {
        samples.drain(..base);
    }
    store::put(&store.redundancy_view_samples, key, &samples)?;
    if published_at >= window_start {
        return Ok(views);
    }
    let base = samples.first().map_or(views, |(_, v)| *v);
    Ok(views.saturating_sub(base))
}

fn unix_of(rfc3339: Option<&str>) -> u64 {
    rfc3339
        .and_then(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
        .and_then(|t| u64::try_from(t.unix_timestamp()).ok())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// The run

/// Hosts this node follows (accepted) with `redundancyAllowed`.
fn allowed_hosts(store: &Store) -> Result<HashSet<String>, StoreError> {
    let all = follows::all_following(store).map_err(|e| match e {
        crate::activitypub::ApServiceError::Store(s) => s,
        other => StoreError::Decode { tree: tree::FOLLOWING, reason: other.to_string() },
    })?;
    Ok(all.into_iter().filter(|f| f.redundancy_allowed && f.state == FollowState::Accepted).map(|f| f.host).collect())
}

/// One run of every configured strategy at unix second `now`: writes the holds and returns
/// what to mirror and drop (see the module docs).
pub fn plan(store: &Store, strategies: &[StrategyConfig], now: u64) -> Result<StrategyPlan, StoreError> {
    let hosts = allowed_hosts(store)?;
    // Candidates, and every remote video by id (to find the files of held videos).
    let mut candidates = Vec::new();
    let mut videos: HashMap<u64, VideoRecord> = HashMap::new();
    let mut id_of_uuid: HashMap<Uuid, u64> = HashMap::new();
    for record in repo::all(store) {
        let record = record?;
        let Some(origin) = &record.remote else { continue };
        id_of_uuid.insert(record.uuid, record.id);
        let files = wanted_files(&record, CopyReason::Placement);
        if record.privacy == Privacy::Public && hosts.contains(&origin.host) && !files.is_empty() {
            let published_at = unix_of(record.published_at.as_deref().or(Some(record.created_at.as_str())));
            candidates.push(Candidate {
                video: record.id,
                size: files.iter().map(|f| f.size).sum(),
                views: record.views,
                trending_views: trending_views(store, record.id, record.views, published_at, now)?,
                published_at,
            });
        }
        videos.insert(record.id, record);
    }

    // What is held, one entry per video: a strategy hold, else a copy's reason.
    let copies = copies::list(store)?;
    let manual = manual_requests(store)?;
    let holds: HashMap<Uuid, HoldRecord> = holds(store)?.into_iter().map(|h| (h.video_uuid, h)).collect();
    let lifetime_of =
        |kind: StrategyKind| strategies.iter().find(|s| s.strategy == kind).map_or(0, |s| s.min_lifetime_secs);
    let mut held: Vec<Held> = Vec::new();
    let mut held_ids = HashSet::new();
    // What a held video takes: all its files (some may still be fetching).
    let mut size_of: HashMap<u64, u64> = HashMap::new();
    for (id, video) in &videos {
        size_of.insert(*id, wanted_files(video, CopyReason::Placement).iter().map(|f| f.size).sum());
    }
    for hold in holds.values() {
        let Some(&id) = id_of_uuid.get(&hold.video_uuid) else { continue };
        if held_ids.insert(id) {
            let by = HeldBy::Strategy { name: protocol_name(hold.strategy), expires_at: hold.expires_at };
            held.push(Held { video: id, size: size_of.get(&id).copied().unwrap_or(0), by });
        }
    }
    for copy in &copies {
        let Some(&id) = id_of_uuid.get(&copy.video_uuid) else { continue };
        if !held_ids.insert(id) {
            continue;
        }
        let by = match copy.reason {
            // A strategy copy whose hold was lost: it expires min_lifetime after it was made.
            CopyReason::Strategy(kind) => HeldBy::Strategy {
                name: protocol_name(kind),
                expires_at: copy.created_at.saturating_add(lifetime_of(kind)),
            },
            CopyReason::Manual | CopyReason::Placement => HeldBy::Other,
        };
        held.push(Held { video: id, size: size_of.get(&id).copied().unwrap_or(0), by });
    }
    for request in &manual {
        if let Some(&id) = id_of_uuid.get(&request.file.video_uuid) {
            if held_ids.insert(id) {
                held.push(Held { video: id, size: request.file.size, by: HeldBy::Other });
            }
        }
    }
    held.sort_by_key(|h| h.video);

    let policies: Vec<StrategyPolicy> = strategies
        .iter()
        .map(|s| StrategyPolicy {
            name: protocol_name(s.strategy),
            size: s.size_bytes,
            min_lifetime: s.min_lifetime_secs,
            min_views: s.min_views,
        })
        .collect();
    let outcomes = pure::select(&policies, &candidates, &held, now);

    let complete: HashMap<[u8; 20], &CopyRecord> = copies.iter().map(|c| (c.info_hash, c)).collect();
    let mut out = StrategyPlan::default();
    // Strategy copies of videos this node no longer knows (deleted at their origin, host
    // unfollowed): dropped at once.
    let mut gone: Vec<Uuid> = holds.keys().filter(|u| !id_of_uuid.contains_key(*u)).copied().collect();
    for copy in &copies {
        if matches!(copy.reason, CopyReason::Strategy(_)) && !id_of_uuid.contains_key(&copy.video_uuid) {
            gone.push(copy.video_uuid);
        }
    }
    gone.sort_unstable();
    gone.dedup();
    for video_uuid in gone {
        store.redundancy_holds.remove(video_uuid.as_bytes())?;
        for copy in copies.iter().filter(|c| c.video_uuid == video_uuid && matches!(c.reason, CopyReason::Strategy(_)))
        {
            out.drop.push(DroppedFile { info_hash: copy.info_hash, video_uuid, copy: Some(copy.clone()) });
        }
    }
    for outcome in outcomes {
        let Some(video) = videos.get(&outcome.video) else { continue };
        let kind = config_kind(outcome.strategy);
        out.outcomes.push((video.uuid, outcome));
        let wanted = |out: &mut StrategyPlan| {
            for file in wanted_files(video, CopyReason::Strategy(kind)) {
                if !complete.contains_key(&file.info_hash) {
                    out.mirror.push(file);
                }
            }
        };
        match outcome.action {
            Action::Fetch { expires_at } => {
                let record =
                    HoldRecord { video_uuid: video.uuid, strategy: kind, created_at: now, updated_at: now, expires_at };
                store::put(&store.redundancy_holds, video.uuid.as_bytes(), &record)?;
                wanted(&mut out);
                tracing::info!(video = %video.uuid, strategy = outcome.strategy.label(), "redundancy strategy picks a video");
            }
            Action::Keep { expires_at } => {
                if !holds.contains_key(&video.uuid) {
                    let created_at = copies.iter().find(|c| c.video_uuid == video.uuid).map_or(now, |c| c.created_at);
                    let record =
                        HoldRecord { video_uuid: video.uuid, strategy: kind, created_at, updated_at: now, expires_at };
                    store::put(&store.redundancy_holds, video.uuid.as_bytes(), &record)?;
                }
                wanted(&mut out);
            }
            Action::Extend { expires_at } => {
                let created_at = holds.get(&video.uuid).map_or(now, |h| h.created_at);
                let record =
                    HoldRecord { video_uuid: video.uuid, strategy: kind, created_at, updated_at: now, expires_at };
                store::put(&store.redundancy_holds, video.uuid.as_bytes(), &record)?;
                out.extended.push(record);
                wanted(&mut out);
            }
            Action::Drop(reason) => {
                store.redundancy_holds.remove(video.uuid.as_bytes())?;
                let mut hashes: Vec<[u8; 20]> =
                    copies.iter().filter(|c| c.video_uuid == video.uuid).map(|c| c.info_hash).collect();
                for file in wanted_files(video, CopyReason::Strategy(kind)) {
                    if !hashes.contains(&file.info_hash) {
                        hashes.push(file.info_hash);
                    }
                }
                for info_hash in hashes {
                    let copy = complete.get(&info_hash).map(|c| (*c).clone());
                    out.drop.push(DroppedFile { info_hash, video_uuid: video.uuid, copy });
                }
                tracing::info!(video = %video.uuid, strategy = outcome.strategy.label(), ?reason, "redundancy strategy drops a video");
            }
        }
    }
    // Pending manual requests: complete ones are settled, the others still wanted.
    for request in manual {
        if complete.contains_key(&request.file.info_hash) {
            remove_manual_request(store, &request.file.info_hash)?;
        } else {
            out.mirror.push(request.file);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activitypub::follows::FollowingRecord;
    use crate::videos::create::sample_record;
    use crate::videos::record::{RemoteActorRef, RemoteFile, RemoteOrigin};

    const DAY: u64 = 24 * 3_600;
    const NOW: u64 = 1_800_000_000;

    fn follow(store: &Store, host: &str, allowed: bool) {
        let record = FollowingRecord {
            id: 1,
            actor: format!("http://{host}/accounts/peertube"),
            host: host.into(),
            name: "peertube".into(),
            state: FollowState::Accepted,
            follow_id: format!("http://me/follow/{host}"),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            redundancy_allowed: allowed,
        };
        follows::put_following(store, &record).unwrap();
    }

    /// A remote video `n` of `host`: two files of `size` bytes each, `views`, published
    /// `age` seconds before NOW.
    fn remote(store: &Store, n: u8, host: &str, size: u64, views: u64, age: u64) -> VideoRecord {
        let mut v = sample_record(&format!("video {n}"), vec![]);
        v.id = u64::from(n);
        v.uuid = Uuid::from_u128(u128::from(n));
        v.short_uuid = format!("short{n}");
        v.views = views;
        let published = time::OffsetDateTime::from_unix_timestamp((NOW - age) as i64).unwrap();
        v.published_at = Some(crate::clock::format_timestamp(published));
        let actor = RemoteActorRef {
            url: format!("http://{host}/accounts/root"),
            name: "root".into(),
            host: host.into(),
            display_name: "root".into(),
        };
        let files = [360u32, 720]
            .iter()
            .map(|&res| RemoteFile {
                resolution: res,
                width: res * 16 / 9,
                height: res,
                size,
                fps: 25.0,
                url: format!("http://{host}/static/web-videos/v{n}-{res}.mp4"),
                torrent_url: format!("http://{host}/lazy-static/torrents/v{n}-{res}.torrent"),
                magnet_uri: String::new(),
                info_hash: hex::encode([n * 2 + u8::from(res == 720); 20]),
            })
            .collect();
        v.remote = Some(RemoteOrigin {
            url: format!("http://{host}/videos/watch/{}", v.uuid),
            host: host.into(),
            account: actor,
            channel: None,
            files,
            thumbnail_url: None,
            trackers: vec![],
            replies_need_approval: false,
            hls: None,
        });
        repo::insert_with_jobs(store, &v, &[]).unwrap();
        v
    }

    fn most_views(size: u64) -> StrategyConfig {
        StrategyConfig { strategy: StrategyKind::MostViews, size_bytes: size, min_lifetime_secs: DAY, min_views: 0 }
    }

    fn complete(store: &Store, plan: &StrategyPlan, at: u64) {
        for f in &plan.mirror {
            let copy = CopyRecord {
                info_hash: f.info_hash,
                video_uuid: f.video_uuid,
                video_url: f.video_url.clone(),
                origin_host: f.origin_host.clone(),
                filename: f.filename.clone(),
                size: f.size,
                created_at: at,
                reason: f.reason,
            };
            copies::put(store, &copy).unwrap();
        }
    }

    fn mirrored_videos(plan: &StrategyPlan) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = plan.mirror.iter().map(|f| f.video_uuid).collect();
        v.dedup();
        v
    }

    fn open_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn only_public_videos_of_hosts_allowing_redundancy_are_candidates() {
        let (_d, store) = open_store();
        follow(&store, "yes.example", true);
        follow(&store, "no.example", false);
        remote(&store, 1, "yes.example", 10, 5, DAY);
        remote(&store, 2, "no.example", 10, 500, DAY);
        remote(&store, 3, "yes.example", 10, 900, DAY);
        repo::update(&store, 3, |r| r.privacy = Privacy::Unlisted).unwrap();
        let plan = plan(&store, &[most_views(1_000)], NOW).unwrap();
        assert_eq!(mirrored_videos(&plan), vec![Uuid::from_u128(1)]);
        // Both files of the video, named as on the origin, with its web seed and torrent.
        let names: Vec<&str> = plan.mirror.iter().map(|f| f.filename.as_str()).collect();
        assert_eq!(names, vec!["v1-360.mp4", "v1-720.mp4"]);
        assert_eq!(plan.mirror[0].web_seed_url, "http://yes.example/static/web-videos/v1-360.mp4");
        assert_eq!(plan.mirror[0].reason, CopyReason::Strategy(StrategyKind::MostViews));
        let hold = hold(&store, Uuid::from_u128(1)).unwrap().unwrap();
        assert_eq!((hold.strategy, hold.expires_at), (StrategyKind::MostViews, NOW + DAY));
    }

    #[test]
    fn the_budget_counts_every_file_and_copies_are_kept_then_extended_or_dropped_at_expiry() {
        let (_d, store) = open_store();
        follow(&store, "pt.example", true);
        remote(&store, 1, "pt.example", 30, 100, 9 * DAY);
        remote(&store, 2, "pt.example", 30, 50, 9 * DAY);
        remote(&store, 3, "pt.example", 30, 10, 9 * DAY);
        // 2 files of 30 per video: a 130-byte budget takes two videos.
        let first = plan(&store, &[most_views(130)], NOW).unwrap();
        assert_eq!(mirrored_videos(&first), vec![Uuid::from_u128(1), Uuid::from_u128(2)]);
        complete(&store, &first, NOW);
        // Video 3 becomes the most viewed: within min_lifetime nothing changes.
        repo::update(&store, 3, |r| r.views = 1_000).unwrap();
        let kept = plan(&store, &[most_views(130)], NOW + DAY / 2).unwrap();
        assert!(kept.mirror.is_empty() && kept.drop.is_empty(), "{kept:?}");
        // At expiry: 3 and 1 are the top two; 1 is extended, 2 dropped, 3 fetched.
        let later = plan(&store, &[most_views(130)], NOW + DAY + 1).unwrap();
        assert_eq!(mirrored_videos(&later), vec![Uuid::from_u128(3)]);
        let dropped: Vec<Uuid> = later.drop.iter().map(|d| d.video_uuid).collect();
        assert_eq!(dropped, vec![Uuid::from_u128(2); 2]);
        assert!(later.drop.iter().all(|d| d.copy.is_some()), "complete copies are named");
        assert_eq!(later.extended.len(), 1);
        assert_eq!(later.extended[0].video_uuid, Uuid::from_u128(1));
        assert_eq!(hold(&store, Uuid::from_u128(1)).unwrap().unwrap().expires_at, NOW + 2 * DAY + 1);
        assert_eq!(hold(&store, Uuid::from_u128(2)).unwrap(), None);
    }

    #[test]
    fn recently_added_needs_min_views_and_trending_counts_views_in_the_window() {
        let (_d, store) = open_store();
        follow(&store, "pt.example", true);
        remote(&store, 1, "pt.example", 1, 3, DAY); // new, few views
        remote(&store, 2, "pt.example", 1, 10, 2 * DAY); // older, enough views
        remote(&store, 3, "pt.example", 1, 1_000, 30 * DAY); // old, popular long ago
        remote(&store, 4, "pt.example", 1, 100, 30 * DAY); // old, gaining views now
        let recent = StrategyConfig {
            strategy: StrategyKind::RecentlyAdded,
            size_bytes: 2,
            min_lifetime_secs: DAY,
            min_views: 5,
        };
        assert_eq!(mirrored_videos(&plan(&store, &[recent], NOW).unwrap()), vec![Uuid::from_u128(2)]);

        let trending =
            StrategyConfig { strategy: StrategyKind::Trending, size_bytes: 2, min_lifetime_secs: 0, min_views: 0 };
        // A first sample eight days ago, then video 4 gains 500 views while 3 gains 1.
        let (_d2, fresh) = open_store();
        follow(&fresh, "pt.example", true);
        remote(&fresh, 3, "pt.example", 1, 1_000, 30 * DAY);
        remote(&fresh, 4, "pt.example", 1, 100, 30 * DAY);
        plan(&fresh, &[], NOW - 8 * DAY).unwrap();
        repo::update(&fresh, 3, |r| r.views = 1_001).unwrap();
        repo::update(&fresh, 4, |r| r.views = 600).unwrap();
        assert_eq!(mirrored_videos(&plan(&fresh, &[trending], NOW).unwrap()), vec![Uuid::from_u128(4)]);
    }

    #[test]
    fn manual_requests_are_refused_for_local_or_held_videos_and_settle_when_complete() {
        let (_d, store) = open_store();
        follow(&store, "pt.example", false);
        let video = remote(&store, 1, "pt.example", 10, 0, DAY);
        let local = sample_record("mine", vec![]);
        assert!(matches!(request_manual(&store, &local, NOW), Err(ManualError::LocalVideo)));
        let files = request_manual(&store, &video, NOW).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|f| f.reason == CopyReason::Manual));
        assert!(matches!(request_manual(&store, &video, NOW), Err(ManualError::AlreadyDuplicated)));
        // No strategy here, the host does not allow redundancy: manual requests are still wanted.
        let pending = plan(&store, &[most_views(1_000)], NOW).unwrap();
        assert_eq!(pending.mirror.len(), 2);
        complete(&store, &pending, NOW);
        let settled = plan(&store, &[most_views(1_000)], NOW + 1).unwrap();
        assert!(settled.mirror.is_empty() && settled.drop.is_empty(), "{settled:?}");
        assert!(manual_requests(&store).unwrap().is_empty());
        assert!(is_duplicated(&store, video.uuid).unwrap());
    }

    #[test]
    fn copies_of_a_host_that_stops_allowing_redundancy_are_dropped() {
        let (_d, store) = open_store();
        follow(&store, "pt.example", true);
        remote(&store, 1, "pt.example", 10, 9, DAY);
        let first = plan(&store, &[most_views(1_000)], NOW).unwrap();
        complete(&store, &first, NOW);
        assert!(follows::set_host_redundancy(&store, "pt.example", false).unwrap());
        let after = plan(&store, &[most_views(1_000)], NOW + 10).unwrap();
        assert_eq!(after.drop.len(), 2, "{after:?}");
        assert!(after.mirror.is_empty());
    }
}
