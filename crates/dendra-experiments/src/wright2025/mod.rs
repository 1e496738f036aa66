//! `wright2025`: the in-silico imaging study of compartment-specific plasticity (Wright,
//! Hedrick & Komiyama, Science 388:322, 2025), and the paper's analysis run on its recordings.
//!
//! Simulated animals (one seed each; groups apical, basal, apical + Kir, basal + Kir with the
//! paper's sizes 10/12/7/5) learn a cued lever press over 14 sessions ([`animal`]): a motor
//! population learns by reward-modulated plasticity to answer the cue with a burst (the press),
//! rewarded with dopamine. One L2/3 pyramidal neuron per animal ([`circuit`]) receives spines
//! from movement-related motor neurons and from spontaneous assemblies, clustered or alone on
//! its branches ([`layout`], [`trains`]); its compartments follow the preset's rules. Imaged
//! sessions are read out as a two-photon experiment would record them ([`imaging`]) into a
//! [`dendra_analysis::ImagingData`] set, the same format `dendra analyze` reads from files; the
//! analysis ([`dendra_analysis::study`]) then finds which signal predicts spine enlargement in
//! each compartment, and whether it is the rule the preset put there.
//!
//! Summary keys (`C` = `apical`, `basal`):
//! `preset`, `animals`, `sessions`, `imaged_sessions`, `seed`, `spines_C`, `frac_enlarged_C`,
//! `frac_shrunk_C`, `local_effect_C`, `local_p_C`, `bap_effect_C`, `bap_p_C` (enlarged vs other
//! spines, rank-biserial effect and Mann–Whitney p), `macro_f1_C`, `shuffled_macro_f1_C`,
//! `macro_f1_p_C`, `coef_local_C`, `coef_bap_C` (standardized coefficients of the two-candidate
//! model), `governing_C` (what the analysis names; see
//! [`dendra_analysis::Study::key_results`]), `truth_C` (what the preset put there), `recovered`
//! (both right), `kir_relative_C` (fraction enlarged with Kir / control), `kir_p_C`, `success_first`, `success_last`,
//! `reaction_s_first`, `reaction_s_last`, `stereotypy_first`, `stereotypy_last` (first and last
//! session, mean over animals), `movement_coactivity_early`, `movement_coactivity_late` (mean
//! normalized co-activity of movement-related spine pairs on one dendrite in the first and last
//! third of the imaged sessions), `soma_rate_hz_control`, `soma_rate_hz_kir`, `simulate_s`,
//! `analyze_s`.

pub mod animal;
pub mod circuit;
pub mod imaging;
pub mod layout;
pub mod params;
pub mod recovery;
pub mod trains;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use dendra_analysis::study::KeyValue;
use dendra_analysis::{ImagingData, Study, StudyParams};
use rayon::prelude::*;

pub use params::{Preset, UniformRule, Wright2025Params};

use crate::{ExperimentError, Imaging, Outcome, RunOptions, Summary};
use animal::Animal;

/// The cohort: animals of each group, in order apical, basal, apical + Kir, basal + Kir.
pub fn cohort(p: &Wright2025Params, seed: u64) -> Vec<Animal> {
    let groups = [
        ("apical", false, p.apical_animals),
        ("basal", false, p.basal_animals),
        ("apical", true, p.apical_kir_animals),
        ("basal", true, p.basal_kir_animals),
    ];
    let mut out = Vec::new();
    for (group, kir, n) in groups {
        for k in 0..n {
            let index = out.len() as u32;
            out.push(Animal {
                index,
                name: format!("{group}{}-{:02}", if kir { "-kir" } else { "" }, k + 1),
                group,
                kir,
                seed: animal::animal_seed(seed, index),
            });
        }
    }
    out
}

/// What one cohort produced.
pub struct CohortRun {
    /// The imaging data of all animals.
    pub data: ImagingData,
    /// Ground truth per spine id: `(movement-related, clustered)`.
    pub truth: Vec<(u32, bool, bool)>,
    /// Somatic spike rate of the imaged neurons (Hz): control, Kir.
    pub soma_rate_hz: (f64, f64),
    /// Wall time (s).
    pub seconds: f64,
}

/// Simulate and image a cohort, animals in parallel on `threads` threads (each animal on one;
/// results do not depend on the thread count).
pub fn simulate(
    p: &Wright2025Params,
    seed: u64,
    threads: usize,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<CohortRun, ExperimentError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| ExperimentError::Sim(dendra_sim::SimError::Config(format!("thread pool: {e}"))))?;
    pool.install(|| simulate_in_pool(p, seed, progress))
}

pub(crate) fn simulate_in_pool(
    p: &Wright2025Params,
    seed: u64,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<CohortRun, ExperimentError> {
    let started = Instant::now();
    let animals = cohort(p, seed);
    let total = (p.duration_ms() / animal::DT_MS).round() as u64 * animals.len() as u64;
    let done = AtomicU64::new(0);
    let tick = |n: u64| {
        let d = done.fetch_add(n, Ordering::Relaxed) + n;
        progress(d.min(total), total);
    };
    let parts: Vec<_> = animals
        .par_iter()
        .map(|a| {
            let run = animal::run(p, a, &tick)?;
            let rate = run.soma_spikes.len() as f64 / (p.duration_ms() / 1000.0);
            Ok((imaging::image(p, &run), a.kir, rate))
        })
        .collect::<Result<Vec<_>, ExperimentError>>()?;
    let mut data = ImagingData {
        rate_hz: p.frame_rate_hz,
        ..ImagingData::default()
    };
    let mut truth = Vec::new();
    let (mut rates, mut counts) = ([0.0; 2], [0usize; 2]);
    for (r, kir, rate) in parts {
        data.spines.extend(r.spines);
        data.spine_traces.extend(r.spine_traces);
        data.dendrite_traces.extend(r.dendrite_traces);
        data.soma_traces.extend(r.soma_traces);
        data.trials.extend(r.trials);
        truth.extend(r.truth);
        rates[usize::from(kir)] += rate;
        counts[usize::from(kir)] += 1;
    }
    let mean = |k: usize| {
        if counts[k] > 0 {
            rates[k] / counts[k] as f64
        } else {
            f64::NAN
        }
    };
    Ok(CohortRun {
        data,
        truth,
        soma_rate_hz: (mean(0), mean(1)),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What the preset puts on a compartment class, as the analysis would name it.
pub fn truth(p: &Wright2025Params, compartment: &str) -> &'static str {
    let c = if compartment == "apical" {
        circuit::APICAL[0]
    } else {
        circuit::BASAL[0]
    };
    circuit::rule_for(p.preset, p.uniform_rule, c).map_or("none", |r| circuit::signal_of(&r))
}

/// Mean normalized co-activity of movement-related spine pairs on one dendrite, over the imaged
/// sessions in `sessions` (events detected per session as the analysis does).
pub fn movement_coactivity(data: &ImagingData, truth: &[(u32, bool, bool)], sessions: &[u32]) -> f64 {
    use std::collections::{BTreeMap, HashSet};
    let movement: HashSet<u32> = truth.iter().filter(|t| t.1).map(|t| t.0).collect();
    let dendrite: BTreeMap<u32, u32> = data.spines.iter().map(|s| (s.id, s.dendrite)).collect();
    let params = dendra_analysis::events::EventParams::default();
    // (dendrite, session) -> event trains of its movement-related spines.
    let mut groups: BTreeMap<(u32, u32), Vec<dendra_analysis::EventTrain>> = BTreeMap::new();
    for t in &data.spine_traces {
        if movement.contains(&t.id) && sessions.contains(&t.session) {
            let (train, _) = dendra_analysis::events::detect(&t.dff, data.rate_hz, &params);
            groups
                .entry((dendrite[&t.id], t.session))
                .or_default()
                .push(train);
        }
    }
    let (mut sum, mut n) = (0.0, 0usize);
    for trains in groups.values() {
        for i in 0..trains.len() {
            for j in i + 1..trains.len() {
                sum += dendra_analysis::coactivity::normalized(&trains[i], &trains[j]);
                n += 1;
            }
        }
    }
    if n > 0 { sum / n as f64 } else { f64::NAN }
}

/// The summary of a study under the keys documented in the module.
pub fn summarize(p: &Wright2025Params, seed: u64, run: &CohortRun, study: &Study, analyze_s: f64) -> Summary {
    let mut s = Summary::new();
    let animals = p.apical_animals + p.basal_animals + p.apical_kir_animals + p.basal_kir_animals;
    s.set("preset", p.preset.name())
        .set("animals", u64::from(animals))
        .set("sessions", u64::from(p.sessions))
        .set(
            "imaged_sessions",
            p.imaged_sessions
                .iter()
                .map(|&x| u64::from(x))
                .collect::<Vec<u64>>(),
        )
        .set("seed", seed);
    for (k, v) in study.key_results() {
        match v {
            KeyValue::Num(x) => s.set(&k, x),
            KeyValue::Text(t) => s.set(&k, t),
        };
    }
    let mut recovered = true;
    for c in ["apical", "basal"] {
        let truth = truth(p, c);
        s.set(&format!("truth_{c}"), truth);
        recovered &= study
            .compartments
            .iter()
            .any(|r| r.compartment == c && r.governing == truth);
    }
    s.set("recovered", recovered);
    // Early and late thirds of the imaged sessions.
    let k = p.imaged_sessions.len().div_ceil(3);
    let early = &p.imaged_sessions[..k.min(p.imaged_sessions.len())];
    let late = &p.imaged_sessions[p.imaged_sessions.len().saturating_sub(k)..];
    s.set(
        "movement_coactivity_early",
        movement_coactivity(&run.data, &run.truth, early),
    )
    .set(
        "movement_coactivity_late",
        movement_coactivity(&run.data, &run.truth, late),
    );
    s.set("soma_rate_hz_control", run.soma_rate_hz.0)
        .set("soma_rate_hz_kir", run.soma_rate_hz.1)
        .set("simulate_s", run.seconds)
        .set("analyze_s", analyze_s);
    s
}

/// Run the built-in: simulate the cohort, analyse its recordings, summarise.
pub fn run(spec: &dendra_spec::Spec, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let p: Wright2025Params = spec.params()?;
    if options.duration_ms.is_some() {
        return Err(ExperimentError::Option(dendra_core::ParamError::new(
            "duration_ms",
            "no override: this experiment's length is set by params.sessions and params.trials_per_session",
            "an override",
        )));
    }
    let cohort = simulate(&p, options.seed, options.threads, options.progress)?;
    cohort
        .data
        .validate()
        .map_err(|e| ExperimentError::Data(e.to_string()))?;
    let started = Instant::now();
    let settings = StudyParams {
        seed: options.seed,
        ..p.analysis
    };
    let study = dendra_analysis::analyze(&cohort.data, &settings);
    let summary = summarize(&p, options.seed, &cohort, &study, started.elapsed().as_secs_f64());
    Ok(Outcome {
        summary,
        recorded: None,
        imaging: Some(Imaging {
            data: cohort.data,
            study,
            settings,
        }),
        learning: None,
    })
}
