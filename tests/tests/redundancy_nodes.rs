//! Cooperating redundancy nodes, as real `shoal` processes on loopback talking libp2p over
//! QUIC: four nodes, k = 2, all trusting each other.
//!
//! - An origin publishes three videos; each gets exactly the two mirrors the placement
//!   function (computed here from the peer ids) names, never the origin; the mirrored files
//!   are byte-identical and every piece verifies against the torrent; they are served at
//!   `/static/redundancy/{file}` with Range; the mirrors announce them to the origin
//!   (ActivityPub `CacheFile`), which lists them in `redundancies` and the torrent's `url-list`;
//!   with the origin stopped, a member that follows the origin over ActivityPub and holds no
//!   copy still lists the video with the members' copies (API and watch page) and serves its
//!   torrent, taken from a member over libp2p; libtorrent downloads the file from that
//!   torrent's mirrors alone.
//! - `kill -9` of a mirror: the survivors are back to k copies within the configured bound;
//!   the mirror restarts with its copy intact, and the surplus copy is dropped after
//!   `min_lifetime`, leaving exactly k again.
//! - A stranger (an identity nobody trusts) connects: it is refused, gets no file and has no
//!   say in placement.

use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use shoal_tests::federation::{federating, follow_instance, host_of, upload_tiny, wait_follow_accepted, wait_for};
use shoal_tests::redundancy_federation::{start_federation, FederationSettings, RedundancyFederation};
use shoal_tests::tools::{run_with_timeout, system_python, tests_dir};
use shoal_tests::verify::{check_pieces, fetch_torrent, get_bytes};
use shoal_tests::Result;
use std::process::Command;

/// Time for placement to converge after the videos are published.
const CONVERGE: Duration = Duration::from_secs(60);

/// One published file of the origin.
struct OriginFile {
    video_url: String,
    info_hash: String,
    filename: String,
    file_url: String,
    torrent_url: String,
}

fn publish(fed: &RedundancyFederation, origin: usize, names: &[&str]) -> Result<Vec<OriginFile>> {
    let node = &fed.nodes[origin];
    let admin = node.admin()?;
    let mut files = Vec::new();
    for name in names {
        let (_, video) = upload_tiny(node, &admin, name)?;
        files.push(origin_file(&video)?);
    }
    Ok(files)
}

fn origin_file(video: &Value) -> Result<OriginFile> {
    let file = &video["files"][0];
    let file_url = file["fileUrl"].as_str().unwrap_or_default().to_string();
    let magnet = file["magnetUri"].as_str().unwrap_or_default();
    let info_hash = magnet
        .split("xt=urn:btih:")
        .nth(1)
        .map(|rest| rest.chars().take(40).collect::<String>().to_lowercase())
        .unwrap_or_default();
    Ok(OriginFile {
        video_url: video["url"].as_str().unwrap_or_default().to_string(),
        filename: file_url.rsplit('/').next().unwrap_or_default().to_string(),
        info_hash,
        file_url,
        torrent_url: file["torrentUrl"].as_str().unwrap_or_default().to_string(),
    })
}

/// The nodes among `among` whose status lists a complete copy of `info_hash`.
fn holders(fed: &RedundancyFederation, info_hash: &str, among: &[usize]) -> Result<BTreeSet<usize>> {
    let mut out = BTreeSet::new();
    for i in among {
        if fed.held(*i)?.iter().any(|h| h == info_hash) {
            out.insert(*i);
        }
    }
    Ok(out)
}

/// Waits until exactly `expected` hold each file.
fn wait_holders(
    fed: &RedundancyFederation,
    files: &[OriginFile],
    expected: &[BTreeSet<usize>],
    among: &[usize],
    timeout: Duration,
) -> Result<()> {
    wait_for(timeout, "copies placed as the placement function names", |last| {
        let mut all = true;
        let mut seen = Vec::new();
        for (file, want) in files.iter().zip(expected) {
            let got = holders(fed, &file.info_hash, among)?;
            all &= &got == want;
            seen.push(format!("{}: {got:?} (want {want:?})", file.filename));
        }
        *last = seen.join("; ");
        Ok(all.then_some(()))
    })
}

fn settings() -> FederationSettings {
    FederationSettings::default()
}

#[test]
fn four_nodes_keep_exactly_k_verified_copies_where_placement_says() -> Result<()> {
    let mut fed = start_federation(4, settings(), |_| federating())?;
    // The members follow the origin over ActivityPub too, so they show its videos.
    let origin_host = host_of(&fed.nodes[0]);
    for i in 1..4 {
        follow_instance(&fed.nodes[i].admin()?, &origin_host)?;
        wait_follow_accepted(&fed.nodes[i], &fed.nodes[0])?;
    }
    let files = publish(&fed, 0, &["alpha", "beta", "gamma"])?;
    let all = [0, 1, 2, 3];
    let expected: Vec<BTreeSet<usize>> = files
        .iter()
        .map(|f| fed.placed(&f.video_url, 0, &all).map(|p| p.into_iter().collect()))
        .collect::<Result<_>>()?;
    for want in &expected {
        assert_eq!(want.len(), 2, "k = 2 mirrors among three non-origin members");
        assert!(!want.contains(&0), "the origin is never its own mirror");
    }
    wait_holders(&fed, &files, &expected, &all, CONVERGE)?;

    // Every mirrored copy is the origin's file, byte for byte, and verifies piece by piece.
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build()?;
    for (file, want) in files.iter().zip(&expected) {
        let original = get_bytes(&http, &file.file_url)?;
        let metainfo = fetch_torrent(&http, &file.torrent_url)?;
        for mirror in want {
            let url = fed.nodes[*mirror].url(&format!("/static/redundancy/{}", file.filename));
            let copy = get_bytes(&http, &url)?;
            assert!(copy == original, "{url} differs from the origin's file");
            check_pieces(&metainfo, &copy)?;
            let ranged = http.get(&url).header("Range", "bytes=10-19").send()?;
            assert_eq!(ranged.status(), 206, "{url} answers a Range request with 206");
            assert_eq!(ranged.bytes()?.as_ref(), &original[10..20]);
        }
        // A node without a copy does not serve one.
        for other in all.iter().filter(|i| !want.contains(i) && **i != 0) {
            let url = fed.nodes[*other].url(&format!("/static/redundancy/{}", file.filename));
            assert_eq!(http.get(&url).send()?.status(), 404, "{url} must not serve a copy it does not hold");
        }
    }

    // The mirrors announced their copies to the origin (CacheFile): the origin lists them
    // in each file's `redundancies` and in the torrent's `url-list`, after its own web seed.
    let anon = fed.nodes[0].anonymous()?;
    for (file, want) in files.iter().zip(&expected) {
        let urls: BTreeSet<String> =
            want.iter().map(|m| fed.nodes[*m].url(&format!("/static/redundancy/{}", file.filename))).collect();
        let uuid = file.video_url.rsplit('/').next().unwrap_or_default().to_string();
        wait_for(Duration::from_secs(30), "the origin lists its mirrors", |last| {
            let video = anon.video(&uuid)?;
            let listed: BTreeSet<String> = video["files"][0]["redundancies"]
                .as_array()
                .map(|r| r.iter().filter_map(|m| m["baseUrl"].as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let torrent = fetch_torrent(&http, &file.torrent_url)?;
            *last = format!("redundancies {listed:?}, url-list {:?}", torrent.url_list);
            let seeds_ok =
                torrent.url_list.first() == Some(&file.file_url) && urls.iter().all(|u| torrent.url_list.contains(u));
            Ok((listed == urls && seeds_ok).then_some(()))
        })?;
    }

    // The status shows every member live and the backlog empty, on every node (once the
    // last holds have been announced), and the copies_held gauge matches what is held.
    for i in all {
        wait_for(Duration::from_secs(10), &format!("node {i}: three live members, nothing below k"), |last| {
            let status = fed.status(i)?;
            let members = status["members"].as_array().cloned().unwrap_or_default();
            let live = members.iter().filter(|m| m["state"] == "live").count();
            *last = status.to_string();
            Ok((live == 3 && status["repairBacklog"] == 0 && status["placedFiles"] == 3).then_some(()))
        })?;
        let held = fed.held(i)?.len();
        wait_for(Duration::from_secs(5), &format!("node {i}: copies_held gauge"), |last| {
            let gauge = fed.nodes[i].metric("shoal_redundancy_copies_held")?;
            *last = format!("gauge {gauge}, held {held}");
            Ok((gauge as usize == held).then_some(()))
        })?;
    }

    // The origin stops. Node `viewer` follows it over ActivityPub and holds no copy of the
    // first file: its API and watch page still offer the video, with the members' copies as
    // web seeds, and serve the torrent (never fetched before, so it comes from a member over
    // libp2p); libtorrent, given that torrent, downloads the file from the mirrors alone.
    let viewer = *[1, 2, 3].iter().find(|i| !expected[0].contains(i)).ok_or_else(|| anyhow::anyhow!("no viewer"))?;
    let uuid = files[0].video_url.rsplit('/').next().unwrap_or_default().to_string();
    let on_viewer = fed.nodes[viewer].anonymous()?;
    wait_for(Duration::from_secs(30), "the followed origin's video reached the viewer", |last| {
        let video = on_viewer.video(&uuid);
        *last = format!("{video:?}");
        Ok(video.ok().filter(|v| v["isLocal"] == false))
    })?;
    let original = get_bytes(&http, &files[0].file_url)?;
    fed.nodes[0].terminate(Duration::from_secs(20))?;
    assert!(http.get(&files[0].file_url).send().is_err(), "the origin is down");
    let mirror_urls: BTreeSet<String> =
        expected[0].iter().map(|m| fed.nodes[*m].url(&format!("/static/redundancy/{}", files[0].filename))).collect();
    let video = on_viewer.video(&uuid)?;
    let file = &video["files"][0];
    let listed: BTreeSet<String> = file["redundancies"]
        .as_array()
        .map(|r| r.iter().filter_map(|m| m["baseUrl"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    assert_eq!(listed, mirror_urls, "the viewer lists the members' copies with the origin down: {file}");
    let torrent_url = file["torrentUrl"].as_str().unwrap_or_default().to_string();
    assert!(
        torrent_url.starts_with(&fed.nodes[viewer].url("/lazy-static/torrents/")),
        "the viewer serves the torrent itself: {torrent_url}"
    );
    let torrent_bytes = get_bytes(&http, &torrent_url)?;
    let torrent = shoal_protocol::torrent::Metainfo::from_bytes(&torrent_bytes)?;
    assert_eq!(hex_of(&shoal_protocol::torrent::info_hash_of(&torrent_bytes)?), files[0].info_hash);
    assert!(
        mirror_urls.iter().all(|u| torrent.url_list.contains(u)),
        "url-list names the mirrors: {:?}",
        torrent.url_list
    );
    let page = get_text(&http, &fed.nodes[viewer].url(&format!("/videos/watch/{uuid}")))?;
    for url in mirror_urls.iter().chain([&torrent_url]) {
        assert!(page.contains(url.as_str()), "the viewer's watch page offers {url}");
    }

    let scratch = fed.nodes[viewer].scratch();
    let torrent_path = scratch.join("mirrored.torrent");
    std::fs::write(&torrent_path, &torrent_bytes)?;
    let save_dir = scratch.join("lt-from-mirrors");
    std::fs::create_dir_all(&save_dir)?;
    let out = run_with_timeout(
        Command::new(system_python())
            .arg(tests_dir().join("scripts/lt_webseed.py"))
            .arg(&torrent_path)
            .arg(&save_dir)
            .arg("90"),
        Duration::from_secs(150),
    )?;
    let report: Value = serde_json::from_str(out.stdout.trim())
        .map_err(|e| anyhow::anyhow!("lt_webseed.py did not print JSON ({e})\n{}", out.describe()))?;
    assert_eq!(report["ok"], true, "libtorrent verified every piece from the mirrors: {report:#}");
    assert_eq!(report["hash_failures"], 0, "{report:#}");
    let saved = std::fs::read(save_dir.join(report["name"].as_str().unwrap_or_default()))?;
    assert!(saved == original, "libtorrent's file is the origin's");
    Ok(())
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn get_text(http: &reqwest::blocking::Client, url: &str) -> Result<String> {
    let response = http.get(url).send()?;
    anyhow::ensure!(response.status().is_success(), "GET {url}: {}", response.status());
    Ok(response.text()?)
}

#[test]
fn a_killed_mirror_is_repaired_and_its_surplus_dropped_when_it_returns() -> Result<()> {
    let settings = settings();
    let bound = Duration::from_secs(settings.member_timeout_secs + settings.repair_delay_secs + 30);
    let mut fed = start_federation(4, settings.clone(), |_| federating())?;
    let files = publish(&fed, 0, &["one", "two"])?;
    let all = [0, 1, 2, 3];
    let expected: Vec<BTreeSet<usize>> = files
        .iter()
        .map(|f| fed.placed(&f.video_url, 0, &all).map(|p| p.into_iter().collect()))
        .collect::<Result<_>>()?;
    wait_holders(&fed, &files, &expected, &all, CONVERGE)?;

    // Kill a mirror of the first video.
    let victim = *expected[0].iter().next().unwrap_or(&1);
    fed.nodes[victim].kill9()?;
    let killed_at = Instant::now();
    let survivors: Vec<usize> = all.iter().copied().filter(|i| *i != victim).collect();
    let repaired: Vec<BTreeSet<usize>> = files
        .iter()
        .map(|f| fed.placed(&f.video_url, 0, &survivors).map(|p| p.into_iter().collect()))
        .collect::<Result<_>>()?;
    wait_holders(&fed, &files, &repaired, &survivors, bound)?;
    let repair_time = killed_at.elapsed();
    eprintln!("repaired to k = 2 on the survivors {:.1} s after kill -9", repair_time.as_secs_f64());

    // It comes back with its data intact: its copies are still there and verified.
    fed.nodes[victim].restart()?;
    let held_after_restart = fed.held(victim)?;
    for (file, want) in files.iter().zip(&expected) {
        if want.contains(&victim) {
            assert!(
                held_after_restart.contains(&file.info_hash),
                "the restarted mirror kept its copy of {}",
                file.filename
            );
        }
    }
    // Once min_lifetime has passed, the repair copies that are now surplus are dropped and
    // exactly k remain, where placement over all four says.
    let settle = Duration::from_secs(settings.min_lifetime_secs + settings.member_timeout_secs + 30);
    wait_holders(&fed, &files, &expected, &all, settle)?;
    Ok(())
}

#[test]
fn a_stranger_gets_no_files_and_no_say() -> Result<()> {
    let fed = start_federation(3, settings(), |_| federating())?;
    // The stranger trusts everyone and bootstraps from node 0, with a huge capacity that
    // would win placement if it had a say; nobody trusts it.
    let stranger = shoal_tests::redundancy_federation::start_stranger(&fed, 0, 1 << 50, federating())?;
    let files = publish(&fed, 0, &["solo"])?;
    let members = [0, 1, 2];
    let expected: Vec<BTreeSet<usize>> = files
        .iter()
        .map(|f| fed.placed(&f.video_url, 0, &members).map(|p| p.into_iter().collect()))
        .collect::<Result<_>>()?;
    wait_holders(&fed, &files, &expected, &members, CONVERGE)?;
    let status = fed.status(0)?;
    let listed = status["members"].as_array().cloned().unwrap_or_default();
    assert!(
        listed.iter().any(|m| m["state"] == "stranger" && m["trusted"] == false),
        "node 0 lists the stranger as refused: {status:#}"
    );
    assert!(
        listed.iter().filter(|m| m["state"] == "live").count() == 2,
        "the stranger is not a live member: {status:#}"
    );
    // The stranger may place the video on itself (it trusts the members), but no member
    // gives it a byte over libp2p: whatever it holds came from the origin's public web seed.
    std::thread::sleep(Duration::from_secs(3));
    let from_members = stranger.metric("shoal_redundancy_fetched_bytes_total{source_kind=\"member\"}").unwrap_or(0.0);
    assert_eq!(from_members, 0.0, "no member served the stranger");
    let refused: f64 = ["announce", "torrent", "range"]
        .iter()
        .map(|kind| {
            fed.nodes[0]
                .metric(&format!("shoal_replication_net_strangers_refused_total{{kind=\"{kind}\"}}"))
                .unwrap_or(0.0)
        })
        .sum();
    assert!(refused >= 1.0, "node 0 counted the stranger's refused requests");
    Ok(())
}
