//! Replication's Prometheus metrics: members by state, copies held, transfers running, the
//! repair backlog, placement changes, misbehaving members and strangers, plus the transport's
//! ([`NetMetrics`]) and the mirror jobs' ([`MirrorMetrics`]: pieces and bytes by source,
//! rejected pieces).

use super::mirror::MirrorMetrics;
use super::net::NetMetrics;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

/// Every replication metric. Cheap to clone; clones share the values.
#[derive(Clone, Debug, Default)]
pub struct ReplicationMetrics {
    pub net: NetMetrics,
    pub mirror: MirrorMetrics,
    members: Family<StateLabels, Gauge>,
    copies_held: Gauge,
    transfers: Gauge,
    repair_backlog: Gauge,
    placement_changes: Family<ActionLabels, Counter>,
    misbehaving: Counter,
    strangers: Gauge,
}

impl ReplicationMetrics {
    /// Adds every metric to `registry` (which carries the `shoal` prefix).
    pub fn register(&self, registry: &mut Registry) {
        self.net.register(registry);
        self.mirror.register(registry);
        let r = registry.sub_registry_with_prefix("redundancy");
        r.register("members", "Trusted redundancy members by state (live, lost)", self.members.clone());
        r.register("copies_held", "Complete verified copies this node holds", self.copies_held.clone());
        r.register("transfers", "Mirror transfers queued or running", self.transfers.clone());
        r.register(
            "repair_backlog",
            "Files of member origins with fewer than k live complete copies",
            self.repair_backlog.clone(),
        );
        r.register(
            "placement_changes",
            "Placement decisions of this node by action (fetch, drop)",
            self.placement_changes.clone(),
        );
        r.register(
            "misbehaving_sources",
            "Pieces from members that failed verification (the member is no longer used as a source)",
            self.misbehaving.clone(),
        );
        r.register("strangers", "Peers not in trusted_peers seen asking", self.strangers.clone());
    }

    pub(crate) fn set_round(&self, live: usize, lost: usize, held: usize, transfers: usize, backlog: usize) {
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.members.get_or_create(&StateLabels { state: "live" }).set(gauge(live));
        self.members.get_or_create(&StateLabels { state: "lost" }).set(gauge(lost));
        self.copies_held.set(gauge(held));
        self.transfers.set(gauge(transfers));
        self.repair_backlog.set(gauge(backlog));
    }

    pub(crate) fn placement_change(&self, action: &'static str) {
        self.placement_changes.get_or_create(&ActionLabels { action }).inc();
    }

    pub(crate) fn member_misbehaved(&self) {
        self.misbehaving.inc();
    }

    pub(crate) fn set_strangers(&self, n: usize) {
        self.strangers.set(i64::try_from(n).unwrap_or(i64::MAX));
    }
}
