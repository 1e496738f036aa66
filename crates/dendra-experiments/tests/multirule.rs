//! The multi-rule benchmark network runs, fires, changes weights in every compartment, and is
//! thread-invariant.

use dendra_experiments::multirule::network;
use dendra_experiments::{RunOptions, simulation};

#[test]
fn every_compartment_rule_acts_and_threads_agree() {
    let net = network(10_000.0);
    let run = |threads| {
        let mut sim = simulation(
            &net,
            &RunOptions {
                threads,
                ..RunOptions::default()
            },
        )
        .unwrap();
        let initial: Vec<Vec<f32>> = (0..3)
            .map(|p| sim.synapses(p).iter().map(|s| s.weight).collect())
            .collect();
        sim.run(10_000.0).unwrap();
        let last: Vec<Vec<f32>> = (0..3)
            .map(|p| sim.synapses(p).iter().map(|s| s.weight).collect())
            .collect();
        (initial, last, sim.spikes())
    };
    let (initial, last, spikes) = run(1);
    // Every neuron fires, none runs away (the bAP must not re-excite the soma into a loop).
    let mut per_neuron = vec![0usize; 100];
    for k in 0..spikes.len() {
        if spikes.population[k] == 0 {
            per_neuron[spikes.neuron[k] as usize] += 1;
        }
    }
    assert!(
        per_neuron.iter().all(|&c| c > 0),
        "silent neurons: {per_neuron:?}"
    );
    assert!(
        per_neuron.iter().all(|&c| c < 200),
        "runaway neurons (> 20 Hz): {per_neuron:?}"
    );
    let changed: Vec<usize> = (0..3)
        .map(|p| initial[p].iter().zip(&last[p]).filter(|(a, b)| a != b).count())
        .collect();
    // Basal STDP and the apical eligibility need postsynaptic spikes; the distal co-activity
    // rule acts on every active input.
    assert!(changed[0] >= 100, "basal: {} weights changed", changed[0]);
    assert!(changed[1] >= 100, "apical: {} weights changed", changed[1]);
    assert!(
        changed[2] > initial[2].len() / 2,
        "distal: {} weights changed",
        changed[2]
    );
    let (_, last2, spikes2) = run(2);
    assert_eq!(spikes, spikes2);
    assert_eq!(last, last2);
}

/// Storage per synapse, from the layout: every synapse has a target (2 bytes: the 100 neurons fit a
/// u16 index) and a weight (4); pair STDP (basal) and the reward-gated rule (apical) have
/// postsynaptic events and so a reverse index (a u16 source per synapse and the byte that says
/// where in the source's row the synapse sits, and 4 bytes per neuron); the reward-gated state is
/// 12 bytes; the co-activity rule (distal) reads positions (a 2-byte code) and keeps an 8-byte
/// register entry per synapse (the counts of its neighbours within reach below and above, the
/// register being placed for the rule's radius, a 16-bit stamp, as the 50 ms window is short, and
/// the index of its entry; positions elsewhere are drawn again when listed, not stored) and the
/// 4-byte start of each neuron's branch in the register (and its end), and 32 stamps of padding
/// around the register; the row pointers add 4 bytes per source and projection. Traces are kept per
/// neuron: one presynaptic trace (8 bytes) per input for each of the two STDP-like rules, one
/// postsynaptic trace per neuron and rule, the bAP strength arriving now (8 bytes per neuron and
/// projection), and for the reward-gated rule's ticks the targets' traces sampled once per tick (16
/// bytes per neuron) and its eligibility clock's integral at every step of a 500 ms epoch (8 bytes
/// per step).
#[test]
fn storage_per_synapse_matches_the_layout() {
    let net = network(10.0);
    let sim = simulation(&net, &RunOptions::default()).unwrap();
    let stats = sim.stats();
    assert_eq!(stats.synapses, 30_000);
    let per_synapse = 3 * 6 + 2 * (2 + 1) + 12 + 2 + 8;
    let register = 4.0 * 101.0 + 32.0 * 2.0;
    let expected = f64::from(per_synapse) * 10_000.0 + 3.0 * 4.0 * 1001.0 + 2.0 * 4.0 * 101.0 + register;
    assert_eq!(stats.synapse_bytes as f64, expected);
    let clock = 8.0 * (5000.0 + 1.0);
    let traces = 2.0 * 8.0 * (1000.0 + 100.0) + 3.0 * 8.0 * 100.0 + 16.0 * 100.0 + clock;
    assert_eq!(stats.plasticity_neuron_bytes as f64, traces);
}
