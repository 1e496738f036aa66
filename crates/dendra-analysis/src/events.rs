//! Event detection in a dF/F trace, as in the analysis code of Wright, Hedrick & Komiyama
//! (2025; repository `wjakewright/Lab_Analyses`), with each step documented.
//!
//! For a trace `x` sampled at `rate_hz`:
//!
//! 1. **Baseline**: the trace is cut into blocks of `baseline_window_s`; the `baseline_quantile`
//!    of each block, linearly interpolated between block centres, is subtracted (removes slow
//!    drift that the dF/F normalisation left).
//! 2. **Smoothing**: Savitzky–Golay of degree `smooth_order` over `smooth_window_s`
//!    ([`crate::smooth::savgol`]), giving `s`.
//! 3. **Noise**: `σ = sqrt(mean(s_i² : s_i < 0))`, the standard deviation of the below-zero
//!    part of `s` mirrored about 0 (transients are positive, so the negative half is noise).
//! 4. **Hysteresis**: an event is a maximal run of frames with `s > lower_sd · σ` that contains at
//!    least one frame with `s > upper_sd · σ` and lasts at least `min_frames`.
//!
//! The result is a binary trace stored as its active intervals ([`EventTrain`]).

use crate::smooth::savgol;
use crate::train::EventTrain;

/// Parameters of [`detect`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventParams {
    /// Block length for the baseline (s). Default 10.
    pub baseline_window_s: f64,
    /// Quantile taken as the baseline of a block, in `[0, 1]`. Default 0.5 (the median: with
    /// sparse transients it sits on the noise, so the noise is symmetric about 0).
    pub baseline_quantile: f64,
    /// Savitzky–Golay window (s). Default 0.2 (12 frames at 60 Hz; the paper's code used ~1 s
    /// on slower indicators).
    pub smooth_window_s: f64,
    /// Savitzky–Golay polynomial degree. Default 3.
    pub smooth_order: usize,
    /// Onset threshold (multiples of σ). Default 3.
    pub upper_sd: f64,
    /// Offset threshold (multiples of σ). Default 1.
    pub lower_sd: f64,
    /// Shortest event (frames). Default 2.
    pub min_frames: u32,
}

impl Default for EventParams {
    fn default() -> Self {
        EventParams {
            baseline_window_s: 10.0,
            baseline_quantile: 0.5,
            smooth_window_s: 0.2,
            smooth_order: 3,
            upper_sd: 3.0,
            lower_sd: 1.0,
            min_frames: 2,
        }
    }
}

impl EventParams {
    /// Check the values; the error names the key.
    pub fn validate(&self) -> Result<(), dendra_core::ParamError> {
        use dendra_core::error::{in_range, positive};
        positive("baseline_window_s", self.baseline_window_s)?;
        in_range("baseline_quantile", self.baseline_quantile, 0.0, 1.0)?;
        positive("smooth_window_s", self.smooth_window_s)?;
        positive("upper_sd", self.upper_sd)?;
        in_range("lower_sd", self.lower_sd, 0.0, self.upper_sd)?;
        Ok(())
    }
}

/// Remove a slow baseline: block quantiles interpolated between block centres (step 1).
pub fn remove_baseline(x: &[f64], rate_hz: f64, p: &EventParams) -> Vec<f64> {
    let n = x.len();
    let block = ((p.baseline_window_s * rate_hz).round() as usize).max(1);
    if n == 0 {
        return Vec::new();
    }
    let mut centres = Vec::new();
    let mut levels = Vec::new();
    let mut buf = Vec::with_capacity(block);
    let mut start = 0;
    while start < n {
        let end = (start + block).min(n);
        buf.clear();
        buf.extend_from_slice(&x[start..end]);
        buf.sort_by(f64::total_cmp);
        let q = ((buf.len() - 1) as f64 * p.baseline_quantile).round() as usize;
        centres.push((start + end - 1) as f64 / 2.0);
        levels.push(buf[q]);
        start = end;
    }
    (0..n)
        .map(|i| {
            let t = i as f64;
            let k = centres.partition_point(|&c| c <= t);
            let base = if k == 0 {
                levels[0]
            } else if k == centres.len() {
                levels[k - 1]
            } else {
                let (c0, c1) = (centres[k - 1], centres[k]);
                levels[k - 1] + (levels[k] - levels[k - 1]) * (t - c0) / (c1 - c0)
            };
            x[i] - base
        })
        .collect()
}

/// The noise level of a (baseline-free, smoothed) trace: RMS of its below-zero samples (step 3);
/// 0 if none is below zero.
pub fn mirrored_noise(s: &[f64]) -> f64 {
    let (sum, count) = s
        .iter()
        .filter(|&&v| v < 0.0)
        .fold((0.0, 0usize), |(a, c), &v| (a + v * v, c + 1));
    if count == 0 {
        0.0
    } else {
        (sum / count as f64).sqrt()
    }
}

/// Detect events in `dff` sampled at `rate_hz` (steps 1–4). Returns the binary trace and σ.
pub fn detect(dff: &[f64], rate_hz: f64, p: &EventParams) -> (EventTrain, f64) {
    let x = remove_baseline(dff, rate_hz, p);
    let window = ((p.smooth_window_s * rate_hz).round() as usize).max(p.smooth_order + 2) | 1;
    let s = savgol(&x, window, p.smooth_order);
    let sigma = mirrored_noise(&s);
    let (lo, hi) = (p.lower_sd * sigma, p.upper_sd * sigma);
    let mut intervals = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] > lo {
            let start = i;
            let mut peak = false;
            while i < s.len() && s[i] > lo {
                peak |= s[i] > hi;
                i += 1;
            }
            if peak && (i - start) as u32 >= p.min_frames && sigma > 0.0 {
                intervals.push((start as u32, i as u32));
            }
        } else {
            i += 1;
        }
    }
    (EventTrain::new(s.len() as u32, intervals), sigma)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn mirrored_noise_of_gaussian_noise_is_its_sd() {
        let mut rng = dendra_core::StreamKey::new(3, dendra_core::Purpose::Analysis, 0, 0).rng();
        let d = Normal::new(0.0, 0.2).unwrap();
        let x: Vec<f64> = (0..100_000).map(|_| d.sample(&mut rng)).collect();
        assert!((mirrored_noise(&x) - 0.2).abs() < 0.003);
    }

    #[test]
    fn transients_on_drift_are_found_and_noise_alone_gives_few() {
        let rate = 60.0;
        let n = 6000;
        let mut rng = dendra_core::StreamKey::new(4, dendra_core::Purpose::Analysis, 0, 1).rng();
        let noise = Normal::new(0.0, 0.1).unwrap();
        let onsets: Vec<usize> = (1..20).map(|k| k * 300 + 7).collect();
        let x: Vec<f64> = (0..n)
            .map(|i| {
                let drift = 0.3 * (i as f64 / n as f64 * 3.0).sin();
                let tr: f64 = onsets
                    .iter()
                    .filter(|&&o| i >= o)
                    .map(|&o| 1.0 * (-((i - o) as f64) / (0.08 * rate)).exp())
                    .sum();
                drift + tr + noise.sample(&mut rng)
            })
            .collect();
        let (train, sigma) = detect(&x, rate, &EventParams::default());
        assert!(sigma > 0.0);
        let found = onsets
            .iter()
            .filter(|&&o| {
                train
                    .intervals()
                    .iter()
                    .any(|&(a, b)| (a as usize) <= o + 3 && o < b as usize)
            })
            .count();
        assert_eq!(found, onsets.len(), "{:?}", train.intervals());
        assert!(train.onsets() <= onsets.len() as u32 + 2, "{}", train.onsets());
        // Pure noise: hardly any events.
        let y: Vec<f64> = (0..n)
            .map(|_| noise.sample(&mut rng) + rng.random::<f64>() * 0.0)
            .collect();
        let (quiet, _) = detect(&y, rate, &EventParams::default());
        assert!(quiet.onsets() <= 3, "{}", quiet.onsets());
    }
}
