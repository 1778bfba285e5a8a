//! A receiver on loopback that verifies real HTTP Signatures (draft-cavage or RFC 9421)
//! with the key it is told to trust, and can refuse RFC 9421 with 403 as PeerTube 8.0
//! does ("exception in signature parser": it parses draft-cavage only).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use shoal_protocol::http_signatures::{parse_signed_request, PublicKey, Scheme, VerifyPolicy};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What the receiver does with a request whose signature verifies.
#[derive(Default)]
pub struct SignedState {
    /// The key signatures must verify with.
    pub key: Mutex<Option<PublicKey>>,
    /// Answer 403 to RFC 9421-signed requests before looking further (PeerTube 8.0).
    pub refuse_rfc9421: AtomicBool,
    /// Answer 403 to every request, whatever its signature (a host that blocks us).
    pub forbid_all: AtomicBool,
    /// Every POST: the scheme it was signed with (`None`: unsigned or unreadable) and the answer.
    pub attempts: Mutex<Vec<(Option<Scheme>, u16)>>,
    /// Ids of the activities accepted, in order.
    pub accepted: Mutex<Vec<String>>,
}

pub struct SignedReceiver {
    pub addr: SocketAddr,
    pub state: Arc<SignedState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SignedReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn answer(state: &SignedState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> StatusCode {
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("");
    let Ok(signed) = parse_signed_request(method, uri, host, headers) else { return StatusCode::UNAUTHORIZED };
    if signed.scheme() == Scheme::Rfc9421 && state.refuse_rfc9421.load(Ordering::SeqCst) {
        return StatusCode::FORBIDDEN;
    }
    let Some(key) = state.key.lock().unwrap().clone() else { return StatusCode::UNAUTHORIZED };
    if signed.verify(&key, Some(body), unix_secs(), &VerifyPolicy::default()).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    if state.forbid_all.load(Ordering::SeqCst) {
        return StatusCode::FORBIDDEN;
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else { return StatusCode::BAD_REQUEST };
    let Some(id) = json.get("id").and_then(|v| v.as_str()) else { return StatusCode::BAD_REQUEST };
    state.accepted.lock().unwrap().push(id.to_string());
    StatusCode::ACCEPTED
}

async fn inbox(
    State(state): State<Arc<SignedState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let status = answer(&state, &method, &uri, &headers, &body);
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("");
    let scheme = parse_signed_request(&method, &uri, host, &headers).ok().map(|s| s.scheme());
    state.attempts.lock().unwrap().push((scheme, status.as_u16()));
    status
}

impl SignedReceiver {
    /// Starts a receiver on an ephemeral port of 127.0.0.1.
    pub async fn start() -> SignedReceiver {
        let state = Arc::new(SignedState::default());
        let app = Router::new().route("/{*path}", post(inbox)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        SignedReceiver { addr, state, task }
    }

    /// Verifies signatures with `key` from now on.
    pub fn trust(&self, key: PublicKey) {
        *self.state.key.lock().unwrap() = Some(key);
    }

    pub fn refuse_rfc9421(&self, refuse: bool) {
        self.state.refuse_rfc9421.store(refuse, Ordering::SeqCst);
    }

    pub fn forbid_all(&self, forbid: bool) {
        self.state.forbid_all.store(forbid, Ordering::SeqCst);
    }

    pub fn inbox(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn attempts(&self) -> Vec<(Option<Scheme>, u16)> {
        self.state.attempts.lock().unwrap().clone()
    }

    pub fn accepted(&self) -> Vec<String> {
        self.state.accepted.lock().unwrap().clone()
    }
}
