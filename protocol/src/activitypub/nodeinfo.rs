//! NodeInfo (2.0 and 2.1): the `/.well-known/nodeinfo` links document (both versions and
//! the instance actor) and the documents themselves, and [`software`] to read what a
//! remote server's document says it runs.

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

/// The `software` a NodeInfo document reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Software {
    /// `software.name`, lower-cased (NodeInfo requires lower case; not every server obeys).
    pub name: String,
    /// `software.version` as given (empty when missing).
    pub version: String,
}

/// Reads `software.name` and `software.version` of a NodeInfo document (any version);
/// `None` when there is no usable name.
pub fn software(document: &Value) -> Option<Software> {
    let software = document.get("software")?;
    let name = software.get("name")?.as_str()?.trim();
    if name.is_empty() {
        return None;
    }
    let version = software.get("version").and_then(Value::as_str).unwrap_or("").trim();
    Some(Software { name: name.to_ascii_lowercase(), version: version.to_string() })
}

/// The NodeInfo 2.x document a `/.well-known/nodeinfo` links document points to (the
/// newest 2.x schema it lists), if any.
pub fn document_href(links: &Value) -> Option<&str> {
    const SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.";
    links
        .get("links")?
        .as_array()?
        .iter()
        .filter_map(|link| {
            let minor = link.get("rel")?.as_str()?.strip_prefix(SCHEMA)?;
            Some((minor.parse::<u32>().ok()?, link.get("href")?.as_str()?))
        })
        .max_by_key(|(minor, _)| *minor)
        .map(|(_, href)| href)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_2x_document_is_chosen() {
        let links = json!({"links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "https://pt.example/nodeinfo/2.0.json"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://pt.example/nodeinfo/2.1.json"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/1.0", "href": "https://pt.example/nodeinfo/1.0.json"},
        ]});
        assert_eq!(document_href(&links), Some("https://pt.example/nodeinfo/2.1.json"));
        assert_eq!(document_href(&json!({"links": [{"rel": "x", "href": "y"}]})), None);
        assert_eq!(document_href(&json!([])), None);
    }

    #[test]
    fn software_of_a_peertube_document() {
        let doc = json!({"version": "2.0", "software": {"name": "peertube", "version": "8.0.0"}});
        assert_eq!(software(&doc), Some(Software { name: "peertube".into(), version: "8.0.0".into() }));
        let doc = json!({"software": {"name": "Mastodon"}});
        assert_eq!(software(&doc), Some(Software { name: "mastodon".into(), version: String::new() }));
        assert_eq!(software(&json!({"software": {"name": ""}})), None);
        assert_eq!(software(&json!({"version": "2.1"})), None);
    }

    #[test]
    fn our_own_document_reads_back() {
        let facts = NodeInfoFacts {
            software_version: "0.1.0".into(),
            node_name: "n".into(),
            node_description: "d".into(),
            open_registrations: false,
            total_users: 1,
            local_posts: 0,
            local_comments: 0,
        };
        let doc = document("2.1", &facts);
        assert_eq!(software(&doc), Some(Software { name: "shoal".into(), version: "0.1.0".into() }));
    }
}
