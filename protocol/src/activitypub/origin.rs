//! Hosts of URLs and the same-origin rules of federation: an object, the actor that
//! sends it and the account it is attributed to live on one host; a fetched document's
//! id is the URL it was fetched from.

use super::ApError;

/// The authority (`host` or `host:port`, lowercase, default ports dropped) of an absolute
/// http(s) URL; `None` for anything else.
pub fn host_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?.to_ascii_lowercase();
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// True when both are absolute http(s) URLs on the same host.
pub fn same_host(a: &str, b: &str) -> bool {
    matches!((host_of(a), host_of(b)), (Some(x), Some(y)) if x == y)
}

/// Checks that `url` is on `expected_host`; `what` names the URL in the error.
pub fn require_host(what: &'static str, url: &str, expected_host: &str) -> Result<(), ApError> {
    let found = host_of(url).ok_or_else(|| ApError::InvalidUrl(url.to_string()))?;
    if found != expected_host {
        return Err(ApError::CrossOrigin { what, expected: expected_host.to_string(), found });
    }
    Ok(())
}

/// Checks that a fetched document's `id` is the URL it was fetched from (after
/// redirects), so a server cannot hand out documents in another host's name.
pub fn require_id_is_fetched_url(id: &str, fetched_url: &str) -> Result<(), ApError> {
    if id == fetched_url {
        return Ok(());
    }
    Err(ApError::CrossOrigin { what: "fetched document id", expected: fetched_url.to_string(), found: id.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host_of("https://Example.org/a").as_deref(), Some("example.org"));
        assert_eq!(host_of("https://example.org:443/a").as_deref(), Some("example.org"));
        assert_eq!(host_of("http://127.0.0.1:9000/a").as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(host_of("acct:a@b"), None);
        assert_eq!(host_of("not a url"), None);
        assert!(same_host("https://a.org/x", "https://a.org/y#k"));
        assert!(!same_host("https://a.org/x", "https://b.org/x"));
        assert!(!same_host("http://127.0.0.1:1/x", "http://127.0.0.1:2/x"));
        assert!(require_host("object", "https://b.org/x", "a.org").is_err());
        assert!(require_id_is_fetched_url("https://a/x", "https://a/x").is_ok());
        assert!(require_id_is_fetched_url("https://b/x", "https://a/x").is_err());
    }
}
