//! `oja`: Oja's rule (Oja 1982), a normalised Hebbian rule for rates.
//!
//! ```text
//! dw/dt = η y (x - y w)
//! ```
//!
//! with `x` the presynaptic rate and `y` the postsynaptic activity (`y = Σ_j w_j x_j` for a
//! linear unit). Every term is local to the synapse: its input, its compartment's output and its
//! own weight. For zero-mean inputs with covariance `C`, the weight vector converges to the unit
//! principal eigenvector of `C`. Rate engine only.

use crate::rate::{RateCompartment, RateForm, RateTerms};
use crate::rule::{Needs, Rule};
use crate::signals::LocalSignals;
use dendra_core::error::{ParamResult, non_negative};

/// Oja's rule.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Oja {
    /// Learning rate `η` (per ms). Default 1e-3.
    pub eta: f64,
}

impl Default for Oja {
    fn default() -> Self {
        Oja { eta: 1e-3 }
    }
}

impl Rule for Oja {
    fn validate(&self) -> ParamResult<()> {
        non_negative("eta", self.eta)?;
        Ok(())
    }

    fn is_rate_only(&self) -> bool {
        true
    }

    type State = ();

    fn name(&self) -> &'static str {
        "oja"
    }

    fn needs(&self) -> Needs {
        Needs::default()
    }

    fn on_pre(&self, _w: &mut f64, _state: &mut (), _sig: &LocalSignals) {}
}

impl RateForm for Oja {
    fn has_rate_form(&self) -> bool {
        true
    }

    /// `hebb = η y`, `decay = -η y²`.
    fn rate_terms(&self, c: &RateCompartment) -> RateTerms {
        RateTerms {
            hebb: self.eta * c.post,
            decay: -self.eta * c.post * c.post,
            offset: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::RateSignals;

    /// A tiny deterministic generator (the test must not depend on an RNG crate).
    struct Lcg(u64);
    impl Lcg {
        fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
        fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }
    }

    #[test]
    fn converges_to_the_principal_eigenvector() {
        // C = [[3, 1], [1, 2]]: eigenvalues (5 ± √5)/2, principal eigenvector ∝ (1, (√5 - 1)/2).
        let l = [
            [3f64.sqrt(), 0.0],
            [1.0 / 3f64.sqrt(), (2.0 - 1.0 / 3.0f64).sqrt()],
        ]; // Cholesky
        let rule = Oja { eta: 2e-3 };
        let mut w = [0.3, -0.8];
        let mut rng = Lcg(7);
        for _ in 0..200_000 {
            let z = [rng.normal(), rng.normal()];
            let x = [l[0][0] * z[0], l[1][0] * z[0] + l[1][1] * z[1]];
            let y = w[0] * x[0] + w[1] * x[1];
            for j in 0..2 {
                let sig = RateSignals {
                    dt_ms: 1.0,
                    pre: x[j],
                    post: y,
                    ..RateSignals::default()
                };
                rule.on_rate(&mut w[j], &mut 0.0, &sig);
            }
        }
        let v = {
            let a = (5f64.sqrt() - 1.0) / 2.0;
            let n = (1.0 + a * a).sqrt();
            [1.0 / n, a / n]
        };
        let cos = (w[0] * v[0] + w[1] * v[1]).abs() / (w[0].hypot(w[1]));
        let norm = w[0].hypot(w[1]);
        assert!(cos > 0.999, "alignment {cos}, w {w:?}");
        assert!((norm - 1.0).abs() < 0.05, "norm {norm}");
    }
}
