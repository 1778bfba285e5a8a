//! NodeInfo (2.0 and 2.1): the `/.well-known/nodeinfo` links document (both versions and
//! the instance actor) and the documents themselves.

use serde_json::{json, Value};

/// What the documents report.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInfoFacts {
    pub software_version: String,
    pub node_name: String,
    pub node_description: String,
    pub open_registrations: bool,
    pub total_users: u64,
    pub local_posts: u64,
    pub local_comments: u64,
}

/// `/.well-known/nodeinfo`.
pub fn links(base_url: &str, instance_actor: &str) -> Value {
    json!({
        "links": [
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base_url}/nodeinfo/2.0.json") },
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{base_url}/nodeinfo/2.1.json") },
            { "rel": "https://www.w3.org/ns/activitystreams#Application", "href": instance_actor },
        ]
    })
}

/// The document of `version` ("2.0" or "2.1").
pub fn document(version: &str, facts: &NodeInfoFacts) -> Value {
    let mut software = json!({ "name": "shoal", "version": facts.software_version });
    if version == "2.1" {
        if let Value::Object(map) = &mut software {
            map.insert("repository".into(), json!("https://github.com/shoal-video/shoal"));
        }
    }
    json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": facts.open_registrations,
        "usage": {
            "users": { "total": facts.total_users, "activeMonth": facts.total_users, "activeHalfyear": facts.total_users },
            "localPosts": facts.local_posts,
            "localComments": facts.local_comments,
        },
        "metadata": { "nodeName": facts.node_name, "nodeDescription": facts.node_description },
    })
}
