//! `dendritic_prediction`: learning by dendritic prediction of somatic spiking (Urbanczik &
//! Senn, Neuron 2014).
//!
//! The soma fires stochastically with rate `φ(U)`; the dendrite predicts the somatic potential
//! as `V* = E_L + γ (V_d - E_L)` (with `γ = g_D / (g_D + g_L)` the dendro-somatic coupling
//! factor). Each synapse on the dendrite changes as
//!
//! ```text
//! dw/dt = η · (S(t) - φ(V*)) · h(V*) · PSP(t)
//! φ(u) = φ_max / (1 + k exp(β (θ - u))),   h(u) = d/du ln φ(u) = β / (1 + exp(β (u - θ)) / k)
//! PSP(t) = Σ_spikes exp(-(t - t_s)/τ_L) - exp(-(t - t_s)/τ_s)
//! ```
//!
//! with `S(t)` the somatic spike train as it reaches the dendrite (the bAP events), so the
//! dendritic prediction learns to match the somatic firing that a teacher imposes. The
//! compartment signal `(S - φ(V*)) h(V*)` is computed once per step from the dendrite's own
//! potential and arriving bAPs ([`Rule::compartment_drive`]); each synapse integrates it against
//! its own PSP trace at its presynaptic spikes and at ticks.
//!
//! In the rate engine the same rule reads `dw = η (r_soma - r_pred) · x_pre`: the somatic rate
//! (nudged by teaching or apical input) minus the rate the dendrite predicts from its own input.

use crate::bounds::check_bounds;
use crate::drive::CompartmentSignals;
use crate::rate::{RateCompartment, RateForm, RateTerms};
use crate::rule::{Needs, Rule};
use crate::signals::LocalSignals;
use dendra_core::ParamError;
use dendra_core::error::{ParamResult, non_negative, positive};

/// Urbanczik–Senn dendritic prediction learning.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DendriticPrediction {
    /// Learning rate `η` (weight units per (mV⁻¹ · unit PSP)). Default 10.
    pub eta: f64,
    /// Maximal somatic rate `φ_max` (Hz). Default 150.
    pub phi_max_hz: f64,
    /// Rate slope factor `k`. Default 0.5.
    pub k: f64,
    /// Steepness `β` (1/mV). Default 1/3.
    pub beta_per_mv: f64,
    /// Midpoint `θ` (mV). Default -55.
    pub theta_mv: f64,
    /// Dendro-somatic coupling factor `γ = g_D/(g_D + g_L)`. Default 2/3.
    pub gamma: f64,
    /// Resting potential `E_L` (mV). Default -70.
    pub e_l_mv: f64,
    /// PSP decay `τ_L` (ms). Default 10.
    pub tau_l_ms: f64,
    /// PSP rise `τ_s` (ms). Default 2.
    pub tau_s_ms: f64,
    /// Lower weight bound. Default -1000.
    pub w_min: f64,
    /// Upper weight bound. Default 1000.
    pub w_max: f64,
    /// Period of the catch-up tick (ms). Default 50.
    pub tick_ms: f64,
}

impl Default for DendriticPrediction {
    fn default() -> Self {
        DendriticPrediction {
            eta: 10.0,
            phi_max_hz: 150.0,
            k: 0.5,
            beta_per_mv: 1.0 / 3.0,
            theta_mv: -55.0,
            gamma: 2.0 / 3.0,
            e_l_mv: -70.0,
            tau_l_ms: 10.0,
            tau_s_ms: 2.0,
            w_min: -1000.0,
            w_max: 1000.0,
            tick_ms: 50.0,
        }
    }
}

/// Per-synapse state: the PSP traces at the last update and its time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictionState {
    /// Slow PSP trace (`τ_L`) just after the last update.
    pub x_l: f64,
    /// Fast PSP trace (`τ_s`) just after the last update.
    pub x_s: f64,
    /// Time of the last update (ms); NaN before the first.
    pub t_ms: f64,
}

impl Default for PredictionState {
    fn default() -> Self {
        PredictionState {
            x_l: 0.0,
            x_s: 0.0,
            t_ms: f64::NAN,
        }
    }
}

impl DendriticPrediction {
    /// Somatic rate `φ(u)` (per ms).
    pub fn phi_per_ms(&self, u_mv: f64) -> f64 {
        self.phi_max_hz / 1000.0 / (1.0 + self.k * (self.beta_per_mv * (self.theta_mv - u_mv)).exp())
    }

    /// `h(u) = d/du ln φ(u)` (1/mV).
    pub fn h_per_mv(&self, u_mv: f64) -> f64 {
        self.beta_per_mv / (1.0 + (self.beta_per_mv * (u_mv - self.theta_mv)).exp() / self.k)
    }

    /// The dendritic prediction of the somatic potential.
    pub fn v_star_mv(&self, v_dendrite_mv: f64) -> f64 {
        self.e_l_mv + self.gamma * (v_dendrite_mv - self.e_l_mv)
    }

    /// Integrate the archived drive since the last update, then decay the traces to now.
    fn advance(&self, w: &mut f64, s: &mut PredictionState, sig: &LocalSignals) {
        let t = sig.t_ms;
        if !s.t_ms.is_nan() && t > s.t_ms {
            if let Some(archive) = sig.drive {
                let gain = archive.integrate(s.t_ms, t, &[(s.x_l, self.tau_l_ms), (-s.x_s, self.tau_s_ms)]);
                *w = (*w + self.eta * gain).clamp(self.w_min, self.w_max);
            }
            s.x_l *= (-(t - s.t_ms) / self.tau_l_ms).exp();
            s.x_s *= (-(t - s.t_ms) / self.tau_s_ms).exp();
        }
        s.t_ms = t;
    }
}

impl Rule for DendriticPrediction {
    fn validate(&self) -> ParamResult<()> {
        non_negative("eta", self.eta)?;
        positive("phi_max_hz", self.phi_max_hz)?;
        positive("k", self.k)?;
        positive("beta_per_mv", self.beta_per_mv)?;
        positive("tau_l_ms", self.tau_l_ms)?;
        positive("tau_s_ms", self.tau_s_ms)?;
        positive("tick_ms", self.tick_ms)?;
        if !(0.0..=1.0).contains(&self.gamma) {
            return Err(ParamError::new(
                "gamma",
                "a coupling factor in [0, 1]",
                self.gamma,
            ));
        }
        check_bounds(self.w_min, self.w_max)
    }

    type State = PredictionState;

    fn name(&self) -> &'static str {
        "dendritic_prediction"
    }

    fn needs(&self) -> Needs {
        Needs {
            drive: true,
            tick_ms: Some(self.tick_ms),
            ..Needs::default()
        }
    }

    fn on_pre(&self, w: &mut f64, s: &mut PredictionState, sig: &LocalSignals) {
        self.advance(w, s, sig);
        s.x_l += 1.0;
        s.x_s += 1.0;
    }

    fn on_tick(&self, w: &mut f64, s: &mut PredictionState, sig: &LocalSignals) {
        self.advance(w, s, sig);
    }

    fn compartment_drive(&self, c: &CompartmentSignals) -> f64 {
        let v_star = self.v_star_mv(c.v_mv);
        let spikes = if c.bap > 0.0 { 1.0 / c.dt_ms } else { 0.0 };
        (spikes - self.phi_per_ms(v_star)) * self.h_per_mv(v_star)
    }
}

impl RateForm for DendriticPrediction {
    fn has_rate_form(&self) -> bool {
        true
    }

    /// Rate form: `dw = η (post - prediction) · pre`, the somatic rate as it reaches the
    /// dendrite minus the dendrite's own prediction of it (the rate engine's units are already
    /// rates, so `φ` is the engine's activation and `h = 1`).
    fn rate_terms(&self, c: &RateCompartment) -> RateTerms {
        RateTerms {
            hebb: self.eta * (c.post - c.prediction),
            ..RateTerms::ZERO
        }
    }

    fn rate_apply(&self, w: f64, _aux: &mut f64, dw: f64, _dt_ms: f64) -> f64 {
        (w + dw).clamp(self.w_min, self.w_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drive::DriveArchive;

    #[test]
    fn h_is_the_log_derivative_of_phi() {
        let r = DendriticPrediction::default();
        for u in [-80.0, -65.0, -55.0, -45.0, -30.0] {
            let eps = 1e-5;
            let numeric = ((r.phi_per_ms(u + eps)).ln() - (r.phi_per_ms(u - eps)).ln()) / (2.0 * eps);
            assert!((numeric - r.h_per_mv(u)).abs() < 1e-8, "u {u}");
        }
        assert!(
            (r.phi_per_ms(-55.0) - 0.1).abs() < 1e-12,
            "φ(θ) = φ_max / (1 + k)"
        );
    }

    #[test]
    fn weight_change_is_eta_times_psp_weighted_drive() {
        // A presynaptic spike at 0, then a constant drive D for 20 ms: Δw = η D dt Σ PSP(t_k).
        let r = DendriticPrediction::default();
        let dt = 0.1;
        let d = 0.02;
        let mut archive = DriveArchive::default();
        for k in 1..=200 {
            archive.push(k as f64 * dt, d * dt);
        }
        let mut w = 0.0;
        let mut s = PredictionState::default();
        fn at(t: f64, a: &DriveArchive) -> LocalSignals<'_> {
            LocalSignals {
                t_ms: t,
                drive: Some(a),
                ..LocalSignals::default()
            }
        }
        r.on_pre(&mut w, &mut s, &at(0.0, &archive));
        r.on_tick(&mut w, &mut s, &at(20.0, &archive));
        let expected: f64 = (1..=200)
            .map(|k| {
                let t = k as f64 * dt;
                r.eta * d * dt * ((-t / r.tau_l_ms).exp() - (-t / r.tau_s_ms).exp())
            })
            .sum();
        assert!((w - expected).abs() < 1e-12, "{w} vs {expected}");
        assert!(w > 0.0);
    }
}
