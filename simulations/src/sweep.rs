//! `shoal-sim sweep`: a grid of scenario variants (every combination of the `--grid` values,
//! times the seeds) run in parallel on all cores, one CSV row per run, in grid order whatever
//! the scheduling.

use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;

use crate::report::timeseries_csv;
use crate::scenario::{load_with_overrides, sha256_hex, ScenarioError};
use crate::sim::simulate;

/// One axis of the grid: a dotted scenario key and its values.
#[derive(Debug, Clone)]
pub struct Axis {
    pub key: String,
    pub values: Vec<toml::Value>,
}

/// Parses `KEY=V1,V2,...`; values are TOML (`10`, `2.5`, `"poisson"`, `true`), bare words are strings.
pub fn parse_axis(arg: &str) -> Result<Axis, ScenarioError> {
    let (key, values) = arg
        .split_once('=')
        .ok_or_else(|| ScenarioError::Override { key: arg.into(), message: "expected KEY=V1,V2,...".into() })?;
    let values = values
        .split(',')
        .map(|raw| {
            let raw = raw.trim();
            toml::from_str::<toml::Table>(&format!("v = {raw}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(raw.to_string()))
        })
        .collect::<Vec<_>>();
    if key.trim().is_empty() || values.is_empty() {
        return Err(ScenarioError::Override { key: arg.into(), message: "expected KEY=V1,V2,...".into() });
    }
    Ok(Axis { key: key.trim().into(), values })
}

/// Every combination of the axes' values, first axis slowest.
pub fn combinations(axes: &[Axis]) -> Vec<Vec<(String, toml::Value)>> {
    let mut out = vec![Vec::new()];
    for axis in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push((axis.key.clone(), v.clone()));
                    p
                })
            })
            .collect();
    }
    out
}

fn cell(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs the grid over `seeds` and returns the CSV text. Every variant is checked before any runs.
pub fn sweep(scenario: &Path, axes: &[Axis], seeds: &[u64]) -> Result<String, ScenarioError> {
    let combos = combinations(axes);
    let mut runs = Vec::new();
    for combo in &combos {
        let loaded = load_with_overrides(scenario, combo)?;
        for &seed in seeds {
            runs.push((combo.clone(), loaded.clone(), seed));
        }
    }
    let rows: Vec<String> = runs
        .par_iter()
        .map(|(combo, loaded, seed)| {
            let out = simulate(loaded, *seed, |_, _| {});
            let m = &out.summary;
            let opt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
            let mut row = String::new();
            for (_, v) in combo {
                let _ = write!(row, "{},", cell(v));
            }
            let _ = write!(
                row,
                "{seed},{},{},{},{},{},{:.4},{:.3},{},{},{:.4},{},{}",
                &loaded.hash[..16],
                m.viewers,
                m.origin_bytes,
                m.mirror_bytes,
                m.p2p_bytes,
                m.p2p_ratio,
                m.peak_server_mbps,
                opt(m.startup_p50_secs),
                opt(m.startup_p95_secs),
                m.stall_ratio,
                opt(m.download_mean_secs),
                &sha256_hex(timeseries_csv(&out.rows).as_bytes())[..16],
            );
            row
        })
        .collect();
    let mut csv = String::new();
    for a in axes {
        let _ = write!(csv, "{},", a.key);
    }
    csv.push_str(
        "seed,scenario_hash,viewers,origin_bytes,mirror_bytes,p2p_bytes,p2p_ratio,peak_server_mbps,startup_p50_secs,\
         startup_p95_secs,stall_ratio,download_mean_secs,timeseries_hash\n",
    );
    for r in rows {
        csv.push_str(&r);
        csv.push('\n');
    }
    Ok(csv)
}
