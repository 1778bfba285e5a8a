//! Time to repair: four redundancy nodes on loopback (k = 2), an origin with ten videos of
//! about 20 MB; the mirror holding the most copies is killed with `kill -9`. Prints the time
//! until the survivors see the loss, and from the loss being seen to every video having k
//! complete copies again, with the bytes copied.
//!
//!   cargo build --release --workspace --all-targets
//!   cargo bench -p shoal-tests --bench repair_time
//!
//! `REPAIR_BENCH_VIDEOS` (default 10) and `REPAIR_BENCH_SECS` (seconds of 240p noise at
//! 8 Mbit/s per video, default 20: about 20 MB) change the load.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use shoal_tests::federation::{federating, wait_for, PUBLISH_TIMEOUT};
use shoal_tests::media::ffmpeg_noisy_mp4;
use shoal_tests::redundancy_federation::{start_federation, FederationSettings};
use shoal_tests::Result;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<()> {
    let videos = env_or("REPAIR_BENCH_VIDEOS", 10) as usize;
    let secs = env_or("REPAIR_BENCH_SECS", 20) as f64;
    let settings = FederationSettings { min_lifetime_secs: 3_600, ..FederationSettings::default() };
    let mut fed = start_federation(4, settings.clone(), |_| {
        federating().ladder_with_bitrates(&[(240, 8_000)]).set("transcoding.concurrency", 2)
    })?;
    let origin = &fed.nodes[0];
    let admin = origin.admin()?;
    let mut uploads = Vec::new();
    for i in 0..videos {
        let path = origin.scratch().join(format!("bench-{i}.mp4"));
        ffmpeg_noisy_mp4(&path, 426, 240, 15, secs, 90)?;
        uploads.push(admin.upload(&path, &format!("bench {i}"))?);
    }
    let mut files = Vec::new();
    let mut total_bytes = 0u64;
    for upload in &uploads {
        let video = admin.wait_published(&upload.uuid, 1, PUBLISH_TIMEOUT * 3)?;
        let file = &video["files"][0];
        let magnet = file["magnetUri"].as_str().unwrap_or_default();
        let info_hash: String = magnet.split("xt=urn:btih:").nth(1).unwrap_or_default().chars().take(40).collect();
        total_bytes += file["size"].as_u64().unwrap_or(0);
        files.push((
            video["url"].as_str().unwrap_or_default().to_string(),
            info_hash.to_lowercase(),
            file["size"].as_u64().unwrap_or(0),
        ));
    }
    println!(
        "{videos} videos, {:.1} MB in all ({:.1} MB each on average)",
        total_bytes as f64 / 1e6,
        total_bytes as f64 / 1e6 / videos as f64
    );
    let all = [0usize, 1, 2, 3];
    let holders_of = |fed: &shoal_tests::redundancy_federation::RedundancyFederation,
                      hash: &str,
                      among: &[usize]|
     -> Result<BTreeSet<usize>> {
        let mut set = BTreeSet::new();
        for i in among {
            if fed.held(*i)?.iter().any(|h| h == hash) {
                set.insert(*i);
            }
        }
        Ok(set)
    };
    let placed_start = Instant::now();
    wait_for(Duration::from_secs(900), "initial placement", |last| {
        let mut done = 0;
        for (_, hash, _) in &files {
            if holders_of(&fed, hash, &all)?.len() == 2 {
                done += 1;
            }
        }
        *last = format!("{done}/{videos} at k");
        Ok((done == videos).then_some(()))
    })?;
    println!("initial placement: {:.1} s for {} copies", placed_start.elapsed().as_secs_f64(), 2 * videos);

    // The mirror holding the most copies.
    let mut counts = [0usize; 4];
    for (_, hash, _) in &files {
        for h in holders_of(&fed, hash, &all)? {
            counts[h] += 1;
        }
    }
    let victim = (1..4).max_by_key(|i| counts[*i]).unwrap_or(1);
    let lost_copies = counts[victim];
    let lost_bytes: u64 = files
        .iter()
        .filter(|(_, hash, _)| fed.held(victim).map(|h| h.contains(hash)).unwrap_or(false))
        .map(|(_, _, size)| *size)
        .sum();
    let survivors: Vec<usize> = all.iter().copied().filter(|i| *i != victim).collect();
    let victim_id = fed.peer_ids[victim].clone();
    fed.nodes[victim].kill9()?;
    let killed = Instant::now();
    wait_for(Duration::from_secs(120), "loss detected", |last| {
        let status = fed.status(survivors[0])?;
        let lost = status["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["peerId"] == victim_id.as_str() && m["state"] == "lost"));
        *last = status["members"].to_string();
        Ok(lost.then_some(()))
    })?;
    let detected = Instant::now();
    wait_for(Duration::from_secs(900), "repaired to k", |last| {
        let mut done = 0;
        for (_, hash, _) in &files {
            if holders_of(&fed, hash, &survivors)?.len() == 2 {
                done += 1;
            }
        }
        *last = format!("{done}/{videos} at k");
        Ok((done == videos).then_some(()))
    })?;
    let repaired = detected.elapsed();
    println!(
        "killed node {victim} holding {lost_copies} copies ({:.1} MB); loss detected after {:.1} s (member_timeout {} s)",
        lost_bytes as f64 / 1e6,
        detected.duration_since(killed).as_secs_f64(),
        settings.member_timeout_secs
    );
    println!(
        "repair: from loss detected to k copies of all {videos} videos: {:.1} s (repair_delay {} s), {:.1} MB/s copied",
        repaired.as_secs_f64(),
        settings.repair_delay_secs,
        lost_bytes as f64 / 1e6 / repaired.as_secs_f64().max(0.001)
    );
    Ok(())
}
