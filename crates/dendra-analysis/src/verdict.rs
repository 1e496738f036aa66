//! Which signal governs spine enlargement in a compartment, with the right to say that the data
//! cannot tell.
//!
//! The candidates compete in one logistic model of enlargement on the standardized features
//! `[local, bap, distant, rate]` (the spine's own event rate is a covariate of every
//! comparison, so a rule driven by activity alone is not credited to co-activity). Spines of
//! one neuron share its spikes and its dendrites' events, so they are not independent: each
//! coefficient's uncertainty is a **cluster-robust** (sandwich) standard error over clusters
//! (animals by default) with the CR1 small-sample factor `G/(G−1)`, and its interval and
//! p-value use Student's t with `G − 1` degrees of freedom (Cameron & Miller, J. Human
//! Resources 50:317, 2015: the usual remedy for few clusters). A coefficient is *positive*
//! when the lower end of its two-sided `1 − alpha` interval is above 0. The model has one
//! intercept per cluster (fixed effects), so only comparisons within an animal count: animals
//! that differ by chance in both features and enlargement make no rule.
//!
//! | verdict | when |
//! |---|---|
//! | `undetermined` | fewer than `min_enlarged` enlarged or fewer than `min_enlarged` other spines, or fewer than `min_clusters` clusters; or no candidate positive and a real effect not excluded |
//! | `local` / `bap` | that coefficient positive, the other not |
//! | `both` | both positive |
//! | `other` | neither positive, but the interval of `rate` or `distant` excludes 0 |
//! | `none` | none of these, and the upper ends of the `local` and `bap` intervals below `null_effect` (effects that matter excluded) |
//!
//! Error rate: a rule is named on data where neither local nor bAP co-activity matters only if
//! an interval lies above a zero coefficient, which a calibrated interval does with probability
//! `alpha / 2` per candidate: at most `alpha` (1 % by default) for the two. Tests below check it
//! on synthetic nulls; the recovery map of the `wright2025` study measures it on simulated
//! cohorts (docs/wright2025.md).

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::logistic::Logistic;

/// What a cluster of spines (whose errors may be correlated) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterUnit {
    /// An animal (one imaged neuron each): the independent unit.
    Animal,
    /// A dendrite (spines of one neuron's dendrites are then taken as independent).
    Dendrite,
    /// A spine (every spine independent; anti-conservative when spines share a neuron).
    Spine,
}

/// Settings of [`verdict`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerdictParams {
    /// Two-sided level of each interval. Default 0.01.
    pub alpha: f64,
    /// Fewest enlarged spines, and fewest other spines, for a verdict. Default 10.
    pub min_enlarged: usize,
    /// Fewest clusters for a verdict. Default 3.
    pub min_clusters: usize,
    /// What a cluster is. Default `animal`.
    pub unit: ClusterUnit,
    /// Smallest standardized coefficient (log-odds per standard deviation) that matters:
    /// `none` needs the `local` and `bap` intervals below it. Default 0.5.
    pub null_effect: f64,
    /// Inverse L2 regularisation of the model (on standardized features). Default 1: a
    /// moderate ridge keeps coefficients and their errors finite when a feature (nearly)
    /// separates enlarged from other spines, where the intervals of an unpenalised fit blow up
    /// (the Hauck–Donner effect) and would hide the strongest effects.
    pub c: f64,
}

impl Default for VerdictParams {
    fn default() -> Self {
        VerdictParams {
            alpha: 0.01,
            min_enlarged: 10,
            min_clusters: 3,
            unit: ClusterUnit::Animal,
            null_effect: 0.5,
            c: 1.0,
        }
    }
}

impl VerdictParams {
    /// Check the values; the error names the key.
    pub fn validate(&self) -> Result<(), dendra_core::ParamError> {
        use dendra_core::error::{in_range, positive};
        in_range("alpha", self.alpha, 1e-6, 0.5)?;
        in_range("min_enlarged", self.min_enlarged as f64, 1.0, 1e9)?;
        in_range("min_clusters", self.min_clusters as f64, 2.0, 1e9)?;
        positive("null_effect", self.null_effect)?;
        positive("c", self.c)?;
        Ok(())
    }
}

/// One coefficient of the model with its cluster-robust interval.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evidence {
    /// Feature.
    pub feature: String,
    /// Standardized coefficient on all spines.
    pub coef: f64,
    /// Cluster-robust standard error.
    pub se: f64,
    /// Lower end of the interval.
    pub lo: f64,
    /// Upper end of the interval.
    pub hi: f64,
    /// Two-sided p-value of a zero coefficient (t with `G − 1` degrees of freedom).
    pub p: f64,
}

/// The verdict on one compartment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    /// `local`, `bap`, `both`, `other`, `none` or `undetermined`.
    pub name: String,
    /// Why, in words.
    pub reason: String,
    /// Spines used.
    pub spines: usize,
    /// Of these, enlarged.
    pub enlarged: usize,
    /// Clusters.
    pub clusters: usize,
    /// Per feature, in the order given.
    pub evidence: Vec<Evidence>,
}

/// The model on standardized rows `z` with cluster-robust standard errors: `(coef, se)` per
/// feature (intercept left out).
fn robust_fit(z: &[Vec<f64>], y: &[bool], cluster: &[u64], c: f64) -> (Vec<f64>, Vec<f64>) {
    let d = z.first().map_or(0, Vec::len);
    let m = Logistic::fit(z, y, c);
    // Logistic::fit standardizes again; z has mean 0 and sd 1 (or a constant column), so its
    // coefficients are per unit of z once divided by its sd.
    let b: Vec<f64> = m.coef.iter().zip(&m.sd).map(|(b, sd)| b / sd).collect();
    let intercept = m.intercept - b.iter().zip(&m.mean).map(|(b, mu)| b * mu).sum::<f64>();
    let row = |i: usize| DVector::from_fn(d + 1, |j, _| if j == 0 { 1.0 } else { z[i][j - 1] });
    let mut h = DMatrix::<f64>::zeros(d + 1, d + 1);
    let mut scores: std::collections::BTreeMap<u64, DVector<f64>> = Default::default();
    for i in 0..z.len() {
        let x = row(i);
        let u = intercept + b.iter().zip(&z[i]).map(|(b, v)| b * v).sum::<f64>();
        let p = 1.0 / (1.0 + (-u).exp());
        h += &x * x.transpose() * (p * (1.0 - p)).max(1e-12);
        let r = if y[i] { 1.0 } else { 0.0 } - p;
        *scores.entry(cluster[i]).or_insert_with(|| DVector::zeros(d + 1)) += x * r;
    }
    for j in 1..=d {
        h[(j, j)] += 1.0 / c;
    }
    let g = scores.len() as f64;
    let mut meat = DMatrix::<f64>::zeros(d + 1, d + 1);
    for s in scores.values() {
        meat += s * s.transpose();
    }
    meat *= g / (g - 1.0).max(1.0);
    let se = match h.try_inverse() {
        Some(hi) => {
            // The sandwich underestimates with few clusters: never below the model's own.
            let v = &hi * meat * &hi;
            (1..=d)
                .map(|j| v[(j, j)].max(hi[(j, j)]).max(0.0).sqrt())
                .collect()
        }
        None => vec![f64::INFINITY; d],
    };
    (b, se)
}

/// The verdict from `features` (names of the columns of `x`; must contain `local` and `bap`;
/// the others are covariates that can make the verdict `other`), enlargement `y` and each
/// spine's `cluster`.
pub fn verdict(features: &[&str], x: &[Vec<f64>], y: &[bool], cluster: &[u64], p: &VerdictParams) -> Verdict {
    let enlarged = y.iter().filter(|&&e| e).count();
    let mut ids: Vec<u64> = cluster.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Verdict {
        name: "undetermined".into(),
        reason: String::new(),
        spines: y.len(),
        enlarged,
        clusters: ids.len(),
        evidence: Vec::new(),
    };
    let others = y.len() - enlarged;
    if enlarged < p.min_enlarged || others < p.min_enlarged {
        out.reason = format!(
            "{enlarged} enlarged and {others} other spines; a verdict needs at least {} of each",
            p.min_enlarged
        );
        return out;
    }
    if ids.len() < p.min_clusters {
        out.reason = format!(
            "{} {:?} clusters; a verdict needs at least {}",
            ids.len(),
            p.unit,
            p.min_clusters
        );
        return out;
    }
    let d = features.len();
    let n = x.len() as f64;
    let mean: Vec<f64> = (0..d).map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n).collect();
    let sd: Vec<f64> = (0..d)
        .map(|j| {
            let v = x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
            if v > 1e-24 { v.sqrt() } else { 1.0 }
        })
        .collect();
    let z: Vec<Vec<f64>> = x
        .iter()
        .map(|r| (0..d).map(|j| (r[j] - mean[j]) / sd[j]).collect())
        .collect();
    // Within-cluster comparisons: one intercept per cluster (the first is the reference), so
    // that clusters differing in both enlargement and features by chance (or by a cause the
    // features do not carry, such as an animal's learning) cannot make a rule.
    let fixed = p.unit != ClusterUnit::Spine;
    let z: Vec<Vec<f64>> = z
        .into_iter()
        .zip(cluster)
        .map(|(mut r, c)| {
            if fixed {
                r.extend(ids[1..].iter().map(|id| f64::from(u8::from(id == c))));
            }
            r
        })
        .collect();
    let (coef, se) = robust_fit(&z, y, cluster, p.c);
    let Ok(t) = StudentsT::new(0.0, 1.0, (ids.len() - 1) as f64) else {
        out.reason = "no degrees of freedom for the intervals".into();
        return out;
    };
    let q = t.inverse_cdf(1.0 - p.alpha / 2.0);
    for (j, name) in features.iter().enumerate() {
        let (b, s) = (coef[j], se[j]);
        let p_value = if s > 0.0 && s.is_finite() {
            (2.0 * t.sf(b.abs() / s)).min(1.0)
        } else if b != 0.0 && s == 0.0 {
            0.0
        } else {
            1.0
        };
        out.evidence.push(Evidence {
            feature: (*name).to_string(),
            coef: b,
            se: s,
            lo: b - q * s,
            hi: b + q * s,
            p: p_value,
        });
    }
    let get = |f: &str| out.evidence.iter().find(|e| e.feature == f);
    let positive = |f: &str| get(f).is_some_and(|e| e.lo > 0.0);
    let (local, bap) = (positive("local"), positive("bap"));
    let level = 100.0 * (1.0 - p.alpha);
    let other: Vec<&str> = out
        .evidence
        .iter()
        .filter(|e| e.feature != "local" && e.feature != "bap" && (e.lo > 0.0 || e.hi < 0.0))
        .map(|e| e.feature.as_str())
        .collect();
    let small = |f: &str| get(f).is_some_and(|e| e.hi < p.null_effect);
    // "rate predicts", "distant and rate predict".
    let predictors = format!(
        "{} {}",
        other.join(" and "),
        if other.len() > 1 { "predict" } else { "predicts" }
    );
    let (name, reason) = match (local, bap) {
        (true, true) => (
            "both",
            format!("local and bAP coefficients both above 0 ({level}% intervals)"),
        ),
        (true, false) => (
            "local",
            format!("local coefficient above 0, bAP's not ({level}% intervals)"),
        ),
        (false, true) => (
            "bap",
            format!("bAP coefficient above 0, local's not ({level}% intervals)"),
        ),
        (false, false) if !other.is_empty() => (
            "other",
            format!("neither co-activity above 0; {predictors} enlargement"),
        ),
        (false, false) if small("local") && small("bap") => (
            "none",
            format!(
                "no signal predicts enlargement; local and bAP effects above {} excluded",
                p.null_effect
            ),
        ),
        (false, false) => (
            "undetermined",
            format!(
                "no signal above 0, but effects up to the intervals' upper ends (> {}) not excluded",
                p.null_effect
            ),
        ),
    };
    out.name = name.into();
    out.reason = if matches!(name, "local" | "bap" | "both") && !other.is_empty() {
        format!("{reason}; {predictors} enlargement too")
    } else {
        reason
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dendra_core::{Purpose, StreamKey};
    use rand::RngExt;

    /// Spines of `clusters` animals with independent standard-normal features; enlargement from
    /// the logit `f(row)` plus animal-level noise.
    fn data(
        clusters: u64,
        per: usize,
        seed: u64,
        logit: fn(&[f64]) -> f64,
    ) -> (Vec<Vec<f64>>, Vec<bool>, Vec<u64>) {
        let mut rng = StreamKey::new(seed, Purpose::Task, 0, 0).rng();
        let mut normal = move || {
            let u: f64 = rng.random::<f64>().max(1e-12);
            let v: f64 = rng.random();
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let (mut x, mut y, mut c) = (Vec::new(), Vec::new(), Vec::new());
        for a in 0..clusters {
            let shift = 0.3 * normal();
            // Features vary between animals too, so that chance alignments of an animal's
            // features with its enlargement rate are possible.
            let offsets: Vec<f64> = (0..4).map(|_| 0.7 * normal()).collect();
            for _ in 0..per {
                let row: Vec<f64> = offsets.iter().map(|o| o + normal()).collect();
                let u = logit(&row) + shift + 0.5 * normal();
                y.push(u > 0.0);
                x.push(row);
                c.push(a);
            }
        }
        (x, y, c)
    }

    const F: [&str; 4] = ["local", "bap", "distant", "rate"];

    fn name(clusters: u64, per: usize, seed: u64, logit: fn(&[f64]) -> f64) -> String {
        let (x, y, c) = data(clusters, per, seed, logit);
        verdict(&F, &x, &y, &c, &VerdictParams::default()).name
    }

    #[test]
    fn each_truth_is_named() {
        for seed in 1..4 {
            assert_eq!(name(8, 40, seed, |r| r[0] - 0.5), "local");
            assert_eq!(name(8, 40, seed, |r| r[1] - 0.5), "bap");
            assert_eq!(name(8, 40, seed, |r| r[0] + r[1] - 0.5), "both");
            assert_eq!(name(8, 40, seed, |r| r[3] - 0.5), "other");
        }
    }

    #[test]
    fn no_signal_is_none_or_undetermined_never_a_rule() {
        for seed in 1..6 {
            let big = name(12, 80, seed, |_| -0.5);
            assert!(big == "none" || big == "undetermined", "{big}");
            let small = name(4, 15, seed, |_| -0.5);
            assert!(small == "none" || small == "undetermined", "{small}");
        }
        // With many spines, effects that matter are excluded: `none`.
        assert_eq!(name(20, 150, 7, |_| -0.5), "none");
    }

    #[test]
    fn too_few_enlarged_spines_or_clusters_is_undetermined() {
        let (x, y, c) = data(8, 40, 1, |r| 2.0 * r[0] - 6.0);
        let v = verdict(&F, &x, &y, &c, &VerdictParams::default());
        assert!(v.enlarged < 10 && v.name == "undetermined", "{v:?}");
        let (x, y, _) = data(8, 40, 1, |r| 2.0 * r[0] - 0.5);
        let one = vec![0u64; y.len()];
        let v = verdict(&F, &x, &y, &one, &VerdictParams::default());
        assert_eq!(v.name, "undetermined", "{v:?}");
        assert!(v.reason.contains("clusters"));
    }

    /// The stated error rate: over 400 null cohorts each of 4, 6 and 12 animals (enlargement
    /// depends on the animal, never on a feature; features vary between animals too), a rule
    /// is named at most about `alpha` = 1 % of the time, and `other` as rarely.
    #[test]
    fn rules_are_named_on_nulls_at_most_at_the_stated_rate() {
        for g in [4u64, 6, 12] {
            let (mut rule, mut other) = (0, 0);
            for seed in 0..400 {
                match name(g, 40, 1000 + seed, |_| -0.7).as_str() {
                    "local" | "bap" | "both" => rule += 1,
                    "other" => other += 1,
                    _ => {}
                }
            }
            println!("{g} animals: {rule} rules, {other} other of 400 null cohorts");
            assert!(
                rule <= 6 && other <= 6,
                "{g} animals: {rule} rules, {other} other of 400"
            );
        }
    }
}
