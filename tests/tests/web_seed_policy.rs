//! What the web seeds promise players on other origins and operators:
//! CORS preflights pass with the request headers webtorrent sends (`Range`,
//! `Cache-Control`; a failed preflight stalls it at 0 bytes) and responses expose
//! `Content-Range`, `Content-Length` and `Accept-Ranges`; and
//! `web_seed.max_upload_bytes_per_second` is one budget shared by every viewer:
//! three concurrent downloads of a published file together take as long as
//! their total bytes at the cap, while torrents stay unthrottled.

use std::time::{Duration, Instant};

use shoal_tests::media::write_y4m;
use shoal_tests::node::NodeBuilder;
use shoal_tests::Result;

const RATE: u64 = 40_000;
/// The throttle's burst: a tenth of a second's worth, at least one 16 KiB slice.
const BURST: u64 = 16 * 1024;

#[test]
fn concurrent_web_seed_downloads_share_one_upload_budget() -> Result<()> {
    let mut node = NodeBuilder::new().set("web_seed.max_upload_bytes_per_second", RATE as i64).start()?;
    let admin = node.admin()?;
    let source = node.scratch().join("throttle.y4m");
    write_y4m(&source, 320, 240, 10, 30)?;
    let upload = admin.upload(&source, "throttled")?;
    let video = admin.wait_published(&upload.uuid, 2, Duration::from_secs(300))?;
    let file = video["files"]
        .as_array()
        .and_then(|f| f.iter().max_by_key(|f| f["size"].as_u64()))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no files: {video}"))?;
    let url = file["fileUrl"].as_str().unwrap_or_default().to_owned();
    let size = file["size"].as_u64().unwrap_or(0);
    assert!(size > 2 * BURST, "the test file ({size} bytes) must be well above the burst");

    let started = Instant::now();
    let downloads: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || -> Result<usize> { Ok(reqwest::blocking::get(&url)?.bytes()?.len()) })
        })
        .collect();
    let mut total = 0u64;
    for d in downloads {
        total += d.join().map_err(|_| anyhow::anyhow!("download thread panicked"))?? as u64;
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(total, 3 * size, "every download is complete");
    let floor = (total - BURST) as f64 / RATE as f64;
    assert!(elapsed >= floor * 0.95, "{total} bytes in {elapsed:.2} s: faster than the cap allows ({floor:.2} s)");
    assert!(elapsed <= floor * 1.5 + 1.0, "{total} bytes in {elapsed:.2} s: far slower than the cap ({floor:.2} s)");

    // The torrent is not counted against the budget.
    let started = Instant::now();
    reqwest::blocking::get(file["torrentUrl"].as_str().unwrap_or_default())?.bytes()?;
    assert!(started.elapsed() < Duration::from_secs(1));
    node.assert_alive()
}

#[test]
fn web_seeds_pass_the_cors_preflight_webtorrent_makes() -> Result<()> {
    let mut node = NodeBuilder::new().start()?;
    let admin = node.admin()?;
    let source = node.scratch().join("cors.y4m");
    write_y4m(&source, 320, 240, 10, 10)?;
    let upload = admin.upload(&source, "cors")?;
    let video = admin.wait_published(&upload.uuid, 2, Duration::from_secs(300))?;
    let url = video["files"][0]["fileUrl"].as_str().unwrap_or_default().to_owned();

    let http = reqwest::blocking::Client::new();
    let preflight = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", "https://viewer.example")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "range,cache-control")
        .send()?;
    assert!(preflight.status().is_success(), "preflight answered {}", preflight.status());
    let header = |r: &reqwest::blocking::Response, name: &str| {
        r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase()
    };
    assert_eq!(header(&preflight, "access-control-allow-origin"), "*");
    let allowed = header(&preflight, "access-control-allow-headers");
    assert!(allowed.contains("range") && allowed.contains("cache-control"), "allowed: {allowed}");
    assert!(header(&preflight, "access-control-allow-methods").contains("get"));

    let ranged = http.get(&url).header("Origin", "https://viewer.example").header("Range", "bytes=0-99").send()?;
    assert_eq!(ranged.status(), reqwest::StatusCode::PARTIAL_CONTENT);
    let exposed = header(&ranged, "access-control-expose-headers");
    for name in ["content-range", "content-length", "accept-ranges"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
    node.assert_alive()
}
