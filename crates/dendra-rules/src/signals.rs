//! The only inputs a rule ever receives.

use crate::drive::DriveArchive;
use crate::eligibility::EligibilityClock;
use crate::modulator::Modulator;
use crate::rate::RateCompartment;

/// Everything a synapse can sense at one event, and nothing more.
///
/// Traces are sampled at `t_ms` and hold the events strictly before it: neither this event's
/// own increment nor those of other events at the same time (a presynaptic spike and a bAP
/// reaching the synapse in the same step do not see each other).
#[derive(Debug, Clone, Copy)]
pub struct LocalSignals<'a> {
    /// Time of the event (ms): `step · dt_ms`.
    pub t_ms: f64,
    /// The step the event ends (`t_ms = step · dt_ms`), which [`Stamp`]s count.
    pub step: u64,
    /// Step width (ms).
    pub dt_ms: f64,
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
    /// The engine's clock for the eligibility the rule declared in [`crate::Needs::eligibility`]
    /// (read-only), if it keeps one: integrals against `modulator` without exponentials.
    pub eligibility: Option<&'a EligibilityClock>,
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
            step: 0,
            dt_ms: 0.0,
            pre: [0.0; 2],
            post: [0.0; 2],
            bap: 0.0,
            v_mv: 0.0,
            plateau: false,
            coactive: 0,
            modulator: None,
            eligibility: None,
            drive: None,
            v_filtered: [0.0; 2],
        }
    }
}

impl LocalSignals<'_> {
    /// Signals at the end of step `step` of width `dt_ms` (`t_ms = step · dt_ms`), all others
    /// at their defaults.
    pub fn at_step(step: u64, dt_ms: f64) -> Self {
        LocalSignals {
            t_ms: step as f64 * dt_ms,
            step,
            dt_ms,
            ..LocalSignals::default()
        }
    }

    /// This event's [`Stamp`].
    pub fn stamp(&self) -> Stamp {
        Stamp(self.step as u32)
    }

    /// The time (ms) of the event stamped `stamp`, exactly as it was then (`t_ms` of that step),
    /// for a stamp less than 2^32 steps old (an older one reads as a whole multiple of 2^32 steps
    /// more recent; never later than now).
    pub fn time_of(&self, stamp: Stamp) -> f64 {
        let back = (self.step as u32).wrapping_sub(stamp.0);
        // Through i64 (steps stay below 2^63): one conversion instruction, not several.
        self.step.saturating_sub(u64::from(back)) as i64 as f64 * self.dt_ms
    }
}

/// A 4-byte time stamp for per-synapse state: the step of an event modulo 2^32 (with 0.1 ms
/// steps, about 5 days). Where a rule's periodic tick (or its events) refresh a synapse's stamp
/// more often than that, [`LocalSignals::time_of`] recovers the exact time, at half the bytes
/// of an `f64` time. The default stamps step 0 (time 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stamp(pub(crate) u32);

impl Stamp {
    /// The stamp of step `step` (its value modulo 2^32).
    pub fn of_step(step: u64) -> Stamp {
        Stamp(step as u32)
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
    /// [`crate::RateForm::post_sq_avg_ms`] (kept by the engine per compartment).
    pub post_sq_avg: f64,
    /// The broadcast neuromodulator's value for this sample.
    pub modulator: f64,
}

impl RateSignals {
    /// The compartment's side of these signals.
    pub fn compartment(&self) -> RateCompartment {
        RateCompartment {
            post: self.post,
            prediction: self.prediction,
            post_sq_avg: self.post_sq_avg,
            modulator: self.modulator,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_gives_back_the_exact_time_of_its_step_across_the_wrap() {
        let dt = 0.1;
        for (then, now) in [
            (0_u64, 7_u64),
            (12_345, 12_345 + 10_000),
            ((1 << 32) - 3, (1 << 32) + 5),
            (5 << 32, (5 << 32) + 999),
        ] {
            let stamp = LocalSignals::at_step(then, dt).stamp();
            let sig = LocalSignals::at_step(now, dt);
            assert_eq!(
                sig.time_of(stamp),
                LocalSignals::at_step(then, dt).t_ms,
                "{then} -> {now}"
            );
        }
        // A stamp 2^32 + 2 steps old reads as 2 steps old, never as a future time.
        let old = LocalSignals::at_step(10, dt).stamp();
        assert_eq!(
            LocalSignals::at_step((1 << 32) + 12, dt).time_of(old),
            ((1u64 << 32) + 10) as f64 * dt
        );
        assert_eq!(LocalSignals::at_step(3, dt).time_of(Stamp::default()), 0.0);
    }
}
