//! `FederationClient`: the one HTTP client every outbound federation request goes through.
//! It connects only to addresses the [`AddressPolicy`] allows (names are checked by a
//! resolver that drops refused addresses, IP literals before the request), follows
//! redirects itself so each hop is checked again, insists on https unless private
//! addresses are allowed, caps bodies while streaming them, bounds the whole request by
//! one timeout, checks content types, and signs requests through the [`RequestSigner`].
//! A POST whose RFC 9421 signature the host refuses (401/403) is retried once at once
//! when the signer says it now signs differently for that host (draft-cavage).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION};
use http::{HeaderMap, Method, StatusCode};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use shoal_protocol::http_signatures::Scheme;

use super::address_policy::AddressPolicy;
use super::content_type::{is_activity_json, is_jrd};
use super::host_schemes::host_of_uri;
use super::metrics::FederationMetrics;
use super::signer::RequestSigner;
use crate::config::FederationConfig;

/// Redirect hops followed at most by a GET.
pub const MAX_REDIRECTS: usize = 5;
/// The `Accept` of ActivityPub document fetches.
pub const ACCEPT_ACTIVITY: &str =
    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
/// The `Accept` of WebFinger fetches.
pub const ACCEPT_JRD: &str = "application/jrd+json, application/json";
/// The `Content-Type` of posted activities.
pub const CONTENT_TYPE_ACTIVITY: &str = "application/activity+json";

/// Why an outbound request failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    /// The host is, or resolves only to, an address the policy refuses (private,
    /// loopback, link-local, ...). Set `federation.allow_private_addresses` for tests only.
    #[error("refused address: {0}")]
    RefusedAddress(String),
    /// Plain http (or another scheme) while private addresses are not allowed.
    #[error("insecure scheme in {0}; only https is allowed")]
    InsecureScheme(String),
    /// The body is larger than `federation.fetch_max_bytes`.
    #[error("response body over {0} bytes")]
    TooLarge(usize),
    /// The whole request took longer than `federation.fetch_timeout_secs`.
    #[error("timed out")]
    Timeout,
    /// The response's content type is not one this request accepts.
    #[error("unexpected content type {0:?}")]
    BadContentType(String),
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    /// A non-success status.
    #[error("HTTP {0}")]
    Http(StatusCode),
    /// Connection, TLS or protocol failure, or the signer refused.
    #[error("transport: {0}")]
    Transport(String),
    /// The URL does not parse or has no host.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
}

impl FetchError {
    /// The metric label of the failure.
    pub fn label(&self) -> &'static str {
        match self {
            FetchError::RefusedAddress(_) => "refused_address",
            FetchError::InsecureScheme(_) => "insecure_scheme",
            FetchError::TooLarge(_) => "too_large",
            FetchError::Timeout => "timeout",
            FetchError::BadContentType(_) => "bad_content_type",
            FetchError::TooManyRedirects => "too_many_redirects",
            FetchError::Http(_) => "http_error",
            FetchError::Transport(_) => "transport",
            FetchError::InvalidUrl(_) => "invalid_url",
        }
    }
}

/// A fetched document: the URL it was finally read from (after redirects) and its body.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub final_url: String,
    pub body: Bytes,
}

/// The error a [`PolicyResolver`] returns when every address of a name is refused.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to refused addresses")]
struct RefusedName(String);

/// Resolves names with the system resolver and drops the addresses the policy refuses,
/// so the connection can only go to an allowed address.
struct PolicyResolver {
    policy: Arc<AddressPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved.into_iter().filter(|a| policy.allows_ip(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(RefusedName(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The outbound federation client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct FederationClient {
    http: reqwest::Client,
    policy: Arc<AddressPolicy>,
    signer: Arc<dyn RequestSigner>,
    max_bytes: usize,
    timeout: Duration,
    metrics: FederationMetrics,
}

impl FederationClient {
    /// A client following `config`, signing through `signer`. `exempt` is the test-only
    /// allow-list of [`AddressPolicy::exempt`]; production passes an empty list.
    pub fn new(
        config: &FederationConfig,
        signer: Arc<dyn RequestSigner>,
        metrics: FederationMetrics,
        exempt: Vec<SocketAddr>,
    ) -> Result<FederationClient, FetchError> {
        let policy = Arc::new(AddressPolicy { allow_private: config.allow_private_addresses, exempt });
        let timeout = Duration::from_secs(config.fetch_timeout_secs.max(1));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver { policy: policy.clone() }))
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("Shoal/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Transport(format!("building the client: {e}")))?;
        Ok(FederationClient { http, policy, signer, max_bytes: config.fetch_max_bytes, timeout, metrics })
    }

    /// The metric handles the client counts into.
    pub fn metrics(&self) -> &FederationMetrics {
        &self.metrics
    }

    /// GETs an ActivityPub document (`application/activity+json` or `application/ld+json`),
    /// following redirects (each hop checked), signed as `sign_as` when given.
    pub async fn get_activity_json(&self, url: &str, sign_as: Option<&str>) -> Result<Fetched, FetchError> {
        self.counted(self.get_checked(url, ACCEPT_ACTIVITY, sign_as, is_activity_json)).await
    }

    /// GETs a WebFinger document (`application/jrd+json` or `application/json`), unsigned.
    pub async fn get_jrd(&self, url: &str) -> Result<Fetched, FetchError> {
        self.counted(self.get_checked(url, ACCEPT_JRD, None, is_jrd)).await
    }

    /// POSTs an activity to `inbox`, signed as `key_id`; returns the status, whatever it
    /// is (redirects are not followed: the caller decides what a status means).
    pub async fn post_activity(&self, inbox: &str, body: Bytes, key_id: &str) -> Result<StatusCode, FetchError> {
        self.counted(self.post(inbox, body, key_id)).await
    }

    async fn counted<T>(
        &self,
        request: impl std::future::Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        let result = match tokio::time::timeout(self.timeout, request).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout),
        };
        self.metrics.fetch(match &result {
            Ok(_) => "ok",
            Err(e) => e.label(),
        });
        result
    }

    async fn get_checked(
        &self,
        url: &str,
        accept: &'static str,
        sign_as: Option<&str>,
        content_type_ok: fn(&str) -> bool,
    ) -> Result<Fetched, FetchError> {
        let mut url = Url::parse(url).map_err(|e| FetchError::InvalidUrl(format!("{url}: {e}")))?;
        for _ in 0..=MAX_REDIRECTS {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, HeaderValue::from_static(accept));
            let (response, _) = self.send(Method::GET, &url, headers, None, sign_as).await?;
            let status = response.status();
            if status.is_redirection() {
                let location =
                    response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).ok_or(FetchError::Http(status))?;
                url = url.join(location).map_err(|e| FetchError::InvalidUrl(format!("redirect to {location}: {e}")))?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Http(status));
            }
            let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !content_type_ok(content_type) {
                return Err(FetchError::BadContentType(content_type.to_string()));
            }
            let body = self.read_capped(response).await?;
            return Ok(Fetched { final_url: url.to_string(), body });
        }
        Err(FetchError::TooManyRedirects)
    }

    async fn post(&self, inbox: &str, body: Bytes, key_id: &str) -> Result<StatusCode, FetchError> {
        let url = Url::parse(inbox).map_err(|e| FetchError::InvalidUrl(format!("{inbox}: {e}")))?;
        let (status, scheme) = self.post_once(&url, body.clone(), key_id).await?;
        // Only a refusal of an RFC 9421 signature says anything about the scheme.
        let refused = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
        if !refused || scheme != Some(Scheme::Rfc9421) {
            return Ok(status);
        }
        let uri: http::Uri = url.as_str().parse().map_err(|_| FetchError::InvalidUrl(url.to_string()))?;
        if !self.signer.refused(&uri, Scheme::Rfc9421, status) {
            return Ok(status);
        }
        let host = host_of_uri(&uri).unwrap_or_default();
        tracing::warn!(%host, %inbox, %status, "the host refused an RFC 9421 signature; retrying signed draft-cavage");
        self.metrics.signature_fallback(&host);
        let (status, _) = self.post_once(&url, body, key_id).await?;
        Ok(status)
    }

    /// One signed POST; its status and the scheme it was signed with.
    async fn post_once(
        &self,
        url: &Url,
        body: Bytes,
        key_id: &str,
    ) -> Result<(StatusCode, Option<Scheme>), FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_ACTIVITY));
        headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_ACTIVITY));
        let (response, scheme) = self.send(Method::POST, url, headers, Some(body), Some(key_id)).await?;
        let status = response.status();
        // Read (a capped amount of) the answer so the connection can be reused.
        let _ = self.read_capped(response).await;
        Ok((status, scheme))
    }

    /// Checks `url` against the policy, signs and sends one request; returns the
    /// response and the scheme it was signed with, if any.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        mut headers: HeaderMap,
        body: Option<Bytes>,
        sign_as: Option<&str>,
    ) -> Result<(reqwest::Response, Option<Scheme>), FetchError> {
        let host = self.check_url(url)?;
        let host_value = HeaderValue::from_str(&host).map_err(|_| FetchError::InvalidUrl(url.to_string()))?;
        headers.insert(HOST, host_value);
        let mut scheme = None;
        if let Some(key_id) = sign_as {
            let uri: http::Uri = url.as_str().parse().map_err(|_| FetchError::InvalidUrl(url.to_string()))?;
            scheme = self
                .signer
                .sign(key_id, &method, &uri, &mut headers, body.as_deref())
                .map_err(|e| FetchError::Transport(format!("signing: {e}")))?;
        }
        let mut request = self.http.request(method, url.clone()).headers(headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.map_err(map_reqwest_error)?;
        Ok((response, scheme))
    }

    /// Refuses a URL whose scheme or IP-literal host the policy refuses; returns the
    /// `Host` header value (`host[:port]`, the port only when not the scheme's default).
    fn check_url(&self, url: &Url) -> Result<String, FetchError> {
        let host = url.host().ok_or_else(|| FetchError::InvalidUrl(format!("{url}: no host")))?;
        let port = url.port_or_known_default().ok_or_else(|| FetchError::InvalidUrl(url.to_string()))?;
        let literal = match host {
            url::Host::Ipv4(ip) => Some(SocketAddr::new(ip.into(), port)),
            url::Host::Ipv6(ip) => Some(SocketAddr::new(ip.into(), port)),
            url::Host::Domain(_) => None,
        };
        if let Some(addr) = literal {
            if !self.policy.allows_socket(addr) {
                return Err(FetchError::RefusedAddress(addr.ip().to_string()));
            }
        }
        match url.scheme() {
            "https" => {}
            "http" if self.policy.allows_plain_http(literal) => {}
            _ => return Err(FetchError::InsecureScheme(url.to_string())),
        }
        let host_str = url.host_str().unwrap_or_default();
        Ok(match url.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_string(),
        })
    }

    /// Reads the body, stopping as soon as it passes the cap.
    async fn read_capped(&self, mut response: reqwest::Response) -> Result<Bytes, FetchError> {
        let declared = response.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_bytes as u64) {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(map_reqwest_error)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// Maps reqwest's error, recognising the resolver's refusal in its source chain.
fn map_reqwest_error(err: reqwest::Error) -> FetchError {
    if err.is_timeout() {
        return FetchError::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    let mut text = String::new();
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<RefusedName>() {
            return FetchError::RefusedAddress(refused.to_string());
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&e.to_string());
        source = e.source();
    }
    FetchError::Transport(text)
}
