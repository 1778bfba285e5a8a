//! Mirrored copies at `/static/redundancy/{file}`: served with the web seed's code (Range,
//! HEAD, CORS) once the copy is recorded, 404 JSON before that (a file on disk without a
//! record, e.g. a transfer not finished) and after the copy is removed.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{request, start, Node};
use shoal_actors::replication::copies::{self, CopyReason, CopyRecord};

const NAME: &str = "7d1e2f3a-mirror-copy-360.mp4";
const LEN: usize = 200_000;

fn content() -> Vec<u8> {
    (0..LEN).map(|i| (i.wrapping_mul(131) ^ (i >> 7)) as u8).collect()
}

fn record() -> CopyRecord {
    CopyRecord {
        info_hash: [0x5a; 20],
        video_uuid: uuid::Uuid::from_u128(0x7d1e2f3a),
        video_url: "https://origin.example/videos/watch/7d1e2f3a".into(),
        origin_host: "origin.example".into(),
        filename: NAME.into(),
        size: LEN as u64,
        created_at: 1_700_000_000,
        reason: CopyReason::Placement,
    }
}

async fn get_with(node: &Node, path: &str, method: Method, headers: &[(&str, &str)]) -> common::Answer {
    let mut builder = request(method, path, None);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    node.send(builder.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn a_recorded_copy_is_served_with_ranges_and_cors_and_nothing_else_is() {
    let node = start().await;
    let bytes = content();
    let media = node.shoal.media_dir();
    std::fs::create_dir_all(copies::redundancy_dir(&media)).unwrap();
    std::fs::write(copies::copy_path(&media, NAME), &bytes).unwrap();
    let url = format!("/static/redundancy/{NAME}");

    // On disk but not recorded (not known complete): 404 in the JSON error shape.
    let a = get_with(&node, &url, Method::GET, &[]).await;
    a.assert_error(404, None);

    node.shoal.copies().put(&record()).unwrap();
    let full = get_with(&node, &url, Method::GET, &[]).await;
    assert_eq!(full.status, StatusCode::OK);
    assert!(full.body == bytes, "full body differs");
    assert_eq!(full.header("content-type"), Some("video/mp4"));
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert_eq!(full.header("access-control-allow-origin"), Some("*"));

    let part = get_with(&node, &url, Method::GET, &[("range", "bytes=1000-65535")]).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.header("content-range"), Some(format!("bytes 1000-65535/{LEN}").as_str()));
    assert!(part.body == bytes[1000..=65535], "range body differs");

    let head = get_with(&node, &url, Method::HEAD, &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("content-length"), Some(LEN.to_string().as_str()));
    assert!(head.body.is_empty());

    let preflight = get_with(&node, &url, Method::OPTIONS, &[("origin", "https://x.example")]).await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert!(preflight.header("access-control-allow-headers").is_some_and(|h| h.contains("Range")));

    // The copy's name is not a local web video, and a local file is not a copy.
    get_with(&node, &format!("/static/web-videos/{NAME}"), Method::GET, &[]).await.assert_error(404, None);
    std::fs::write(media.join("local-only-360.mp4"), b"local").unwrap();
    get_with(&node, "/static/redundancy/local-only-360.mp4", Method::GET, &[]).await.assert_error(404, None);
    // Partial files are never reachable.
    get_with(&node, &format!("/static/redundancy/.part%2F{NAME}"), Method::GET, &[]).await.assert_error(404, None);

    // Removed: 404 again at once.
    node.shoal.copies().remove(&[0x5a; 20]).unwrap();
    get_with(&node, &url, Method::GET, &[]).await.assert_error(404, None);
    node.shoal.shutdown().await;
}
