//! Random distributions a scenario draws peer properties from (capacities, watch and linger
//! times, patience), written in TOML as `{ dist = "lognormal", median = 10, sigma = 0.7 }`.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// A distribution of non-negative values, in the unit of the key it is given for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Always `value`.
    Constant { value: f64 },
    /// Uniform on `[min, max]`.
    Uniform { min: f64, max: f64 },
    /// Exponential with the given `mean`.
    Exponential { mean: f64 },
    /// Log-normal with the given `median` and `sigma` of the underlying normal.
    Lognormal { median: f64, sigma: f64 },
    /// One of `values`, with probabilities proportional to `weights` (all equal when omitted).
    Choice {
        values: Vec<f64>,
        #[serde(default)]
        weights: Vec<f64>,
    },
}

impl Dist {
    /// A constant distribution.
    pub fn constant(value: f64) -> Self {
        Dist::Constant { value }
    }

    /// Draws one value (never negative for a validated distribution).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::Uniform { min, max } => min + (max - min) * rng.gen::<f64>(),
            Dist::Exponential { mean } => -mean * (1.0 - rng.gen::<f64>()).ln(),
            Dist::Lognormal { median, sigma } => median * (sigma * standard_normal(rng)).exp(),
            Dist::Choice { values, weights } => {
                if weights.is_empty() {
                    return values[rng.gen_range(0..values.len())];
                }
                let total: f64 = weights.iter().sum();
                let mut x = rng.gen::<f64>() * total;
                for (v, w) in values.iter().zip(weights) {
                    if x < *w {
                        return *v;
                    }
                    x -= w;
                }
                values[values.len() - 1]
            }
        }
    }

    /// The mean of the distribution.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Exponential { mean } => *mean,
            Dist::Lognormal { median, sigma } => median * (sigma * sigma / 2.0).exp(),
            Dist::Choice { values, weights } => {
                if weights.is_empty() {
                    values.iter().sum::<f64>() / values.len().max(1) as f64
                } else {
                    let total: f64 = weights.iter().sum();
                    values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total
                }
            }
        }
    }

    /// Why the distribution is unusable (a constant may be `inf`, e.g. "never abandons"), if it is: `(sub-key, message)`.
    pub fn check(&self) -> Result<(), (Option<&'static str>, String)> {
        let finite_non_negative = |key: &'static str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err((Some(key), format!("must be a finite number >= 0, got {v}")))
            }
        };
        match self {
            Dist::Constant { value } if *value == f64::INFINITY => Ok(()),
            Dist::Constant { value } => finite_non_negative("value", *value),
            Dist::Uniform { min, max } => {
                finite_non_negative("min", *min)?;
                finite_non_negative("max", *max)?;
                if max < min {
                    return Err((Some("max"), format!("must be >= min ({min}), got {max}")));
                }
                Ok(())
            }
            Dist::Exponential { mean } => finite_non_negative("mean", *mean),
            Dist::Lognormal { median, sigma } => {
                finite_non_negative("median", *median)?;
                finite_non_negative("sigma", *sigma)
            }
            Dist::Choice { values, weights } => {
                if values.is_empty() {
                    return Err((Some("values"), "the distribution is empty: give at least one value".into()));
                }
                for v in values {
                    finite_non_negative("values", *v)?;
                }
                if !weights.is_empty() {
                    if weights.len() != values.len() {
                        return Err((
                            Some("weights"),
                            format!("has {} entries but values has {}", weights.len(), values.len()),
                        ));
                    }
                    for w in weights {
                        finite_non_negative("weights", *w)?;
                    }
                    if weights.iter().sum::<f64>() <= 0.0 {
                        return Err((Some("weights"), "must not all be zero".into()));
                    }
                }
                Ok(())
            }
        }
    }
}

/// A standard normal draw (Box–Muller; one of the pair is discarded to keep the draw count fixed).
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn sample_means_match() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for d in [
            Dist::Uniform { min: 2.0, max: 4.0 },
            Dist::Exponential { mean: 3.0 },
            Dist::Lognormal { median: 3.0, sigma: 0.5 },
            Dist::Choice { values: vec![1.0, 5.0], weights: vec![3.0, 1.0] },
        ] {
            let n = 200_000;
            let mean = (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64;
            assert!((mean - d.mean()).abs() < 0.02 * d.mean(), "{d:?}: {mean} vs {}", d.mean());
        }
    }

    #[test]
    fn empty_choice_is_refused() {
        let d = Dist::Choice { values: vec![], weights: vec![] };
        assert_eq!(d.check().unwrap_err().0, Some("values"));
    }
}
