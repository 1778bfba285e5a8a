//! Uploads: the legacy multipart route and the resumable one, their
//! validation errors (each a JSON 4xx with the node still serving), and a
//! resumable session surviving a node restart.

mod common;

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use common::{multipart, request, start_with, test_config, tiny_y4m, Node, Part, BOUNDARY};

const MAX_UPLOAD: u64 = 256 * 1024;

async fn node() -> Node {
    start_with(|c| c.limits.max_upload_bytes = MAX_UPLOAD).await
}

fn leftover_uploads(node: &Node) -> Vec<String> {
    std::fs::read_dir(node.shoal.uploads_dir())
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("upload-"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn multipart_validation_errors_are_json_4xx() {
    let node = node().await;
    let admin = node.admin_token().await;
    let admin_channel =
        node.get("/api/v1/users/me", Some(&admin)).await.json()["videoChannels"][0]["id"].as_u64().unwrap();
    let (_alice, alice, alice_channel) = node.create_user("alice", 100_000).await;
    let ch = alice_channel.to_string();
    let video = tiny_y4m(2);

    // Authentication.
    node.upload(
        None,
        &[Part::Field("name", "no token"), Part::Field("channelId", &ch), Part::File("videofile", "v.y4m", &video)],
    )
    .await
    .assert_error(401, Some("invalid_token"));
    node.upload(
        Some("bogus"),
        &[Part::Field("name", "bad token"), Part::Field("channelId", &ch), Part::File("videofile", "v.y4m", &video)],
    )
    .await
    .assert_error(401, Some("invalid_token"));

    // Missing or invalid fields.
    let cases: Vec<(Vec<Part<'_>>, &str)> = vec![
        (vec![Part::Field("name", "no file"), Part::Field("channelId", &ch)], "videofile"),
        (vec![Part::Field("channelId", &ch), Part::File("videofile", "v.y4m", &video)], "name"),
        (
            vec![Part::Field("name", "ab"), Part::Field("channelId", &ch), Part::File("videofile", "v.y4m", &video)],
            "name",
        ),
        (vec![Part::Field("name", "no channel"), Part::File("videofile", "v.y4m", &video)], "channelId"),
        (
            vec![
                Part::Field("name", "bad channel"),
                Part::Field("channelId", "abc"),
                Part::File("videofile", "v.y4m", &video),
            ],
            "channelId",
        ),
        (
            vec![
                Part::Field("name", "bad privacy"),
                Part::Field("channelId", &ch),
                Part::Field("privacy", "9"),
                Part::File("videofile", "v.y4m", &video),
            ],
            "privacy",
        ),
        (
            vec![
                Part::Field("name", "empty file"),
                Part::Field("channelId", &ch),
                Part::File("videofile", "v.y4m", b""),
            ],
            "videofile",
        ),
    ];
    for (parts, param) in &cases {
        let json = node.upload(Some(&alice), parts).await.assert_error(400, None);
        assert!(json["detail"].as_str().unwrap().contains(param), "{param}: {json}");
    }

    // Someone else's channel, or no such channel.
    for channel in [admin_channel.to_string(), "999999".to_owned()] {
        node.upload(
            Some(&alice),
            &[
                Part::Field("name", "wrong channel"),
                Part::Field("channelId", &channel),
                Part::File("videofile", "v.y4m", &video),
            ],
        )
        .await
        .assert_error(400, None);
    }

    // Too big for the instance: 413, checked from Content-Length...
    let big = vec![7u8; MAX_UPLOAD as usize + 4096];
    let admin_ch = admin_channel.to_string();
    node.upload(
        Some(&admin),
        &[
            Part::Field("name", "too big"),
            Part::Field("channelId", &admin_ch),
            Part::File("videofile", "big.y4m", &big),
        ],
    )
    .await
    .assert_error(413, None);
    // ...and while streaming when there is no Content-Length.
    let body = multipart(&[
        Part::Field("name", "too big streamed"),
        Part::Field("channelId", &admin_ch),
        Part::File("videofile", "big.y4m", &big),
    ]);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let req = request(Method::POST, "/api/v1/videos/upload", Some(&admin))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    node.send(req).await.assert_error(413, None);

    // Over the user's quota: 413 quota_reached (from Content-Length and while streaming).
    let over = vec![1u8; 150_000];
    node.upload(
        Some(&alice),
        &[Part::Field("name", "over quota"), Part::Field("channelId", &ch), Part::File("videofile", "o.y4m", &over)],
    )
    .await
    .assert_error(413, Some("quota_reached"));
    let body = multipart(&[
        Part::Field("name", "over quota streamed"),
        Part::Field("channelId", &ch),
        Part::File("videofile", "o.y4m", &over),
    ]);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let req = request(Method::POST, "/api/v1/videos/upload", Some(&alice))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    node.send(req).await.assert_error(413, Some("quota_reached"));

    // Not a video: a text file named .mp4 -> 4xx JSON.
    let text = b"this is not a video, just some text that happens to be named like one\n".repeat(20);
    let answer = node
        .upload(
            Some(&alice),
            &[
                Part::Field("name", "text file"),
                Part::Field("channelId", &ch),
                Part::File("videofile", "notes.mp4", &text),
            ],
        )
        .await;
    assert!(answer.status.is_client_error(), "{}", answer.status);
    answer.assert_error(answer.status.as_u16(), None);

    // Malformed multipart.
    let req = request(Method::POST, "/api/v1/videos/upload", Some(&alice))
        .header(header::CONTENT_TYPE, "multipart/form-data")
        .body(Body::from("whatever"))
        .unwrap();
    node.send(req).await.assert_error(400, None);
    let req = request(Method::POST, "/api/v1/videos/upload", Some(&alice))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nunterminated")))
        .unwrap();
    node.send(req).await.assert_error(400, None);
    let req = request(Method::POST, "/api/v1/videos/upload", Some(&alice))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    node.send(req).await.assert_error(400, None);

    assert!(leftover_uploads(&node).is_empty(), "temp files left: {:?}", leftover_uploads(&node));
    node.assert_alive().await;
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn multipart_upload_with_file_first_then_details_list_and_delete() {
    let node = node().await;
    let (_alice, alice, channel) = node.create_user("alice", -1).await;
    let (_bob, bob, _) = node.create_user("bob", -1).await;
    let ch = channel.to_string();
    let video = tiny_y4m(3);
    // File part first, fields after: still accepted.
    let answer = node
        .upload(
            Some(&alice),
            &[
                Part::File("videofile", "tiny.y4m", &video),
                Part::Field("name", "Tiny video"),
                Part::Field("channelId", &ch),
                Part::Field("privacy", "1"),
                Part::Field("description", "a tiny test video"),
                Part::Field("tags[0]", "test"),
                Part::Field("tags[1]", "tiny"),
                Part::Field("nsfw", "false"),
                Part::Field("commentsPolicy", "2"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", String::from_utf8_lossy(&answer.body));
    let uploaded = answer.json();
    let id = uploaded["video"]["id"].as_u64().expect("video.id");
    let uuid = uploaded["video"]["uuid"].as_str().expect("video.uuid").to_owned();
    let short = uploaded["video"]["shortUUID"].as_str().expect("video.shortUUID").to_owned();

    for key in [id.to_string(), uuid.clone(), short.clone()] {
        let details = node.get(&format!("/api/v1/videos/{key}"), None).await;
        assert_eq!(details.status, StatusCode::OK, "{key}");
        let v = details.json();
        assert_eq!(v["id"], id);
        assert_eq!(v["uuid"], uuid.as_str());
        assert_eq!(v["shortUUID"], short.as_str());
        assert_eq!(v["name"], "Tiny video");
        assert_eq!(v["description"], "a tiny test video");
        assert_eq!(v["privacy"]["id"], 1);
        assert_eq!(v["privacy"]["label"], "Public");
        assert!(matches!(v["state"]["id"].as_u64(), Some(1 | 2 | 7)), "{v}");
        assert_eq!(v["isLocal"], true);
        assert_eq!(v["tags"], serde_json::json!(["test", "tiny"]));
        assert_eq!(v["commentsEnabled"], false);
        assert_eq!(v["account"]["name"], "alice");
        assert_eq!(v["channel"]["id"], channel);
        assert!(v["files"].is_array() && v["streamingPlaylists"].is_array());
        assert!(v["embedPath"].as_str().unwrap().contains(&uuid));
    }
    // Lists show the uploader its own videos while they transcode.
    let list = node.get("/api/v1/videos?start=0&count=10&sort=-createdAt", Some(&alice)).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert!(list["total"].as_u64().unwrap() >= 1);
    let listed = list["data"].as_array().unwrap().iter().find(|v| v["id"] == id).expect("own video listed");
    assert_eq!(listed["shortUUID"], short.as_str());
    assert_eq!(listed["account"]["name"], "alice");
    node.get("/api/v1/videos?count=101", None).await.assert_error(400, None);
    node.get("/api/v1/videos?sort=bogus", None).await.assert_error(400, None);
    node.get("/api/v1/videos/999999", None).await.assert_error(404, None);
    node.get("/api/v1/videos/not-an-id!", None).await.assert_error(400, None);

    // Only the owner (or an admin) deletes.
    let del = |token: String| {
        request(Method::DELETE, &format!("/api/v1/videos/{id}"), Some(&token)).body(Body::empty()).unwrap()
    };
    node.send(del(bob.clone())).await.assert_error(403, None);
    let deleted = node.send(del(alice.clone())).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    node.get(&format!("/api/v1/videos/{id}"), None).await.assert_error(404, None);
    node.shoal.shutdown().await;
}

async fn put_chunk(node: &Node, location: &str, token: &str, range: &str, bytes: Vec<u8>) -> common::Answer {
    let req = request(Method::PUT, location, Some(token))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_RANGE, range)
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from(bytes))
        .unwrap();
    node.send(req).await
}

async fn init_resumable(node: &Node, token: &str, size: usize, meta: &serde_json::Value) -> common::Answer {
    let req = request(Method::POST, "/api/v1/videos/upload-resumable", Some(token))
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-upload-content-length", size.to_string())
        .header("x-upload-content-type", "video/x-yuv4mpeg")
        .body(Body::from(meta.to_string()))
        .unwrap();
    node.send(req).await
}

#[tokio::test]
async fn resumable_upload_survives_a_restart() {
    let node = node().await;
    let token = node.admin_token().await;
    let channel = node.get("/api/v1/users/me", Some(&token)).await.json()["videoChannels"][0]["id"].as_u64().unwrap();
    let video = tiny_y4m(3);
    let meta = serde_json::json!({"name": "Resumable video", "channelId": channel, "filename": "r.y4m", "privacy": 1});

    // Errors first.
    let (_, bob, _) = node.create_user("bob", -1).await;
    init_resumable(&node, &token, MAX_UPLOAD as usize + 1, &meta).await.assert_error(413, None);
    init_resumable(&node, &token, video.len(), &serde_json::json!({"channelId": channel}))
        .await
        .assert_error(400, None);
    init_resumable(&node, &bob, video.len(), &meta).await.assert_error(400, None); // not bob's channel
    let req = request(Method::POST, "/api/v1/videos/upload-resumable", Some(&token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(meta.to_string()))
        .unwrap();
    node.send(req).await.assert_error(400, None); // no X-Upload-Content-Length

    let init = init_resumable(&node, &token, video.len(), &meta).await;
    assert_eq!(init.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&init.body));
    let location = init.header("location").expect("Location").to_owned();
    let query = location.split_once('?').expect("query in Location").1.to_owned();
    assert!(query.starts_with("upload_id="));
    let path = format!("/api/v1/videos/upload-resumable?{query}");
    let total = video.len();
    let half = total / 2;

    let first = put_chunk(&node, &path, &token, &format!("bytes 0-{}/{total}", half - 1), video[..half].to_vec()).await;
    assert_eq!(first.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(first.header("range"), Some(format!("bytes=0-{}", half - 1).as_str()));
    // Another user cannot touch the session; a wrong total is refused.
    put_chunk(&node, &path, &bob, &format!("bytes */{total}"), Vec::new()).await.assert_error(403, None);
    put_chunk(&node, &path, &token, &format!("bytes */{}", total + 1), Vec::new()).await.assert_error(400, None);
    put_chunk(
        &node,
        "/api/v1/videos/upload-resumable?upload_id=0123456789abcdef0123456789abcdef",
        &token,
        &format!("bytes */{total}"),
        Vec::new(),
    )
    .await
    .assert_error(404, None);

    // Restart the node: the session and its bytes are still there.
    let Node { dir, shoal, app } = node;
    drop(app);
    shoal.shutdown().await;
    drop(shoal);
    let mut config = test_config(dir.path());
    config.limits.max_upload_bytes = MAX_UPLOAD;
    let shoal = shoal_actors::Shoal::start(config).await.expect("restart");
    let node = Node { app: shoal_web::router(shoal.clone()), dir, shoal };
    let token = node.admin_token().await;

    let status = put_chunk(&node, &path, &token, &format!("bytes */{total}"), Vec::new()).await;
    assert_eq!(status.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(status.header("range"), Some(format!("bytes=0-{}", half - 1).as_str()));

    let last =
        put_chunk(&node, &path, &token, &format!("bytes {half}-{}/{total}", total - 1), video[half..].to_vec()).await;
    assert_eq!(last.status, StatusCode::OK, "{}", String::from_utf8_lossy(&last.body));
    let created = last.json();
    let id = created["video"]["id"].as_u64().expect("video.id");
    assert!(created["video"]["uuid"].is_string() && created["video"]["shortUUID"].is_string());
    // A repeated final PUT answers the same video; then the client ends the session.
    let again = put_chunk(&node, &path, &token, &format!("bytes */{total}"), Vec::new()).await;
    assert_eq!(again.json()["video"]["id"], id);
    let end = node.send(request(Method::DELETE, &path, Some(&token)).body(Body::empty()).unwrap()).await;
    assert_eq!(end.status, StatusCode::NO_CONTENT);
    node.send(request(Method::DELETE, &path, Some(&token)).body(Body::empty()).unwrap()).await.assert_error(404, None);

    let details = node.get(&format!("/api/v1/videos/{id}"), None).await;
    assert_eq!(details.status, StatusCode::OK);
    assert_eq!(details.json()["name"], "Resumable video");
    node.assert_alive().await;
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn resumable_upload_can_be_cancelled() {
    let node = node().await;
    let token = node.admin_token().await;
    let channel = node.get("/api/v1/users/me", Some(&token)).await.json()["videoChannels"][0]["id"].as_u64().unwrap();
    let meta = serde_json::json!({"name": "Cancelled video", "channelId": channel, "filename": "c.y4m"});
    let init = init_resumable(&node, &token, 1000, &meta).await;
    assert_eq!(init.status, StatusCode::CREATED);
    let query = init.header("location").unwrap().split_once('?').unwrap().1.to_owned();
    let path = format!("/api/v1/videos/upload-resumable?{query}");
    let part = put_chunk(&node, &path, &token, "bytes 0-99/1000", vec![0u8; 100]).await;
    assert_eq!(part.status, StatusCode::PERMANENT_REDIRECT);
    // A chunk longer than its Content-Range is refused.
    put_chunk(&node, &path, &token, "bytes 100-109/1000", vec![0u8; 50]).await.assert_error(400, None);
    let cancel = node.send(request(Method::DELETE, &path, Some(&token)).body(Body::empty()).unwrap()).await;
    assert_eq!(cancel.status, StatusCode::NO_CONTENT);
    let leftovers: Vec<_> = std::fs::read_dir(node.shoal.uploads_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("resumable-"))
        .collect();
    assert!(leftovers.is_empty());
    put_chunk(&node, &path, &token, "bytes */1000", Vec::new()).await.assert_error(404, None);
    node.shoal.shutdown().await;
}
