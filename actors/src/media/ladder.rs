//! Which resolutions to produce for a source.

use crate::config::{Rung, TranscodingConfig};

/// Bitrate of the single rung made for a source smaller than every configured rung,
/// when the ladder is empty.
const FALLBACK_BITRATE_KBPS: u32 = 500;
/// Lowest bitrate given to a rung scaled down from the configured ladder.
const MIN_BITRATE_KBPS: u32 = 50;

/// Rungs for a source `source_height` pixels high: the configured rungs at or below it,
/// lowest first (duplicates removed). If the source is below every rung (or the ladder is
/// empty), one rung at the source height rounded down to even, its bitrate scaled from the
/// lowest rung by pixel count. Empty only for a source under 2 pixels.
pub fn plan_ladder(cfg: &TranscodingConfig, source_height: u32) -> Vec<Rung> {
    let mut rungs: Vec<Rung> = cfg
        .ladder
        .iter()
        .filter(|r| r.height >= 2 && r.height <= source_height)
        .map(|r| Rung { height: r.height & !1, bitrate_kbps: r.bitrate_kbps })
        .collect();
    rungs.sort_by_key(|r| r.height);
    rungs.dedup_by_key(|r| r.height);
    if !rungs.is_empty() {
        return rungs;
    }
    let height = source_height & !1;
    if height < 2 {
        return Vec::new();
    }
    let bitrate_kbps = match cfg.ladder.iter().filter(|r| r.height > 0).min_by_key(|r| r.height) {
        Some(lowest) => {
            let ratio = (f64::from(height) / f64::from(lowest.height)).powi(2);
            ((f64::from(lowest.bitrate_kbps) * ratio).round() as u32).max(MIN_BITRATE_KBPS)
        }
        None => FALLBACK_BITRATE_KBPS,
    };
    vec![Rung { height, bitrate_kbps }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heights(cfg: &TranscodingConfig, h: u32) -> Vec<u32> {
        plan_ladder(cfg, h).iter().map(|r| r.height).collect()
    }

    #[test]
    fn default_ladder() {
        let cfg = TranscodingConfig::default();
        assert_eq!(heights(&cfg, 1080), [360, 720]);
        assert_eq!(heights(&cfg, 720), [360, 720]);
        assert_eq!(heights(&cfg, 719), [360]);
        assert_eq!(heights(&cfg, 360), [360]);
        assert_eq!(plan_ladder(&cfg, 240), [Rung { height: 240, bitrate_kbps: 222 }]);
        assert_eq!(heights(&cfg, 121), [120]);
        assert!(plan_ladder(&cfg, 1).is_empty());
    }

    #[test]
    fn unsorted_duplicate_and_empty_ladders() {
        let mut cfg = TranscodingConfig {
            ladder: vec![
                Rung { height: 720, bitrate_kbps: 1500 },
                Rung { height: 240, bitrate_kbps: 300 },
                Rung { height: 720, bitrate_kbps: 2000 },
            ],
            ..TranscodingConfig::default()
        };
        assert_eq!(heights(&cfg, 1080), [240, 720]);
        cfg.ladder.clear();
        assert_eq!(plan_ladder(&cfg, 481), [Rung { height: 480, bitrate_kbps: FALLBACK_BITRATE_KBPS }]);
    }
}
