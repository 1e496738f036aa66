//! Errors of the engine layer.

use dendra_core::ParamError;

/// Why a simulation could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The network description is invalid.
    #[error("invalid network: {0}")]
    Param(#[from] ParamError),
    /// The run configuration is invalid.
    #[error("invalid run configuration: {0}")]
    Config(String),
    /// The network is too large for dendra's index types.
    #[error("network too large: {0}")]
    TooLarge(String),
    /// A state value became infinite or NaN: the model's parameters make it diverge.
    #[error(
        "the simulation diverged: {what} of neuron {neuron} of population `{population}` is \
         {value} at t = {t_ms} ms (or up to the previous check before it); the model's \
         parameters (weights, conductances, adaptation) drive it out of range"
    )]
    Diverged {
        /// Population name.
        population: String,
        /// Neuron index in the population.
        neuron: u32,
        /// The state: a compartment's potential, a receptor's current or conductance, or the
        /// adaptation current.
        what: String,
        /// The value found (inf, -inf or NaN).
        value: f64,
        /// Time at which it was found (ms).
        t_ms: f64,
    },
    /// The recorded spikes outgrew the memory left for them (`recording.spikes`).
    #[error(
        "key `recording.spikes`: the recorded spikes passed the {limit} that fit in the memory left for them, at {t_ms} ms; record fewer populations, run for less time, or allow more memory (--max-memory-gib)"
    )]
    TooManySpikes {
        /// The most spikes the run could keep.
        limit: u64,
        /// Time at which the limit was passed (ms).
        t_ms: f64,
    },
}

/// Result of engine operations.
pub type SimResult<T> = Result<T, SimError>;
