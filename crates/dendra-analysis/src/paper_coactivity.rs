//! Co-activity of spines on one dendrite in one imaging session, as the published analysis code
//! of Wright, Hedrick & Komiyama (2025) computes it (github.com/wjakewright/Lab_Analyses:
//! `Utilities/coactivity_functions.py::calculate_coactivity`,
//! `Spine_Analysis_v2/calculate_distance_coactivity_rate.py`,
//! `calculate_chance_local_coactivity.py`, `spine_utilities.py::bin_by_position` and
//! `calculate_nearby_vs_distance_variable`), for the analysis profile that reproduces the paper
//! (`profile = "paper"`). `crates/dendra-analysis/tests/paper_coactivity.rs` checks every function
//! against that code's output on shipped activity (`scripts/paper_coactivity_fixtures.py`).
//!
//! - **Normalized co-activity** of binary traces `a`, `b` ([`normalized`]): 0 if either trace is
//!   never active; otherwise frame 0 of both is set inactive (the published code does so before
//!   counting), and the value is the number of onsets of `a AND b` over the geometric mean of the
//!   onset counts of `a` and `b` (0 if `a AND b` has none).
//! - **Event rate** ([`rate_per_min`]): onsets after frame 0 per minute (frame 0 is not cleared
//!   here, so an event running from frame 0 is not counted).
//! - **Distance bins** ([`binned`]): the edges are `numpy.linspace(0, max, floor(max/bin) + 1)`;
//!   for each spine and bin `(lo, hi]` the mean over its *present* partners (other spines of the
//!   dendrite, never itself) whose distance falls in the bin; NaN where there is none, and for a
//!   spine that is not present. A partner at the same position (0 µm) is in no bin.
//! - **Local co-activity** ([`local`]): the first bin of width `radius` (partners in `(0, r]`);
//!   NaN without a partner.
//! - **Distant co-activity** ([`distant`]): the mean of a spine's bin means from the first edge at
//!   or beyond `max - r` (with 5 µm bins, `max` 40 and `r` 10: the 30–35 and 35–40 µm bins).
//! - **Chance** ([`local_chance`]): every spine's trace is rolled circularly by its own uniform
//!   random whole number of frames in `[min_shift_s, max_shift_s]·rate` (both ends included; the
//!   code's 1 to 600 s) and local co-activity recomputed, `iterations` times; the chance level is
//!   the median over iterations (NaNs left out), and a spine is significantly co-active when its
//!   real value's percentile rank among the shuffles (scipy's `percentileofscore`, kind
//!   `"rank"`) is at least `percentile` (the code's `100 − 10·alpha`, 99.5 at its alpha 0.05).
//!   A spine without partners has a NaN real value; the published code's significance is then
//!   NaN, which its cast to booleans turns into `True` (counted as significantly co-active);
//!   here such a spine is not significant. Everywhere else the two agree.

use dendra_core::{Purpose, StreamKey};
use rand::RngExt;

use crate::train::EventTrain;

/// One spine of a dendrite in one session.
#[derive(Debug, Clone, Copy)]
pub struct SessionSpine<'a> {
    /// Position along the dendrite (µm).
    pub position_um: f64,
    /// Present in the session (not absent nor eliminated); absent spines are nobody's partner.
    pub present: bool,
    /// Detected events.
    pub train: &'a EventTrain,
}

/// `train` with frame 0 inactive.
fn clear_first(t: &EventTrain) -> EventTrain {
    if t.intervals().first().is_some_and(|&(a, _)| a == 0) {
        let mut iv = t.intervals().to_vec();
        iv[0].0 = 1;
        EventTrain::new(t.len(), iv)
    } else {
        t.clone()
    }
}

/// Normalized co-activity of two binary traces of equal length (`norm_method = "mean"`).
pub fn normalized(a: &EventTrain, b: &EventTrain) -> f64 {
    if a.active_frames() == 0 || b.active_frames() == 0 {
        return 0.0;
    }
    let (a, b) = (clear_first(a), clear_first(b));
    let co = a.and(&b).onsets();
    if co == 0 {
        return 0.0;
    }
    f64::from(co) / (f64::from(a.onsets()) * f64::from(b.onsets())).sqrt()
}

/// Event rate: onsets after frame 0 per minute.
pub fn rate_per_min(a: &EventTrain, rate_hz: f64) -> f64 {
    let onsets = a.intervals().iter().filter(|&&(s, _)| s > 0).count();
    if a.is_empty() {
        return f64::NAN;
    }
    onsets as f64 / (f64::from(a.len()) / rate_hz) * 60.0
}

/// Bin edges `numpy.linspace(0, max_um, floor(max_um / bin_um) + 1)`.
pub fn bin_edges_um(bin_um: f64, max_um: f64) -> Vec<f64> {
    let bins = (max_um / bin_um).floor().max(1.0) as usize;
    let step = max_um / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|k| k as f64 * step).collect();
    edges[bins] = max_um;
    edges
}

/// Normalized co-activity of every pair of `spines` (symmetric; the diagonal unused).
fn pair_matrix(spines: &[SessionSpine]) -> Vec<Vec<f64>> {
    let n = spines.len();
    let mut m = vec![vec![f64::NAN; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            let v = normalized(spines[i].train, spines[j].train);
            m[i][j] = v;
            m[j][i] = v;
        }
    }
    m
}

/// Per spine, the mean co-activity with its present partners in each bin `(edges[k],
/// edges[k+1]]` (NaN where none, and for spines not present).
pub fn binned(spines: &[SessionSpine], edges: &[f64]) -> Vec<Vec<f64>> {
    binned_from(spines, &pair_matrix(spines), edges)
}

fn binned_from(spines: &[SessionSpine], m: &[Vec<f64>], edges: &[f64]) -> Vec<Vec<f64>> {
    let bins = edges.len().saturating_sub(1);
    spines
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut sum = vec![0.0; bins];
            let mut count = vec![0usize; bins];
            if s.present {
                for (j, p) in spines.iter().enumerate() {
                    if j == i || !p.present {
                        continue;
                    }
                    let d = (p.position_um - s.position_um).abs();
                    if let Some(k) = (0..bins).find(|&k| d > edges[k] && d <= edges[k + 1]) {
                        sum[k] += m[i][j];
                        count[k] += 1;
                    }
                }
            }
            (0..bins)
                .map(|k| {
                    if count[k] > 0 {
                        sum[k] / count[k] as f64
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        })
        .collect()
}

/// Mean of the finite values (`numpy.nanmean`); NaN if none.
pub fn nanmean(v: &[f64]) -> f64 {
    let (s, n) = v
        .iter()
        .filter(|x| !x.is_nan())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n > 0 { s / n as f64 } else { f64::NAN }
}

/// Median of the non-NaN values (`numpy.nanmedian`); NaN if none.
pub fn nanmedian(v: &[f64]) -> f64 {
    let mut x: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if x.is_empty() {
        return f64::NAN;
    }
    x.sort_by(f64::total_cmp);
    let n = x.len();
    if n % 2 == 1 {
        x[n / 2]
    } else {
        (x[n / 2 - 1] + x[n / 2]) / 2.0
    }
}

/// Local co-activity of each spine: the mean over its present partners in `(0, radius_um]`
/// (NaN without one). `max_um` is the published code's largest binned distance (40 µm); the
/// first bin is `(0, max/floor(max/radius)]`, which is `(0, radius]` when `radius` divides
/// `max` (as [`crate::study::StudyParams::validate`] requires in the paper profile).
pub fn local(spines: &[SessionSpine], radius_um: f64, max_um: f64) -> Vec<f64> {
    local_from(spines, &pair_matrix(spines), radius_um, max_um)
}

fn local_from(spines: &[SessionSpine], m: &[Vec<f64>], radius_um: f64, max_um: f64) -> Vec<f64> {
    let edges = bin_edges_um(radius_um, max_um);
    binned_from(spines, m, &edges[..2])
        .into_iter()
        .map(|b| b[0])
        .collect()
}

/// First index of `edges` at or beyond `max - radius`.
fn distant_from(edges: &[f64], radius_um: f64) -> usize {
    let max = edges.last().copied().unwrap_or(0.0);
    edges
        .iter()
        .position(|&e| e >= max - radius_um)
        .unwrap_or(edges.len())
}

/// Distant co-activity of one spine from its bin means `row` (bins of `edges`): the mean of
/// the bins from the first edge at or beyond `max - radius_um` on (NaN if all are empty).
pub fn distant(row: &[f64], edges: &[f64], radius_um: f64) -> f64 {
    let k = distant_from(edges, radius_um).min(row.len());
    nanmean(&row[k..])
}

/// Near minus distant co-activity of one spine from its bin means (the code's
/// `calculate_nearby_vs_distance_variable`): the mean of the bins below `radius_um` minus
/// [`distant`]. `None` when `radius_um` is not an edge.
pub fn near_minus_distant(row: &[f64], edges: &[f64], radius_um: f64) -> Option<f64> {
    let near_k = edges.iter().position(|&e| e == radius_um)?;
    let near = if near_k > 0 {
        nanmean(&row[..near_k.min(row.len())])
    } else {
        row.first().copied().unwrap_or(f64::NAN)
    };
    Some(near - distant(row, edges, radius_um))
}

/// `scipy.stats.percentileofscore(values, score, kind="rank")` (0–100; NaN for no values).
pub fn percentile_of_score(values: &[f64], score: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let left = values.iter().filter(|&&v| v < score).count();
    let right = values.iter().filter(|&&v| v <= score).count();
    let plus1 = usize::from(right > left);
    (left + right + plus1) as f64 * (50.0 / values.len() as f64)
}

/// Chance level of local co-activity per spine.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalChance {
    /// The real local co-activity (as [`local`]).
    pub real: Vec<f64>,
    /// Local co-activity after each iteration's rolls: `shuffled[iteration][spine]`.
    pub shuffled: Vec<Vec<f64>>,
    /// Median over iterations (NaN left out).
    pub median: Vec<f64>,
    /// Percentile rank of the real value among the shuffles (NaN if the real value is NaN).
    pub rank: Vec<f64>,
    /// Whether `rank >= percentile` (false where the rank is NaN).
    pub significant: Vec<bool>,
}

/// Chance level of local co-activity with given rolls: `shifts[iteration][spine]` frames.
pub fn local_chance_with_shifts(
    spines: &[SessionSpine],
    radius_um: f64,
    max_um: f64,
    shifts: &[Vec<u32>],
    percentile: f64,
) -> LocalChance {
    let real = local(spines, radius_um, max_um);
    let shuffled: Vec<Vec<f64>> = shifts
        .iter()
        .map(|it| {
            let rolled: Vec<EventTrain> = spines.iter().zip(it).map(|(s, &k)| s.train.rotate(k)).collect();
            let view: Vec<SessionSpine> = spines
                .iter()
                .zip(&rolled)
                .map(|(s, t)| SessionSpine { train: t, ..*s })
                .collect();
            local(&view, radius_um, max_um)
        })
        .collect();
    let column = |i: usize| -> Vec<f64> { shuffled.iter().map(|it| it[i]).filter(|v| !v.is_nan()).collect() };
    let median: Vec<f64> = (0..spines.len()).map(|i| nanmedian(&column(i))).collect();
    let rank: Vec<f64> = (0..spines.len())
        .map(|i| {
            if real[i].is_nan() {
                f64::NAN
            } else {
                percentile_of_score(&column(i), real[i])
            }
        })
        .collect();
    let significant = rank.iter().map(|&r| r >= percentile).collect();
    LocalChance {
        real,
        shuffled,
        median,
        rank,
        significant,
    }
}

/// Settings of [`local_chance`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChanceParams {
    /// Frame rate (Hz).
    pub rate_hz: f64,
    /// Smallest roll (s); the code's 1.
    pub min_shift_s: f64,
    /// Largest roll (s); the code's 600.
    pub max_shift_s: f64,
    /// Iterations.
    pub iterations: u32,
    /// Significance percentile (0–100).
    pub percentile: f64,
}

/// Chance level of local co-activity, each spine's rolls drawn from the seeded stream
/// `(seed, Analysis, 1, key)`.
pub fn local_chance(
    spines: &[SessionSpine],
    radius_um: f64,
    max_um: f64,
    p: &ChanceParams,
    seed: u64,
    key: u64,
) -> LocalChance {
    let mut rng = StreamKey::new(seed, Purpose::Analysis, 1, key).rng();
    let lo = (p.min_shift_s * p.rate_hz).round() as u64;
    let hi = ((p.max_shift_s * p.rate_hz).round() as u64).max(lo);
    let shifts: Vec<Vec<u32>> = (0..p.iterations)
        .map(|_| {
            spines
                .iter()
                .map(|s| {
                    let k = rng.random_range(lo..=hi);
                    let len = u64::from(s.train.len()).max(1);
                    (k % len) as u32
                })
                .collect()
        })
        .collect();
    local_chance_with_shifts(spines, radius_um, max_um, &shifts, p.percentile)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(len: u32, iv: &[(u32, u32)]) -> EventTrain {
        EventTrain::new(len, iv.to_vec())
    }

    #[test]
    fn frame_zero_is_cleared_before_counting() {
        // a: events [0,3) and [10,12); b: [1,2) and [10,11).
        let (a, b) = (t(20, &[(0, 3), (10, 12)]), t(20, &[(1, 2), (10, 11)]));
        // Cleared a: [1,3), [10,12): 2 onsets; b: 2; overlap [1,2), [10,11): 2 -> 1.
        assert_eq!(normalized(&a, &b), 1.0);
        // An event only at frame 0 overlaps nothing once cleared.
        assert_eq!(normalized(&t(20, &[(0, 1)]), &t(20, &[(0, 1)])), 0.0);
        // The event rate does not count an onset at frame 0.
        assert_eq!(rate_per_min(&a, 1.0), 3.0); // 1 onset in 20 s
    }

    #[test]
    fn bins_are_half_open_on_the_left_and_skip_absent_partners() {
        let (a, b, c, d) = (
            t(50, &[(5, 8), (20, 22)]),
            t(50, &[(6, 7), (30, 31)]),
            t(50, &[(20, 21)]),
            t(50, &[(5, 6)]),
        );
        let spines = [
            SessionSpine {
                position_um: 0.0,
                present: true,
                train: &a,
            },
            SessionSpine {
                position_um: 5.0,
                present: true,
                train: &b,
            },
            SessionSpine {
                position_um: 0.0,
                present: true,
                train: &c,
            },
            SessionSpine {
                position_um: 3.0,
                present: false,
                train: &d,
            },
        ];
        let edges = bin_edges_um(5.0, 40.0);
        assert_eq!(edges, vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0]);
        let m = binned(&spines, &edges);
        // Spine 0: b at exactly 5 um is in (0, 5]; c at 0 um in no bin; d absent.
        assert_eq!(m[0][0], normalized(&a, &b));
        assert!(m[0][1..].iter().all(|v| v.is_nan()));
        assert!(m[3].iter().all(|v| v.is_nan()));
        let l = local(&spines, 10.0, 40.0);
        assert_eq!(l[0], normalized(&a, &b));
        assert!(l[3].is_nan());
    }

    #[test]
    fn percentile_rank_matches_scipy() {
        // scipy 1.17: percentileofscore([1,2,3,4], 3) = 75.0; ([1,2,3,3,4], 3) = 70.0.
        assert_eq!(percentile_of_score(&[1.0, 2.0, 3.0, 4.0], 3.0), 75.0);
        assert_eq!(percentile_of_score(&[1.0, 2.0, 3.0, 3.0, 4.0], 3.0), 70.0);
        assert_eq!(percentile_of_score(&[1.0, 2.0], 5.0), 100.0);
        assert_eq!(nanmedian(&[3.0, f64::NAN, 1.0, 2.0, 10.0]), 2.5);
    }
}
