//! Bad scenarios fail with a message that names the key and its line; the shipped examples load.

use std::path::Path;

use shoal_sim::scenario::{kind_of, load, load_placement, load_str, parse_trace, Kind};

const GOOD: &str = r#"duration_secs = 60
[video]
duration_secs = 30
bitrate_kbps = 1000
[arrivals]
kind = "poisson"
rate_per_sec = 1.0
[viewers]
upload_mbps = { dist = "constant", value = 5 }
download_mbps = { dist = "constant", value = 20 }
[origin]
upload_mbps = 100
"#;

/// Loads `text` and returns the error message.
fn error_of(text: &str) -> String {
    match load_str(text, "bad.toml", Path::new(".")) {
        Ok(_) => panic!("scenario accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts the message names `key` and `bad.toml:line`.
fn assert_names(text: &str, key: &str, line: usize) {
    let message = error_of(text);
    assert!(message.contains(key), "message does not name `{key}`: {message}");
    assert!(message.contains(&format!("bad.toml:{line}:")), "message does not give line {line}: {message}");
}

#[test]
fn the_good_scenario_loads() {
    assert!(load_str(GOOD, "good.toml", Path::new(".")).is_ok());
}

#[test]
fn unknown_keys_are_named_with_their_line() {
    assert_names(&GOOD.replace("duration_secs = 60\n", "duration_secs = 60\nspeed = 3\n"), "speed", 2);
    assert_names(&GOOD.replace("bitrate_kbps = 1000\n", "bitrate_kbps = 1000\nbitrat = 5\n"), "bitrat", 5);
    let mirror = format!("{GOOD}[[mirrors]]\nupload_mbps = 10\nuplod_mbps = 10\n");
    assert_names(&mirror, "uplod_mbps", 15);
    // Inside a distribution.
    let dist = GOOD.replace("{ dist = \"constant\", value = 5 }", "{ dist = \"constant\", value = 5, mean = 3 }");
    assert_names(&dist, "mean", 9);
}

#[test]
fn negative_rates_are_named_with_their_line() {
    assert_names(&GOOD.replace("rate_per_sec = 1.0", "rate_per_sec = -2.0"), "arrivals.rate_per_sec", 7);
    assert_names(&GOOD.replace("upload_mbps = 100", "upload_mbps = -1"), "origin.upload_mbps", 12);
    assert_names(
        &GOOD.replace("{ dist = \"constant\", value = 20 }", "{ dist = \"uniform\", min = -1, max = 3 }"),
        "viewers.download_mbps.min",
        10,
    );
    let mirror = format!("{GOOD}[[mirrors]]\nupload_mbps = 0\n");
    assert_names(&mirror, "mirrors[0].upload_mbps", 14);
}

#[test]
fn empty_distributions_are_named_with_their_line() {
    let empty = GOOD.replace("{ dist = \"constant\", value = 5 }", "{ dist = \"choice\", values = [] }");
    assert_names(&empty, "viewers.upload_mbps.values", 9);
    let message = error_of(&empty);
    assert!(message.contains("empty"), "{message}");
}

#[test]
fn wrong_types_and_syntax_are_named_with_their_line() {
    assert_names(&GOOD.replace("bitrate_kbps = 1000", "bitrate_kbps = \"fast\""), "video.bitrate_kbps", 4);
    assert_names(&GOOD.replace("kind = \"poisson\"", "kind = \"wave\""), "arrivals.kind", 6);
    let message = error_of(&GOOD.replace("[origin]", "[origin"));
    assert!(message.contains("bad.toml:11:"), "{message}");
    // A missing required key is reported at its table.
    assert_names(&GOOD.replace("upload_mbps = 100\n", ""), "upload_mbps", 11);
}

#[test]
fn inconsistent_networks_are_refused() {
    let net = format!("{GOOD}[network]\nregions = [\"eu\", \"na\"]\nregion_weights = [1, 1]\nrtt_ms = [[10, 20]]\n");
    assert_names(&net, "network.rtt_ms", 16);
    let region = GOOD.replace("upload_mbps = 100", "upload_mbps = 100\nregion = \"mars\"");
    assert_names(&region, "origin.region", 13);
}

#[test]
fn bad_trace_rows_are_named_with_their_line() {
    let e = parse_trace("join_secs,watch_secs\n1.0,30\n2.0,abc\n", "t.csv").expect_err("bad number");
    assert!(e.to_string().contains("t.csv:3") && e.to_string().contains("watch_secs"), "{e}");
    let e = parse_trace("join_secs\n5\n3\n", "t.csv").expect_err("unsorted");
    assert!(e.to_string().contains("t.csv:3"), "{e}");
    let e = parse_trace("when\n5\n", "t.csv").expect_err("no column");
    assert!(e.to_string().contains("join_secs"), "{e}");
}

#[test]
fn shipped_examples_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("scenarios folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).expect("read");
            if kind_of(&text) == Kind::Placement {
                load_placement(&path).unwrap_or_else(|e| panic!("{e}"));
            } else {
                load(&path).unwrap_or_else(|e| panic!("{e}"));
            }
            n += 1;
        }
    }
    assert!(n >= 3, "only {n} example scenarios");
}
