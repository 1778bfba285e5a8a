//! The activity envelope: parsing what arrives in an inbox (Follow, Accept, Reject,
//! Undo, Create, Update, Delete, Announce, Like, Dislike, View, as PeerTube and Mastodon
//! send them) with the checks that need no fetching, and building what Shoal sends.

use super::json::{id_of, ids_of, str_field, type_of};
use super::origin::{host_of, require_host};
use super::{context, ApError};
use serde_json::{json, Value};

/// The activity types Shoal handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Follow,
    Accept,
    Reject,
    Undo,
    Create,
    Update,
    Delete,
    Announce,
    Like,
    Dislike,
    View,
}

impl ActivityKind {
    /// The ActivityStreams type name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Follow => "Follow",
            ActivityKind::Accept => "Accept",
            ActivityKind::Reject => "Reject",
            ActivityKind::Undo => "Undo",
            ActivityKind::Create => "Create",
            ActivityKind::Update => "Update",
            ActivityKind::Delete => "Delete",
            ActivityKind::Announce => "Announce",
            ActivityKind::Like => "Like",
            ActivityKind::Dislike => "Dislike",
            ActivityKind::View => "View",
        }
    }

    /// The kind a type name names, if Shoal handles it.
    pub fn parse(name: &str) -> Option<ActivityKind> {
        Some(match name {
            "Follow" => ActivityKind::Follow,
            "Accept" => ActivityKind::Accept,
            "Reject" => ActivityKind::Reject,
            "Undo" => ActivityKind::Undo,
            "Create" => ActivityKind::Create,
            "Update" => ActivityKind::Update,
            "Delete" => ActivityKind::Delete,
            "Announce" => ActivityKind::Announce,
            "Like" => ActivityKind::Like,
            "Dislike" => ActivityKind::Dislike,
            "View" => ActivityKind::View,
            _ => return None,
        })
    }
}

/// An activity's `object`: a bare id, or an embedded document.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectRef {
    Id(String),
    Embedded(Value),
}

impl ObjectRef {
    /// The object's id (an embedded object's `id`).
    pub fn id(&self) -> Option<&str> {
        match self {
            ObjectRef::Id(id) => Some(id),
            ObjectRef::Embedded(doc) => str_field(doc, "id"),
        }
    }

    /// The embedded document's `type`, if embedded.
    pub fn embedded_type(&self) -> Option<&str> {
        match self {
            ObjectRef::Id(_) => None,
            ObjectRef::Embedded(doc) => type_of(doc),
        }
    }
}

/// A parsed incoming activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: String,
    pub kind: ActivityKind,
    /// The sending actor's id.
    pub actor: String,
    /// `host[:port]` of the actor.
    pub actor_host: String,
    pub object: ObjectRef,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// Shoal's coalesced view count on a `View` (1 when absent, as PeerTube sends one
    /// View per view).
    pub view_count: u64,
}

impl Activity {
    /// Parses an inbox body. The activity's id must be on its actor's host, and an
    /// embedded object created or updated by it must be too (`Announce` may carry
    /// another host's object: the caller fetches that from its origin).
    pub fn parse(body: &[u8]) -> Result<Activity, ApError> {
        let doc: Value =
            serde_json::from_slice(body).map_err(|e| ApError::Malformed { what: "activity", reason: e.to_string() })?;
        Activity::from_value(doc)
    }

    /// [`Activity::parse`] on an already decoded document (an embedded activity in Undo).
    pub fn from_value(doc: Value) -> Result<Activity, ApError> {
        const WHAT: &str = "activity";
        if !doc.is_object() {
            return Err(ApError::Malformed { what: WHAT, reason: "not a JSON object".into() });
        }
        let type_name = type_of(&doc).ok_or(ApError::Missing { what: WHAT, field: "type" })?;
        let kind = ActivityKind::parse(type_name).ok_or_else(|| ApError::Unsupported(type_name.to_string()))?;
        let actor = doc.get("actor").and_then(id_of).ok_or(ApError::Missing { what: WHAT, field: "actor" })?;
        let actor_host = host_of(actor).ok_or_else(|| ApError::InvalidUrl(actor.to_string()))?;
        let id = str_field(&doc, "id").ok_or(ApError::Missing { what: WHAT, field: "id" })?;
        require_host("activity id", id, &actor_host)?;
        let object = match doc.get("object") {
            Some(Value::String(s)) => ObjectRef::Id(s.clone()),
            Some(obj @ Value::Object(_)) => ObjectRef::Embedded(obj.clone()),
            _ => return Err(ApError::Missing { what: WHAT, field: "object" }),
        };
        let object_id = object.id().ok_or(ApError::Missing { what: "object", field: "id" })?;
        if host_of(object_id).is_none() {
            return Err(ApError::InvalidUrl(object_id.to_string()));
        }
        if matches!(object, ObjectRef::Embedded(_))
            && matches!(kind, ActivityKind::Create | ActivityKind::Update | ActivityKind::Delete)
        {
            require_host("object", object_id, &actor_host)?;
            if let ObjectRef::Embedded(obj) = &object {
                for author in ids_of(obj.get("attributedTo")) {
                    require_host("object attributedTo", &author, &actor_host)?;
                }
            }
        }
        if let (ActivityKind::Delete, ObjectRef::Id(object_id)) = (kind, &object) {
            require_host("deleted object", object_id, &actor_host)?;
        }
        let view_count = doc.get("viewCount").and_then(Value::as_u64).unwrap_or(1).max(1);
        Ok(Activity {
            id: id.to_string(),
            kind,
            actor: actor.to_string(),
            actor_host,
            to: ids_of(doc.get("to")),
            cc: ids_of(doc.get("cc")),
            object,
            view_count,
        })
    }
}

/// An outgoing activity with `@context`.
pub fn build(kind: ActivityKind, id: &str, actor: &str, object: Value, to: &[String], cc: &[String]) -> Value {
    context::with_context(json!({
        "type": kind.as_str(),
        "id": id,
        "actor": actor,
        "object": object,
        "to": to,
        "cc": cc,
    }))
}

/// A `View` of a video carrying a coalesced count of views.
pub fn view(id: &str, actor: &str, video: &str, count: u64, to: &[String]) -> Value {
    let mut doc = build(ActivityKind::View, id, actor, json!(video), to, &[]);
    if let Value::Object(map) = &mut doc {
        map.insert("viewCount".into(), json!(count));
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_follow() {
        let body = br#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://masto.example/2b6c","type":"Follow","actor":"https://masto.example/users/alice","object":"https://a.example/video-channels/music"}"#;
        let a = Activity::parse(body).unwrap();
        assert_eq!(a.kind, ActivityKind::Follow);
        assert_eq!(a.object.id(), Some("https://a.example/video-channels/music"));
        assert_eq!(a.actor_host, "masto.example");
    }

    #[test]
    fn refusals() {
        assert!(Activity::parse(b"not json").is_err());
        assert!(Activity::parse(b"[]").is_err());
        assert!(matches!(
            Activity::parse(br#"{"id":"https://m/1","type":"Move","actor":"https://m/u","object":"https://x/y"}"#),
            Err(ApError::Unsupported(_))
        ));
        // activity id on another host than its actor
        assert!(Activity::parse(br#"{"id":"https://x/1","type":"Like","actor":"https://m/u","object":"https://a/v"}"#)
            .is_err());
        // created object on another host
        assert!(Activity::parse(br#"{"id":"https://m/1","type":"Create","actor":"https://m/u","object":{"id":"https://x/n","type":"Note"}}"#).is_err());
        // created object attributed to another host
        assert!(Activity::parse(br#"{"id":"https://m/1","type":"Create","actor":"https://m/u","object":{"id":"https://m/n","type":"Note","attributedTo":"https://x/u"}}"#).is_err());
        // delete of another host's object
        assert!(Activity::parse(
            br#"{"id":"https://m/1","type":"Delete","actor":"https://m/u","object":"https://x/n"}"#
        )
        .is_err());
        // announce of another host's object is allowed (fetched from its origin)
        assert!(Activity::parse(
            br#"{"id":"https://m/1","type":"Announce","actor":"https://m/u","object":"https://x/v"}"#
        )
        .is_ok());
    }
}
