//! Test harness: a real `Shoal` on a temp dir, its router driven in-process,
//! and helpers to log in, build multipart bodies and read JSON answers.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use shoal_actors::{Shoal, ShoalConfig};
use tower::ServiceExt;

pub const ADMIN: &str = "root";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

pub struct Node {
    pub dir: tempfile::TempDir,
    pub shoal: Shoal,
    pub app: Router,
}

/// A config for a node on `dir`, tuned for tests (small, fast).
pub fn test_config(dir: &std::path::Path) -> ShoalConfig {
    let mut config = ShoalConfig::default();
    config.storage.data_dir = dir.to_path_buf();
    config.instance.public_url = "http://127.0.0.1:9000".into();
    config.admin.password = ADMIN_PASSWORD.into();
    config.transcoding.retry_backoff_ms = 10;
    config
}

pub async fn start() -> Node {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut ShoalConfig)) -> Node {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(dir.path());
    tweak(&mut config);
    let shoal = Shoal::start(config).await.expect("starting Shoal");
    let app = shoal_web::router(shoal.clone());
    Node { dir, shoal, app }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a PeerTube-shaped JSON error with `status` (and `code` when given).
    pub fn assert_error(&self, status: u16, code: Option<&str>) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&self.body));
        let json = self.json();
        assert_eq!(json["status"], status, "{json}");
        assert!(json["detail"].is_string() && json["error"] == json["detail"], "{json}");
        assert!(json["title"].is_string() && json["type"].is_string(), "{json}");
        if let Some(code) = code {
            assert_eq!(json["code"], code, "{json}");
        }
        json
    }
}

impl Node {
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("reading body").to_vec();
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(request(Method::GET, path, token).body(Body::empty()).expect("request")).await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, json: &Value) -> Answer {
        let req = request(Method::POST, path, token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .expect("request");
        self.send(req).await
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        let req = request(Method::POST, path, None)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .expect("request");
        self.send(req).await
    }

    /// `/api/v1/oauth-clients/local` then the password grant; returns the token JSON.
    pub async fn login_json(&self, username: &str, password: &str) -> Answer {
        let client = self.get("/api/v1/oauth-clients/local", None).await.json();
        let id = client["client_id"].as_str().expect("client_id").to_owned();
        let secret = client["client_secret"].as_str().expect("client_secret").to_owned();
        self.post_form(
            "/api/v1/users/token",
            &[
                ("client_id", &id),
                ("client_secret", &secret),
                ("grant_type", "password"),
                ("response_type", "code"),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let answer = self.login_json(username, password).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", String::from_utf8_lossy(&answer.body));
        answer.json()["access_token"].as_str().expect("access_token").to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.login(ADMIN, ADMIN_PASSWORD).await
    }

    /// Creates a user (as admin) and returns (user id, token, default channel id).
    pub async fn create_user(&self, username: &str, quota: i64) -> (u64, String, u64) {
        let admin = self.admin_token().await;
        let body = serde_json::json!({
            "username": username, "password": "user-password-1", "email": format!("{username}@example.org"),
            "role": 2, "videoQuota": quota, "videoQuotaDaily": -1
        });
        let created = self.post_json("/api/v1/users", Some(&admin), &body).await;
        assert_eq!(created.status, StatusCode::OK, "{}", String::from_utf8_lossy(&created.body));
        let id = created.json()["user"]["id"].as_u64().expect("user.id");
        let token = self.login(username, "user-password-1").await;
        let me = self.get("/api/v1/users/me", Some(&token)).await.json();
        let channel = me["videoChannels"][0]["id"].as_u64().expect("channel id");
        (id, token, channel)
    }

    /// The node still answers `/api/v1/ping`.
    pub async fn assert_alive(&self) {
        let ping = self.get("/api/v1/ping", None).await;
        assert_eq!(ping.status, StatusCode::OK);
        assert_eq!(ping.body, b"pong");
    }
}

pub fn request(method: Method, path: &str, token: Option<&str>) -> axum::http::request::Builder {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One multipart part: a text field or a file.
pub enum Part<'a> {
    Field(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

pub const BOUNDARY: &str = "shoal-test-boundary-7d9f";

/// A multipart/form-data body of `parts`.
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Field(name, value) => {
                out.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                out.extend_from_slice(value.as_bytes());
            }
            Part::File(name, filename, bytes) => {
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(bytes);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

impl Node {
    pub async fn upload(&self, token: Option<&str>, parts: &[Part<'_>]) -> Answer {
        let body = multipart(parts);
        let req = request(Method::POST, "/api/v1/videos/upload", token)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }
}

/// A tiny valid Y4M video: `frames` frames of 64x48 4:2:0 at 10 fps.
pub fn tiny_y4m(frames: usize) -> Vec<u8> {
    let (w, h) = (64usize, 48usize);
    let mut out = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for f in 0..frames {
        out.extend_from_slice(b"FRAME\n");
        for i in 0..w * h {
            out.push(((i + f * 7) % 251) as u8);
        }
        out.extend(std::iter::repeat_n(128u8, w * h / 2));
    }
    out
}
