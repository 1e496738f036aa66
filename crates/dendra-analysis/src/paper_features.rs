//! The per-spine features of the paper profile (`profile = "paper"`): every imaged session of
//! every dendrite is analysed on its own, as the published code analyses one session at a time,
//! and a spine's features are the means over its sessions.
//!
//! Per dendrite and session: events by [`crate::paper_events::detect`] (spines with
//! [`PaperSettings::spine_events`], the dendrite with [`PaperSettings::dendrite_events`]);
//! then, with [`crate::paper_coactivity`], each spine's event rate, local co-activity (partners
//! in `(0, radius_um]`) with its chance level and significance, per-bin co-activity
//! (`bin_um` bins up to `max_distance_um`), distant co-activity, near minus distant, and
//! co-activity with the dendrite (`bap`). A spine is *present* (a partner, and analysed) when it
//! was there at baseline (`size_baseline` finite and positive); a spine absent at baseline is in
//! no session's analysis. The spine's value is the mean over the sessions where it is defined
//! (NaN if none: e.g. `local` of a spine that never had a partner within the radius).

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::{ImagingData, Spine, Trace};
use crate::paper_coactivity::{
    ChanceParams, SessionSpine, bin_edges_um, binned, distant, local_chance, nanmean, near_minus_distant,
    normalized, rate_per_min,
};
use crate::paper_events::PaperEventParams;
use crate::study::{DistanceBin, SpineFeatures, StudyParams, TraceKind, size_class};
use crate::train::EventTrain;

/// Settings of the paper profile that dendra's own profile does not have.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaperSettings {
    /// Event detection in spine traces (the paper's spine settings).
    pub spine_events: PaperEventParams,
    /// Event detection in dendrite traces (the paper's dendrite settings: lower threshold 0,
    /// floor 0.15 × max).
    pub dendrite_events: PaperEventParams,
    /// Iterations of the chance level of local co-activity. Default 10 (what the published
    /// `local_coactivity_analysis` runs).
    pub chance_iterations: u32,
    /// Largest roll of the chance level (s). Default 600.
    pub max_shift_s: f64,
    /// Percentile rank of the real value among the shuffles at which local co-activity is
    /// significant. Default 99.5 (the code's `100 − 10·alpha` at its alpha 0.05).
    pub chance_percentile: f64,
}

impl Default for PaperSettings {
    fn default() -> Self {
        PaperSettings {
            spine_events: PaperEventParams::default(),
            dendrite_events: PaperEventParams::dendrite(),
            chance_iterations: 10,
            max_shift_s: 600.0,
            chance_percentile: 99.5,
        }
    }
}

impl PaperSettings {
    /// Check the values; the error names the key.
    pub fn validate(&self) -> Result<(), dendra_core::ParamError> {
        use dendra_core::error::in_range;
        self.spine_events
            .validate()
            .map_err(|e| e.within("spine_events"))?;
        self.dendrite_events
            .validate()
            .map_err(|e| e.within("dendrite_events"))?;
        in_range("chance_iterations", f64::from(self.chance_iterations), 0.0, 1e5)?;
        in_range("max_shift_s", self.max_shift_s, 0.0, 1e6)?;
        in_range("chance_percentile", self.chance_percentile, 0.0, 100.0)?;
        Ok(())
    }
}

/// The features of one spine in one session (paper profile).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SessionFeatures {
    /// Spine id.
    pub spine: u32,
    /// Session.
    pub session: u32,
    /// Events per minute.
    pub rate_per_min: f64,
    /// Local co-activity (NaN without a partner within the radius).
    pub local: f64,
    /// Median of `local` over the rolls.
    pub local_chance: f64,
    /// Percentile rank of `local` among the rolls.
    pub local_rank: f64,
    /// Whether `local` is significantly above chance.
    pub local_significant: bool,
    /// Distant co-activity.
    pub distant: f64,
    /// Near minus distant co-activity.
    pub near_minus_distant: f64,
    /// Co-activity with the dendrite's events (NaN without a dendrite trace).
    pub bap: f64,
}

/// What the paper profile computes from a data set.
pub(crate) struct PaperFeatures {
    pub spines: Vec<SpineFeatures>,
    pub sessions: Vec<SessionFeatures>,
    pub distance: Vec<DistanceBin>,
}

/// One dendrite's spines (in data order) and traces by session.
struct Dendrite<'a> {
    id: u32,
    spines: Vec<&'a Spine>,
    spine_traces: BTreeMap<u32, BTreeMap<u32, &'a Trace>>,
    dendrite_traces: BTreeMap<u32, &'a Trace>,
}

/// Per spine of one dendrite: its session features and its per-bin means in each session.
type DendriteResult = (Vec<SessionFeatures>, Vec<Vec<Vec<f64>>>);

fn analyse_dendrite(d: &Dendrite, rate_hz: f64, p: &StudyParams) -> DendriteResult {
    let s = &p.paper;
    let edges = bin_edges_um(p.bin_um, p.max_distance_um);
    let chance = ChanceParams {
        rate_hz,
        min_shift_s: p.min_shift_s,
        max_shift_s: s.max_shift_s,
        iterations: s.chance_iterations,
        percentile: s.chance_percentile,
    };
    let mut sessions = Vec::new();
    let mut bins: Vec<Vec<Vec<f64>>> = vec![Vec::new(); d.spines.len()];
    for (&session, traces) in &d.spine_traces {
        // Spines with a trace this session, with their events.
        let here: Vec<(usize, EventTrain)> = d
            .spines
            .iter()
            .enumerate()
            .filter_map(|(k, sp)| {
                traces
                    .get(&sp.id)
                    .map(|t| (k, p.detect(&t.dff, rate_hz, TraceKind::Spine)))
            })
            .collect();
        let dend = d
            .dendrite_traces
            .get(&session)
            .map(|t| p.detect(&t.dff, rate_hz, TraceKind::Dendrite));
        let view: Vec<SessionSpine> = here
            .iter()
            .map(|(k, train)| SessionSpine {
                position_um: d.spines[*k].position_um,
                present: present(d.spines[*k]),
                train,
            })
            .collect();
        let key = u64::from(d.id) << 32 | u64::from(session);
        let ch = local_chance(&view, p.radius_um, p.max_distance_um, &chance, p.seed, key);
        let rows = binned(&view, &edges);
        for (j, (k, train)) in here.iter().enumerate() {
            if !view[j].present {
                continue;
            }
            sessions.push(SessionFeatures {
                spine: d.spines[*k].id,
                session,
                rate_per_min: rate_per_min(train, rate_hz),
                local: ch.real[j],
                local_chance: ch.median[j],
                local_rank: ch.rank[j],
                local_significant: ch.significant[j],
                distant: distant(&rows[j], &edges, p.radius_um),
                near_minus_distant: near_minus_distant(&rows[j], &edges, p.radius_um).unwrap_or(f64::NAN),
                bap: dend.as_ref().map_or(f64::NAN, |e| normalized(train, e)),
            });
            bins[*k].push(rows[j].clone());
        }
    }
    (sessions, bins)
}

/// Present at baseline: a partner and analysed.
fn present(s: &Spine) -> bool {
    s.size_baseline.is_finite() && s.size_baseline > 0.0
}

/// The paper profile's features of a data set that passed [`ImagingData::validate`].
pub(crate) fn paper_features(data: &ImagingData, p: &StudyParams) -> PaperFeatures {
    let mut dendrites: BTreeMap<u32, Dendrite> = BTreeMap::new();
    for s in &data.spines {
        dendrites
            .entry(s.dendrite)
            .or_insert_with(|| Dendrite {
                id: s.dendrite,
                spines: Vec::new(),
                spine_traces: BTreeMap::new(),
                dendrite_traces: BTreeMap::new(),
            })
            .spines
            .push(s);
    }
    let dendrite_of: BTreeMap<u32, u32> = data.spines.iter().map(|s| (s.id, s.dendrite)).collect();
    for t in &data.spine_traces {
        if let Some(d) = dendrite_of.get(&t.id).and_then(|d| dendrites.get_mut(d)) {
            d.spine_traces.entry(t.session).or_default().insert(t.id, t);
        }
    }
    for t in &data.dendrite_traces {
        if let Some(d) = dendrites.get_mut(&t.id) {
            d.dendrite_traces.insert(t.session, t);
        }
    }
    let per: Vec<(&Dendrite, DendriteResult)> = dendrites
        .values()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|d| (d, analyse_dendrite(d, data.rate_hz, p)))
        .collect();
    let mut spines = Vec::new();
    let mut sessions = Vec::new();
    // (compartment, condition) -> per bin, the spines' session-mean values.
    let mut by_group: BTreeMap<(String, String), Vec<Vec<f64>>> = BTreeMap::new();
    let edges = bin_edges_um(p.bin_um, p.max_distance_um);
    for (d, (feats, bins)) in per {
        for (k, sp) in d.spines.iter().enumerate() {
            let mine: Vec<&SessionFeatures> = feats.iter().filter(|f| f.spine == sp.id).collect();
            if mine.is_empty() {
                continue;
            }
            // Co-activity against distance: every present spine, as in the published code.
            let group = by_group
                .entry((sp.compartment.clone(), sp.condition.clone()))
                .or_insert_with(|| vec![Vec::new(); edges.len() - 1]);
            for (b, values) in group.iter_mut().enumerate() {
                let v = nanmean(&bins[k].iter().map(|row| row[b]).collect::<Vec<f64>>());
                if !v.is_nan() {
                    values.push(v);
                }
            }
            if !sp.stable() {
                continue;
            }
            let mean =
                |g: fn(&SessionFeatures) -> f64| nanmean(&mine.iter().map(|f| g(f)).collect::<Vec<f64>>());
            let ratio = sp.size_followup / sp.size_baseline;
            spines.push(SpineFeatures {
                spine: sp.id,
                animal: sp.animal.clone(),
                condition: sp.condition.clone(),
                dendrite: d.id,
                compartment: sp.compartment.clone(),
                position_um: sp.position_um,
                rate_per_min: mean(|f| f.rate_per_min),
                local: mean(|f| f.local),
                local_chance: mean(|f| f.local_chance),
                local_significant: mean(|f| {
                    if f.local.is_nan() {
                        f64::NAN
                    } else {
                        f64::from(u8::from(f.local_significant))
                    }
                }),
                distant: mean(|f| f.distant),
                near_minus_distant: mean(|f| f.near_minus_distant),
                bap: mean(|f| f.bap),
                ratio,
                class: size_class(ratio, p.enlarged_ratio, p.shrunk_ratio),
            });
        }
        sessions.extend(feats);
    }
    let distance = by_group
        .into_iter()
        .flat_map(|((c, cond), bins)| {
            let edges = edges.clone();
            bins.into_iter().enumerate().map(move |(b, v)| DistanceBin {
                compartment: c.clone(),
                condition: cond.clone(),
                distance_um: (edges[b] + edges[b + 1]) / 2.0,
                coactivity: nanmean(&v),
                n: v.len(),
            })
        })
        .collect();
    PaperFeatures {
        spines,
        sessions,
        distance,
    }
}
