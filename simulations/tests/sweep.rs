//! `sweep` runs every grid point, in grid order, and each row equals a single run of that variant.

use shoal_sim::scenario::{load_with_overrides, ScenarioError};
use shoal_sim::sim::simulate;
use shoal_sim::sweep::{parse_axis, sweep};

const BASE: &str = r#"
duration_secs = 300
[video]
duration_secs = 60
bitrate_kbps = 1000
[arrivals]
kind = "flash_crowd"
viewers = 20
ramp_secs = 30
[viewers]
upload_mbps = { dist = "constant", value = 5 }
download_mbps = { dist = "constant", value = 20 }
[origin]
upload_mbps = 50
"#;

#[test]
fn grid_rows_match_single_runs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("base.toml");
    std::fs::write(&path, BASE).expect("write");
    let axes = vec![
        parse_axis("arrivals.viewers=10,40").expect("axis"),
        parse_axis("viewers.upload_mbps.value=0,5").expect("axis"),
    ];
    let csv = sweep(&path, &axes, &[1, 2]).expect("sweep");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 2 * 2 * 2, "{csv}");
    assert!(lines[0].starts_with("arrivals.viewers,viewers.upload_mbps.value,seed,"));
    // Row 7 (1-based after the header): viewers 40, upload 5, seed 1.
    let row: Vec<&str> = lines[7].split(',').collect();
    assert_eq!(&row[..3], &["40", "5", "1"]);
    let overrides = vec![
        ("arrivals.viewers".to_string(), toml::Value::Integer(40)),
        ("viewers.upload_mbps.value".to_string(), toml::Value::Integer(5)),
    ];
    let single = simulate(&load_with_overrides(&path, &overrides).expect("variant"), 1, |_, _| {});
    assert_eq!(row[4], single.summary.viewers.to_string());
    assert_eq!(row[7], single.summary.p2p_bytes.to_string());
    // Without upload, nothing moves between peers.
    let no_upload: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(&no_upload[..2], &["10", "0"]);
    assert_eq!(no_upload[7], "0");
    // A bad override names its key.
    let bad = load_with_overrides(&path, &[("arrivals.rate".to_string(), toml::Value::Integer(1))]);
    match bad {
        Err(ScenarioError::Override { key, .. }) => assert!(key.contains("arrivals"), "{key}"),
        other => panic!("bad override accepted: {other:?}"),
    }
}
