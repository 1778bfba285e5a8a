//! A PeerTube-style REST client, as PeerTube's own clients do it: OAuth
//! password grant (`/oauth-clients/local` then `/users/token`), multipart
//! upload, video reads and polling until a video is published or failed.
//! Requests that tests expect to fail are available raw, with a check of
//! PeerTube's JSON error shape.

use anyhow::{anyhow, bail, Context, Result};
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::StatusCode;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// A client for one node, optionally logged in.
#[derive(Clone)]
pub struct ApiClient {
    base: String,
    http: Client,
    token: Option<String>,
}

/// What `POST /api/v1/videos/upload` answers.
#[derive(Debug, Clone)]
pub struct UploadedVideo {
    pub id: u64,
    pub uuid: String,
    pub short_uuid: String,
}

/// Tokens from `POST /api/v1/users/token`.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

/// Fields of an upload; `None` leaves a field out (for missing-field tests).
#[derive(Debug, Clone)]
pub struct UploadForm<'a> {
    pub file: Option<&'a Path>,
    pub name: Option<&'a str>,
    pub channel_id: Option<String>,
    pub privacy: Option<&'a str>,
    pub description: Option<&'a str>,
}

impl ApiClient {
    pub fn anonymous(base: &str) -> Result<ApiClient> {
        let http = Client::builder().timeout(Duration::from_secs(300)).build().context("building HTTP client")?;
        Ok(ApiClient { base: base.trim_end_matches('/').to_string(), http, token: None })
    }

    /// Logs in with the password grant.
    pub fn login(base: &str, username: &str, password: &str) -> Result<ApiClient> {
        let mut client = ApiClient::anonymous(base)?;
        let tokens = client.password_grant(username, password)?;
        client.token = Some(tokens.access_token);
        Ok(client)
    }

    /// This client with another access token (e.g. a bad or expired one).
    pub fn with_token(&self, token: &str) -> ApiClient {
        ApiClient { token: Some(token.to_string()), ..self.clone() }
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn http(&self) -> &Client {
        &self.http
    }

    fn authed(&self, req: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(token) => req.bearer_auth(token),
            None => req,
        }
    }

    pub fn get(&self, path: &str) -> Result<Response> {
        self.authed(self.http.get(self.url(path))).send().with_context(|| format!("GET {path}"))
    }

    /// POST of a JSON body with the client's token, whatever the answer.
    pub fn post_json(&self, path: &str, body: &Value) -> Result<Response> {
        self.authed(self.http.post(self.url(path))).json(body).send().with_context(|| format!("POST {path}"))
    }

    /// PUT of a JSON body with the client's token, whatever the answer.
    pub fn put_json(&self, path: &str, body: &Value) -> Result<Response> {
        self.authed(self.http.put(self.url(path))).json(body).send().with_context(|| format!("PUT {path}"))
    }

    /// PUT of a multipart/form-data body of text fields (how PeerTube's web client edits a
    /// video), whatever the answer.
    pub fn put_form(&self, path: &str, fields: &[(&str, String)]) -> Result<Response> {
        let (content_type, body) = multipart_body(fields, None);
        self.authed(self.http.put(self.url(path)))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .with_context(|| format!("PUT {path}"))
    }

    /// DELETE with the client's token, whatever the answer.
    pub fn delete(&self, path: &str) -> Result<Response> {
        self.authed(self.http.delete(self.url(path))).send().with_context(|| format!("DELETE {path}"))
    }

    /// GET that must answer 200 with JSON.
    pub fn get_json(&self, path: &str) -> Result<Value> {
        let resp = self.get(path)?;
        json_ok(resp, &format!("GET {path}"))
    }

    /// `GET /api/v1/oauth-clients/local`: `(client_id, client_secret)`.
    pub fn oauth_client(&self) -> Result<(String, String)> {
        let body = self.get_json("/api/v1/oauth-clients/local")?;
        Ok((str_field(&body, "client_id")?, str_field(&body, "client_secret")?))
    }

    /// Raw `POST /api/v1/users/token` with a form, as PeerTube clients send it.
    pub fn token_request(&self, form: &[(&str, &str)]) -> Result<Response> {
        self.http.post(self.url("/api/v1/users/token")).form(form).send().context("POST /api/v1/users/token")
    }

    pub fn password_grant(&self, username: &str, password: &str) -> Result<Tokens> {
        let (id, secret) = self.oauth_client()?;
        let resp = self.token_request(&[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "password"),
            ("response_type", "code"),
            ("username", username),
            ("password", password),
        ])?;
        tokens_from(json_ok(resp, "password grant")?)
    }

    pub fn refresh_grant(&self, refresh_token: &str) -> Result<Tokens> {
        let (id, secret) = self.oauth_client()?;
        let resp = self.token_request(&[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])?;
        tokens_from(json_ok(resp, "refresh grant")?)
    }

    /// `GET /api/v1/users/me`.
    pub fn me(&self) -> Result<Value> {
        self.get_json("/api/v1/users/me")
    }

    /// The id of the logged-in user's first channel (`videoChannels[0].id`).
    pub fn default_channel_id(&self) -> Result<u64> {
        let me = self.me()?;
        me["videoChannels"][0]["id"].as_u64().ok_or_else(|| anyhow!("users/me has no videoChannels[0].id: {me}"))
    }

    /// `POST /api/v1/users` (admin): creates a user with a video quota.
    pub fn create_user(&self, username: &str, password: &str, video_quota: i64) -> Result<Value> {
        let body = serde_json::json!({
            "username": username,
            "password": password,
            "email": format!("{username}@example.test"),
            "role": 2,
            "videoQuota": video_quota,
            "videoQuotaDaily": -1,
        });
        let resp =
            self.authed(self.http.post(self.url("/api/v1/users"))).json(&body).send().context("POST /api/v1/users")?;
        json_ok(resp, "create user")
    }

    /// Raw multipart upload: every field is optional so tests can leave some out.
    ///
    /// The body is built in memory and sent whole: a server may answer an
    /// invalid upload before reading all of it (as it should), and reqwest's
    /// blocking client reports its streamed-body pump failing instead of that
    /// answer, where curl and browsers show the answer. Test files are small.
    pub fn upload_raw(&self, form: &UploadForm<'_>) -> Result<Response> {
        let mut fields: Vec<(&str, String)> = Vec::new();
        if let Some(name) = form.name {
            fields.push(("name", name.to_string()));
        }
        if let Some(channel) = &form.channel_id {
            fields.push(("channelId", channel.clone()));
        }
        if let Some(privacy) = form.privacy {
            fields.push(("privacy", privacy.to_string()));
        }
        if let Some(description) = form.description {
            fields.push(("description", description.to_string()));
        }
        let file = match form.file {
            Some(path) => {
                let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                let filename = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                Some(("videofile", filename, mime_for(path), bytes))
            }
            None => None,
        };
        let (content_type, body) = multipart_body(&fields, file);
        // A refused upload is answered before its body is read, and the server then closes
        // the connection; closing it on our side too keeps the pool from handing the dead
        // connection to the next request (a broken pipe).
        self.authed(self.http.post(self.url("/api/v1/videos/upload")))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(reqwest::header::CONNECTION, "close")
            .body(body)
            .send()
            .context("POST /api/v1/videos/upload")
    }

    /// Uploads `file` as `name` to the user's default channel, public.
    pub fn upload(&self, file: &Path, name: &str) -> Result<UploadedVideo> {
        let channel = self.default_channel_id()?;
        let resp = self.upload_raw(&UploadForm {
            file: Some(file),
            name: Some(name),
            channel_id: Some(channel.to_string()),
            privacy: Some("1"),
            description: Some("uploaded by shoal-tests"),
        })?;
        let body = json_ok(resp, "upload")?;
        let video = &body["video"];
        Ok(UploadedVideo {
            id: video["id"].as_u64().ok_or_else(|| anyhow!("upload answer has no video.id: {body}"))?,
            uuid: str_field(video, "uuid")?,
            short_uuid: str_field(video, "shortUUID")?,
        })
    }

    /// `GET /api/v1/videos/{id}` (id, uuid or shortUUID).
    pub fn video(&self, id: &str) -> Result<Value> {
        self.get_json(&format!("/api/v1/videos/{id}"))
    }

    /// Polls the video until `done` holds, failing after `timeout`.
    pub fn wait_video(
        &self,
        id: &str,
        timeout: Duration,
        what: &str,
        done: impl Fn(&Value) -> Result<bool>,
    ) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        let mut last = Value::Null;
        while Instant::now() < deadline {
            match self.video(id) {
                Ok(video) => {
                    if done(&video)? {
                        return Ok(video);
                    }
                    last = video;
                }
                Err(e) => last = Value::String(format!("{e:#}")),
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("video {id} not {what} within {timeout:?}; last answer: {last:#}")
    }

    /// Waits until the video is published (state 1) with `files` files; fails
    /// at once if it reaches state 7 (transcoding failed).
    pub fn wait_published(&self, id: &str, files: usize, timeout: Duration) -> Result<Value> {
        self.wait_video(id, timeout, &format!("published with {files} files"), |v| {
            let state = v["state"]["id"].as_u64();
            if state == Some(7) {
                bail!("video {id} failed to transcode: {v:#}");
            }
            let n = v["files"].as_array().map_or(0, Vec::len);
            Ok(state == Some(1) && n >= files)
        })
    }
}

fn tokens_from(body: Value) -> Result<Tokens> {
    Ok(Tokens {
        access_token: str_field(&body, "access_token")?,
        refresh_token: str_field(&body, "refresh_token")?,
        expires_in: body["expires_in"].as_u64().ok_or_else(|| anyhow!("no expires_in in {body}"))?,
    })
}

/// Encodes a `multipart/form-data` body (RFC 7578): text fields, then an optional file part.
fn multipart_body(fields: &[(&str, String)], file: Option<(&str, String, &str, Vec<u8>)>) -> (String, Vec<u8>) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let boundary = format!("----shoal-tests-{nanos:x}-boundary");
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    if let Some((name, filename, mime, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {mime}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn mime_for(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mkv") => "video/x-matroska",
        Some("y4m") => "video/x-yuv4mpeg",
        _ => "application/octet-stream",
    }
}

/// A string field of a JSON object.
pub fn str_field(v: &Value, key: &str) -> Result<String> {
    v[key].as_str().map(str::to_string).ok_or_else(|| anyhow!("no string `{key}` in {v}"))
}

/// Reads a 200 JSON answer, or fails with the status and body.
pub fn json_ok(resp: Response, what: &str) -> Result<Value> {
    let status = resp.status();
    let text = resp.text().with_context(|| format!("{what}: reading body"))?;
    if status != StatusCode::OK {
        bail!("{what}: expected 200, got {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("{what}: body is not JSON: {text}"))
}

/// Checks an error answer: the expected 4xx status and PeerTube's JSON error
/// shape (`status` matching, a human-readable `detail`, `error` or `title`).
/// Returns the body for further checks.
pub fn expect_problem(resp: Response, expected: &[u16], what: &str) -> Result<Value> {
    let status = resp.status().as_u16();
    let content_type =
        resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = resp.text().unwrap_or_default();
    if !expected.contains(&status) {
        bail!("{what}: expected status {expected:?}, got {status}: {text}");
    }
    if !content_type.contains("json") {
        bail!("{what}: error answer is not JSON (content-type `{content_type}`): {text}");
    }
    let body: Value = serde_json::from_str(&text).with_context(|| format!("{what}: error body is not JSON: {text}"))?;
    if body["status"].as_u64() != Some(u64::from(status)) {
        bail!("{what}: error JSON `status` should be {status}: {body}");
    }
    let message = ["detail", "error", "title"].iter().filter_map(|k| body[*k].as_str()).find(|s| !s.trim().is_empty());
    if message.is_none() {
        bail!("{what}: error JSON has no human-readable detail/error/title: {body}");
    }
    Ok(body)
}
