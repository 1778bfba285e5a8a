//! A run's files: `timeseries.csv` (per simulated second), `sessions.csv` (per viewer) and
//! `summary.json` (seed, scenario hash, hash of the two CSVs, headline metrics). The bytes
//! depend only on the scenario, the seed and the binary: no wall-clock time is written.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::scenario::sha256_hex;
use crate::sim::{Output, Row, Session, Summary};

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode the summary: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot draw {path}: {message}")]
    Plot { path: String, message: String },
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryFile<'a> {
    pub shoal_sim: &'static str,
    pub scenario: &'a str,
    pub scenario_hash: &'a str,
    pub seed: u64,
    /// SHA-256 of `timeseries.csv` followed by `sessions.csv`.
    pub output_hash: String,
    pub metrics: &'a Summary,
}

/// The CSV text of the per-second rows.
pub fn timeseries_csv(rows: &[Row]) -> String {
    let mut s = String::with_capacity(rows.len() * 48);
    s.push_str(
        "second,origin_bytes,mirror_bytes,p2p_bytes,p2p_ratio,online,downloading,seeders,leechers,stalled,arrivals\n",
    );
    for r in rows {
        let total = r.origin_bytes + r.mirror_bytes + r.p2p_bytes;
        let ratio = if total > 0 { r.p2p_bytes as f64 / total as f64 } else { 0.0 };
        let _ = writeln!(
            s,
            "{},{},{},{},{:.4},{},{},{},{},{},{}",
            r.second,
            r.origin_bytes,
            r.mirror_bytes,
            r.p2p_bytes,
            ratio,
            r.online,
            r.downloading,
            r.seeders,
            r.leechers,
            r.stalled,
            r.arrivals
        );
    }
    s
}

/// The CSV text of the per-viewer sessions (empty cells: never happened).
pub fn sessions_csv(sessions: &[Session]) -> String {
    let opt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
    let mut s = String::with_capacity(sessions.len() * 96);
    s.push_str(
        "viewer,join_secs,region,p2p,upload_bytes_per_sec,download_bytes_per_sec,startup_secs,stalls,stall_secs,\
         abandoned,download_secs,left_secs,bytes_watched,from_origin,from_mirrors,from_peers,uploaded\n",
    );
    for x in sessions {
        let _ = writeln!(
            s,
            "{},{:.3},{},{},{},{},{},{},{:.3},{},{},{},{},{},{},{},{}",
            x.viewer,
            x.join_secs,
            x.region,
            x.p2p as u8,
            x.upload_bytes_per_sec,
            x.download_bytes_per_sec,
            opt(x.startup_secs),
            x.stalls,
            x.stall_secs,
            x.abandoned as u8,
            opt(x.download_secs),
            opt(x.left_secs),
            x.bytes_watched,
            x.from_origin,
            x.from_mirrors,
            x.from_peers,
            x.uploaded
        );
    }
    s
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|source| ReportError::Write { path: path.display().to_string(), source })
}

/// Writes the CSVs, the plots and `summary.json` into `dir` (created if missing); returns
/// the output hash.
pub fn write_run(dir: &Path, scenario: &str, scenario_hash: &str, out: &Output) -> Result<String, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write { path: dir.display().to_string(), source })?;
    let timeseries = timeseries_csv(&out.rows);
    let sessions = sessions_csv(&out.sessions);
    write(&dir.join("timeseries.csv"), timeseries.as_bytes())?;
    write(&dir.join("sessions.csv"), sessions.as_bytes())?;
    let mut both = timeseries.into_bytes();
    both.extend_from_slice(sessions.as_bytes());
    let output_hash = sha256_hex(&both);
    crate::plot::write_plots(dir, out)?;
    let summary = SummaryFile {
        shoal_sim: env!("CARGO_PKG_VERSION"),
        scenario,
        scenario_hash,
        seed: out.seed,
        output_hash: output_hash.clone(),
        metrics: &out.summary,
    };
    let mut json = serde_json::to_string_pretty(&summary)?;
    json.push('\n');
    write(&dir.join("summary.json"), json.as_bytes())?;
    Ok(output_hash)
}
