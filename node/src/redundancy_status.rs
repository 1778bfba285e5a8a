//! `shoal redundancy status`: asks a running node's API for its redundancy state (members,
//! copies held, transfers in progress) as its admin and prints it as tables.
//!
//! The node holds the sled store open, so the command cannot read the data folder itself;
//! it signs in with PeerTube's OAuth password grant like any API client.

use crate::cli::RemoteArgs;
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::time::Duration;

/// Runs the command.
pub async fn run(args: &RemoteArgs) -> Result<()> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build()?;
    let base = args.url.trim_end_matches('/');
    let token = sign_in(&client, base, &args.username, &args.password).await?;
    let response = client
        .get(format!("{base}/api/v1/server/redundancy/status"))
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("asking {base} for its redundancy status"))?;
    let status = response.status();
    let body: Value = response.json().await.context("reading the status")?;
    if !status.is_success() {
        bail!("{base} answered {status}: {}", problem_detail(&body));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
    } else {
        print!("{}", render(&body));
    }
    Ok(())
}

async fn sign_in(client: &reqwest::Client, base: &str, username: &str, password: &str) -> Result<String> {
    let oauth: Value = client
        .get(format!("{base}/api/v1/oauth-clients/local"))
        .send()
        .await
        .with_context(|| format!("reaching {base}"))?
        .json()
        .await
        .context("reading the OAuth client")?;
    let field = |name: &str| oauth.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let form = [
        ("client_id", field("client_id")),
        ("client_secret", field("client_secret")),
        ("grant_type", "password".to_string()),
        ("username", username.to_string()),
        ("password", password.to_string()),
    ];
    let response = client.post(format!("{base}/api/v1/users/token")).form(&form).send().await?;
    let status = response.status();
    let body: Value = response.json().await.context("reading the token answer")?;
    if !status.is_success() {
        bail!("signing in as {username} failed ({status}): {}", problem_detail(&body));
    }
    body.get("access_token").and_then(Value::as_str).map(str::to_string).context("the token answer has no access_token")
}

fn problem_detail(body: &Value) -> String {
    ["detail", "error", "title"]
        .iter()
        .find_map(|key| body.get(*key).and_then(Value::as_str))
        .unwrap_or("no detail")
        .to_string()
}

/// The status as tables a person reads.
fn render(status: &Value) -> String {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("-").to_string();
    let number = |v: &Value, key: &str| v.get(key).and_then(Value::as_u64).unwrap_or(0);
    let list = |key: &str| status.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut out = String::new();
    if status.get("enabled").and_then(Value::as_bool) != Some(true) {
        out.push_str("redundancy is disabled on this node ([redundancy] enabled = false)\n");
        return out;
    }
    out.push_str(&format!("this node  {}  (k = {})\n", text(status, "peerId"), number(status, "replicas")));
    for addr in status.get("listenAddresses").and_then(Value::as_array).into_iter().flatten() {
        out.push_str(&format!("  listening {}\n", addr.as_str().unwrap_or("-")));
    }
    let members = list("members");
    out.push_str(&format!("\nmembers ({})\n", members.len()));
    out.push_str(&format!(
        "  {:<54} {:<8} {:<8} {:>10} {:>6} {:>9}\n",
        "peer id", "state", "trusted", "capacity", "holds", "last seen"
    ));
    for m in &members {
        let trusted = if m.get("trusted").and_then(Value::as_bool) == Some(true) { "yes" } else { "NO" };
        out.push_str(&format!(
            "  {:<54} {:<8} {:<8} {:>10} {:>6} {:>8}s\n",
            text(m, "peerId"),
            text(m, "state"),
            trusted,
            human_bytes(number(m, "capacityBytes")),
            number(m, "holds"),
            number(m, "lastSeenSecondsAgo"),
        ));
    }
    let held = list("held");
    out.push_str(&format!("\nheld ({})\n", held.len()));
    for copy in &held {
        out.push_str(&format!(
            "  {}  {}  {}  from {}  ({})\n",
            text(copy, "videoUuid"),
            human_bytes(number(copy, "size")),
            text(copy, "reason"),
            text(copy, "origin"),
            text(copy, "name"),
        ));
    }
    let fetching = list("fetching");
    out.push_str(&format!("\nfetching ({})\n", fetching.len()));
    for job in &fetching {
        let done = number(job, "bytesDone");
        let total = number(job, "bytesTotal").max(1);
        out.push_str(&format!(
            "  {}  {:>5.1} %  {} of {}  pieces {}/{}  ({})\n",
            text(job, "videoUuid"),
            100.0 * done as f64 / total as f64,
            human_bytes(done),
            human_bytes(total),
            number(job, "piecesDone"),
            number(job, "piecesTotal"),
            text(job, "name"),
        ));
    }
    out.push_str(&format!("\nrepair backlog: {} video(s) below k\n", number(status, "repairBacklog")));
    out
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_members_copies_and_progress() {
        let status = json!({
            "enabled": true, "peerId": "12D3KooWself", "replicas": 2,
            "listenAddresses": ["/ip4/127.0.0.1/udp/4001/quic-v1"],
            "members": [{"peerId": "12D3KooWother", "state": "lost", "trusted": true, "capacityBytes": 1u64 << 30, "holds": 3, "lastSeenSecondsAgo": 42}],
            "held": [{"videoUuid": "u1", "size": 2048, "reason": "placement", "origin": "http://a", "name": "clip"}],
            "fetching": [{"videoUuid": "u2", "bytesDone": 512, "bytesTotal": 1024, "piecesDone": 1, "piecesTotal": 2, "name": "other"}],
            "repairBacklog": 1
        });
        let text = render(&status);
        assert!(text.contains("12D3KooWother"), "{text}");
        assert!(text.contains("lost"), "{text}");
        assert!(text.contains("1.0 GiB"), "{text}");
        assert!(text.contains(" 50.0 %"), "{text}");
        assert!(text.contains("repair backlog: 1"), "{text}");
    }

    #[test]
    fn disabled_node_says_so() {
        assert!(render(&json!({"enabled": false})).contains("disabled"));
    }
}
