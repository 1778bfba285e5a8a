//! Prometheus metrics of the ActivityPub layer: inbox activities by type and refusals by
//! reason.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

/// The counters. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct ApMetrics {
    inbox_activities: Family<KindLabel, Counter>,
    inbox_refusals: Family<ReasonLabel, Counter>,
}

impl ApMetrics {
    /// Adds the counters to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "activitypub_inbox_activities",
            "Verified inbox activities, by type",
            self.inbox_activities.clone(),
        );
        registry.register("activitypub_inbox_refusals", "Inbox POSTs refused, by reason", self.inbox_refusals.clone());
    }

    pub fn inbox_received(&self, kind: &str) {
        self.inbox_activities.get_or_create(&KindLabel { kind: kind.to_string() }).inc();
    }

    pub fn inbox_refused(&self, reason: &str) {
        self.inbox_refusals.get_or_create(&ReasonLabel { reason: reason.to_string() }).inc();
    }
}
