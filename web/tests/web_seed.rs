//! The web seed at `/static/web-videos/{file}`: ranges, conditionals, HEAD,
//! CORS, path traversal, and many requests on one keep-alive connection.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{request, start, Node};

const NAME: &str = "0f4c1d2e-web-seed-test-360.mp4";
const LEN: usize = 3 * 1024 * 1024 + 123; // crosses the buffered/streamed thresholds

fn content() -> Vec<u8> {
    (0..LEN).map(|i| (i.wrapping_mul(31) ^ (i >> 9)) as u8).collect()
}

async fn seeded() -> (Node, Vec<u8>) {
    let node = start().await;
    let bytes = content();
    std::fs::write(node.shoal.media_dir().join(NAME), &bytes).expect("writing the test file");
    (node, bytes)
}

async fn get_with(node: &Node, path: &str, method: Method, headers: &[(&str, &str)]) -> common::Answer {
    let mut builder = request(method, path, None);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    node.send(builder.body(Body::empty()).unwrap()).await
}

fn url() -> String {
    format!("/static/web-videos/{NAME}")
}

#[tokio::test]
async fn full_and_single_ranges() {
    let (node, bytes) = seeded().await;
    let full = get_with(&node, &url(), Method::GET, &[]).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.body, bytes);
    assert_eq!(full.header("content-type"), Some("video/mp4"));
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert_eq!(full.header("access-control-allow-origin"), Some("*"));
    assert!(full.header("access-control-expose-headers").is_some_and(|h| h.contains("Content-Range")));
    assert!(full.header("etag").is_some_and(|e| e.starts_with('"')));
    assert!(full.header("last-modified").is_some());

    let cases: &[(&str, usize, usize)] = &[
        ("bytes=0-0", 0, 0),
        ("bytes=10-16393", 10, 16393),       // 16 KiB, read inline
        ("bytes=1000-", 1000, LEN - 1),      // open-ended, streamed
        ("bytes=-500", LEN - 500, LEN - 1),  // suffix
        ("bytes=-99999999", 0, LEN - 1),     // suffix longer than the file
        ("bytes=5-999999999", 5, LEN - 1),   // end clamped
        ("bytes=100-1048675", 100, 1048675), // exactly 1 MiB
        ("bytes=200-1100000", 200, 1100000), // a bit more than 1 MiB
    ];
    for (range, start, end) in cases {
        let a = get_with(&node, &url(), Method::GET, &[("range", range)]).await;
        assert_eq!(a.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(a.header("content-range"), Some(format!("bytes {start}-{end}/{LEN}").as_str()), "{range}");
        assert_eq!(a.header("content-length"), Some((end - start + 1).to_string().as_str()), "{range}");
        assert!(a.body == bytes[*start..=*end], "{range}: body differs");
    }
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn unsatisfiable_malformed_and_multiple_ranges() {
    let (node, bytes) = seeded().await;
    for range in [format!("bytes={LEN}-"), format!("bytes={}-{}", LEN + 10, LEN + 20)] {
        let a = get_with(&node, &url(), Method::GET, &[("range", &range)]).await;
        a.assert_error(416, None);
        assert_eq!(a.header("content-range"), Some(format!("bytes */{LEN}").as_str()));
    }
    // Malformed or foreign-unit ranges are ignored: 200 with the whole file.
    for range in ["bytes=abc", "bytes=5-1", "items=0-5", "bytes=", "bytes=--1", "bytes=1-2-3", "bytes=0-1,abc"] {
        let a = get_with(&node, &url(), Method::GET, &[("range", range)]).await;
        assert_eq!(a.status, StatusCode::OK, "{range:?}");
        assert_eq!(a.body.len(), LEN, "{range:?}");
    }
    // Two ranges: multipart/byteranges with both parts.
    let a = get_with(&node, &url(), Method::GET, &[("range", "bytes=0-9,100-109")]).await;
    assert_eq!(a.status, StatusCode::PARTIAL_CONTENT);
    let content_type = a.header("content-type").unwrap().to_owned();
    let boundary = content_type.strip_prefix("multipart/byteranges; boundary=").expect("multipart type");
    assert_eq!(a.header("content-length"), Some(a.body.len().to_string().as_str()));
    let text = String::from_utf8_lossy(&a.body);
    assert!(text.contains(&format!("Content-Range: bytes 0-9/{LEN}")));
    assert!(text.contains(&format!("Content-Range: bytes 100-109/{LEN}")));
    assert!(text.trim_end().ends_with(&format!("--{boundary}--")));
    let first = a.body.windows(10).position(|w| w == &bytes[0..10]).expect("first part present");
    let second = a.body.windows(10).position(|w| w == &bytes[100..110]).expect("second part present");
    assert!(first < second);
    node.assert_alive().await;
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn head_and_conditionals() {
    let (node, _bytes) = seeded().await;
    let head = get_with(&node, &url(), Method::HEAD, &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some(LEN.to_string().as_str()));
    assert_eq!(head.header("accept-ranges"), Some("bytes"));
    let etag = head.header("etag").unwrap().to_owned();
    let last_modified = head.header("last-modified").unwrap().to_owned();

    // If-Range with the current ETag or date: the range is honoured.
    let a = get_with(&node, &url(), Method::GET, &[("range", "bytes=0-99"), ("if-range", &etag)]).await;
    assert_eq!(a.status, StatusCode::PARTIAL_CONTENT);
    let a = get_with(&node, &url(), Method::GET, &[("range", "bytes=0-99"), ("if-range", &last_modified)]).await;
    assert_eq!(a.status, StatusCode::PARTIAL_CONTENT);
    // A stale validator: the whole file with 200.
    let a = get_with(&node, &url(), Method::GET, &[("range", "bytes=0-99"), ("if-range", "\"other\"")]).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body.len(), LEN);
    let a =
        get_with(&node, &url(), Method::GET, &[("range", "bytes=0-99"), ("if-range", "Mon, 01 Jan 2001 00:00:00 GMT")])
            .await;
    assert_eq!(a.status, StatusCode::OK);

    // If-None-Match / If-Modified-Since: 304 without a body.
    let a = get_with(&node, &url(), Method::GET, &[("if-none-match", &etag)]).await;
    assert_eq!(a.status, StatusCode::NOT_MODIFIED);
    assert!(a.body.is_empty());
    assert_eq!(a.header("etag"), Some(etag.as_str()));
    let a = get_with(&node, &url(), Method::GET, &[("if-none-match", "\"nope\", *")]).await;
    assert_eq!(a.status, StatusCode::NOT_MODIFIED);
    let a = get_with(&node, &url(), Method::GET, &[("if-none-match", "\"nope\"")]).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = get_with(&node, &url(), Method::GET, &[("if-modified-since", &last_modified)]).await;
    assert_eq!(a.status, StatusCode::NOT_MODIFIED);
    let a = get_with(&node, &url(), Method::GET, &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")]).await;
    assert_eq!(a.status, StatusCode::OK);

    // CORS preflight as webtorrent sends it.
    let pre = get_with(
        &node,
        &url(),
        Method::OPTIONS,
        &[
            ("origin", "http://example.org"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "range,cache-control"),
        ],
    )
    .await;
    assert!(pre.status.is_success());
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    let allowed = pre.header("access-control-allow-headers").unwrap().to_ascii_lowercase();
    assert!(allowed.contains("range") && allowed.contains("cache-control"));
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn traversal_and_unknown_files_are_refused() {
    let (node, _bytes) = seeded().await;
    std::fs::write(node.dir.path().join("secret.mp4"), b"secret").unwrap();
    for path in [
        "/static/web-videos/..%2Fsecret.mp4",
        "/static/web-videos/%2E%2E%2Fsecret.mp4",
        "/static/web-videos/..%2F..%2Fetc%2Fpasswd",
        "/static/web-videos/.hidden.mp4",
        "/static/web-videos/a%5Cb.mp4",
        "/static/web-videos/name%00.mp4",
        "/static/web-videos/not-a-video.torrent",
        "/lazy-static/torrents/..%2Fdb%2Fconf.torrent",
    ] {
        let a = get_with(&node, path, Method::GET, &[]).await;
        assert!(matches!(a.status.as_u16(), 400 | 404), "{path}: {}", a.status);
        assert!(a.body != b"secret", "{path} leaked a file");
        a.json();
    }
    for path in ["/static/web-videos/../secret.mp4", "/static/web-videos/sub/dir.mp4"] {
        let a = get_with(&node, path, Method::GET, &[]).await;
        assert!(matches!(a.status.as_u16(), 400 | 404), "{path}: {}", a.status);
        assert!(a.body != b"secret", "{path} leaked a file");
    }
    get_with(&node, "/static/web-videos/missing-360.mp4", Method::GET, &[]).await.assert_error(404, None);
    get_with(&node, "/lazy-static/torrents/missing-360.torrent", Method::GET, &[]).await.assert_error(404, None);
    get_with(&node, "/lazy-static/thumbnails/missing.jpg", Method::GET, &[]).await.assert_error(404, None);
    node.assert_alive().await;
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn torrents_and_thumbnails_are_served() {
    let node = start().await;
    std::fs::write(node.shoal.media_dir().join("abc-360.torrent"), b"d4:infod6:lengthi1eee").unwrap();
    std::fs::write(node.shoal.media_dir().join("abc.jpg"), b"\xff\xd8\xff\xe0jpeg").unwrap();
    let t = get_with(&node, "/lazy-static/torrents/abc-360.torrent", Method::GET, &[]).await;
    assert_eq!(t.status, StatusCode::OK);
    assert_eq!(t.header("content-type"), Some("application/x-bittorrent"));
    assert_eq!(t.body, b"d4:infod6:lengthi1eee");
    let d = get_with(&node, "/download/torrents/abc-360.torrent", Method::GET, &[]).await;
    assert_eq!(d.body, t.body);
    for path in ["/lazy-static/thumbnails/abc.jpg", "/lazy-static/previews/abc.jpg"] {
        let i = get_with(&node, path, Method::GET, &[]).await;
        assert_eq!(i.status, StatusCode::OK, "{path}");
        assert_eq!(i.header("content-type"), Some("image/jpeg"));
    }
    node.shoal.shutdown().await;
}

/// Many sequential range requests on one HTTP/1.1 keep-alive connection.
#[tokio::test]
async fn keep_alive_connection_serves_many_ranges() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (node, bytes) = seeded().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = node.app.clone();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buffer = Vec::new();
    for i in 0..50usize {
        let start = (i * 65_537) % (LEN - 20_000);
        let end = start + 16_383;
        let req = format!("GET {} HTTP/1.1\r\nHost: x\r\nRange: bytes={start}-{end}\r\n\r\n", url());
        conn.write_all(req.as_bytes()).await.unwrap();
        // Read the head, then exactly Content-Length bytes.
        let head_end = loop {
            if let Some(p) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let mut chunk = [0u8; 65536];
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed after {i} requests");
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 206"), "{head}");
        let length: usize =
            head.lines().find_map(|l| l.strip_prefix("content-length:")).map(|v| v.trim().parse().unwrap()).unwrap();
        while buffer.len() < head_end + length {
            let mut chunk = [0u8; 65536];
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            buffer.extend_from_slice(&chunk[..n]);
        }
        assert!(buffer[head_end..head_end + length] == bytes[start..=end], "request {i}");
        buffer.drain(..head_end + length);
    }
    server.abort();
    node.shoal.shutdown().await;
}
