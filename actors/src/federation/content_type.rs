//! The media types federation accepts: ActivityPub documents
//! (`application/activity+json`, `application/ld+json` with no profile or the
//! ActivityStreams profile) and WebFinger (`application/jrd+json`, `application/json`).

/// The ActivityStreams JSON-LD profile.
const AS_PROFILE: &str = "https://www.w3.org/ns/activitystreams";

/// Splits a `Content-Type` value into its lowercase essence and its parameters.
fn parse(value: &str) -> (String, Vec<(String, String)>) {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
        })
        .collect();
    (essence, params)
}

/// Whether `value` is an ActivityPub document type.
pub fn is_activity_json(value: &str) -> bool {
    let (essence, params) = parse(value);
    match essence.as_str() {
        "application/activity+json" => true,
        "application/ld+json" => {
            params.iter().filter(|(k, _)| k == "profile").all(|(_, v)| v.split_whitespace().any(|p| p == AS_PROFILE))
        }
        _ => false,
    }
}

/// Whether `value` is a WebFinger (JRD) type.
pub fn is_jrd(value: &str) -> bool {
    matches!(parse(value).0.as_str(), "application/jrd+json" | "application/json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn activity_types() {
        assert!(is_activity_json("application/activity+json"));
        assert!(is_activity_json("Application/Activity+JSON; charset=utf-8"));
        assert!(is_activity_json("application/ld+json"));
        assert!(is_activity_json("application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""));
        assert!(!is_activity_json("application/ld+json; profile=\"https://example.com/other\""));
        assert!(!is_activity_json("application/json"));
        assert!(!is_activity_json("text/html"));
        assert!(!is_activity_json(""));
    }

    #[test]
    fn jrd_types() {
        assert!(is_jrd("application/jrd+json; charset=utf-8"));
        assert!(is_jrd("application/json"));
        assert!(!is_jrd("text/html"));
        assert!(!is_jrd("application/activity+json"));
    }

    proptest! {
        #[test]
        fn never_panics_and_html_is_never_accepted(s in ".*") {
            let _ = is_activity_json(&s);
            let _ = is_jrd(&s);
            let html = format!("text/html;{s}");
            prop_assert!(!is_activity_json(&html) && !is_jrd(&html));
        }
    }
}
