//! The HLS player (`?player=hls`: hls.js with p2p-media-loader 2.2, the libraries PeerTube 8's
//! player uses) in real browsers (Debian's Chromium through playwright-core), in a network
//! namespace of the test's own where WebRTC works: three Chromium processes open one video
//! 4 s apart; all play past 3 s, every segment checks against `segments-sha256.json`, and the
//! second and third get segment bytes from the viewers before them, whose swarms they find
//! through Shoal's own tracker in its hosted-only mode. A node whose `ui.player` is `hls`
//! plays HLS without being asked. A followed instance's video keeps its playlist on the
//! follower, whose watch page plays it with the HLS player (from the origin's files). The
//! player PeerTube 6 and 7 shipped (`@peertube/p2p-media-loader` 1.0.20 with hls.js 1.5, in
//! PeerTube's configuration, on a page of its own) plays a Shoal playlist and finds a second
//! viewer through Shoal's tracker. With a redundancy member holding a copy, the HLS player
//! takes segments from the mirror as well as from the origin, each checked against the hashes.

use shoal_protocol::hls::swarm_ids;
use shoal_tests::browser::{publish_noisy_video, watch, Viewer};
use shoal_tests::federation::{federating, follow_instance, host_of, wait_follow_accepted, wait_for};
use shoal_tests::netns::NetNs;
use shoal_tests::peertube_player::PeerTubePlayerPage;
use shoal_tests::redundancy_federation::{start_federation, FederationSettings};
use shoal_tests::tracker::{failure_reason, http_announce};
use shoal_tests::{NodeBuilder, Result};
use std::time::Duration;

/// Seconds of video: playback is still going when the third viewer starts.
const VIDEO_SECS: f64 = 30.0;
const KBPS: u32 = 900;
const NOISE: u32 = 12;

#[test]
fn three_hls_viewers_exchange_segments_through_the_nodes_tracker() -> Result<()> {
    let netns = NetNs::create()?;
    netns.run(|| {
        let node =
            NodeBuilder::new().ladder_with_bitrates(&[(240, KBPS)]).command_prefix(netns.exec_prefix()).start()?;
        let video = publish_noisy_video(&node, "shared over HLS", VIDEO_SECS, NOISE)?;
        let url = node.url(&format!("/w/{}?player=hls", video.short_uuid));
        let viewers: Vec<Viewer> = (0..3).map(|i| Viewer::new(&url, Duration::from_secs(4 * i))).collect();
        let report = watch(&netns, &viewers, Duration::from_secs(12), &node.scratch())?;
        let seed_bytes = node.metric("shoal_web_seed_bytes_total")?;
        let context = format!("{}\nweb seed sent {seed_bytes} bytes; file {} bytes", report.describe(), video.size);
        for i in 0..3 {
            assert_eq!(report.last[i]["player"], "hls", "viewer {i} runs the HLS player\n{context}");
            assert_eq!(report.last[i]["mode"], "p2p", "viewer {i} plays peer-to-peer\n{context}");
            let advance = report.playhead_advance(i);
            assert!(advance >= 3.0, "viewer {i}'s playhead moved {advance} s\n{context}");
            assert_eq!(report.number(i, "segmentsRejected"), 0.0, "viewer {i}: every segment matched\n{context}");
        }
        for i in 1..3 {
            assert!(report.number(i, "fromPeers") > 0.0, "viewer {i} got segments from peers\n{context}");
        }
        assert!(report.number(0, "uploaded") > 0.0, "the first viewer shared segments\n{context}");
        eprintln!("{context}");
        Ok(())
    })
}

#[test]
fn a_listed_peer_that_never_answers_delays_the_first_segment_only_briefly() -> Result<()> {
    let netns = NetNs::create()?;
    netns.run(|| {
        let node =
            NodeBuilder::new().ladder_with_bitrates(&[(240, 300)]).command_prefix(netns.exec_prefix()).start()?;
        let video = publish_noisy_video(&node, "a silent peer", 10.0, 5)?;
        let master = node.admin()?.video(&video.uuid)?["streamingPlaylists"][0]["playlistUrl"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no playlist"))?;
        // A peer in the stream's swarm (an HTTP announce) that no browser can reach: the page
        // says someone is watching, the player waits for a peer, none comes.
        let hash = swarm_ids::v2_info_hash(&master, 0);
        let reply = http_announce(node.base_url(), &hash, b"-XX0001-silentpeer01", 9, 1, "started")?;
        assert!(failure_reason(&reply).is_none(), "{reply:?}");
        let page = node.url(&format!("/w/{}?player=hls", video.short_uuid));
        let report = watch(&netns, &[Viewer::new(&page, Duration::ZERO)], Duration::from_secs(8), &node.scratch())?;
        let context = report.describe();
        let last = &report.last[0];
        assert!(last["timeline"]["httpOpened"].is_number(), "the player waited, then opened HTTP\n{context}");
        assert!(report.playhead_advance(0) >= 3.0, "and plays from the server\n{context}");
        assert!(report.number(0, "fromServer") > 0.0, "{context}");
        let first_frame = report.number(0, "firstFrameMs");
        assert!(first_frame < 5_000.0, "the wait stays short: first frame at {first_frame} ms\n{context}");
        Ok(())
    })
}

#[test]
fn the_configured_default_player_is_hls() -> Result<()> {
    let netns = NetNs::create()?;
    netns.run(|| {
        let node = NodeBuilder::new()
            .ladder_with_bitrates(&[(240, 300)])
            .set("ui.player", "hls")
            .command_prefix(netns.exec_prefix())
            .start()?;
        let video = publish_noisy_video(&node, "HLS by default", 10.0, 5)?;
        let page = node.url(&format!("/videos/watch/{}", video.uuid));
        let viewers =
            [Viewer::new(&page, Duration::ZERO), Viewer::new(format!("{page}?player=webtorrent"), Duration::ZERO)];
        let report = watch(&netns, &viewers, Duration::from_secs(8), &node.scratch())?;
        let context = report.describe();
        assert_eq!(report.last[0]["player"], "hls", "the default\n{context}");
        assert!(report.last[1]["player"].is_null(), "?player=webtorrent still chooses webtorrent\n{context}");
        for i in 0..2 {
            assert!(report.playhead_advance(i) >= 3.0, "viewer {i} plays\n{context}");
        }
        Ok(())
    })
}

#[test]
fn a_followed_instances_hls_video_plays_on_the_followers_watch_page() -> Result<()> {
    let netns = NetNs::create()?;
    netns.run(|| {
        let origin = federating().ladder_with_bitrates(&[(240, 300)]).command_prefix(netns.exec_prefix()).start()?;
        let follower = federating().command_prefix(netns.exec_prefix()).start()?;
        follow_instance(&follower.admin()?, &host_of(&origin))?;
        wait_follow_accepted(&follower, &origin)?;
        let video = publish_noisy_video(&origin, "followed over HLS", 12.0, 5)?;
        let master = origin.admin()?.video(&video.uuid)?["streamingPlaylists"][0]["playlistUrl"].clone();
        let on_follower = follower.anonymous()?;
        wait_for(Duration::from_secs(60), "the follower lists the origin's playlist", |last| {
            let listed = on_follower.video(&video.uuid).map(|v| v["streamingPlaylists"][0]["playlistUrl"].clone());
            *last = format!("{listed:?} (origin's: {master})");
            Ok(listed.ok().filter(|url| *url == master && url.is_string()).map(|_| ()))
        })?;
        let page = follower.url(&format!("/w/{}?player=hls", video.short_uuid));
        let report = watch(&netns, &[Viewer::new(&page, Duration::ZERO)], Duration::from_secs(8), &follower.scratch())?;
        let context = report.describe();
        assert_eq!(report.last[0]["player"], "hls", "the HLS player\n{context}");
        assert_eq!(report.last[0]["mode"], "p2p", "plays the origin's playlist\n{context}");
        assert!(report.playhead_advance(0) >= 3.0, "the playhead moves\n{context}");
        assert!(report.number(0, "fromServer") > 0.0, "segments came from the origin\n{context}");
        assert_eq!(report.number(0, "segmentsRejected"), 0.0, "{context}");
        Ok(())
    })
}

#[test]
fn the_hls_player_takes_segments_from_a_mirror_too() -> Result<()> {
    let netns = NetNs::create()?;
    netns.run(|| {
        let settings = FederationSettings { replicas: 1, replicas_max: 1, ..FederationSettings::default() };
        let fed = start_federation(2, settings, |_| {
            federating().ladder_with_bitrates(&[(240, 300)]).command_prefix(netns.exec_prefix())
        })?;
        let video = publish_noisy_video(&fed.nodes[0], "mirrored over HLS", 20.0, 5)?;
        let copy =
            fed.nodes[1].url(&format!("/static/redundancy/{}", video.file_url.rsplit('/').next().unwrap_or_default()));
        let on_origin = fed.nodes[0].anonymous()?;
        wait_for(Duration::from_secs(90), "the origin lists the member's copy", |last| {
            let listed = on_origin.video(&video.uuid).map(|v| v["files"][0]["redundancies"].clone());
            *last = format!("{listed:?}");
            Ok(listed.ok().filter(|r| r.to_string().contains(&copy)).map(|_| ()))
        })?;
        let page = fed.nodes[0].url(&format!("/w/{}?player=hls", video.short_uuid));
        let report =
            watch(&netns, &[Viewer::new(&page, Duration::ZERO)], Duration::from_secs(10), &fed.nodes[0].scratch())?;
        let mirror_bytes = fed.nodes[1].metric("shoal_web_seed_bytes_total")?;
        let context = format!("{}\nthe mirror's web seed sent {mirror_bytes} bytes", report.describe());
        assert!(report.playhead_advance(0) >= 3.0, "plays\n{context}");
        assert!(report.number(0, "mirrorRequests") > 0.0, "asked the mirror\n{context}");
        assert!(mirror_bytes > 0.0, "the mirror sent segments\n{context}");
        assert_eq!(report.number(0, "segmentsRejected"), 0.0, "the mirror's bytes match the hashes\n{context}");
        Ok(())
    })
}

#[test]
fn peertube_7s_player_plays_a_shoal_playlist_and_finds_a_second_viewer() -> Result<()> {
    let netns = NetNs::create()?;
    netns.run(|| {
        let node =
            NodeBuilder::new().ladder_with_bitrates(&[(240, KBPS)]).command_prefix(netns.exec_prefix()).start()?;
        let video = publish_noisy_video(&node, "for PeerTube's player", VIDEO_SECS, NOISE)?;
        let master = node.admin()?.video(&video.uuid)?["streamingPlaylists"][0]["playlistUrl"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no playlist"))?;
        // The page and its libraries, from tests/ (another origin than the node's: CORS).
        let player = PeerTubePlayerPage::start()?;
        let tracker = node.base_url().replace("http://", "ws://") + "/tracker/socket";
        let page = player.url(&master, &tracker);
        let viewers = [Viewer::new(&page, Duration::ZERO), Viewer::new(&page, Duration::from_secs(4))];
        let report = watch(&netns, &viewers, Duration::from_secs(12), &node.scratch())?;
        let context = report.describe();
        for i in 0..2 {
            assert_eq!(report.last[i]["mode"], "p2p", "viewer {i} loaded the playlist\n{context}");
            assert!(report.playhead_advance(i) >= 3.0, "viewer {i} plays\n{context}");
        }
        assert!(report.number(1, "peers") >= 1.0, "the second viewer found the first\n{context}");
        assert!(report.number(1, "fromPeers") > 0.0, "and got segments from it\n{context}");
        eprintln!("{context}");
        Ok(())
    })
}
