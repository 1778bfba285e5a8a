//! Arrival processes, drawn lazily in time order so a million viewers cost no up-front list:
//! Poisson, flash crowds (sorted uniform or exponential times via order statistics) and traces.

use rand::Rng;

use crate::scenario::{Arrivals as Spec, CrowdShape};

/// The next arrivals of a scenario.
#[derive(Debug)]
pub enum ArrivalProcess {
    Poisson { rate: f64, t: f64, until: f64 },
    Crowd { start: f64, ramp: f64, shape: CrowdShape, left: u64, u: f64 },
    Trace { rows: Vec<(f64, Option<f64>)>, next: usize },
}

impl ArrivalProcess {
    pub fn new(spec: &Spec, trace: &[(f64, Option<f64>)], end_secs: f64) -> Self {
        match spec {
            Spec::Poisson { rate_per_sec, start_secs, until_secs } => ArrivalProcess::Poisson {
                rate: *rate_per_sec,
                t: *start_secs,
                until: until_secs.unwrap_or(end_secs).min(end_secs),
            },
            Spec::FlashCrowd { viewers, start_secs, ramp_secs, shape } => {
                ArrivalProcess::Crowd { start: *start_secs, ramp: *ramp_secs, shape: *shape, left: *viewers, u: 0.0 }
            }
            Spec::Trace { .. } => ArrivalProcess::Trace { rows: trace.to_vec(), next: 0 },
        }
    }

    /// The next arrival: its time in seconds and, from a trace, its watch time.
    pub fn next<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Option<(f64, Option<f64>)> {
        match self {
            ArrivalProcess::Poisson { rate, t, until } => {
                *t += -(1.0 - rng.gen::<f64>()).ln() / *rate;
                (*t <= *until).then_some((*t, None))
            }
            ArrivalProcess::Crowd { start, ramp, shape, left, u } => {
                if *left == 0 {
                    return None;
                }
                let m = *left as f64;
                *left -= 1;
                match shape {
                    // Sorted uniforms on [0, 1]: the minimum of m uniforms on [u, 1].
                    CrowdShape::Uniform => *u += (1.0 - *u) * (1.0 - (1.0 - rng.gen::<f64>()).powf(1.0 / m)),
                    // Sorted exponentials (Rényi): spacings are Exp(1) / remaining.
                    CrowdShape::Exponential => *u += -(1.0 - rng.gen::<f64>()).ln() / m,
                }
                Some((*start + *ramp * *u, None))
            }
            ArrivalProcess::Trace { rows, next } => {
                let row = rows.get(*next).copied();
                *next += 1;
                row
            }
        }
    }
}
