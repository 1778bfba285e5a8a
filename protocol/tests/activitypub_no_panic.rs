//! Arbitrary input into every ActivityPub parser: each returns a value or a typed error,
//! never panics; what a parser accepts keeps the same-origin rules.

use proptest::prelude::*;
use serde_json::{json, Value};
use shoal_protocol::activitypub::activity::ActivityKind;
use shoal_protocol::activitypub::actor::RemoteActor;
use shoal_protocol::activitypub::note::{html_to_text, RemoteNote};
use shoal_protocol::activitypub::video::{parse_duration, RemoteVideo};
use shoal_protocol::activitypub::{accept_prefers_activity, host_of, nodeinfo, webfinger, Activity, ObjectRef};

/// JSON values built from ActivityPub-looking pieces: the parsers' deep paths.
fn ap_json() -> impl Strategy<Value = Value> {
    let urls = prop::sample::select(vec![
        "https://a.example/x",
        "https://a.example/accounts/u",
        "https://b.example/y",
        "http://127.0.0.1:9/z",
        "acct:u@a.example",
        "not a url",
        "",
    ]);
    let types = prop::sample::select(vec![
        "Follow",
        "Accept",
        "Undo",
        "Create",
        "Update",
        "Delete",
        "Like",
        "View",
        "Announce",
        "Note",
        "Video",
        "Person",
        "Group",
        "Move",
        "ApproveReply",
        "RejectReply",
        "",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        urls.clone().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    let keys = prop::sample::select(vec![
        "id",
        "type",
        "actor",
        "object",
        "attributedTo",
        "inReplyTo",
        "inbox",
        "publicKey",
        "publicKeyPem",
        "owner",
        "url",
        "href",
        "mediaType",
        "height",
        "to",
        "cc",
        "content",
        "name",
        "duration",
        "endpoints",
        "sharedInbox",
        "commentsPolicy",
        "commentsEnabled",
        "expires",
        "links",
        "rel",
        "software",
        "version",
    ]);
    let tree = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    });
    (tree, types, urls.clone(), urls).prop_map(|(mut doc, kind, id, actor)| {
        if let Value::Object(map) = &mut doc {
            map.insert("type".into(), json!(kind));
            map.entry("id").or_insert(json!(id));
            map.entry("actor").or_insert(json!(actor));
        }
        doc
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Activity::parse(&bytes);
    }

    #[test]
    fn documents_never_panic_and_keep_origins(doc in ap_json()) {
        let body = serde_json::to_vec(&doc).unwrap();
        if let Ok(activity) = Activity::parse(&body) {
            prop_assert_eq!(host_of(&activity.id), Some(activity.actor_host.clone()));
            if let ObjectRef::Embedded(_) = activity.object {
                prop_assert!(activity.object.id().is_some());
            }
            if matches!(activity.kind, ActivityKind::ApproveReply | ActivityKind::RejectReply) {
                // PeerTube's rule: both the reply and what it answers are URLs.
                prop_assert!(matches!(activity.object, ObjectRef::Id(_)));
                prop_assert!(activity.in_reply_to.as_deref().and_then(host_of).is_some());
            }
        }
        let _ = nodeinfo::software(&doc);
        let _ = nodeinfo::document_href(&doc);
        let _ = RemoteActor::parse(&doc, "https://a.example/x");
        if let Ok(video) = RemoteVideo::parse(&doc) {
            prop_assert_eq!(host_of(&video.account), Some(video.host.clone()));
        }
        if let Ok(note) = RemoteNote::parse(&doc) {
            prop_assert_eq!(host_of(&note.attributed_to), host_of(&note.id));
        }
        let _ = webfinger::self_link(&doc);
    }

    #[test]
    fn strings_never_panic(s in ".{0,64}") {
        let _ = parse_duration(&s);
        let _ = html_to_text(&s);
        let _ = accept_prefers_activity(&s);
        let _ = webfinger::parse_resource(&s);
        let _ = host_of(&s);
    }
}
