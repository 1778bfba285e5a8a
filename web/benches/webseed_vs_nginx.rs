//! Web-seed Range serving versus nginx, measured in the same run.
//!
//! Creates a file (256 MiB by default), serves it from Shoal's router (in this
//! process) and from nginx (one worker, `sendfile on`), and drives both with
//! `wrk` making Range requests at random offsets, interleaved A/B, for 16 KiB
//! and 1 MiB ranges. Prints requests/s, MB/s, server CPU-seconds and the
//! Shoal/nginx ratio for each size.
//!
//! Run: `cargo bench -p shoal-web --bench webseed_vs_nginx`
//! Knobs: SHOAL_BENCH_FILE_MIB (256), SHOAL_BENCH_SECONDS (5), SHOAL_BENCH_ROUNDS (3),
//! SHOAL_BENCH_CONNECTIONS (32). Needs `wrk` and `nginx` (Debian: wrk, nginx-light).

// This bench reads CPU time only.
#[allow(dead_code)]
#[path = "../../tests/src/proc_stats.rs"]
mod proc_stats;

use proc_stats::cpu_seconds;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding an ephemeral port on 127.0.0.1")
}

fn write_file(path: &Path, mib: u64) {
    let mut f = std::fs::File::create(path).expect("creating the bench file");
    let mut block = vec![0u8; 1 << 20];
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for i in 0..mib {
        for chunk in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        block[0] = i as u8;
        f.write_all(&block).expect("writing the bench file");
    }
    f.sync_all().ok();
}

const LUA: &str = r#"
local size = tonumber(os.getenv("BENCH_SIZE"))
local chunk = tonumber(os.getenv("BENCH_CHUNK"))
local seeded = false
request = function()
  if not seeded then math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)); seeded = true end
  local blocks = math.floor((size - chunk) / 4096)
  local off = math.random(0, blocks) * 4096
  return wrk.format("GET", wrk.path, { ["Range"] = "bytes=" .. off .. "-" .. (off + chunk - 1) })
end
"#;

struct WrkResult {
    requests_per_sec: f64,
    bytes_per_sec: f64,
    non_2xx: u64,
}

fn run_wrk(url: &str, script: &Path, size: u64, chunk: u64, secs: u64, conns: u64) -> WrkResult {
    let out = Command::new("wrk")
        .args(["-t1", &format!("-c{conns}"), &format!("-d{secs}s"), "--latency", "-s"])
        .arg(script)
        .arg(url)
        .env("BENCH_SIZE", size.to_string())
        .env("BENCH_CHUNK", chunk.to_string())
        .output()
        .expect("running wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut r = WrkResult { requests_per_sec: 0.0, bytes_per_sec: 0.0, non_2xx: 0 };
    for line in text.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            r.requests_per_sec = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = line.strip_prefix("Transfer/sec:") {
            r.bytes_per_sec = parse_size(v.trim());
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            r.non_2xx = v.trim().parse().unwrap_or(0);
        }
    }
    r
}

fn parse_size(s: &str) -> f64 {
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let n: f64 = num.trim().parse().unwrap_or(0.0);
    n * match unit {
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        _ => 1.0,
    }
}

fn start_nginx(dir: &Path, root: &Path, port: u16) -> Child {
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "user root;\nworker_processes 1;\ndaemon off;\nerror_log stderr error;\npid {pid};\n\
             events {{ worker_connections 4096; }}\n\
             http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 10000000;\n\
             client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};\n\
             uwsgi_temp_path {tmp}; scgi_temp_path {tmp};\n\
             server {{ listen 127.0.0.1:{port}; root {root}; location / {{ }} }} }}\n",
            pid = dir.join("nginx.pid").display(),
            tmp = dir.display(),
            root = root.display(),
        ),
    )
    .expect("writing nginx.conf");
    let nginx =
        ["/usr/sbin/nginx", "nginx"].into_iter().find(|p| Path::new(p).exists() || *p == "nginx").unwrap_or("nginx");
    Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .spawn()
        .expect("starting nginx (apt-get install nginx-light)")
}

/// The nginx worker's pid (the master only accepts signals).
fn nginx_worker_pid(master: u32) -> u32 {
    for _ in 0..50 {
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{master}/task/{master}/children")) {
            if let Some(pid) = children.split_whitespace().next().and_then(|p| p.parse().ok()) {
                return pid;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    master
}

fn wait_http(url: &str) {
    for _ in 0..100 {
        if let Ok(out) = Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}", url]).output() {
            let code = String::from_utf8_lossy(&out.stdout);
            if code == "200" || code == "206" {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{url} never answered");
}

/// `Child::wait` with a deadline.
trait WaitTimeout {
    fn wait_timeout_secs(&mut self, secs: u64) -> Option<std::process::ExitStatus>;
}

impl WaitTimeout for Child {
    fn wait_timeout_secs(&mut self, secs: u64) -> Option<std::process::ExitStatus> {
        for _ in 0..secs * 10 {
            if let Ok(Some(status)) = self.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let mib = env_u64("SHOAL_BENCH_FILE_MIB", 256);
    let secs = env_u64("SHOAL_BENCH_SECONDS", 5);
    let rounds = env_u64("SHOAL_BENCH_ROUNDS", 3).max(1);
    let conns = env_u64("SHOAL_BENCH_CONNECTIONS", 32);
    let work = tempfile::tempdir().expect("tempdir");
    let data_dir: PathBuf = work.path().join("data");

    // Shoal, in this process, on its own runtime thread.
    let mut config = shoal_actors::ShoalConfig::default();
    config.storage.data_dir = data_dir.clone();
    config.admin.password = "bench-password".into();
    let shoal_port = free_port();
    config.instance.public_url = format!("http://127.0.0.1:{shoal_port}");
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let shoal = rt.block_on(shoal_actors::Shoal::start(config)).expect("starting Shoal");
    let media = shoal.media_dir();
    let file = media.join("bench-file.mp4");
    eprintln!("writing a {mib} MiB file...");
    write_file(&file, mib);
    let size = mib << 20;
    let router = shoal_web::router(shoal.clone());
    rt.spawn(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", shoal_port)).await.expect("bind");
        axum::serve(listener, router).await.expect("serve");
    });
    let shoal_url = format!("http://127.0.0.1:{shoal_port}/static/web-videos/bench-file.mp4");

    let nginx_dir = work.path().join("nginx");
    std::fs::create_dir_all(&nginx_dir).expect("nginx dir");
    let nginx_port = free_port();
    let mut nginx = start_nginx(&nginx_dir, &media, nginx_port);
    let nginx_worker = nginx_worker_pid(nginx.id());
    let nginx_url = format!("http://127.0.0.1:{nginx_port}/bench-file.mp4");
    wait_http(&nginx_url);
    wait_http(&shoal_url);

    let script = work.path().join("ranges.lua");
    std::fs::write(&script, LUA).expect("lua script");
    // Warm the page cache so both read from memory.
    let _ = std::fs::read(&file);

    let me = std::process::id();
    println!(
        "web seed vs nginx: {mib} MiB file, {conns} connections, {secs} s per run, {rounds} rounds (A/B interleaved)"
    );
    println!("{:<8} {:<6} {:>12} {:>10} {:>12} {:>10}", "range", "server", "req/s", "MB/s", "req/CPU-s", "non-2xx");
    for (label, chunk) in [("16KiB", 16u64 << 10), ("1MiB", 1u64 << 20)] {
        let (mut s_rps, mut n_rps, mut s_bps, mut n_bps) = (vec![], vec![], vec![], vec![]);
        for _ in 0..rounds {
            for server in ["nginx", "shoal"] {
                let (url, pid) = if server == "nginx" { (&nginx_url, nginx_worker) } else { (&shoal_url, me) };
                let cpu0 = cpu_seconds(pid);
                let r = run_wrk(url, &script, size, chunk, secs, conns);
                let cpu = cpu_seconds(pid) - cpu0;
                let per_cpu = if cpu > 0.0 { r.requests_per_sec * secs as f64 / cpu } else { 0.0 };
                println!(
                    "{:<8} {:<6} {:>12.0} {:>10.1} {:>12.0} {:>10}",
                    label,
                    server,
                    r.requests_per_sec,
                    r.bytes_per_sec / 1e6,
                    per_cpu,
                    r.non_2xx
                );
                if server == "nginx" {
                    n_rps.push(r.requests_per_sec);
                    n_bps.push(r.bytes_per_sec);
                } else {
                    s_rps.push(r.requests_per_sec);
                    s_bps.push(r.bytes_per_sec);
                }
            }
        }
        let (sr, nr) = (median(&mut s_rps), median(&mut n_rps));
        let (sb, nb) = (median(&mut s_bps), median(&mut n_bps));
        println!(
            "RESULT {label}: shoal {sr:.0} req/s {:.1} MB/s; nginx {nr:.0} req/s {:.1} MB/s; ratio req/s {:.2}, MB/s {:.2}",
            sb / 1e6,
            nb / 1e6,
            sr / nr.max(1.0),
            sb / nb.max(1.0)
        );
    }
    // SIGQUIT lets the master stop its worker; SIGKILL would orphan the worker.
    let _ = Command::new("kill").args(["-QUIT", &nginx.id().to_string()]).status();
    if nginx.wait_timeout_secs(10).is_none() {
        let _ = nginx.kill();
        let _ = nginx.wait();
    }
    rt.block_on(shoal.shutdown());
}
