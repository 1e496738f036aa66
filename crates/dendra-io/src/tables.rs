//! The recorded data of a run as plain column tables, the shape in which they are written to
//! Parquet and read back for figures and reports.

use dendra_model::{NetworkDesc, ProbeSignal};
use std::collections::{HashMap, HashSet};
use std::path::Path;

use dendra_sim::Simulation;

use crate::error::IoResult;
use crate::synapse_table::{FinalWeights, Names, stream_synapses};

/// Spikes: one row per spike, sorted by time, then population, then neuron.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpikeRows {
    /// Time (ms).
    pub t_ms: Vec<f64>,
    /// Neuron index within its population.
    pub neuron: Vec<u32>,
    /// Population name.
    pub population: Vec<String>,
}

/// Sampled signals in long format: one row per sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceRows {
    /// Time (ms).
    pub t_ms: Vec<f64>,
    /// Population name.
    pub population: Vec<String>,
    /// Neuron index within its population.
    pub neuron: Vec<u32>,
    /// Signal: `potential_mv`, `receptor_current_pa`, `receptor_conductance_ns`,
    /// `clamp_current_pa`, `adaptation_pa` or `branch_strength`.
    pub signal: Vec<String>,
    /// Compartment name (the receptor's compartment for receptor signals).
    pub compartment: Vec<String>,
    /// Receptor name for receptor signals, empty otherwise.
    pub receptor: Vec<String>,
    /// The value, in the unit the signal name carries.
    pub value: Vec<f64>,
}

/// Sampled weights in long format: one row per synapse and sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeightRows {
    /// Time (ms).
    pub t_ms: Vec<f64>,
    /// Synapse id (as in the synapse table).
    pub synapse: Vec<u64>,
    /// Projection name.
    pub projection: Vec<String>,
    /// Compartment name.
    pub compartment: Vec<String>,
    /// Position along the compartment (µm); NaN where the compartment has no length.
    pub position_um: Vec<f64>,
    /// Weight (pA or nS, the receptor's unit).
    pub weight: Vec<f64>,
    /// Spine size (arbitrary units) where the synapse has structural plasticity; NaN otherwise.
    pub spine_size: Vec<f64>,
}

/// Every synapse at the end of the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynapseRows {
    /// Synapse id: position in this table.
    pub synapse: Vec<u64>,
    /// Projection name.
    pub projection: Vec<String>,
    /// Source population.
    pub source_population: Vec<String>,
    /// Source index within it.
    pub source: Vec<u32>,
    /// Target population.
    pub target_population: Vec<String>,
    /// Target index within it.
    pub target: Vec<u32>,
    /// Compartment name.
    pub compartment: Vec<String>,
    /// Receptor name.
    pub receptor: Vec<String>,
    /// Position along the compartment (µm); NaN where the compartment has no length.
    pub position_um: Vec<f64>,
    /// Final weight.
    pub weight: Vec<f64>,
    /// Delay (ms).
    pub delay_ms: Vec<f64>,
    /// Whether the synapse still exists (structural plasticity may prune it).
    pub alive: Vec<bool>,
    /// Final spine size; NaN without structural plasticity.
    pub spine_size: Vec<f64>,
}

/// Everything a run recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tables {
    /// Spikes of the recorded populations.
    pub spikes: SpikeRows,
    /// Sampled signals (empty when no probe was set).
    pub traces: TraceRows,
    /// Sampled weights (empty when no weight probe was set).
    pub weights: WeightRows,
    /// Each projection's final weights (alive synapses), for the figures; the synapses
    /// themselves go to `synapses.parquet` as they are collected.
    pub final_weights: Vec<FinalWeights>,
    /// Size of every population, by name, in network order.
    pub populations: Vec<(String, u32)>,
    /// Simulated time (ms).
    pub duration_ms: f64,
}

/// The name and unit of a probe signal, and the compartment and receptor it refers to.
fn signal_names(net: &NetworkDesc, population: usize, signal: ProbeSignal) -> (String, String, String) {
    let Some(t) = net.populations[population].template() else {
        return (String::new(), String::new(), String::new());
    };
    let comp = |c: usize| t.compartment_name(c).to_string();
    let rec = |r: usize| {
        let rp = &t.receptors[r];
        (comp(rp.compartment), rp.name.clone())
    };
    match signal {
        ProbeSignal::Potential(c) => ("potential_mv".into(), comp(c), String::new()),
        ProbeSignal::ClampCurrent(c) => ("clamp_current_pa".into(), comp(c), String::new()),
        ProbeSignal::BranchStrength(c) => ("branch_strength".into(), comp(c), String::new()),
        ProbeSignal::Adaptation => ("adaptation_pa".into(), comp(0), String::new()),
        ProbeSignal::ReceptorCurrent(r) => {
            let (c, n) = rec(r);
            ("receptor_current_pa".into(), c, n)
        }
        ProbeSignal::ReceptorConductance(r) => {
            let (c, n) = rec(r);
            ("receptor_conductance_ns".into(), c, n)
        }
    }
}

impl Tables {
    /// Gather what `sim` (built from `net`) recorded so far, and stream its synapses into
    /// `synapses_to` (`synapses.parquet`, when given) in chunks: the synapses are never all in
    /// memory, only each projection's final weights (for the figures).
    pub fn collect(sim: &Simulation, net: &NetworkDesc, synapses_to: Option<&Path>) -> IoResult<Tables> {
        let name = |p: usize| net.populations[p].name.clone();
        let mut spikes = SpikeRows::default();
        let table = sim.spikes();
        let mut order: Vec<usize> = (0..table.len()).collect();
        order.sort_by(|&a, &b| {
            table.t_ms[a]
                .total_cmp(&table.t_ms[b])
                .then(table.population[a].cmp(&table.population[b]))
                .then(table.neuron[a].cmp(&table.neuron[b]))
        });
        for k in order {
            spikes.t_ms.push(table.t_ms[k]);
            spikes.neuron.push(table.neuron[k]);
            spikes.population.push(name(table.population[k] as usize));
        }

        let mut traces = TraceRows::default();
        for tr in sim.traces() {
            let (signal, compartment, receptor) = signal_names(net, tr.population, tr.signal);
            let pop = name(tr.population);
            for (k, &v) in tr.values.iter().enumerate() {
                traces.t_ms.push(tr.time_ms(k));
                traces.population.push(pop.clone());
                traces.neuron.push(tr.neuron);
                traces.signal.push(signal.clone());
                traces.compartment.push(compartment.clone());
                traces.receptor.push(receptor.clone());
                traces.value.push(v);
            }
        }

        // Every recorded synapse's table id and position, found while the synapses stream.
        let traces_w = sim.weight_traces();
        let recorded: HashSet<(usize, u32, u32)> = traces_w
            .iter()
            .flat_map(|wt| {
                wt.source
                    .iter()
                    .zip(&wt.target)
                    .map(move |(&s, &t)| (wt.projection, s, t))
            })
            .collect();
        let (final_weights, ids) = stream_synapses(sim, net, synapses_to, &recorded)?;

        let mut weights = WeightRows::default();
        for wt in &traces_w {
            let proj = &net.projections[wt.projection];
            let compartment = Names::of(net, wt.projection).compartment;
            let spine = net.populations[proj.target].template().and_then(|t| {
                let r = &t.receptors[proj.receptor];
                t.rules
                    .iter()
                    .find(|cr| cr.applies_to(proj.receptor, r.compartment) && cr.structural.is_some())
                    .and_then(|cr| cr.structural)
                    .map(|s| s.spine)
            });
            // The i-th recorded synapse of a pair with several is the pair's i-th in the table.
            let mut seen: HashMap<(u32, u32), usize> = HashMap::new();
            let place: Vec<(u64, f64)> = wt
                .source
                .iter()
                .zip(&wt.target)
                .map(|(&s, &t)| {
                    let n = seen.entry((s, t)).or_default();
                    *n += 1;
                    ids.get(&(wt.projection, s, t))
                        .and_then(|v| v.get(*n - 1))
                        .copied()
                        .unwrap_or((u64::MAX, f64::NAN))
                })
                .collect();
            for (k, sample) in wt.values.iter().enumerate() {
                let t_ms = k as f64 * wt.interval_ms;
                for (&w, &(id, position)) in sample.iter().zip(&place) {
                    weights.t_ms.push(t_ms);
                    weights.synapse.push(id);
                    weights.projection.push(proj.name.clone());
                    weights.compartment.push(compartment.clone());
                    weights.position_um.push(position);
                    weights.weight.push(f64::from(w));
                    weights
                        .spine_size
                        .push(spine.map_or(f64::NAN, |s| s.size(f64::from(w))));
                }
            }
        }

        Ok(Tables {
            spikes,
            traces,
            weights,
            final_weights,
            populations: net.populations.iter().map(|p| (p.name.clone(), p.size)).collect(),
            duration_ms: sim.time_ms(),
        })
    }
}
