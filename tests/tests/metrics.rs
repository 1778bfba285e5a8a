//! `/metrics` read by the Prometheus project's own OpenMetrics parser (Python
//! `prometheus_client`): after one upload is transcoded and its web seed is read, the
//! upload, transcode and web-seed counters say exactly what happened.

use serde_json::Value;
use shoal_tests::media::write_y4m;
use shoal_tests::tools::{run_ok, system_python, tests_dir};
use shoal_tests::{Result, TestNode};
use std::process::Command;
use std::time::{Duration, Instant};

const FRAMES: u32 = 12;

#[test]
fn metrics_count_uploads_transcodes_and_web_seed_bytes() -> Result<()> {
    let node = TestNode::start()?;
    let admin = node.admin()?;
    let source = node.scratch().join("metrics.y4m");
    let source_bytes = write_y4m(&source, 320, 240, 10, FRAMES)?;
    let upload = admin.upload(&source, "counted")?;
    let video = admin.wait_published(&upload.uuid, 2, Duration::from_secs(300))?;
    let file = &video["files"][0];
    let url = file["fileUrl"].as_str().unwrap_or_default().to_owned();
    let size = file["size"].as_u64().unwrap_or(0);

    let http = reqwest::blocking::Client::new();
    let ranged = http.get(&url).header("Range", "bytes=0-99").send()?;
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes()?.len(), 100);
    assert_eq!(http.get(&url).send()?.bytes()?.len() as u64, size);
    assert_eq!(http.head(&url).send()?.status(), 200);
    let beyond = http.get(&url).header("Range", format!("bytes={size}-")).send()?;
    assert_eq!(beyond.status(), 416);

    // The queue gauge is refreshed when the supervisor polls after the last job ends.
    let deadline = Instant::now() + Duration::from_secs(10);
    let samples = loop {
        let samples = scrape(&node)?;
        if value(&samples, "shoal_transcode_jobs_queued", &[]) == Some(0.0) || Instant::now() > deadline {
            break samples;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let expect = |name: &str, labels: &[(&str, &str)], want: f64| {
        assert_eq!(value(&samples, name, labels), Some(want), "{name}{labels:?} in {samples}");
    };
    expect("shoal_videos_uploaded_total", &[], 1.0);
    expect("shoal_upload_bytes_total", &[], source_bytes as f64);
    expect("shoal_transcode_attempts_total", &[("outcome", "done")], 2.0);
    expect("shoal_transcode_frames_total", &[], f64::from(2 * FRAMES));
    expect("shoal_transcode_jobs_running", &[], 0.0);
    expect("shoal_transcode_jobs_queued", &[], 0.0);
    expect("shoal_web_seed_requests_total", &[("status", "206")], 1.0);
    expect("shoal_web_seed_requests_total", &[("status", "200")], 2.0);
    expect("shoal_web_seed_requests_total", &[("status", "416")], 1.0);
    expect("shoal_web_seed_bytes_total", &[], (100 + size) as f64);
    let encode_secs = value(&samples, "shoal_transcode_encode_seconds_total", &[]).unwrap_or(0.0);
    assert!(encode_secs > 0.0, "encode time counted: {encode_secs}");
    Ok(())
}

/// `/metrics` as parsed by prometheus_client: a JSON array of samples.
fn scrape(node: &TestNode) -> Result<Value> {
    let response = reqwest::blocking::get(node.url("/metrics"))?;
    assert_eq!(response.status(), 200);
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let text = response.text()?;
    let path = node.scratch().join("metrics.txt");
    std::fs::write(&path, &text)?;
    let out = run_ok(
        Command::new(system_python()).arg(tests_dir().join("scripts/parse_metrics.py")).arg(&path),
        Duration::from_secs(30),
    )
    .map_err(|e| anyhow::anyhow!("the OpenMetrics parser refused the exposition: {e}\n{text}"))?;
    Ok(serde_json::from_str(out.stdout.trim())?)
}

/// The value of the sample `name` whose labels are exactly `labels`.
fn value(samples: &Value, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples.as_array()?.iter().find_map(|s| {
        let have = s["labels"].as_object()?;
        let same =
            have.len() == labels.len() && labels.iter().all(|(k, v)| have.get(*k).and_then(Value::as_str) == Some(v));
        (s["name"] == name && same).then(|| s["value"].as_f64()).flatten()
    })
}
