//! Comments, ratings and views through PeerTube's REST routes, in process: shapes,
//! rights and every error case answered as PeerTube-style JSON.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, StatusCode};
use common::{request, start, tiny_y4m, Answer, Node, Part};
use serde_json::{json, Value};
use shoal_actors::social::{AddOutcome, RemoteAuthor};

/// Uploads a tiny video as `token` in `channel`; returns (id, uuid).
async fn upload(node: &Node, token: &str, channel: u64, comments_enabled: bool) -> (u64, String) {
    let video = tiny_y4m(3);
    let channel = channel.to_string();
    let enabled = comments_enabled.to_string();
    let answer = node
        .upload(
            Some(token),
            &[
                Part::Field("name", "social video"),
                Part::Field("channelId", &channel),
                Part::Field("commentsEnabled", &enabled),
                Part::File("videofile", "v.y4m", &video),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", String::from_utf8_lossy(&answer.body));
    let json = answer.json();
    (json["video"]["id"].as_u64().expect("id"), json["video"]["uuid"].as_str().expect("uuid").to_owned())
}

async fn send_json(node: &Node, method: Method, path: &str, token: Option<&str>, body: &Value) -> Answer {
    let req = request(method, path, token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    node.send(req).await
}

async fn delete(node: &Node, path: &str, token: Option<&str>) -> Answer {
    node.send(request(Method::DELETE, path, token).body(Body::empty()).expect("request")).await
}

/// `POST .../views` as if from `ip`.
async fn view_from(node: &Node, path: &str, ip: &str, body: &str) -> Answer {
    let addr = SocketAddr::new(ip.parse().expect("address"), 40000);
    let mut req = request(Method::POST, path, None)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request");
    req.extensions_mut().insert(ConnectInfo(addr));
    node.send(req).await
}

fn assert_comment_shape(comment: &Value) {
    for key in [
        "id",
        "url",
        "text",
        "threadId",
        "inReplyToCommentId",
        "videoId",
        "createdAt",
        "updatedAt",
        "deletedAt",
        "isDeleted",
        "totalRepliesFromVideoAuthor",
        "totalReplies",
        "account",
    ] {
        assert!(comment.get(key).is_some(), "{key} missing in {comment}");
    }
}

#[tokio::test]
async fn comment_threads_replies_and_deletes() {
    let node = start().await;
    let admin = node.admin_token().await;
    let me = node.get("/api/v1/users/me", Some(&admin)).await.json();
    let (id, uuid) = upload(&node, &admin, me["videoChannels"][0]["id"].as_u64().expect("channel"), true).await;
    let (_, alice, _) = node.create_user("alice", -1).await;
    let (_, bob, _) = node.create_user("bob", -1).await;
    let threads = format!("/api/v1/videos/{id}/comment-threads");

    let empty = node.get(&threads, None).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json(), json!({"total": 0, "totalNotDeleted": 0, "data": []}));

    // Errors before anything is stored.
    node.post_json(&threads, None, &json!({"text": "hi"})).await.assert_error(401, Some("invalid_token"));
    node.post_json(&threads, Some("bogus"), &json!({"text": "hi"})).await.assert_error(401, Some("invalid_token"));
    node.post_json(&threads, Some(&alice), &json!({"text": ""})).await.assert_error(400, None);
    node.post_json(&threads, Some(&alice), &json!({})).await.assert_error(400, None);
    node.post_json(&threads, Some(&alice), &json!({"text": "x".repeat(10_001)})).await.assert_error(400, None);
    node.post_json(&threads, Some(&alice), &json!({"text": 5})).await.assert_error(422, None);
    node.post_json("/api/v1/videos/99999/comment-threads", Some(&alice), &json!({"text": "hi"}))
        .await
        .assert_error(404, None);
    node.post_json("/api/v1/videos/not-a-video/comment-threads", Some(&alice), &json!({"text": "hi"}))
        .await
        .assert_error(400, None);
    assert_eq!(node.get(&threads, None).await.json()["total"], 0, "no state change");

    // A thread, a reply by the video's author, a reply to the reply.
    let created = node.post_json(&threads, Some(&alice), &json!({"text": "first!"})).await;
    assert_eq!(created.status, StatusCode::OK, "{}", String::from_utf8_lossy(&created.body));
    let root = created.json()["comment"].clone();
    assert_comment_shape(&root);
    let root_id = root["id"].as_u64().expect("id");
    assert_eq!(root["url"], format!("http://127.0.0.1:9000/videos/watch/{uuid}/comments/{root_id}"));
    assert_eq!((root["threadId"].as_u64(), root["inReplyToCommentId"].is_null()), (Some(root_id), true));
    assert_eq!(root["videoId"], id);
    assert_eq!((root["text"].as_str(), root["isDeleted"].as_bool()), (Some("first!"), Some(false)));
    assert_eq!(root["account"]["name"], "alice");
    assert_eq!(root["account"]["host"], "127.0.0.1:9000");
    assert_eq!(root["account"]["url"], "http://127.0.0.1:9000/accounts/alice");

    let reply_path = format!("/api/v1/videos/{uuid}/comments/{root_id}");
    let reply = node.post_json(&reply_path, Some(&admin), &json!({"text": "thanks"})).await.json()["comment"].clone();
    let reply_id = reply["id"].as_u64().expect("id");
    assert_eq!((reply["threadId"].as_u64(), reply["inReplyToCommentId"].as_u64()), (Some(root_id), Some(root_id)));
    let deeper_path = format!("/api/v1/videos/{id}/comments/{reply_id}");
    let deeper = node.post_json(&deeper_path, Some(&bob), &json!({"text": "+1"})).await.json()["comment"].clone();
    node.post_json(&format!("/api/v1/videos/{id}/comments/99999"), Some(&bob), &json!({"text": "?"}))
        .await
        .assert_error(404, None);
    node.post_json(&format!("/api/v1/videos/{id}/comments/x"), Some(&bob), &json!({"text": "?"}))
        .await
        .assert_error(400, None);
    let second = node.post_json(&threads, Some(&bob), &json!({"text": "second"})).await.json()["comment"].clone();

    // The list: newest first by default, with reply counts.
    let list = node.get(&threads, None).await.json();
    assert_eq!((list["total"].as_u64(), list["totalNotDeleted"].as_u64()), (Some(2), Some(2)));
    assert_eq!(list["data"][0]["id"], second["id"]);
    assert_eq!(list["data"][1]["id"], root_id);
    assert_eq!(list["data"][1]["totalReplies"], 2);
    assert_eq!(list["data"][1]["totalRepliesFromVideoAuthor"], 1);
    assert_comment_shape(&list["data"][0]);
    let sorted = node.get(&format!("{threads}?sort=-totalReplies&count=1"), None).await.json();
    assert_eq!((sorted["total"].as_u64(), sorted["data"][0]["id"].as_u64()), (Some(2), Some(root_id)));
    assert_eq!(sorted["data"].as_array().map(Vec::len), Some(1));
    let oldest = node.get(&format!("{threads}?sort=createdAt&start=1"), None).await.json();
    assert_eq!(oldest["data"][0]["id"], second["id"]);
    node.get(&format!("{threads}?sort=likes"), None).await.assert_error(400, None);
    node.get(&format!("{threads}?count=1000"), None).await.assert_error(400, None);
    node.get(&format!("{threads}?start=-1"), None).await.assert_error(400, None);

    // The tree.
    let tree = node.get(&format!("{threads}/{root_id}"), None).await;
    assert_eq!(tree.status, StatusCode::OK);
    let tree = tree.json();
    assert_eq!(tree["comment"]["id"], root_id);
    assert_eq!(tree["children"][0]["comment"]["id"], reply_id);
    assert_eq!(tree["children"][0]["children"][0]["comment"]["id"], deeper["id"]);
    assert_eq!(tree["children"][0]["children"][0]["children"], json!([]));
    node.get(&format!("{threads}/99999"), None).await.assert_error(404, None);
    node.get(&format!("{threads}/{reply_id}"), None).await.assert_error(404, None);
    node.get(&format!("{threads}/abc"), None).await.assert_error(400, None);

    // Deletion: not by others, once by the author, then 409; soft, so the tree stays.
    let root_path = format!("/api/v1/videos/{id}/comments/{root_id}");
    delete(&node, &root_path, None).await.assert_error(401, Some("invalid_token"));
    delete(&node, &root_path, Some(&bob)).await.assert_error(403, None);
    assert_eq!(delete(&node, &root_path, Some(&alice)).await.status, StatusCode::NO_CONTENT);
    delete(&node, &root_path, Some(&alice)).await.assert_error(409, None);
    delete(&node, &format!("/api/v1/videos/{id}/comments/99999"), Some(&alice)).await.assert_error(404, None);
    let tree = node.get(&format!("{threads}/{root_id}"), None).await.json();
    assert_eq!((tree["comment"]["isDeleted"].as_bool(), tree["comment"]["text"].as_str()), (Some(true), Some("")));
    assert!(tree["comment"]["deletedAt"].is_string() && tree["comment"]["account"].is_null(), "{tree}");
    assert_eq!(tree["children"][0]["comment"]["id"], reply_id);
    let list = node.get(&threads, None).await.json();
    assert_eq!((list["total"].as_u64(), list["totalNotDeleted"].as_u64()), (Some(2), Some(1)));

    // The video's owner may delete anyone's comment on it.
    let second_path = format!("/api/v1/videos/{id}/comments/{}", second["id"]);
    assert_eq!(delete(&node, &second_path, Some(&admin)).await.status, StatusCode::NO_CONTENT);
    node.assert_alive().await;
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn disabled_comments_and_remote_authors() {
    let node = start().await;
    let admin = node.admin_token().await;
    let channel = node.get("/api/v1/users/me", Some(&admin)).await.json()["videoChannels"][0]["id"].as_u64();
    let channel = channel.expect("channel");
    let (closed, _) = upload(&node, &admin, channel, false).await;
    let json = node
        .post_json(&format!("/api/v1/videos/{closed}/comment-threads"), Some(&admin), &json!({"text": "hi"}))
        .await
        .assert_error(409, None);
    assert!(json["detail"].as_str().is_some_and(|d| d.contains("disabled")), "{json}");

    // A comment delivered by federation shows its remote author.
    let (open, uuid) = upload(&node, &admin, channel, true).await;
    let author = RemoteAuthor {
        actor_url: "https://mastodon.example/users/carol".into(),
        name: "carol".into(),
        host: "mastodon.example".into(),
        display_name: "Carol".into(),
    };
    let outcome = node
        .shoal
        .social()
        .add_remote_comment(
            open,
            "https://mastodon.example/users/carol/statuses/9",
            &format!("http://127.0.0.1:9000/videos/watch/{uuid}"),
            "hello from afar",
            author.clone(),
            None,
        )
        .await
        .expect("remote comment");
    assert!(matches!(outcome, AddOutcome::Added(_)), "{outcome:?}");
    let list = node.get(&format!("/api/v1/videos/{open}/comment-threads"), None).await.json();
    let account = &list["data"][0]["account"];
    assert_eq!(account["name"], "carol");
    assert_eq!(account["host"], "mastodon.example");
    assert_eq!(account["url"], "https://mastodon.example/users/carol");
    assert_eq!(account["displayName"], "Carol");
    assert_eq!(account["id"].as_u64(), Some(author.numeric_id()));
    assert_eq!(list["data"][0]["url"], "https://mastodon.example/users/carol/statuses/9");
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn ratings() {
    let node = start().await;
    let admin = node.admin_token().await;
    let channel = node.get("/api/v1/users/me", Some(&admin)).await.json()["videoChannels"][0]["id"].as_u64();
    let (id, uuid) = upload(&node, &admin, channel.expect("channel"), true).await;
    let (_, alice, _) = node.create_user("alice", -1).await;
    let rate = format!("/api/v1/videos/{id}/rate");
    let mine = format!("/api/v1/users/me/videos/{id}/rating");
    let counts = |v: Value| (v["likes"].as_u64(), v["dislikes"].as_u64());

    assert_eq!(node.get(&mine, Some(&alice)).await.json(), json!({"videoId": id, "rating": "none"}));
    let put = |token: Option<String>, body: Value| {
        let (node, rate) = (&node, rate.clone());
        async move { send_json(node, Method::PUT, &rate, token.as_deref(), &body).await }
    };
    assert_eq!(put(Some(alice.clone()), json!({"rating": "like"})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(put(Some(alice.clone()), json!({"rating": "like"})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(put(Some(admin.clone()), json!({"rating": "like"})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(counts(node.get(&format!("/api/v1/videos/{uuid}"), None).await.json()), (Some(2), Some(0)));
    assert_eq!(node.get(&mine, Some(&alice)).await.json()["rating"], "like");
    put(Some(alice.clone()), json!({"rating": "dislike"})).await;
    assert_eq!(counts(node.get(&format!("/api/v1/videos/{id}"), None).await.json()), (Some(1), Some(1)));
    assert_eq!(node.get(&mine, Some(&alice)).await.json()["rating"], "dislike");
    put(Some(alice.clone()), json!({"rating": "none"})).await;
    assert_eq!(counts(node.get(&format!("/api/v1/videos/{id}"), None).await.json()), (Some(1), Some(0)));

    // Errors, none of which changes a count.
    put(None, json!({"rating": "like"})).await.assert_error(401, Some("invalid_token"));
    put(Some(alice.clone()), json!({"rating": "love"})).await.assert_error(400, None);
    put(Some(alice.clone()), json!({})).await.assert_error(400, None);
    send_json(&node, Method::PUT, "/api/v1/videos/99999/rate", Some(&alice), &json!({"rating": "like"}))
        .await
        .assert_error(404, None);
    node.get(&mine, None).await.assert_error(401, Some("invalid_token"));
    node.get("/api/v1/users/me/videos/99999/rating", Some(&alice)).await.assert_error(404, None);
    assert_eq!(counts(node.get(&format!("/api/v1/videos/{id}"), None).await.json()), (Some(1), Some(0)));
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn views_count_once_per_ip_and_appear_after_a_flush() {
    let node = start().await;
    let admin = node.admin_token().await;
    let channel = node.get("/api/v1/users/me", Some(&admin)).await.json()["videoChannels"][0]["id"].as_u64();
    let (id, uuid) = upload(&node, &admin, channel.expect("channel"), true).await;
    let views = format!("/api/v1/videos/{id}/views");

    assert_eq!(view_from(&node, &views, "192.0.2.1", r#"{"currentTime": 3}"#).await.status, StatusCode::NO_CONTENT);
    assert_eq!(view_from(&node, &views, "192.0.2.1", r#"{"currentTime": 9}"#).await.status, StatusCode::NO_CONTENT);
    let by_uuid = format!("/api/v1/videos/{uuid}/views");
    assert_eq!(view_from(&node, &by_uuid, "192.0.2.2", "").await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        view_from(&node, &views, "2001:db8::1", r#"{"currentTime": 1.5, "viewEvent": "watch"}"#).await.status,
        StatusCode::NO_CONTENT
    );

    // Bad input: answered 4xx, not counted.
    view_from(&node, &views, "192.0.2.9", "not json").await.assert_error(400, None);
    view_from(&node, &views, "192.0.2.9", r#"{"currentTime": -1}"#).await.assert_error(400, None);
    view_from(&node, &views, "192.0.2.9", r#"{"viewEvent": "dance"}"#).await.assert_error(400, None);
    view_from(&node, "/api/v1/videos/99999/views", "192.0.2.9", "").await.assert_error(404, None);

    assert_eq!(node.shoal.social().flush_views().await.expect("flush"), 3);
    assert_eq!(node.get(&format!("/api/v1/videos/{id}"), None).await.json()["views"], 3);
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn buffered_views_are_written_at_shutdown_and_comments_survive_a_restart() {
    let node = start().await;
    let admin = node.admin_token().await;
    let channel = node.get("/api/v1/users/me", Some(&admin)).await.json()["videoChannels"][0]["id"].as_u64();
    let (id, _) = upload(&node, &admin, channel.expect("channel"), true).await;
    let views = format!("/api/v1/videos/{id}/views");
    view_from(&node, &views, "192.0.2.1", "").await;
    view_from(&node, &views, "192.0.2.2", "").await;
    let threads = format!("/api/v1/videos/{id}/comment-threads");
    node.post_json(&threads, Some(&admin), &json!({"text": "kept"})).await;
    node.shoal.shutdown().await;
    let Node { dir, shoal, app } = node;
    drop(app);
    drop(shoal);

    let shoal = shoal_actors::Shoal::start(common::test_config(dir.path())).await.expect("restart");
    let again = Node { app: shoal_web::router(shoal.clone()), shoal, dir };
    assert_eq!(again.get(&format!("/api/v1/videos/{id}"), None).await.json()["views"], 2);
    let list = again.get(&threads, None).await.json();
    assert_eq!((list["total"].as_u64(), list["data"][0]["text"].as_str()), (Some(1), Some("kept")));
    again.shoal.shutdown().await;
}

#[tokio::test]
async fn private_videos_hide_their_comments() {
    let node = start().await;
    let (_, alice, channel) = node.create_user("alice", -1).await;
    let (_, bob, _) = node.create_user("bob", -1).await;
    let video = tiny_y4m(3);
    let channel = channel.to_string();
    let answer = node
        .upload(
            Some(&alice),
            &[
                Part::Field("name", "private one"),
                Part::Field("channelId", &channel),
                Part::Field("privacy", "3"),
                Part::File("videofile", "v.y4m", &video),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", String::from_utf8_lossy(&answer.body));
    let id = answer.json()["video"]["id"].as_u64().expect("id");
    let threads = format!("/api/v1/videos/{id}/comment-threads");
    assert_eq!(node.post_json(&threads, Some(&alice), &json!({"text": "note to self"})).await.status, StatusCode::OK);
    node.get(&threads, None).await.assert_error(401, None);
    node.get(&threads, Some(&bob)).await.assert_error(403, None);
    node.post_json(&threads, Some(&bob), &json!({"text": "hi"})).await.assert_error(403, None);
    send_json(&node, Method::PUT, &format!("/api/v1/videos/{id}/rate"), Some(&bob), &json!({"rating": "like"}))
        .await
        .assert_error(403, None);
    assert_eq!(node.get(&threads, Some(&alice)).await.json()["total"], 1);
    node.shoal.shutdown().await;
}
