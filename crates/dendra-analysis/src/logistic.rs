//! L2-regularised logistic regression, cross-validated with class undersampling, scored by
//! macro-F1 against a shuffled-label control (the plasticity prediction of Wright, Hedrick &
//! Komiyama 2025, whose code used scikit-learn's `LogisticRegression(C=100)` with 5 folds).
//!
//! The model is `P(y = 1 | x) = σ(b₀ + bᵀz)` on standardized features `z = (x - mean) / sd`
//! (statistics of the training data). It minimises
//!
//! ```text
//! -Σ_i [y_i log p_i + (1 - y_i) log(1 - p_i)] + |b|² / (2 C)
//! ```
//!
//! (no penalty on the intercept, as in scikit-learn) by Newton's method (iteratively reweighted
//! least squares) until the step is below 1e-10 or 100 iterations.

use dendra_core::{Purpose, StreamKey};
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use rand::seq::SliceRandom;

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// Intercept.
    pub intercept: f64,
    /// One coefficient per standardized feature.
    pub coef: Vec<f64>,
    /// Feature means used for standardization.
    pub mean: Vec<f64>,
    /// Feature standard deviations used for standardization (1 where a feature is constant).
    pub sd: Vec<f64>,
}

fn sigmoid(u: f64) -> f64 {
    1.0 / (1.0 + (-u).exp())
}

impl Logistic {
    /// Fit on rows `x` (each of the same width) with labels `y` and inverse regularisation `c`.
    pub fn fit(x: &[Vec<f64>], y: &[bool], c: f64) -> Logistic {
        let n = x.len();
        let d = x.first().map_or(0, Vec::len);
        let mean: Vec<f64> = (0..d)
            .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n.max(1) as f64)
            .collect();
        let sd: Vec<f64> = (0..d)
            .map(|j| {
                let v = x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n.max(1) as f64;
                if v > 1e-24 { v.sqrt() } else { 1.0 }
            })
            .collect();
        let z = DMatrix::from_fn(n, d + 1, |i, j| {
            if j == 0 {
                1.0
            } else {
                (x[i][j - 1] - mean[j - 1]) / sd[j - 1]
            }
        });
        let t = DVector::from_fn(n, |i, _| if y[i] { 1.0 } else { 0.0 });
        let mut b = DVector::zeros(d + 1);
        let lambda = 1.0 / c;
        for _ in 0..100 {
            let p = (&z * &b).map(sigmoid);
            let mut grad = z.transpose() * (&p - &t);
            let w = p.map(|v| (v * (1.0 - v)).max(1e-12));
            let mut zw = z.clone();
            for (i, mut row) in zw.row_iter_mut().enumerate() {
                row *= w[i];
            }
            let mut h = z.transpose() * zw;
            for j in 1..=d {
                grad[j] += lambda * b[j];
                h[(j, j)] += lambda;
            }
            let Some(step) = h.cholesky().map(|ch| ch.solve(&grad)) else {
                break;
            };
            b -= &step;
            if step.amax() < 1e-10 {
                break;
            }
        }
        Logistic {
            intercept: b[0],
            coef: b.iter().skip(1).copied().collect(),
            mean,
            sd,
        }
    }

    /// Probability of class 1 for one row.
    pub fn probability(&self, row: &[f64]) -> f64 {
        let u: f64 = self.intercept
            + row
                .iter()
                .zip(&self.coef)
                .enumerate()
                .map(|(j, (v, b))| b * (v - self.mean[j]) / self.sd[j])
                .sum::<f64>();
        sigmoid(u)
    }

    /// Predicted class for one row (`p >= 0.5`).
    pub fn predict(&self, row: &[f64]) -> bool {
        self.probability(row) >= 0.5
    }
}

/// Macro-F1: the mean over both classes of `2 TP / (2 TP + FP + FN)` (a class that is never
/// present nor predicted counts 0).
pub fn macro_f1(truth: &[bool], predicted: &[bool]) -> f64 {
    let f1 = |class: bool| {
        let (mut tp, mut fp, mut fneg) = (0.0, 0.0, 0.0);
        for (&t, &p) in truth.iter().zip(predicted) {
            match (t == class, p == class) {
                (true, true) => tp += 1.0,
                (false, true) => fp += 1.0,
                (true, false) => fneg += 1.0,
                _ => {}
            }
        }
        let den = 2.0 * tp + fp + fneg;
        if den > 0.0 { 2.0 * tp / den } else { 0.0 }
    };
    (f1(true) + f1(false)) / 2.0
}

/// Settings of [`cross_validate`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CvParams {
    /// Inverse regularisation `C`. Default 100.
    pub c: f64,
    /// Folds. Default 5.
    pub folds: usize,
    /// Shuffled-label repetitions for the control. Default 50 (smallest p-value 1/51).
    pub shuffles: usize,
}

impl Default for CvParams {
    fn default() -> Self {
        CvParams {
            c: 100.0,
            folds: 5,
            shuffles: 50,
        }
    }
}

/// Cross-validated prediction scores.
#[derive(Debug, Clone, PartialEq)]
pub struct CvResult {
    /// Macro-F1 of the out-of-fold predictions with the true labels.
    pub macro_f1: f64,
    /// Mean macro-F1 over label shuffles (the chance control).
    pub shuffled_macro_f1: f64,
    /// Fraction of shuffles scoring at least `macro_f1`, `(1 + k) / (1 + shuffles)`.
    pub p: f64,
    /// The model fitted on all rows (for its coefficients).
    pub model: Logistic,
}

/// Out-of-fold predictions: stratified folds, each training set undersampled to equal classes.
fn out_of_fold(x: &[Vec<f64>], y: &[bool], p: &CvParams, rng: &mut impl rand::Rng) -> Vec<bool> {
    let mut pos: Vec<usize> = (0..y.len()).filter(|&i| y[i]).collect();
    let mut neg: Vec<usize> = (0..y.len()).filter(|&i| !y[i]).collect();
    pos.shuffle(rng);
    neg.shuffle(rng);
    let folds = p.folds.max(2);
    let fold_of = |list: &[usize], out: &mut Vec<usize>| {
        for (k, &i) in list.iter().enumerate() {
            out[i] = k % folds;
        }
    };
    let mut fold = vec![0usize; y.len()];
    fold_of(&pos, &mut fold);
    fold_of(&neg, &mut fold);
    let mut predicted = vec![false; y.len()];
    for f in 0..folds {
        let mut tp: Vec<usize> = pos.iter().copied().filter(|&i| fold[i] != f).collect();
        let mut tn: Vec<usize> = neg.iter().copied().filter(|&i| fold[i] != f).collect();
        let m = tp.len().min(tn.len());
        tp.shuffle(rng);
        tn.shuffle(rng);
        tp.truncate(m);
        tn.truncate(m);
        let rows: Vec<usize> = tp.into_iter().chain(tn).collect();
        let model = Logistic::fit(
            &rows.iter().map(|&i| x[i].clone()).collect::<Vec<_>>(),
            &rows.iter().map(|&i| y[i]).collect::<Vec<_>>(),
            p.c,
        );
        for i in (0..y.len()).filter(|&i| fold[i] == f) {
            predicted[i] = if m == 0 {
                rng.random::<bool>()
            } else {
                model.predict(&x[i])
            };
        }
    }
    predicted
}

/// Cross-validate a logistic model of `y` on `x` and compare with shuffled labels; randomness
/// comes from the stream `(seed, Analysis, 1, key)`.
pub fn cross_validate(x: &[Vec<f64>], y: &[bool], p: &CvParams, seed: u64, key: u64) -> CvResult {
    let mut rng = StreamKey::new(seed, Purpose::Analysis, 1, key).rng();
    let observed = macro_f1(y, &out_of_fold(x, y, p, &mut rng));
    let mut shuffled = y.to_vec();
    let (mut sum, mut reach) = (0.0, 0usize);
    for _ in 0..p.shuffles {
        shuffled.shuffle(&mut rng);
        let f = macro_f1(&shuffled, &out_of_fold(x, &shuffled, p, &mut rng));
        sum += f;
        if f >= observed {
            reach += 1;
        }
    }
    CvResult {
        macro_f1: observed,
        shuffled_macro_f1: if p.shuffles > 0 {
            sum / p.shuffles as f64
        } else {
            f64::NAN
        },
        p: (1 + reach) as f64 / (1 + p.shuffles) as f64,
        model: Logistic::fit(x, y, p.c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn recovers_known_coefficients() {
        // y ~ Bernoulli(σ(-0.5 + 2 x1 + 0 x2)) with x standard normal.
        let mut rng = StreamKey::new(5, Purpose::Analysis, 9, 0).rng();
        let nd = Normal::new(0.0, 1.0).unwrap();
        let mut x = Vec::new();
        let mut y = Vec::new();
        for _ in 0..20_000 {
            let r = vec![nd.sample(&mut rng), nd.sample(&mut rng)];
            let p = sigmoid(-0.5 + 2.0 * r[0]);
            y.push(rng.random::<f64>() < p);
            x.push(r);
        }
        let m = Logistic::fit(&x, &y, 100.0);
        // Standardized features have sd ~1, so coefficients ~ the generating ones.
        assert!((m.coef[0] - 2.0).abs() < 0.1, "{m:?}");
        assert!(m.coef[1].abs() < 0.06, "{m:?}");
        assert!((m.intercept + 0.5).abs() < 0.08, "{m:?}");
        let cv = cross_validate(&x[..2000], &y[..2000], &CvParams::default(), 1, 0);
        assert!(
            cv.macro_f1 > 0.75 && cv.shuffled_macro_f1 < 0.56 && cv.p < 0.1,
            "{cv:?}"
        );
    }

    #[test]
    fn strong_penalty_shrinks_coefficients() {
        let x: Vec<Vec<f64>> = (0..40).map(|i| vec![i as f64]).collect();
        let y: Vec<bool> = (0..40).map(|i| i >= 20).collect();
        let loose = Logistic::fit(&x, &y, 100.0);
        let tight = Logistic::fit(&x, &y, 0.01);
        assert!(loose.coef[0] > tight.coef[0] && tight.coef[0] > 0.0);
        assert!(loose.predict(&[30.0]) && !loose.predict(&[5.0]));
    }

    #[test]
    fn macro_f1_by_hand() {
        let t = [true, true, false, false];
        assert_eq!(macro_f1(&t, &t), 1.0);
        // TP=1 FN=1 FP=0 for class 1: 2/3; class 0: TP=2 FP=1: 4/5.
        let p = [true, false, false, false];
        assert!((macro_f1(&t, &p) - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-12);
    }
}
