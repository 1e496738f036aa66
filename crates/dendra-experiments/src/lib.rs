//! # dendra-experiments
//!
//! Built-in experiments, each runnable by name (`dendra run NAME`). Every built-in documents the
//! keys of the summary it returns; keys are stable across versions.
//!
//! | name | what it is |
//! |---|---|
//! | `cuba` | Vogels & Abbott (2005) CUBA network: 4000 LIF neurons, 1 s ([`cuba`]) |
//! | `song2000` | Song, Miller & Abbott (2000): bimodal weights from additive STDP, 100 s ([`song2000`]) |
//! | `izhikevich2007` | Izhikevich (2007): the distal reward problem, STDP x dopamine; not yet robust ([`izhikevich2007`]) |
//! | `multirule` | Benchmark: 100 neurons, basal STDP + apical reward-gated + distal co-activity, 10 s ([`multirule`]) |
//! | `urbanczik2014` | Urbanczik & Senn (2014): a dendrite learns to predict somatic spiking ([`urbanczik2014`]) |
#![warn(missing_docs)]

pub mod cuba;
pub mod izhikevich2007;
pub mod multirule;
pub mod song2000;
pub mod summary;
pub mod urbanczik2014;

pub use summary::Summary;

use dendra_sim::SimError;

/// The engine error, re-exported for callers that match on its kinds.
pub use dendra_sim::SimError as SimErrorKind;

/// Options common to all built-ins.
pub struct RunOptions<'a> {
    /// Seed of every random stream.
    pub seed: u64,
    /// Worker threads (results do not depend on it).
    pub threads: usize,
    /// Override of the built-in's simulated duration (ms).
    pub duration_ms: Option<f64>,
    /// Called with `(done, total)` steps during the run.
    pub progress: &'a (dyn Fn(u64, u64) + Sync),
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            seed: 1,
            threads: 1,
            duration_ms: None,
            progress: &|_, _| {},
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

/// A built-in experiment.
pub struct Builtin {
    /// Its name.
    pub name: &'static str,
    /// One line saying what it does.
    pub description: &'static str,
    /// Run it.
    pub run: fn(&RunOptions) -> Result<Summary, ExperimentError>,
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
    Ok(dendra_sim::Simulation::new(net, &config)?)
}

/// All built-ins, in the order `dendra list` prints them.
pub fn builtins() -> &'static [Builtin] {
    &[
        Builtin {
            name: "cuba",
            description: "Vogels & Abbott 2005 CUBA benchmark: 4000 LIF neurons, 80/20 E/I, p = 0.02, 1 s",
            run: cuba::run,
        },
        Builtin {
            name: "song2000",
            description: "Song, Miller & Abbott 2000: 1000 Poisson inputs, additive STDP, bimodal weights, 100 s",
            run: song2000::run,
        },
        Builtin {
            name: "izhikevich2007",
            description: "Izhikevich 2007 distal reward (work in progress: not yet robust across seeds), 1000 LIF, 1 h",
            run: izhikevich2007::run,
        },
        Builtin {
            name: "multirule",
            description: "Benchmark: 100 neurons x (basal STDP, apical reward-gated, distal co-activity), 100 syn each, 10 s",
            run: multirule::run,
        },
        Builtin {
            name: "urbanczik2014",
            description: "Urbanczik & Senn 2014: dendritic prediction learning of a teacher-nudged soma, 100 x 200 ms",
            run: urbanczik2014::run,
        },
    ]
}

/// Run a built-in by name.
pub fn run_builtin(name: &str, options: &RunOptions) -> Result<Summary, ExperimentError> {
    let b = builtins()
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| ExperimentError::Unknown {
            name: name.to_string(),
            known: builtins().iter().map(|b| b.name).collect::<Vec<_>>().join(", "),
        })?;
    (b.run)(options)
}
