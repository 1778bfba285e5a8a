//! The actors' Prometheus metrics: uploads admitted, transcode attempts by outcome, jobs
//! running and queued, frames encoded. The handles are cheap atomic counters shared by
//! the actors; the web edge registers them (with its own) in the registry it serves at
//! `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

/// How a transcode attempt ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The rung was made and recorded.
    Done,
    /// It failed and will be retried.
    Retried,
    /// It failed for the last time; the rung (and maybe the video) is failed.
    GaveUp,
    /// Cancelled by shutdown or deletion; the job stays queued or went with its video.
    Cancelled,
    /// Nothing left to do (video deleted or failed, rung already made).
    Dropped,
}

impl AttemptOutcome {
    /// The `outcome` label value.
    pub fn label(self) -> &'static str {
        match self {
            AttemptOutcome::Done => "done",
            AttemptOutcome::Retried => "retried",
            AttemptOutcome::GaveUp => "gave_up",
            AttemptOutcome::Cancelled => "cancelled",
            AttemptOutcome::Dropped => "dropped",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The actors' metric handles. Cheap to clone; clones share the values.
#[derive(Clone, Debug, Default)]
pub struct ActorMetrics {
    uploads: Counter,
    upload_bytes: Counter,
    attempts: Family<OutcomeLabels, Counter>,
    jobs_running: Gauge,
    jobs_queued: Gauge,
    frames_encoded: Counter,
    encode_seconds: Counter<f64, AtomicU64>,
    /// Replication between redundancy members (transport, mirror jobs, placement).
    pub replication: crate::replication::ReplicationMetrics,
}

impl ActorMetrics {
    /// Adds every metric to `registry` (which should carry the `shoal` prefix).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "videos_uploaded",
            "Uploads admitted (probed and queued for transcoding)",
            self.uploads.clone(),
        );
        registry.register_with_unit("upload", "Bytes of admitted uploads", Unit::Bytes, self.upload_bytes.clone());
        registry.register("transcode_attempts", "Transcode attempts by outcome", self.attempts.clone());
        registry.register("transcode_jobs_running", "Transcode jobs encoding now", self.jobs_running.clone());
        registry.register(
            "transcode_jobs_queued",
            "Transcode jobs in the durable queue (running ones included)",
            self.jobs_queued.clone(),
        );
        registry.register("transcode_frames", "Frames encoded in finished rungs", self.frames_encoded.clone());
        registry.register_with_unit(
            "transcode_encode",
            "Wall-clock time of finished rungs (frames / this = encoding fps)",
            Unit::Seconds,
            self.encode_seconds.clone(),
        );
        self.replication.register(registry);
    }

    pub(crate) fn upload_admitted(&self, bytes: u64) {
        self.uploads.inc();
        self.upload_bytes.inc_by(bytes);
    }

    pub(crate) fn attempt_ended(&self, outcome: AttemptOutcome) {
        self.attempts.get_or_create(&OutcomeLabels { outcome: outcome.label() }).inc();
    }

    pub(crate) fn rung_encoded(&self, frames: u64, seconds: f64) {
        self.frames_encoded.inc_by(frames);
        self.encode_seconds.inc_by(seconds);
    }

    pub(crate) fn set_jobs(&self, running: usize, queued: usize) {
        self.jobs_running.set(i64::try_from(running).unwrap_or(i64::MAX));
        self.jobs_queued.set(i64::try_from(queued).unwrap_or(i64::MAX));
    }

    /// Attempts that ended with `outcome` so far (tests and diagnostics).
    pub fn attempts(&self, outcome: AttemptOutcome) -> u64 {
        self.attempts.get_or_create(&OutcomeLabels { outcome: outcome.label() }).get()
    }
}
