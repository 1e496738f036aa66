//! Two-sample comparisons with effect sizes.

/// The result of a two-sample comparison.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// Size of the first sample.
    pub n1: usize,
    /// Size of the second sample.
    pub n2: usize,
    /// Mean of the first sample.
    pub mean1: f64,
    /// Mean of the second sample.
    pub mean2: f64,
    /// Effect size: rank-biserial correlation `r = 2 U₁ / (n₁ n₂) - 1` in `[-1, 1]` (positive when
    /// the first sample tends to be larger).
    pub effect: f64,
    /// Two-sided p-value.
    pub p: f64,
}

fn normal_two_sided(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// Mann–Whitney U test of `a` against `b` (two-sided; normal approximation with tie correction
/// and continuity correction). NaN values are dropped. With an empty sample the p-value is 1 and
/// the effect 0.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Comparison {
    let a: Vec<f64> = a.iter().copied().filter(|v| !v.is_nan()).collect();
    let b: Vec<f64> = b.iter().copied().filter(|v| !v.is_nan()).collect();
    let (n1, n2) = (a.len(), b.len());
    let mean = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let (mean1, mean2) = (mean(&a), mean(&b));
    if n1 == 0 || n2 == 0 {
        return Comparison {
            n1,
            n2,
            mean1,
            mean2,
            effect: 0.0,
            p: 1.0,
        };
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let (mut rank_sum1, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        rank_sum1 += rank * all[i..=j].iter().filter(|e| e.1).count() as f64;
        i = j + 1;
    }
    let (f1, f2, nf) = (n1 as f64, n2 as f64, n as f64);
    let u1 = rank_sum1 - f1 * (f1 + 1.0) / 2.0;
    let mu = f1 * f2 / 2.0;
    let var = f1 * f2 / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    let p = if var > 0.0 {
        let z = ((u1 - mu).abs() - 0.5).max(0.0) / var.sqrt();
        normal_two_sided(z)
    } else {
        1.0
    };
    Comparison {
        n1,
        n2,
        mean1,
        mean2,
        effect: 2.0 * u1 / (f1 * f2) - 1.0,
        p,
    }
}

/// Two-proportion z-test of `k1/n1` against `k2/n2` (pooled variance; two-sided). Returns the
/// p-value (1 when a sample is empty or both proportions are 0 or 1).
pub fn two_proportions(k1: usize, n1: usize, k2: usize, n2: usize) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let pool = (k1 + k2) as f64 / (n1 + n2) as f64;
    let se = (pool * (1.0 - pool) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se > 0.0 {
        normal_two_sided((p1 - p2) / se)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mann_whitney_by_hand() {
        // Ranks of a: 1, 2, 3, 4, 5.5, 7.5, 9.5, 11.5 -> R = 44, U = 44 - 36 = 8. Four ties of
        // two: var = 72/12 (18 - 24/272) = 107.47; z = (|8 - 36| - 0.5) / 10.367 = 2.6527,
        // p = erfc(z / sqrt 2) = 0.007985.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let b = [5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0];
        let c = mann_whitney(&a, &b);
        assert!((c.effect - (2.0 * 8.0 / 72.0 - 1.0)).abs() < 1e-12, "{c:?}");
        assert!((c.p - 0.007_985).abs() < 2e-5, "{c:?}");
        let same = mann_whitney(&a, &a);
        assert!(same.p > 0.9 && same.effect.abs() < 1e-12);
    }

    #[test]
    fn two_proportions_by_hand() {
        // 30/100 vs 10/100: pooled 0.2, se = sqrt(0.16 * 0.02) = 0.05657, z = 3.536.
        let p = two_proportions(30, 100, 10, 100);
        assert!((p - 0.000_407).abs() < 2e-5, "{p}");
        assert_eq!(two_proportions(0, 10, 0, 10), 1.0);
    }
}
