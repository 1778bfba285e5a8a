//! The watch page in real browsers (Debian's Chromium through playwright-core), in a
//! network namespace of the test's own where WebRTC works: three Chromium processes
//! open one video a few seconds apart and all play; the second and third get bytes
//! from peers, and the three together pull at most 1.5 copies of the file from the
//! web seed. A browser without WebRTC, one without service workers, and one whose
//! torrent cannot start play over plain HTTP. With its origin stopped, a video still plays
//! on another instance of the redundancy federation, from the copy a member holds.

use shoal_tests::browser::{publish_noisy_video, watch, Viewer};
use shoal_tests::federation::{federating, follow_instance, host_of, wait_follow_accepted, wait_for};
use shoal_tests::netns::NetNs;
use shoal_tests::redundancy_federation::{start_federation, FederationSettings};
use shoal_tests::verify::get_bytes;
use shoal_tests::{NodeBuilder, Result};
use std::time::Duration;

/// Seconds of video: long enough that playback is still going when the third viewer starts.
const VIDEO_SECS: f64 = 30.0;
const KBPS: u32 = 900;
/// Noise strength of the source: a file of a few MB.
const NOISE: u32 = 12;

#[test]
fn three_browsers_share_one_video_and_spare_the_server() -> Result<()> {
    let netns = NetNs::create()?;
    netns.run(|| {
        let node =
            NodeBuilder::new().ladder_with_bitrates(&[(240, KBPS)]).command_prefix(netns.exec_prefix()).start()?;
        let video = publish_noisy_video(&node, "shared by three", VIDEO_SECS, NOISE)?;
        let url = node.url(&format!("/w/{}", video.short_uuid));
        let viewers: Vec<Viewer> = (0..3).map(|i| Viewer::new(&url, Duration::from_secs(4 * i))).collect();
        let report = watch(&netns, &viewers, Duration::from_secs(12), &node.scratch())?;
        let seed_bytes = node.metric("shoal_web_seed_bytes_total")?;
        let context = format!("{}\nweb seed sent {seed_bytes} bytes; file {} bytes", report.describe(), video.size);

        for i in 0..3 {
            assert_eq!(report.last[i]["mode"], "p2p", "viewer {i} plays peer-to-peer\n{context}");
            let advance = report.playhead_advance(i);
            assert!(advance >= 5.0, "viewer {i}'s playhead moved {advance} s\n{context}");
        }
        for i in 1..3 {
            assert!(report.number(i, "fromPeers") > 0.0, "viewer {i} got bytes from peers\n{context}");
        }
        let limit = 1.5 * video.size as f64;
        let from_server: f64 = (0..3).map(|i| report.number(i, "fromServer")).sum();
        assert!(from_server <= limit, "the pages counted {from_server} bytes from the server\n{context}");
        assert!(seed_bytes <= limit, "the web seed sent {seed_bytes} bytes\n{context}");
        eprintln!("{context}");
        Ok(())
    })
}

#[test]
fn browsers_without_webrtc_or_service_workers_or_a_working_torrent_play_over_http() -> Result<()> {
    let netns = NetNs::create()?;
    netns.run(|| {
        let node =
            NodeBuilder::new().ladder_with_bitrates(&[(240, 300)]).command_prefix(netns.exec_prefix()).start()?;
        let video = publish_noisy_video(&node, "plain HTTP", 20.0, 5)?;
        let url = node.url(&format!("/videos/watch/{}", video.uuid));
        let mut no_webrtc = Viewer::new(&url, Duration::ZERO);
        no_webrtc.no_webrtc = true;
        let mut no_workers = Viewer::new(&url, Duration::ZERO);
        no_workers.block_service_workers = true;
        // Alone in its swarm, with the web seed refusing pieces: the torrent cannot start.
        let mut stalled = Viewer::new(format!("{url}?stall=4000"), Duration::ZERO);
        stalled.refuse_web_seed_pieces = true;
        let report = watch(&netns, &[no_webrtc, no_workers, stalled], Duration::from_secs(12), &node.scratch())?;
        let context = report.describe();
        let reasons =
            ["this browser has no WebRTC", "service workers are unavailable", "the torrent did not start in time"];
        assert!(!report.last[1]["error"].is_null(), "the refused registration is reported\n{context}");
        for (i, reason) in reasons.iter().enumerate() {
            assert_eq!(report.last[i]["mode"], "http", "viewer {i} falls back\n{context}");
            assert_eq!(report.last[i]["fallbackReason"], *reason, "viewer {i}\n{context}");
            let advance = report.playhead_advance(i);
            assert!(advance >= 2.0, "viewer {i}'s playhead moved {advance} s\n{context}");
        }
        assert_eq!(report.number(2, "fromServer"), 0.0, "no piece came through\n{context}");
        assert!(node.metric("shoal_web_seed_bytes_total")? > 0.0, "the web seed served the HTTP players");
        Ok(())
    })
}

#[test]
fn a_mirrored_video_plays_on_another_member_while_its_origin_is_down() -> Result<()> {
    let netns = NetNs::create()?;
    netns.run(|| {
        // Three members, one copy (k = 1) besides the origin's: one of nodes 1 and 2 mirrors
        // the video, the other follows the origin over ActivityPub and is where it is watched.
        let settings = FederationSettings { replicas: 1, replicas_max: 1, ..FederationSettings::default() };
        let mut fed = start_federation(3, settings, |_| {
            federating().ladder_with_bitrates(&[(240, 300)]).command_prefix(netns.exec_prefix())
        })?;
        let origin_host = host_of(&fed.nodes[0]);
        for i in 1..3 {
            follow_instance(&fed.nodes[i].admin()?, &origin_host)?;
            wait_follow_accepted(&fed.nodes[i], &fed.nodes[0])?;
        }
        let video = publish_noisy_video(&fed.nodes[0], "kept by its mirror", 20.0, 5)?;
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build()?;
        let info_hash: String = shoal_protocol::torrent::info_hash_of(&get_bytes(&http, &video.torrent_url)?)?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mirror = wait_for(Duration::from_secs(90), "one member holds a copy", |last| {
            let holders: Vec<usize> =
                (1..3).filter(|i| fed.held(*i).is_ok_and(|held| held.contains(&info_hash))).collect();
            *last = format!("holders {holders:?}");
            Ok((holders.len() == 1).then(|| holders[0]))
        })?;
        let viewer = 3 - mirror;
        let copy_url = fed.nodes[mirror]
            .url(&format!("/static/redundancy/{}", video.file_url.rsplit('/').next().unwrap_or_default()));
        let on_viewer = fed.nodes[viewer].anonymous()?;
        wait_for(Duration::from_secs(30), "the viewer's instance lists the mirror", |last| {
            let listed = on_viewer.video(&video.uuid).map(|v| v["files"][0]["redundancies"].clone());
            *last = format!("{listed:?}");
            Ok(listed.ok().filter(|r| r.to_string().contains(&copy_url)).map(|_| ()))
        })?;
        fed.nodes[0].terminate(Duration::from_secs(20))?;

        let url = fed.nodes[viewer].url(&format!("/w/{}", video.short_uuid));
        let report =
            watch(&netns, &[Viewer::new(&url, Duration::ZERO)], Duration::from_secs(12), &fed.nodes[viewer].scratch())?;
        let mirror_bytes = fed.nodes[mirror].metric("shoal_web_seed_bytes_total")?;
        let context = format!("{}\nthe mirror's web seed sent {mirror_bytes} bytes", report.describe());
        let advance = report.playhead_advance(0);
        assert!(advance >= 3.0, "the playhead moved {advance} s with the origin down\n{context}");
        assert!(mirror_bytes > 0.0, "the bytes came from the mirror\n{context}");
        eprintln!("origin down, played in mode {}: {context}", report.last[0]["mode"]);
        Ok(())
    })
}
