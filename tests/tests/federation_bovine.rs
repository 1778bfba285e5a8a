//! bovine (PyPI), an ActivityPub library written independently of Shoal,
//! run by `tests/scripts/bovine_client.py`: it resolves Shoal's admin account
//! by WebFinger, makes a signed GET of it, POSTs a signed Follow (bovine's
//! own Digest and signature) that Shoal accepts with 202, and verifies the
//! Accept Shoal sends back with bovine's signature checker. Also the
//! discovery documents bovine and other servers start from: host-meta and
//! NodeInfo 2.0 / 2.1.

use reqwest::StatusCode;
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

use shoal_tests::federation::{ap_get, federating, followers_count, host_of, AP_ACCEPT};
use shoal_tests::tools::{run_with_timeout, tests_dir, venv_python};
use shoal_tests::Result;

#[test]
fn bovine_resolves_fetches_and_follows_a_shoal_account() -> Result<()> {
    let mut node = federating().start()?;
    let account = node.url("/accounts/root");
    assert_eq!(followers_count(&account)?, 0);

    let out = run_with_timeout(
        Command::new(venv_python()?)
            .arg(tests_dir().join("scripts/bovine_client.py"))
            .arg(node.base_url())
            .arg("root")
            .arg("45")
            .current_dir(tests_dir().join("scripts")),
        Duration::from_secs(90),
    )?;
    let report: Value = serde_json::from_str(out.stdout.trim())
        .map_err(|e| anyhow::anyhow!("bovine_client.py printed no JSON report ({e})\n{}", out.describe()))?;
    assert_eq!(report["webfinger_actor"].as_str(), Some(account.as_str()), "WebFinger self link: {report:#}");
    assert_eq!(report["signed_get_status"], 200, "bovine's signed GET: {report:#}");
    assert!(report["signed_get_content_type"].as_str().unwrap_or_default().contains("activity+json"), "{report:#}");
    assert_eq!(report["actor"]["type"], "Person", "{report:#}");
    assert_eq!(report["actor_public_key_id"].as_str(), Some(format!("{account}#main-key").as_str()));
    assert_eq!(report["post_status"], 202, "bovine's signed POST of a Follow: {report:#}");
    assert_eq!(
        report["bovine_verified_owner"].as_str(),
        Some(account.as_str()),
        "bovine verifies the Accept: {report:#}"
    );
    assert_eq!(report["httpsig_verification"]["ok"], true, "httpsig verifies the Accept: {report:#}");
    assert!(out.status.success(), "bovine_client.py: {report:#}\n{}", out.stderr);
    assert_eq!(followers_count(&account)?, 1, "bovine's actor follows the account");
    node.assert_alive()
}

#[test]
fn host_meta_and_nodeinfo_point_at_webfinger_and_the_instance_actor() -> Result<()> {
    let node = federating().start()?;
    let http = reqwest::blocking::Client::new();
    let host_meta = http.get(node.url("/.well-known/host-meta")).send()?;
    assert_eq!(host_meta.status(), StatusCode::OK);
    let xrd = host_meta.text()?;
    assert!(xrd.contains("<XRD") && xrd.contains("lrdd"), "host-meta XRD: {xrd}");
    assert!(xrd.contains(&format!("{}/.well-known/webfinger?resource={{uri}}", node.base_url())), "{xrd}");

    let index: Value = http.get(node.url("/.well-known/nodeinfo")).send()?.json()?;
    let links = index["links"].as_array().cloned().unwrap_or_default();
    let href = |suffix: &str| {
        links.iter().find_map(|l| l["href"].as_str().filter(|h| h.ends_with(suffix)).map(str::to_string))
    };
    for version in ["2.0", "2.1"] {
        let url =
            href(&format!("/nodeinfo/{version}.json")).ok_or_else(|| anyhow::anyhow!("no {version} link: {index}"))?;
        let doc: Value = http.get(&url).send()?.json()?;
        assert_eq!(doc["version"], version, "{doc:#}");
        assert!(doc["protocols"].as_array().is_some_and(|p| p.iter().any(|p| p == "activitypub")), "{doc:#}");
    }
    let instance = node.url("/accounts/peertube");
    assert!(links.iter().any(|l| l["href"].as_str() == Some(instance.as_str())), "the instance actor: {index}");
    let (status, _, actor) = ap_get(&instance, AP_ACCEPT)?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(actor["id"].as_str(), Some(instance.as_str()));
    let resource = format!("acct:peertube@{}", host_of(&node));
    let jrd: Value =
        http.get(node.url("/.well-known/webfinger")).query(&[("resource", resource.as_str())]).send()?.json()?;
    let self_link = jrd["links"].as_array().and_then(|l| l.iter().find(|l| l["rel"] == "self").cloned());
    assert_eq!(self_link.and_then(|l| l["href"].as_str().map(str::to_string)), Some(instance), "{jrd:#}");
    Ok(())
}
