//! Federation delivery figures, in process, receivers on loopback:
//! (a) fan-out: one activity to 1,000 followers on 50 hosts, once to personal inboxes
//!     (1,000 POSTs) and once to shared inboxes (50 POSTs): time until all delivered, and
//!     the process's peak RSS (VmHWM; the receivers run in the same process);
//! (b) recovery: 10,000 deliveries queued for a host that is down, then the host starts:
//!     time until all delivered, and a check that every activity arrived exactly once and
//!     in order (exit code 1 otherwise).
//!
//! Every attempt is signed with Shoal's own draft-cavage signing (body digest and an
//! RSA-2048 signature), the cost of the real thing.
//!
//! Knobs: SHOAL_BENCH_HOSTS (50), SHOAL_BENCH_FOLLOWERS_PER_HOST (20),
//! SHOAL_BENCH_RECOVERY (10000), SHOAL_BENCH_OPEN_SECS (circuit breaker open time, 2).
//! Run: `cargo bench -p shoal-actors --bench federation_delivery`.

#[path = "../tests/federation_support/mod.rs"]
mod federation_support;

use federation_support::{activity, reserve_port, Receiver};
use shoal_actors::config::ShoalConfig;
use shoal_actors::federation::RequestSigner;
use shoal_actors::Shoal;
use shoal_protocol::http_signatures::{sign_request, PrivateKey, Scheme};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "http://127.0.0.1:9999/accounts/peertube#main-key";

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Peak resident memory of this process, KiB.
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Shoal's own draft-cavage signing (`sign_request`: Date, Digest, an RSA-2048
/// signature) on every attempt, plus the test header the receivers check.
struct RsaBenchSigner {
    key: PrivateKey,
}

impl RequestSigner for RsaBenchSigner {
    fn sign(
        &self,
        key_id: &str,
        method: &http::Method,
        uri: &http::Uri,
        headers: &mut http::HeaderMap,
        body: Option<&[u8]>,
    ) -> Result<Option<Scheme>, String> {
        sign_request(Scheme::Cavage, method, uri, headers, body, key_id, &self.key, unix_secs())
            .map_err(|e| e.to_string())?;
        headers.insert("x-test-signed", http::HeaderValue::from_str(key_id).map_err(|e| e.to_string())?);
        Ok(Some(Scheme::Cavage))
    }
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn signer() -> Arc<dyn RequestSigner> {
    let key = PrivateKey::generate().expect("RSA-2048 key generation");
    Arc::new(RsaBenchSigner { key })
}

fn config(dir: &std::path::Path, open_secs: u64) -> ShoalConfig {
    let mut config = ShoalConfig::default();
    config.storage.data_dir = dir.to_path_buf();
    config.admin.password = "bench-password".into();
    config.federation.allow_private_addresses = true;
    config.federation.delivery_backoff_initial_ms = 100;
    config.federation.delivery_backoff_max_secs = 1;
    config.federation.circuit_breaker_open_secs = open_secs;
    config
}

#[tokio::main]
async fn main() {
    let hosts = knob("SHOAL_BENCH_HOSTS", 50);
    let per_host = knob("SHOAL_BENCH_FOLLOWERS_PER_HOST", 20);
    let recovery = knob("SHOAL_BENCH_RECOVERY", 10_000);
    let open_secs = knob("SHOAL_BENCH_OPEN_SECS", 2) as u64;
    let dir = tempfile::tempdir().expect("temp dir");
    let signer = signer();
    println!(
        "federation_delivery: signer RSA-2048 draft-cavage, {hosts} hosts x {per_host} followers, recovery {recovery}"
    );
    let shoal = Shoal::start_with_signer(config(dir.path(), open_secs), signer).await.expect("start");
    let federation = shoal.federation().clone();
    let mut failed = false;

    // (a) fan-out.
    let mut receivers = Vec::with_capacity(hosts);
    for _ in 0..hosts {
        receivers.push(Receiver::start().await);
    }
    let rss_before = vm_hwm_kib();
    for (mode, inboxes) in [
        (
            "personal inboxes",
            receivers
                .iter()
                .flat_map(|r| (0..per_host).map(move |f| r.inbox(&format!("users/f{f}/inbox"))))
                .collect::<Vec<_>>(),
        ),
        ("shared inboxes", receivers.iter().map(|r| r.inbox("inbox")).collect()),
    ] {
        let id = format!("https://origin.example/videos/{mode}");
        let started = Instant::now();
        let queued = federation.deliver(&id, activity(&id), KEY, inboxes).await.expect("deliver");
        let enqueued = started.elapsed();
        let done = federation.wait_until_delivered(Duration::from_secs(300)).await;
        let elapsed = started.elapsed();
        println!(
            "fan-out, {mode}: {queued} POSTs to {hosts} hosts, queued durably in {:.1} ms, all delivered in {:.1} ms ({:.0}/s){}",
            enqueued.as_secs_f64() * 1e3,
            elapsed.as_secs_f64() * 1e3,
            queued as f64 / elapsed.as_secs_f64(),
            if done { "" } else { "  TIMED OUT" }
        );
        failed |= !done;
    }
    let got: usize = receivers.iter().map(|r| r.accepted().len()).sum();
    let expected = hosts * per_host + hosts;
    println!(
        "fan-out: receivers accepted {got} of {expected}; peak RSS {} MiB (before fan-out {} MiB; receivers in-process)",
        vm_hwm_kib() / 1024,
        rss_before / 1024
    );
    failed |= got != expected;
    drop(receivers);

    // (b) recovery.
    let down = reserve_port();
    let inbox = format!("http://{down}/inbox");
    let ids: Vec<String> = (0..recovery).map(|i| format!("https://origin.example/activities/{i}")).collect();
    let started = Instant::now();
    for id in &ids {
        federation.deliver(id, activity(id), KEY, vec![inbox.clone()]).await.expect("deliver");
    }
    let enqueue = started.elapsed();
    println!(
        "recovery: {recovery} deliveries queued one by one (each flushed) in {:.2} s ({:.0}/s) while the host is down",
        enqueue.as_secs_f64(),
        recovery as f64 / enqueue.as_secs_f64()
    );
    // Let the host's actor fail long enough to open its breaker.
    let deadline = Instant::now() + Duration::from_secs(30);
    while federation.stats().hosts_open == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = federation.stats();
    println!(
        "recovery: host down, breaker open: {} (retried attempts {}); starting the host",
        before.hosts_open == 1,
        before.failed_total
    );
    let receiver = Receiver::start_on(down).await;
    let started = Instant::now();
    let done = federation.wait_until_delivered(Duration::from_secs(600)).await;
    let elapsed = started.elapsed();
    let got = receiver.ids_at("/inbox");
    let unique: std::collections::HashSet<&String> = got.iter().collect();
    let in_order = got == ids;
    println!(
        "recovery: {} of {recovery} delivered in {:.2} s after the host started ({:.0}/s, includes up to {open_secs} s of open breaker); \
         duplicates {}, in order and exactly once: {}",
        got.len(),
        elapsed.as_secs_f64(),
        got.len() as f64 / elapsed.as_secs_f64(),
        got.len() - unique.len(),
        if in_order { "yes" } else { "NO" }
    );
    failed |= !done || !in_order;
    println!("peak RSS at end: {} MiB", vm_hwm_kib() / 1024);
    shoal.shutdown().await;
    if failed {
        eprintln!("federation_delivery: FAILED");
        std::process::exit(1);
    }
}
