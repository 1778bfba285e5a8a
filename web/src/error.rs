//! The one error type of the web edge, answered in PeerTube's error shape:
//! `{"type", "title", "detail", "status", "error", "code"}` (RFC 7807 fields plus
//! PeerTube's legacy `error` copy of `detail` and its machine-readable `code`).
//!
//! Every `AccountError` / `VideoError` variant maps to a status here. Internal
//! failures (store, disk) are logged with their cause and answered with a
//! generic message: clients never see internals.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shoal_actors::{AccountError, SocialError, VideoError};

/// PeerTube's documentation anchor for its error codes.
const ERROR_DOCS: &str = "https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/";

/// An HTTP error answered as PeerTube-shaped JSON.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// PeerTube's `code` (e.g. `invalid_grant`), when PeerTube has one.
    pub code: Option<&'static str>,
    /// Human-readable explanation, safe to show to clients.
    pub detail: String,
    /// Per-field validation failures (PeerTube's `invalid-params`).
    pub invalid_params: Option<serde_json::Value>,
    /// Extra response headers (e.g. `Content-Range` on a 416).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self { status, code: None, detail: detail.into(), invalid_params: None, headers: Vec::new() }
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// A 400 naming one invalid request parameter, like PeerTube's validators.
    pub fn invalid_param(param: &str, msg: impl Into<String>) -> Self {
        let msg = msg.into();
        let mut err = Self::bad_request(format!("Incorrect request parameters: {param}"));
        err.invalid_params = Some(serde_json::json!({
            param: { "msg": msg, "param": param, "location": "body" }
        }));
        err
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 401 `invalid_token`.
    pub fn invalid_token(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail).with_code("invalid_token")
    }

    /// 413 `quota_reached`, as PeerTube answers (peertube-cli recognises it by that status).
    pub fn quota_reached() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "The user video quota is exceeded with this video.")
            .with_code("quota_reached")
    }

    /// 413 for an upload above `limits.max_upload_bytes`.
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The video file is too big: this instance accepts at most {limit} bytes."),
        )
    }

    /// Logs `cause` and answers 500 without revealing it.
    pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(context, %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }
}

/// The JSON body.
#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    detail: &'a str,
    status: u16,
    /// Legacy copy of `detail` (PeerTube keeps it for old clients).
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(rename = "invalid-params", skip_serializing_if = "Option::is_none")]
    invalid_params: Option<&'a serde_json::Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            kind: match self.code {
                Some(code) => format!("{ERROR_DOCS}{code}"),
                None => "about:blank".to_owned(),
            },
            title: self.status.canonical_reason().unwrap_or("Error"),
            detail: &self.detail,
            status: self.status.as_u16(),
            error: &self.detail,
            code: self.code,
            invalid_params: self.invalid_params.as_ref(),
        };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut response =
            (self.status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], json).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::InvalidCredentials => {
                ApiError::bad_request("Invalid grant: user credentials are invalid").with_code("invalid_grant")
            }
            AccountError::InvalidClient => {
                ApiError::bad_request("Invalid client: client is invalid").with_code("invalid_client")
            }
            AccountError::InvalidToken => ApiError::invalid_token("Invalid token: access token is invalid or expired"),
            AccountError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, format!("{what} already exists")),
            AccountError::Invalid { field, reason } => ApiError::invalid_param(field, reason),
            AccountError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            other => ApiError::internal("accounts", &other),
        }
    }
}

impl From<VideoError> for ApiError {
    fn from(err: VideoError) -> Self {
        match err {
            VideoError::NotFound => ApiError::not_found("Video not found"),
            VideoError::Unreadable(reason) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The uploaded file is not a video this instance can read: {reason}"),
            ),
            VideoError::NotLocal => ApiError::forbidden("Cannot manage a video of another server."),
            VideoError::WrongChannel(id) => {
                ApiError::invalid_param("channelId", format!("Unknown video channel {id} for this account."))
            }
            VideoError::QuotaExceeded { .. } => ApiError::quota_reached(),
            VideoError::Invalid { field, reason } => ApiError::invalid_param(field, reason),
            VideoError::Unavailable(what) => {
                tracing::warn!(%what, "video actor unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "The video service is busy; try again shortly.")
            }
            other => ApiError::internal("videos", &other),
        }
    }
}

impl From<SocialError> for ApiError {
    fn from(err: SocialError) -> Self {
        match err {
            SocialError::VideoNotFound => ApiError::not_found("Video not found"),
            SocialError::CommentNotFound => ApiError::not_found("Video comment not found"),
            // PeerTube answers 409 for both.
            SocialError::CommentsDisabled => {
                ApiError::new(StatusCode::CONFLICT, "Video comments are disabled for this video.")
            }
            SocialError::AlreadyDeleted => ApiError::new(StatusCode::CONFLICT, "This comment is already deleted"),
            SocialError::InvalidText(reason) => ApiError::invalid_param("text", reason),
            SocialError::Forbidden(what) => ApiError::forbidden(what),
            SocialError::Account(e) => ApiError::from(e),
            other => ApiError::internal("social", &other),
        }
    }
}

/// Disk errors inside the web edge (upload temp files, static files).
impl From<std::io::Error> for ApiError {
    fn from(err: std::io::Error) -> Self {
        ApiError::internal("io", &err)
    }
}
