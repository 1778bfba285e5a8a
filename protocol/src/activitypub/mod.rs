//! ActivityPub as PeerTube and Mastodon speak it: the documents Shoal serves (actors,
//! videos, comments, collections), the activities it sends, and the parsing and
//! same-origin checks of what other servers send. Pure: no fetching, no clock.
//!
//! - [`context`]: the JSON-LD `@context` with PeerTube's terms, inline.
//! - [`actor`]: `Application` / `Person` / `Group` documents and remote actors.
//! - [`video`]: PeerTube's `Video` object, built and parsed.
//! - [`note`]: comments as `Note`s.
//! - [`activity`]: the activity envelope, incoming and outgoing.
//! - [`cache_file`]: PeerTube's `CacheFile` (a mirror's copy of a video's file).
//! - [`collection`]: `OrderedCollection` pages (outbox, followers, likes...).
//! - [`webfinger`], [`nodeinfo`]: discovery documents.
//! - [`origin`]: hosts of URLs and the same-origin rules.

pub mod activity;
pub mod actor;
pub mod cache_file;
pub mod collection;
pub mod context;
pub mod nodeinfo;
pub mod note;
pub mod origin;
pub mod video;
pub mod webfinger;

mod json;

pub use activity::{Activity, ActivityKind, ObjectRef};
pub use actor::{ActorKind, LocalActor, RemoteActor};
pub use json::id_of as json_id;
pub use origin::{host_of, same_host};

/// The special collection meaning "everyone".
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The content type Shoal serves ActivityPub documents with.
pub const ACTIVITY_JSON: &str = "application/activity+json";
/// The JSON-LD content type with the ActivityStreams profile, which servers also accept.
pub const LD_JSON_PROFILE: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// Why a document from another server was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApError {
    /// Not JSON, or not the shape an ActivityPub document of this kind has.
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    /// A required field is absent.
    #[error("{what} has no {field}")]
    Missing { what: &'static str, field: &'static str },
    /// The activity type is one Shoal does not handle.
    #[error("unsupported activity type {0:?}")]
    Unsupported(String),
    /// Two URLs that must share a host do not (the object, its actor, its author).
    #[error("{what} is on host {found:?}, expected {expected:?}")]
    CrossOrigin { what: &'static str, expected: String, found: String },
    /// A URL is not an absolute http(s) URL.
    #[error("invalid URL {0:?}")]
    InvalidUrl(String),
}

/// True when a `Content-Type` or `Accept` entry names an ActivityPub document type:
/// `application/activity+json`, or `application/ld+json` (with or without the
/// ActivityStreams profile).
pub fn is_activity_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/activity+json") || essence.eq_ignore_ascii_case("application/ld+json")
}

/// True when an `Accept` header asks for an ActivityPub document rather than HTML:
/// some entry is an ActivityPub type and no `text/html` entry is preferred to it.
pub fn accept_prefers_activity(accept: &str) -> bool {
    let mut best_ap: Option<f32> = None;
    let mut best_html: Option<f32> = None;
    for entry in accept.split(',') {
        let mut parts = entry.split(';');
        let essence = parts.next().unwrap_or("").trim();
        let mut q = 1.0f32;
        for param in parts {
            if let Some(v) = param.trim().strip_prefix("q=") {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        if q <= 0.0 {
            continue;
        }
        if is_activity_media_type(essence) {
            best_ap = Some(best_ap.map_or(q, |b: f32| b.max(q)));
        } else if essence.eq_ignore_ascii_case("text/html") {
            best_html = Some(best_html.map_or(q, |b: f32| b.max(q)));
        }
    }
    match (best_ap, best_html) {
        (Some(ap), Some(html)) => ap > html,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert!(accept_prefers_activity("application/activity+json"));
        assert!(accept_prefers_activity(r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#));
        assert!(accept_prefers_activity("application/activity+json, application/ld+json"));
        assert!(!accept_prefers_activity("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(!accept_prefers_activity("*/*"));
        assert!(!accept_prefers_activity("text/html, application/activity+json;q=0.5"));
        assert!(!accept_prefers_activity("application/activity+json;q=0"));
        assert!(!accept_prefers_activity(""));
    }
}
