//! What a run records.

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, positive};

/// A sampled signal of one neuron.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeSignal {
    /// Membrane potential of a compartment (mV; 0 = soma).
    Potential(usize),
    /// Current through a receptor (pA): `I` for current receptors, `g (E - V)` for conductances.
    ReceptorCurrent(usize),
    /// Conductance of a conductance-based receptor (nS).
    ReceptorConductance(usize),
    /// Current injected by a voltage clamp on a compartment (pA, averaged over each step; 0
    /// when not clamped).
    ClampCurrent(usize),
    /// Adaptation current `w` of an AdEx soma, or recovery `U` of a quadratic one (pA).
    Adaptation,
    /// The plateau gain (branch strength) of a compartment (1 without strength plasticity).
    BranchStrength(usize),
}

/// Sample `signal` of `neurons` of `population` every `interval_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeDesc {
    /// Population index (a neuron population).
    pub population: usize,
    /// Neuron indices.
    pub neurons: Vec<u32>,
    /// What to sample.
    pub signal: ProbeSignal,
    /// Sampling interval (ms, a whole number of steps).
    pub interval_ms: f64,
}

/// Sample the weights of a projection every `interval_ms`: all of them, or those between the
/// listed `(source, target)` pairs (as NEST's `weight_recorder` restricted to senders and
/// targets).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightProbeDesc {
    /// Projection index.
    pub projection: usize,
    /// Sampling interval (ms, a whole number of steps).
    pub interval_ms: f64,
    /// `(source, target)` pairs whose synapses are sampled (indices in the source and target
    /// populations); empty: every synapse of the projection. A pair must name at least one
    /// synapse when the network is built.
    pub synapses: Vec<(u32, u32)>,
}

impl WeightProbeDesc {
    /// Sample every synapse of `projection` every `interval_ms`.
    pub fn all(projection: usize, interval_ms: f64) -> Self {
        WeightProbeDesc {
            projection,
            interval_ms,
            synapses: Vec::new(),
        }
    }
}

/// Everything recorded during a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordingDesc {
    /// Populations whose spikes are recorded.
    pub spikes: Vec<usize>,
    /// Sampled signals.
    pub probes: Vec<ProbeDesc>,
    /// Sampled weights.
    pub weights: Vec<WeightProbeDesc>,
}

impl ProbeDesc {
    /// Check values against the population's size and template shape.
    pub fn validate(&self, size: u32, n_compartments: usize, n_receptors: usize) -> ParamResult<()> {
        positive("interval_ms", self.interval_ms)?;
        if let Some((k, &i)) = self.neurons.iter().enumerate().find(|&(_, &i)| i >= size) {
            return Err(ParamError::new(
                format!("neurons[{k}]"),
                format!("a neuron index below the population size {size}"),
                i,
            ));
        }
        let (index, bound, what) = match self.signal {
            ProbeSignal::Potential(c) | ProbeSignal::ClampCurrent(c) | ProbeSignal::BranchStrength(c) => {
                (c, n_compartments, "compartment")
            }
            ProbeSignal::ReceptorCurrent(r) | ProbeSignal::ReceptorConductance(r) => {
                (r, n_receptors, "receptor")
            }
            ProbeSignal::Adaptation => (0, 1, ""),
        };
        if index >= bound {
            return Err(ParamError::new(
                "signal",
                format!("a {what} index in 0..{bound}"),
                index,
            ));
        }
        Ok(())
    }
}
