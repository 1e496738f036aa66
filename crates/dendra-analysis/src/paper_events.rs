//! Event detection as the published analysis code of Wright, Hedrick & Komiyama (2025) does it
//! (`Lab_Analyses/Utilities/event_detection.py` in github.com/wjakewright/Lab_Analyses), step
//! for step, for the analysis profile that reproduces the paper (`profile = "paper"`).
//! `crates/dendra-analysis/tests/paper_events.rs` checks it against that code's output on
//! shipped traces (`scripts/paper_event_fixtures.py` makes them).
//!
//! For a dF/F trace `x` (one session) at `rate_hz`:
//!
//! 1. **Noise** `σ`: the standard deviation of the below-zero samples of the *raw* trace mirrored
//!    about 0 (`sqrt(mean(x_i² : x_i < 0))`).
//! 2. **Thresholds**: lower `= lower_sd · σ`; upper `= max(upper_sd · σ, artefact, floor)`,
//!    where the artefact limit is `|5th percentile|` of the below-zero samples (linear
//!    interpolation, numpy's default) and the floor is `floor_dff`, or `0.15 · max(x)` when it
//!    is not given (the paper's dendrite setting).
//! 3. **Smoothing**: Savitzky–Golay over `floor(rate · smooth_s)` frames (made odd) of degree
//!    `smooth_order`; the first and last half-windows take the polynomial fitted to the first and
//!    last window (scipy's `mode="interp"`).
//! 4. **Candidates**: each run of smoothed frames above the upper threshold, extended back to
//!    *one frame after* the start of the run above the lower threshold that holds it (the
//!    published code's indexing; a run above the lower threshold that starts at frame 0 does not
//!    extend it, and a candidate that then starts at frame 0 is dropped).
//! 5. **Onsets on the raw trace**: from the candidate's first frame, the first raw frame above the
//!    upper threshold, then back to the first raw frame below it (not looking at frame 0); the
//!    event runs from there to the candidate's second-to-last frame (empty when that raw frame
//!    lies after the candidate).
//! 6. **The first event is dropped** (`drop_first_event`, on by default in this profile): the
//!    published code means to drop events outside the session but indexes its list of events
//!    with a boolean, which empties the first one in every call. dendra keeps this so that the
//!    profile gives the paper's numbers; turn it off for the intended behaviour.
//!
//! A trace shorter than the smoothing window, or without a below-zero sample, gives no events
//! (the published code raises an error or returns none there); so does a one-frame candidate
//! that step 4 leaves empty (an error in the published code).

use nalgebra::DMatrix;

use crate::train::EventTrain;

/// Settings of [`detect`]; the defaults are the paper's spine settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaperEventParams {
    /// Upper threshold (multiples of σ). Default 2.
    pub upper_sd: f64,
    /// Lower threshold (multiples of σ). Default 1 (the paper's dendrites: 0).
    pub lower_sd: f64,
    /// Floor of the upper threshold (dF/F); `None`: 0.15 times the trace's maximum (the paper's
    /// dendrites). Default 0.2.
    pub floor_dff: Option<f64>,
    /// Savitzky–Golay window (s). Default 1.
    pub smooth_s: f64,
    /// Savitzky–Golay degree. Default 4 (the spine pipeline's; the function's own default is 2).
    pub smooth_order: usize,
    /// Drop the first event of each trace, as the published code does (step 6). Default true.
    pub drop_first_event: bool,
}

impl Default for PaperEventParams {
    fn default() -> Self {
        PaperEventParams {
            upper_sd: 2.0,
            lower_sd: 1.0,
            floor_dff: Some(0.2),
            smooth_s: 1.0,
            smooth_order: 4,
            drop_first_event: true,
        }
    }
}

impl PaperEventParams {
    /// The paper's settings for dendritic calcium: lower threshold 0, floor 0.15 x max.
    pub fn dendrite() -> Self {
        PaperEventParams {
            lower_sd: 0.0,
            floor_dff: None,
            ..PaperEventParams::default()
        }
    }

    /// Check the values; the error names the key.
    pub fn validate(&self) -> Result<(), dendra_core::ParamError> {
        use dendra_core::error::{finite, non_negative, positive};
        non_negative("upper_sd", self.upper_sd)?;
        finite("upper_sd", self.upper_sd)?;
        non_negative("lower_sd", self.lower_sd)?;
        finite("lower_sd", self.lower_sd)?;
        if let Some(f) = self.floor_dff {
            finite("floor_dff", f)?;
        }
        positive("smooth_s", self.smooth_s)?;
        finite("smooth_s", self.smooth_s)?;
        if self.smooth_order > 10 {
            return Err(dendra_core::ParamError::new(
                "smooth_order",
                "a polynomial degree of at most 10",
                self.smooth_order,
            ));
        }
        Ok(())
    }
}

/// What [`detect`] found in one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperEvents {
    /// The active frames.
    pub train: EventTrain,
    /// Upper threshold (dF/F); NaN without below-zero samples.
    pub upper: f64,
    /// Lower threshold (dF/F).
    pub lower: f64,
    /// Artefact limit (dF/F).
    pub artifact: f64,
}

/// numpy's default (linear) percentile `q` (0-100) of `sorted` (ascending, not empty).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let t = pos - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    // numpy's lerp: from the nearer end.
    if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    }
}

/// The least-squares polynomial of degree `order` through `(t_k, y_k)`, `t_k = k`, evaluated at
/// `at`; fitted in a centred and scaled variable, so that the fit stays accurate for long
/// windows and high degrees.
fn polyfit_eval(y: &[f64], order: usize, at: impl Iterator<Item = usize>) -> Vec<f64> {
    let w = y.len();
    let centre = (w as f64 - 1.0) / 2.0;
    let scale = centre.max(1.0);
    let u = |t: f64| (t - centre) / scale;
    let a = DMatrix::from_fn(w, order + 1, |k, i| u(k as f64).powi(i as i32));
    let pinv = a.pseudo_inverse(1e-12).expect("a non-negative epsilon");
    let coef = pinv * nalgebra::DVector::from_column_slice(y);
    at.map(|t| {
        let x = u(t as f64);
        coef.iter().rev().fold(0.0, |acc, &c| acc * x + c)
    })
    .collect()
}

/// Savitzky–Golay smoothing with scipy's `mode="interp"` edges (step 3); `None` if the trace
/// is shorter than the window.
pub fn savgol_interp(x: &[f64], window: usize, order: usize) -> Option<Vec<f64>> {
    let n = x.len();
    if window > n || window <= order {
        return None;
    }
    let h = window / 2;
    // Interior: the value at the centre of each window's fit, as convolution coefficients.
    let centre = (window as f64 - 1.0) / 2.0;
    let scale = centre.max(1.0);
    let a = DMatrix::from_fn(window, order + 1, |k, i| {
        ((k as f64 - centre) / scale).powi(i as i32)
    });
    let pinv = a.pseudo_inverse(1e-12).expect("a non-negative epsilon");
    let c: Vec<f64> = pinv.row(0).iter().copied().collect();
    let mut y: Vec<f64> = (0..n)
        .map(|i| {
            if i < h || i + h >= n {
                0.0
            } else {
                c.iter().zip(&x[i - h..=i + h]).map(|(a, b)| a * b).sum()
            }
        })
        .collect();
    y[..h].copy_from_slice(&polyfit_eval(&x[..window], order, 0..h));
    let tail = polyfit_eval(&x[n - window..], order, window - h..window);
    y[n - h..].copy_from_slice(&tail);
    Some(y)
}

/// The half-open runs `(start, stop)` of `true` in `flags`.
fn runs(flags: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < flags.len() {
        if flags[i] {
            let start = i;
            while i < flags.len() && flags[i] {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Detect events in one trace, as the published code does (steps 1–6).
pub fn detect(x: &[f64], rate_hz: f64, p: &PaperEventParams) -> PaperEvents {
    let n = x.len();
    let none = |upper: f64, lower: f64, artifact: f64| PaperEvents {
        train: EventTrain::new(n as u32, Vec::new()),
        upper,
        lower,
        artifact,
    };
    let mut below: Vec<f64> = x.iter().copied().filter(|&v| v < 0.0).collect();
    if below.is_empty() {
        return none(f64::NAN, f64::NAN, f64::NAN);
    }
    let sigma = (below.iter().map(|v| v * v).sum::<f64>() / below.len() as f64).sqrt();
    below.sort_by(f64::total_cmp);
    let artifact = percentile(&below, 5.0).abs();
    let floor = p.floor_dff.unwrap_or_else(|| {
        0.15 * x
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f64::NEG_INFINITY, f64::max)
    });
    let mut upper = sigma * p.upper_sd;
    if upper < artifact {
        upper = artifact;
    }
    if upper < floor {
        upper = floor;
    }
    let lower = sigma * p.lower_sd;
    let mut window = (rate_hz * p.smooth_s).floor() as usize;
    if window.is_multiple_of(2) {
        window += 1;
    }
    let Some(s) = savgol_interp(x, window, p.smooth_order) else {
        return none(upper, lower, artifact);
    };
    let above_lower: Vec<bool> = s.iter().map(|&v| v > lower).collect();
    let above_upper: Vec<bool> = s.iter().map(|&v| v > upper).collect();
    let lower_starts = |j: usize| above_lower[j] && (j == 0 || !above_lower[j - 1]);
    let mut events: Vec<std::ops::Range<usize>> = Vec::new();
    for (start, stop) in runs(&above_upper) {
        // Step 4: back to one frame after the start of the enclosing lower run (never frame 0).
        let from = (1..=start)
            .rev()
            .find(|&j| lower_starts(j))
            .map_or(start, |j| j + 1);
        if from == 0 || from >= stop {
            continue;
        }
        // Step 5: refine the onset on the raw trace.
        let u1 = (from..n).position(|i| x[i] > upper).unwrap_or(0);
        let peak = from + u1;
        let u2 = (1..=peak).rev().position(|i| x[i] < upper).unwrap_or(0);
        events.push(peak - u2..stop - 1);
    }
    if p.drop_first_event && !events.is_empty() {
        events.remove(0);
    }
    let mut active = vec![false; n];
    for e in events {
        // An event whose refined onset lies after its end is empty (and still counts as the
        // first event above), as in the published code.
        if e.start < e.end {
            active[e].fill(true);
        }
    }
    PaperEvents {
        train: EventTrain::from_bools(&active),
        upper,
        lower,
        artifact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any trace, at any rate and setting, gives a train of its length and no panic (the
        /// simulated study once hit an onset refined past its candidate's end).
        #[test]
        fn any_trace_gives_a_train_of_its_length(
            x in proptest::collection::vec(-2.0f64..5.0, 0..400),
            rate in 1.0f64..120.0,
            order in 0usize..6,
            dendrite in any::<bool>(),
        ) {
            let p = PaperEventParams {
                smooth_order: order,
                ..if dendrite { PaperEventParams::dendrite() } else { PaperEventParams::default() }
            };
            let e = detect(&x, rate, &p);
            prop_assert_eq!(e.train.len() as usize, x.len());
        }
    }

    #[test]
    fn percentiles_are_numpys_linear_ones() {
        let v = [-5.0, -4.0, -2.0, -1.0, -0.5];
        // numpy.percentile(v, 5) = -5 + 0.2 * 1 = -4.8; 50 -> -2; 100 -> -0.5.
        assert!((percentile(&v, 5.0) + 4.8).abs() < 1e-12);
        assert_eq!(percentile(&v, 50.0), -2.0);
        assert_eq!(percentile(&v, 100.0), -0.5);
    }

    #[test]
    fn savgol_keeps_polynomials_of_its_degree_exactly_edges_included() {
        let x: Vec<f64> = (0..50)
            .map(|i| 0.3 + 0.01 * (i as f64).powi(3) - 0.2 * i as f64)
            .collect();
        let y = savgol_interp(&x, 11, 3).unwrap();
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() < 1e-9 * (1.0 + a.abs()), "{a} vs {b}");
        }
        assert!(savgol_interp(&x[..9], 11, 3).is_none());
    }
}
