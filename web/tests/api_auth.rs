//! Login flow and account endpoints, as PeerTube clients use them.

mod common;

use axum::http::StatusCode;
use common::{start, start_with, ADMIN, ADMIN_PASSWORD};

#[tokio::test]
async fn ping_config_and_unknown_routes() {
    let node = start().await;
    node.assert_alive().await;

    let config = node.get("/api/v1/config", None).await;
    assert_eq!(config.status, StatusCode::OK);
    let config = config.json();
    assert_eq!(config["instance"]["name"], "Shoal");
    assert!(config["instance"]["shortDescription"].is_string());
    assert_eq!(config["signup"]["allowed"], false);
    assert_eq!(config["transcoding"]["enabledResolutions"], serde_json::json!([360, 720]));
    assert_eq!(config["transcoding"]["webVideos"]["enabled"], true);
    assert_eq!(config["transcoding"]["hls"]["enabled"], false);
    assert!(config["user"]["videoQuota"].is_i64());
    assert!(config["video"]["file"]["extensions"].as_array().is_some_and(|e| e.iter().any(|x| x == ".mp4")));
    assert!(config["serverVersion"].is_string());

    node.get("/api/v1/nope", None).await.assert_error(404, None);
    node.get("/api/v1/videos/1/nothing-here", None).await.assert_error(404, None);
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn password_and_refresh_grants() {
    let node = start().await;
    let client = node.get("/api/v1/oauth-clients/local", None).await.json();
    let (id, secret) =
        (client["client_id"].as_str().unwrap().to_owned(), client["client_secret"].as_str().unwrap().to_owned());

    let granted = node.login_json(ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(granted.status, StatusCode::OK);
    let tokens = granted.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_u64().unwrap() > 0);
    assert!(tokens["refresh_token_expires_in"].as_u64().unwrap() > 0);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    let me = node.get("/api/v1/users/me", Some(&access)).await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    assert_eq!(me["username"], ADMIN);
    assert_eq!(me["role"]["id"], 0);
    assert_eq!(me["role"]["label"], "Administrator");
    assert_eq!(me["account"]["name"], ADMIN);
    assert!(me["videoChannels"][0]["id"].is_u64(), "{me}");
    let quota = node.get("/api/v1/users/me/video-quota-used", Some(&access)).await.json();
    assert_eq!(quota["videoQuotaUsed"], 0);
    assert!(quota["videoQuotaUsedDaily"].is_u64());

    // Refresh gives a working new access token.
    let refreshed = node
        .post_form(
            "/api/v1/users/token",
            &[
                ("client_id", &id),
                ("client_secret", &secret),
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
            ],
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", String::from_utf8_lossy(&refreshed.body));
    let new_access = refreshed.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(node.get("/api/v1/users/me", Some(&new_access)).await.status, StatusCode::OK);

    // Bad password, unknown user, bad client, bad refresh token, missing grant.
    node.login_json(ADMIN, "wrong-password").await.assert_error(400, Some("invalid_grant"));
    node.login_json("nobody", "whatever-password").await.assert_error(400, Some("invalid_grant"));
    node.post_form(
        "/api/v1/users/token",
        &[
            ("client_id", "nope"),
            ("client_secret", "nope"),
            ("grant_type", "password"),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await
    .assert_error(400, Some("invalid_client"));
    node.post_form(
        "/api/v1/users/token",
        &[
            ("client_id", &id),
            ("client_secret", &secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", "garbage"),
        ],
    )
    .await
    .assert_error(400, Some("invalid_grant"));
    node.post_form("/api/v1/users/token", &[("client_id", &id), ("client_secret", &secret)])
        .await
        .assert_error(400, Some("invalid_request"));
    node.post_form(
        "/api/v1/users/token",
        &[("client_id", &id), ("client_secret", &secret), ("grant_type", "implicit")],
    )
    .await
    .assert_error(400, Some("unsupported_grant_type"));

    // Bad or missing tokens: 401 invalid_token.
    node.get("/api/v1/users/me", Some("not-a-token")).await.assert_error(401, Some("invalid_token"));
    node.get("/api/v1/users/me", None).await.assert_error(401, Some("invalid_token"));

    // Revoking ends the token.
    let revoke = node
        .send(
            common::request(axum::http::Method::POST, "/api/v1/users/revoke-token", Some(&new_access))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(revoke.status, StatusCode::OK);
    node.get("/api/v1/users/me", Some(&new_access)).await.assert_error(401, Some("invalid_token"));
    node.assert_alive().await;
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn expired_access_token_is_refused() {
    let node = start_with(|c| c.limits.access_token_lifetime_secs = 1).await;
    let token = node.admin_token().await;
    assert_eq!(node.get("/api/v1/users/me", Some(&token)).await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    node.get("/api/v1/users/me", Some(&token)).await.assert_error(401, Some("invalid_token"));
    node.shoal.shutdown().await;
}

#[tokio::test]
async fn admin_creates_users_and_channels_are_listed() {
    let node = start().await;
    let (user_id, user_token, channel_id) = node.create_user("alice", 1 << 20).await;

    let me = node.get("/api/v1/users/me", Some(&user_token)).await.json();
    assert_eq!(me["id"], user_id);
    assert_eq!(me["role"]["id"], 2);
    assert_eq!(me["videoQuota"], 1 << 20);

    // Non-admins cannot create or list users.
    let body =
        serde_json::json!({"username": "mallory", "password": "password-123", "email": "m@example.org", "role": 2});
    node.post_json("/api/v1/users", Some(&user_token), &body).await.assert_error(403, None);
    node.get("/api/v1/users", Some(&user_token)).await.assert_error(403, None);
    // Duplicate username: conflict; malformed JSON: 400.
    let admin = node.admin_token().await;
    let dup =
        serde_json::json!({"username": "alice", "password": "password-123", "email": "a2@example.org", "role": 2});
    node.post_json("/api/v1/users", Some(&admin), &dup).await.assert_error(409, None);
    let bad = node
        .send(
            common::request(axum::http::Method::POST, "/api/v1/users", Some(&admin))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    bad.assert_error(400, None);

    let users = node.get("/api/v1/users", Some(&admin)).await.json();
    assert_eq!(users["total"], 2);

    let channel_name = me["videoChannels"][0]["name"].as_str().unwrap().to_owned();
    let channel = node.get(&format!("/api/v1/video-channels/{channel_name}"), None).await;
    assert_eq!(channel.status, StatusCode::OK);
    assert_eq!(channel.json()["id"], channel_id);
    assert_eq!(channel.json()["ownerAccount"]["name"], "alice");
    let listed = node.get("/api/v1/accounts/alice/video-channels", None).await.json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["data"][0]["id"], channel_id);
    node.get("/api/v1/video-channels/nope_channel", None).await.assert_error(404, None);
    node.shoal.shutdown().await;
}
