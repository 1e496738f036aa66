//! Helpers shared by the engine's integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use dendra_model::*;
use dendra_sim::{RunConfig, Simulation, SpikeTable, Trace};

/// A LIF soma with a threshold far away (pure membrane).
pub fn passive_soma() -> SomaParams {
    SomaParams {
        spike: SpikeMechanism::Threshold { v_th_mv: 1000.0 },
        ..SomaParams::default()
    }
}

/// A network of one population of `n` neurons of `template`.
pub fn single(template: NeuronTemplate, n: u32) -> NetworkDesc {
    NetworkDesc {
        populations: vec![Population {
            name: "p".into(),
            size: n,
            kind: PopulationKind::Neurons(Arc::new(template)),
        }],
        ..NetworkDesc::default()
    }
}

/// Add a probe of `signal` on neurons `0..n` of population 0, every step.
pub fn probe(net: &mut NetworkDesc, signal: ProbeSignal, n: u32) {
    net.recording.probes.push(ProbeDesc {
        population: 0,
        neurons: (0..n).collect(),
        signal,
        interval_ms: net.dt_ms,
    });
}

/// Add a stimulus on all neurons of population 0.
pub fn stim(net: &mut NetworkDesc, window: Window, kind: StimulusKind) {
    net.stimuli.push(Stimulus {
        population: 0,
        neurons: Selection::All,
        window,
        kind,
    });
}

/// Run for `ms` with one thread and return spikes and traces.
pub fn run(net: &NetworkDesc, ms: f64) -> (SpikeTable, Vec<Trace>) {
    let mut sim = Simulation::new(net, &RunConfig { seed: 3, threads: 1 }).expect("valid network");
    sim.run(ms).expect("run");
    (sim.spikes(), sim.traces())
}

/// A soma plus one dendrite (`d`, apical tuft) with the given coupling.
pub fn two_compartment(soma: SomaParams, g_couple_ns: f64) -> NeuronTemplate {
    let mut d = CompartmentParams::new("d", Role::at(Site::ApicalTuft), 0, 200.0);
    d.g_couple_ns = g_couple_ns;
    d.bap = None;
    NeuronTemplate {
        name: "two".into(),
        soma,
        compartments: vec![d],
        receptors: vec![],
        initial: InitialPotential::Rest,
        rules: Vec::new(),
    }
}
