//! `MirrorHttp`: the HTTP client of mirror jobs (torrents and web-seed ranges). Like the
//! federation client it connects only where `federation.allow_private_addresses` allows
//! (names through a resolver that drops refused addresses, IP literals checked before the
//! request), insists on https unless private addresses are allowed, follows at most
//! [`MAX_REDIRECTS`] redirects checking each hop, bounds every request by a timeout and
//! caps every body while streaming it.

use super::error::SourceError;
use crate::config::FederationConfig;
use crate::federation::AddressPolicy;
use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, CONTENT_RANGE, LOCATION, RANGE};
use http::StatusCode;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Redirect hops followed at most.
pub const MAX_REDIRECTS: usize = 3;
/// Default bound of one request (a piece or a torrent), connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default bound of connection set-up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap of a `.torrent` body (a 100 GB file in 1 MiB pieces is 2 MB of hashes).
pub const MAX_TORRENT_BYTES: u64 = 4 << 20;

/// The mirror jobs' HTTP client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct MirrorHttp {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    /// Bound of one request.
    pub request_timeout: Duration,
    /// Cap of a `.torrent` body.
    pub max_torrent_bytes: u64,
}

/// The resolver's refusal, recognised in reqwest's error chain.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to refused addresses")]
struct RefusedName(String);

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

impl MirrorHttp {
    /// A client following `federation.allow_private_addresses`, with the default bounds.
    pub fn new(config: &FederationConfig) -> Result<MirrorHttp, SourceError> {
        let policy = Arc::new(AddressPolicy { allow_private: config.allow_private_addresses, exempt: Vec::new() });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(PolicyResolver { policy: policy.clone() }))
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("Shoal/", env!("CARGO_PKG_VERSION"), " (mirror)"))
            .build()
            .map_err(|e| SourceError::Transport(format!("building the client: {e}")))?;
        Ok(MirrorHttp { client, policy, request_timeout: REQUEST_TIMEOUT, max_torrent_bytes: MAX_TORRENT_BYTES })
    }

    /// GETs `url` whole (a torrent), refusing bodies over `limit` bytes.
    pub async fn get_capped(&self, url: &str, limit: u64) -> Result<Bytes, SourceError> {
        let request = async {
            let response = self.send(url, None).await?;
            let status = response.status();
            if !status.is_success() {
                return Err(SourceError::Status { status: status.as_u16() });
            }
            let declared = declared_length(&response);
            if declared.is_some_and(|n| n > limit) {
                return Err(SourceError::TooLarge { limit });
            }
            read_body(response, limit, |_| SourceError::TooLarge { limit }).await
        };
        self.bounded(request).await
    }

    /// GETs bytes `offset .. offset + len` of the file at `url`, a file of `total` bytes.
    /// Only a 206 whose `Content-Range` is exactly that range of that file, with exactly
    /// `len` bytes of body, is accepted; the body is never read past `len`.
    pub async fn get_range(&self, url: &str, offset: u64, len: u64, total: u64) -> Result<Bytes, SourceError> {
        if len == 0 || offset.checked_add(len).is_none_or(|end| end > total) {
            return Err(SourceError::WrongLength { expected: len, found: 0 });
        }
        let last = offset + len - 1;
        let request = async {
            let response = self.send(url, Some(format!("bytes={offset}-{last}"))).await?;
            let status = response.status();
            if status != StatusCode::PARTIAL_CONTENT {
                return Err(if status.is_success() {
                    SourceError::NotPartial { status: status.as_u16() }
                } else {
                    SourceError::Status { status: status.as_u16() }
                });
            }
            let expected = format!("bytes {offset}-{last}/{total}");
            let found = response.headers().get(CONTENT_RANGE).and_then(|v| v.to_str().ok()).map(str::to_string);
            if !found.as_deref().is_some_and(|f| content_range_is(f, offset, last, total)) {
                return Err(SourceError::BadContentRange { expected, found });
            }
            if let Some(declared) = declared_length(&response) {
                if declared != len {
                    return Err(SourceError::WrongLength { expected: len, found: declared });
                }
            }
            let body = read_body(response, len, |found| SourceError::WrongLength { expected: len, found }).await?;
            if body.len() as u64 != len {
                return Err(SourceError::WrongLength { expected: len, found: body.len() as u64 });
            }
            Ok(body)
        };
        self.bounded(request).await
    }

    async fn bounded<T>(
        &self,
        request: impl std::future::Future<Output = Result<T, SourceError>>,
    ) -> Result<T, SourceError> {
        match tokio::time::timeout(self.request_timeout, request).await {
            Ok(result) => result,
            Err(_) => Err(SourceError::Timeout),
        }
    }

    /// Sends a GET (with `Range` when given), following redirects, each hop checked.
    async fn send(&self, url: &str, range: Option<String>) -> Result<reqwest::Response, SourceError> {
        let mut url = Url::parse(url).map_err(|e| SourceError::InvalidUrl(format!("{url}: {e}")))?;
        for _ in 0..=MAX_REDIRECTS {
            self.check_url(&url)?;
            let mut request = self.client.get(url.clone());
            if let Some(range) = &range {
                request = request.header(RANGE, range.as_str());
            }
            let response = request.send().await.map_err(map_reqwest_error)?;
            if response.status().is_redirection() {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or(SourceError::Status { status: response.status().as_u16() })?;
                url =
                    url.join(location).map_err(|e| SourceError::InvalidUrl(format!("redirect to {location}: {e}")))?;
                continue;
            }
            return Ok(response);
        }
        Err(SourceError::Transport(format!("more than {MAX_REDIRECTS} redirects")))
    }

    /// Refuses a URL whose scheme or IP-literal host the policy refuses.
    fn check_url(&self, url: &Url) -> Result<(), SourceError> {
        let host = url.host().ok_or_else(|| SourceError::InvalidUrl(format!("{url}: no host")))?;
        let port = url.port_or_known_default().ok_or_else(|| SourceError::InvalidUrl(url.to_string()))?;
        let literal = match host {
            url::Host::Ipv4(ip) => Some(SocketAddr::new(ip.into(), port)),
            url::Host::Ipv6(ip) => Some(SocketAddr::new(ip.into(), port)),
            url::Host::Domain(_) => None,
        };
        if let Some(addr) = literal {
            if !self.policy.allows_socket(addr) {
                return Err(SourceError::Refused(addr.ip().to_string()));
            }
        }
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.policy.allows_plain_http(literal) => Ok(()),
            _ => Err(SourceError::Refused(format!("scheme of {url}"))),
        }
    }
}

fn declared_length(response: &reqwest::Response) -> Option<u64> {
    response.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
}

/// Reads the body, failing with `over(bytes seen)` as soon as it passes `limit`.
async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
    over: impl Fn(u64) -> SourceError,
) -> Result<Bytes, SourceError> {
    let mut body = BytesMut::with_capacity(usize::try_from(limit.min(1 << 20)).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(map_reqwest_error)? {
        let seen = body.len() as u64 + chunk.len() as u64;
        if seen > limit {
            return Err(over(seen));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Whether `value` is `bytes {first}-{last}/{total}` (case-insensitive unit, spaces tolerated).
fn content_range_is(value: &str, first: u64, last: u64, total: u64) -> bool {
    let Some((unit, rest)) = value.trim().split_once(' ') else { return false };
    if !unit.eq_ignore_ascii_case("bytes") {
        return false;
    }
    let Some((range, size)) = rest.trim().split_once('/') else { return false };
    let Some((a, b)) = range.split_once('-') else { return false };
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    parse(a) == Some(first) && parse(b) == Some(last) && parse(size) == Some(total)
}

/// Maps reqwest's error, recognising the resolver's refusal in its source chain.
fn map_reqwest_error(err: reqwest::Error) -> SourceError {
    if err.is_timeout() {
        return SourceError::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    let mut text = String::new();
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<RefusedName>() {
            return SourceError::Refused(refused.to_string());
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&e.to_string());
        source = e.source();
    }
    SourceError::Transport(text)
}

#[cfg(test)]
mod tests {
    use super::content_range_is;

    #[test]
    fn content_range_must_be_exact() {
        assert!(content_range_is("bytes 0-99/1000", 0, 99, 1000));
        assert!(content_range_is("Bytes 100-199/1000", 100, 199, 1000));
        assert!(!content_range_is("bytes 0-99/*", 0, 99, 1000));
        assert!(!content_range_is("bytes 0-98/1000", 0, 99, 1000));
        assert!(!content_range_is("bytes 0-99/1001", 0, 99, 1000));
        assert!(!content_range_is("items 0-99/1000", 0, 99, 1000));
        assert!(!content_range_is("", 0, 99, 1000));
    }
}
