//! Criterion micro-benchmarks of the engine's hot loops: one step of a neuron population (the
//! fused propagator/threshold kernel), and spike delivery through a projection.
//!
//! Run: `cargo bench -p dendra-bench --bench engine`.

use criterion::{Criterion, criterion_group, criterion_main};
use dendra_experiments::cuba::{CubaParams, network};
use dendra_sim::{RunConfig, Simulation};

fn cuba_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("cuba");
    group.sample_size(20);
    for &(name, p) in &[
        ("neuron_update_no_synapses", 0.0),
        ("update_and_delivery_p0.02", 0.02),
    ] {
        let params = CubaParams {
            p_connect: p,
            ..CubaParams::default()
        };
        let net = network(&params);
        let mut sim = Simulation::new(&net, &RunConfig { seed: 1, threads: 1 }).expect("valid network");
        // Warm up into the asynchronous irregular state.
        sim.run(100.0).expect("run");
        group.bench_function(format!("{name}/10ms"), |b| b.iter(|| sim.run(10.0).expect("run")));
    }
    group.finish();
}

// No plots: criterion's plotters backend needs system fonts, which a fresh machine lacks.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = cuba_steps
}
criterion_main!(benches);
