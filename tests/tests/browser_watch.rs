//! The watch page in real browsers (Debian's Chromium through playwright-core), in a
//! network namespace of the test's own where WebRTC works: three Chromium processes
//! open one video a few seconds apart and all play; the second and third get bytes
//! from peers, and the three together pull at most 1.5 copies of the file from the
//! web seed. A browser without WebRTC, one without service workers, and one whose
//! torrent cannot start play over plain HTTP.

use shoal_tests::browser::{publish_noisy_video, watch, Viewer};
use shoal_tests::netns::NetNs;
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
