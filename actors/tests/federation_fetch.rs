//! The outbound client's refusals with private addresses not allowed: loopback, link-local,
//! private and v6 loopback targets (literal or by name), redirects to them, oversized
//! bodies, slow servers, wrong content types; and what it accepts. The "public" test
//! server is loopback made reachable through the policy's test-only exemption list.

mod federation_support;

use axum::body::Body;
use axum::extract::Query;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use federation_support::TestSigner;
use shoal_actors::config::FederationConfig;
use shoal_actors::federation::{FederationClient, FederationMetrics, FetchError};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const AP: &str = "application/activity+json";

fn typed(content_type: &'static str, body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body.into()).into_response()
}

async fn doc(headers: HeaderMap) -> Response {
    let signed = headers.get("x-test-signed").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    typed(AP, serde_json::json!({"id": "doc", "signed": signed}).to_string())
}

async fn redirect(Query(q): Query<HashMap<String, String>>) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, q.get("to").cloned().unwrap_or_default())]).into_response()
}

async fn big_stream() -> Response {
    let chunks = (0..40).map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b' '; 64 << 10])));
    typed(AP, Body::from_stream(futures::stream::iter(chunks)))
}

async fn serve() -> SocketAddr {
    let app = Router::new()
        .route("/doc", get(doc))
        .route(
            "/ld",
            get(|| async { typed("application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", "{}") }),
        )
        .route("/jrd", get(|| async { typed("application/jrd+json; charset=utf-8", "{\"subject\":\"acct:a@b\"}") }))
        .route("/html", get(|| async { typed("text/html", "<html></html>") }))
        .route("/big", get(|| async { typed(AP, vec![b' '; 2 << 20]) }))
        .route("/big-stream", get(big_stream))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                typed(AP, "{}")
            }),
        )
        .route("/redirect", get(redirect))
        .route("/loop", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]).into_response() }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// A client with private addresses refused, except the exempted test servers.
fn strict(exempt: Vec<SocketAddr>) -> FederationClient {
    let config = FederationConfig { fetch_timeout_secs: 1, ..FederationConfig::default() };
    FederationClient::new(&config, Arc::new(TestSigner), FederationMetrics::default(), exempt).unwrap()
}

#[tokio::test]
async fn private_targets_are_refused() {
    let server = serve().await;
    let client = strict(vec![]);
    let port = server.port();
    for url in [
        format!("http://127.0.0.1:{port}/doc"),
        format!("https://127.0.0.1:{port}/doc"),
        "https://[::1]/doc".to_string(),
        format!("https://[::ffff:127.0.0.1]:{port}/doc"),
        "https://169.254.169.254/latest/meta-data".to_string(),
        "https://10.1.2.3/doc".to_string(),
        "https://192.168.0.1/doc".to_string(),
        "https://100.64.0.1/doc".to_string(),
        "https://[fd00::1]/doc".to_string(),
        "https://0.0.0.0/doc".to_string(),
    ] {
        let err = client.get_activity_json(&url, None).await.unwrap_err();
        assert!(matches!(err, FetchError::RefusedAddress(_)), "{url}: {err:?}");
    }
    // A name resolving to loopback is refused by the resolver, before any connection.
    let err = client.get_activity_json(&format!("https://localhost:{port}/doc"), None).await.unwrap_err();
    assert!(matches!(err, FetchError::RefusedAddress(_)), "{err:?}");
    let err = client.post_activity(&format!("https://localhost:{port}/inbox"), "{}".into(), "k").await.unwrap_err();
    assert!(matches!(err, FetchError::RefusedAddress(_)), "{err:?}");
    // Plain http to a name is refused for its scheme.
    let err = client.get_jrd(&format!("http://localhost:{port}/jrd")).await.unwrap_err();
    assert!(matches!(err, FetchError::InsecureScheme(_)), "{err:?}");
    assert!(client.metrics().fetches("refused_address") >= 12);
}

#[tokio::test]
async fn each_redirect_hop_is_checked_again() {
    let public = serve().await;
    let private = serve().await;
    let client = strict(vec![public]);
    let base = format!("http://{public}");
    for target in [format!("http://{private}/doc"), "https://10.0.0.1/doc".into(), "https://[::1]/doc".into()] {
        let err = client.get_activity_json(&format!("{base}/redirect?to={target}"), None).await.unwrap_err();
        assert!(matches!(err, FetchError::RefusedAddress(_)), "{target}: {err:?}");
    }
    let to_name = format!("{base}/redirect?to=http://localhost:{}/doc", private.port());
    let err = client.get_activity_json(&to_name, None).await.unwrap_err();
    assert!(matches!(err, FetchError::InsecureScheme(_)), "{err:?}");
    // Redirects within allowed servers are followed, and the final URL is reported.
    let fetched = client.get_activity_json(&format!("{base}/redirect?to=/doc"), None).await.unwrap();
    assert_eq!(fetched.final_url, format!("{base}/doc"));
    let err = client.get_activity_json(&format!("{base}/loop"), None).await.unwrap_err();
    assert_eq!(err, FetchError::TooManyRedirects);
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused_whether_declared_or_streamed() {
    let server = serve().await;
    let client = strict(vec![server]);
    for path in ["big", "big-stream"] {
        let err = client.get_activity_json(&format!("http://{server}/{path}"), None).await.unwrap_err();
        assert_eq!(err, FetchError::TooLarge(1 << 20), "{path}");
    }
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = serve().await;
    let client = strict(vec![server]);
    let started = Instant::now();
    let err = client.get_activity_json(&format!("http://{server}/slow"), None).await.unwrap_err();
    assert_eq!(err, FetchError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(client.metrics().fetches("timeout"), 1);
}

#[tokio::test]
async fn content_types_are_checked() {
    let server = serve().await;
    let client = strict(vec![server]);
    let err = client.get_activity_json(&format!("http://{server}/html"), None).await.unwrap_err();
    assert_eq!(err, FetchError::BadContentType("text/html".into()));
    let err = client.get_activity_json(&format!("http://{server}/jrd"), None).await.unwrap_err();
    assert!(matches!(err, FetchError::BadContentType(_)));
    let err = client.get_jrd(&format!("http://{server}/doc")).await.unwrap_err();
    assert!(matches!(err, FetchError::BadContentType(_)));
    assert!(client.get_jrd(&format!("http://{server}/jrd")).await.is_ok());
    assert!(client.get_activity_json(&format!("http://{server}/ld"), None).await.is_ok());
    let err = client.get_activity_json(&format!("http://{server}/missing"), None).await.unwrap_err();
    assert_eq!(err, FetchError::Http(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn gets_are_signed_only_when_asked() {
    let server = serve().await;
    let client = strict(vec![server]);
    let url = format!("http://{server}/doc");
    let signed = client.get_activity_json(&url, Some("https://me.example/accounts/peertube#main-key")).await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&signed.body).unwrap();
    assert_eq!(json["signed"], "https://me.example/accounts/peertube#main-key");
    let unsigned = client.get_activity_json(&url, None).await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&unsigned.body).unwrap();
    assert_eq!(json["signed"], "");
}

#[tokio::test]
async fn the_allowance_opens_loopback_and_plain_http() {
    let server = serve().await;
    let config = FederationConfig { allow_private_addresses: true, ..FederationConfig::default() };
    let client = FederationClient::new(&config, Arc::new(TestSigner), FederationMetrics::default(), vec![]).unwrap();
    assert!(client.get_activity_json(&format!("http://localhost:{}/doc", server.port()), None).await.is_ok());
    assert!(client.get_activity_json(&format!("http://{server}/doc"), None).await.is_ok());
}
