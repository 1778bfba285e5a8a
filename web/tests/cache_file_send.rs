//! Issue 11, "Serve and announce", the sending side: a Shoal node served on a real socket
//! announces a copy of a fake PeerTube 8.0's video (`tests/scripts/fake_peertube.py`, which
//! verifies draft-cavage signatures with `httpsig` and checks objects with a port of
//! PeerTube's validators): `Create` CacheFile with PeerTube's fields, `Update` with a
//! later `expires`, `Undo`, each from the instance actor to the video owner's shared
//! inbox, signed, and processed as PeerTube processes them.
//!
//! Run in-process (the node binary has no trigger for an announcement until mirror jobs
//! complete); everything else is the real path: the durable delivery queue, the signer,
//! the HTTP surface the fake fetches Shoal's key from.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use shoal_actors::activitypub::{Announced, CopyAnnouncement};
use shoal_actors::replication::admin::{copy_id, Removed};
use shoal_actors::replication::copies::{CopyReason, CopyRecord};
use shoal_actors::Shoal;

mod common;

/// The fake PeerTube as a child process, killed on drop.
struct FakePeerTube {
    child: Child,
    ready: Value,
    host: String,
}

impl FakePeerTube {
    fn start() -> FakePeerTube {
        let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests");
        let python = tests.join(".venv/bin/python");
        assert!(python.exists(), "{} is missing: run `bash scripts/setup.sh`", python.display());
        let mut child = Command::new(python)
            .arg(tests.join("scripts/fake_peertube.py"))
            .current_dir(tests.join("scripts"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting fake_peertube.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("ready line");
        let ready: Value = serde_json::from_str(line.trim()).expect("ready line is JSON");
        let host = ready["host"].as_str().expect("host").to_string();
        FakePeerTube { child, ready, host }
    }

    /// `GET /_control/state` over a plain HTTP/1.0 exchange.
    fn state(&self) -> Value {
        let mut stream = std::net::TcpStream::connect(&self.host).expect("connect to the fake");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        write!(stream, "GET /_control/state HTTP/1.0\r\nHost: {}\r\n\r\n", self.host).expect("request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        serde_json::from_str(body).unwrap_or_else(|e| panic!("state is not JSON ({e}): {answer}"))
    }

    /// Waits (30 s at most) for a processed delivery whose activity matches `pred`.
    fn delivery(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state = self.state();
            let found = state["deliveries"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|d| !d["outcome"].is_null() && d["status"] == 204 && pred(&d["activity"]))
                .cloned();
            if let Some(found) = found {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not delivered within 30 s; deliveries: {:#}",
                state["deliveries"]
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for FakePeerTube {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_cache_file(activity: &Value, kind: &str) -> bool {
    activity["type"] == kind
        && (activity["object"]["type"] == "CacheFile" || activity["object"]["object"]["type"] == "CacheFile")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_and_undo_reach_peertube_signed_with_its_fields() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = common::test_config(dir.path());
    let base = format!("http://{addr}");
    config.instance.public_url = base.clone();
    config.federation.allow_private_addresses = true;
    config.federation.delivery_backoff_initial_ms = 200;
    config.federation.delivery_backoff_max_secs = 2;
    config.federation.circuit_breaker_open_secs = 2;
    let shoal = Shoal::start(config).await.expect("starting Shoal");
    let app = shoal_web::router(shoal.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let fake = tokio::task::spawn_blocking(FakePeerTube::start).await.expect("fake");
    let video_url = fake.ready["video"]["url"].as_str().expect("video url").to_string();
    let uuid = fake.ready["video"]["uuid"].as_str().expect("video uuid").to_string();
    let root = format!("http://{}/accounts/root", fake.host);

    let copy = CopyAnnouncement {
        info_hash: [0xab; 20],
        video_url: video_url.clone(),
        video_uuid: uuid.parse().expect("uuid"),
        origin_host: fake.host.clone(),
        filename: format!("{uuid}-720.mp4"),
        size: 123_456,
        resolution: 720,
        fps: 29.97,
        created_at: 1,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let ap = shoal.activitypub().clone();
    assert_eq!(ap.announce_copy(&copy, Some(now + 86_400)).await.expect("announce"), Announced::Created);

    let cache_file_id = format!("{base}/redundancy/videos/{uuid}/720-30");
    let created = {
        let fake = &fake;
        tokio::task::block_in_place(|| fake.delivery("Create CacheFile", |a| is_cache_file(a, "Create")))
    };
    // Signed as PeerTube checks it (draft-cavage, key owner is the actor), to the shared inbox.
    assert_eq!(created["path"], "/inbox", "{created:#}");
    assert_eq!(created["verification"]["ok"], true, "{created:#}");
    assert_eq!(created["verification"]["owner_is_actor"], true, "{created:#}");
    let outcome = created["outcome"].as_str().unwrap_or_default();
    assert!(outcome.contains("cache file valid"), "PeerTube's checks pass: {outcome}");
    // PeerTube's fields and URL shapes.
    let activity = &created["activity"];
    assert_eq!(activity["id"], format!("{cache_file_id}/activity"));
    assert_eq!(activity["actor"], format!("{base}/accounts/peertube"));
    assert_eq!(activity["to"], json!([root]));
    let object = &activity["object"];
    assert_eq!(object["id"], cache_file_id);
    assert_eq!(object["type"], "CacheFile");
    assert_eq!(object["object"], video_url);
    assert!(object["expires"].as_str().is_some_and(|e| e.ends_with(".000Z")), "{object}");
    assert_eq!(
        object["url"],
        json!({ "type": "Link", "mediaType": "video/mp4", "href": format!("{base}/static/redundancy/{uuid}-720.mp4"),
                "height": 720, "size": 123_456, "fps": 30 })
    );
    assert!(
        activity["@context"].as_array().is_some_and(|c| c.iter().any(|t| t["CacheFile"] == "pt:CacheFile")),
        "{:#}",
        activity["@context"]
    );
    let first_expires = object["expires"].clone();

    // Announced again: an Update with the later expiry.
    assert_eq!(ap.announce_copy(&copy, Some(now + 7 * 86_400)).await.expect("re-announce"), Announced::Updated);
    let updated = {
        let fake = &fake;
        tokio::task::block_in_place(|| fake.delivery("Update CacheFile", |a| is_cache_file(a, "Update")))
    };
    assert_eq!(updated["verification"]["ok"], true, "{updated:#}");
    assert!(updated["activity"]["id"].as_str().unwrap_or_default().starts_with(&format!("{cache_file_id}/updates/")));
    assert_eq!(updated["activity"]["object"]["id"], cache_file_id);
    assert_ne!(updated["activity"]["object"]["expires"], first_expires, "expires moved");
    assert!(updated["outcome"].as_str().unwrap_or_default().contains("cache file valid"), "{updated:#}");

    // An administrator removes the copy (`DELETE /api/v1/server/redundancy/videos/{id}`):
    // an Undo of the Create, which PeerTube applies (its actor's own CacheFile).
    let record = CopyRecord {
        info_hash: copy.info_hash,
        video_uuid: copy.video_uuid,
        video_url: copy.video_url.clone(),
        origin_host: copy.origin_host.clone(),
        filename: copy.filename.clone(),
        size: copy.size,
        created_at: 1,
        reason: CopyReason::Manual,
    };
    shoal.copies().put(&record).expect("a copy record");
    let removed = shoal.remove_redundancy(copy_id(&record)).await.expect("remove");
    assert!(matches!(removed, Some(Removed::Copy(_))), "{removed:?}");
    assert!(shoal.copies().get(&copy.info_hash).expect("read").is_none(), "the record is gone");
    assert!(!ap.withdraw_copy(&copy.info_hash).await.expect("withdraw again"), "nothing left to withdraw");
    let undone = {
        let fake = &fake;
        tokio::task::block_in_place(|| fake.delivery("Undo CacheFile", |a| is_cache_file(a, "Undo")))
    };
    assert_eq!(undone["verification"]["ok"], true, "{undone:#}");
    assert_eq!(undone["activity"]["id"], format!("{cache_file_id}/undo"));
    assert_eq!(undone["activity"]["object"]["id"], format!("{cache_file_id}/activity"));
    assert!(undone["outcome"].as_str().unwrap_or_default().starts_with("cache file undone"), "{undone:#}");
    let state = tokio::task::block_in_place(|| fake.state());
    let record = state["cache_files"].as_array().and_then(|c| c.iter().find(|r| r["id"] == cache_file_id)).cloned();
    let record = record.unwrap_or_else(|| panic!("the fake recorded the CacheFile: {:#}", state["cache_files"]));
    assert_eq!((record["updates"].as_u64(), record["undone"].as_bool()), (Some(1), Some(true)), "{record:#}");
    assert_eq!(record["actor"], format!("{base}/accounts/peertube"));

    shoal.shutdown().await;
    server.abort();
}
