//! The only inputs a rule ever receives.

use crate::drive::DriveArchive;
use crate::modulator::Modulator;
use crate::rate::RateCompartment;

/// Everything a synapse can sense at one event, and nothing more.
///
/// Values are sampled at `t_ms`, just *before* the event's own effect (a presynaptic spike's
/// increment of the presynaptic traces, a bAP's increment of the postsynaptic traces).
#[derive(Debug, Clone, Copy)]
pub struct LocalSignals<'a> {
    /// Time of the event (ms).
    pub t_ms: f64,
    /// Presynaptic traces of this synapse's input, with the time constants the rule declared in
    /// [`crate::Needs::pre`] (unused slots are 0).
    pub pre: [f64; 2],
    /// Postsynaptic traces of this synapse's compartment: back-propagated spikes as they arrive
    /// there, each weighted by its attenuation (0 when blocked), with the time constants the rule
    /// declared in [`crate::Needs::post`].
    pub post: [f64; 2],
    /// Strength of the bAP arriving now (in `on_post`): its attenuation in `[0, 1]` (1 for
    /// synapses on the soma); 0 at other events.
    pub bap: f64,
    /// Potential of this synapse's compartment (mV).
    pub v_mv: f64,
    /// Whether this compartment is in a dendritic plateau.
    pub plateau: bool,
    /// Number of other synapses on the same branch, within the declared radius, whose input was
    /// active within the declared window before this presynaptic spike (in `on_pre`).
    pub coactive: u32,
    /// The broadcast neuromodulator this rule listens to, if any (read-only).
    pub modulator: Option<&'a Modulator>,
    /// Teaching input arriving at this compartment (e.g. the apical drive), in the compartment's
    /// current unit (pA); 0 when there is none.
    pub teaching: f64,
    /// The compartment's archived continuous drive, for rules that declared
    /// [`crate::Needs::drive`].
    pub drive: Option<&'a DriveArchive>,
    /// The compartment potential low-pass filtered with the time constants declared in
    /// [`crate::Needs::voltage_filters`] (mV; unused slots 0).
    pub v_filtered: [f64; 2],
}

impl Default for LocalSignals<'_> {
    fn default() -> Self {
        LocalSignals {
            t_ms: 0.0,
            pre: [0.0; 2],
            post: [0.0; 2],
            bap: 0.0,
            v_mv: 0.0,
            plateau: false,
            coactive: 0,
            modulator: None,
            teaching: 0.0,
            drive: None,
            v_filtered: [0.0; 2],
        }
    }
}

/// What a synapse senses in the rate engine over one update of length `dt_ms` (one sample).
#[derive(Debug, Clone, Copy, Default)]
pub struct RateSignals {
    /// Update interval (ms).
    pub dt_ms: f64,
    /// Presynaptic rate (Hz or a normalised activity).
    pub pre: f64,
    /// Somatic rate as it reaches this synapse's compartment (same unit as `pre`).
    pub post: f64,
    /// The compartment's own prediction of `post` (see [`RateCompartment::prediction`]).
    pub prediction: f64,
    /// Running average of `post²` over the time constant declared in
    /// [`crate::Needs::post_sq_avg_ms`] (kept by the engine per compartment).
    pub post_sq_avg: f64,
    /// The broadcast neuromodulator's value for this sample.
    pub modulator: f64,
    /// Teaching input at this compartment.
    pub teaching: f64,
}

impl RateSignals {
    /// The compartment's side of these signals.
    pub fn compartment(&self) -> RateCompartment {
        RateCompartment {
            post: self.post,
            prediction: self.prediction,
            post_sq_avg: self.post_sq_avg,
            modulator: self.modulator,
            teaching: self.teaching,
        }
    }
}
