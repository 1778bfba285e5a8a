//! The replication transport's Prometheus metrics: connected members, requests refused to
//! strangers by kind, ranges served by outcome, bytes served and fetched. The lead registers
//! them with [`NetMetrics::register`].

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The transport's metric handles. Cheap to clone; clones share the values.
#[derive(Clone, Debug, Default)]
pub struct NetMetrics {
    connected: Gauge,
    strangers_refused: Family<KindLabels, Counter>,
    ranges_served: Family<OutcomeLabels, Counter>,
    bytes_served: Counter,
    bytes_fetched: Counter,
}

impl NetMetrics {
    /// Adds every metric to `registry` (which should carry the `shoal` prefix).
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("replication_net");
        r.register("connected_members", "Trusted members connected now", self.connected.clone());
        r.register(
            "strangers_refused",
            "Requests from peers not in trusted_peers, refused, by kind (announce, torrent, range)",
            self.strangers_refused.clone(),
        );
        r.register(
            "ranges_served",
            "Bulk range requests by outcome (ok, not_found, out_of_range, refused, busy, failed)",
            self.ranges_served.clone(),
        );
        r.register_with_unit("served", "Bytes of files served to members", Unit::Bytes, self.bytes_served.clone());
        r.register_with_unit("fetched", "Bytes of files fetched from members", Unit::Bytes, self.bytes_fetched.clone());
    }

    pub(crate) fn set_connected(&self, n: usize) {
        self.connected.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub(crate) fn stranger_refused(&self, kind: &'static str) {
        self.strangers_refused.get_or_create(&KindLabels { kind }).inc();
    }

    pub(crate) fn range_served(&self, outcome: &'static str) {
        self.ranges_served.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub(crate) fn served(&self, bytes: u64) {
        self.bytes_served.inc_by(bytes);
    }

    pub(crate) fn fetched(&self, bytes: u64) {
        self.bytes_fetched.inc_by(bytes);
    }

    /// Requests of `kind` refused to strangers so far (tests and diagnostics).
    pub fn strangers_refused(&self, kind: &'static str) -> u64 {
        self.strangers_refused.get_or_create(&KindLabels { kind }).get()
    }

    /// Range requests that ended with `outcome` so far (tests and diagnostics).
    pub fn ranges_served(&self, outcome: &'static str) -> u64 {
        self.ranges_served.get_or_create(&OutcomeLabels { outcome }).get()
    }

    /// Bytes served so far.
    pub fn bytes_served(&self) -> u64 {
        self.bytes_served.get()
    }

    /// Bytes fetched so far.
    pub fn bytes_fetched(&self) -> u64 {
        self.bytes_fetched.get()
    }
}
