//! Prometheus metrics of the ActivityPub layer: inbox activities by type, activities of
//! unhandled types that were ignored, and refusals by reason.

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
    inbox_ignored: Family<KindLabel, Counter>,
    /// CacheFile activities received and sent (see `cache_files`).
    pub(crate) cache_files: super::CacheFileMetrics,
}

/// Activity types a label may name when ignored; any other type counts as `other`, so a
/// sender cannot grow the label set.
const IGNORED_KINDS: &[&str] = &[
    "Add",
    "Remove",
    "Block",
    "Flag",
    "Move",
    "Question",
    "Read",
    "Listen",
    "Invite",
    "Join",
    "Leave",
    "Offer",
    "TentativeAccept",
    "TentativeReject",
    "Arrive",
    "Travel",
    "Ignore",
    "EmojiReact",
    "QuoteRequest",
];

impl ApMetrics {
    /// Adds the counters to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "activitypub_inbox_activities",
            "Verified inbox activities, by type",
            self.inbox_activities.clone(),
        );
        registry.register("activitypub_inbox_refusals", "Inbox POSTs refused, by reason", self.inbox_refusals.clone());
        registry.register(
            "activitypub_inbox_ignored",
            "Verified inbox activities of a type this node does not handle (taken and dropped), by type",
            self.inbox_ignored.clone(),
        );
        self.cache_files.register(registry);
    }

    pub fn inbox_received(&self, kind: &str) {
        self.inbox_activities.get_or_create(&KindLabel { kind: kind.to_string() }).inc();
    }

    pub fn inbox_refused(&self, reason: &str) {
        self.inbox_refusals.get_or_create(&ReasonLabel { reason: reason.to_string() }).inc();
    }

    /// A verified activity of type `kind` was taken and dropped.
    pub fn inbox_ignored(&self, kind: &str) {
        let kind = if IGNORED_KINDS.contains(&kind) { kind } else { "other" };
        self.inbox_ignored.get_or_create(&KindLabel { kind: kind.to_string() }).inc();
    }
}
