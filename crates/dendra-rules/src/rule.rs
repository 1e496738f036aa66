//! The `Rule` trait and the declaration of the signals a rule needs.

use std::fmt::Debug;

use dendra_core::error::ParamResult;

use crate::drive::CompartmentSignals;
use crate::rate::RateForm;
use crate::signals::LocalSignals;

/// A trace a rule asks the engine to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceSpec {
    /// Time constant (ms).
    pub tau_ms: f64,
    /// Nearest-spike trace: reset to the increment at each event instead of adding it.
    pub nearest: bool,
}

impl TraceSpec {
    /// An all-to-all (additive) trace.
    pub const fn all_to_all(tau_ms: f64) -> Self {
        TraceSpec {
            tau_ms,
            nearest: false,
        }
    }

    /// A nearest-spike (resetting) trace.
    pub const fn nearest(tau_ms: f64) -> Self {
        TraceSpec {
            tau_ms,
            nearest: true,
        }
    }
}

/// Neighbour co-activity a rule asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoactivitySpec {
    /// Only synapses on the same branch within this distance (µm) count.
    pub radius_um: f64,
    /// Only inputs active within this window (ms) before the presynaptic spike count.
    pub window_ms: f64,
}

/// The signals a rule reads, so the engine keeps exactly those (and a spec can be checked for
/// rules that need a signal their compartment lacks).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Needs {
    /// Presynaptic traces (up to two).
    pub pre: [Option<TraceSpec>; 2],
    /// Postsynaptic (bAP) traces of the compartment (up to two).
    pub post: [Option<TraceSpec>; 2],
    /// Whether `on_post` must be called at every bAP arrival.
    pub post_events: bool,
    /// Neighbour co-activity.
    pub coactivity: Option<CoactivitySpec>,
    /// Whether the rule reads a neuromodulator.
    pub modulator: bool,
    /// Time constant (ms) of an eligibility the rule integrates against its neuromodulator: the
    /// engine then keeps an [`EligibilityClock`](crate::EligibilityClock) whose epochs start at
    /// the rule's ticks ([`Needs::tick_ms`]), if the ticks are close enough together
    /// ([`EligibilityClock::fits`](crate::EligibilityClock::fits)).
    pub eligibility: Option<f64>,
    /// Period of `on_tick` calls (ms), if the rule needs them (e.g. consolidation).
    pub tick_ms: Option<f64>,
    /// Whether the rule reads a continuous compartment drive ([`Rule::compartment_drive`]).
    pub drive: bool,
    /// Whether `on_branch_spike` must be called at the compartment's dendritic spikes (plateau
    /// onsets).
    pub branch_events: bool,
    /// Low-pass filters of the compartment potential (time constants, ms) the engine keeps:
    /// `dū/dt = (V - ū)/τ`; read as `v_filtered` in the signals.
    pub voltage_filters: [Option<f64>; 2],
}

/// A plasticity rule: parameters (`self`), per-synapse state, and updates at events. Its form
/// in the rate engine, if it has one, is its [`RateForm`] (every rule implements that trait,
/// most with no rate form).
///
/// Every method receives exactly one synapse — its weight `w` (pA or nS) and its `state` — and
/// that synapse's [`LocalSignals`]. Implementations must be pure functions of these.
///
/// The traces in the signals hold the events strictly before the signals' time: a pre spike and
/// a bAP that reach the synapse at the same time do not see each other (they make no pair), and
/// where both change the weight, `on_post` runs before `on_pre` (NEST's order).
///
/// The engine calls the event handlers once per synapse, inside a loop compiled for the rule,
/// where the compiler builds only the signals the handler reads. A handler that the compiler
/// does not inline (a large one, or one calling a large helper) makes it build all of them in
/// memory for every synapse: mark such handlers and helpers `#[inline(always)]`, as
/// `reward_modulated` does (its loop took 7 % less time).
pub trait Rule: RateForm + Debug + Send + Sync {
    /// Per-synapse state beyond the weight (`()` if none).
    type State: Copy + Default + Debug + PartialEq + Send + Sync;

    /// The rule's name as used in specs (e.g. `pair_stdp`).
    fn name(&self) -> &'static str;

    /// The signals this rule reads.
    fn needs(&self) -> Needs;

    /// Initial state of a synapse whose initial weight is `w`.
    fn init(&self, w: f64) -> Self::State {
        let _ = w;
        Self::State::default()
    }

    /// A presynaptic spike arrives at the synapse.
    fn on_pre(&self, w: &mut f64, state: &mut Self::State, sig: &LocalSignals);

    /// A back-propagating action potential arrives at the synapse's compartment.
    fn on_post(&self, w: &mut f64, state: &mut Self::State, sig: &LocalSignals) {
        let _ = (w, state, sig);
    }

    /// A dendritic spike (plateau onset) starts in the synapse's own compartment.
    fn on_branch_spike(&self, w: &mut f64, state: &mut Self::State, sig: &LocalSignals) {
        let _ = (w, state, sig);
    }

    /// Periodic update (every [`Needs::tick_ms`]).
    fn on_tick(&self, w: &mut f64, state: &mut Self::State, sig: &LocalSignals) {
        let _ = (w, state, sig);
    }

    /// The rule's continuous learning signal of a compartment in one step (per ms), computed by
    /// the engine from the compartment's own signals for rules with [`Needs::drive`].
    fn compartment_drive(&self, c: &CompartmentSignals) -> f64 {
        let _ = c;
        0.0
    }

    /// Check the parameters; the error's key is the parameter's name. Checks that every rule
    /// shares (the time constants of its declared traces, its co-activity reach and window,
    /// its tick) are made for all rules by [`crate::AnyRule::validate`].
    fn validate(&self) -> ParamResult<()> {
        Ok(())
    }

    /// Whether the rule acts only in the rate engine (it has no spike-event form, so a spiking
    /// neuron cannot carry it).
    fn is_rate_only(&self) -> bool {
        false
    }
}
