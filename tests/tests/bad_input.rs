//! Bad input: each request is answered with a clear 4xx in PeerTube's JSON
//! error shape (or, for malformed Range headers, a plain 200 per RFC 9110),
//! never a 5xx, and the node keeps serving (ping after each).

use shoal_tests::client::{expect_problem, UploadForm};
use shoal_tests::media::{write_truncated_y4m, write_y4m};
use shoal_tests::{ApiClient, NodeBuilder, Result, TestNode, ADMIN_PASSWORD, ADMIN_USERNAME};
use std::time::Duration;

/// Fails if `uploads/` still holds bytes of rejected uploads.
fn assert_uploads_cleaned(node: &TestNode) -> Result<()> {
    let dir = node.data_dir().join("uploads");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "rejected uploads left files behind: {leftovers:?}");
    Ok(())
}

#[test]
fn unreadable_files_are_rejected_with_a_clear_error() -> Result<()> {
    let mut node = TestNode::start()?;
    let admin = node.admin()?;
    let channel = admin.default_channel_id()?.to_string();

    let truncated = node.scratch().join("truncated.y4m");
    write_truncated_y4m(&truncated)?;
    let text = node.scratch().join("notes.mp4");
    std::fs::write(&text, "this is a text file, not a video\n".repeat(100))?;
    let header_only = node.scratch().join("header-only.y4m");
    std::fs::write(&header_only, "YUV4MPEG2 W320 H240 F10:1 Ip A1:1 C420jpeg\n")?;

    for (file, what) in
        [(&truncated, "truncated Y4M"), (&text, "text file named .mp4"), (&header_only, "Y4M with no frame")]
    {
        let resp = admin.upload_raw(&UploadForm {
            file: Some(file),
            name: Some(what),
            channel_id: Some(channel.clone()),
            privacy: Some("1"),
            description: None,
        })?;
        expect_problem(resp, &[400, 415, 422], what)?;
        node.assert_alive()?;
    }
    assert_uploads_cleaned(&node)?;
    let list = admin.get_json("/api/v1/videos?start=0&count=10")?;
    assert_eq!(list["total"], 0, "rejected uploads must not create videos: {list}");
    Ok(())
}

#[test]
fn missing_fields_and_foreign_channels_are_rejected() -> Result<()> {
    let mut node = TestNode::start()?;
    let admin = node.admin()?;
    let channel = admin.default_channel_id()?.to_string();
    let clip = node.scratch().join("clip.y4m");
    write_y4m(&clip, 64, 48, 10, 3)?;

    let full = UploadForm {
        file: Some(&clip),
        name: Some("a clip"),
        channel_id: Some(channel.clone()),
        privacy: Some("1"),
        description: None,
    };
    let cases = [
        ("no videofile", UploadForm { file: None, ..full.clone() }),
        ("no name", UploadForm { name: None, ..full.clone() }),
        ("no channelId", UploadForm { channel_id: None, ..full.clone() }),
        ("non-numeric channelId", UploadForm { channel_id: Some("abc".into()), ..full.clone() }),
        ("unknown privacy", UploadForm { privacy: Some("9"), ..full.clone() }),
        ("name too short", UploadForm { name: Some("x"), ..full.clone() }),
    ];
    for (what, form) in &cases {
        expect_problem(admin.upload_raw(form)?, &[400], what)?;
        node.assert_alive()?;
    }

    // Another user's channel, and a channel that does not exist.
    admin.create_user("alice", "alice-password-1", -1)?;
    let alice = ApiClient::login(node.base_url(), "alice", "alice-password-1")?;
    let alice_channel = alice.default_channel_id()?.to_string();
    assert_ne!(alice_channel, channel);
    let foreign = UploadForm { channel_id: Some(alice_channel), ..full.clone() };
    expect_problem(admin.upload_raw(&foreign)?, &[400, 403, 404], "admin uploading to alice's channel")?;
    node.assert_alive()?;
    let missing = UploadForm { channel_id: Some("987654".into()), ..full.clone() };
    expect_problem(admin.upload_raw(&missing)?, &[400, 403, 404], "unknown channel")?;
    node.assert_alive()?;
    assert_uploads_cleaned(&node)?;
    Ok(())
}

#[test]
fn bad_credentials_and_tokens_are_rejected() -> Result<()> {
    let mut node = TestNode::start()?;
    let anon = node.anonymous()?;
    let (id, secret) = anon.oauth_client()?;

    let wrong_password = anon.token_request(&[
        ("client_id", &id),
        ("client_secret", &secret),
        ("grant_type", "password"),
        ("username", ADMIN_USERNAME),
        ("password", "not-the-password"),
    ])?;
    let body = expect_problem(wrong_password, &[400], "wrong password")?;
    assert_eq!(body["code"], "invalid_grant", "PeerTube's code for a bad password: {body}");
    let wrong_client = anon.token_request(&[
        ("client_id", "nope"),
        ("client_secret", "nope"),
        ("grant_type", "password"),
        ("username", ADMIN_USERNAME),
        ("password", ADMIN_PASSWORD),
    ])?;
    let body = expect_problem(wrong_client, &[400], "wrong client")?;
    assert_eq!(body["code"], "invalid_client", "{body}");
    let missing_grant = anon.token_request(&[("client_id", &id), ("client_secret", &secret)])?;
    expect_problem(missing_grant, &[400], "no grant_type")?;
    node.assert_alive()?;

    let bad = anon.with_token("not-a-real-token");
    expect_problem(bad.get("/api/v1/users/me")?, &[401], "users/me with a bad token")?;
    let clip = node.scratch().join("clip.y4m");
    write_y4m(&clip, 64, 48, 10, 3)?;
    let form = UploadForm {
        file: Some(&clip),
        name: Some("a clip"),
        channel_id: Some("1".into()),
        privacy: None,
        description: None,
    };
    expect_problem(bad.upload_raw(&form)?, &[401], "upload with a bad token")?;
    expect_problem(anon.upload_raw(&form)?, &[401], "upload with no token")?;
    node.assert_alive()?;
    assert_uploads_cleaned(&node)
}

#[test]
fn expired_access_tokens_are_rejected_and_refresh_tokens_work() -> Result<()> {
    let mut node = NodeBuilder::new().set("limits.access_token_lifetime_secs", 1).start()?;
    let anon = node.anonymous()?;
    let tokens = anon.password_grant(ADMIN_USERNAME, ADMIN_PASSWORD)?;
    assert!(tokens.expires_in <= 1, "expires_in follows the config: {}", tokens.expires_in);
    let client = anon.with_token(&tokens.access_token);
    std::thread::sleep(Duration::from_millis(2_500));
    expect_problem(client.get("/api/v1/users/me")?, &[401], "users/me with an expired token")?;
    node.assert_alive()?;

    let renewed = anon.refresh_grant(&tokens.refresh_token)?;
    assert_ne!(renewed.access_token, tokens.access_token);
    let me = anon.with_token(&renewed.access_token).me()?;
    assert_eq!(me["username"], ADMIN_USERNAME);
    Ok(())
}

#[test]
fn oversized_and_over_quota_uploads_are_rejected() -> Result<()> {
    let mut node = NodeBuilder::new().set("limits.max_upload_bytes", 400_000).start()?;
    let admin = node.admin()?;
    let channel = admin.default_channel_id()?.to_string();

    let big = node.scratch().join("big.y4m");
    let big_size = write_y4m(&big, 320, 240, 10, 10)?;
    assert!(big_size > 400_000);
    let form = UploadForm {
        file: Some(&big),
        name: Some("too big"),
        channel_id: Some(channel),
        privacy: Some("1"),
        description: None,
    };
    expect_problem(admin.upload_raw(&form)?, &[400, 413], "upload over limits.max_upload_bytes")?;
    node.assert_alive()?;

    admin.create_user("tiny", "tiny-password-1", 50_000)?;
    let tiny = ApiClient::login(node.base_url(), "tiny", "tiny-password-1")?;
    let me = tiny.me()?;
    assert_eq!(me["videoQuota"], 50_000, "users/me shows the quota the admin set: {me}");
    let clip = node.scratch().join("clip.y4m");
    let clip_size = write_y4m(&clip, 160, 120, 10, 5)?;
    assert!(clip_size > 50_000 && clip_size < 400_000);
    let form = UploadForm {
        file: Some(&clip),
        name: Some("over quota"),
        channel_id: Some(tiny.default_channel_id()?.to_string()),
        privacy: Some("1"),
        description: None,
    };
    expect_problem(tiny.upload_raw(&form)?, &[413], "upload over the user's video quota")?;
    node.assert_alive()?;
    assert_uploads_cleaned(&node)
}

#[test]
fn bad_range_headers_never_cause_server_errors() -> Result<()> {
    let mut node = NodeBuilder::new().ladder(&[120]).start()?;
    let admin = node.admin()?;
    let clip = node.scratch().join("clip.y4m");
    write_y4m(&clip, 160, 120, 10, 10)?;
    let upload = admin.upload(&clip, "range target")?;
    let video = admin.wait_published(&upload.uuid, 1, Duration::from_secs(300))?;
    let url = video["files"][0]["fileUrl"].as_str().unwrap_or_default().to_string();
    let size = video["files"][0]["size"].as_u64().unwrap_or(0);
    assert!(size > 0, "{video}");
    let http = reqwest::blocking::Client::new();

    for unsatisfiable in [format!("bytes={size}-"), format!("bytes={}-{}", size + 10, size + 20)] {
        let resp = http.get(&url).header("Range", &unsatisfiable).send()?;
        assert_eq!(resp.status().as_u16(), 416, "Range: {unsatisfiable}");
        let content_range = resp.headers().get("content-range").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(content_range, format!("bytes */{size}"), "416 names the length");
        node.assert_alive()?;
    }

    let malformed = [
        "bytes=abc",
        "bytes=5-2",
        "items=0-1",
        "bytes=",
        "bytes=-",
        "bytes=0-1,,x",
        "bytes=--5",
        "bytes=99999999999999999999999-",
        "bytes=0-18446744073709551616",
    ];
    for header in malformed {
        let resp = http.get(&url).header("Range", header).send()?;
        let status = resp.status().as_u16();
        assert!(status == 200 || status == 206 || (400..500).contains(&status), "Range `{header}` answered {status}");
        if status == 200 {
            assert_eq!(resp.bytes()?.len() as u64, size, "Range `{header}` ignored: full body");
        }
        node.assert_alive()?;
    }

    // A suffix range and HEAD still work.
    let resp = http.get(&url).header("Range", "bytes=-10").send()?;
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.bytes()?.len(), 10);
    let head = http.head(&url).send()?;
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(head.headers().get("content-length").and_then(|v| v.to_str().ok()), Some(size.to_string().as_str()));

    // No way out of the media folder.
    for path in [
        "/static/web-videos/..%2F..%2Fshoal.toml",
        "/static/web-videos/%2e%2e/%2e%2e/shoal.toml",
        "/static/web-videos/does-not-exist.mp4",
        "/lazy-static/torrents/..%2Fdb",
    ] {
        let resp = http.get(node.url(path)).send()?;
        let status = resp.status().as_u16();
        assert!((400..500).contains(&status), "{path} answered {status}");
        node.assert_alive()?;
    }
    Ok(())
}
