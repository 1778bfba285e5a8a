//! Helpers of the federation tests: a test signer, and small axum receivers on loopback
//! that record the activities they accept and can be told to fail or reject ([`signed`]:
//! one that verifies real signatures).
#![allow(dead_code)]

pub mod signed;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use shoal_actors::federation::RequestSigner;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Sets `X-Test-Signed: <key id>`; receivers refuse requests without it.
pub struct TestSigner;

impl RequestSigner for TestSigner {
    fn sign(
        &self,
        key_id: &str,
        _method: &http::Method,
        _uri: &http::Uri,
        headers: &mut http::HeaderMap,
        _body: Option<&[u8]>,
    ) -> Result<Option<shoal_protocol::http_signatures::Scheme>, String> {
        let value = http::HeaderValue::from_str(key_id).map_err(|e| e.to_string())?;
        headers.insert("x-test-signed", value);
        Ok(None)
    }
}

/// One accepted POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub path: String,
    pub activity_id: String,
    pub signed_as: String,
}

#[derive(Default)]
pub struct ReceiverState {
    pub accepted: Mutex<Vec<Received>>,
    /// Every POST seen, accepted or not.
    pub attempts: AtomicUsize,
    /// The next this-many POSTs are answered with `fail_status`.
    pub fail_next: AtomicUsize,
    pub fail_status: AtomicU16,
    /// Activity ids answered with 400.
    pub reject: Mutex<HashSet<String>>,
}

/// A receiver on 127.0.0.1.
pub struct Receiver {
    pub addr: SocketAddr,
    pub state: Arc<ReceiverState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn inbox(
    State(state): State<Arc<ReceiverState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    state.attempts.fetch_add(1, Ordering::SeqCst);
    let Some(signed_as) = headers.get("x-test-signed").and_then(|v| v.to_str().ok()) else {
        return StatusCode::UNAUTHORIZED;
    };
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/activity+json") {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE;
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else { return StatusCode::BAD_REQUEST };
    let Some(id) = json.get("id").and_then(|v| v.as_str()) else { return StatusCode::BAD_REQUEST };
    let failing = state.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing {
        return StatusCode::from_u16(state.fail_status.load(Ordering::SeqCst))
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    }
    if state.reject.lock().unwrap().contains(id) {
        return StatusCode::BAD_REQUEST;
    }
    state.accepted.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        activity_id: id.to_string(),
        signed_as: signed_as.to_string(),
    });
    StatusCode::ACCEPTED
}

impl Receiver {
    /// Starts a receiver on an ephemeral port.
    pub async fn start() -> Receiver {
        Receiver::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    /// Starts a receiver on `addr` (a port reserved earlier with [`reserve_port`]).
    pub async fn start_on(addr: SocketAddr) -> Receiver {
        let state = Arc::new(ReceiverState { fail_status: AtomicU16::new(503), ..Default::default() });
        let app = Router::new().route("/{*path}", post(inbox)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind receiver");
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, state, task }
    }

    pub fn inbox(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Activity ids accepted at `path`, in arrival order.
    pub fn ids_at(&self, path: &str) -> Vec<String> {
        self.state.accepted.lock().unwrap().iter().filter(|r| r.path == path).map(|r| r.activity_id.clone()).collect()
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.state.accepted.lock().unwrap().clone()
    }

    pub fn fail_next(&self, n: usize, status: u16) {
        self.state.fail_status.store(status, Ordering::SeqCst);
        self.state.fail_next.store(n, Ordering::SeqCst);
    }

    pub fn attempts(&self) -> usize {
        self.state.attempts.load(Ordering::SeqCst)
    }
}

/// A loopback address with a port nobody listens on (for a host that is down).
pub fn reserve_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// An activity's JSON body.
pub fn activity(id: &str) -> axum::body::Bytes {
    axum::body::Bytes::from(
        serde_json::json!({"id": id, "type": "Create", "actor": "https://a.example/accounts/a"}).to_string(),
    )
}
