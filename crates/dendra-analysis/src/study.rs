//! The whole analysis of an imaging data set, after Wright, Hedrick & Komiyama (2025). The
//! `dendra` profile is described here; the `paper` profile computes the features as the
//! published code does ([`crate::paper_features`]) and shares everything from the comparisons on.
//!
//! For each stable spine (present at baseline and follow-up), with its events and its dendrite's
//! events detected in every imaged session ([`crate::events::detect`]) and the sessions joined:
//!
//! - `rate`: event rate (per minute);
//! - `local`: mean normalized co-activity with the other spines of its dendrite within
//!   `radius_um` (0 without such neighbours) — *local co-activity*;
//! - `distant`: the same with the spines beyond `radius_um`;
//! - `bap`: normalized co-activity with the dendrite's calcium events (global dendritic events,
//!   the bAP proxy) — *dendrite/bAP co-activity*;
//! - `local_chance`: the mean of `local` over circular shifts of the neighbours' traces;
//! - `ratio = size_followup / size_baseline` and its class (enlarged `>= enlarged_ratio`, shrunk
//!   `<= shrunk_ratio`).
//!
//! Per compartment (control spines): enlarged spines are compared with the others on `local` and
//! `bap` (Mann–Whitney, rank-biserial effect size), and a cross-validated logistic regression
//! predicts enlargement from the standardized features `[local, bap, distant, rate]`
//! ([`crate::logistic`]; the paper's analysis, reported as evidence). The **governing signal**
//! is decided by [`crate::verdict`]: the same four features in one model with one intercept per
//! animal, each coefficient with a cluster-robust interval over animals, naming `local`, `bap`,
//! `both`, `other`, `none` or `undetermined`. Per compartment and manipulation the fraction of enlarged
//! spines is compared with control (two-proportion z-test). Pairs of spines on one dendrite
//! give co-activity against distance (bins of `bin_um` up to `max_distance_um`).

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::coactivity::{self, by_distance, event_rate_per_min, normalized};
use crate::data::{ImagingData, Spine};
use crate::events::{EventParams, detect};
use crate::logistic::{CvParams, cross_validate};
use crate::paper_features::{PaperSettings, SessionFeatures, paper_features};
use crate::stats::{Comparison, mann_whitney, two_proportions};
use crate::train::EventTrain;
use crate::verdict::{ClusterUnit, Verdict, VerdictParams, verdict};

/// Which analysis computes the per-spine features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Step for step the published code ([`crate::paper_features`]): its event detection,
    /// per-session co-activity, partners in `(0, r]`, distant bins, rolled chance levels.
    Paper,
    /// dendra's own: [`crate::events::detect`], all sessions joined, chance from shifting one
    /// partner at a time (module docs above).
    Dendra,
}

/// Settings of the analysis (defaults from the paper's code).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StudyParams {
    /// Which analysis computes the features. Default `dendra`.
    pub profile: Profile,
    /// Settings of the paper profile only.
    pub paper: PaperSettings,
    /// Event detection (dendra profile).
    pub events: EventParams,
    /// Radius of "local" (µm). Default 10 (the code's `cluster_dist`).
    pub radius_um: f64,
    /// Distance bin (µm). Default 5.
    pub bin_um: f64,
    /// Largest distance binned (µm). Default 40.
    pub max_distance_um: f64,
    /// Enlarged at `ratio >= enlarged_ratio`. Default 1.5.
    pub enlarged_ratio: f64,
    /// Shrunk at `ratio <= shrunk_ratio`. Default 0.75.
    pub shrunk_ratio: f64,
    /// Circular shifts for the chance level of local co-activity. Default 20.
    pub shifts: u32,
    /// Smallest circular shift (s). Default 1.
    pub min_shift_s: f64,
    /// Logistic regression settings (the paper's cross-validated model, reported as evidence).
    pub cv: CvParams,
    /// How the governing signal is decided.
    pub verdict: VerdictParams,
    /// Significance level. Default 0.05.
    pub alpha: f64,
    /// Seed of the resampling streams. Default 1.
    pub seed: u64,
}

impl Default for StudyParams {
    fn default() -> Self {
        StudyParams {
            profile: Profile::Dendra,
            paper: PaperSettings::default(),
            events: EventParams::default(),
            radius_um: 10.0,
            bin_um: 5.0,
            max_distance_um: 40.0,
            enlarged_ratio: 1.5,
            shrunk_ratio: 0.75,
            shifts: 20,
            min_shift_s: 1.0,
            cv: CvParams::default(),
            verdict: VerdictParams::default(),
            alpha: 0.05,
            seed: 1,
        }
    }
}

/// What a dF/F trace records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceKind {
    /// A spine's glutamate (or calcium) signal.
    Spine,
    /// A dendrite's calcium signal.
    Dendrite,
    /// A soma's calcium signal.
    Soma,
}

impl StudyParams {
    /// The events of one trace as this profile detects them: dendra's detector with `events`
    /// for every trace, or the paper's with `paper.spine_events` for spines and
    /// `paper.dendrite_events` for dendrites and somata.
    pub fn detect(&self, dff: &[f64], rate_hz: f64, kind: TraceKind) -> EventTrain {
        match (self.profile, kind) {
            (Profile::Dendra, _) => detect(dff, rate_hz, &self.events).0,
            (Profile::Paper, TraceKind::Spine) => {
                crate::paper_events::detect(dff, rate_hz, &self.paper.spine_events).train
            }
            (Profile::Paper, _) => {
                crate::paper_events::detect(dff, rate_hz, &self.paper.dendrite_events).train
            }
        }
    }

    /// Check the values; the error names the key.
    pub fn validate(&self) -> Result<(), dendra_core::ParamError> {
        use dendra_core::error::{in_range, positive};
        self.events.validate().map_err(|e| e.within("events"))?;
        self.paper.validate().map_err(|e| e.within("paper"))?;
        self.verdict.validate().map_err(|e| e.within("verdict"))?;
        positive("radius_um", self.radius_um)?;
        positive("bin_um", self.bin_um)?;
        in_range("max_distance_um", self.max_distance_um, self.bin_um, 1e4)?;
        if self.profile == Profile::Paper {
            // The published code bins 0..max into floor(max / width) equal bins and looks the
            // radius up among the edges: both must divide the range exactly.
            let divides = |w: f64| (self.max_distance_um / w).fract() == 0.0;
            if !divides(self.bin_um) {
                return Err(dendra_core::ParamError::new(
                    "bin_um",
                    "a width that divides max_distance_um (paper profile)",
                    self.bin_um,
                ));
            }
            let edges = crate::paper_coactivity::bin_edges_um(self.bin_um, self.max_distance_um);
            if !divides(self.radius_um) || !edges.contains(&self.radius_um) {
                return Err(dendra_core::ParamError::new(
                    "radius_um",
                    "a radius that divides max_distance_um and is a multiple of bin_um (paper profile)",
                    self.radius_um,
                ));
            }
        }
        positive("enlarged_ratio", self.enlarged_ratio)?;
        in_range("shrunk_ratio", self.shrunk_ratio, 0.0, self.enlarged_ratio)?;
        in_range("shifts", f64::from(self.shifts), 0.0, 1e5)?;
        in_range("min_shift_s", self.min_shift_s, 0.0, 1e6)?;
        positive("cv.c", self.cv.c)?;
        in_range("cv.folds", self.cv.folds as f64, 2.0, 100.0)?;
        in_range("cv.shuffles", self.cv.shuffles as f64, 0.0, 1e5)?;
        in_range("alpha", self.alpha, 0.0, 1.0)?;
        Ok(())
    }
}

/// The features of one spine.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpineFeatures {
    /// Spine id.
    pub spine: u32,
    /// Animal.
    pub animal: String,
    /// Condition.
    pub condition: String,
    /// Dendrite.
    pub dendrite: u32,
    /// Compartment.
    pub compartment: String,
    /// Position (µm).
    pub position_um: f64,
    /// Events per minute.
    pub rate_per_min: f64,
    /// Local co-activity.
    pub local: f64,
    /// Chance level of `local`.
    pub local_chance: f64,
    /// Paper profile: the fraction of sessions in which `local` was significantly above chance
    /// (NaN in the dendra profile and without partners).
    pub local_significant: f64,
    /// Co-activity with distant spines.
    pub distant: f64,
    /// Paper profile: near minus distant co-activity (NaN in the dendra profile).
    pub near_minus_distant: f64,
    /// Co-activity with dendritic (bAP) events.
    pub bap: f64,
    /// Follow-up / baseline size.
    pub ratio: f64,
    /// `enlarged`, `shrunk` or `stable`.
    pub class: &'static str,
}

impl SpineFeatures {
    fn row(&self) -> Vec<f64> {
        vec![self.local, self.bap, self.distant, self.rate_per_min]
    }
}

/// Names of the regression features, in order.
pub const FEATURES: [&str; 4] = ["local", "bap", "distant", "rate"];

/// The result for one compartment (control spines).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CompartmentResult {
    /// Compartment.
    pub compartment: String,
    /// Stable control spines.
    pub spines: usize,
    /// Of these, the spines with every feature defined: those the comparisons and the model
    /// use (all of them in the dendra profile; in the paper profile a spine without a partner
    /// within the radius has no local co-activity).
    pub analysed: usize,
    /// Fraction enlarged.
    pub frac_enlarged: f64,
    /// Fraction shrunk.
    pub frac_shrunk: f64,
    /// Enlarged vs other spines on local co-activity.
    pub local: Comparison,
    /// Enlarged vs other spines on bAP co-activity.
    pub bap: Comparison,
    /// Cross-validated macro-F1.
    pub macro_f1: f64,
    /// Macro-F1 with shuffled labels.
    pub shuffled_macro_f1: f64,
    /// p of the macro-F1 against shuffles.
    pub macro_f1_p: f64,
    /// Standardized coefficients of the full model, in the order of [`FEATURES`].
    pub coef: Vec<f64>,
    /// Standardized coefficients of the two-candidate model `[local, bap]`.
    pub coef_candidates: [f64; 2],
    /// Mean normalized co-activity of dendritic and somatic calcium events over the
    /// compartment's control dendrites (how well dendritic events report somatic spikes); NaN
    /// without somatic traces.
    pub soma_dendrite_coactivity: f64,
    /// The verdict: `local`, `bap`, `both`, `other`, `none` or `undetermined`.
    pub governing: String,
    /// How the verdict was reached ([`crate::verdict`]).
    pub verdict: Verdict,
}

/// A manipulation compared with control in one compartment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Manipulation {
    /// Compartment.
    pub compartment: String,
    /// Condition (e.g. `kir`).
    pub condition: String,
    /// Stable spines under the manipulation.
    pub spines: usize,
    /// Fraction enlarged under the manipulation.
    pub frac_enlarged: f64,
    /// Fraction enlarged in control.
    pub control_frac_enlarged: f64,
    /// `frac_enlarged / control_frac_enlarged` (NaN if control has none).
    pub relative: f64,
    /// Two-proportion p-value.
    pub p: f64,
}

/// One distance bin.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DistanceBin {
    /// Compartment.
    pub compartment: String,
    /// Condition.
    pub condition: String,
    /// Bin centre (µm).
    pub distance_um: f64,
    /// Mean normalized co-activity in the bin: over the pairs of spines in it (dendra profile),
    /// or over the spines' own means of their partners in it (paper profile).
    pub coactivity: f64,
    /// What the mean is over: pairs (dendra profile) or spines (paper profile).
    pub n: usize,
}

/// Behaviour of one session, averaged over the animals of a group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SessionBehaviour {
    /// Session.
    pub session: u32,
    /// Animals with trials in the session.
    pub animals: usize,
    /// Mean over animals of the fraction of rewarded trials.
    pub success: f64,
    /// Mean over animals of the median reaction time (s) of trials with a press.
    pub reaction_s: f64,
    /// Mean over animals of the mean movement correlation.
    pub stereotypy: f64,
}

/// Everything the analysis finds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Study {
    /// Per stable spine.
    pub spines: Vec<SpineFeatures>,
    /// Per compartment.
    pub compartments: Vec<CompartmentResult>,
    /// Per compartment and manipulation.
    pub manipulations: Vec<Manipulation>,
    /// Co-activity against distance.
    pub distance: Vec<DistanceBin>,
    /// Behaviour per session.
    pub behaviour: Vec<SessionBehaviour>,
    /// Paper profile: the features of every present spine in every session (written as a
    /// table, not into `analysis.json`).
    #[serde(skip)]
    pub sessions: Vec<SessionFeatures>,
}

/// The size class of a spine whose size changed by `ratio` (follow-up / baseline): `enlarged`
/// at `ratio >= enlarged_ratio`, else `shrunk` at `ratio <= shrunk_ratio`, else `stable` (the
/// published code's `classify_plasticity`; its `local_coactivity_analysis` uses thresholds
/// `(0.25, 0.5)`, i.e. 1.5 and 0.75, this crate's defaults).
pub fn size_class(ratio: f64, enlarged_ratio: f64, shrunk_ratio: f64) -> &'static str {
    if ratio >= enlarged_ratio {
        "enlarged"
    } else if ratio <= shrunk_ratio {
        "shrunk"
    } else {
        "stable"
    }
}

/// The condition name of unmanipulated animals.
pub const CONTROL: &str = "control";

/// A pair of spines on one dendrite: compartment, condition, distance (µm), normalized
/// co-activity.
type Pair = (String, String, f64, f64);

/// Detected events of every trace, joined over sessions: `(spine or dendrite id) -> train`.
fn joined_events(
    traces: &[crate::data::Trace],
    detect_one: &(dyn Fn(&[f64]) -> EventTrain + Sync),
) -> BTreeMap<u32, EventTrain> {
    let detected: Vec<(u32, u32, EventTrain)> = traces
        .par_iter()
        .map(|t| (t.id, t.session, detect_one(&t.dff)))
        .collect();
    let mut by_id: BTreeMap<u32, Vec<(u32, EventTrain)>> = BTreeMap::new();
    for (id, session, train) in detected {
        by_id.entry(id).or_default().push((session, train));
    }
    by_id
        .into_iter()
        .map(|(id, mut v)| {
            v.sort_by_key(|e| e.0);
            let parts: Vec<&EventTrain> = v.iter().map(|e| &e.1).collect();
            (id, EventTrain::concat(&parts))
        })
        .collect()
}

/// Run the analysis. The data must have passed [`ImagingData::validate`].
pub fn analyze(data: &ImagingData, p: &StudyParams) -> Study {
    // Dendritic events joined over sessions: dendra's features use them, and so does the
    // soma-dendrite check when there are somatic traces.
    let dendrite_events = if p.profile == Profile::Dendra || !data.soma_traces.is_empty() {
        joined_events(&data.dendrite_traces, &|x: &[f64]| {
            p.detect(x, data.rate_hz, TraceKind::Dendrite)
        })
    } else {
        BTreeMap::new()
    };
    let soma_dendrite = soma_dendrite_coactivity(data, p, &dendrite_events);
    let (spines, sessions, distance) = match p.profile {
        Profile::Paper => {
            let f = paper_features(data, p);
            (f.spines, f.sessions, f.distance)
        }
        Profile::Dendra => {
            let (spines, distance) = dendra_features(data, p, &dendrite_events);
            (spines, Vec::new(), distance)
        }
    };
    let compartments_names: Vec<String> = {
        let mut v: Vec<String> = spines.iter().map(|s| s.compartment.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    let compartments = compartments_names
        .iter()
        .enumerate()
        .filter_map(|(k, c)| {
            let mut r = compartment_result(&spines, c, p, k as u64)?;
            let dendrites: std::collections::BTreeSet<u32> = data
                .spines
                .iter()
                .filter(|s| &s.compartment == c && s.condition == CONTROL)
                .map(|s| s.dendrite)
                .collect();
            let v: Vec<f64> = dendrites
                .iter()
                .filter_map(|d| soma_dendrite.get(d).copied())
                .collect();
            r.soma_dendrite_coactivity = if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            };
            Some(r)
        })
        .collect();
    let manipulations = manipulations(&spines, &compartments_names);
    Study {
        spines,
        compartments,
        manipulations,
        distance,
        behaviour: behaviour(data),
        sessions,
    }
}

/// Per dendrite: normalized co-activity of its calcium events with its soma's (all sessions
/// joined; dendritic calcium settings for both in the paper profile).
fn soma_dendrite_coactivity(
    data: &ImagingData,
    p: &StudyParams,
    dendrite_events: &BTreeMap<u32, EventTrain>,
) -> BTreeMap<u32, f64> {
    joined_events(&data.soma_traces, &|x: &[f64]| {
        p.detect(x, data.rate_hz, TraceKind::Soma)
    })
    .iter()
    .filter_map(|(d, s)| dendrite_events.get(d).map(|e| (*d, normalized(e, s))))
    .collect()
}

/// dendra's own features: all sessions joined (module docs).
fn dendra_features(
    data: &ImagingData,
    p: &StudyParams,
    dendrite_events: &BTreeMap<u32, EventTrain>,
) -> (Vec<SpineFeatures>, Vec<DistanceBin>) {
    let spine_events = joined_events(&data.spine_traces, &|x: &[f64]| {
        p.detect(x, data.rate_hz, TraceKind::Spine)
    });
    let mut by_dendrite: BTreeMap<u32, Vec<&Spine>> = BTreeMap::new();
    for s in &data.spines {
        by_dendrite.entry(s.dendrite).or_default().push(s);
    }
    let empty = EventTrain::default();
    let per_dendrite: Vec<(Vec<SpineFeatures>, Vec<Pair>)> = by_dendrite
        .par_iter()
        .map(|(&d, spines)| {
            let dend = dendrite_events.get(&d).unwrap_or(&empty);
            let mut feats = Vec::new();
            let mut pairs = Vec::new();
            for (a, sa) in spines.iter().enumerate() {
                let ta = spine_events.get(&sa.id).unwrap_or(&empty);
                let (mut local, mut n_local, mut distant, mut n_distant, mut chance) = (0.0, 0, 0.0, 0, 0.0);
                for (b, sb) in spines.iter().enumerate() {
                    if a == b {
                        continue;
                    }
                    let tb = spine_events.get(&sb.id).unwrap_or(&empty);
                    let dist = (sa.position_um - sb.position_um).abs();
                    let v = normalized(ta, tb);
                    if b > a && sa.stable() && sb.stable() {
                        pairs.push((sa.compartment.clone(), sa.condition.clone(), dist, v));
                    }
                    if dist <= p.radius_um {
                        local += v;
                        n_local += 1;
                        let key = u64::from(sa.id) << 32 | u64::from(sb.id);
                        chance +=
                            coactivity::chance(ta, tb, data.rate_hz, p.min_shift_s, p.shifts, p.seed, key)
                                .mean;
                    } else {
                        distant += v;
                        n_distant += 1;
                    }
                }
                if !sa.stable() {
                    continue;
                }
                let mean = |s: f64, n: usize| if n > 0 { s / n as f64 } else { 0.0 };
                let ratio = sa.size_followup / sa.size_baseline;
                feats.push(SpineFeatures {
                    spine: sa.id,
                    animal: sa.animal.clone(),
                    condition: sa.condition.clone(),
                    dendrite: d,
                    compartment: sa.compartment.clone(),
                    position_um: sa.position_um,
                    rate_per_min: event_rate_per_min(ta, data.rate_hz),
                    local: mean(local, n_local),
                    local_chance: mean(chance, n_local),
                    local_significant: f64::NAN,
                    distant: mean(distant, n_distant),
                    near_minus_distant: f64::NAN,
                    bap: normalized(ta, dend),
                    ratio,
                    class: size_class(ratio, p.enlarged_ratio, p.shrunk_ratio),
                });
            }
            (feats, pairs)
        })
        .collect();
    let mut spines = Vec::new();
    let mut pairs_by: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for (f, pairs) in per_dendrite {
        spines.extend(f);
        for (c, cond, d, v) in pairs {
            pairs_by.entry((c, cond)).or_default().push((d, v));
        }
    }
    let distance: Vec<DistanceBin> = pairs_by
        .iter()
        .flat_map(|((c, cond), pairs)| {
            by_distance(pairs, p.bin_um, p.max_distance_um)
                .into_iter()
                .map(|(x, m, n)| DistanceBin {
                    compartment: c.clone(),
                    condition: cond.clone(),
                    distance_um: x,
                    coactivity: m,
                    n,
                })
        })
        .collect();
    (spines, distance)
}

fn compartment_result(
    spines: &[SpineFeatures],
    c: &str,
    p: &StudyParams,
    key: u64,
) -> Option<CompartmentResult> {
    let sel: Vec<&SpineFeatures> = spines
        .iter()
        .filter(|s| s.compartment == c && s.condition == CONTROL)
        .collect();
    if sel.is_empty() {
        return None;
    }
    let n = sel.len() as f64;
    let frac_enlarged = sel.iter().filter(|s| s.class == "enlarged").count() as f64 / n;
    let frac_shrunk = sel.iter().filter(|s| s.class == "shrunk").count() as f64 / n;
    // Spines without local co-activity (paper profile: no partner within the radius) are left
    // out of the comparisons, as the published code leaves NaNs out. Distant co-activity, a
    // covariate only, is undefined for spines without partners 30-40 um away; it takes the
    // mean of the others there.
    let sel: Vec<&SpineFeatures> = sel
        .into_iter()
        .filter(|s| s.local.is_finite() && s.bap.is_finite() && s.rate_per_min.is_finite())
        .collect();
    let distant_mean = {
        let v: Vec<f64> = sel.iter().map(|s| s.distant).filter(|v| v.is_finite()).collect();
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let enlarged: Vec<bool> = sel.iter().map(|s| s.class == "enlarged").collect();
    let split = |f: fn(&SpineFeatures) -> f64| {
        let a: Vec<f64> = sel
            .iter()
            .filter(|s| s.class == "enlarged")
            .map(|s| f(s))
            .collect();
        let b: Vec<f64> = sel
            .iter()
            .filter(|s| s.class != "enlarged")
            .map(|s| f(s))
            .collect();
        mann_whitney(&a, &b)
    };
    let x: Vec<Vec<f64>> = sel
        .iter()
        .map(|s| {
            let mut r = s.row();
            if !r[2].is_finite() {
                r[2] = distant_mean;
            }
            r
        })
        .collect();
    let cv = cross_validate(&x, &enlarged, &p.cv, p.seed, key);
    let candidates = crate::logistic::Logistic::fit(
        &x.iter().map(|r| vec![r[0], r[1]]).collect::<Vec<_>>(),
        &enlarged,
        p.cv.c,
    );
    let (cl, cb) = (candidates.coef[0], candidates.coef[1]);
    let clusters: Vec<u64> = {
        let mut animals: Vec<&str> = sel.iter().map(|s| s.animal.as_str()).collect();
        animals.sort_unstable();
        animals.dedup();
        sel.iter()
            .map(|s| match p.verdict.unit {
                ClusterUnit::Animal => animals.binary_search(&s.animal.as_str()).unwrap_or(0) as u64,
                ClusterUnit::Dendrite => u64::from(s.dendrite),
                ClusterUnit::Spine => u64::from(s.spine),
            })
            .collect()
    };
    let verdict = verdict(&FEATURES, &x, &enlarged, &clusters, &p.verdict);
    Some(CompartmentResult {
        compartment: c.to_string(),
        spines: n as usize,
        analysed: sel.len(),
        frac_enlarged,
        frac_shrunk,
        local: split(|s| s.local),
        bap: split(|s| s.bap),
        macro_f1: cv.macro_f1,
        shuffled_macro_f1: cv.shuffled_macro_f1,
        macro_f1_p: cv.p,
        coef: cv.model.coef.clone(),
        coef_candidates: [cl, cb],
        soma_dendrite_coactivity: f64::NAN,
        governing: verdict.name.clone(),
        verdict,
    })
}

fn manipulations(spines: &[SpineFeatures], compartments: &[String]) -> Vec<Manipulation> {
    let count = |c: &str, cond: &str| {
        let sel: Vec<&SpineFeatures> = spines
            .iter()
            .filter(|s| s.compartment == c && s.condition == cond)
            .collect();
        (sel.iter().filter(|s| s.class == "enlarged").count(), sel.len())
    };
    let mut conditions: Vec<&str> = spines
        .iter()
        .map(|s| s.condition.as_str())
        .filter(|&c| c != CONTROL)
        .collect();
    conditions.sort_unstable();
    conditions.dedup();
    let mut out = Vec::new();
    for c in compartments {
        let (k0, n0) = count(c, CONTROL);
        for &cond in &conditions {
            let (k, n) = count(c, cond);
            if n == 0 || n0 == 0 {
                continue;
            }
            let (f, f0) = (k as f64 / n as f64, k0 as f64 / n0 as f64);
            out.push(Manipulation {
                compartment: c.clone(),
                condition: cond.to_string(),
                spines: n,
                frac_enlarged: f,
                control_frac_enlarged: f0,
                relative: if f0 > 0.0 { f / f0 } else { f64::NAN },
                p: two_proportions(k, n, k0, n0),
            });
        }
    }
    out
}

fn behaviour(data: &ImagingData) -> Vec<SessionBehaviour> {
    let mut by: BTreeMap<u32, BTreeMap<&str, Vec<&crate::data::Trial>>> = BTreeMap::new();
    for t in &data.trials {
        by.entry(t.session)
            .or_default()
            .entry(t.animal.as_str())
            .or_default()
            .push(t);
    }
    let mean = |v: &[f64]| {
        let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    by.into_iter()
        .map(|(session, animals)| {
            let (mut success, mut rt, mut st) = (Vec::new(), Vec::new(), Vec::new());
            for trials in animals.values() {
                success.push(trials.iter().filter(|t| t.rewarded).count() as f64 / trials.len() as f64);
                let mut r: Vec<f64> = trials
                    .iter()
                    .filter(|t| t.press_s.is_finite())
                    .map(|t| t.press_s - t.cue_s)
                    .collect();
                r.sort_by(f64::total_cmp);
                rt.push(if r.is_empty() { f64::NAN } else { r[r.len() / 2] });
                st.push(mean(&trials.iter().map(|t| t.movement_corr).collect::<Vec<_>>()));
            }
            SessionBehaviour {
                session,
                animals: animals.len(),
                success: mean(&success),
                reaction_s: mean(&rt),
                stereotypy: mean(&st),
            }
        })
        .collect()
}

/// A value of [`Study::key_results`].
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    /// A number (NaN where undefined).
    Num(f64),
    /// A name.
    Text(String),
}

impl Study {
    /// The study's key numbers under stable names (`C` = each compartment): `spines_C`,
    /// `analysed_C`, `frac_enlarged_C`, `frac_shrunk_C`, `local_effect_C`, `local_p_C`, `bap_effect_C`,
    /// `bap_p_C`, `macro_f1_C`, `shuffled_macro_f1_C`, `macro_f1_p_C`, `coef_local_C`,
    /// `coef_bap_C` (two-candidate model), `soma_dendrite_coactivity_C`, `governing_C` (the
    /// verdict), `verdict_reason_C` and its evidence `verdict_F_coef_C`, `verdict_F_lo_C`, `verdict_F_hi_C`,
    /// `verdict_F_p_C` for each feature `F`; per manipulation `M`:
    /// `M_relative_C` (fraction enlarged / control) and `M_p_C`; and behaviour:
    /// `success_first`, `success_last`, `reaction_s_first`, `reaction_s_last`,
    /// `stereotypy_first`, `stereotypy_last` (first and last session).
    pub fn key_results(&self) -> Vec<(String, KeyValue)> {
        use KeyValue::{Num, Text};
        let mut out = Vec::new();
        for r in &self.compartments {
            let c = &r.compartment;
            for (k, v) in [
                ("spines", r.spines as f64),
                ("analysed", r.analysed as f64),
                ("frac_enlarged", r.frac_enlarged),
                ("frac_shrunk", r.frac_shrunk),
                ("local_effect", r.local.effect),
                ("local_p", r.local.p),
                ("bap_effect", r.bap.effect),
                ("bap_p", r.bap.p),
                ("macro_f1", r.macro_f1),
                ("shuffled_macro_f1", r.shuffled_macro_f1),
                ("macro_f1_p", r.macro_f1_p),
                ("coef_local", r.coef_candidates[0]),
                ("coef_bap", r.coef_candidates[1]),
                ("soma_dendrite_coactivity", r.soma_dendrite_coactivity),
            ] {
                out.push((format!("{k}_{c}"), Num(v)));
            }
            out.push((format!("governing_{c}"), Text(r.governing.clone())));
            out.push((format!("verdict_reason_{c}"), Text(r.verdict.reason.clone())));
            for e in &r.verdict.evidence {
                let f = &e.feature;
                out.push((format!("verdict_{f}_coef_{c}"), Num(e.coef)));
                out.push((format!("verdict_{f}_lo_{c}"), Num(e.lo)));
                out.push((format!("verdict_{f}_hi_{c}"), Num(e.hi)));
                out.push((format!("verdict_{f}_p_{c}"), Num(e.p)));
            }
        }
        for m in &self.manipulations {
            out.push((
                format!("{}_relative_{}", m.condition, m.compartment),
                Num(m.relative),
            ));
            out.push((format!("{}_p_{}", m.condition, m.compartment), Num(m.p)));
        }
        if let (Some(first), Some(last)) = (self.behaviour.first(), self.behaviour.last()) {
            for (k, a, b) in [
                ("success", first.success, last.success),
                ("reaction_s", first.reaction_s, last.reaction_s),
                ("stereotypy", first.stereotypy, last.stereotypy),
            ] {
                out.push((format!("{k}_first"), Num(a)));
                out.push((format!("{k}_last"), Num(b)));
            }
        }
        out
    }
}
