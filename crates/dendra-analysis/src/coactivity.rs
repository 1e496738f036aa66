//! Co-activity of binary event traces (Wright, Hedrick & Komiyama 2025, analysis code).
//!
//! For traces `a`, `b` of `T` minutes (`len / rate_hz / 60`):
//!
//! ```text
//! rate(a)        = onsets(a) / T                                  (events per minute)
//! coactivity(a,b) = onsets(a AND b) / T                           (onsets of overlap per minute)
//! normalized(a,b) = coactivity(a,b) / sqrt(rate(a) · rate(b))     (0 if either rate is 0)
//! ```
//!
//! The normalized value is the fraction of events that are shared, in the geometric-mean sense:
//! 1 when the two traces' events always overlap one for one, near 0 when they never do.
//!
//! Chance: `b` is circularly shifted by a uniform random offset in `[min_shift_s, len - min_shift_s]`
//! ([`chance`]); the mean over shifts is the chance level and the fraction of shifts reaching
//! the observed value is a one-sided p-value.

use dendra_core::{Purpose, StreamKey};
use rand::RngExt;

use crate::train::EventTrain;

/// Duration of a trace in minutes.
pub fn minutes(train: &EventTrain, rate_hz: f64) -> f64 {
    f64::from(train.len()) / rate_hz / 60.0
}

/// Event rate (onsets per minute).
pub fn event_rate_per_min(a: &EventTrain, rate_hz: f64) -> f64 {
    let t = minutes(a, rate_hz);
    if t > 0.0 { f64::from(a.onsets()) / t } else { 0.0 }
}

/// Co-activity rate: onsets of overlap per minute.
pub fn coactivity_per_min(a: &EventTrain, b: &EventTrain, rate_hz: f64) -> f64 {
    event_rate_per_min(&a.and(b), rate_hz)
}

/// Normalized co-activity: co-activity rate over the geometric mean of the two event rates.
pub fn normalized(a: &EventTrain, b: &EventTrain) -> f64 {
    let (na, nb) = (f64::from(a.onsets()), f64::from(b.onsets()));
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    // Rates share the same duration, which cancels.
    f64::from(a.and(b).onsets()) / (na * nb).sqrt()
}

/// A chance level from circular shifts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chance {
    /// The observed normalized co-activity.
    pub observed: f64,
    /// Mean over shifted copies.
    pub mean: f64,
    /// One-sided p-value: `(1 + #{shifted >= observed}) / (1 + shuffles)`.
    pub p: f64,
}

/// Normalized co-activity of `a` and `b` against `shuffles` circular shifts of `b` by at least
/// `min_shift_s` each way; the shifts come from the stream `(seed, Analysis, 0, key)`.
pub fn chance(
    a: &EventTrain,
    b: &EventTrain,
    rate_hz: f64,
    min_shift_s: f64,
    shuffles: u32,
    seed: u64,
    key: u64,
) -> Chance {
    let observed = normalized(a, b);
    let len = b.len();
    let min = ((min_shift_s * rate_hz) as u32).min(len / 2);
    let mut rng = StreamKey::new(seed, Purpose::Analysis, 0, key).rng();
    let (mut sum, mut reach) = (0.0, 0u32);
    for _ in 0..shuffles {
        let span = len.saturating_sub(2 * min).max(1);
        let shift = min + (rng.random::<f64>() * f64::from(span)) as u32;
        let v = normalized(a, &b.rotate(shift));
        sum += v;
        if v >= observed {
            reach += 1;
        }
    }
    Chance {
        observed,
        mean: if shuffles > 0 {
            sum / f64::from(shuffles)
        } else {
            0.0
        },
        p: f64::from(1 + reach) / f64::from(1 + shuffles),
    }
}

/// Mean normalized co-activity per distance bin: pairs `(distance_um, value)` are put in bins
/// `[k·bin_um, (k+1)·bin_um)` up to `max_um`; returns `(bin centre, mean, count)` per bin (mean
/// NaN where a bin is empty).
pub fn by_distance(pairs: &[(f64, f64)], bin_um: f64, max_um: f64) -> Vec<(f64, f64, usize)> {
    let bins = (max_um / bin_um).ceil() as usize;
    let mut sum = vec![0.0; bins];
    let mut count = vec![0usize; bins];
    for &(d, v) in pairs {
        if d.is_finite() && d >= 0.0 && d < max_um {
            let k = ((d / bin_um) as usize).min(bins - 1);
            sum[k] += v;
            count[k] += 1;
        }
    }
    (0..bins)
        .map(|k| {
            let mean = if count[k] > 0 {
                sum[k] / count[k] as f64
            } else {
                f64::NAN
            };
            ((k as f64 + 0.5) * bin_um, mean, count[k])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train(len: u32, iv: &[(u32, u32)]) -> EventTrain {
        EventTrain::new(len, iv.to_vec())
    }

    #[test]
    fn rates_and_normalization_by_hand() {
        // 60 Hz, 3600 frames = 1 minute.
        let a = train(3600, &[(10, 20), (100, 110), (500, 505), (900, 950)]);
        let b = train(3600, &[(15, 25), (105, 107), (108, 130), (2000, 2010)]);
        assert_eq!(event_rate_per_min(&a, 60.0), 4.0);
        assert_eq!(event_rate_per_min(&b, 60.0), 4.0);
        // Overlaps: [15,20), [105,107), [108,110): 3 onsets.
        assert_eq!(coactivity_per_min(&a, &b, 60.0), 3.0);
        assert!((normalized(&a, &b) - 3.0 / 4.0).abs() < 1e-12);
        assert_eq!(normalized(&a, &train(3600, &[])), 0.0);
        assert!((normalized(&a, &a) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn locked_traces_beat_chance_and_independent_ones_do_not() {
        let n = 36_000;
        let iv: Vec<(u32, u32)> = (0..60).map(|k| (k * 587 + 11, k * 587 + 17)).collect();
        let a = train(n, &iv);
        let locked = chance(&a, &a.clone(), 60.0, 1.0, 200, 1, 0);
        assert!(
            locked.observed > 0.99 && locked.mean < 0.1 && locked.p < 0.01,
            "{locked:?}"
        );
        let other: Vec<(u32, u32)> = (0..60).map(|k| (k * 601 + 300, k * 601 + 306)).collect();
        let indep = chance(&a, &train(n, &other), 60.0, 1.0, 200, 1, 1);
        assert!(indep.p > 0.05, "{indep:?}");
    }

    #[test]
    fn distance_bins() {
        let pairs = [(1.0, 1.0), (4.9, 3.0), (7.0, 2.0), (39.0, 5.0), (40.0, 9.0)];
        let b = by_distance(&pairs, 5.0, 40.0);
        assert_eq!(b.len(), 8);
        assert_eq!(b[0], (2.5, 2.0, 2));
        assert_eq!(b[1], (7.5, 2.0, 1));
        assert!(b[2].1.is_nan());
        assert_eq!(b[7], (37.5, 5.0, 1));
    }
}
