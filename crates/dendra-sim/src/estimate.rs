//! The memory a run of a network will take, estimated from its description before anything is
//! allocated, so that a network too large for the machine is refused with the key that makes
//! it large instead of being killed by the kernel (or aborting on allocation) after minutes.
//!
//! The figures are deliberately on the high side of what the engine and the output tables
//! hold, measured on the engine (static synapses: 6 B each in the engine, 19 B each at the
//! peak of a run that also writes `synapses.parquet`; see bench/notes.md): synapses with
//! their build-time transients and final weights, neuron state and input rings (a ring slot
//! per step of the longest delay), recorded traces and weights as output rows. Spikes are not
//! counted: their number depends on the dynamics; a run can instead be given a limit on the
//! spikes it records ([`crate::Simulation::set_spike_limit`]), which the CLI sets from what the
//! estimate leaves of the memory.

use dendra_model::{NetworkDesc, PopulationKind, SourceParams};

/// Bytes per static synapse at a run's peak (engine, build transients, final weight for the
/// figures, streamed output).
const STATIC_SYNAPSE_BYTES: f64 = 20.0;
/// Extra bytes per synapse for each rule acting on its compartment (rule state, traces,
/// co-activity register entry).
const RULE_SYNAPSE_BYTES: f64 = 16.0;
/// Bytes per state variable of a neuron (state, kernel scratch, inputs, spare).
const STATE_BYTES: f64 = 32.0;
/// Bytes per neuron besides its state (refractory clock, masks, per-neuron rule state).
const NEURON_BYTES: f64 = 64.0;
/// Bytes per neuron of a source population (generator state).
const SOURCE_BYTES: f64 = 32.0;
/// Bytes per recorded sample of a trace or a weight, as an output row (value, time, names).
const SAMPLE_ROW_BYTES: f64 = 128.0;

/// One part of an estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Path of the network description's key that drives it (e.g. `projections[0].connectivity`,
    /// `projections[1].delay_ms`, `populations[2].size`, `recording.probes[0].interval_ms`).
    pub key: String,
    /// What it is, for a message (e.g. `about 1.0e8 synapses`).
    pub what: String,
    /// Bytes.
    pub bytes: f64,
}

/// The memory a run needs, by part.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryEstimate {
    /// Every part, in network order.
    pub parts: Vec<Part>,
}

impl MemoryEstimate {
    /// Total bytes.
    pub fn total_bytes(&self) -> f64 {
        self.parts.iter().map(|p| p.bytes).sum()
    }

    /// The largest part.
    pub fn largest(&self) -> Option<&Part> {
        self.parts.iter().max_by(|a, b| a.bytes.total_cmp(&b.bytes))
    }
}

/// Estimate the memory of running `net` for `duration_ms` (call it on a validated network).
pub fn estimate(net: &NetworkDesc, duration_ms: f64) -> MemoryEstimate {
    let dt = net.dt_ms;
    let mut parts = Vec::new();
    // Longest delay onto each population, in steps: its input ring holds one slot per step.
    let mut ring_steps = vec![(0.0f64, None::<usize>); net.populations.len()];
    for (k, p) in net.projections.iter().enumerate() {
        let longest = p.delay_max_ms.unwrap_or(p.delay_ms).max(p.delay_ms) / dt;
        if longest > ring_steps[p.target].0 {
            ring_steps[p.target] = (longest, Some(k));
        }
    }
    for (k, pop) in net.populations.iter().enumerate() {
        let n = f64::from(pop.size);
        match &pop.kind {
            PopulationKind::Neurons(t) => {
                let n_state = (t.n_compartments() + t.receptors.len()) as f64;
                parts.push(Part {
                    key: format!("populations[{k}].size"),
                    what: format!("the state of {} neurons", pop.size),
                    bytes: n * (n_state * STATE_BYTES + NEURON_BYTES),
                });
                let (steps, by) = ring_steps[k];
                // Slots are a power of two: up to twice the steps.
                let ring = n * t.receptors.len() as f64 * 4.0 * 2.0 * (steps + 2.0);
                parts.push(Part {
                    key: match by {
                        Some(p) => format!("projections[{p}].delay_ms"),
                        None => format!("populations[{k}].size"),
                    },
                    what: format!(
                        "the input rings of population `{}` ({:.3e} steps of delay)",
                        pop.name, steps
                    ),
                    bytes: ring,
                });
            }
            PopulationKind::Source(s) => {
                let trains = match s {
                    SourceParams::SpikeTrains { trains } => {
                        trains.iter().map(|t| t.len() as f64 * 8.0).sum::<f64>()
                    }
                    _ => 0.0,
                };
                parts.push(Part {
                    key: format!("populations[{k}].size"),
                    what: format!("{} sources", pop.size),
                    bytes: n * SOURCE_BYTES + trains,
                });
            }
        }
    }
    for (k, p) in net.projections.iter().enumerate() {
        let synapses = net.expected_synapses(k);
        let rules = net.populations[p.target].template().map_or(0, |t| {
            let comp = t.receptors.get(p.receptor).map_or(usize::MAX, |r| r.compartment);
            t.rules.iter().filter(|r| r.compartment == comp).count()
        });
        parts.push(Part {
            key: format!("projections[{k}].connectivity"),
            what: format!("about {synapses:.3e} synapses of projection `{}`", p.name),
            bytes: synapses * (STATIC_SYNAPSE_BYTES + rules as f64 * RULE_SYNAPSE_BYTES),
        });
    }
    for (k, probe) in net.recording.probes.iter().enumerate() {
        let samples = probe.neurons.len() as f64 * (duration_ms / probe.interval_ms).ceil();
        parts.push(Part {
            key: format!("recording.probes[{k}].interval_ms"),
            what: format!("{samples:.3e} recorded samples"),
            bytes: samples * SAMPLE_ROW_BYTES,
        });
    }
    for (k, wp) in net.recording.weights.iter().enumerate() {
        let synapses = if wp.synapses.is_empty() {
            net.expected_synapses(wp.projection)
        } else {
            wp.synapses.len() as f64
        };
        let samples = synapses * (duration_ms / wp.interval_ms).ceil();
        parts.push(Part {
            key: format!("recording.weights[{k}].interval_ms"),
            what: format!("{samples:.3e} recorded weights"),
            bytes: samples * (4.0 + SAMPLE_ROW_BYTES),
        });
    }
    MemoryEstimate { parts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dendra_model::{
        Connectivity, NeuronTemplate, Population, ProjectionDesc, ReceptorParams, SomaParams, WeightDist,
    };

    fn net(delay_ms: f64, k: u32) -> NetworkDesc {
        let lif = NeuronTemplate::point(
            "lif",
            SomaParams::default(),
            vec![ReceptorParams::current("r", 0, 2.0)],
        );
        let mut n = NetworkDesc {
            populations: vec![
                Population {
                    name: "in".into(),
                    size: 1000,
                    kind: PopulationKind::Source(SourceParams::Poisson { rate_hz: 5.0 }),
                },
                Population {
                    name: "n".into(),
                    size: 1000,
                    kind: PopulationKind::Neurons(std::sync::Arc::new(lif)),
                },
            ],
            ..NetworkDesc::default()
        };
        n.projections.push(ProjectionDesc::new(
            "p",
            0,
            1,
            0,
            Connectivity::FixedIndegree { k },
            WeightDist::Constant(1.0),
            delay_ms,
        ));
        n
    }

    #[test]
    fn the_largest_part_names_its_key() {
        let e = estimate(&net(1.0, 100), 100.0);
        assert_eq!(e.largest().unwrap().key, "projections[0].connectivity");
        assert!((e.total_bytes() - 1e5 * STATIC_SYNAPSE_BYTES).abs() < 0.2 * e.total_bytes());
        let e = estimate(&net(1e6, 1), 100.0);
        let big = e.largest().unwrap();
        assert_eq!(big.key, "projections[0].delay_ms");
        assert!(big.bytes > 1e10, "{big:?}");
    }
}
