//! Actors: the documents Shoal serves for its instance (`Application`), accounts
//! (`Person`) and channels (`Group`), shaped as PeerTube's, and the parsed form of
//! actors fetched from other servers (Mastodon, PeerTube, Shoal).

use super::json::{str_field, type_of};
use super::origin::{host_of, require_host, require_id_is_fetched_url};
use super::{context, ApError};
use serde_json::{json, Value};

/// The three kinds of actor Shoal has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// The instance itself (PeerTube's `peertube` account).
    Application,
    /// A user's account.
    Person,
    /// A video channel.
    Group,
}

impl ActorKind {
    /// The ActivityStreams type name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Application => "Application",
            ActorKind::Person => "Person",
            ActorKind::Group => "Group",
        }
    }
}

/// A local actor, as served at its id.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalActor {
    pub kind: ActorKind,
    /// `{base}/accounts/{name}` or `{base}/video-channels/{name}`.
    pub id: String,
    pub preferred_username: String,
    pub name: String,
    pub summary: Option<String>,
    /// The instance's shared inbox, `{base}/inbox`.
    pub shared_inbox: String,
    /// SPKI PEM of the actor's RSA key.
    pub public_key_pem: String,
    /// RFC 3339.
    pub published: String,
    /// For a channel: the account that owns it.
    pub owner: Option<String>,
}

impl LocalActor {
    /// The key id other servers name in signatures: `{id}#main-key`.
    pub fn key_id(&self) -> String {
        format!("{}#main-key", self.id)
    }

    /// The JSON-LD document, with `@context`.
    pub fn to_json(&self) -> Value {
        let id = &self.id;
        let mut doc = json!({
            "type": self.kind.as_str(),
            "id": id,
            "following": format!("{id}/following"),
            "followers": format!("{id}/followers"),
            "playlists": format!("{id}/playlists"),
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "preferredUsername": self.preferred_username,
            "url": id,
            "name": self.name,
            "endpoints": { "sharedInbox": self.shared_inbox },
            "publicKey": {
                "id": self.key_id(),
                "owner": id,
                "publicKeyPem": self.public_key_pem,
            },
            "published": self.published,
            "summary": self.summary,
            "manuallyApprovesFollowers": false,
            "discoverable": true,
        });
        if let (Some(owner), Value::Object(map)) = (&self.owner, &mut doc) {
            map.insert("attributedTo".into(), json!([{ "type": "Person", "id": owner }]));
        }
        context::with_context(doc)
    }
}

/// An actor of another server, as far as Shoal needs it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RemoteActor {
    pub id: String,
    /// `Person`, `Group`, `Application`, `Service`, `Organization`.
    pub kind: String,
    /// `host[:port]` of `id`.
    pub host: String,
    pub preferred_username: String,
    pub name: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub followers: Option<String>,
    /// The `publicKey.id` (`...#main-key`).
    pub key_id: String,
    pub public_key_pem: String,
    /// The actor's HTML page, when given.
    pub url: Option<String>,
}

const ACTOR_TYPES: [&str; 5] = ["Person", "Group", "Application", "Service", "Organization"];

impl RemoteActor {
    /// Parses an actor document fetched from `fetched_url`: its id must be that URL, its
    /// inboxes and key on its host, and its key owned by it.
    pub fn parse(doc: &Value, fetched_url: &str) -> Result<RemoteActor, ApError> {
        const WHAT: &str = "actor";
        let id = str_field(doc, "id").ok_or(ApError::Missing { what: WHAT, field: "id" })?;
        require_id_is_fetched_url(id, fetched_url)?;
        let host = host_of(id).ok_or_else(|| ApError::InvalidUrl(id.to_string()))?;
        let kind = type_of(doc).ok_or(ApError::Missing { what: WHAT, field: "type" })?;
        if !ACTOR_TYPES.contains(&kind) {
            return Err(ApError::Malformed { what: WHAT, reason: format!("type {kind:?} is not an actor type") });
        }
        let inbox = str_field(doc, "inbox").ok_or(ApError::Missing { what: WHAT, field: "inbox" })?;
        require_host("actor inbox", inbox, &host)?;
        let shared_inbox = doc.get("endpoints").and_then(|e| str_field(e, "sharedInbox"));
        if let Some(shared) = shared_inbox {
            require_host("actor shared inbox", shared, &host)?;
        }
        let key = match doc.get("publicKey") {
            Some(Value::Array(keys)) => keys.first(),
            other => other,
        }
        .ok_or(ApError::Missing { what: WHAT, field: "publicKey" })?;
        let key_id = str_field(key, "id").ok_or(ApError::Missing { what: "publicKey", field: "id" })?;
        let pem =
            str_field(key, "publicKeyPem").ok_or(ApError::Missing { what: "publicKey", field: "publicKeyPem" })?;
        if let Some(owner) = str_field(key, "owner") {
            if owner != id {
                return Err(ApError::CrossOrigin { what: "publicKey owner", expected: id.into(), found: owner.into() });
            }
        }
        require_host("publicKey id", key_id, &host)?;
        let preferred = str_field(doc, "preferredUsername").unwrap_or_default();
        let url = match doc.get("url") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(link)) => str_field(&Value::Object(link.clone()), "href").map(str::to_string),
            _ => None,
        };
        Ok(RemoteActor {
            id: id.to_string(),
            kind: kind.to_string(),
            host,
            preferred_username: preferred.to_string(),
            name: str_field(doc, "name").unwrap_or(preferred).to_string(),
            inbox: inbox.to_string(),
            shared_inbox: shared_inbox.map(str::to_string),
            followers: str_field(doc, "followers").map(str::to_string),
            key_id: key_id.to_string(),
            public_key_pem: pem.to_string(),
            url,
        })
    }

    /// Where to deliver: the shared inbox when the actor offers one, else its own.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox.as_deref().unwrap_or(&self.inbox)
    }

    /// `name@host`, as PeerTube shows remote accounts.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.preferred_username, self.host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mastodon_actor() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": "https://masto.example/users/alice",
            "type": "Person",
            "preferredUsername": "alice",
            "name": "Alice",
            "inbox": "https://masto.example/users/alice/inbox",
            "followers": "https://masto.example/users/alice/followers",
            "endpoints": { "sharedInbox": "https://masto.example/inbox" },
            "publicKey": {
                "id": "https://masto.example/users/alice#main-key",
                "owner": "https://masto.example/users/alice",
                "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n"
            }
        })
    }

    #[test]
    fn parses_a_mastodon_actor() {
        let actor = RemoteActor::parse(&mastodon_actor(), "https://masto.example/users/alice").unwrap();
        assert_eq!(actor.host, "masto.example");
        assert_eq!(actor.delivery_inbox(), "https://masto.example/inbox");
        assert_eq!(actor.handle(), "alice@masto.example");
        assert_eq!(actor.key_id, "https://masto.example/users/alice#main-key");
    }

    #[test]
    fn refuses_foreign_ids_keys_and_inboxes() {
        let doc = mastodon_actor();
        assert!(RemoteActor::parse(&doc, "https://other.example/users/alice").is_err());
        let mut foreign_inbox = doc.clone();
        foreign_inbox["inbox"] = json!("https://evil.example/inbox");
        assert!(RemoteActor::parse(&foreign_inbox, "https://masto.example/users/alice").is_err());
        let mut foreign_owner = doc.clone();
        foreign_owner["publicKey"]["owner"] = json!("https://masto.example/users/bob");
        assert!(RemoteActor::parse(&foreign_owner, "https://masto.example/users/alice").is_err());
        let mut not_actor = doc;
        not_actor["type"] = json!("Note");
        assert!(RemoteActor::parse(&not_actor, "https://masto.example/users/alice").is_err());
    }

    #[test]
    fn local_actor_document() {
        let actor = LocalActor {
            kind: ActorKind::Group,
            id: "https://a.example/video-channels/music".into(),
            preferred_username: "music".into(),
            name: "Music".into(),
            summary: None,
            shared_inbox: "https://a.example/inbox".into(),
            public_key_pem: "PEM".into(),
            published: "2026-01-01T00:00:00Z".into(),
            owner: Some("https://a.example/accounts/root".into()),
        };
        let doc = actor.to_json();
        assert_eq!(doc["type"], "Group");
        assert_eq!(doc["publicKey"]["id"], "https://a.example/video-channels/music#main-key");
        assert_eq!(doc["endpoints"]["sharedInbox"], "https://a.example/inbox");
        assert!(doc["@context"].is_array());
        let parsed = RemoteActor::parse(&doc, &actor.id).unwrap();
        assert_eq!(parsed.preferred_username, "music");
    }
}
