//! `bench/cuba`: time the CUBA network (Vogels & Abbott 2005) in dendra.
//!
//! Usage: `cargo run --release -p dendra-bench --bin cuba -- [--reps N] [--threads N] [--seed N] [--json]`
//!
//! Each repetition builds the network and simulates 1 s; the program reports the simulation
//! loop time (min / median / max over repetitions), build time, synaptic events per second of
//! loop time, bytes per synapse, and the mean rate so that a peer's run of the same model can be
//! checked for equivalence. Timings are for this machine and load only; the 1-minute load
//! average is printed before each repetition.

use dendra_bench::{load_average, median};
use dendra_experiments::RunOptions;
use dendra_experiments::cuba::{CubaParams, run_with};

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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps = arg(&args, "--reps", 5).max(1);
    let threads = arg(&args, "--threads", 1).max(1) as usize;
    let seed = arg(&args, "--seed", 1);
    let json = args.iter().any(|a| a == "--json");
    let params = CubaParams::default();
    let mut loops = Vec::new();
    let mut builds = Vec::new();
    let mut last = None;
    for rep in 0..reps {
        let load = load_average().unwrap_or(f64::NAN);
        let options = RunOptions {
            seed,
            threads,
            ..RunOptions::default()
        };
        let s = run_with(&params, &options)
            .map(|o| o.summary)
            .unwrap_or_else(|e| {
                eprintln!("error: {e}");
                std::process::exit(1)
            });
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
    });
    if json {
        println!("{result}");
    } else {
        println!(
            "cuba, {threads} thread(s), {reps} reps: loop min {lo:.4} s, median {med:.4} s, max {hi:.4} s; \
             {:.1} M events/s; {:.2} bytes/synapse; mean rate {:.3} Hz",
            events / med / 1e6,
            s.number("bytes_per_synapse").unwrap_or(f64::NAN),
            s.number("rate_mean_hz").unwrap_or(f64::NAN)
        );
    }
}
