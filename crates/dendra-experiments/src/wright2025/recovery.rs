//! Model recovery: does the analysis name the rule each preset put on each compartment?
//!
//! For every preset and seed, a cohort is simulated and analysed; the governing signal the
//! analysis names per compartment is compared with the preset's truth ([`super::truth`]). The
//! confusion table counts, per preset and compartment, how often each signal was named.

use std::collections::BTreeMap;

use dendra_analysis::StudyParams;
use rayon::prelude::*;

use super::params::{Preset, Wright2025Params};
use super::{simulate_in_pool, truth};
use crate::ExperimentError;

/// One preset, seed and compartment.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryRow {
    /// Preset.
    pub preset: Preset,
    /// Seed.
    pub seed: u64,
    /// `apical` or `basal`.
    pub compartment: &'static str,
    /// What the preset put there.
    pub truth: &'static str,
    /// What the analysis named.
    pub named: String,
}

/// Run every preset with every seed (cohorts of `base`'s sizes) on `threads` threads.
pub fn recovery(
    base: &Wright2025Params,
    presets: &[Preset],
    seeds: &[u64],
    threads: usize,
) -> Result<Vec<RecoveryRow>, ExperimentError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| ExperimentError::Sim(dendra_sim::SimError::Config(format!("thread pool: {e}"))))?;
    let jobs: Vec<(Preset, u64)> = presets
        .iter()
        .flat_map(|&p| seeds.iter().map(move |&s| (p, s)))
        .collect();
    let rows = pool.install(|| {
        jobs.par_iter()
            .map(|&(preset, seed)| {
                let p = Wright2025Params {
                    preset,
                    ..base.clone()
                };
                let cohort = simulate_in_pool(&p, seed, &|_, _| {})?;
                let study = dendra_analysis::analyze(&cohort.data, &StudyParams { seed, ..p.analysis });
                Ok(["apical", "basal"]
                    .into_iter()
                    .map(|c| RecoveryRow {
                        preset,
                        seed,
                        compartment: c,
                        truth: truth(&p, c),
                        named: study
                            .compartments
                            .iter()
                            .find(|r| r.compartment == c)
                            .map_or_else(|| "none".to_string(), |r| r.governing.clone()),
                    })
                    .collect::<Vec<_>>())
            })
            .collect::<Result<Vec<_>, ExperimentError>>()
    })?;
    Ok(rows.into_iter().flatten().collect())
}

/// Fraction of rows where the named signal is the truth.
pub fn accuracy(rows: &[RecoveryRow]) -> f64 {
    rows.iter().filter(|r| r.named == r.truth).count() as f64 / rows.len().max(1) as f64
}

/// The confusion table as Markdown: one line per preset and compartment, one column per signal.
pub fn confusion_markdown(rows: &[RecoveryRow]) -> String {
    let signals = ["local", "bap", "both", "other", "none", "undetermined"];
    let mut counts: BTreeMap<(&str, &str, &str), [u32; 6]> = BTreeMap::new();
    for r in rows {
        let e = counts
            .entry((r.preset.name(), r.compartment, r.truth))
            .or_default();
        if let Some(k) = signals.iter().position(|s| *s == r.named) {
            e[k] += 1;
        }
    }
    let mut out = String::from(
        "| preset | compartment | truth | local | bap | both | other | none | undetermined | right |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for ((preset, c, truth), n) in counts {
        let total: u32 = n.iter().sum();
        let right = signals.iter().position(|s| *s == truth).map_or(0, |k| n[k]);
        out.push_str(&format!(
            "| {preset} | {c} | {truth} | {} | {} | {} | {} | {} | {} | {right}/{total} |\n",
            n[0], n[1], n[2], n[3], n[4], n[5]
        ));
    }
    out
}
