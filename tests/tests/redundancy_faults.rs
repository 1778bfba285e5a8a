//! Redundancy nodes under faults, as real `shoal` processes on loopback:
//!
//! - `kill -9` during a transfer: the origin serves slowly (`max_bytes_per_second`); a mirror
//!   is killed part-way and restarted; its job resumes from the pieces recorded in sled, so
//!   the bytes it fetches after the restart are fewer than the file, and the copy verifies.
//! - A trusted member that serves corrupt pieces (its copy damaged on disk): nothing corrupt
//!   is kept, the repair copy completes from the origin, and the member is counted as
//!   misbehaving.

use serde_json::Value;
use std::time::{Duration, Instant};

use shoal_tests::federation::{federating, wait_for, PUBLISH_TIMEOUT};
use shoal_tests::media::ffmpeg_noisy_mp4;
use shoal_tests::redundancy_federation::{start_federation, FederationSettings, RedundancyFederation};
use shoal_tests::verify::{check_pieces, fetch_torrent, get_bytes};
use shoal_tests::Result;

const CONVERGE: Duration = Duration::from_secs(90);

/// Uploads a noisy clip (hundreds of KB at 120p) on `origin`; returns (video url, info hash, file url, torrent url).
fn publish_noisy(fed: &RedundancyFederation, origin: usize, secs: f64) -> Result<(String, String, String, String)> {
    let node = &fed.nodes[origin];
    let admin = node.admin()?;
    let path = node.scratch().join("noisy.mp4");
    ffmpeg_noisy_mp4(&path, 320, 240, 15, secs, 60)?;
    let upload = admin.upload(&path, "noisy")?;
    let video = admin.wait_published(&upload.uuid, 1, PUBLISH_TIMEOUT)?;
    let file = &video["files"][0];
    let magnet = file["magnetUri"].as_str().unwrap_or_default();
    let info_hash = magnet
        .split("xt=urn:btih:")
        .nth(1)
        .map(|rest| rest.chars().take(40).collect::<String>().to_lowercase())
        .unwrap_or_default();
    Ok((
        video["url"].as_str().unwrap_or_default().to_string(),
        info_hash,
        file["fileUrl"].as_str().unwrap_or_default().to_string(),
        file["torrentUrl"].as_str().unwrap_or_default().to_string(),
    ))
}

fn transfer_of(status: &Value, info_hash: &str) -> Option<Value> {
    status["fetching"].as_array()?.iter().find(|j| j["infoHash"] == info_hash).cloned()
}

#[test]
fn a_transfer_killed_part_way_resumes_from_its_verified_pieces() -> Result<()> {
    let settings = FederationSettings { replicas: 1, replicas_max: 1, ..FederationSettings::default() };
    let mut fed = start_federation(2, settings, |i| {
        let node = federating().ladder_with_bitrates(&[(120, 600)]);
        // The origin serves members slowly, so the transfer can be interrupted.
        if i == 0 {
            node.set("redundancy.max_bytes_per_second", 60_000)
        } else {
            node
        }
    })?;
    let (_, info_hash, file_url, torrent_url) = publish_noisy(&fed, 0, 12.0)?;
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build()?;
    let original = get_bytes(&http, &file_url)?;
    let size = original.len() as u64;
    assert!(size > 200_000, "the clip is big enough to interrupt ({size} bytes)");

    // Wait until node 1 is part-way through, then kill it.
    let done_before = wait_for(CONVERGE, "the mirror part-way through", |last| {
        let status = fed.status(1)?;
        *last = status["fetching"].to_string();
        let Some(job) = transfer_of(&status, &info_hash) else { return Ok(None) };
        let done = job["bytesDone"].as_u64().unwrap_or(0);
        Ok((done >= size / 4 && done < size * 3 / 4).then_some(done))
    })?;
    fed.nodes[1].kill9()?;
    fed.nodes[1].restart()?;
    let restarted = Instant::now();
    wait_for(CONVERGE, "the resumed copy complete", |last| {
        let held = fed.held(1)?;
        *last = format!("{held:?}");
        Ok(held.contains(&info_hash).then_some(()))
    })?;
    let after: f64 = ["member", "web_seed"]
        .iter()
        .map(|k| {
            fed.nodes[1].metric(&format!("shoal_redundancy_fetched_bytes_total{{source_kind=\"{k}\"}}")).unwrap_or(0.0)
        })
        .sum();
    eprintln!(
        "{done_before} of {size} bytes verified before kill -9; {after} fetched after the restart, in {:.1} s",
        restarted.elapsed().as_secs_f64()
    );
    assert!(after > 0.0, "the restarted job fetched the rest");
    assert!((after as u64) < size, "the restarted job fetched {after} bytes of a {size}-byte file: it did not resume");
    let copy = get_bytes(
        &http,
        &fed.nodes[1].url(&format!("/static/redundancy/{}", file_url.rsplit('/').next().unwrap_or(""))),
    )?;
    assert!(copy == original, "the resumed copy is the origin's file");
    check_pieces(&fetch_torrent(&http, &torrent_url)?, &copy)?;
    Ok(())
}

#[test]
fn a_member_serving_corrupt_pieces_is_caught_and_the_copy_completes_from_others() -> Result<()> {
    let settings = FederationSettings::default();
    let mut fed = start_federation(4, settings, |_| federating())?;
    let (video_url, info_hash, file_url, torrent_url) = publish_noisy(&fed, 0, 4.0)?;
    let all = [0, 1, 2, 3];
    let placed = fed.placed(&video_url, 0, &all)?;
    wait_for(CONVERGE, "both mirrors hold the copy", |last| {
        let mut ok = true;
        for m in &placed {
            ok &= fed.held(*m)?.contains(&info_hash);
        }
        *last = format!("placed {placed:?}");
        Ok(ok.then_some(()))
    })?;
    let (bad, gone) = (placed[0], placed[1]);
    let spare = *all.iter().find(|i| **i != 0 && !placed.contains(i)).unwrap_or(&3);
    // Damage the bad member's copy on disk: it keeps serving what is there.
    let filename = file_url.rsplit('/').next().unwrap_or_default().to_string();
    let path = fed.nodes[bad].data_dir().join("media").join("redundancy").join(&filename);
    let mut bytes = std::fs::read(&path)?;
    for b in bytes.iter_mut().skip(64) {
        *b ^= 0x5a;
    }
    std::fs::write(&path, &bytes)?;
    // Lose the other mirror: the spare is placed and must fetch from the bad member or the origin.
    fed.nodes[gone].kill9()?;
    wait_for(CONVERGE, "the spare's repair copy", |last| {
        let held = fed.held(spare)?;
        *last = format!("{held:?}");
        Ok(held.contains(&info_hash).then_some(()))
    })?;
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build()?;
    let original = get_bytes(&http, &file_url)?;
    let copy = get_bytes(&http, &fed.nodes[spare].url(&format!("/static/redundancy/{filename}")))?;
    assert!(copy == original, "nothing corrupt was kept");
    check_pieces(&fetch_torrent(&http, &torrent_url)?, &copy)?;
    let rejected = fed.nodes[spare].metric("shoal_redundancy_pieces_rejected_total{source_kind=\"member\"}")?;
    assert!(rejected >= 1.0, "the corrupt piece was counted");
    assert!(fed.nodes[spare].metric("shoal_redundancy_misbehaving_sources_total")? >= 1.0);
    let status = fed.status(spare)?;
    let bad_id = &fed.peer_ids[bad];
    let member = status["members"].as_array().and_then(|m| m.iter().find(|m| m["peerId"] == bad_id.as_str()).cloned());
    assert!(
        member.as_ref().and_then(|m| m["badPieces"].as_u64()).unwrap_or(0) >= 1,
        "the spare's status shows the bad member's bad pieces: {status:#}"
    );
    Ok(())
}
