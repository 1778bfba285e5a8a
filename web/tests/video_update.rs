//! `PUT /api/v1/videos/{id}`: edits by multipart (`tags[]`, as PeerTube's web client
//! sends them) and by JSON are shown by `GET`, absent fields keep their values, and
//! bad fields, missing tokens, other users and unknown videos get PeerTube's JSON
//! errors (400, 401, 403, 404).

mod common;

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use common::{multipart, request, start, tiny_y4m, Answer, Node, Part, BOUNDARY};
use serde_json::{json, Value};

impl Node {
    async fn put_multipart(&self, path: &str, token: Option<&str>, parts: &[Part<'_>]) -> Answer {
        let body = multipart(parts);
        let req = request(Method::PUT, path, token)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    async fn put_json(&self, path: &str, token: Option<&str>, json: &Value) -> Answer {
        let req = request(Method::PUT, path, token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .expect("request");
        self.send(req).await
    }

    /// Uploads a tiny video to `channel`; returns its id.
    async fn upload_video(&self, token: &str, channel: u64, name: &str) -> u64 {
        let ch = channel.to_string();
        let video = tiny_y4m(2);
        let answer = self
            .upload(
                Some(token),
                &[
                    Part::Field("name", name),
                    Part::Field("channelId", &ch),
                    Part::Field("description", "as uploaded"),
                    Part::Field("tags[]", "first"),
                    Part::Field("licence", "1"),
                    Part::File("videofile", "v.y4m", &video),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", String::from_utf8_lossy(&answer.body));
        answer.json()["video"]["id"].as_u64().expect("video.id")
    }

    async fn video(&self, id: u64, token: Option<&str>) -> Value {
        let answer = self.get(&format!("/api/v1/videos/{id}"), token).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", String::from_utf8_lossy(&answer.body));
        answer.json()
    }
}

fn assert_no_content(answer: &Answer) {
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", String::from_utf8_lossy(&answer.body));
    assert!(answer.body.is_empty());
}

#[tokio::test]
async fn multipart_and_json_edits_are_shown_by_get() {
    let node = start().await;
    let (_alice, alice, channel) = node.create_user("alice", -1).await;
    let id = node.upload_video(&alice, channel, "Before the edit").await;
    let path = format!("/api/v1/videos/{id}");

    // Multipart, as PeerTube's web client sends it.
    let answer = node
        .put_multipart(
            &path,
            Some(&alice),
            &[
                Part::Field("name", "Edited by multipart"),
                Part::Field("description", "A new description"),
                Part::Field("tags[]", "alpha"),
                Part::Field("tags[]", "beta"),
                Part::Field("privacy", "2"),
                Part::Field("commentsPolicy", "2"),
                Part::Field("channelId", &channel.to_string()),
                Part::File("thumbnailfile", "t.jpg", b"\xff\xd8\xff ignored"),
            ],
        )
        .await;
    assert_no_content(&answer);
    let v = node.video(id, None).await;
    assert_eq!(v["name"], "Edited by multipart");
    assert_eq!(v["description"], "A new description");
    assert_eq!(v["tags"], json!(["alpha", "beta"]));
    assert_eq!(v["privacy"]["id"], 2);
    assert_eq!(v["commentsPolicy"]["id"], 2);
    assert_eq!(v["commentsEnabled"], false);
    // Absent fields keep their values.
    assert_eq!(v["licence"]["id"], 1);
    assert_eq!(v["channel"]["id"], channel);

    // JSON, as API clients send it: privacy and tags replaced, comments back on.
    let answer = node
        .put_json(
            &path,
            Some(&alice),
            &json!({"name": "Edited by JSON", "description": "From a JSON body", "tags": ["gamma"],
                    "privacy": 3, "commentsPolicy": 1, "nsfw": true, "downloadEnabled": false}),
        )
        .await;
    assert_no_content(&answer);
    // Private now: the owner sees it, anonymous visitors do not.
    node.get(&path, None).await.assert_error(401, None);
    let v = node.video(id, Some(&alice)).await;
    assert_eq!(v["name"], "Edited by JSON");
    assert_eq!(v["description"], "From a JSON body");
    assert_eq!(v["tags"], json!(["gamma"]));
    assert_eq!(v["privacy"]["id"], 3);
    assert_eq!(v["commentsPolicy"]["id"], 1);
    assert_eq!(v["nsfw"], true);
    assert_eq!(v["downloadEnabled"], false);
    assert_eq!(v["licence"]["id"], 1);

    // JSON null and an empty tag list clear; an empty body changes nothing.
    assert_no_content(&node.put_json(&path, Some(&alice), &json!({"description": null, "tags": []})).await);
    assert_no_content(&node.put_json(&path, Some(&alice), &json!({})).await);
    let v = node.video(id, Some(&alice)).await;
    assert_eq!(v["description"], Value::Null);
    assert_eq!(v["tags"], json!([]));
    assert_eq!(v["name"], "Edited by JSON");

    // By uuid and shortUUID too.
    let short = v["shortUUID"].as_str().expect("shortUUID").to_owned();
    let uuid = v["uuid"].as_str().expect("uuid").to_owned();
    assert_no_content(&node.put_json(&format!("/api/v1/videos/{uuid}"), Some(&alice), &json!({"privacy": 1})).await);
    assert_no_content(
        &node.put_json(&format!("/api/v1/videos/{short}"), Some(&alice), &json!({"name": "Short"})).await,
    );
    let v = node.video(id, None).await;
    assert_eq!((v["name"].as_str(), v["privacy"]["id"].as_u64()), (Some("Short"), Some(1)));
}

#[tokio::test]
async fn bad_edits_get_peertube_errors() {
    let node = start().await;
    let admin = node.admin_token().await;
    let admin_channel =
        node.get("/api/v1/users/me", Some(&admin)).await.json()["videoChannels"][0]["id"].as_u64().expect("channel");
    let (_alice, alice, channel) = node.create_user("alice", -1).await;
    let (_bob, bob, _) = node.create_user("bob", -1).await;
    let id = node.upload_video(&alice, channel, "Alice's video").await;
    let path = format!("/api/v1/videos/{id}");

    // 400: each invalid field named in PeerTube's invalid-params.
    let cases = [
        (json!({"name": "ab"}), "name"),
        (json!({"privacy": 9}), "privacy"),
        (json!({"description": "ab"}), "description"),
        (json!({"channelId": 999_999}), "channelId"),
        (json!({"channelId": admin_channel}), "channelId"),
        (json!({"channelId": "abc"}), "channelId"),
        (json!({"commentsPolicy": 7}), "commentsPolicy"),
        (json!({"nsfw": "maybe"}), "nsfw"),
        (json!({"tags": ["x"]}), "tags"),
    ];
    for (body, param) in &cases {
        let json = node.put_json(&path, Some(&alice), body).await.assert_error(400, None);
        assert!(json["invalid-params"][param].is_object(), "{param}: {json}");
    }
    let json = node.put_multipart(&path, Some(&alice), &[Part::Field("name", "ab")]).await.assert_error(400, None);
    assert!(json["invalid-params"]["name"].is_object(), "{json}");
    node.put_multipart(&path, Some(&alice), &[Part::Field("privacy", "0")]).await.assert_error(400, None);
    let req = request(Method::PUT, &path, Some(&alice))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .expect("request");
    node.send(req).await.assert_error(400, None);

    // 401 without a token or with a bad one.
    node.put_json(&path, None, &json!({"name": "No token"})).await.assert_error(401, Some("invalid_token"));
    node.put_json(&path, Some("bogus"), &json!({"name": "Bad token"})).await.assert_error(401, Some("invalid_token"));

    // 403 for another user.
    let json = node.put_json(&path, Some(&bob), &json!({"name": "Bob was here"})).await.assert_error(403, None);
    assert!(json["detail"].as_str().expect("detail").contains("another user"), "{json}");

    // 404 for an unknown video; 400 for what cannot be an id.
    node.put_json("/api/v1/videos/999999", Some(&alice), &json!({"name": "Nobody"})).await.assert_error(404, None);
    node.put_json("/api/v1/videos/not-an-id!", Some(&alice), &json!({"name": "Nobody"})).await.assert_error(400, None);

    // Nothing of the refused edits stuck.
    let v = node.video(id, None).await;
    assert_eq!(v["name"], "Alice's video");
    assert_eq!(v["description"], "as uploaded");
    assert_eq!(v["channel"]["id"], channel);
    assert_eq!(v["privacy"]["id"], 1);

    // An administrator and a moderator may edit anyone's video (PeerTube's UPDATE_ANY_VIDEO).
    assert_no_content(&node.put_json(&path, Some(&admin), &json!({"name": "Edited by the admin"})).await);
    let body = json!({"username": "mod", "password": "mod-password-1", "email": "mod@example.org", "role": 1,
                      "videoQuota": -1, "videoQuotaDaily": -1});
    assert_eq!(node.post_json("/api/v1/users", Some(&admin), &body).await.status, StatusCode::OK);
    let moderator = node.login("mod", "mod-password-1").await;
    assert_no_content(&node.put_json(&path, Some(&moderator), &json!({"name": "Edited by a moderator"})).await);
    assert_eq!(node.video(id, None).await["name"], "Edited by a moderator");
}
