//! One simulated animal trained over all sessions, in closed loop.
//!
//! Trials follow each other without pause across sessions. In each trial the cue comes on at
//! `cue_onset_ms` for `response_ms`. The simulation advances in `CHUNK_MS` steps while the cue
//! is on; the press is the first time the motor population fires `press_spikes` spikes within
//! `press_window_ms`. A press inside the response window is rewarded `reward_delay_ms` later
//! with one unit of dopamine, which turns the eligibility of cue -> motor synapses into
//! potentiation: presses become more reliable and earlier as the animal learns. The cue goes
//! off `movement_ms` after the press (the cue sources are muted until the end of the response
//! window), so the movement-related motor burst is locked to the press. The movement
//! of a trial is the motor population's rate from `MOVE_BEFORE_MS` before to `MOVE_AFTER_MS`
//! after the press in `MOVE_BIN_MS` bins; its stereotypy is its correlation with the session's
//! mean movement.

use dendra_core::{Purpose, StreamKey};
use dendra_sim::{RunConfig, Simulation};
use rand::RngExt;

use super::circuit::{self, POP_MOTOR, POP_PYR, SpineProjection};
use super::layout::{self, Input, Layout, SpineSite};
use super::params::Wright2025Params;
use super::trains;
use crate::ExperimentError;

/// Closed-loop step while the cue is on (ms).
pub const CHUNK_MS: f64 = 5.0;
/// Movement window before the press (ms).
pub const MOVE_BEFORE_MS: f64 = 100.0;
/// Movement window after the press (ms).
pub const MOVE_AFTER_MS: f64 = 400.0;
/// Movement bin (ms).
pub const MOVE_BIN_MS: f64 = 20.0;
/// Integration step (ms).
pub const DT_MS: f64 = 0.5;

/// Who an animal is.
#[derive(Debug, Clone, PartialEq)]
pub struct Animal {
    /// Index in the cohort.
    pub index: u32,
    /// Name, e.g. `apical-03`.
    pub name: String,
    /// `apical` or `basal`: which dendrites are imaged.
    pub group: &'static str,
    /// Whether the imaged neuron expresses Kir.
    pub kir: bool,
    /// Seed of its streams.
    pub seed: u64,
}

/// One trial's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialRecord {
    /// Session (1-based).
    pub session: u32,
    /// Trial in the session (1-based).
    pub trial: u32,
    /// Cue onset (ms from the start of the run).
    pub cue_ms: f64,
    /// Press time (ms from the start of the run), if any.
    pub press_ms: Option<f64>,
    /// Whether it was rewarded.
    pub rewarded: bool,
    /// Correlation of the movement with the session mean (NaN without a press).
    pub movement_corr: f64,
}

/// One spine's weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpineRecord {
    /// Where it is and what drives it.
    pub site: SpineSite,
    /// Weight at the start.
    pub w_start: f64,
    /// Weight at the end.
    pub w_end: f64,
}

/// Everything one animal's run produced.
#[derive(Debug, Clone)]
pub struct AnimalRun {
    /// The animal.
    pub animal: Animal,
    /// Trials in order.
    pub trials: Vec<TrialRecord>,
    /// Spines of all four imaged branches.
    pub spines: Vec<SpineRecord>,
    /// Motor spikes `(t_ms, neuron)`.
    pub motor_spikes: Vec<(f64, u32)>,
    /// Spikes of the imaged neuron (ms).
    pub soma_spikes: Vec<f64>,
    /// Assembly trains (ms), indexed by source.
    pub assembly_trains: Vec<Vec<f64>>,
    /// Synaptic delay of spine inputs (ms).
    pub delay_ms: f64,
}

/// The seed of animal `index` in a run with `seed`.
pub fn animal_seed(seed: u64, index: u32) -> u64 {
    StreamKey::new(seed, Purpose::Task, 9, u64::from(index))
        .rng()
        .random()
}

fn weights(sim: &Simulation, projections: &[SpineProjection], layout: &Layout) -> Vec<f64> {
    let mut w = vec![f64::NAN; layout.spines.len()];
    for sp in projections {
        for row in sim.synapses(sp.proj) {
            let found = layout.spines.iter().position(|s| {
                s.compartment == sp.compartment
                    && match s.input {
                        Input::Motor(j) => sp.source == POP_MOTOR && j == row.source,
                        Input::Assembly(k) => sp.source != POP_MOTOR && k == row.source,
                    }
            });
            if let Some(i) = found {
                w[i] = f64::from(row.weight);
            }
        }
    }
    w
}

/// Two timed actions in time order (ties: the first given first).
fn sorted_events(mut e: [(f64, u8); 2]) -> [(f64, u8); 2] {
    e.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    e
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        f64::NAN
    }
}

/// Train one animal over all sessions; `tick(steps)` reports progress.
pub fn run(
    p: &Wright2025Params,
    animal: &Animal,
    tick: &(dyn Fn(u64) + Sync),
) -> Result<AnimalRun, ExperimentError> {
    let duration = p.duration_ms();
    let n_trials = p.sessions * p.trials_per_session;
    let windows: Vec<(f64, f64)> = (0..n_trials)
        .map(|k| {
            let a = f64::from(k) * p.trial_ms + p.cue_onset_ms;
            (a, a + p.response_ms)
        })
        .collect();
    let layout = layout::layout(
        animal.seed,
        &[
            circuit::BASAL[0],
            circuit::BASAL[1],
            circuit::APICAL[0],
            circuit::APICAL[1],
        ],
        &circuit::DISTAL,
        circuit::N_MOTOR,
        p.spine_layout,
        p.spine_density_per_um,
    );
    let cue = trains::cue(animal.seed, circuit::N_CUE, &windows, duration);
    let assembly_trains = trains::assemblies(animal.seed, layout.assembly_sources, duration);
    let (net, spine_projections) =
        circuit::network(p, &layout, cue, assembly_trains.clone(), animal.kir, DT_MS);
    let mut sim = Simulation::new(
        &net,
        &RunConfig {
            seed: animal.seed,
            threads: 1,
        },
    )?;
    let w_start = weights(&sim, &spine_projections, &layout);
    let steps = |ms: f64| (ms / DT_MS).round() as u64;
    let mut trials = Vec::with_capacity(n_trials as usize);
    let mut movements: Vec<Option<Vec<f64>>> = Vec::with_capacity(n_trials as usize);
    let bins = ((MOVE_BEFORE_MS + MOVE_AFTER_MS) / MOVE_BIN_MS).round() as usize;
    for k in 0..n_trials {
        let t0 = f64::from(k) * p.trial_ms;
        let (cue_on, cue_off) = windows[k as usize];
        let advance = |sim: &mut Simulation, to: f64| -> Result<(), ExperimentError> {
            let ms = to - sim.time_ms();
            if ms > 1e-9 {
                sim.run(ms)?;
                tick(steps(ms));
            }
            Ok(())
        };
        advance(&mut sim, cue_on)?;
        let mut recent: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
        let mut press = None;
        while sim.time_ms() < cue_off - 1e-9 {
            let from = sim.time_ms();
            advance(&mut sim, (from + CHUNK_MS).min(cue_off))?;
            for (t, pop, _) in sim.spikes_since(from) {
                if pop as usize == POP_MOTOR {
                    recent.push_back(t);
                }
            }
            let now = sim.time_ms();
            while recent.front().is_some_and(|&t| t < now - p.press_window_ms) {
                recent.pop_front();
            }
            if recent.len() as u32 >= p.press_spikes {
                press = Some(now);
                break;
            }
        }
        if let Some(tp) = press {
            let off = (tp + p.movement_ms).min(cue_off);
            let reward = tp + p.reward_delay_ms;
            for (t, what) in sorted_events([(off, 0u8), (reward, 1u8)]) {
                advance(&mut sim, t)?;
                if what == 0 {
                    sim.set_source_muted(circuit::POP_CUE, true)?;
                } else {
                    sim.release(0, 1.0)?;
                }
            }
            advance(&mut sim, cue_off)?;
            sim.set_source_muted(circuit::POP_CUE, false)?;
        }
        advance(&mut sim, t0 + p.trial_ms)?;
        let movement = press.map(|tp| {
            let mut m = vec![0.0; bins];
            for (t, pop, _) in sim.spikes_since(tp - MOVE_BEFORE_MS) {
                if pop as usize == POP_MOTOR && t < tp + MOVE_AFTER_MS {
                    let b = ((t - (tp - MOVE_BEFORE_MS)) / MOVE_BIN_MS) as usize;
                    m[b.min(bins - 1)] += 1.0;
                }
            }
            m
        });
        movements.push(movement);
        trials.push(TrialRecord {
            session: k / p.trials_per_session + 1,
            trial: k % p.trials_per_session + 1,
            cue_ms: cue_on,
            press_ms: press,
            rewarded: press.is_some(),
            movement_corr: f64::NAN,
        });
    }
    // Stereotypy: correlation of each movement with its session's mean movement.
    for s in 1..=p.sessions {
        let idx: Vec<usize> = (0..trials.len())
            .filter(|&i| trials[i].session == s && movements[i].is_some())
            .collect();
        if idx.len() < 2 {
            continue;
        }
        let mut mean = vec![0.0; bins];
        for &i in &idx {
            for (m, v) in mean.iter_mut().zip(movements[i].as_ref().into_iter().flatten()) {
                *m += v / idx.len() as f64;
            }
        }
        for &i in &idx {
            if let Some(m) = &movements[i] {
                trials[i].movement_corr = correlation(m, &mean);
            }
        }
    }
    let w_end = weights(&sim, &spine_projections, &layout);
    let spikes = sim.spikes();
    let mut motor_spikes = Vec::new();
    let mut soma_spikes = Vec::new();
    for i in 0..spikes.t_ms.len() {
        match spikes.population[i] as usize {
            POP_MOTOR => motor_spikes.push((spikes.t_ms[i], spikes.neuron[i])),
            POP_PYR => soma_spikes.push(spikes.t_ms[i]),
            _ => {}
        }
    }
    Ok(AnimalRun {
        animal: animal.clone(),
        trials,
        spines: layout
            .spines
            .iter()
            .enumerate()
            .map(|(i, &site)| SpineRecord {
                site,
                w_start: w_start[i],
                w_end: w_end[i],
            })
            .collect(),
        motor_spikes,
        soma_spikes,
        assembly_trains,
        delay_ms: 1.0,
    })
}
