//! `/metrics`: the node's Prometheus metrics in the OpenMetrics text format, the actors'
//! (uploads, transcodes) and the web edge's own (web-seed requests and bytes).

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Registry, Unit};

use crate::error::ApiError;
use crate::state::AppState;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: u16,
}

/// Statuses a web seed answers most; their counters are looked up once, not per request.
const COMMON_STATUSES: [u16; 4] = [200, 206, 304, 416];

/// The web edge's metric handles.
#[derive(Clone, Debug)]
pub struct WebMetrics {
    seed_requests: Family<StatusLabels, Counter>,
    /// The counters of [`COMMON_STATUSES`], in that order.
    seed_common: [Counter; 4],
    seed_bytes: Counter,
}

impl Default for WebMetrics {
    fn default() -> Self {
        let seed_requests = Family::<StatusLabels, Counter>::default();
        let seed_common = COMMON_STATUSES.map(|status| seed_requests.get_or_create(&StatusLabels { status }).clone());
        WebMetrics { seed_requests, seed_common, seed_bytes: Counter::default() }
    }
}

impl WebMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register("web_seed_requests", "Web-seed (video file) requests by status", self.seed_requests.clone());
        registry.register_with_unit(
            "web_seed",
            "Bytes of web-seed response bodies (Content-Length of GET answers)",
            Unit::Bytes,
            self.seed_bytes.clone(),
        );
    }

    /// Counts a web-seed answer: its status and, for GET, the body it carries.
    pub fn seed_answered(&self, method: &Method, response: &Response) {
        let status = response.status();
        match COMMON_STATUSES.iter().position(|s| *s == status.as_u16()) {
            Some(i) => self.seed_common[i].inc(),
            None => self.seed_requests.get_or_create(&StatusLabels { status: status.as_u16() }).inc(),
        };
        if method == Method::GET && status.is_success() {
            let length = response.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
            self.seed_bytes.inc_by(length.and_then(|v| v.parse().ok()).unwrap_or(0));
        }
    }
}

/// Every metric of the node under the `shoal_` prefix.
pub fn registry(shoal: &shoal_actors::Shoal, web: &WebMetrics) -> Registry {
    let mut registry = Registry::with_prefix("shoal");
    shoal.metrics().register(&mut registry);
    shoal.tracker().metrics().register(&mut registry);
    shoal.federation().metrics().register(&mut registry);
    shoal.activitypub().metrics().register(&mut registry);
    web.register(&mut registry);
    registry
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = String::new();
    if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &state.registry) {
        return ApiError::internal("encoding metrics", &err).into_response();
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static(OPENMETRICS))], text).into_response()
}
