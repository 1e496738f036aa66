//! Throughput of the rate engine against the machine's sgemm, and one backprop epoch timed for
//! comparison with numpy (`bench/peers/numpy_mlp.py`, run by `bench/rate_vs_numpy.sh`).
//!
//! ```text
//! cargo run --release -p dendra-bench --bin rate -- [--rows 10000] [--reps 5]
//! ```
//!
//! Prints (1) single-core sgemm GFLOP/s of `ndarray`'s `matrixmultiply` kernels on 1024³,
//! (2) GFLOP/s of the MLP training step (784-256-256-10, backprop) at batch 64, 128 and 256,
//! counting 2 · batch · (2 Σ_l in·out + Σ_{l>0} in·out) flops per step (forward pass and weight
//! gradients of every layer, errors sent back below the first hidden layer only), and the ratio
//! to sgemm, (3) the wall time of one backprop epoch over `--rows` random images at
//! batch 64 (min over `--reps`), (4) GFLOP/s of the multi-rule pyramidal training step
//! (784-256-256-10, default rules, one context), counting 2 · batch · (2 Σ_l (in_l + 1) out_l +
//! 2 Σ_hidden 10 n_l) flops per step (free pass and weight changes of every basal layer, apical
//! feedback and its weight changes; the per-unit rule terms and the one-context distal
//! products are not counted). Timings only; nothing is asserted.

use std::time::Instant;

use dendra_rate::{Learning, Mlp, NetParams, PyramidalNet, TrainParams, train};
use ndarray::Array2;
use ndarray::linalg::general_mat_mul;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Wall time of one call of `step` (s): the best over `reps` runs of 200 calls each.
fn best_seconds_per_step(reps: usize, mut step: impl FnMut()) -> f64 {
    let steps = 200;
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        for _ in 0..steps {
            step();
        }
        best = best.min(t.elapsed().as_secs_f64() / steps as f64);
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows = arg(&args, "--rows", 10_000);
    let reps = arg(&args, "--reps", 5).max(1);
    let n = 1024;
    let a = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 13) % 101) as f32 / 101.0);
    let b = a.t().to_owned();
    let mut c = Array2::<f32>::zeros((n, n));
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        general_mat_mul(1.0, &a, &b, 0.0, &mut c);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let sgemm = 2.0 * (n * n * n) as f64 / best / 1e9;
    println!("sgemm 1024^3: {sgemm:.1} GFLOP/s (best of {reps})");
    let sizes = [784, 256, 256, 10];
    let macs: Vec<usize> = sizes.windows(2).map(|w| w[0] * w[1]).collect();
    let flops_per_row = 2 * (2 * macs.iter().sum::<usize>() + macs[1..].iter().sum::<usize>());
    for batch in [64, 128, 256] {
        let mut mlp = Mlp::new(&sizes, 1);
        let mut ws = mlp.workspace(batch);
        let x = Array2::from_shape_fn((batch, 784), |(i, j)| ((i * 31 + j) % 255) as f32 / 255.0);
        ws.set_input(x.view());
        let y: Vec<u8> = (0..batch).map(|i| (i % 10) as u8).collect();
        let best = best_seconds_per_step(reps, || {
            mlp.step(&mut ws, &y, 1e-4, Learning::Backprop);
        });
        let gflops = (batch * flops_per_row) as f64 / best / 1e9;
        println!(
            "mlp step 784-256-256-10, batch {batch}: {:.3} ms, {gflops:.1} GFLOP/s = {:.2} x sgemm",
            best * 1e3,
            gflops / sgemm
        );
    }
    let params = NetParams {
        hidden: vec![256, 256],
        ..NetParams::default()
    };
    let pyr_flops_per_row = 2 * (2 * (785 * 256 + 257 * 256 + 257 * 10) + 2 * 10 * (256 + 256));
    // One thread (against single-core sgemm), then two: a step's per-sample work runs in
    // parallel over the batch; its matrix products stay on one thread.
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        pool.install(|| {
            for batch in [64, 128, 256] {
                let mut net = PyramidalNet::new(784, 1, 10, &params, 1).expect("valid parameters");
                let mut ws = net.workspace(batch);
                let x = Array2::from_shape_fn((batch, 784), |(i, j)| ((i * 31 + j) % 255) as f32 / 255.0);
                let y: Vec<u8> = (0..batch).map(|i| (i % 10) as u8).collect();
                let idx: Vec<usize> = (0..batch).collect();
                ws.load(x.view(), &y, &idx, 0);
                let best = best_seconds_per_step(reps, || {
                    net.step(&mut ws);
                });
                let gflops = (batch * pyr_flops_per_row) as f64 / best / 1e9;
                println!(
                    "multi-rule step 784-256-256-10, batch {batch}, {threads} thread(s): {:.3} ms, {gflops:.1} GFLOP/s = {:.2} x sgemm",
                    best * 1e3,
                    gflops / sgemm
                );
            }
        });
    }
    let x = Array2::from_shape_fn((rows, 784), |(i, j)| ((i * 31 + j * 7) % 255) as f32 / 255.0);
    let y: Vec<u8> = (0..rows).map(|i| (i % 10) as u8).collect();
    let mut best = f64::INFINITY;
    for rep in 0..reps {
        let mut mlp = Mlp::new(&sizes, 1);
        let p = TrainParams {
            lr: 0.01,
            batch: 64,
            epochs: 1,
            learning: Learning::Backprop,
            seed: rep as u64,
        };
        let h = train(
            &mut mlp,
            (x.view(), &y),
            (x.slice(ndarray::s![..10, ..]), &y[..10]),
            &p,
        );
        best = best.min(h[0].seconds);
    }
    println!("backprop epoch, {rows} rows, batch 64: {best:.3} s (best of {reps})");
}
