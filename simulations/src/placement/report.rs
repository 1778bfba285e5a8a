//! A placement run's files: `report.json` (seed, scenario hash, summary, the time series and
//! every node's capacity use) and the SVG plots. The bytes depend only on the scenario, the
//! seed and the binary: no wall-clock time is written.

use std::path::Path;

use serde::Serialize;

use super::{NodeUse, Output, Sample, Summary};
use crate::report::ReportError;
use crate::scenario::sha256_hex;

/// `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFile<'a> {
    pub shoal_sim: &'static str,
    pub kind: &'static str,
    pub scenario: &'a str,
    pub scenario_hash: &'a str,
    pub seed: u64,
    pub summary: &'a Summary,
    pub samples: &'a [Sample],
    pub nodes: &'a [NodeUse],
}

/// The text of `report.json`.
pub fn report_json(scenario: &str, scenario_hash: &str, out: &Output) -> Result<String, ReportError> {
    let file = ReportFile {
        shoal_sim: env!("CARGO_PKG_VERSION"),
        kind: "placement",
        scenario,
        scenario_hash,
        seed: out.seed,
        summary: &out.summary,
        samples: &out.samples,
        nodes: &out.nodes,
    };
    let mut json = serde_json::to_string_pretty(&file)?;
    json.push('\n');
    Ok(json)
}

/// Writes `report.json` and the plots into `dir` (created if missing); returns the SHA-256
/// of `report.json`.
pub fn write_run(dir: &Path, scenario: &str, scenario_hash: &str, out: &Output) -> Result<String, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write { path: dir.display().to_string(), source })?;
    let json = report_json(scenario, scenario_hash, out)?;
    let path = dir.join("report.json");
    std::fs::write(&path, json.as_bytes())
        .map_err(|source| ReportError::Write { path: path.display().to_string(), source })?;
    super::plot::write_plots(dir, out)?;
    Ok(sha256_hex(json.as_bytes()))
}
