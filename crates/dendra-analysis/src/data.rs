//! The imaging data that the analysis reads: the same types for simulated and real recordings.
//!
//! A data set holds (the file format that maps onto these types is documented in
//! `docs/imaging-format.md` and implemented in `dendra-io`):
//!
//! - **spines**: one row per spine: id, animal, group (free label, e.g. `apical`), condition
//!   (`control` or a manipulation such as `kir`), dendrite id, compartment (`apical`, `basal`,
//!   ...), position along the dendrite (µm), size at baseline and at follow-up (arbitrary units;
//!   NaN for a spine lost or new between the two, which the analysis leaves out: stable spines
//!   only);
//! - **spine traces**: per spine and imaged session, the glutamate-sensor dF/F at `rate_hz`;
//! - **dendrite traces**: per dendrite and imaged session, the dendritic calcium dF/F (global
//!   dendritic events are the bAP proxy), same frames as its spines' traces;
//! - **soma traces** (optional): per dendrite and imaged session, the somatic calcium dF/F of the
//!   neuron the dendrite belongs to (same frames), to check dendritic events against somatic
//!   spiking;
//! - **trials**: per animal, session and trial, the cue time, the press time (NaN: no press),
//!   whether it was rewarded, and a movement-stereotypy score (correlation of this trial's
//!   movement with the session's mean movement; NaN if unknown).

use std::collections::{BTreeMap, BTreeSet};

use crate::error::DataError;

/// One spine.
#[derive(Debug, Clone, PartialEq)]
pub struct Spine {
    /// Spine id (unique in the data set).
    pub id: u32,
    /// Animal name.
    pub animal: String,
    /// Group label (e.g. `apical`, `basal`).
    pub group: String,
    /// `control`, or the manipulation (e.g. `kir`).
    pub condition: String,
    /// Dendrite id (unique in the data set).
    pub dendrite: u32,
    /// Compartment (`apical`, `basal`, ...).
    pub compartment: String,
    /// Position along the dendrite (µm).
    pub position_um: f64,
    /// Size at baseline (arbitrary units; NaN: not present).
    pub size_baseline: f64,
    /// Size at follow-up (arbitrary units; NaN: not present).
    pub size_followup: f64,
}

impl Spine {
    /// Whether the spine was present at baseline and follow-up.
    pub fn stable(&self) -> bool {
        self.size_baseline.is_finite() && self.size_baseline > 0.0 && self.size_followup.is_finite()
    }
}

/// One trace of one imaged session.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Spine id or dendrite id.
    pub id: u32,
    /// Session number.
    pub session: u32,
    /// dF/F per frame.
    pub dff: Vec<f64>,
}

/// One behavioural trial.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// Animal name.
    pub animal: String,
    /// Session number.
    pub session: u32,
    /// Trial number within the session.
    pub trial: u32,
    /// Cue onset (s from session start).
    pub cue_s: f64,
    /// Lever press (s from session start); NaN without a press.
    pub press_s: f64,
    /// Whether the trial was rewarded.
    pub rewarded: bool,
    /// Correlation of this trial's movement with the session mean (NaN if unknown).
    pub movement_corr: f64,
}

/// A whole data set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImagingData {
    /// Frame rate of all traces (Hz).
    pub rate_hz: f64,
    /// Spines.
    pub spines: Vec<Spine>,
    /// Spine glutamate traces.
    pub spine_traces: Vec<Trace>,
    /// Dendritic calcium traces.
    pub dendrite_traces: Vec<Trace>,
    /// Somatic calcium traces, keyed by dendrite (may be empty).
    pub soma_traces: Vec<Trace>,
    /// Behaviour.
    pub trials: Vec<Trial>,
}

/// Largest position accepted (µm): dendrites are at most a few hundred µm, so larger values are
/// taken to be a unit mistake (e.g. nm).
pub const MAX_POSITION_UM: f64 = 5000.0;

impl ImagingData {
    /// Check the data set: known ids, one trace per spine and imaged session of its dendrite,
    /// equal frame counts within a dendrite and session, finite values, plausible units. Errors
    /// name the table, the row of `spines` or `trials` (0-based, in the order given) or, for
    /// traces, the spine or dendrite and session, and the column.
    pub fn validate(&self) -> Result<(), DataError> {
        if !(self.rate_hz.is_finite() && self.rate_hz >= 1.0 && self.rate_hz <= 10_000.0) {
            return Err(DataError::new(
                "spine_traces",
                None,
                "t_s",
                format!(
                    "a frame rate between 1 Hz and 10 kHz (frame interval in seconds), found {} Hz",
                    self.rate_hz
                ),
            ));
        }
        if self.spines.is_empty() {
            return Err(DataError::new(
                "spines",
                None,
                "spine",
                "at least one spine, found none",
            ));
        }
        let mut ids = BTreeSet::new();
        let mut dendrite_of = BTreeMap::new();
        for (row, s) in self.spines.iter().enumerate() {
            if !ids.insert(s.id) {
                return Err(DataError::new(
                    "spines",
                    Some(row),
                    "spine",
                    format!("unique spine ids, found {} twice", s.id),
                ));
            }
            if !(s.position_um.is_finite() && (0.0..=MAX_POSITION_UM).contains(&s.position_um)) {
                return Err(DataError::new(
                    "spines",
                    Some(row),
                    "position_um",
                    format!(
                        "a position in µm between 0 and {MAX_POSITION_UM}, found {}",
                        s.position_um
                    ),
                ));
            }
            for (col, v) in [
                ("size_baseline", s.size_baseline),
                ("size_followup", s.size_followup),
            ] {
                if !(v.is_nan() || (v.is_finite() && v >= 0.0)) {
                    return Err(DataError::new(
                        "spines",
                        Some(row),
                        col,
                        format!("a size >= 0, or empty/NaN for a spine not present, found {v}"),
                    ));
                }
            }
            for (col, v) in [
                ("animal", &s.animal),
                ("compartment", &s.compartment),
                ("condition", &s.condition),
            ] {
                if v.trim().is_empty() {
                    return Err(DataError::new("spines", Some(row), col, "a non-empty name"));
                }
            }
            dendrite_of.insert(s.id, s.dendrite);
        }
        // Dendrite traces: frame count per (dendrite, session).
        let mut frames = BTreeMap::new();
        for t in &self.dendrite_traces {
            check_trace("dendrite_traces", t)?;
            if frames.insert((t.id, t.session), t.dff.len()).is_some() {
                return Err(DataError::new(
                    "dendrite_traces",
                    None,
                    "dendrite",
                    format!(
                        "one trace per dendrite and session, found dendrite {} session {} twice",
                        t.id, t.session
                    ),
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for t in &self.spine_traces {
            check_trace("spine_traces", t)?;
            let Some(&d) = dendrite_of.get(&t.id) else {
                return Err(DataError::new(
                    "spine_traces",
                    None,
                    "spine",
                    format!("a spine id of the spines table, found {}", t.id),
                ));
            };
            let Some(&n) = frames.get(&(d, t.session)) else {
                return Err(DataError::new(
                    "spine_traces",
                    None,
                    "session",
                    format!(
                        "a dendrite trace for dendrite {d} in session {} (spine {}), found none",
                        t.session, t.id
                    ),
                ));
            };
            if n != t.dff.len() {
                return Err(DataError::new(
                    "spine_traces",
                    None,
                    "dff",
                    format!(
                        "as many frames as dendrite {d} in session {} ({n}), found {} for spine {}",
                        t.session,
                        t.dff.len(),
                        t.id
                    ),
                ));
            }
            if !seen.insert((t.id, t.session)) {
                return Err(DataError::new(
                    "spine_traces",
                    None,
                    "spine",
                    format!(
                        "one trace per spine and session, found spine {} session {} twice",
                        t.id, t.session
                    ),
                ));
            }
        }
        let mut soma_seen = BTreeSet::new();
        for t in &self.soma_traces {
            check_trace("soma_traces", t)?;
            match frames.get(&(t.id, t.session)) {
                Some(&n) if n == t.dff.len() => {}
                Some(&n) => {
                    return Err(DataError::new(
                        "soma_traces",
                        None,
                        "dff",
                        format!(
                            "as many frames as dendrite {} in session {} ({n}), found {}",
                            t.id,
                            t.session,
                            t.dff.len()
                        ),
                    ));
                }
                None => {
                    return Err(DataError::new(
                        "soma_traces",
                        None,
                        "dendrite",
                        format!(
                            "a dendrite imaged in session {} (a dendrite_traces entry), found dendrite {}",
                            t.session, t.id
                        ),
                    ));
                }
            }
            if !soma_seen.insert((t.id, t.session)) {
                return Err(DataError::new(
                    "soma_traces",
                    None,
                    "dendrite",
                    format!(
                        "one trace per dendrite and session, found dendrite {} session {} twice",
                        t.id, t.session
                    ),
                ));
            }
        }
        for s in &self.spines {
            for &(d, session) in frames.keys() {
                if d == s.dendrite && !seen.contains(&(s.id, session)) {
                    return Err(DataError::new(
                        "spine_traces",
                        None,
                        "spine",
                        format!(
                            "a trace of spine {} in session {session} (its dendrite {d} was imaged then), found none",
                            s.id
                        ),
                    ));
                }
            }
        }
        for (row, t) in self.trials.iter().enumerate() {
            if !t.cue_s.is_finite() || t.cue_s < 0.0 {
                return Err(DataError::new(
                    "trials",
                    Some(row),
                    "cue_s",
                    format!("a time >= 0 in seconds, found {}", t.cue_s),
                ));
            }
            if !(t.press_s.is_nan() || (t.press_s.is_finite() && t.press_s >= t.cue_s)) {
                return Err(DataError::new(
                    "trials",
                    Some(row),
                    "press_s",
                    format!(
                        "a time >= cue_s ({}) or empty for no press, found {}",
                        t.cue_s, t.press_s
                    ),
                ));
            }
            if !(t.movement_corr.is_nan() || (-1.0..=1.0).contains(&t.movement_corr)) {
                return Err(DataError::new(
                    "trials",
                    Some(row),
                    "movement_corr",
                    format!("a correlation in [-1, 1] or empty, found {}", t.movement_corr),
                ));
            }
        }
        Ok(())
    }
}

/// The largest dF/F magnitude accepted (squares of larger values overflow the statistics).
const MAX_DFF: f64 = 1e6;

fn check_trace(table: &str, t: &Trace) -> Result<(), DataError> {
    if t.dff.is_empty() {
        return Err(DataError::new(
            table,
            None,
            "dff",
            format!(
                "at least one frame for id {} session {}, found none",
                t.id, t.session
            ),
        ));
    }
    if let Some(k) = t.dff.iter().position(|v| !(v.is_finite() && v.abs() <= MAX_DFF)) {
        return Err(DataError::new(
            table,
            None,
            "dff",
            format!(
                "finite dF/F values within ±{MAX_DFF:e} (a fraction of baseline: larger values \
                 point to raw fluorescence or a unit error), found {} at frame {k} (id {}, session {})",
                t.dff[k], t.id, t.session
            ),
        ));
    }
    Ok(())
}
