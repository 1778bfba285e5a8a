//! Serving a file from the media folder as a web seed: strict file-name
//! validation, `ETag` / `Last-Modified`, conditional requests (`If-None-Match`,
//! `If-Modified-Since`, `If-Range`), byte ranges (206, multipart/byteranges for
//! several, 416 with `Content-Range: bytes */len`, malformed `Range` ignored per
//! RFC 9110), `HEAD`, and CORS headers so browsers' webtorrent can use it.
//!
//! The body always comes from disk with positional reads (`read_at`), never
//! from a whole-file buffer: a small range (≤ [`INLINE_READ_MAX`]) is read
//! in place (a page-cache copy costs less than a thread hop, the same blocking
//! model nginx uses), a medium one (≤ [`BUFFERED_READ_MAX`]) in one blocking-pool
//! read, and anything larger is streamed in [`STREAM_CHUNK`] pieces.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use shoal_protocol::range::{self, ByteRange, RangeOutcome};

use crate::error::ApiError;
use crate::file_cache::OpenFile;
use crate::read_buffers::{ReadBuffer, BUFFER_SIZE};

/// Ranges up to this size are read on the request's own task.
pub const INLINE_READ_MAX: u64 = 64 * 1024;
/// Bodies up to this size are read with one blocking-pool call into a pooled buffer.
pub const BUFFERED_READ_MAX: u64 = BUFFER_SIZE as u64;
/// Piece size of streamed bodies.
pub const STREAM_CHUNK: u64 = 512 * 1024;
/// Longest file name accepted.
const MAX_NAME_LEN: usize = 200;

static ACCEPT_RANGES: HeaderValue = HeaderValue::from_static("bytes");
static ALLOW_ORIGIN: HeaderValue = HeaderValue::from_static("*");
static EXPOSE_HEADERS: HeaderValue =
    HeaderValue::from_static("Content-Range, Content-Length, Accept-Ranges, ETag, Last-Modified");
static CACHE_CONTROL: HeaderValue = HeaderValue::from_static("public, max-age=7200");

/// Whether `name` is a plain file name: 1..=200 of `[A-Za-z0-9._-]`, no `..`,
/// not starting with a dot. Anything else (slashes, encoded separators,
/// traversal) is refused before touching the disk.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && !name.contains("..")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A file about to be served: an open handle (possibly shared through the
/// [`crate::file_cache::FileCache`]) and its content type.
pub struct ServedFile {
    open: Arc<OpenFile>,
    len: u64,
    content_type: &'static str,
}

impl ServedFile {
    pub fn new(open: Arc<OpenFile>, content_type: &'static str) -> ServedFile {
        let len = open.len;
        ServedFile { open, len, content_type }
    }

    /// The answer to a GET or HEAD of this file given the request headers.
    pub async fn respond(self, method: &Method, request: &HeaderMap) -> Response {
        if self.not_modified(request) {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            self.common_headers(response.headers_mut());
            return response;
        }
        let is_head = method == Method::HEAD;
        // Range handling is defined for GET only (RFC 9110 §14.2).
        let outcome = match request.get(header::RANGE).and_then(|v| v.to_str().ok()) {
            Some(value) if !is_head && self.if_range_allows(request) => range::parse_range(value, self.len),
            _ => RangeOutcome::Ignore,
        };
        match outcome {
            RangeOutcome::Ignore => self.full(is_head).await,
            RangeOutcome::Unsatisfiable => self.unsatisfiable(),
            RangeOutcome::Satisfiable(ranges) if ranges.len() == 1 => self.single(ranges[0]).await,
            RangeOutcome::Satisfiable(ranges) => self.multiple(&ranges).await,
        }
    }

    fn common_headers(&self, headers: &mut HeaderMap) {
        headers.insert(header::ACCEPT_RANGES, ACCEPT_RANGES.clone());
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW_ORIGIN.clone());
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE_HEADERS.clone());
        headers.insert(header::CACHE_CONTROL, CACHE_CONTROL.clone());
        if let Some(etag) = &self.open.etag {
            headers.insert(header::ETAG, etag.clone());
        }
        if let Some(last_modified) = &self.open.last_modified {
            headers.insert(header::LAST_MODIFIED, last_modified.clone());
        }
    }

    /// `If-None-Match` (weak comparison, `*`), else `If-Modified-Since`.
    fn not_modified(&self, request: &HeaderMap) -> bool {
        if let Some(value) = request.get(header::IF_NONE_MATCH) {
            let Some(ours) = self.open.etag.as_ref().and_then(|e| e.to_str().ok()) else {
                return false;
            };
            let ours = ours.trim_start_matches("W/");
            return value.to_str().is_ok_and(|list| {
                list.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
            });
        }
        match (request.get(header::IF_MODIFIED_SINCE), self.open.modified_secs) {
            (Some(value), Some(ours)) => value
                .to_str()
                .ok()
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .and_then(|since| since.duration_since(UNIX_EPOCH).ok())
                .is_some_and(|since| ours <= since.as_secs()),
            _ => false,
        }
    }

    /// False when an `If-Range` validator no longer matches: serve the whole file.
    fn if_range_allows(&self, request: &HeaderMap) -> bool {
        match request.get(header::IF_RANGE) {
            None => true,
            Some(value) => value.to_str().is_ok_and(|v| {
                range::if_range_matches(
                    v,
                    self.open.etag.as_ref().and_then(|e| e.to_str().ok()),
                    self.open.modified_secs,
                )
            }),
        }
    }

    async fn full(self, is_head: bool) -> Response {
        let body = if is_head {
            Body::empty()
        } else {
            match body_of(&self.open, vec![Part::File { offset: 0, len: self.len }], self.len).await {
                Ok(body) => body,
                Err(err) => return err.into_response(),
            }
        };
        self.response(body, self.len)
    }

    /// A response carrying `body` (`len` bytes of the file) and the file's headers.
    fn response(&self, body: Body, len: u64) -> Response {
        let mut response = Response::new(body);
        let headers = response.headers_mut();
        self.common_headers(headers);
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        response
    }

    async fn single(self, r: ByteRange) -> Response {
        let body = match body_of(&self.open, vec![Part::File { offset: r.start, len: r.len() }], r.len()).await {
            Ok(body) => body,
            Err(err) => return err.into_response(),
        };
        let mut response = self.response(body, r.len());
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(value) = HeaderValue::from_str(&r.content_range(self.len)) {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
        response
    }

    /// `multipart/byteranges` (RFC 9110 §14.6) for several (already merged) ranges.
    async fn multiple(self, ranges: &[ByteRange]) -> Response {
        let boundary = uuid::Uuid::new_v4().simple().to_string();
        let mut parts = Vec::with_capacity(ranges.len() * 2 + 1);
        let mut total = 0u64;
        for (i, r) in ranges.iter().enumerate() {
            let head = format!(
                "{}--{boundary}\r\nContent-Type: {}\r\nContent-Range: {}\r\n\r\n",
                if i == 0 { "" } else { "\r\n" },
                self.content_type,
                r.content_range(self.len)
            );
            total += head.len() as u64 + r.len();
            parts.push(Part::Bytes(Bytes::from(head)));
            parts.push(Part::File { offset: r.start, len: r.len() });
        }
        let tail = format!("\r\n--{boundary}--\r\n");
        total += tail.len() as u64;
        parts.push(Part::Bytes(Bytes::from(tail)));
        let body = match body_of(&self.open, parts, total).await {
            Ok(body) => body,
            Err(err) => return err.into_response(),
        };
        let mut response = Response::new(body);
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let headers = response.headers_mut();
        self.common_headers(headers);
        if let Ok(value) = HeaderValue::from_str(&format!("multipart/byteranges; boundary={boundary}")) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(total));
        response
    }

    fn unsatisfiable(self) -> Response {
        let mut response = ApiError::new(StatusCode::RANGE_NOT_SATISFIABLE, "Range not satisfiable").into_response();
        let headers = response.headers_mut();
        self.common_headers(headers);
        if let Ok(value) = HeaderValue::from_str(&range::unsatisfied_content_range(self.len)) {
            headers.insert(header::CONTENT_RANGE, value);
        }
        response
    }
}

/// A piece of a response body.
#[derive(Debug, Clone)]
enum Part {
    Bytes(Bytes),
    File { offset: u64, len: u64 },
}

/// The body made of `parts` (`total` bytes), read as the module docs say.
async fn body_of(file: &Arc<OpenFile>, parts: Vec<Part>, total: u64) -> Result<Body, ApiError> {
    if total == 0 {
        return Ok(Body::empty());
    }
    if let [Part::File { offset, len }] = parts.as_slice() {
        if *len <= INLINE_READ_MAX {
            return Ok(Body::from(read_exact_at(&file.file, *offset, *len)?));
        }
    }
    if total <= BUFFERED_READ_MAX {
        let file = Arc::clone(file);
        let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<Bytes> {
            let mut buffer = ReadBuffer::take();
            let space = buffer.space();
            let mut at = 0usize;
            for part in &parts {
                match part {
                    Part::Bytes(b) => {
                        space[at..at + b.len()].copy_from_slice(b);
                        at += b.len();
                    }
                    Part::File { offset, len } => {
                        let len = *len as usize;
                        file.file.read_exact_at(&mut space[at..at + len], *offset)?;
                        at += len;
                    }
                }
            }
            Ok(buffer.freeze(at))
        })
        .await
        .map_err(|err| ApiError::internal("file read task", &err))??;
        return Ok(Body::from(bytes));
    }
    Ok(Body::from_stream(stream_parts(Arc::clone(file), parts)))
}

/// Reads exactly `len` bytes at `offset`; a short read (file truncated under us) is an error.
fn read_exact_at(file: &File, offset: u64, len: u64) -> std::io::Result<Bytes> {
    let mut buf = BytesMut::zeroed(len as usize);
    file.read_exact_at(&mut buf, offset)?;
    Ok(buf.freeze())
}

/// Streams `parts`, reading file parts in [`STREAM_CHUNK`] pieces on the blocking pool.
fn stream_parts(
    file: Arc<OpenFile>,
    parts: Vec<Part>,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let queue: std::collections::VecDeque<Part> = parts.into();
    futures::stream::try_unfold((file, queue), |(file, mut queue)| async move {
        let Some(part) = queue.pop_front() else {
            return Ok(None);
        };
        match part {
            Part::Bytes(bytes) => Ok(Some((bytes, (file, queue)))),
            Part::File { offset, len } => {
                let chunk = len.min(STREAM_CHUNK);
                if len > chunk {
                    queue.push_front(Part::File { offset: offset + chunk, len: len - chunk });
                }
                let reader = Arc::clone(&file);
                let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<Bytes> {
                    let mut buffer = ReadBuffer::take();
                    let len = chunk as usize;
                    reader.file.read_exact_at(&mut buffer.space()[..len], offset)?;
                    Ok(buffer.freeze(len))
                })
                .await
                .map_err(std::io::Error::other)??;
                Ok(Some((bytes, (file, queue))))
            }
        }
    })
}

/// The answer to a CORS preflight (`OPTIONS`) on a web seed: browsers'
/// webtorrent sends `Range` and `Cache-Control` request headers.
pub fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW_ORIGIN.clone());
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, OPTIONS"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Range, Cache-Control, If-Range, If-None-Match, If-Modified-Since, Content-Type"),
    );
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE_HEADERS.clone());
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    response
}

#[cfg(test)]
mod tests {
    use super::is_valid_name;

    #[test]
    fn names_are_validated_strictly() {
        for ok in ["a.mp4", "0b1c-360.mp4", "x_y.torrent", "abc"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "..", "../etc/passwd", "a/b.mp4", "a\\b", ".hidden", "a..b", "a%2fb", "é.mp4", "a b", "a\0b"] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
        assert!(!is_valid_name(&"a".repeat(201)));
    }
}
