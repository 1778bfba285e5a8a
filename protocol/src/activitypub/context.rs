//! The JSON-LD `@context` of every document Shoal serves: ActivityStreams, the security
//! vocabulary (for `publicKey`), and PeerTube's terms inline, so that PeerTube and
//! Mastodon read our videos and actors as their own. Shoal itself never expands JSON-LD
//! and never fetches a remote `@context`: it reads documents by their compact keys.

use serde_json::{json, Value};
use std::sync::LazyLock;

static CONTEXT: LazyLock<Value> = LazyLock::new(|| {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "RsaSignature2017": "https://w3id.org/security#RsaSignature2017",
            "pt": "https://joinpeertube.org/ns#",
            "sc": "http://schema.org/",
            "Hashtag": "as:Hashtag",
            "uuid": "sc:identifier",
            "category": "sc:category",
            "licence": "sc:license",
            "subtitleLanguage": "sc:subtitleLanguage",
            "sensitive": "as:sensitive",
            "language": "sc:inLanguage",
            "identifier": "sc:identifier",
            "isLiveBroadcast": "sc:isLiveBroadcast",
            "Infohash": "pt:Infohash",
            "originallyPublishedAt": "sc:datePublished",
            "views": { "@type": "sc:Number", "@id": "pt:views" },
            "state": { "@type": "sc:Number", "@id": "pt:state" },
            "size": { "@type": "sc:Number", "@id": "pt:size" },
            "fps": { "@type": "sc:Number", "@id": "pt:fps" },
            "commentsEnabled": { "@type": "sc:Boolean", "@id": "pt:commentsEnabled" },
            "downloadEnabled": { "@type": "sc:Boolean", "@id": "pt:downloadEnabled" },
            "waitTranscoding": { "@type": "sc:Boolean", "@id": "pt:waitTranscoding" },
            "support": { "@type": "sc:Text", "@id": "pt:support" },
            "likes": { "@id": "as:likes", "@type": "@id" },
            "dislikes": { "@id": "as:dislikes", "@type": "@id" },
            "shares": { "@id": "as:shares", "@type": "@id" },
            "comments": { "@id": "as:comments", "@type": "@id" },
            "playlists": { "@id": "pt:playlists", "@type": "@id" },
            "viewCount": { "@type": "sc:Number", "@id": "pt:viewCount" }
        }
    ])
});

/// The `@context` value (an array), shared.
pub fn context() -> &'static Value {
    &CONTEXT
}

/// `document` with `@context` added as its first key.
pub fn with_context(document: Value) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("@context".into(), context().clone());
    if let Value::Object(fields) = document {
        out.extend(fields);
    }
    Value::Object(out)
}
