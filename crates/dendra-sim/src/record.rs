//! Recorded data: spikes and sampled traces, as plain columns.

use dendra_model::ProbeSignal;

/// All recorded spikes, sorted by time, then population, then neuron.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpikeTable {
    /// Spike time (ms): the end of the step in which the threshold was crossed.
    pub t_ms: Vec<f64>,
    /// Population index.
    pub population: Vec<u32>,
    /// Neuron index within the population.
    pub neuron: Vec<u32>,
}

impl SpikeTable {
    /// Number of spikes.
    pub fn len(&self) -> usize {
        self.t_ms.len()
    }

    /// Whether no spike was recorded.
    pub fn is_empty(&self) -> bool {
        self.t_ms.is_empty()
    }

    /// Number of spikes of population `pop`.
    pub fn count(&self, pop: usize) -> usize {
        self.population.iter().filter(|&&p| p as usize == pop).count()
    }

    /// Spike times (ms) of one neuron.
    pub fn times_of(&self, pop: usize, neuron: u32) -> Vec<f64> {
        (0..self.len())
            .filter(|&k| self.population[k] as usize == pop && self.neuron[k] == neuron)
            .map(|k| self.t_ms[k])
            .collect()
    }
}

/// One sampled signal of one neuron.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Index of the probe in the recording description.
    pub probe: usize,
    /// Population index.
    pub population: usize,
    /// Neuron index within the population.
    pub neuron: u32,
    /// What was sampled.
    pub signal: ProbeSignal,
    /// Sampling interval (ms); sample `k` is the state at `k * interval_ms`.
    pub interval_ms: f64,
    /// The samples (mV, pA or nS by signal).
    pub values: Vec<f64>,
}

impl Trace {
    /// Time (ms) of sample `k`.
    pub fn time_ms(&self, k: usize) -> f64 {
        k as f64 * self.interval_ms
    }
}

/// A probe entry owned by one worker: one neuron, one signal.
#[derive(Debug, Clone)]
pub(crate) struct LocalProbe {
    pub probe: usize,
    pub population: usize,
    pub local: usize,
    pub neuron: u32,
    pub signal: ProbeSignal,
    pub every_steps: u64,
    pub interval_ms: f64,
    pub values: Vec<f64>,
}

/// Sampled weights of one projection: `values[k]` holds every synapse's weight at time
/// `k * interval_ms`, in the order of `source` / `target` (sorted by source, then target).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightTrace {
    /// Index of the weight probe in the recording description.
    pub probe: usize,
    /// Projection index.
    pub projection: usize,
    /// Sampling interval (ms).
    pub interval_ms: f64,
    /// Source of each synapse.
    pub source: Vec<u32>,
    /// Target of each synapse.
    pub target: Vec<u32>,
    /// One row of weights per sample.
    pub values: Vec<Vec<f32>>,
}

/// A weight probe owned by one worker: snapshots of its CSR's weights, concatenated.
#[derive(Debug, Clone)]
pub(crate) struct LocalWeightProbe {
    pub probe: usize,
    pub projection: usize,
    pub every_steps: u64,
    pub interval_ms: f64,
    /// The sampled synapses' positions in the worker's CSR (`None`: all of them).
    pub selected: Option<Vec<usize>>,
    pub samples: Vec<f32>,
}
