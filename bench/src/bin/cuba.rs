//! `bench/cuba`: time the CUBA network (Vogels & Abbott 2005) in dendra.
//!
//! Usage: `cargo run --release -p dendra-bench --bin cuba -- [--reps N] [--threads N] [--seed N]
//! [--neurons N] [--indegree K] [--duration-ms T] [--json]`
//!
//! Each repetition builds the network and simulates it; the program reports the simulation
//! loop time (min / median / max over repetitions), build time, synaptic events per second of
//! loop time, bytes per synapse, the mean rate (so that a peer's run of the same model can be
//! checked for equivalence) and a digest of all spikes (equal digests: identical spikes, e.g.
//! for 1 and 2 threads). Timings are for this machine and load only; the 1-minute load
//! average is printed before each repetition.
//!
//! `--neurons N` scales the network for the scaling series: 80 % excitatory, connection
//! probability `K / N` (expected in-degree `K`, default 80 as in the published model), weights
//! scaled by `80 / K` so that the mean input per neuron stays that of the published network.

use dendra_bench::{load_average, median};
use dendra_experiments::RunOptions;
use dendra_experiments::cuba::{CubaParams, run_with};
use dendra_sim::SpikeTable;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|k| args.get(k + 1))
        .map(|v| {
            v.parse().unwrap_or_else(|_| {
                eprintln!("error: {name} expects a whole number, found {v:?}");
                std::process::exit(2)
            })
        })
        .unwrap_or(default)
}

/// FNV-1a over every spike's (time, population, neuron), in the table's order.
fn spike_digest(spikes: &SpikeTable) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for k in 0..spikes.len() {
        for word in [
            spikes.t_ms[k].to_bits(),
            u64::from(spikes.population[k]),
            u64::from(spikes.neuron[k]),
        ] {
            for byte in word.to_le_bytes() {
                h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    h
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps = arg(&args, "--reps", 5).max(1);
    let threads = arg(&args, "--threads", 1).max(1) as usize;
    let seed = arg(&args, "--seed", 1);
    let json = args.iter().any(|a| a == "--json");
    let mut params = CubaParams::default();
    let neurons = arg(&args, "--neurons", 4000).max(5);
    let indegree = arg(&args, "--indegree", 80).max(1) as f64;
    params.n_exc = (neurons * 4 / 5) as u32;
    params.n_inh = neurons as u32 - params.n_exc;
    params.p_connect = (indegree / neurons as f64).min(1.0);
    params.w_exc_pa *= 80.0 / indegree;
    params.w_inh_pa *= 80.0 / indegree;
    params.duration_ms = arg(&args, "--duration-ms", 1000) as f64;
    let mut loops = Vec::new();
    let mut builds = Vec::new();
    let mut last = None;
    let mut digest = 0u64;
    for rep in 0..reps {
        let load = load_average().unwrap_or(f64::NAN);
        let options = RunOptions {
            seed,
            threads,
            ..RunOptions::default()
        };
        let outcome = run_with(&params, &options).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(1)
        });
        if let Some(r) = &outcome.recorded {
            digest = spike_digest(&r.simulation.spikes());
        }
        let s = outcome.summary;
        let (l, b) = (
            s.number("loop_s").unwrap_or(f64::NAN),
            s.number("build_s").unwrap_or(f64::NAN),
        );
        if !json {
            eprintln!("rep {rep}: load {load:.2}, build {b:.4} s, loop {l:.4} s");
        }
        loops.push(l);
        builds.push(b);
        last = Some(s);
    }
    let s = last.expect("at least one repetition");
    let events = s.number("synaptic_events").unwrap_or(0.0);
    let lo = loops.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = loops.iter().copied().fold(0.0, f64::max);
    let med = median(&loops);
    let result = serde_json::json!({
        "benchmark": "cuba",
        "threads": threads,
        "reps": reps,
        "loop_s_min": lo,
        "loop_s_median": med,
        "loop_s_max": hi,
        "build_s_median": median(&builds),
        "events_per_s_median": events / med,
        "synapses": s.number("synapses"),
        "bytes_per_synapse": s.number("bytes_per_synapse"),
        "spikes": s.number("spikes"),
        "rate_mean_hz": s.number("rate_mean_hz"),
        "neurons": neurons,
        "indegree": indegree,
        "duration_ms": params.duration_ms,
        "spike_digest": format!("{digest:016x}"),
    });
    if json {
        println!("{result}");
    } else {
        println!(
            "cuba, {neurons} neurons, {threads} thread(s), {reps} reps: loop min {lo:.4} s, median {med:.4} s, max {hi:.4} s; \
             {:.1} M events/s; {:.2} bytes/synapse; mean rate {:.3} Hz; spikes {digest:016x}",
            events / med / 1e6,
            s.number("bytes_per_synapse").unwrap_or(f64::NAN),
            s.number("rate_mean_hz").unwrap_or(f64::NAN)
        );
    }
}
