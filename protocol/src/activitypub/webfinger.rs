//! WebFinger (RFC 7033) as Mastodon and PeerTube use it: `acct:name@host` resources,
//! the JRD Shoal answers (`subject`, `aliases`, a `self` link whose `href` is the actor
//! id exactly), the parsed `self` link of another server's answer, and host-meta's XRD.

use super::ApError;
use serde_json::{json, Value};

/// What a `resource` parameter asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `acct:name@host` (or `name@host`): a name on a host.
    Account { name: String, host: String },
    /// An actor URL.
    Url(String),
}

/// Parses a `resource` query value.
pub fn parse_resource(resource: &str) -> Result<Resource, ApError> {
    let resource = resource.trim();
    if resource.starts_with("https://") || resource.starts_with("http://") {
        return Ok(Resource::Url(resource.to_string()));
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    match acct.rsplit_once('@') {
        Some((name, host)) if !name.is_empty() && !host.is_empty() && !name.contains('@') => {
            Ok(Resource::Account { name: name.to_string(), host: host.to_ascii_lowercase() })
        }
        _ => Err(ApError::Malformed {
            what: "webfinger resource",
            reason: format!("{resource:?} is not acct:name@host"),
        }),
    }
}

/// The JRD for a local actor.
pub fn jrd(name: &str, host: &str, actor_id: &str) -> Value {
    json!({
        "subject": format!("acct:{name}@{host}"),
        "aliases": [actor_id],
        "links": [
            { "rel": "self", "type": "application/activity+json", "href": actor_id },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor_id },
        ],
    })
}

/// The actor id in another server's JRD: the `self` link of an ActivityPub type.
pub fn self_link(jrd: &Value) -> Result<String, ApError> {
    jrd.get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|l| {
            l.get("rel").and_then(Value::as_str) == Some("self")
                && l.get("type").and_then(Value::as_str).is_some_and(super::is_activity_media_type)
        })
        .and_then(|l| l.get("href").and_then(Value::as_str))
        .map(str::to_string)
        .ok_or(ApError::Missing { what: "webfinger answer", field: "self link" })
}

/// `/.well-known/host-meta` (XRD) pointing at the WebFinger endpoint.
pub fn host_meta(base_url: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" type=\"application/xrd+xml\" template=\"{base_url}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        assert_eq!(
            parse_resource("acct:bob@Example.org").unwrap(),
            Resource::Account { name: "bob".into(), host: "example.org".into() }
        );
        assert_eq!(
            parse_resource("bob_channel@127.0.0.1:9000").unwrap(),
            Resource::Account { name: "bob_channel".into(), host: "127.0.0.1:9000".into() }
        );
        assert!(matches!(parse_resource("https://a/accounts/b"), Ok(Resource::Url(_))));
        for bad in ["", "acct:", "acct:@h", "acct:b@", "nohost", "a@b@c"] {
            assert!(parse_resource(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn jrd_self_link_round_trip() {
        let doc = jrd("bob", "a.example", "https://a.example/accounts/bob");
        assert_eq!(self_link(&doc).unwrap(), "https://a.example/accounts/bob");
        assert!(self_link(&json!({"links": []})).is_err());
    }
}
