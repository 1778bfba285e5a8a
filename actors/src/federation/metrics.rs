//! Federation's Prometheus metrics: delivery queue depth and breaker state per host,
//! deliveries by host and outcome, outbound fetches by outcome, and signature fallbacks
//! (RFC 9421 refused, retried with draft-cavage) by host.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use shoal_protocol::delivery_backoff::BreakerState;

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryOutcome {
    /// 2xx: removed from the queue.
    Delivered,
    /// Network error, 5xx, 408 or 429: kept at the head, retried after a backoff.
    Retried,
    /// Older than `delivery_max_age_secs` while the host kept failing: dropped.
    DroppedExpired,
    /// Another 4xx (or 3xx): the receiver refused this activity for good; dropped.
    Rejected,
}

impl DeliveryOutcome {
    pub fn label(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Retried => "retried",
            DeliveryOutcome::DroppedExpired => "dropped_expired",
            DeliveryOutcome::Rejected => "rejected",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HostLabels {
    host: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HostOutcomeLabels {
    host: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// Federation's metric handles. Cheap to clone; clones share the values.
#[derive(Clone, Debug, Default)]
pub struct FederationMetrics {
    queue_depth: Family<HostLabels, Gauge>,
    deliveries: Family<HostOutcomeLabels, Counter>,
    breaker: Family<HostLabels, Gauge>,
    fetches: Family<OutcomeLabels, Counter>,
    signature_fallbacks: Family<HostLabels, Counter>,
}

impl FederationMetrics {
    /// Adds every metric to `registry` (which should carry the `shoal` prefix).
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("federation");
        r.register("queue_depth", "Activities waiting in the delivery queue, by host", self.queue_depth.clone());
        r.register("deliveries", "Delivery attempts by host and outcome", self.deliveries.clone());
        r.register(
            "breaker_state",
            "Circuit breaker of each host: 0 closed, 1 open (dead), 2 half-open (probing)",
            self.breaker.clone(),
        );
        r.register("fetches", "Outbound federation requests by outcome", self.fetches.clone());
        r.register(
            "signature_fallbacks",
            "POSTs whose RFC 9421 signature the host refused (401/403), retried signed draft-cavage, by host",
            self.signature_fallbacks.clone(),
        );
    }

    pub(crate) fn set_queue_depth(&self, host: &str, depth: u64) {
        self.queue_depth
            .get_or_create(&HostLabels { host: host.to_string() })
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    pub(crate) fn delivery(&self, host: &str, outcome: DeliveryOutcome) {
        self.deliveries.get_or_create(&HostOutcomeLabels { host: host.to_string(), outcome: outcome.label() }).inc();
    }

    pub(crate) fn set_breaker(&self, host: &str, state: BreakerState) {
        let value = match state {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        };
        self.breaker.get_or_create(&HostLabels { host: host.to_string() }).set(value);
    }

    pub(crate) fn fetch(&self, outcome: &'static str) {
        self.fetches.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub(crate) fn signature_fallback(&self, host: &str) {
        self.signature_fallbacks.get_or_create(&HostLabels { host: host.to_string() }).inc();
    }

    /// POSTs to `host` retried with draft-cavage after an RFC 9421 refusal (tests and diagnostics).
    pub fn signature_fallbacks(&self, host: &str) -> u64 {
        self.signature_fallbacks.get_or_create(&HostLabels { host: host.to_string() }).get()
    }

    /// Requests that ended with `outcome` so far (tests and diagnostics).
    pub fn fetches(&self, outcome: &'static str) -> u64 {
        self.fetches.get_or_create(&OutcomeLabels { outcome }).get()
    }

    /// Deliveries to `host` that ended with `outcome` so far (tests and diagnostics).
    pub fn deliveries(&self, host: &str, outcome: DeliveryOutcome) -> u64 {
        self.deliveries.get_or_create(&HostOutcomeLabels { host: host.to_string(), outcome: outcome.label() }).get()
    }
}
