//! A real PeerTube client: `@peertube/peertube-cli` (npm, pinned in
//! tests/package.json) gets an access token and uploads a video to Shoal;
//! the video is then found through the API and becomes published.

use shoal_tests::media::ffmpeg_mp4;
use shoal_tests::tools::{peertube_cli, run_with_timeout};
use shoal_tests::{Result, TestNode, ADMIN_PASSWORD, ADMIN_USERNAME};
use std::process::Command;
use std::time::Duration;

fn cli(home: &std::path::Path) -> Result<Command> {
    let mut cmd = Command::new(peertube_cli()?);
    // The CLI keeps settings and a netrc under HOME: isolate them.
    cmd.env("HOME", home).env("XDG_CONFIG_HOME", home.join(".config")).env("NODE_ENV", "production");
    Ok(cmd)
}

#[test]
fn peertube_cli_gets_a_token_and_uploads_a_video_that_publishes() -> Result<()> {
    let mut node = TestNode::start()?;
    let home = node.scratch().join("home");
    std::fs::create_dir_all(&home)?;

    // get-access-token names the user with -n (upload uses -U).
    let out = run_with_timeout(
        cli(&home)?.args(["get-access-token", "-u", node.base_url(), "-n", ADMIN_USERNAME, "-p", ADMIN_PASSWORD]),
        Duration::from_secs(60),
    )?;
    assert!(out.status.success(), "peertube-cli get-access-token failed\n{}", out.describe());
    let token = out.stdout.trim().to_string();
    assert!(!token.is_empty() && !token.contains(' '), "token: {}", out.describe());
    let me = node.anonymous()?.with_token(&token).me()?;
    assert_eq!(me["username"], ADMIN_USERNAME, "users/me with the CLI's token: {me}");

    let file = node.scratch().join("cli-upload.mp4");
    ffmpeg_mp4(&file, 320, 240, 10, 1.0, true)?;
    let name = "uploaded by peertube-cli";
    let file_arg = file.to_string_lossy().to_string();
    let out = run_with_timeout(
        cli(&home)?.args([
            "upload",
            "-u",
            node.base_url(),
            "-U",
            ADMIN_USERNAME,
            "-p",
            ADMIN_PASSWORD,
            "-f",
            &file_arg,
            "-n",
            name,
        ]),
        Duration::from_secs(300),
    )?;
    assert!(
        out.status.success() && out.stdout.contains(&format!("Video {name} uploaded.")),
        "peertube-cli upload failed\n{}\n{}",
        out.describe(),
        node.log_tail(60)
    );

    let admin = node.admin()?;
    let list = admin.get_json("/api/v1/videos?start=0&count=25&sort=-createdAt")?;
    let uuid = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["name"] == name)
        .and_then(|v| v["uuid"].as_str())
        .ok_or_else(|| anyhow::anyhow!("the CLI's video is not listed: {list}"))?
        .to_string();
    let video = admin.wait_published(&uuid, 2, Duration::from_secs(300))?;
    assert_eq!(video["state"]["label"], "Published");
    assert_eq!(video["channel"]["id"], admin.default_channel_id()?, "uploaded to the user's default channel");
    node.assert_alive()
}
