//! The soma: an integrate-and-fire compartment that emits spikes.

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, finite, in_range, non_negative, positive};

/// The longest refractory period (ms): about 2.8 hours.
const MAX_T_REF_MS: f64 = 1e7;

/// How the soma turns its potential into spikes.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SpikeMechanism {
    /// Leaky integrate-and-fire: a spike when `V >= v_th_mv`.
    Threshold {
        /// Firing threshold (mV).
        v_th_mv: f64,
    },
    /// Adaptive exponential integrate-and-fire (Brette & Gerstner 2005):
    ///
    /// `C dV/dt = -g_L (V - E_L) + g_L ΔT exp((V - V_T)/ΔT) - w + I`,
    /// `τ_w dw/dt = a (V - E_L) - w`; at `V >= v_peak_mv`: `V <- V_reset`, `w <- w + b`.
    Exponential {
        /// Soft threshold `V_T` (mV).
        v_t_mv: f64,
        /// Slope factor `ΔT` (mV, > 0).
        delta_t_mv: f64,
        /// Spike cut-off `V_peak` (mV).
        v_peak_mv: f64,
        /// Subthreshold adaptation `a` (nS).
        a_ns: f64,
        /// Spike-triggered adaptation increment `b` (pA).
        b_pa: f64,
        /// Adaptation time constant `τ_w` (ms, > 0).
        tau_w_ms: f64,
    },
    /// Izhikevich's quadratic model (Izhikevich 2003; dimensional form of Izhikevich 2007,
    /// *Dynamical Systems in Neuroscience*, ch. 8):
    ///
    /// `C dV/dt = k (V - V_r)(V - V_t) - U + I`, `dU/dt = a (b (V - V_r) - U)`;
    /// at `V >= v_peak_mv`: `V <- v_reset_mv` (the model's `c`), `U <- U + d`.
    ///
    /// The soma's leak (`g_leak_ns`, `e_leak_mv`) is not part of this model: the engine
    /// integrates it exactly and adds it back into the nonlinear current, so it only sets the
    /// linear part the exact propagator takes (a value near the quadratic's slope at rest,
    /// `k (2 V - V_r - V_t)`, is the most accurate). `U` starts on its nullcline,
    /// `b (V_0 - V_r)`. The 2003 form `v' = 0.04 v^2 + 5 v + 140 - u + I`,
    /// `u' = a (b v - u)` is `C = 1 pF`, `k = 0.04`, `V_r, V_t = -82.656, -42.344 mV` (the
    /// roots of `0.04 v^2 + 5 v + 140`) with `U = u - b V_r` and a constant current
    /// `-b V_r` pA (see [`SpikeMechanism::izhikevich_2003`]). While somatic spikes are blocked,
    /// the quadratic is evaluated at most at `V_t` (no regenerative upstroke).
    Quadratic {
        /// Curvature `k` (nS/mV = pA/mV², > 0).
        k_ns_per_mv: f64,
        /// Resting potential `V_r` (mV).
        v_r_mv: f64,
        /// Instantaneous threshold `V_t` (mV, above `V_r`).
        v_t_mv: f64,
        /// Spike cut-off `V_peak` (mV, above `V_t`).
        v_peak_mv: f64,
        /// Recovery rate `a` (1/ms, > 0).
        a_per_ms: f64,
        /// Recovery sensitivity `b` (nS).
        b_ns: f64,
        /// Recovery increment at a spike `d` (pA).
        d_pa: f64,
    },
    /// Escape noise (point process, as in Urbanczik & Senn 2014 / NEST's `pp_` models): in each
    /// step the soma spikes with probability `1 - exp(-φ(V) dt)`,
    /// `φ(V) = φ_max / (1 + k exp(β (θ - V)))`; the potential is not reset, and no spike follows
    /// within `t_ref_ms`.
    Escape {
        /// Maximal rate `φ_max` (Hz).
        phi_max_hz: f64,
        /// Slope factor `k` (> 0).
        k: f64,
        /// Steepness `β` (1/mV, > 0).
        beta_per_mv: f64,
        /// Midpoint `θ` (mV).
        theta_mv: f64,
    },
}

impl SpikeMechanism {
    /// Izhikevich's 2003 model `v' = 0.04 v^2 + 5 v + 140 - u + I`, `u' = a (b v - u)`, spike
    /// at 30 mV, in the dimensional form of [`SpikeMechanism::Quadratic`] (for `C = 1 pF`).
    /// Returns the mechanism and the constant current (pA) that the 2003 form adds, `-b V_r`:
    /// give it to the soma as a step current (or bias). Regular spiking: `a = 0.02, b = 0.2,
    /// d = 8` (reset -65 mV); fast spiking: `a = 0.1, b = 0.2, d = 2`.
    pub fn izhikevich_2003(a_per_ms: f64, b_ns: f64, d_pa: f64) -> (SpikeMechanism, f64) {
        // Roots of 0.04 v^2 + 5 v + 140.
        let disc = (25.0_f64 - 4.0 * 0.04 * 140.0).sqrt();
        let v_r_mv = (-5.0 - disc) / 0.08;
        let v_t_mv = (-5.0 + disc) / 0.08;
        (
            SpikeMechanism::Quadratic {
                k_ns_per_mv: 0.04,
                v_r_mv,
                v_t_mv,
                v_peak_mv: 30.0,
                a_per_ms,
                b_ns,
                d_pa,
            },
            -b_ns * v_r_mv,
        )
    }
}

/// Parameters of the soma (compartment 0 of every neuron).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SomaParams {
    /// Membrane capacitance (pF). Default 200.
    pub c_m_pf: f64,
    /// Leak conductance (nS). Default 10 (τ_m = 20 ms with the default capacitance).
    pub g_leak_ns: f64,
    /// Leak reversal potential (mV). Default -70.
    pub e_leak_mv: f64,
    /// Potential after a spike (mV). Default -70.
    pub v_reset_mv: f64,
    /// Absolute refractory period (ms): the soma is held at `v_reset_mv`. Default 2.
    pub t_ref_ms: f64,
    /// Spike amplitude (mV) that back-propagating action potentials attenuate. Default 100.
    pub spike_amplitude_mv: f64,
    /// How spikes are generated. Default: threshold at -50 mV (LIF).
    pub spike: SpikeMechanism,
}

impl Default for SomaParams {
    fn default() -> Self {
        SomaParams {
            c_m_pf: 200.0,
            g_leak_ns: 10.0,
            e_leak_mv: -70.0,
            v_reset_mv: -70.0,
            t_ref_ms: 2.0,
            spike_amplitude_mv: 100.0,
            spike: SpikeMechanism::Threshold { v_th_mv: -50.0 },
        }
    }
}

impl SomaParams {
    /// A soma of Izhikevich's 2003 model (see [`SpikeMechanism::izhikevich_2003`]): `C = 1 pF`
    /// (so 1 pA is 1 mV/ms), reset to `c_mv`, no refractory period, resting at -65 mV (the
    /// paper's initial potential; the leak, 0.6 nS, is the quadratic's slope there and only
    /// splits the exact and corrected parts of the step). Returns the soma and the constant
    /// current (pA) the 2003 form adds, to be injected as a step current or bias.
    pub fn izhikevich_2003(a_per_ms: f64, b_ns: f64, c_mv: f64, d_pa: f64) -> (SomaParams, f64) {
        let (spike, bias_pa) = SpikeMechanism::izhikevich_2003(a_per_ms, b_ns, d_pa);
        let soma = SomaParams {
            c_m_pf: 1.0,
            g_leak_ns: 0.6,
            e_leak_mv: -65.0,
            v_reset_mv: c_mv,
            t_ref_ms: 0.0,
            spike_amplitude_mv: 100.0,
            spike,
        };
        (soma, bias_pa)
    }

    /// Membrane time constant `C/g_L` (ms).
    pub fn tau_m_ms(&self) -> f64 {
        self.c_m_pf / self.g_leak_ns
    }

    /// The potential at which a spike is registered: `v_th_mv` (LIF) or `v_peak_mv` (AdEx,
    /// quadratic).
    pub fn spike_detect_mv(&self) -> f64 {
        match self.spike {
            SpikeMechanism::Threshold { v_th_mv } => v_th_mv,
            SpikeMechanism::Exponential { v_peak_mv, .. } | SpikeMechanism::Quadratic { v_peak_mv, .. } => {
                v_peak_mv
            }
            SpikeMechanism::Escape { .. } => f64::INFINITY,
        }
    }

    /// Check all values.
    pub fn validate(&self) -> ParamResult<()> {
        positive("c_m_pf", self.c_m_pf)?;
        positive("g_leak_ns", self.g_leak_ns)?;
        finite("e_leak_mv", self.e_leak_mv)?;
        finite("v_reset_mv", self.v_reset_mv)?;
        // Bounded so that the step at which a neuron is free again never overflows.
        in_range("t_ref_ms", self.t_ref_ms, 0.0, MAX_T_REF_MS)?;
        non_negative("spike_amplitude_mv", self.spike_amplitude_mv)?;
        match self.spike {
            SpikeMechanism::Threshold { v_th_mv } => {
                finite("spike.v_th_mv", v_th_mv)?;
                if v_th_mv <= self.v_reset_mv {
                    return Err(ParamError::new(
                        "spike.v_th_mv",
                        format!("a threshold above v_reset_mv ({} mV)", self.v_reset_mv),
                        v_th_mv,
                    ));
                }
            }
            SpikeMechanism::Exponential {
                v_t_mv,
                delta_t_mv,
                v_peak_mv,
                a_ns,
                b_pa,
                tau_w_ms,
            } => {
                finite("spike.v_t_mv", v_t_mv)?;
                positive("spike.delta_t_mv", delta_t_mv)?;
                finite("spike.a_ns", a_ns)?;
                finite("spike.b_pa", b_pa)?;
                positive("spike.tau_w_ms", tau_w_ms)?;
                if !v_peak_mv.is_finite() || v_peak_mv <= v_t_mv {
                    return Err(ParamError::new(
                        "spike.v_peak_mv",
                        format!("a cut-off above v_t_mv ({v_t_mv} mV)"),
                        v_peak_mv,
                    ));
                }
            }
            SpikeMechanism::Quadratic {
                k_ns_per_mv,
                v_r_mv,
                v_t_mv,
                v_peak_mv,
                a_per_ms,
                b_ns,
                d_pa,
            } => {
                positive("spike.k_ns_per_mv", k_ns_per_mv)?;
                finite("spike.v_r_mv", v_r_mv)?;
                positive("spike.a_per_ms", a_per_ms)?;
                finite("spike.b_ns", b_ns)?;
                finite("spike.d_pa", d_pa)?;
                if !v_t_mv.is_finite() || v_t_mv <= v_r_mv {
                    return Err(ParamError::new(
                        "spike.v_t_mv",
                        format!("a threshold above v_r_mv ({v_r_mv} mV)"),
                        v_t_mv,
                    ));
                }
                if !v_peak_mv.is_finite() || v_peak_mv <= v_t_mv {
                    return Err(ParamError::new(
                        "spike.v_peak_mv",
                        format!("a cut-off above v_t_mv ({v_t_mv} mV)"),
                        v_peak_mv,
                    ));
                }
                if self.v_reset_mv >= v_peak_mv {
                    return Err(ParamError::new(
                        "v_reset_mv",
                        format!("a reset below spike.v_peak_mv ({v_peak_mv} mV)"),
                        self.v_reset_mv,
                    ));
                }
            }
            SpikeMechanism::Escape {
                phi_max_hz,
                k,
                beta_per_mv,
                theta_mv,
            } => {
                non_negative("spike.phi_max_hz", phi_max_hz)?;
                positive("spike.k", k)?;
                positive("spike.beta_per_mv", beta_per_mv)?;
                finite("spike.theta_mv", theta_mv)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let s = SomaParams::default();
        s.validate().unwrap();
        assert!((s.tau_m_ms() - 20.0).abs() < 1e-12);
    }

    #[test]
    fn threshold_below_reset_is_rejected() {
        let s = SomaParams {
            spike: SpikeMechanism::Threshold { v_th_mv: -80.0 },
            ..SomaParams::default()
        };
        assert_eq!(s.validate().unwrap_err().key, "spike.v_th_mv");
    }
}
