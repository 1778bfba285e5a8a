//! The `Shoal` handle: what the web edge (and the node binary) call. It owns the store,
//! the account service and the root of the actor tree (`NodeSupervisor`, which runs the
//! `VideoSupervisor` and the `TranscodeSupervisor`).
//! Reads go straight to sled; changes to a video's state go through its actor.

use crate::accounts::Accounts;
use crate::activitypub::{ActivityPub, ActorKeys, KeySigner, LocalUrls};
use crate::config::ShoalConfig;
use crate::error::{StartError, VideoError};
use crate::federation::{
    Federation, FederationClient, FederationMetrics, FederationShared, HostSchemes, RequestSigner,
};
use crate::housekeeping;
use crate::media;
use crate::metrics::ActorMetrics;
use crate::node_supervisor::{NodeMsg, NodeSupervisor, NodeSupervisorArgs, SupervisorRefs, Supervisors};
use crate::remote_torrents::{RemoteTorrentError, RemoteTorrents};
use crate::replication::{self, MemberMirrors};
use crate::social::Social;
use crate::startup;
use crate::store::{counter, Store};
use crate::tracker::{Tracker, TrackerMetrics, TrackerShared};
use crate::transcode::queue::{self, JobRecord};
use crate::transcode::TranscodeMsg;
use crate::videos::supervisor::VideoSupervisorMsg;
use crate::videos::{create, list, repo, NewVideo, TranscodeProgress, VideoKey, VideoMsg, VideoRecord, VideoUpdate};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub use crate::videos::list::{VideoListQuery, VideoSort};

/// How long a progress query may take.
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a call to the supervisors may take (start-up, admission, deletion, shutdown).
const ACTOR_CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for running encodes to notice the cancel flag.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// The running node's actors and store. Cheap to clone.
#[derive(Clone)]
pub struct Shoal {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<ShoalConfig>,
    store: Store,
    accounts: Accounts,
    social: Social,
    /// The periodic write of buffered view counts; stopped (after a last write) at shutdown.
    view_flusher: tokio::task::AbortHandle,
    node: ActorRef<NodeMsg>,
    /// The current child supervisors (replaced when the node supervisor restarts one).
    supervisors: Supervisors,
    metrics: ActorMetrics,
    tracker: Tracker,
    federation: Federation,
    activitypub: ActivityPub,
    generated_admin_password: Option<String>,
    /// Serialises quota checks with the uploads they admit.
    create_lock: tokio::sync::Mutex<()>,
    /// The periodic token purge; it holds the store, so it is stopped with the actors.
    housekeeping: tokio::task::AbortHandle,
    /// Announces completed and dropped copies to their origins (`CacheFile`).
    copy_announcer: tokio::task::AbortHandle,
    /// The federation's copies as web seeds, published by the replication actor.
    member_mirrors: MemberMirrors,
    /// Torrents of remote videos, served here.
    remote_torrents: RemoteTorrents,
    stopped: AtomicBool,
}

impl Shoal {
    /// Opens sled under data_dir/db, creates media/uploads/tmp dirs, creates the admin on
    /// first start (password from config, else random and returned by
    /// [`Shoal::generated_admin_password`]), spawns the supervisors, and resumes unfinished
    /// transcodes found in sled.
    ///
    /// Outbound federation requests are refused until a signer is installed: use
    /// [`Shoal::start_with_signer`] to run a federating node.
    pub async fn start(config: ShoalConfig) -> Result<Shoal, StartError> {
        Shoal::start_inner(config, None).await
    }

    /// [`Shoal::start`] with another signer of outbound federation requests than the
    /// local actors' keys (tests of the delivery queue).
    pub async fn start_with_signer(config: ShoalConfig, signer: Arc<dyn RequestSigner>) -> Result<Shoal, StartError> {
        Shoal::start_inner(config, Some(signer)).await
    }

    async fn start_inner(config: ShoalConfig, signer: Option<Arc<dyn RequestSigner>>) -> Result<Shoal, StartError> {
        let config = Arc::new(config);
        startup::create_dirs(&config)?;
        let cleared = startup::clear_tmp(&config.tmp_dir())?;
        let db_dir = config.db_dir();
        let store = tokio::task::spawn_blocking(move || Store::open(&db_dir))
            .await
            .map_err(|e| StartError::Spawn(format!("opening the store: {e}")))??;
        let accounts = Accounts::new(store.clone(), config.limits.clone());
        accounts.oauth_client()?;
        let generated_admin_password = startup::ensure_admin(&accounts, &config.admin).await?;

        let resume = startup::settle_queue(&store)?;
        let metrics = ActorMetrics::default();
        let indexed = repo::rebuild_info_hash_index(&store)?;
        let tracker_shared = Arc::new(TrackerShared::new(config.tracker.clone(), TrackerMetrics::default()));
        let actor_keys = ActorKeys::new(store.clone());
        let schemes = Arc::new(HostSchemes::open(&store, config.federation.signature_scheme.scheme())?);
        let signer = signer.unwrap_or_else(|| {
            let urls = LocalUrls::new(&config.instance.public_url);
            Arc::new(KeySigner::new(actor_keys.clone(), urls, schemes.clone()))
        });
        let client = FederationClient::new(&config.federation, signer, FederationMetrics::default(), Vec::new())
            .map_err(|e| StartError::Spawn(format!("federation client: {e}")))?;
        let federation_shared = FederationShared::new(config.federation.clone(), store.clone(), client, schemes);
        let (copy_events, copy_events_rx) = tokio::sync::mpsc::unbounded_channel();
        let member_mirrors = MemberMirrors::default();
        let mirror_http = replication::mirror::MirrorHttp::new(&config.federation)
            .map_err(|e| StartError::Spawn(format!("remote torrent client: {e}")))?;
        let remote_torrents = RemoteTorrents::new(&config.media_dir(), mirror_http);
        let args = NodeSupervisorArgs {
            store: store.clone(),
            config: config.clone(),
            metrics: metrics.clone(),
            tracker: tracker_shared.clone(),
            federation: federation_shared.clone(),
            copy_events,
            member_mirrors: member_mirrors.clone(),
        };
        let (node, _) = Actor::spawn(None, NodeSupervisor, args)
            .await
            .map_err(|e| StartError::Spawn(format!("node supervisor: {e}")))?;
        let supervisors = match node.call(NodeMsg::Supervisors, Some(ACTOR_CALL_TIMEOUT)).await {
            Ok(CallResult::Success(supervisors)) => supervisors,
            _ => {
                let _ = node.stop_and_wait(Some("start failed".into()), Some(ACTOR_CALL_TIMEOUT)).await;
                return Err(StartError::Spawn("the node supervisor did not answer".into()));
            }
        };
        let videos = supervisors.current().videos;
        for uuid in &resume {
            let _ =
                videos.call(|reply| VideoSupervisorMsg::Ensure { uuid: *uuid, reply }, Some(ACTOR_CALL_TIMEOUT)).await;
        }
        let tracker = Tracker::new(tracker_shared, supervisors.clone());
        let federation = Federation::new(federation_shared, supervisors.clone());
        let social = Social::new(store.clone(), accounts.clone(), config.public_url(), &config.social);
        let view_flusher = social
            .spawn_view_flusher(Duration::from_secs(config.social.view_flush_interval_secs.max(1)))
            .abort_handle();
        let activitypub = ActivityPub::new(
            store.clone(),
            config.clone(),
            accounts.clone(),
            federation.clone(),
            social.clone(),
            actor_keys,
        );
        activitypub.start();
        let copy_announcer = replication::spawn_copy_announcer(activitypub.clone(), copy_events_rx).abort_handle();
        let housekeeping =
            housekeeping::spawn(accounts.clone(), store.clone(), housekeeping::TOKEN_PURGE_INTERVAL).abort_handle();
        tracing::info!(data_dir = %config.storage.data_dir.display(), resumed_videos = resume.len(), indexed_files = indexed,
            cleared_temp_files = cleared, "shoal actors started");
        Ok(Shoal {
            inner: Arc::new(Inner {
                config,
                store,
                accounts,
                social,
                view_flusher,
                node,
                supervisors,
                metrics,
                tracker,
                federation,
                activitypub,
                generated_admin_password,
                create_lock: tokio::sync::Mutex::new(()),
                housekeeping,
                copy_announcer,
                member_mirrors,
                remote_torrents,
                stopped: AtomicBool::new(false),
            }),
        })
    }

    /// Stops actors (running jobs stay resumable in sled) and flushes sled. Idempotent.
    pub async fn shutdown(&self) {
        if self.inner.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        self.inner.housekeeping.abort();
        self.inner.copy_announcer.abort();
        self.inner.view_flusher.abort();
        self.inner.activitypub.stop();
        if let Err(e) = self.inner.social.flush_views().await {
            tracing::error!(error = %e, "writing the last view counts at shutdown failed");
        }
        let transcoder = self.supervisors().transcoder;
        let _ = transcoder.call(TranscodeMsg::Shutdown, Some(ACTOR_CALL_TIMEOUT)).await;
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while Instant::now() < deadline {
            match transcoder.call(TranscodeMsg::Running, Some(ACTOR_CALL_TIMEOUT)).await {
                Ok(CallResult::Success(0)) | Err(_) => break,
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        // The node supervisor stops the transcoder, then the videos (see its post_stop).
        let _ = self.inner.node.stop_and_wait(Some("shutdown".into()), Some(SHUTDOWN_GRACE)).await;
        match self.inner.store.flush().await {
            Ok(()) => tracing::info!("shoal actors stopped; store flushed"),
            Err(e) => tracing::error!(error = %e, "flushing the store at shutdown failed"),
        }
    }

    /// The configuration the node runs with.
    pub fn config(&self) -> &ShoalConfig {
        &self.inner.config
    }

    /// Comments, ratings and views.
    pub fn social(&self) -> &Social {
        &self.inner.social
    }

    /// The admin password generated on this (first) start, if one was.
    pub fn generated_admin_password(&self) -> Option<String> {
        self.inner.generated_admin_password.clone()
    }

    /// Users, channels and tokens.
    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    /// The redundancy admin operations (`/api/v1/server/redundancy`).
    pub fn redundancy_admin(&self) -> crate::replication::admin::RedundancyAdmin {
        let config = &self.inner.config;
        crate::replication::admin::RedundancyAdmin::new(
            self.inner.store.clone(),
            config.public_url(),
            config.media_dir(),
        )
    }

    /// The upload is on disk at `new.upload_path` (inside [`Shoal::uploads_dir`]). Checks the
    /// channel belongs to the account (`WrongChannel`), probes the file (`Unreadable`; deletes
    /// it), checks quota (`QuotaExceeded`; deletes it), moves it into the data folder, stores
    /// the record (state ToTranscode, pending_resolutions set) with its transcode jobs, and
    /// spawns its VideoActor; transcoding starts right away.
    pub async fn create_video(&self, new: NewVideo) -> Result<VideoRecord, VideoError> {
        let upload = new.upload_path.clone();
        if !create::is_inside(&upload, &self.uploads_dir()) {
            return Err(VideoError::Invalid {
                field: "upload_path",
                reason: "must be a file in the uploads folder".into(),
            });
        }
        let result = self.admit(&new).await;
        if result.is_err() {
            discard(&upload).await;
        }
        result
    }

    /// Everything after the upload path check; on error the caller deletes the upload.
    async fn admit(&self, new: &NewVideo) -> Result<VideoRecord, VideoError> {
        create::validate(&new.details)?;
        let channel =
            self.inner.accounts.channel(new.details.channel_id).map_err(|e| VideoError::Unavailable(e.to_string()))?;
        if channel.is_none_or(|c| c.account_id != new.account_id) {
            return Err(VideoError::WrongChannel(new.details.channel_id));
        }
        let user = self
            .inner
            .accounts
            .user(new.account_id)
            .map_err(|e| VideoError::Unavailable(e.to_string()))?
            .ok_or(VideoError::Invalid { field: "account", reason: "no such account".into() })?;

        let cfg = self.inner.config.clone();
        let path = new.upload_path.clone();
        let probe = tokio::task::spawn_blocking(move || media::probe(&cfg.transcoding, &path))
            .await
            .map_err(|e| VideoError::Unavailable(format!("probe thread: {e}")))?
            .map_err(|e| VideoError::Unreadable(e.to_string()))?;
        let rungs = media::plan_ladder(&self.inner.config.transcoding, probe.resolution());
        if rungs.is_empty() || probe.width < 2 {
            return Err(VideoError::Unreadable(format!("{}x{} is too small to transcode", probe.width, probe.height)));
        }
        let size = tokio::fs::metadata(&new.upload_path).await?.len();

        let quota_guard = self.inner.create_lock.lock().await;
        let store = &self.inner.store;
        create::check_quota(create::used_quota(store, user.id)?, size, user.video_quota)?;
        create::check_quota(create::used_quota_daily(store, user.id)?, size, user.video_quota_daily)?;

        let uuid = Uuid::new_v4();
        let id = store.next_id(counter::VIDEO_ID)?;
        let source_path = create::original_path(&self.inner.config.originals_dir(), uuid, &new.original_filename);
        move_file(&new.upload_path, &source_path).await?;
        let heights = rungs.iter().map(|r| r.height).collect();
        let record = create::new_record(id, uuid, new, &probe, source_path.clone(), size, heights);
        let jobs: Vec<JobRecord> = rungs.iter().map(|r| JobRecord::new(id, uuid, r.height, r.bitrate_kbps)).collect();
        if let Err(e) = repo::insert_with_jobs(store, &record, &jobs) {
            discard(&source_path).await;
            return Err(e.into());
        }
        // The upload is acknowledged only once the record and its jobs are on disk.
        store.flush().await?;
        drop(quota_guard);
        self.inner.metrics.upload_admitted(size);
        tracing::info!(video = %uuid, id, account = user.id, size, width = probe.width, height = probe.height,
            frames = probe.frames, rungs = ?record.pending_resolutions, "video created");

        let ensured = self
            .supervisors()
            .videos
            .call(|reply| VideoSupervisorMsg::Ensure { uuid, reply }, Some(ACTOR_CALL_TIMEOUT))
            .await;
        if !matches!(ensured, Ok(CallResult::Success(Ok(())))) {
            tracing::warn!(video = %uuid, "video actor not started now; it starts with the first transcode report");
        }
        let _ = self.supervisors().transcoder.cast(TranscodeMsg::Poll);
        Ok(record)
    }

    /// The video a key names.
    pub fn get_video(&self, key: &VideoKey) -> Result<Option<VideoRecord>, VideoError> {
        Ok(repo::load_by_key(&self.inner.store, key)?)
    }

    /// Newest first unless `sort` says otherwise; returns (total, page). Published public
    /// videos for everyone, plus every video of `viewer_account`.
    pub fn list_videos(&self, query: &VideoListQuery) -> Result<(u64, Vec<VideoRecord>), VideoError> {
        Ok(list::list(&self.inner.store, query)?)
    }

    /// Live progress of a video's transcoding (asks its VideoActor), None when idle/unknown.
    pub async fn progress(&self, uuid: Uuid) -> Option<TranscodeProgress> {
        let answer = self
            .supervisors()
            .videos
            .call(|reply| VideoSupervisorMsg::Progress { uuid, reply }, Some(PROGRESS_TIMEOUT))
            .await;
        match answer {
            Ok(CallResult::Success(progress)) => progress,
            _ => None,
        }
    }

    /// Edits a local video's metadata (the web checks who may): `NotFound`, `NotLocal` for
    /// a remote video, `WrongChannel` when the new channel is not of the video's account,
    /// `Invalid` for a bad field. The record is on disk when this returns; the publisher
    /// (watching the `videos` tree) then sends followers an `Update`, or a `Delete` when
    /// the video is no longer public or unlisted.
    pub async fn update_video(&self, id: u64, update: &VideoUpdate) -> Result<VideoRecord, VideoError> {
        let store = &self.inner.store;
        let current = repo::load(store, id)?.ok_or(VideoError::NotFound)?;
        if !current.is_local() {
            return Err(VideoError::NotLocal);
        }
        if let Some(channel_id) = update.channel_id {
            let channel =
                self.inner.accounts.channel(channel_id).map_err(|e| VideoError::Unavailable(e.to_string()))?;
            if channel.is_none_or(|c| c.account_id != current.account_id) {
                return Err(VideoError::WrongChannel(channel_id));
            }
        }
        update.validate(&current)?;
        let updated = repo::update(store, id, |record| update.apply(record))?.ok_or(VideoError::NotFound)?;
        store.flush().await?;
        tracing::info!(video = %updated.uuid, id, "video updated");
        Ok(updated)
    }

    /// Deletes the video, its files and torrents (owner or admin; the web checks rights).
    pub async fn delete_video(&self, key: &VideoKey) -> Result<(), VideoError> {
        let store = &self.inner.store;
        let record = repo::load_by_key(store, key)?.ok_or(VideoError::NotFound)?;
        let (id, uuid) = (record.id, record.uuid);
        let cancelled = self
            .supervisors()
            .transcoder
            .call(|reply| TranscodeMsg::CancelVideo { video_id: id, uuid, reply }, Some(ACTOR_CALL_TIMEOUT))
            .await;
        if !matches!(cancelled, Ok(CallResult::Success(()))) {
            return Err(VideoError::Unavailable("the transcode supervisor did not answer".into()));
        }
        let _ = self
            .supervisors()
            .videos
            .call(|reply| VideoSupervisorMsg::Stop { uuid, reply }, Some(ACTOR_CALL_TIMEOUT))
            .await;
        repo::remove(store, &record)?;
        queue::remove_video(store, id)?;
        if let Some(remote) = &record.remote {
            // A remote video removed here (an admin's choice): nothing of it is on disk.
            store.videos_by_url.remove(remote.url.as_bytes()).map_err(crate::store::StoreError::from)?;
        }
        if let Err(e) = self.inner.social.forget_video(id) {
            tracing::warn!(video = %uuid, error = %e, "removing the video's comments and ratings failed");
        }
        store.flush().await?;

        if !record.is_local() {
            tracing::info!(video = %uuid, id, "remote video removed from this instance");
            return Ok(());
        }
        let media = self.media_dir();
        discard(&record.source.path).await;
        for file in &record.files {
            discard(&media.join(&file.filename)).await;
            discard(&media.join(&file.torrent_filename)).await;
        }
        if let Some(thumbnail) = &record.thumbnail {
            discard(&media.join(thumbnail)).await;
        }
        tracing::info!(video = %uuid, id, "video deleted");
        Ok(())
    }

    /// How many videos are known (local and remote) and how many of them are local.
    pub fn video_counts(&self) -> Result<(u64, u64), VideoError> {
        let store = &self.inner.store;
        let total = store.videos.len() as u64;
        Ok((total, total.saturating_sub(store.videos_by_url.len() as u64)))
    }

    /// Bytes used against the account's quota (sum of its videos' source + file sizes).
    pub fn used_quota(&self, account_id: u64) -> Result<u64, VideoError> {
        create::used_quota(&self.inner.store, account_id)
    }

    /// The mirrored copies this node holds (`replication::copies`).
    pub fn copies(&self) -> crate::replication::copies::Copies {
        crate::replication::copies::Copies::new(self.inner.store.clone())
    }

    /// Video files, torrents and thumbnails, by file name.
    pub fn media_dir(&self) -> PathBuf {
        self.inner.config.media_dir()
    }

    /// Where web streams incoming uploads (same filesystem as the data folder).
    pub fn uploads_dir(&self) -> PathBuf {
        self.inner.config.uploads_dir()
    }

    /// The actors' metric handles (registered by the web edge for `/metrics`).
    pub fn metrics(&self) -> &ActorMetrics {
        &self.inner.metrics
    }

    /// The BitTorrent tracker (HTTP and WebSocket), for the web edge.
    pub fn tracker(&self) -> &Tracker {
        &self.inner.tracker
    }

    /// Outbound federation: the delivery queue and the fetch client.
    pub fn federation(&self) -> &Federation {
        &self.inner.federation
    }

    /// ActivityPub: documents, inbox, follows.
    pub fn activitypub(&self) -> &ActivityPub {
        &self.inner.activitypub
    }

    /// The running child supervisors (diagnostics and supervision tests).
    pub fn supervisors(&self) -> SupervisorRefs {
        self.inner.supervisors.current()
    }

    /// The redundancy status (members, copies, transfers); `None` when the replication
    /// actor does not answer.
    pub async fn redundancy_status(&self) -> Option<replication::RedundancyStatus> {
        match self.supervisors().replication.call(replication::ReplicationMsg::Status, Some(ACTOR_CALL_TIMEOUT)).await {
            Ok(CallResult::Success(status)) => Some(status),
            _ => None,
        }
    }

    /// Every known web seed of the file with hex info hash `info_hash_hex` besides its
    /// origin's: the mirrors other instances announced with `CacheFile`s, then the copies of
    /// the redundancy federation (this node's and the members'), without duplicates. Empty
    /// for a malformed hash; never fails (a page lists what it can).
    pub fn mirror_urls(&self, info_hash_hex: &str) -> Vec<String> {
        let mut urls = self.inner.activitypub.mirror_urls(info_hash_hex);
        if let Some(info_hash) = replication::origin_mirrors::parse_info_hash(info_hash_hex) {
            for url in self.inner.member_mirrors.get(&info_hash) {
                if !urls.contains(&url) {
                    urls.push(url);
                }
            }
        }
        urls
    }

    /// `DELETE /api/v1/server/redundancy/videos/{id}`: removes the copy or forgets the
    /// announced mirror with this id (see [`RedundancyAdmin::remove`]); a removed copy's
    /// CacheFile is undone at its origin (queued durably before this returns), so the origin
    /// stops listing it at once rather than at its expiry.
    ///
    /// [`RedundancyAdmin::remove`]: crate::replication::admin::RedundancyAdmin::remove
    pub async fn remove_redundancy(
        &self,
        id: u64,
    ) -> Result<Option<replication::admin::Removed>, replication::admin::AdminError> {
        let admin = self.redundancy_admin();
        let removed = admin.remove(id)?;
        admin.flush().await?;
        if let Some(replication::admin::Removed::Copy(copy)) = &removed {
            if let Err(e) = self.inner.activitypub.withdraw_copy(&copy.info_hash).await {
                tracing::warn!(error = %e, file = %copy.filename, "removed copy not withdrawn from its origin");
            }
        }
        Ok(removed)
    }

    /// The torrent of a remote video's file, by the name this node serves it under
    /// (`{uuid}-{resolution}.torrent`); see [`RemoteTorrents::get`].
    pub async fn remote_torrent(&self, name: &str) -> Result<Option<Vec<u8>>, RemoteTorrentError> {
        self.inner.remote_torrents.get(&self.inner.store, &self.supervisors().replication, name).await
    }

    /// The live actor of a video, if it has one (diagnostics and supervision tests).
    pub async fn video_actor(&self, uuid: Uuid) -> Option<ActorRef<VideoMsg>> {
        match self
            .supervisors()
            .videos
            .call(|reply| VideoSupervisorMsg::Lookup { uuid, reply }, Some(PROGRESS_TIMEOUT))
            .await
        {
            Ok(CallResult::Success(actor)) => actor,
            _ => None,
        }
    }
}

impl Drop for Inner {
    /// The last handle went away without [`Shoal::shutdown`]: stop the actors (running
    /// encodes are cancelled and stay queued) so they release the store. Nothing is awaited
    /// or flushed here; sled flushes on its own when its last handle drops.
    fn drop(&mut self) {
        self.housekeeping.abort();
        self.copy_announcer.abort();
        self.view_flusher.abort();
        self.activitypub.stop();
        if !self.stopped.swap(true, Ordering::SeqCst) {
            self.node.stop(Some("handle dropped".into()));
        }
    }
}

/// Moves a file, copying across filesystems if a rename cannot.
async fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if tokio::fs::rename(from, to).await.is_ok() {
        return Ok(());
    }
    tokio::fs::copy(from, to).await?;
    tokio::fs::remove_file(from).await
}

/// Removes a file, logging anything but "already gone".
async fn discard(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "could not remove a file");
        }
    }
}
