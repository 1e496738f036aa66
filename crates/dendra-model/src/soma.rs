//! The soma: an integrate-and-fire compartment that emits spikes.

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, finite, non_negative, positive};

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
    /// Membrane time constant `C/g_L` (ms).
    pub fn tau_m_ms(&self) -> f64 {
        self.c_m_pf / self.g_leak_ns
    }

    /// The potential at which a spike is registered: `v_th_mv` (LIF) or `v_peak_mv` (AdEx).
    pub fn spike_detect_mv(&self) -> f64 {
        match self.spike {
            SpikeMechanism::Threshold { v_th_mv } => v_th_mv,
            SpikeMechanism::Exponential { v_peak_mv, .. } => v_peak_mv,
            SpikeMechanism::Escape { .. } => f64::INFINITY,
        }
    }

    /// Check all values.
    pub fn validate(&self) -> ParamResult<()> {
        positive("c_m_pf", self.c_m_pf)?;
        positive("g_leak_ns", self.g_leak_ns)?;
        finite("e_leak_mv", self.e_leak_mv)?;
        finite("v_reset_mv", self.v_reset_mv)?;
        non_negative("t_ref_ms", self.t_ref_ms)?;
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
