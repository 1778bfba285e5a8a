//! The `shoal` binary as an operator meets it: help texts, `config print`
//! precedence and errors, a generated admin password printed once, graceful
//! SIGTERM shutdown with state kept, and `/api/v1/config`.

use shoal_tests::tools::{run_with_timeout, shoal_bin};
use shoal_tests::{ApiClient, NodeBuilder, Result, TestNode, ADMIN_USERNAME};
use std::process::Command;
use std::time::Duration;

fn shoal() -> Result<Command> {
    let mut cmd = Command::new(shoal_bin()?);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("SHOAL_") {
            cmd.env_remove(key);
        }
    }
    Ok(cmd)
}

#[test]
fn every_command_has_help() -> Result<()> {
    for (args, expect) in [
        (vec!["--help"], "serve"),
        (vec!["serve", "--help"], "--data-dir"),
        (vec!["config", "--help"], "print"),
        (vec!["config", "print", "--help"], "SHOAL_ADMIN_PASSWORD"),
        (vec!["config", "defaults", "--help"], "defaults"),
    ] {
        let out = run_with_timeout(shoal()?.args(&args), Duration::from_secs(30))?;
        assert!(out.status.success(), "shoal {args:?}\n{}", out.describe());
        assert!(out.stdout.contains(expect), "shoal {args:?} should mention {expect}\n{}", out.stdout);
    }
    let out = run_with_timeout(shoal()?.arg("--version"), Duration::from_secs(30))?;
    assert!(out.stdout.starts_with("shoal "), "{}", out.describe());
    Ok(())
}

#[test]
fn config_print_applies_file_then_env_then_flags() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("shoal.toml");
    std::fs::write(
        &file,
        "[transcoding]\nspeed = 4\n[storage]\ndata_dir = \"/from-file\"\n[admin]\npassword = \"file-secret\"\n",
    )?;
    let out = run_with_timeout(
        shoal()?
            .args(["config", "print", "--listen", "127.0.0.1:7000"])
            .arg("--config")
            .arg(&file)
            .env("SHOAL_DATA_DIR", "/from-env")
            .env("SHOAL_LISTEN", "127.0.0.1:6000")
            .env("SHOAL_TRANSCODING__CONCURRENCY", "2"),
        Duration::from_secs(30),
    )?;
    assert!(out.status.success(), "{}", out.describe());
    let printed: toml::Table =
        toml::from_str(&out.stdout).map_err(|e| anyhow::anyhow!("not TOML: {e}\n{}", out.stdout))?;
    assert_eq!(printed["listen"].as_str(), Some("127.0.0.1:7000"), "flag beats env");
    assert_eq!(printed["storage"]["data_dir"].as_str(), Some("/from-env"), "env beats file");
    assert_eq!(printed["transcoding"]["speed"].as_integer(), Some(4), "file beats defaults");
    assert_eq!(printed["transcoding"]["concurrency"].as_integer(), Some(2), "generic env mapping");
    assert_eq!(printed["instance"]["public_url"].as_str(), Some("http://127.0.0.1:7000"), "derived public URL");
    assert!(!out.stdout.contains("file-secret"), "the admin password is not printed");
    assert!(out.stdout.contains("# "), "commented");

    let defaults = run_with_timeout(shoal()?.args(["config", "defaults"]), Duration::from_secs(30))?;
    let table: toml::Table = toml::from_str(&defaults.stdout)?;
    assert_eq!(table["listen"].as_str(), Some("127.0.0.1:9000"));
    assert_eq!(table["storage"]["data_dir"].as_str(), Some("data"));
    Ok(())
}

#[test]
fn config_errors_name_the_key_and_line() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("shoal.toml");
    std::fs::write(&file, "[limits]\nmax_upload_bytes = 10\nmax_uplaod_bytes = 5\n")?;
    let out = run_with_timeout(shoal()?.args(["config", "print"]).arg("--config").arg(&file), Duration::from_secs(30))?;
    assert!(!out.status.success());
    assert!(out.stderr.contains("max_uplaod_bytes") && out.stderr.contains("line 3"), "{}", out.describe());

    let out = run_with_timeout(
        shoal()?.args(["serve", "--data-dir"]).arg(dir.path()).env("SHOAL_TRANSCODING__SPED", "3"),
        Duration::from_secs(30),
    )?;
    assert!(!out.status.success());
    assert!(out.stderr.contains("sped"), "{}", out.describe());
    Ok(())
}

#[test]
fn generated_admin_password_is_printed_once_and_works() -> Result<()> {
    let mut node = NodeBuilder::new().set("admin.password", "").start()?;
    let logs = node.logs();
    let password = logs
        .split("password `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .ok_or_else(|| anyhow::anyhow!("no generated password on stderr:\n{logs}"))?
        .to_string();
    assert!(password.len() >= 12, "a strong generated password");
    ApiClient::login(node.base_url(), ADMIN_USERNAME, &password)?;

    node.terminate(Duration::from_secs(30))?;
    node.restart()?;
    let after = node.logs();
    assert_eq!(after.matches(&password).count(), 1, "printed on first start only");
    ApiClient::login(node.base_url(), ADMIN_USERNAME, &password)?;
    Ok(())
}

#[test]
fn sigterm_stops_cleanly_and_state_survives() -> Result<()> {
    let mut node = TestNode::start()?;
    let admin = node.admin()?;
    admin.create_user("bob", "bob-password-1", 1_000_000)?;
    let status = node.terminate(Duration::from_secs(30))?;
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(node.logs().contains("stopped"), "{}", node.log_tail(20));

    node.restart()?;
    let bob = ApiClient::login(node.base_url(), "bob", "bob-password-1")?;
    assert_eq!(bob.me()?["videoQuota"], 1_000_000);
    node.admin()?;
    Ok(())
}

#[test]
fn api_config_has_peertube_shape() -> Result<()> {
    let node = NodeBuilder::new().set("instance.name", "Shoal test instance").start()?;
    let config = node.anonymous()?.get_json("/api/v1/config")?;
    assert_eq!(config["instance"]["name"], "Shoal test instance", "{config:#}");
    let enabled: Vec<u64> = config["transcoding"]["enabledResolutions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_u64())
        .collect();
    let mut sorted = enabled.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![120, 240], "transcoding.enabledResolutions: {config:#}");
    assert_eq!(config["signup"]["allowed"], false, "{config:#}");
    assert!(config["user"]["videoQuota"].is_i64(), "user.videoQuota: {config:#}");
    Ok(())
}
