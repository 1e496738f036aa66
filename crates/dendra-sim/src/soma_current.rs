//! The nonlinear somatic currents of AdEx and Izhikevich's quadratic model, and their
//! recovery variable (`w` or `U`, pA).
//!
//! The exact propagator integrates each soma's linear leak. These models add a current
//! `N(V, w)` on top, which the neuron block treats to second order (exponential trapezoidal):
//! a predictor step with `N(V_n, w_n)` gives `V*`, the step uses `(N(V_n, w_n) + N(V*, w*)) / 2`,
//! and the recovery variable is advanced exactly for the mean potential `(V_n + V*) / 2`
//! (see [`SomaCurrent::recovery_after`]). Potentials fed into `N` are capped at the spike
//! cut-off, so the upstroke of a spike does not feed an unphysical voltage into `w`.

use dendra_model::{SomaParams, SpikeMechanism};

/// The nonlinear current of one template's soma.
#[derive(Debug, Clone, Copy)]
pub enum SomaCurrent {
    /// AdEx: `N = g_L ΔT exp((V - V_T)/ΔT) - w`, `τ_w dw/dt = a (V - E_L) - w`.
    Adex {
        /// Soft threshold `V_T` (mV).
        v_t_mv: f64,
        /// Slope factor `ΔT` (mV).
        delta_t_mv: f64,
        /// Leak conductance (nS).
        g_leak_ns: f64,
        /// Leak reversal (mV).
        e_leak_mv: f64,
        /// Subthreshold adaptation (nS).
        a_ns: f64,
        /// Spike-triggered increment (pA).
        b_pa: f64,
        /// `exp(-dt/τ_w)`.
        decay_w: f64,
    },
    /// Quadratic: `N = k (V - V_r)(V - V_t) + g_L (V - E_L) - U` (the leak the propagator
    /// applies is added back), `dU/dt = a (b (V - V_r) - U)`.
    Quadratic {
        /// Curvature `k` (nS/mV).
        k_ns_per_mv: f64,
        /// `V_r` (mV).
        v_r_mv: f64,
        /// `V_t` (mV).
        v_t_mv: f64,
        /// Leak conductance (nS).
        g_leak_ns: f64,
        /// Leak reversal (mV).
        e_leak_mv: f64,
        /// Recovery sensitivity `b` (nS).
        b_ns: f64,
        /// Spike-triggered increment `d` (pA).
        d_pa: f64,
        /// `exp(-a dt)`.
        decay_w: f64,
    },
}

impl SomaCurrent {
    /// The nonlinear current of `soma` for steps of `dt_ms`, if its mechanism has one.
    pub fn of(soma: &SomaParams, dt_ms: f64) -> Option<SomaCurrent> {
        match soma.spike {
            SpikeMechanism::Threshold { .. } | SpikeMechanism::Escape { .. } => None,
            SpikeMechanism::Exponential {
                v_t_mv,
                delta_t_mv,
                a_ns,
                b_pa,
                tau_w_ms,
                ..
            } => Some(SomaCurrent::Adex {
                v_t_mv,
                delta_t_mv,
                g_leak_ns: soma.g_leak_ns,
                e_leak_mv: soma.e_leak_mv,
                a_ns,
                b_pa,
                decay_w: (-dt_ms / tau_w_ms).exp(),
            }),
            SpikeMechanism::Quadratic {
                k_ns_per_mv,
                v_r_mv,
                v_t_mv,
                a_per_ms,
                b_ns,
                d_pa,
                ..
            } => Some(SomaCurrent::Quadratic {
                k_ns_per_mv,
                v_r_mv,
                v_t_mv,
                g_leak_ns: soma.g_leak_ns,
                e_leak_mv: soma.e_leak_mv,
                b_ns,
                d_pa,
                decay_w: (-a_per_ms * dt_ms).exp(),
            }),
        }
    }

    /// The recovery variable of a soma at rest at `v_mv` (on its nullcline).
    pub fn initial_recovery(&self, v_mv: f64) -> f64 {
        match *self {
            SomaCurrent::Adex { .. } => 0.0,
            SomaCurrent::Quadratic { v_r_mv, b_ns, .. } => b_ns * (v_mv - v_r_mv),
        }
    }

    /// `N(V, w)` (pA) for a soma at `v_mv` (capped at `v_peak_mv`); `blocked`: its spikes are
    /// blocked, so the regenerative part is left out (AdEx) or held at its value at `V_t`
    /// (quadratic).
    #[inline]
    pub fn current(&self, v_mv: f64, w_pa: f64, blocked: bool, v_peak_mv: f64) -> f64 {
        let v = v_mv.min(v_peak_mv);
        match *self {
            SomaCurrent::Adex {
                v_t_mv,
                delta_t_mv,
                g_leak_ns,
                ..
            } => {
                let exp_term = if blocked {
                    0.0
                } else {
                    g_leak_ns * delta_t_mv * ((v - v_t_mv) / delta_t_mv).exp()
                };
                exp_term - w_pa
            }
            SomaCurrent::Quadratic {
                k_ns_per_mv,
                v_r_mv,
                v_t_mv,
                g_leak_ns,
                e_leak_mv,
                ..
            } => {
                let v = if blocked { v.min(v_t_mv) } else { v };
                k_ns_per_mv * (v - v_r_mv) * (v - v_t_mv) + g_leak_ns * (v - e_leak_mv) - w_pa
            }
        }
    }

    /// The recovery variable one step after `w_pa`, the potential held at `v_mean_mv` (capped
    /// at `v_peak_mv`) over the step: exact for constant `V`.
    #[inline]
    pub fn recovery_after(&self, w_pa: f64, v_mean_mv: f64, v_peak_mv: f64) -> f64 {
        let v = v_mean_mv.min(v_peak_mv);
        match *self {
            SomaCurrent::Adex {
                e_leak_mv,
                a_ns,
                decay_w,
                ..
            } => w_pa * decay_w + a_ns * (v - e_leak_mv) * (1.0 - decay_w),
            SomaCurrent::Quadratic {
                v_r_mv,
                b_ns,
                decay_w,
                ..
            } => w_pa * decay_w + b_ns * (v - v_r_mv) * (1.0 - decay_w),
        }
    }

    /// The increment of the recovery variable at a spike (pA).
    pub fn spike_increment(&self) -> f64 {
        match *self {
            SomaCurrent::Adex { b_pa, .. } => b_pa,
            SomaCurrent::Quadratic { d_pa, .. } => d_pa,
        }
    }
}
