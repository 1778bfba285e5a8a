//! HTTP Signatures interop with independent Python implementations: `httpsig` (draft-cavage)
//! and `http-message-signatures` (RFC 9421) verify what Shoal signs, and sign what Shoal
//! verifies. Needs `tests/.venv` (made by `bash scripts/setup.sh`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use serde_json::{json, Value};
use shoal_protocol::http_signatures::{
    parse_signed_request, sign_request, PrivateKey, PublicKey, Scheme, SignatureError, VerifyPolicy,
};

const HOST: &str = "shoal.example";

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("protocol/ has a parent").to_path_buf()
}

/// Runs `tests/scripts/sig_interop.py <mode>` with `job` on stdin and parses its JSON output.
fn run_python(mode: &str, job: &Value) -> Value {
    let root = workspace_root();
    let python = root.join("tests/.venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash scripts/setup.sh` to create the Python venv with httpsig and http-message-signatures",
        python.display()
    );
    let mut child = Command::new(&python)
        .arg(root.join("tests/scripts/sig_interop.py"))
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python");
    child.stdin.take().expect("stdin").write_all(job.to_string().as_bytes()).expect("write job");
    let output = child.wait_with_output().expect("python output");
    assert!(output.status.success(), "sig_interop.py {mode} failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("python printed JSON")
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs()
}

fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Cavage => "cavage",
        Scheme::CavageHs2019 => "cavage-hs2019",
        Scheme::Rfc9421 => "rfc9421",
    }
}

#[test]
fn python_libraries_verify_shoal_signatures() {
    let key = PrivateKey::generate().expect("generate");
    let key_id = format!("https://{HOST}/accounts/peertube#main-key");
    let body = br#"{"type":"Follow","actor":"https://shoal.example/accounts/peertube"}"#;
    let now = now();
    let mut requests = Vec::new();
    for scheme in [Scheme::Cavage, Scheme::CavageHs2019, Scheme::Rfc9421] {
        for (method, url, body) in [
            (Method::POST, "https://remote.example/inbox", Some(&body[..])),
            (Method::GET, "https://remote.example/accounts/alice?page=2", None),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert("accept", HeaderValue::from_static("application/activity+json"));
            let uri: Uri = url.parse().expect("uri");
            sign_request(scheme, &method, &uri, &mut headers, body, &key_id, &key, now).expect("sign");
            let header_list: Vec<[&str; 2]> =
                headers.iter().map(|(name, value)| [name.as_str(), value.to_str().expect("ascii")]).collect();
            requests.push(json!({
                "name": format!("{} {method}", scheme_name(scheme)),
                "scheme": scheme_name(scheme),
                "method": method.as_str(),
                "url": url,
                "headers": header_list,
                "body_b64": body.map(|b| STANDARD.encode(b)),
            }));
        }
    }
    let job = json!({ "public_key_pem": key.public_key_pem(), "key_id": key_id, "requests": requests });
    let results = run_python("verify", &job);
    let results = results.as_array().expect("array");
    assert_eq!(results.len(), 6);
    let failures: Vec<&Value> = results.iter().filter(|r| r["ok"] != json!(true)).collect();
    assert!(failures.is_empty(), "Python rejected Shoal's signatures: {failures:#?}");
}

/// One request as the Python side sent it, as Shoal's inbox would see it.
struct Received {
    name: String,
    method: Method,
    target: Uri,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
}

fn received(request: &Value) -> Received {
    let url: Uri = request["url"].as_str().expect("url").parse().expect("uri");
    let target: Uri = url.path_and_query().expect("path").as_str().parse().expect("target");
    let mut headers = HeaderMap::new();
    for pair in request["headers"].as_array().expect("headers") {
        let name = HeaderName::from_bytes(pair[0].as_str().expect("name").as_bytes()).expect("name");
        let value = HeaderValue::from_str(pair[1].as_str().expect("value")).expect("value");
        headers.append(name, value);
    }
    Received {
        name: request["name"].as_str().expect("name").to_string(),
        method: request["method"].as_str().expect("method").parse().expect("method"),
        target,
        headers,
        body: request["body_b64"].as_str().map(|b| STANDARD.decode(b).expect("base64")),
    }
}

fn verify(request: &Received, key: &PublicKey, now: u64) -> Result<Scheme, SignatureError> {
    let signed = parse_signed_request(&request.method, &request.target, HOST, &request.headers)?;
    let verified = signed.verify(key, request.body.as_deref(), now, &VerifyPolicy::default())?;
    Ok(verified.scheme)
}

#[test]
fn shoal_verifies_python_library_signatures_and_rejects_tampering() {
    let now = now();
    let signed = run_python("sign", &json!({ "now": now, "host": HOST }));
    let key = PublicKey::from_pem(signed["public_key_pem"].as_str().expect("pem")).expect("key");
    let requests: Vec<Received> = signed["requests"].as_array().expect("requests").iter().map(received).collect();
    let expected = [
        ("cavage rsa-sha256 POST", Scheme::Cavage),
        ("cavage rsa-sha256 GET", Scheme::Cavage),
        ("cavage hs2019 POST", Scheme::CavageHs2019),
        ("rfc9421 POST", Scheme::Rfc9421),
        ("rfc9421 GET", Scheme::Rfc9421),
    ];
    assert_eq!(requests.len(), expected.len());
    for (request, (name, scheme)) in requests.iter().zip(expected) {
        assert_eq!(request.name, name);
        assert_eq!(verify(request, &key, now + 1), Ok(scheme), "{name}");
    }
    for request in requests.iter().filter(|r| r.body.is_some()) {
        let mut tampered_body = Received { body: request.body.clone(), ..clone_of(request) };
        if let Some(body) = tampered_body.body.as_mut() {
            body[3] ^= 0x20;
        }
        assert_eq!(
            verify(&tampered_body, &key, now),
            Err(SignatureError::DigestMismatch),
            "{} with an altered body",
            request.name
        );
        let moved = Received { target: "/accounts/bob/inbox".parse().expect("uri"), ..clone_of(request) };
        assert_eq!(verify(&moved, &key, now), Err(SignatureError::BadSignature), "{} moved", request.name);
        assert_eq!(
            verify(request, &key, now + 13 * 3600),
            Err(SignatureError::StaleDate),
            "{} replayed 13 hours later",
            request.name
        );
    }
}

fn clone_of(request: &Received) -> Received {
    Received {
        name: request.name.clone(),
        method: request.method.clone(),
        target: request.target.clone(),
        headers: request.headers.clone(),
        body: request.body.clone(),
    }
}
