//! SVG plots of a run (plotters, no system fonts needed): server vs P2P bandwidth over time,
//! the P2P ratio over time, and the CDF of startup delays.

use std::path::Path;

use plotters::prelude::*;

use crate::report::ReportError;
use crate::sim::{Output, Row};

/// Points per line at most; longer runs are averaged into buckets.
const MAX_POINTS: usize = 1500;

/// (start second, origin, mirrors, P2P), in Mbit/s.
type Bucket = (f64, f64, f64, f64);

/// A line of the bandwidth plot: name, colour, value.
type Line = (&'static str, RGBColor, fn(&Bucket) -> f64);

/// Writes `bandwidth.svg`, `p2p_ratio.svg` and `startup_cdf.svg` into `dir`.
pub fn write_plots(dir: &Path, out: &Output) -> Result<(), ReportError> {
    let buckets = bucket(&out.rows);
    bandwidth(&dir.join("bandwidth.svg"), &buckets)?;
    ratio(&dir.join("p2p_ratio.svg"), &buckets)?;
    let mut startups: Vec<f64> = out.sessions.iter().filter_map(|s| s.startup_secs).collect();
    startups.sort_by(f64::total_cmp);
    startup_cdf(&dir.join("startup_cdf.svg"), &startups)
}

/// The rows averaged into at most [`MAX_POINTS`] buckets.
fn bucket(rows: &[Row]) -> Vec<Bucket> {
    let per = rows.len().div_ceil(MAX_POINTS).max(1);
    rows.chunks(per)
        .map(|c| {
            let n = c.len() as f64;
            let mbps = |f: fn(&Row) -> u64| c.iter().map(f).sum::<u64>() as f64 * 8.0 / 1e6 / n;
            (f64::from(c[0].second), mbps(|r| r.origin_bytes), mbps(|r| r.mirror_bytes), mbps(|r| r.p2p_bytes))
        })
        .collect()
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> ReportError {
    ReportError::Plot { path: path.display().to_string(), message: e.to_string() }
}

fn bandwidth(path: &Path, b: &[Bucket]) -> Result<(), ReportError> {
    let x_max = b.last().map_or(1.0, |x| x.0 + 1.0);
    let y_max = b.iter().map(|x| (x.1 + x.2).max(x.3)).fold(1.0, f64::max) * 1.1;
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Upload by source (Mbit/s)", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(|e| plot_err(path, e))?;
    chart.configure_mesh().x_desc("simulated seconds").y_desc("Mbit/s").draw().map_err(|e| plot_err(path, e))?;
    let lines: [Line; 3] = [("origin", RED, |x| x.1), ("mirrors", BLUE, |x| x.2), ("P2P", GREEN, |x| x.3)];
    for (name, color, f) in lines {
        chart
            .draw_series(LineSeries::new(b.iter().map(|x| (x.0, f(x))), &color))
            .map_err(|e| plot_err(path, e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))
}

fn ratio(path: &Path, b: &[Bucket]) -> Result<(), ReportError> {
    let x_max = b.last().map_or(1.0, |x| x.0 + 1.0);
    let root = SVGBackend::new(path, (900, 400)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("P2P ratio (share of bytes from peers)", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..x_max, 0.0..1.0)
        .map_err(|e| plot_err(path, e))?;
    chart.configure_mesh().x_desc("simulated seconds").y_desc("P2P ratio").draw().map_err(|e| plot_err(path, e))?;
    let points = b.iter().filter(|x| x.1 + x.2 + x.3 > 0.0).map(|x| (x.0, x.3 / (x.1 + x.2 + x.3)));
    chart.draw_series(LineSeries::new(points, &GREEN)).map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))
}

fn startup_cdf(path: &Path, sorted: &[f64]) -> Result<(), ReportError> {
    let x_max = sorted.last().copied().unwrap_or(1.0).max(1.0) * 1.05;
    let root = SVGBackend::new(path, (700, 450)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Startup delay CDF", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..x_max, 0.0..1.0)
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("seconds to first frame")
        .y_desc("share of viewers")
        .draw()
        .map_err(|e| plot_err(path, e))?;
    let n = sorted.len();
    let step = n.div_ceil(MAX_POINTS).max(1);
    let points = sorted.iter().enumerate().step_by(step).map(|(i, &v)| (v, (i + 1) as f64 / n as f64));
    chart.draw_series(LineSeries::new(points, &BLUE)).map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))
}
