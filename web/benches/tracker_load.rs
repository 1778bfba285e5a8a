//! Load on the tracker of a running `shoal` node (a child process), measured per
//! server CPU-second (utime+stime of the node from /proc).
//!
//! WebSocket: the message mix of aquatic's `ws_load_test`: each connection loops
//! "send one announce carrying 10 offers (or the answer to the last offer it
//! received), read one message", over 10,000 torrents with a skewed (gamma-like)
//! popularity and 25% seeders, with 16 and with 1,000 connections. Prints
//! responses/s, responses per server CPU-second, p99 latency (send to next
//! message) and the node's memory per connected peer.
//!
//! HTTP: `wrk` with 128 keep-alive connections announcing random peers into the
//! same 10,000 torrents; prints announces/s and announces per server CPU-second.
//!
//! Run: `cargo bench -p shoal-web --bench tracker_load` (after a release build of
//! the workspace, which makes target/release/shoal). Knobs: SHOAL_BENCH_SECONDS (10),
//! SHOAL_BENCH_CONNECTIONS (`16,1000`).
//! Needs `wrk` (Debian: wrk). The node runs as an open tracker with the per-IP
//! limit off and no per-connection swarm cap: every load connection comes from
//! 127.0.0.1 and joins many swarms, as in aquatic's load test.

#[path = "../../tests/src/proc_stats.rs"]
mod proc_stats;

use proc_stats::{cpu_seconds, rss_kib};

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use rand::distributions::Distribution;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const TORRENTS: usize = 10_000;
const OFFERS: usize = 10;

fn shoal_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("SHOAL_BIN") {
        return PathBuf::from(bin);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("release/shoal")
}

struct Node {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_node() -> Node {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("shoal.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\n[log]\nlevel = \"warn\"\n[storage]\ndata_dir = \"{}\"\n\
             [admin]\npassword = \"bench-admin-password\"\n\
             [tracker]\nallow = \"any\"\nannounces_per_ip_per_minute = 0\nmax_swarms_per_connection = 1000000\n\
             max_peers_per_swarm = 100000\n",
            dir.path().join("data").display()
        ),
    )
    .expect("writing the config");
    let mut child = Command::new(shoal_bin())
        .arg("serve")
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {} ({e}); build the workspace in release first", shoal_bin().display()));
    let stdout = child.stdout.take().expect("node stdout");
    let mut addr = String::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(a) = line.strip_prefix("listening on http://") {
            addr = a.trim().to_owned();
            break;
        }
    }
    assert!(!addr.is_empty(), "the node did not print its address");
    Node { child, addr, _dir: dir }
}

/// Torrent index with a skewed popularity: a gamma-like draw (shape 0.5) folded onto 0..TORRENTS.
fn pick_torrent(rng: &mut impl Rng) -> usize {
    let gamma = rand_distr::Gamma::new(0.5, 1.0).expect("gamma parameters");
    let x: f64 = gamma.sample(rng);
    ((x / 8.0) * TORRENTS as f64) as usize % TORRENTS
}

fn binary(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn info_hash(i: usize) -> [u8; 20] {
    let mut h = [0u8; 20];
    h[..8].copy_from_slice(&(i as u64).to_be_bytes());
    h[8..16].copy_from_slice(&(i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
    h
}

#[derive(Default)]
struct Totals {
    responses: AtomicU64,
    latencies_us: std::sync::Mutex<Vec<u32>>,
}

async fn connection(addr: String, id: u64, stop: Arc<AtomicBool>, measuring: Arc<AtomicBool>, totals: Arc<Totals>) {
    let url = format!("ws://{addr}/tracker/socket");
    let Ok((socket, _)) = tokio_tungstenite::connect_async(&url).await else { return };
    let (mut sink, mut stream) = socket.split();
    let mut rng = rand::rngs::StdRng::seed_from_u64(id);
    let mut peer_id = [0u8; 20];
    peer_id[..8].copy_from_slice(&id.to_be_bytes());
    peer_id[8..].copy_from_slice(b"-SHOALBENCH-");
    let peer = binary(&peer_id);
    let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n".repeat(3);
    let mut pending_offer: Option<Value> = None;
    let mut latencies = Vec::new();
    let mut count = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let text = match pending_offer.take() {
            Some(offer) => json!({
                "action": "announce", "info_hash": offer["info_hash"], "peer_id": peer,
                "to_peer_id": offer["peer_id"], "offer_id": offer["offer_id"],
                "answer": {"type": "answer", "sdp": sdp},
            })
            .to_string(),
            None => {
                let t = pick_torrent(&mut rng);
                let offers: Vec<Value> = (0..OFFERS)
                    .map(|i| json!({"offer": {"type": "offer", "sdp": sdp}, "offer_id": format!("{id:016x}{i:04x}{:020x}", rng.gen::<u64>())}))
                    .collect();
                json!({
                    "action": "announce", "info_hash": binary(&info_hash(t)), "peer_id": peer,
                    "numwant": OFFERS, "uploaded": 0, "downloaded": 0,
                    "left": if rng.gen_bool(0.25) { 0 } else { 1_000_000 },
                    "offers": offers,
                })
                .to_string()
            }
        };
        let sent = Instant::now();
        if sink.send(Message::text(text)).await.is_err() {
            break;
        }
        let next = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
        match next {
            Ok(Some(Ok(Message::Text(t)))) => {
                if measuring.load(Ordering::Relaxed) {
                    count += 1;
                    latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                }
                if let Ok(v) = serde_json::from_str::<Value>(t.as_str()) {
                    if v.get("offer").is_some() {
                        pending_offer = Some(v);
                    }
                }
            }
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
    }
    totals.responses.fetch_add(count, Ordering::Relaxed);
    if let Ok(mut all) = totals.latencies_us.lock() {
        all.extend(latencies);
    }
}

struct WsResult {
    responses_per_sec: f64,
    per_cpu_sec: f64,
    p99_ms: f64,
    kib_per_connection: f64,
    bytes_per_peer: f64,
    peers: f64,
    connected: usize,
}

fn run_ws(node: &Node, connections: usize, secs: u64) -> WsResult {
    let pid = node.child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let measuring = Arc::new(AtomicBool::new(false));
        let totals = Arc::new(Totals::default());
        let rss_before = rss_kib(pid);
        let mut tasks = Vec::new();
        for id in 0..connections {
            let conn = connection(node.addr.clone(), id as u64 + 1, stop.clone(), measuring.clone(), totals.clone());
            tasks.push(tokio::spawn(conn));
            if id % 50 == 49 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        // Warm up: every connection announces into its swarms.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let connected = tasks.iter().filter(|t| !t.is_finished()).count();
        let rss_loaded = rss_kib(pid);
        let peers = peers_in_swarms(&node.addr);
        measuring.store(true, Ordering::Relaxed);
        let (cpu0, t0) = (cpu_seconds(pid), Instant::now());
        tokio::time::sleep(Duration::from_secs(secs)).await;
        measuring.store(false, Ordering::Relaxed);
        let (cpu, wall) = (cpu_seconds(pid) - cpu0, t0.elapsed().as_secs_f64());
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let responses = totals.responses.load(Ordering::Relaxed) as f64;
        let mut lat = totals.latencies_us.lock().map(|l| l.clone()).unwrap_or_default();
        lat.sort_unstable();
        let p99 = lat.get(lat.len().saturating_sub(1).min(lat.len() * 99 / 100)).copied().unwrap_or(0);
        WsResult {
            responses_per_sec: responses / wall,
            per_cpu_sec: responses / cpu.max(0.01),
            p99_ms: f64::from(p99) / 1000.0,
            kib_per_connection: rss_loaded.saturating_sub(rss_before) as f64 / connected.max(1) as f64,
            bytes_per_peer: rss_loaded.saturating_sub(rss_before) as f64 * 1024.0 / peers.max(1.0),
            peers,
            connected,
        }
    })
}

/// The node's `shoal_tracker_peers` gauges, summed (peers in all swarms).
fn peers_in_swarms(addr: &str) -> f64 {
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else { return 0.0 };
    let _ = write!(stream, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut text);
    text.lines()
        .filter(|l| l.starts_with("shoal_tracker_peers{"))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

const WRK_LUA: &str = r#"
local hashes = {}
local chars = {}
function hex_escape(s) return (s:gsub(".", function(c) return string.format("%%%02X", string.byte(c)) end)) end
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  for i = 1, 10000 do
    local h = {}
    for j = 1, 20 do h[j] = string.char(math.random(0, 255)) end
    hashes[i] = hex_escape(table.concat(h))
  end
end
request = function()
  local t = hashes[math.floor((math.random() ^ 3) * 9999) + 1]
  local peer = hex_escape(string.format("-WRK000-%012d", math.random(0, 999999999)))
  local left = (math.random() < 0.25) and 0 or 1000000
  local path = "/tracker/announce?info_hash=" .. t .. "&peer_id=" .. peer ..
    "&port=" .. math.random(1024, 65000) .. "&uploaded=0&downloaded=0&left=" .. left .. "&compact=1&numwant=30"
  return wrk.format("GET", path)
end
"#;

fn run_http(node: &Node, secs: u64) -> Option<(f64, f64)> {
    let script = std::env::temp_dir().join(format!("shoal-tracker-{}.lua", std::process::id()));
    std::fs::File::create(&script).and_then(|mut f| f.write_all(WRK_LUA.as_bytes())).ok()?;
    let pid = node.child.id();
    let cpu0 = cpu_seconds(pid);
    let out = Command::new("wrk")
        .args(["-t", "1", "-c", "128", "-d", &format!("{secs}s"), "-s"])
        .arg(&script)
        .arg(format!("http://{}/", node.addr))
        .output()
        .ok()?;
    let cpu = cpu_seconds(pid) - cpu0;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    let requests: f64 = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())?;
    let rate: f64 = text.lines().find_map(|l| l.strip_prefix("Requests/sec:")).and_then(|r| r.trim().parse().ok())?;
    Some((rate, requests / cpu.max(0.01)))
}

fn main() {
    let secs: u64 = std::env::var("SHOAL_BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    println!("tracker load: {TORRENTS} torrents, gamma-skewed popularity, 25% seeders, {OFFERS} offers per announce");
    let counts: Vec<usize> = std::env::var("SHOAL_BENCH_CONNECTIONS")
        .ok()
        .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![16, 1000]);
    for connections in counts {
        let node = start_node();
        let r = run_ws(&node, connections, secs);
        println!(
            "websocket {connections:>5} connections ({} connected): {:>9.0} responses/s, {:>9.0} responses per server CPU-second, p99 {:.1} ms",
            r.connected, r.responses_per_sec, r.per_cpu_sec, r.p99_ms
        );
        println!(
            "  node memory: {:.1} KiB per connection; {:.0} peers in swarms, {:.0} bytes per peer",
            r.kib_per_connection, r.peers, r.bytes_per_peer
        );
    }
    let node = start_node();
    match run_http(&node, secs) {
        Some((rate, per_cpu)) => {
            println!("http 128 keep-alive connections: {rate:>9.0} announces/s, {per_cpu:>9.0} announces per server CPU-second")
        }
        None => println!("http: wrk not available or failed; install wrk (Debian: wrk)"),
    }
}
