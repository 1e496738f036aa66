//! # dendra-experiments
//!
//! Built-in experiments, each runnable by name (`dendra run NAME`). Every built-in documents the
//! keys of the summary it returns; keys are stable across versions.
//!
//! | name | what it is |
//! |---|---|
//! | `cuba` | Vogels & Abbott (2005) CUBA network: 4000 LIF neurons, 1 s ([`cuba`]) |
//! | `song2000` | Song, Miller & Abbott (2000): bimodal weights from additive STDP, 100 s ([`song2000`]) |
//! | `izhikevich2007` | Izhikevich (2007): the distal reward problem, STDP x dopamine, in the paper's network of Izhikevich neurons ([`izhikevich2007`]) |
//! | `multirule` | Benchmark: 100 neurons, basal STDP + apical reward-gated + distal co-activity, 10 s ([`multirule`]) |
//! | `urbanczik2014` | Urbanczik & Senn (2014): a dendrite learns to predict somatic spiking ([`urbanczik2014`]) |
//! | `digits`, `mnist`, `fmnist`, `continual` | NeuroAI benchmarks: multi-rule units vs uniform, point, feedback alignment and backprop ([`learning`]) |
//! | `wright2025` | Wright, Hedrick & Komiyama (2025) in silico: the imaging study and its analysis ([`wright2025`]) |
#![warn(missing_docs)]

pub mod cuba;
pub mod izhikevich2007;
pub mod learning;
pub mod multirule;
pub mod network;
pub mod song2000;
pub mod summary;
pub mod urbanczik2014;
pub mod wright2025;

pub use summary::Summary;

use dendra_model::NetworkDesc;
use dendra_sim::{SimError, Simulation};
use dendra_spec::{Spec, SpecError};

/// The engine error, re-exported for callers that match on its kinds.
pub use dendra_sim::SimError as SimErrorKind;

/// Options common to all built-ins.
#[derive(Clone, Copy)]
pub struct RunOptions<'a> {
    /// Seed of every random stream.
    pub seed: u64,
    /// Worker threads (results do not depend on it).
    pub threads: usize,
    /// Override of the built-in's simulated duration (ms).
    pub duration_ms: Option<f64>,
    /// Called with `(done, total)` steps during the run.
    pub progress: &'a (dyn Fn(u64, u64) + Sync),
    /// The most spikes a network run may record before it stops with an error (`None`: no
    /// limit); [`spike_limit`] computes it from the memory available.
    pub spike_limit: Option<u64>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            seed: 1,
            threads: 1,
            duration_ms: None,
            progress: &|_, _| {},
            spike_limit: None,
        }
    }
}

/// Why a built-in could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// No built-in has this name.
    #[error("no built-in experiment named `{name}`; known: {known}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// The engine failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// An option is out of range for this experiment.
    #[error("invalid option: {0}")]
    Option(#[from] dendra_core::ParamError),
    /// The spec is invalid.
    #[error("{0}")]
    Spec(#[from] SpecError),
    /// Input data (a data set) is missing or malformed.
    #[error("{0}")]
    Input(String),
    /// Simulated data failed its own validation (a bug: simulated recordings must be valid).
    #[error("simulated data are invalid: {0}")]
    Data(String),
}

impl ExperimentError {
    /// Whether the error is the user's input (exit code 2) rather than a failed run (1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            ExperimentError::Unknown { .. }
            | ExperimentError::Option(_)
            | ExperimentError::Spec(_)
            | ExperimentError::Input(_) => true,
            // A model that diverges is the spec's doing (its parameters), not a failed run.
            ExperimentError::Sim(e) => matches!(
                e,
                SimError::Param(_) | SimError::Diverged { .. } | SimError::TooManySpikes { .. }
            ),
            ExperimentError::Data(_) => false,
        }
    }
}

/// What a run produced: its summary and, for runs of one network, the network and the
/// simulation (to write spikes, traces, weights and synapses).
pub struct Outcome {
    /// Key results under stable names.
    pub summary: Summary,
    /// The network and its simulated state at the end, if the run had one network.
    pub recorded: Option<Recorded>,
    /// Imaging recordings and their analysis, for imaging experiments.
    pub imaging: Option<Imaging>,
    /// Learning curves, for learning benchmarks.
    pub learning: Option<dendra_io::learning_io::LearningCurves>,
}

/// Imaging recordings (simulated) and what the analysis found in them.
pub struct Imaging {
    /// The recordings, in the format `dendra analyze` reads.
    pub data: dendra_analysis::ImagingData,
    /// The analysis.
    pub study: dendra_analysis::Study,
    /// The settings it ran with.
    pub settings: dendra_analysis::StudyParams,
}

/// A network with its simulation.
pub struct Recorded {
    /// The network description.
    pub network: NetworkDesc,
    /// The simulation at the end of the run.
    pub simulation: Simulation,
}

impl Outcome {
    /// A summary with the network and simulation it came from.
    pub fn recorded(summary: Summary, network: NetworkDesc, simulation: Simulation) -> Self {
        Outcome {
            summary,
            recorded: Some(Recorded { network, simulation }),
            imaging: None,
            learning: None,
        }
    }
}

/// `[params]` of built-ins that take none.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl dendra_spec::BuiltinParams for NoParams {
    fn validate(&self) -> dendra_core::ParamResult<()> {
        Ok(())
    }
}

/// Check an overriding duration: finite, > 0 and at most `max_ms`.
pub fn check_duration(duration_ms: f64, max_ms: f64) -> Result<f64, ExperimentError> {
    if duration_ms.is_finite() && duration_ms > 0.0 && duration_ms <= max_ms {
        Ok(duration_ms)
    } else {
        Err(ExperimentError::Option(dendra_core::ParamError::new(
            "duration_ms",
            format!("a duration in (0, {max_ms}] ms for this experiment"),
            duration_ms,
        )))
    }
}

/// A built-in procedure: runs a spec whose `experiment.builtin` names it.
pub type Procedure = fn(&Spec, &RunOptions) -> Result<Outcome, ExperimentError>;

/// A built-in experiment.
pub struct Builtin {
    /// Its name.
    pub name: &'static str,
    /// One line saying what it does.
    pub description: &'static str,
    /// Its spec (what `dendra show NAME` prints; the same file is under `examples/`).
    pub spec: &'static str,
    /// Run it on a spec of its kind (`experiment.builtin = NAME`); `None` for built-ins that
    /// are plain network specs.
    pub run: Option<Procedure>,
    /// Check a spec's `[params]` for this built-in without running.
    pub check: fn(&Spec) -> Result<(), SpecError>,
}

/// Check that `[params]` reads as `P` and its values are valid.
fn check_params<P: dendra_spec::BuiltinParams>(spec: &Spec) -> Result<(), SpecError> {
    spec.params::<P>().map(|_| ())
}

impl Builtin {
    /// Parse the embedded spec.
    pub fn spec(&self) -> Result<Spec, SpecError> {
        Spec::parse(&format!("<builtin {}>", self.name), self.spec)
    }
}

/// Build the simulation of `net` with the seed and threads of `options`.
pub fn simulation(
    net: &dendra_model::NetworkDesc,
    options: &RunOptions,
) -> Result<dendra_sim::Simulation, ExperimentError> {
    let config = dendra_sim::RunConfig {
        seed: options.seed,
        threads: options.threads,
    };
    let mut sim = dendra_sim::Simulation::new(net, &config)?;
    if let Some(limit) = options.spike_limit {
        sim.set_spike_limit(limit);
    }
    Ok(sim)
}

/// All built-ins, in the order `dendra list` prints them.
pub fn builtins() -> &'static [Builtin] {
    &[
        Builtin {
            name: "cuba",
            description: "Vogels & Abbott 2005 CUBA benchmark: 4000 LIF neurons, 80/20 E/I, p = 0.02, 1 s",
            spec: include_str!("../../../examples/cuba.toml"),
            run: None,
            check: check_params::<NoParams>,
        },
        Builtin {
            name: "song2000",
            description: "Song, Miller & Abbott 2000: 1000 Poisson inputs, additive STDP, bimodal weights, 100 s",
            spec: include_str!("../../../examples/song2000.toml"),
            run: Some(song2000::run),
            check: check_params::<song2000::Song2000Params>,
        },
        Builtin {
            name: "izhikevich2007",
            description: "Izhikevich 2007 distal reward, 1000 Izhikevich neurons, 20 of the paper's 60 min",
            spec: include_str!("../../../examples/izhikevich2007.toml"),
            run: Some(izhikevich2007::run),
            check: check_params::<izhikevich2007::Izhikevich2007Params>,
        },
        Builtin {
            name: "multirule",
            description: "Benchmark: 100 neurons x (basal STDP, apical reward-gated, distal co-activity), 100 syn each, 10 s",
            spec: include_str!("../../../examples/multirule.toml"),
            run: Some(multirule::run),
            check: check_params::<NoParams>,
        },
        Builtin {
            name: "urbanczik2014",
            description: "Urbanczik & Senn 2014: dendritic prediction learning of a teacher-nudged soma, 100 x 200 ms",
            spec: include_str!("../../../examples/urbanczik2014.toml"),
            run: Some(urbanczik2014::run),
            check: check_params::<urbanczik2014::Urbanczik2014Params>,
        },
        Builtin {
            name: "wright2025",
            description: "Wright, Hedrick & Komiyama 2025 in silico: 34 mice learn a lever press; spine imaging; which rule where?",
            spec: include_str!("../../../examples/wright2025.toml"),
            run: Some(wright2025::run),
            check: check_params::<wright2025::Wright2025Params>,
        },
        Builtin {
            name: "digits",
            description: "NeuroAI: multi-rule pyramidal units vs uniform, point, feedback alignment, backprop on the UCI digits, 5 seeds, ablations",
            spec: include_str!("../../../examples/digits.toml"),
            run: Some(learning::run),
            check: check_params::<learning::LearningParams>,
        },
        Builtin {
            name: "mnist",
            description: "NeuroAI: the digits comparison on MNIST (idx files from DENDRA_DATA; scripts/fetch_mnist.py builds them)",
            spec: include_str!("../../../examples/mnist.toml"),
            run: Some(learning::run),
            check: check_params::<learning::LearningParams>,
        },
        Builtin {
            name: "fmnist",
            description: "NeuroAI: the digits comparison on Fashion-MNIST (idx files from DENDRA_DATA)",
            spec: include_str!("../../../examples/fmnist.toml"),
            run: Some(learning::run),
            check: check_params::<learning::LearningParams>,
        },
        Builtin {
            name: "continual",
            description: "NeuroAI: 10 permuted-digits tasks in sequence, task as distal context; accuracy on all tasks after the last",
            spec: include_str!("../../../examples/continual.toml"),
            run: Some(learning::run),
            check: check_params::<learning::LearningParams>,
        },
        Builtin {
            name: "compartments",
            description: "A tour of the spec format: two-dendrite neurons with per-compartment rules, bAP block, ablation",
            spec: include_str!("../../../examples/compartments.toml"),
            run: None,
            check: check_params::<NoParams>,
        },
    ]
}

/// The built-in named `name`.
pub fn builtin(name: &str) -> Result<&'static Builtin, ExperimentError> {
    builtins()
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| ExperimentError::Unknown {
            name: name.to_string(),
            known: builtins().iter().map(|b| b.name).collect::<Vec<_>>().join(", "),
        })
}

/// Run a spec: its network for its duration, or its built-in procedure. `options.duration_ms`
/// overrides the spec's duration.
pub fn run_spec(spec: &Spec, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let (plan, procedure) = prepare(spec)?;
    match procedure {
        None => {
            if plan.sessions.is_some() && options.duration_ms.is_some() {
                return Err(ExperimentError::Option(dendra_core::ParamError::new(
                    "duration_ms",
                    "no override for a run given in sessions (change experiment.sessions)",
                    "an override",
                )));
            }
            let duration_ms = options.duration_ms.or(plan.duration_ms).unwrap_or(0.0);
            check_duration(duration_ms, 1e12)?;
            network::run(plan.network, duration_ms, plan.sessions, options).map_err(|e| match e {
                // Stimuli are renumbered when sessions repeat them; everything else maps back.
                ExperimentError::Sim(SimError::Param(p)) if !p.key.starts_with("stimuli") => {
                    ExperimentError::Spec(spec.locate(&p))
                }
                other => other,
            })
        }
        Some(run) => {
            let options = RunOptions {
                duration_ms: options.duration_ms.or(plan.duration_ms),
                ..*options
            };
            run(spec, &options)
        }
    }
}

/// Check a spec without running it: names, values, and a built-in's `[params]`.
pub fn check_spec(spec: &Spec) -> Result<dendra_spec::Plan, ExperimentError> {
    prepare(spec).map(|(plan, _)| plan)
}

/// The memory a plain network spec's run will take (`None` for built-ins with their own
/// procedure, whose `[params]` bound their size), for `duration_ms` (default: the plan's).
pub fn memory_estimate(
    plan: &dendra_spec::Plan,
    duration_ms: Option<f64>,
) -> Option<dendra_sim::estimate::MemoryEstimate> {
    if plan.builtin.is_some() {
        return None;
    }
    let duration_ms = duration_ms.or(plan.duration_ms).unwrap_or(0.0);
    Some(dendra_sim::estimate::estimate(&plan.network, duration_ms))
}

/// Refuse a run whose estimated memory exceeds `limit_bytes`, with a located error at the key
/// that drives the largest part of it.
pub fn check_memory(
    spec: &Spec,
    estimate: &dendra_sim::estimate::MemoryEstimate,
    limit_bytes: f64,
) -> Result<(), ExperimentError> {
    let total = estimate.total_bytes();
    if total <= limit_bytes {
        return Ok(());
    }
    let gib = |b: f64| b / f64::from(1u32 << 30);
    let Some(part) = estimate.largest() else {
        return Ok(());
    };
    Err(ExperimentError::Spec(spec.locate(&dendra_core::ParamError::new(
        part.key.clone(),
        format!(
            "a network whose run fits in {:.2} GiB (the memory available; --max-memory-gib sets \
             another limit)",
            gib(limit_bytes)
        ),
        format!(
            "an estimated {:.2} GiB, {:.2} GiB of them for {}",
            gib(total),
            gib(part.bytes),
            part.what
        ),
    ))))
}

/// Bytes a recorded spike takes at the peak of a run that writes it: the engine's record, the
/// sorted table and the output rows with their population name (measured on the engine's
/// types: 16 + 16 + 16 + 8 B, plus about 60 B of output row and 20 B of Arrow column).
pub const RECORDED_SPIKE_BYTES: f64 = 160.0;

/// The most spikes a run may record in `limit_bytes` of memory, of which its network takes
/// what `estimate` says (at least 10^6, so that a small limit still records something).
pub fn spike_limit(estimate: &dendra_sim::estimate::MemoryEstimate, limit_bytes: f64) -> u64 {
    let left = (limit_bytes - estimate.total_bytes()).max(0.0);
    ((left / RECORDED_SPIKE_BYTES) as u64).max(1_000_000)
}

/// Plan a spec and, when it names a built-in procedure, find it and check its `[params]`.
fn prepare(spec: &Spec) -> Result<(dendra_spec::Plan, Option<Procedure>), ExperimentError> {
    let plan = spec.plan()?;
    let Some(name) = &plan.builtin else {
        return Ok((plan, None));
    };
    let b = builtin(name).map_err(|_| {
        let known: Vec<&str> = builtins()
            .iter()
            .filter(|b| b.run.is_some())
            .map(|b| b.name)
            .collect();
        ExperimentError::Spec(spec.source().unknown_name(
            "experiment.builtin",
            "a built-in procedure",
            name,
            &known,
        ))
    })?;
    let Some(run) = b.run else {
        return Err(ExperimentError::Spec(spec.source().error(
            "experiment.builtin",
            "a built-in with its own procedure (this one is a plain network spec: copy it with `dendra show`)",
            format!("`{name}`"),
        )));
    };
    (b.check)(spec)?;
    Ok((plan, Some(run)))
}

/// Run a built-in by name on its embedded spec.
pub fn run_builtin(name: &str, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let spec = builtin(name)?.spec()?;
    run_spec(&spec, options)
}
