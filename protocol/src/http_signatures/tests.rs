//! Tests of the public signing and verification API: known answers, Mastodon's shape,
//! sign→verify round trips and tampering, over every scheme.

use std::sync::OnceLock;

use http::{HeaderMap, HeaderValue, Method, Uri};
use proptest::prelude::*;

use super::*;

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate().expect("generate"))
}

fn public() -> PublicKey {
    key().public_key().expect("public")
}

const NOW: u64 = 1_764_000_000;
const KEY_ID: &str = "https://a.example/accounts/peertube#main-key";

/// Signs a request and returns what the receiving side sees.
fn signed(scheme: Scheme, method: Method, url: &str, body: Option<&[u8]>) -> (Method, Uri, HeaderMap) {
    let uri: Uri = url.parse().expect("uri");
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/activity+json"));
    sign_request(scheme, &method, &uri, &mut headers, body, KEY_ID, key(), NOW).expect("sign");
    let target: Uri = uri.path_and_query().map_or("/", |pq| pq.as_str()).parse().expect("target");
    (method, target, headers)
}

fn check(
    (method, target, headers): &(Method, Uri, HeaderMap),
    authority: &str,
    body: Option<&[u8]>,
    now: u64,
) -> Result<VerifiedRequest, SignatureError> {
    let request = parse_signed_request(method, target, authority, headers)?;
    assert_eq!(request.key_id(), KEY_ID);
    request.verify(&public(), body, now, &VerifyPolicy::default())
}

const SCHEMES: [Scheme; 3] = [Scheme::Cavage, Scheme::CavageHs2019, Scheme::Rfc9421];

#[test]
fn post_and_get_round_trip_in_every_scheme() {
    for scheme in SCHEMES {
        let body = br#"{"type":"Follow"}"#;
        let post = signed(scheme, Method::POST, "https://b.example/inbox", Some(body));
        let verified = check(&post, "b.example", Some(body), NOW + 5).expect("post verifies");
        assert_eq!(verified, VerifiedRequest { key_id: KEY_ID.into(), scheme });
        let get = signed(scheme, Method::GET, "https://b.example/accounts/x?page=2", None);
        check(&get, "b.example", None, NOW).expect("get verifies");
    }
}

#[test]
fn headers_are_shaped_like_mastodons() {
    let (_, _, headers) = signed(Scheme::Cavage, Method::POST, "https://b.example/inbox", Some(b"{}"));
    assert_eq!(headers["host"], "b.example");
    assert_eq!(headers["date"], http_date(NOW));
    assert_eq!(headers["digest"], digest::digest_header(b"{}"));
    let signature = headers["signature"].to_str().expect("ascii");
    assert!(signature.starts_with(&format!(
        "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\""
    )));
    let (_, _, headers) = signed(Scheme::Rfc9421, Method::POST, "https://b.example/inbox", Some(b"{}"));
    let input = headers["signature-input"].to_str().expect("ascii");
    assert_eq!(
        input,
        format!("sig1=(\"@method\" \"@authority\" \"@path\" \"content-digest\" \"date\");created={NOW};keyid=\"{KEY_ID}\";alg=\"rsa-v1_5-sha256\"")
    );
    assert_eq!(headers["content-digest"], digest::content_digest_header(b"{}"));
}

#[test]
fn rejects_stale_future_and_unsigned() {
    for scheme in SCHEMES {
        let get = signed(scheme, Method::GET, "https://b.example/x", None);
        assert_eq!(
            check(&get, "b.example", None, NOW + 12 * 3600),
            Ok(VerifiedRequest { key_id: KEY_ID.into(), scheme })
        );
        assert_eq!(check(&get, "b.example", None, NOW + 12 * 3600 + 1), Err(SignatureError::StaleDate));
        assert_eq!(check(&get, "b.example", None, NOW - 3600 - 1), Err(SignatureError::StaleDate));
        assert!(check(&get, "b.example", None, NOW - 3600).is_ok());
    }
    let unsigned = (Method::POST, "/inbox".parse().expect("uri"), HeaderMap::new());
    assert_eq!(check(&unsigned, "b.example", None, NOW), Err(SignatureError::Missing));
}

#[test]
fn rejects_wrong_host_key_and_missing_digest() {
    for scheme in SCHEMES {
        let body = b"{}";
        let post = signed(scheme, Method::POST, "https://b.example/inbox", Some(body));
        let mut moved = post.clone();
        moved.2.insert("host", HeaderValue::from_static("c.example"));
        assert_eq!(check(&moved, "c.example", Some(body), NOW), Err(SignatureError::BadSignature));
        let other = PrivateKey::generate().expect("generate").public_key().expect("public");
        let request = parse_signed_request(&post.0, &post.1, "b.example", &post.2).expect("parse");
        assert_eq!(
            request.verify(&other, Some(body), NOW, &VerifyPolicy::default()),
            Err(SignatureError::BadSignature)
        );
        // A GET's signature replayed with a body: nothing covers a digest.
        let get = signed(scheme, Method::POST, "https://b.example/inbox", None);
        assert_eq!(check(&get, "b.example", Some(body), NOW), Err(SignatureError::DigestMissing));
        let mut with_digest = get.clone();
        with_digest.2.insert("digest", HeaderValue::from_str(&digest::digest_header(body)).expect("v"));
        assert_eq!(check(&with_digest, "b.example", Some(body), NOW), Err(SignatureError::NotCovered("digest")));
    }
}

#[test]
fn rejects_signatures_that_do_not_cover_target_host_or_date() {
    let make = |headers_param: &str| {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("b.example"));
        headers.insert("date", HeaderValue::from_str(&http_date(NOW)).expect("date"));
        let names: Vec<String> = headers_param.split(' ').map(String::from).collect();
        let request = request::RequestParts {
            method: &Method::GET,
            scheme: "https",
            authority: "b.example",
            path_and_query: "/x",
            headers: &headers,
        };
        let text = cavage::signing_string(&names, None, None, &request).expect("string");
        let params = cavage::CavageParams {
            key_id: KEY_ID.into(),
            algorithm: Some("rsa-sha256".into()),
            headers: names,
            signature: key().sign_rsa_sha256(text.as_bytes()).expect("sign"),
            created: None,
            expires: None,
        };
        headers.insert("signature", HeaderValue::from_str(&cavage::format_signature_header(&params)).expect("v"));
        (Method::GET, "/x".parse::<Uri>().expect("uri"), headers)
    };
    assert!(check(&make("(request-target) host date"), "b.example", None, NOW).is_ok());
    assert_eq!(
        check(&make("host date"), "b.example", None, NOW),
        Err(SignatureError::NotCovered("the request target (method and path)"))
    );
    assert_eq!(check(&make("(request-target) date"), "b.example", None, NOW), Err(SignatureError::NotCovered("host")));
    assert_eq!(check(&make("(request-target) host"), "b.example", None, NOW), Err(SignatureError::NotCovered("date")));
}

#[test]
fn authorization_header_and_unsupported_algorithms() {
    let (method, target, mut headers) = signed(Scheme::Cavage, Method::GET, "https://b.example/x", None);
    let signature = headers.remove("signature").expect("signature");
    let mut authorization = b"Signature ".to_vec();
    authorization.extend_from_slice(signature.as_bytes());
    headers.insert("authorization", HeaderValue::from_bytes(&authorization).expect("v"));
    let req = (method, target, headers.clone());
    assert!(check(&req, "b.example", None, NOW).is_ok());
    let hmac = signature.to_str().expect("ascii").replace("rsa-sha256", "hmac-sha256");
    headers.insert("signature", HeaderValue::from_str(&hmac).expect("v"));
    assert_eq!(
        parse_signed_request(&req.0, &req.1, "b.example", &headers),
        Err(SignatureError::UnsupportedAlgorithm("hmac-sha256".into()))
    );
}

#[test]
fn verifies_draft_cavage_c2_known_answer() {
    // draft-cavage-http-signatures-12 Appendix C.2, with the draft's 1024-bit test key.
    let public = PublicKey::from_pem_legacy_1024("-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3\n6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6\nZ4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw\noYi+1hqp1fIekaxsyQIDAQAB\n-----END PUBLIC KEY-----\n").expect("test key");
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.com"));
    headers.insert("date", HeaderValue::from_static("Sun, 05 Jan 2014 21:31:40 GMT"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("digest", HeaderValue::from_static("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="));
    headers.insert("authorization", HeaderValue::from_static("Signature keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\", signature=\"qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=\""));
    let uri: Uri = "/foo?param=value&pet=dog".parse().expect("uri");
    let date = 1_388_957_500; // Sun, 05 Jan 2014 21:31:40 GMT
    let request = parse_signed_request(&Method::POST, &uri, "example.com", &headers).expect("parse");
    assert_eq!(request.key_id(), "Test");
    let policy = VerifyPolicy::default();
    assert!(request.verify(&public, None, date, &policy).is_ok());
    // The digest header is present but C.2 does not sign it, so a body is refused.
    assert_eq!(
        request.verify(&public, Some(br#"{"hello": "world"}"#), date, &policy),
        Err(SignatureError::NotCovered("digest"))
    );
    let altered: Uri = "/foo?param=value&pet=cat".parse().expect("uri");
    let request = parse_signed_request(&Method::POST, &altered, "example.com", &headers).expect("parse");
    assert_eq!(request.verify(&public, None, date, &policy), Err(SignatureError::BadSignature));
}

#[test]
fn accepts_a_mastodon_shaped_post() {
    // Mastodon's `Request#sign!`: rsa-sha256 over "(request-target) host date digest content-type",
    // with `Digest: SHA-256=` and an activity+json body, sent to the shared inbox.
    let body = br#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.example/users/alice#follows/1","type":"Follow","actor":"https://mastodon.example/users/alice","object":"https://b.example/video-channels/main"}"#;
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("b.example"));
    headers.insert("date", HeaderValue::from_str(&http_date(NOW)).expect("date"));
    headers.insert("digest", HeaderValue::from_str(&digest::digest_header(body)).expect("digest"));
    headers.insert("content-type", HeaderValue::from_static("application/activity+json"));
    let text = format!(
        "(request-target): post /inbox\nhost: b.example\ndate: {}\ndigest: {}\ncontent-type: application/activity+json",
        http_date(NOW),
        digest::digest_header(body)
    );
    let signature = key().sign_rsa_sha256(text.as_bytes()).expect("sign");
    let value = format!(
        "keyId=\"https://mastodon.example/users/alice#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest content-type\",signature=\"{}\"",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, signature)
    );
    headers.insert("signature", HeaderValue::from_str(&value).expect("sig"));
    let uri: Uri = "/inbox".parse().expect("uri");
    let request = parse_signed_request(&Method::POST, &uri, "b.example", &headers).expect("parse");
    assert_eq!(request.key_id(), "https://mastodon.example/users/alice#main-key");
    let verified = request.verify(&public(), Some(body), NOW + 2, &VerifyPolicy::default()).expect("verify");
    assert_eq!(verified.scheme, Scheme::Cavage);
    let mut tampered = body.to_vec();
    tampered[10] ^= 1;
    assert_eq!(
        request.verify(&public(), Some(&tampered), NOW + 2, &VerifyPolicy::default()),
        Err(SignatureError::DigestMismatch)
    );
}

fn method_strategy() -> impl Strategy<Value = Method> {
    prop_oneof![Just(Method::GET), Just(Method::POST), Just(Method::PUT), Just(Method::DELETE), Just(Method::PATCH)]
}

fn scheme_strategy() -> impl Strategy<Value = Scheme> {
    prop_oneof![Just(Scheme::Cavage), Just(Scheme::CavageHs2019), Just(Scheme::Rfc9421)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sign_then_verify_round_trips(
        scheme in scheme_strategy(),
        method in method_strategy(),
        path in "(/[a-zA-Z0-9._~-]{1,12}){1,4}",
        query in proptest::option::of("[a-z]{1,6}=[a-zA-Z0-9%]{0,10}"),
        body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..512)),
        now in 1_000_000_000u64..4_000_000_000,
        delay in 0u64..3600,
    ) {
        let url = match &query { Some(q) => format!("https://b.example{path}?{q}"), None => format!("https://b.example{path}") };
        let uri: Uri = url.parse().expect("uri");
        let mut headers = HeaderMap::new();
        sign_request(scheme, &method, &uri, &mut headers, body.as_deref(), KEY_ID, key(), now).expect("sign");
        let target: Uri = uri.path_and_query().map_or("/", |pq| pq.as_str()).parse().expect("target");
        let request = parse_signed_request(&method, &target, "b.example", &headers).expect("parse");
        let verified = request.verify(&public(), body.as_deref(), now + delay, &VerifyPolicy::default());
        prop_assert_eq!(verified, Ok(VerifiedRequest { key_id: KEY_ID.into(), scheme }));
    }

    #[test]
    fn any_single_byte_change_fails(
        scheme in scheme_strategy(),
        body in proptest::collection::vec(any::<u8>(), 1..256),
        part in 0usize..4,
        index in any::<prop::sample::Index>(),
        flip in 1u8..=127,
    ) {
        let uri: Uri = "https://b.example/accounts/alice/inbox".parse().expect("uri");
        let mut headers = HeaderMap::new();
        sign_request(scheme, &Method::POST, &uri, &mut headers, Some(&body), KEY_ID, key(), NOW).expect("sign");
        let mut body = body;
        let mut path = b"/accounts/alice/inbox".to_vec();
        let change = |bytes: &mut Vec<u8>| { let i = index.index(bytes.len()); bytes[i] ^= flip; };
        match part {
            0 => change(&mut body),
            1 => change(&mut path),
            2 => {
                let mut date = headers["date"].as_bytes().to_vec();
                change(&mut date);
                headers.insert("date", HeaderValue::from_bytes(&date).unwrap_or(HeaderValue::from_static("x")));
            }
            _ => {
                let name = "signature";
                let text = headers[name].to_str().expect("ascii").to_string();
                // Flip a byte of the decoded signature, then re-encode it in place.
                let (prefix, encoded, suffix) = if scheme == Scheme::Rfc9421 {
                    let (p, rest) = text.split_once(':').expect("colon");
                    let (e, s) = rest.rsplit_once(':').expect("colon");
                    (format!("{p}:"), e.to_string(), format!(":{s}"))
                } else {
                    let (p, rest) = text.split_once("signature=\"").expect("sig");
                    let (e, s) = rest.split_once('"').expect("quote");
                    (format!("{p}signature=\""), e.to_string(), format!("\"{s}"))
                };
                let mut raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded).expect("b64");
                change(&mut raw);
                let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw);
                headers.insert(name, HeaderValue::from_str(&format!("{prefix}{encoded}{suffix}")).expect("v"));
            }
        }
        let target: Uri = match std::str::from_utf8(&path).ok().and_then(|p| p.parse().ok()) {
            Some(uri) => uri,
            None => return Ok(()), // an unparsable path never reaches verification
        };
        let outcome = parse_signed_request(&Method::POST, &target, "b.example", &headers)
            .and_then(|request| request.verify(&public(), Some(&body), NOW, &VerifyPolicy::default()));
        prop_assert!(outcome.is_err(), "part {} accepted", part);
    }

    #[test]
    fn parse_signed_request_never_panics(
        signature in ".{0,200}", input in proptest::option::of(".{0,200}"), authorization in proptest::option::of(".{0,100}"),
    ) {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&signature) { headers.insert("signature", v); }
        if let Some(Ok(v)) = input.map(|i| HeaderValue::from_str(&i)) { headers.insert("signature-input", v); }
        if let Some(Ok(v)) = authorization.map(|a| HeaderValue::from_str(&format!("Signature {a}"))) { headers.insert("authorization", v); }
        let uri: Uri = "/inbox".parse().expect("uri");
        if let Ok(request) = parse_signed_request(&Method::POST, &uri, "b.example", &headers) {
            let _ = request.verify(&public(), Some(b"{}"), NOW, &VerifyPolicy::default());
        }
    }
}
