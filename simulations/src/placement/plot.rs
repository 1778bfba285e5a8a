//! SVG plots of a placement run (plotters, no system fonts needed): copies per video over
//! time, availability over time, repair traffic over time, and each member's share of the
//! held bytes against its weight share.

use std::path::Path;

use plotters::prelude::*;

use super::{Output, Sample};
use crate::report::ReportError;

/// Points per line at most; longer series are thinned (every n-th sample, the last kept).
const MAX_POINTS: usize = 2000;

/// A line: name, colour, value of a sample.
type Line<'a> = (&'a str, RGBColor, &'a dyn Fn(&Sample) -> f64);

/// Writes `copies.svg`, `availability.svg`, `repair_traffic.svg` and `capacity.svg` into `dir`.
pub fn write_plots(dir: &Path, out: &Output) -> Result<(), ReportError> {
    let s = &out.samples;
    let (unit, div) = time_unit(s.last().map_or(0.0, |x| x.t_secs));
    let k = out.summary.replicas as f64;
    let y_max = s.iter().map(|x| f64::from(x.copies_max)).fold(k + 1.0, f64::max) + 0.5;
    lines(
        &dir.join("copies.svg"),
        "Complete copies per video (on nodes that are up)",
        "copies",
        s,
        (unit, div),
        (0.0, y_max),
        &[
            ("max", RED, &|x| f64::from(x.copies_max)),
            ("p95", MAGENTA, &|x| f64::from(x.copies_p95)),
            ("mean", BLACK, &|x| x.copies_mean),
            ("p05", CYAN, &|x| f64::from(x.copies_p05)),
            ("min", BLUE, &|x| f64::from(x.copies_min)),
        ],
    )?;
    let lowest = s.iter().map(|x| x.at_k_min.min(x.available_min)).fold(1.0, f64::min);
    let y_min = (lowest - (1.0 - lowest) * 0.1).clamp(0.0, 0.999);
    lines(
        &dir.join("availability.svg"),
        "Availability (share of videos)",
        "share",
        s,
        (unit, div),
        (y_min, 1.0 + (1.0 - y_min) * 0.02),
        &[
            (">= 1 copy", GREEN, &|x| x.available),
            (">= 1 copy, lowest in interval", BLUE, &|x| x.available_min),
            (">= k copies", MAGENTA, &|x| x.at_k),
            (">= k copies, lowest in interval", RED, &|x| x.at_k_min),
            ("views finding >= 1 copy", BLACK, &|x| x.views_available),
        ],
    )?;
    let interval = s.get(1).map_or(1.0, |x| x.t_secs - s[0].t_secs).max(1e-9);
    let mbps = move |b: u64| b as f64 * 8.0 / 1e6 / interval;
    let peak = s.iter().map(|x| mbps(x.bytes_from_members).max(mbps(x.bytes_from_origin))).fold(1.0, f64::max);
    lines(
        &dir.join("repair_traffic.svg"),
        "Repair traffic (Mbit/s, mean over each interval)",
        "Mbit/s",
        s,
        (unit, div),
        (0.0, peak * 1.1),
        &[
            ("from members", BLUE, &|x| mbps(x.bytes_from_members)),
            ("from origins", RED, &|x| mbps(x.bytes_from_origin)),
        ],
    )?;
    capacity(&dir.join("capacity.svg"), out)
}

fn time_unit(last_secs: f64) -> (&'static str, f64) {
    if last_secs > 3.0 * 86_400.0 {
        ("simulated days", 86_400.0)
    } else if last_secs > 3.0 * 3600.0 {
        ("simulated hours", 3600.0)
    } else {
        ("simulated seconds", 1.0)
    }
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> ReportError {
    ReportError::Plot { path: path.display().to_string(), message: e.to_string() }
}

fn thinned(s: &[Sample]) -> Vec<&Sample> {
    let step = s.len().div_ceil(MAX_POINTS).max(1);
    let mut out: Vec<&Sample> = s.iter().step_by(step).collect();
    if let Some(last) = s.last() {
        if s.len() > 1 && !(s.len() - 1).is_multiple_of(step) {
            out.push(last);
        }
    }
    out
}

fn lines(
    path: &Path,
    caption: &str,
    y_desc: &str,
    s: &[Sample],
    (unit, div): (&str, f64),
    (y_min, y_max): (f64, f64),
    series: &[Line<'_>],
) -> Result<(), ReportError> {
    let points = thinned(s);
    let x_max = s.last().map_or(1.0, |x| x.t_secs / div).max(1e-9);
    let root = SVGBackend::new(path, (900, 450)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, y_min..y_max)
        .map_err(|e| plot_err(path, e))?;
    chart.configure_mesh().x_desc(unit).y_desc(y_desc).draw().map_err(|e| plot_err(path, e))?;
    for &(name, color, f) in series {
        chart
            .draw_series(LineSeries::new(points.iter().map(|x| (x.t_secs / div, f(x))), &color))
            .map_err(|e| plot_err(path, e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))
}

fn capacity(path: &Path, out: &Output) -> Result<(), ReportError> {
    let members: Vec<(f64, f64)> =
        out.nodes.iter().filter(|n| n.in_placement).map(|n| (n.weight_share * 100.0, n.held_share * 100.0)).collect();
    let top = members.iter().map(|p| p.0.max(p.1)).fold(1e-6, f64::max) * 1.05;
    let root = SVGBackend::new(path, (650, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Share of held bytes vs weight share, per member (%)", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..top, 0.0..top)
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("weight (capacity) share %")
        .y_desc("held bytes share %")
        .draw()
        .map_err(|e| plot_err(path, e))?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (top, top)], &BLACK))
        .map_err(|e| plot_err(path, e))?
        .label("proportional")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
    chart.draw_series(members.iter().map(|&p| Circle::new(p, 2, BLUE.filled()))).map_err(|e| plot_err(path, e))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))
}
