//! The URLs of this instance's ActivityPub objects, in PeerTube's layout, and the
//! reverse: which local object a URL names.

use shoal_protocol::activitypub::host_of;
use uuid::Uuid;

/// `preferredUsername` of the instance actor, as in PeerTube.
pub const INSTANCE_ACTOR_NAME: &str = "peertube";

/// What a local URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalObject {
    /// `{base}/accounts/peertube`.
    Instance,
    /// `{base}/accounts/{name}`.
    Account(String),
    /// `{base}/video-channels/{name}`.
    Channel(String),
    /// `{base}/videos/watch/{uuid}`.
    Video(Uuid),
    /// `{base}/videos/watch/{uuid}/comments/{id}`.
    Comment(Uuid, u64),
}

/// Builds and reads local URLs from the instance's public URL.
#[derive(Debug, Clone)]
pub struct LocalUrls {
    base: String,
    host: String,
}

impl LocalUrls {
    /// URLs under `public_url` (no trailing slash).
    pub fn new(public_url: &str) -> LocalUrls {
        let base = public_url.trim_end_matches('/').to_string();
        let host = host_of(&base).unwrap_or_default();
        LocalUrls { base, host }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `host[:port]` of this instance.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn instance_actor(&self) -> String {
        self.account(INSTANCE_ACTOR_NAME)
    }

    pub fn account(&self, name: &str) -> String {
        format!("{}/accounts/{name}", self.base)
    }

    pub fn channel(&self, name: &str) -> String {
        format!("{}/video-channels/{name}", self.base)
    }

    pub fn video(&self, uuid: Uuid) -> String {
        format!("{}/videos/watch/{uuid}", self.base)
    }

    pub fn comment(&self, video: Uuid, id: u64) -> String {
        format!("{}/videos/watch/{video}/comments/{id}", self.base)
    }

    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// A fresh activity id under `actor`.
    pub fn new_activity(&self, actor: &str, kind: &str) -> String {
        format!("{actor}/activities/{}/{}", kind.to_ascii_lowercase(), Uuid::new_v4())
    }

    /// The local object `url` names, if any (a fragment such as `#main-key` is ignored).
    pub fn parse(&self, url: &str) -> Option<LocalObject> {
        let path = url.strip_prefix(&self.base)?;
        let path = path.split(['#', '?']).next().unwrap_or_default();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            ["accounts", name] if *name == INSTANCE_ACTOR_NAME => Some(LocalObject::Instance),
            ["accounts", name] if !name.is_empty() => Some(LocalObject::Account(name.to_string())),
            ["video-channels", name] if !name.is_empty() => Some(LocalObject::Channel(name.to_string())),
            ["videos", "watch", uuid] => Uuid::parse_str(uuid).ok().map(LocalObject::Video),
            ["videos", "watch", uuid, "comments", id] => {
                Some(LocalObject::Comment(Uuid::parse_str(uuid).ok()?, id.parse().ok()?))
            }
            _ => None,
        }
    }

    /// The path that keys a local actor's key and followers (`accounts/root`).
    pub fn actor_path(&self, actor_id: &str) -> Option<String> {
        match self.parse(actor_id)? {
            LocalObject::Instance => Some(format!("accounts/{INSTANCE_ACTOR_NAME}")),
            LocalObject::Account(name) => Some(format!("accounts/{name}")),
            LocalObject::Channel(name) => Some(format!("video-channels/{name}")),
            _ => None,
        }
    }

    /// The actor id of an actor path.
    pub fn actor_id(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let urls = LocalUrls::new("http://127.0.0.1:9000/");
        assert_eq!(urls.host(), "127.0.0.1:9000");
        assert_eq!(urls.parse(&urls.instance_actor()), Some(LocalObject::Instance));
        assert_eq!(
            urls.parse("http://127.0.0.1:9000/accounts/root#main-key"),
            Some(LocalObject::Account("root".into()))
        );
        assert_eq!(urls.actor_path(&urls.channel("c")).as_deref(), Some("video-channels/c"));
        let u = Uuid::new_v4();
        assert_eq!(urls.parse(&urls.video(u)), Some(LocalObject::Video(u)));
        assert_eq!(urls.parse(&urls.comment(u, 7)), Some(LocalObject::Comment(u, 7)));
        assert_eq!(urls.parse("http://127.0.0.1:9001/accounts/root"), None);
        assert_eq!(urls.parse("http://127.0.0.1:9000/videos/watch/nope"), None);
    }
}
