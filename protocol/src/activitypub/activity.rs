//! The activity envelope: parsing what arrives in an inbox (Follow, Accept, Reject,
//! Undo, Create, Update, Delete, Announce, Like, Dislike, View, and PeerTube 8's
//! ApproveReply and RejectReply, as PeerTube and Mastodon send them) with the checks that
//! need no fetching, and building what Shoal sends.

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
    /// PeerTube 8: the owner of a video approves a reply to it (`object` is the reply,
    /// `inReplyTo` what it answers).
    ApproveReply,
    /// PeerTube 8's refusal of a reply (defined by PeerTube, not sent by 8.0 yet).
    RejectReply,
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
            ActivityKind::ApproveReply => "ApproveReply",
            ActivityKind::RejectReply => "RejectReply",
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
            "ApproveReply" => ActivityKind::ApproveReply,
            "RejectReply" => ActivityKind::RejectReply,
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
    /// `inReplyTo` of an `ApproveReply`/`RejectReply` (required there, as PeerTube checks).
    pub in_reply_to: Option<String>,
    /// A `View` with `expires` is PeerTube's report of current viewers ("viewer protocol
    /// v2"), not a view.
    pub expires: Option<String>,
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
        let in_reply_to = doc.get("inReplyTo").and_then(id_of).map(str::to_string);
        if matches!(kind, ActivityKind::ApproveReply | ActivityKind::RejectReply) {
            // PeerTube's isApproveReplyActivityValid: object and inReplyTo are URLs.
            if !matches!(object, ObjectRef::Id(_)) {
                return Err(ApError::Malformed {
                    what: WHAT,
                    reason: "the object of a reply approval is a URL".into(),
                });
            }
            let parent = in_reply_to.as_deref().ok_or(ApError::Missing { what: WHAT, field: "inReplyTo" })?;
            if host_of(parent).is_none() {
                return Err(ApError::InvalidUrl(parent.to_string()));
            }
        }
        Ok(Activity {
            id: id.to_string(),
            kind,
            actor: actor.to_string(),
            actor_host,
            to: ids_of(doc.get("to")),
            cc: ids_of(doc.get("cc")),
            object,
            view_count,
            in_reply_to,
            expires: str_field(&doc, "expires").map(str::to_string),
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

/// PeerTube 8's `ApproveReply` (or `RejectReply`) of comment `reply`, which answers
/// `in_reply_to` (the video, or the comment it replies to). Addressed by delivery only, as
/// PeerTube sends it.
pub fn reply_approval(kind: ActivityKind, id: &str, owner: &str, reply: &str, in_reply_to: &str) -> Value {
    context::with_context(json!({
        "type": kind.as_str(),
        "id": id,
        "actor": owner,
        "inReplyTo": in_reply_to,
        "object": reply,
    }))
}

/// A `View` of a video: one view, as PeerTube sends and counts it, or (`count` > 1) a
/// coalesced count in Shoal's `viewCount`.
pub fn view(id: &str, actor: &str, video: &str, count: u64, to: &[String]) -> Value {
    let mut doc = build(ActivityKind::View, id, actor, json!(video), to, &[]);
    if let (Value::Object(map), true) = (&mut doc, count > 1) {
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
    fn peertube_approve_reply() {
        let body = br#"{"type":"ApproveReply","id":"http://pt.example/videos/watch/9c9de5e8/comments/7/approve-reply","actor":"http://pt.example/accounts/root","inReplyTo":"http://pt.example/videos/watch/9c9de5e8","object":"https://shoal.example/videos/watch/1f/comments/3"}"#;
        let a = Activity::parse(body).unwrap();
        assert_eq!(a.kind, ActivityKind::ApproveReply);
        assert_eq!(a.in_reply_to.as_deref(), Some("http://pt.example/videos/watch/9c9de5e8"));
        assert_eq!(a.object.id(), Some("https://shoal.example/videos/watch/1f/comments/3"));
        // what Shoal sends parses as what PeerTube sends
        let ours = reply_approval(
            ActivityKind::ApproveReply,
            &a.id,
            &a.actor,
            "https://s.example/c/1",
            "https://pt.example/v",
        );
        let back = Activity::from_value(ours).unwrap();
        assert_eq!(
            (back.kind, back.in_reply_to.as_deref()),
            (ActivityKind::ApproveReply, Some("https://pt.example/v"))
        );
        // inReplyTo is required, and the object is a URL, not a document
        assert!(Activity::parse(br#"{"type":"ApproveReply","id":"http://pt.example/a","actor":"http://pt.example/accounts/root","object":"https://s/c/3"}"#).is_err());
        assert!(Activity::parse(br#"{"type":"RejectReply","id":"http://pt.example/a","actor":"http://pt.example/accounts/root","inReplyTo":"http://pt.example/v","object":{"id":"https://s/c/3"}}"#).is_err());
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
