//! CUBA: the rate lies where the peers put it, and spikes are identical for 1 and 2 threads.

use dendra_experiments::cuba::{CubaParams, network};
use dendra_experiments::{RunOptions, run_builtin};
use dendra_sim::{RunConfig, Simulation};

#[test]
fn cuba_rate_in_peer_range() {
    let s = run_builtin("cuba", &RunOptions::default()).unwrap().summary;
    let rate = s.number("rate_mean_hz").unwrap();
    // Brian2's example and NEST give about 5 Hz (REFERENCES.md: ~1.8e6 events in 1 s at
    // 80 targets per spike, i.e. ~5.7 Hz).
    assert!((3.0..9.0).contains(&rate), "mean rate {rate} Hz");
    let cv = s.number("cv_isi_mean").unwrap();
    assert!(cv > 0.3, "irregular firing expected, CV {cv}");
    let syn = s.number("synapses").unwrap();
    let expected = 0.02 * 4000.0 * 4000.0;
    assert!((syn - expected).abs() < 5.0 * expected.sqrt(), "{syn}");
    assert!(s.number("bytes_per_synapse").unwrap() <= 8.5);
}

#[test]
fn cuba_spikes_identical_for_one_and_two_threads() {
    let params = CubaParams {
        duration_ms: 300.0,
        ..CubaParams::default()
    };
    let net = network(&params);
    let run = |threads| {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 7, threads }).unwrap();
        sim.run(params.duration_ms).unwrap();
        sim.spikes()
    };
    let one = run(1);
    let two = run(2);
    let three = run(3);
    assert!(one.len() > 1000, "network must be active: {} spikes", one.len());
    assert_eq!(one, two);
    assert_eq!(one, three);
}

#[test]
fn different_seeds_give_different_networks() {
    let params = CubaParams {
        duration_ms: 100.0,
        ..CubaParams::default()
    };
    let net = network(&params);
    let run = |seed| {
        let mut sim = Simulation::new(&net, &RunConfig { seed, threads: 1 }).unwrap();
        sim.run(params.duration_ms).unwrap();
        sim.spikes()
    };
    assert_ne!(run(1), run(2));
}

#[test]
fn the_embedded_cuba_spec_is_exactly_the_rust_network() {
    let spec = dendra_experiments::builtin("cuba").unwrap().spec().unwrap();
    let plan = spec.plan().unwrap();
    assert_eq!(plan.network, network(&CubaParams::default()));
    assert_eq!(plan.duration_ms, Some(CubaParams::default().duration_ms));
}
