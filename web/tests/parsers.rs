//! The web edge's own parsers under arbitrary input: the resumable upload's
//! `Content-Range`, upload form fields, client file names and `Authorization` headers.
//! Each answers a value or a 4xx error, never a panic.

use axum::http::{HeaderValue, Request};
use proptest::prelude::*;
use shoal_web::auth::bearer_token;
use shoal_web::resumable_session::{parse_content_range, ContentRange};
use shoal_web::upload_sink::sanitize_filename;
use shoal_web::video_form::VideoForm;

/// Field names PeerTube clients send, plus some they do not.
fn form_key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec![
            "name", "channelId", "description", "privacy", "category", "licence", "language", "nsfw",
            "commentsEnabled", "commentsPolicy", "downloadEnabled", "waitTranscoding", "filename", "tags",
            "tags[]", "tags[0]", "tags[x]",
        ])
        .prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

/// Values: mostly plausible (numbers, booleans, short text), some hostile.
fn form_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[0-9]{1,3}",
        2 => prop::sample::select(vec!["true", "false", "1", "0", ""]).prop_map(str::to_owned),
        3 => "[a-zA-Z ]{0,40}",
        1 => ".{0,200}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn content_range_never_panics(value in ".{0,40}") {
        if let Some(ContentRange::Chunk { start, end, total }) = parse_content_range(&value) {
            prop_assert!(start <= end && end < total);
        }
    }

    #[test]
    fn content_range_reads_what_clients_write(start in 0u64..u64::MAX / 2, len in 0u64..1 << 40, extra in 1u64..1 << 20) {
        let end = start + len;
        let total = end + extra;
        prop_assert_eq!(
            parse_content_range(&format!("bytes {start}-{end}/{total}")),
            Some(ContentRange::Chunk { start, end, total })
        );
        prop_assert_eq!(parse_content_range(&format!("bytes */{total}")), Some(ContentRange::Query { total }));
        // The end is inclusive, so a range ending at the total is impossible.
        prop_assert_eq!(parse_content_range(&format!("bytes {start}-{total}/{total}")), None);
    }

    #[test]
    fn upload_forms_validate_without_panicking(fields in proptest::collection::vec((form_key(), form_value()), 0..40)) {
        let mut form = VideoForm::default();
        let mut refused = None;
        for (key, value) in fields {
            if let Err(err) = form.set(&key, value) {
                refused = Some(err);
                break;
            }
        }
        match refused.map(Err).unwrap_or_else(|| form.check_present().and_then(|()| form.finish())) {
            Ok(details) => {
                prop_assert!((3..=120).contains(&details.name.chars().count()));
                prop_assert!(details.tags.len() <= 5);
                prop_assert!(details.description.as_ref().is_none_or(|d| d.chars().count() <= 10_000));
            }
            Err(err) => prop_assert!(err.status.is_client_error(), "{}: {}", err.status, err.detail),
        }
    }

    #[test]
    fn client_file_names_become_safe_display_names(name in proptest::option::of(".{0,300}")) {
        let clean = sanitize_filename(name.as_deref());
        prop_assert!(!clean.trim().is_empty());
        prop_assert!(clean.chars().count() <= 200);
        prop_assert!(!clean.contains(['/', '\\']));
        prop_assert!(!clean.chars().any(char::is_control));
    }

    #[test]
    fn authorization_headers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let Ok(value) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
        let (parts, ()) = Request::builder().header("authorization", value).body(()).expect("request").into_parts();
        match bearer_token(&parts) {
            Ok(Some(token)) => prop_assert!(!token.is_empty() && !token.starts_with(' ')),
            Ok(None) => prop_assert!(false, "a present header is never treated as absent"),
            Err(err) => prop_assert_eq!(err.status.as_u16(), 401),
        }
    }
}
