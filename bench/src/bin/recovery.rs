//! Model recovery of the `wright2025` study at a chosen cohort size: for every preset and seed,
//! simulate, analyse, and compare the governing signal the analysis names per compartment with
//! the preset's truth. Prints the confusion table (Markdown) and the accuracy.
//!
//! ```text
//! cargo run --release -p dendra-bench --bin recovery -- [--animals N] [--seeds S] [--threads T] [--profile P] [--plasticity-scale K] [--snr S]
//! ```
//!
//! `--animals` sets the apical and the basal group size (no Kir groups; default 2); seeds run
//! from 1 to S (default 20); `--profile paper|dendra` picks the analysis profile;
//! `--plasticity-scale` and `--snr` set the study's `plasticity_scale` and `spine_snr`.

use dendra_experiments::wright2025::recovery::{accuracy, confusion_markdown, recovery};
use dendra_experiments::wright2025::{Preset, Wright2025Params};

/// The value after `name` (`default` without it), read as a `T` (`what` names it in the error).
fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T, what: &str) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| {
            v.parse().unwrap_or_else(|_| {
                eprintln!("error: {name} expects {what}, found `{v}`");
                std::process::exit(2)
            })
        })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let animals = arg(&args, "--animals", 2u32, "a whole number");
    let seeds = arg(&args, "--seeds", 20u64, "a whole number");
    let threads = arg(&args, "--threads", 2usize, "a whole number");
    let mut analysis = dendra_analysis::StudyParams::default();
    if let Some(i) = args.iter().position(|a| a == "--profile") {
        analysis.profile = match args.get(i + 1).map(String::as_str) {
            Some("paper") => dendra_analysis::study::Profile::Paper,
            Some("dendra") => dendra_analysis::study::Profile::Dendra,
            other => {
                eprintln!("error: --profile expects paper or dendra, found {other:?}");
                std::process::exit(2)
            }
        };
    }
    let p = Wright2025Params {
        analysis,
        plasticity_scale: arg(&args, "--plasticity-scale", 1.0, "a number"),
        spine_snr: arg(&args, "--snr", 4.0, "a number"),
        apical_animals: animals,
        basal_animals: animals,
        apical_kir_animals: 0,
        basal_kir_animals: 0,
        ..Wright2025Params::default()
    };
    let started = std::time::Instant::now();
    let seeds: Vec<u64> = (1..=seeds).collect();
    match recovery(&p, &Preset::ALL, &seeds, threads) {
        Ok(rows) => {
            println!("{}", confusion_markdown(&rows));
            println!(
                "accuracy {:.3} over {} compartments ({} animals per group, {} seeds, {:.0} s on {threads} threads)",
                accuracy(&rows),
                rows.len(),
                animals,
                seeds.len(),
                started.elapsed().as_secs_f64()
            );
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
