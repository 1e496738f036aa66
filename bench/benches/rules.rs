//! Criterion micro-benchmarks of rule updates at an event: what one presynaptic spike or one
//! bAP arrival costs a synapse under each rule of the multi-rule model (pair STDP, the
//! reward-gated rule integrating the neuromodulator lazily, and the co-activity rule with its
//! branch register).
//!
//! Run: `cargo bench -p dendra-bench --bench rules`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dendra_rules::rules::{
    CoactivityRegister, LocalCoactivity, PairStdp, Placement, Queries, RewardModulated,
};
use dendra_rules::{LocalSignals, Modulator, ModulatorParams, PositionScale, Rule};

/// Signals at the end of `step` (0.1 ms steps).
fn signals(step: u64) -> LocalSignals<'static> {
    LocalSignals {
        pre: [0.4, 0.0],
        post: [0.3, 0.0],
        bap: 0.7,
        ..LocalSignals::at_step(step, 0.1)
    }
}

fn stdp(c: &mut Criterion) {
    let rule = PairStdp::default();
    let mut w = 0.5;
    let sig = signals(100);
    c.bench_function("rule/pair_stdp/on_pre", |b| {
        b.iter(|| rule.on_pre(black_box(&mut w), &mut (), black_box(&sig)))
    });
    c.bench_function("rule/pair_stdp/on_post", |b| {
        b.iter(|| rule.on_post(black_box(&mut w), &mut (), black_box(&sig)))
    });
}

fn reward(c: &mut Criterion) {
    let rule = RewardModulated::default();
    let mut modulator = Modulator::new(ModulatorParams::default());
    for k in 0..10 {
        modulator.release(500.0 + 1000.0 * f64::from(k), 1.0);
    }
    let mut state = rule.init(0.5);
    let mut w = 0.5;
    // One presynaptic spike every 150 ms of simulated time: each update integrates eligibility
    // x neuromodulator over the gap since the last one.
    let mut step = 0;
    c.bench_function("rule/reward_modulated/on_pre_150ms_gap", |b| {
        b.iter(|| {
            step = (step + 1500) % 100_000;
            let sig = LocalSignals {
                modulator: Some(&modulator),
                ..signals(step)
            };
            rule.on_pre(black_box(&mut w), &mut state, black_box(&sig))
        })
    });
}

fn coactivity(c: &mut Criterion) {
    let rule = LocalCoactivity::default();
    let spec = rule.needs().coactivity.expect("the rule counts co-activity");
    let near = spec.neighbourhood(signals(0).dt_ms, &PositionScale::new(100.0));
    // One distal branch of 100 um with 100 synapses at 6.5 Hz (one input spike every ~1.5 ms,
    // about 32 in a 50 ms window).
    let placements = (0..100u32)
        .map(|key| Placement {
            branch: 0,
            position: ((key * 37) % 100) as u16 * 655,
            key,
        })
        .collect();
    // Placed for the rule's reach and window, as the engine places it.
    let queries = Queries {
        reach: Some(near.reach),
        longest_window_steps: near.window_steps,
    };
    let mut register = CoactivityRegister::place(1, placements, false, queries);
    let mut k = 0u32;
    let mut w = 0.5;
    c.bench_function("rule/local_coactivity/count_and_on_pre", |b| {
        b.iter(|| {
            k = k.wrapping_add(1);
            let step = u64::from(k) * 15;
            let sig = signals(step);
            let n = register.count_and_record(sig.stamp(), 0, k % 100, &near);
            let sig = LocalSignals { coactive: n, ..sig };
            rule.on_pre(black_box(&mut w), &mut (), black_box(&sig))
        })
    });
}

// No plots: criterion's plotters backend needs system fonts, which a fresh machine lacks.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = stdp, reward, coactivity
}
criterion_main!(benches);
