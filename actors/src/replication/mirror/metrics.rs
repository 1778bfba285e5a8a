//! Mirror jobs' Prometheus metrics (prefix `shoal_redundancy_`): verified pieces and bytes
//! fetched by source kind, pieces rejected (hash mismatch) by source kind, jobs running
//! and queued, and finished jobs by outcome.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    source_kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The mirror jobs' metric handles. Cheap to clone; clones share the values.
#[derive(Clone, Debug, Default)]
pub struct MirrorMetrics {
    pieces: Family<KindLabels, Counter>,
    bytes: Family<KindLabels, Counter>,
    rejected: Family<KindLabels, Counter>,
    jobs_running: Gauge,
    jobs_queued: Gauge,
    jobs: Family<OutcomeLabels, Counter>,
}

impl MirrorMetrics {
    /// Adds every metric to `registry` (which should carry the `shoal` prefix).
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("redundancy");
        r.register("pieces_fetched", "Verified pieces fetched by mirror jobs, by source kind", self.pieces.clone());
        r.register_with_unit(
            "fetched",
            "Bytes of verified pieces fetched by mirror jobs, by source kind",
            Unit::Bytes,
            self.bytes.clone(),
        );
        r.register(
            "pieces_rejected",
            "Pieces thrown away because they did not match the torrent's hash, by source kind",
            self.rejected.clone(),
        );
        r.register("mirror_jobs_running", "Mirror jobs transferring now", self.jobs_running.clone());
        r.register("mirror_jobs_queued", "Unfinished mirror jobs (running ones included)", self.jobs_queued.clone());
        r.register("mirror_jobs", "Finished mirror jobs by outcome (completed, failed, dropped)", self.jobs.clone());
    }

    pub(crate) fn piece_fetched(&self, kind: &'static str, bytes: u64) {
        self.pieces.get_or_create(&KindLabels { source_kind: kind }).inc();
        self.bytes.get_or_create(&KindLabels { source_kind: kind }).inc_by(bytes);
    }

    pub(crate) fn piece_rejected(&self, kind: &'static str) {
        self.rejected.get_or_create(&KindLabels { source_kind: kind }).inc();
    }

    pub(crate) fn set_jobs(&self, running: usize, queued: usize) {
        self.jobs_running.set(i64::try_from(running).unwrap_or(i64::MAX));
        self.jobs_queued.set(i64::try_from(queued).unwrap_or(i64::MAX));
    }

    pub(crate) fn job_ended(&self, outcome: &'static str) {
        self.jobs.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Verified pieces fetched from `kind` so far.
    pub fn pieces_fetched(&self, kind: &'static str) -> u64 {
        self.pieces.get_or_create(&KindLabels { source_kind: kind }).get()
    }

    /// Verified bytes fetched from `kind` so far.
    pub fn bytes_fetched(&self, kind: &'static str) -> u64 {
        self.bytes.get_or_create(&KindLabels { source_kind: kind }).get()
    }

    /// Pieces from `kind` rejected so far.
    pub fn pieces_rejected(&self, kind: &'static str) -> u64 {
        self.rejected.get_or_create(&KindLabels { source_kind: kind }).get()
    }

    /// Mirror jobs running now.
    pub fn jobs_running(&self) -> i64 {
        self.jobs_running.get()
    }

    /// Jobs that ended with `outcome` so far.
    pub fn jobs_ended(&self, outcome: &'static str) -> u64 {
        self.jobs.get_or_create(&OutcomeLabels { outcome }).get()
    }
}
