//! Weight bounds: hard (clip) and soft (multiplicative, Rubin et al. 2001).

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, finite};

/// How a weight is kept inside `[w_min, w_max]`.
///
/// In a spec, a `bounds` table must give all three fields (each rule has its own default
/// bounds, so a partial table would be ambiguous).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightBounds {
    /// Lower bound (same unit as the weight).
    pub w_min: f64,
    /// Upper bound.
    pub w_max: f64,
    /// Soft bounds: potentiation scales with `(w_max - w)`, depression with `(w - w_min)`, each
    /// normalised by `(w_max - w_min)`; hard bounds: changes are added, then clipped.
    pub soft: bool,
}

impl WeightBounds {
    /// Hard bounds.
    pub fn hard(w_min: f64, w_max: f64) -> Self {
        WeightBounds {
            w_min,
            w_max,
            soft: false,
        }
    }

    /// Soft (multiplicative) bounds.
    pub fn soft(w_min: f64, w_max: f64) -> Self {
        WeightBounds {
            w_min,
            w_max,
            soft: true,
        }
    }

    /// The factor that turns an amplitude in weight units into the nominal size the bounds
    /// expect: `1 / (w_max - w_min)` for soft bounds (whose steps are relative), 1 for hard.
    #[inline]
    pub fn scale(&self) -> f64 {
        if self.soft {
            1.0 / (self.w_max - self.w_min)
        } else {
            1.0
        }
    }

    /// Apply a potentiation of nominal size `dw >= 0` (relative to `w_max - w_min` for soft
    /// bounds) and return the new weight.
    #[inline]
    pub fn potentiate(&self, w: f64, dw: f64) -> f64 {
        if self.soft {
            w + dw * (self.w_max - w)
        } else {
            (w + dw).min(self.w_max)
        }
    }

    /// Apply a depression of nominal size `dw >= 0` and return the new weight.
    #[inline]
    pub fn depress(&self, w: f64, dw: f64) -> f64 {
        if self.soft {
            w - dw * (w - self.w_min)
        } else {
            (w - dw).max(self.w_min)
        }
    }

    /// Apply a signed change: positive potentiates, negative depresses.
    #[inline]
    pub fn apply(&self, w: f64, dw: f64) -> f64 {
        if dw >= 0.0 {
            self.potentiate(w, dw)
        } else {
            self.depress(w, -dw)
        }
    }

    /// Check the bounds.
    pub fn validate(&self) -> ParamResult<()> {
        finite("w_min", self.w_min)?;
        finite("w_max", self.w_max)?;
        if self.w_max < self.w_min {
            return Err(ParamError::new(
                "w_max",
                format!("a bound >= w_min ({})", self.w_min),
                self.w_max,
            ));
        }
        Ok(())
    }
}

/// Check that `w_min` and `w_max` are finite and `w_max > w_min` (the error names `w_max`).
pub fn check_bounds(w_min: f64, w_max: f64) -> ParamResult<()> {
    if !(w_min.is_finite() && w_max.is_finite() && w_max > w_min) {
        return Err(ParamError::new(
            "w_max",
            format!("a finite bound above w_min ({w_min})"),
            w_max,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_bounds_clip() {
        let b = WeightBounds::hard(0.0, 1.0);
        assert_eq!(b.potentiate(0.9, 0.5), 1.0);
        assert_eq!(b.depress(0.1, 0.5), 0.0);
        assert_eq!(b.apply(0.5, -0.2), 0.3);
    }

    #[test]
    fn soft_bounds_never_cross_and_scale() {
        let b = WeightBounds::soft(0.0, 2.0);
        // Potentiation shrinks near w_max, depression near w_min.
        assert!((b.potentiate(1.0, 0.1) - 1.1).abs() < 1e-12);
        assert!((b.potentiate(1.9, 0.1) - 1.91).abs() < 1e-12);
        assert!((b.depress(0.2, 0.5) - 0.1).abs() < 1e-12);
        let mut w = 0.5;
        for _ in 0..1000 {
            w = b.potentiate(w, 0.3);
        }
        assert!(w <= 2.0);
        assert!(WeightBounds::hard(1.0, 0.0).validate().is_err());
    }
}
