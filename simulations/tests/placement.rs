//! Placement scenarios: 50 nodes and 2,000 videos under churn, run with the nodes' own
//! placement. Checked: the same seed gives byte-identical files (from the library and the
//! binary); the incrementally maintained placement always equals a full recomputation by
//! `bulk::place_all` and the node's `hrw::place`; removing a member moves only the videos it
//! was placed for and adding one moves videos only to it; with fewer than k nodes down at a
//! time no video ever has no copy and no drop leaves one without; copies are back to k within
//! `member_timeout + repair_delay + transfer time`, and exactly k once surplus ages out.

use std::collections::BTreeSet;
use std::path::Path;

use shoal_protocol::placement::{place, place_all, MemberId, Members};
use shoal_sim::placement::{report::write_run, simulate, Engine};
use shoal_sim::scenario::{kind_of, load_placement, load_placement_str, Kind, LoadedPlacement};

/// 50 nodes, 2,000 videos, k = 2; `extra` adds `[churn]`, events, or overrides.
fn scenario(redundancy: &str, nodes: &str, tail: &str) -> String {
    format!(
        r#"kind = "placement"
name = "test"
duration_secs = 259200
sample_secs = 600
[redundancy]
replicas = 2
member_timeout_secs = 30
repair_delay_secs = 300
min_lifetime_secs = 3600
{redundancy}
[nodes]
count = 50
{nodes}
[catalogue]
videos = 2000
size_mb = {{ dist = "lognormal", median = 200, sigma = 0.8 }}
{tail}"#
    )
}

const VARIED: &str = r#"capacity_gb = { dist = "uniform", min = 100, max = 1000 }
transfer_mbps = { dist = "lognormal", median = 100, sigma = 0.5 }"#;

fn load(text: &str) -> LoadedPlacement {
    load_placement_str(text, "test.toml").unwrap_or_else(|e| panic!("test scenario invalid: {e}\n{text}"))
}

/// Churn with every kind of event: random failures, departures, joins, scripted events.
const BUSY_TAIL: &str = r#"[churn]
fail_after_secs = { dist = "exponential", mean = 43200 }
return_after_secs = { dist = "exponential", mean = 3600 }
permanent_share = 0.1
joins_per_day = 2
[[events]]
at_secs = 50000
action = "fail"
count = 3
[[events]]
at_secs = 60000
action = "return"
count = 3
[[events]]
at_secs = 100000
action = "join"
count = 4
[[events]]
at_secs = 120000
action = "leave"
nodes = ["node-00005"]
"#;

fn busy_text() -> String {
    scenario("", VARIED, BUSY_TAIL)
}

fn busy() -> LoadedPlacement {
    load(&busy_text())
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<_> = std::fs::read_dir(dir).expect("out dir").map(|e| e.expect("entry").file_name()).collect();
    names.sort();
    names.into_iter().map(|n| (n.to_string_lossy().into_owned(), std::fs::read(dir.join(&n)).expect("read"))).collect()
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_does_not() {
    let l = busy();
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |seed: u64, dir: &Path| {
        let out = simulate(&l, seed, |_, _| {}).expect("run");
        (write_run(dir, "test", &l.hash, &out).expect("write"), out)
    };
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    let (hash_a, out) = run(7, &a);
    let (hash_b, _) = run(7, &b);
    let (hash_c, _) = run(8, &c);
    let fa = files(&a);
    let names: Vec<&str> = fa.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["availability.svg", "capacity.svg", "copies.svg", "repair_traffic.svg", "report.json"]);
    assert_eq!(hash_a, hash_b);
    assert_eq!(fa, files(&b), "two runs with the same seed differ");
    assert_ne!(hash_a, hash_c, "another seed gave the same report");
    // Not trivial: every kind of event happened and repairs moved bytes.
    let m = &out.summary;
    assert!(m.failures > 50 && m.returns > 40 && m.departures >= 2 && m.nodes_joined >= 4, "{m:?}");
    assert!(m.transfers_completed > 1000 && m.repair_bytes_total > 0 && m.below_k_episodes > 500, "{m:?}");
    assert_eq!(out.samples.len(), 259200 / 600 + 1);

    // The binary writes the same report.
    let file = tmp.path().join("s.toml");
    std::fs::write(&file, busy_text()).expect("write scenario");
    let bin_out = tmp.path().join("bin");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_shoal-sim"))
        .args(["run", file.to_str().expect("utf-8 path"), "--seed", "7", "--quiet", "--out"])
        .arg(&bin_out)
        .status()
        .expect("run shoal-sim");
    assert!(status.success());
    assert_eq!(files(&bin_out), fa, "the binary's files differ from the library's");
}

/// Placed sets as sorted id lists.
fn ids_of(engine: &Engine, v: usize) -> Vec<MemberId> {
    let mut ids: Vec<MemberId> = engine.placed(v).iter().map(|&m| engine.ids()[m as usize].clone()).collect();
    ids.sort();
    ids
}

#[test]
fn the_incremental_placement_is_the_full_placement_at_every_step() {
    let l = busy();
    let mut engine = Engine::new(&l, 3).expect("engine");
    let mut checks = 0;
    let mut t = 0.0;
    while t <= 259200.0 {
        engine.run_until(t, |_, _| {});
        let members = engine.members_in_placement();
        let full = Members::new(members.clone()).expect("members");
        let assignment = place_all(&full, engine.digests(), 2).expect("place_all");
        let mut sets: Vec<Vec<MemberId>> = vec![Vec::new(); engine.digests().len()];
        for (m, id) in full.ids().iter().enumerate() {
            for &v in assignment.of_member(m) {
                sets[v as usize].push(id.clone());
            }
        }
        for (v, set) in sets.iter_mut().enumerate() {
            set.sort();
            assert_eq!(&ids_of(&engine, v), set, "video {v} at {t} s: incremental placement differs");
        }
        // Best-first order too, against the node's interface.
        for v in (0..engine.digests().len()).step_by(97) {
            let expected = place(Engine::video_key(v).as_bytes(), &members, 2).expect("place");
            let got: Vec<MemberId> = engine.placed(v).iter().map(|&m| engine.ids()[m as usize].clone()).collect();
            assert_eq!(got, expected, "video {v} at {t} s: order differs from hrw::place");
        }
        checks += 1;
        t += 7200.0;
    }
    assert_eq!(checks, 37);
}

fn index_of(engine: &Engine, name: &str) -> u32 {
    engine.ids().binary_search(&MemberId::from(name)).expect("node exists") as u32
}

#[test]
fn removing_a_member_moves_only_its_videos_and_a_joiner_only_takes_videos() {
    let l = load(&scenario(
        "",
        VARIED,
        r#"[[events]]
at_secs = 1000
action = "leave"
nodes = ["node-00007"]
[[events]]
at_secs = 5000
action = "join"
count = 1
"#,
    ));
    let mut engine = Engine::new(&l, 1).expect("engine");
    let videos = engine.digests().len();
    let gone = index_of(&engine, "node-00007");
    let snapshot = |e: &Engine| (0..videos).map(|v| e.placed(v)).collect::<Vec<_>>();
    let holders = |e: &Engine| (0..videos).map(|v| e.all_holders(v)).collect::<Vec<_>>();
    engine.run_until(999.0, |_, _| {});
    let held_before = holders(&engine);
    // The grace time ends at 1000 + 30 + 300 s.
    engine.run_until(1329.0, |_, _| {});
    let before = snapshot(&engine);
    assert_eq!(before.iter().map(Vec::len).collect::<BTreeSet<_>>(), BTreeSet::from([2]));
    engine.run_until(1331.0, |_, _| {});
    let after = snapshot(&engine);
    let mut moved = 0;
    for v in 0..videos {
        let had = before[v].contains(&gone);
        if !had {
            assert_eq!(before[v], after[v], "video {v} moved though node-00007 was not placed for it");
            continue;
        }
        moved += 1;
        assert!(!after[v].contains(&gone));
        let kept: Vec<u32> = before[v].iter().copied().filter(|&m| m != gone).collect();
        assert!(kept.iter().all(|m| after[v].contains(m)), "video {v}: a surviving member lost its place");
    }
    assert!(moved > 20, "node-00007 was placed for {moved} videos only");
    // Once repaired, only the videos node-00007 held have other holders.
    engine.run_until(4000.0, |_, _| {});
    let held_after = holders(&engine);
    for v in 0..videos {
        if !held_before[v].contains(&gone) {
            assert_eq!(held_before[v], held_after[v], "video {v} was copied though node-00007 did not hold it");
        } else {
            assert_eq!(engine.complete_holders(v), sorted(engine.placed(v)), "video {v} not repaired");
        }
    }
    // A joiner: every changed placed set gains the joiner and loses exactly one member.
    let joiner = index_of(&engine, "join-00000");
    let before = snapshot(&engine);
    engine.run_until(5001.0, |_, _| {});
    let after = snapshot(&engine);
    let mut taken = 0;
    for v in 0..videos {
        if before[v] != after[v] {
            taken += 1;
            assert!(after[v].contains(&joiner), "video {v} moved, but not to the joiner");
            assert_eq!(before[v].iter().filter(|m| !after[v].contains(m)).count(), 1);
        }
    }
    assert!(taken > 10, "the joiner took {taken} videos");
}

#[test]
fn with_fewer_than_k_nodes_down_no_video_ever_loses_its_last_copy() {
    for (k, max_down) in [(2, 1), (3, 2)] {
        let l = load(
            &scenario(
                &format!("replicas_max = {}\norigin_fallback = false", k + 1),
                VARIED,
                &format!(
                    r#"[churn]
fail_after_secs = {{ dist = "exponential", mean = 7200 }}
return_after_secs = {{ dist = "exponential", mean = 2400 }}
max_down = {max_down}
"#
                ),
            )
            .replace("replicas = 2", &format!("replicas = {k}")),
        );
        let out = simulate(&l, 11, |_, _| {}).expect("run");
        let m = &out.summary;
        assert!(m.failures > 100, "k = {k}: only {} failures", m.failures);
        assert!(m.below_k_episodes > 1000 && m.copies_dropped > 100, "k = {k}: vacuous run: {m:?}");
        assert_eq!(m.copies_min_ever, 1, "k = {k}: {m:?}");
        assert_eq!(m.drops_leaving_no_copy, 0, "k = {k}");
        assert_eq!((m.unavailable_episodes, m.unavailable_open_at_end), (0, 0), "k = {k}");
        assert_eq!(m.available_min, 1.0, "k = {k}");
        assert_eq!(m.fetches_without_source, 0, "k = {k}: a repair found no member to copy from");
        assert_eq!(m.repair_bytes_from_origin, 0, "k = {k}");
        assert!(out.samples.iter().all(|s| s.copies_min >= 1 && s.available_min == 1.0));
    }
}

#[test]
fn copies_are_back_to_k_within_repair_delay_plus_transfer_time() {
    // 100 MB videos at 80 Mbit/s: 10 s per copy.
    let l = load(&scenario(
        "",
        "capacity_gb = { dist = \"uniform\", min = 100, max = 1000 }\ntransfer_mbps = { dist = \"constant\", value = 80 }",
        r#"[[events]]
at_secs = 1000
action = "leave"
nodes = ["node-00003"]
[[events]]
at_secs = 20000
action = "fail"
nodes = ["node-00011"]
[[events]]
at_secs = 30000
action = "return"
nodes = ["node-00011"]
"#,
    )
    .replace("size_mb = { dist = \"lognormal\", median = 200, sigma = 0.8 }", "size_mb = { dist = \"constant\", value = 100 }")
    .replace("duration_secs = 259200", "duration_secs = 50000"));
    let mut engine = Engine::new(&l, 5).expect("engine");
    let videos = engine.digests().len();
    let (n3, n11) = (index_of(&engine, "node-00003"), index_of(&engine, "node-00011"));
    let exact_k =
        |e: &Engine| (0..videos).all(|v| e.complete_holders(v) == sorted(e.placed(v)) && e.placed(v).len() == 2);
    assert!(exact_k(&engine));
    engine.run_until(999.0, |_, _| {});
    let held3 = (0..videos).filter(|&v| engine.all_holders(v).contains(&n3)).count() as u64;
    engine.run_until(19999.0, |_, _| {});
    assert!(exact_k(&engine), "not back to exactly k copies after node-00003 left");
    let held11 = (0..videos).filter(|&v| engine.all_holders(v).contains(&n11)).count() as u64;
    engine.run_until(29999.0, |_, _| {});
    assert!(exact_k(&engine), "not back to k copies while node-00011 is away");
    engine.run(|_, _| {});
    assert!(exact_k(&engine), "surplus not dropped after node-00011 came back");
    let out = engine.finish();
    let m = &out.summary;
    assert!(held3 > 20 && held11 > 20);
    // One repair per video each lost node held; node-00011 came back with its data, so its
    // replacements are the surplus that was dropped.
    assert_eq!(m.transfers_completed, held3 + held11);
    assert_eq!(m.transfers_cancelled, 0);
    assert_eq!(m.copies_dropped, held11);
    assert_eq!(m.repair_bytes_total, (held3 + held11) * 100_000_000);
    assert_eq!(m.copies_end, 2 * videos as u64);
    assert_eq!(m.below_k_episodes, held3 + held11);
    // Bound: loss seen after 30 s, re-placed after 300 s more, then the queue of the busiest
    // repairing node at 10 s per copy.
    let bound = 30.0 + 300.0 + f64::from(m.max_queue_per_node) * 10.0;
    assert!(m.below_k_longest_secs <= bound + 0.01, "longest below k {} s > bound {bound} s", m.below_k_longest_secs);
    assert!(
        m.below_k_longest_secs >= 340.0,
        "repairs faster than detection + delay + one copy: {}",
        m.below_k_longest_secs
    );
    assert!(m.max_queue_per_node <= 6, "repairs piled up on one node: {}", m.max_queue_per_node);
    assert_eq!(m.copies_min_ever, 1);
}

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort();
    v
}

#[test]
fn shipped_placement_scenarios_load_and_bad_ones_name_the_key() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for name in ["placement_1000x100k.toml", "placement_small.toml"] {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(kind_of(&text), Kind::Placement, "{name}");
        let l = load_placement(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(l.scenario.nodes.count >= 50);
    }
    let big = load_placement(&dir.join("placement_1000x100k.toml")).expect("big");
    assert_eq!((big.scenario.nodes.count, big.scenario.catalogue.videos), (1000, 100_000));
    assert_eq!(kind_of(&std::fs::read_to_string(dir.join("flash_crowd.toml")).expect("read")), Kind::Swarm);
    let good = scenario("", VARIED, "");
    assert!(load_placement_str(&good, "good.toml").is_ok());
    let error = |text: String| match load_placement_str(&text, "bad.toml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    };
    let e = error(scenario("replicas_max = 1", VARIED, ""));
    assert!(e.contains("redundancy.replicas_max") && e.contains("bad.toml:10:"), "{e}");
    let e = error(scenario("", VARIED, "[[events]]\nat_secs = 5\naction = \"fail\"\nnodes = [\"node-00050\"]\n"));
    assert!(e.contains("events[0].nodes[0]") && e.contains("unknown node"), "{e}");
    let e = error(scenario("", VARIED, "[churn]\nmax_dwn = 3\n"));
    assert!(e.contains("max_dwn"), "{e}");
    let e = error(scenario("", &VARIED.replace("min = 100", "min = -1"), ""));
    assert!(e.contains("nodes.capacity_gb.min"), "{e}");
}

#[test]
fn repairs_first_shortens_the_wait_behind_a_joiners_backlog() {
    // Five big nodes join at once and queue ~100 rebalancing copies each (10 s apiece); then
    // three nodes leave, among them holders the joiners were about to replace.
    let text = |order: &str| {
        scenario(
            &format!("repair_order = \"{order}\""),
            "capacity_gb = { dist = \"uniform\", min = 100, max = 1000 }\ntransfer_mbps = { dist = \"constant\", value = 80 }",
            r#"[[events]]
at_secs = 1000
action = "join"
count = 5
[[events]]
at_secs = 1100
action = "leave"
count = 3
"#,
        )
        .replace("size_mb = { dist = \"lognormal\", median = 200, sigma = 0.8 }", "size_mb = { dist = \"constant\", value = 100 }")
        .replace("duration_secs = 259200", "duration_secs = 20000")
    };
    let run = |order: &str| simulate(&load(&text(order)), 2, |_, _| {}).expect("run").summary;
    let (fifo, first) = (run("fifo"), run("repairs_first"));
    let popular = run("popular_first");
    assert!(fifo.max_queue_per_node > 50, "no backlog: {}", fifo.max_queue_per_node);
    assert_eq!(popular.copies_end, 4000);
    assert_eq!((popular.drops_leaving_no_copy, first.drops_leaving_no_copy, fifo.drops_leaving_no_copy), (0, 0, 0));
    eprintln!(
        "longest below k: fifo {} s, repairs_first {} s; transfers {} vs {}",
        fifo.below_k_longest_secs, first.below_k_longest_secs, fifo.transfers_completed, first.transfers_completed
    );
    assert_eq!((fifo.copies_end, first.copies_end), (4000, 4000));
    assert!(
        first.below_k_longest_secs < fifo.below_k_longest_secs * 0.7,
        "repairs_first {} s vs fifo {} s",
        first.below_k_longest_secs,
        fifo.below_k_longest_secs
    );
}
