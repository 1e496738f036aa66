//! Savitzky–Golay smoothing (Savitzky & Golay, Anal. Chem. 1964).
//!
//! Each sample is replaced by the value at the centre of the least-squares polynomial of degree
//! `order` fitted to the `window` samples around it. With `A` the `window x (order + 1)` matrix
//! `A[k][i] = (k - h)^i` (`h = (window - 1) / 2`), the smoothed value is `c · x` with `c` the
//! first row of `(AᵀA)⁻¹Aᵀ`. Ends are handled by mirroring the trace about its first and last
//! samples (`x[-k] = x[k]`), as `scipy.signal.savgol_filter(mode="mirror")` does.

use nalgebra::{DMatrix, DVector};

/// The convolution coefficients for a window of `window` samples (odd, > `order`) and a
/// polynomial of degree `order`; `None` if the window is not odd or too short.
pub fn savgol_coefficients(window: usize, order: usize) -> Option<Vec<f64>> {
    if window.is_multiple_of(2) || window <= order {
        return None;
    }
    let h = (window as f64 - 1.0) / 2.0;
    let a = DMatrix::from_fn(window, order + 1, |k, i| (k as f64 - h).powi(i as i32));
    let ata = a.transpose() * &a;
    let inv = ata.try_inverse()?;
    let rows = inv * a.transpose();
    Some(rows.row(0).iter().copied().collect())
}

/// Smooth `x` with a Savitzky–Golay filter of `window` samples and degree `order`. A window
/// shorter than `order + 2` or longer than the trace leaves it unchanged (nothing to fit).
pub fn savgol(x: &[f64], window: usize, order: usize) -> Vec<f64> {
    let n = x.len();
    let window = if window.is_multiple_of(2) {
        window + 1
    } else {
        window
    };
    let Some(c) = savgol_coefficients(window, order) else {
        return x.to_vec();
    };
    if n < window {
        return x.to_vec();
    }
    let h = window / 2;
    let at = |i: isize| -> f64 {
        // Mirror about the end samples.
        let n = n as isize;
        let j = if i < 0 {
            -i
        } else if i >= n {
            2 * (n - 1) - i
        } else {
            i
        };
        x[j as usize]
    };
    (0..n)
        .map(|i| {
            c.iter()
                .enumerate()
                .map(|(k, ck)| ck * at(i as isize + k as isize - h as isize))
                .sum()
        })
        .collect()
}

/// Least-squares coefficients `b` of the linear model `y ≈ X b` (used by tests and callers
/// that need a small fit); `None` if `XᵀX` is singular.
pub fn least_squares(x: &DMatrix<f64>, y: &DVector<f64>) -> Option<DVector<f64>> {
    let xtx = x.transpose() * x;
    xtx.cholesky().map(|c| c.solve(&(x.transpose() * y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_match_the_classic_table() {
        // Savitzky & Golay (1964), quadratic/cubic, 5 points: (-3, 12, 17, 12, -3) / 35.
        let c = savgol_coefficients(5, 2).unwrap();
        let expect = [-3.0, 12.0, 17.0, 12.0, -3.0].map(|v| v / 35.0);
        for (a, b) in c.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{c:?}");
        }
        assert!(savgol_coefficients(4, 2).is_none());
        assert!(savgol_coefficients(3, 3).is_none());
    }

    #[test]
    fn polynomials_of_the_order_pass_unchanged_inside() {
        let x: Vec<f64> = (0..50)
            .map(|i| 0.5 + 0.1 * i as f64 - 0.01 * (i * i) as f64)
            .collect();
        let y = savgol(&x, 9, 2);
        for i in 4..46 {
            assert!((x[i] - y[i]).abs() < 1e-9);
        }
    }

    #[test]
    fn white_noise_variance_shrinks_by_the_sum_of_squared_coefficients() {
        use rand::RngExt;
        let mut rng = dendra_core::StreamKey::new(1, dendra_core::Purpose::Analysis, 0, 0).rng();
        let x: Vec<f64> = (0..200_000).map(|_| rng.random::<f64>() - 0.5).collect();
        let y = savgol(&x, 31, 3);
        let var = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>() / v.len() as f64;
        let gain: f64 = savgol_coefficients(31, 3).unwrap().iter().map(|c| c * c).sum();
        let ratio = var(&y) / var(&x);
        assert!((ratio / gain - 1.0).abs() < 0.03, "{ratio} vs {gain}");
    }
}
