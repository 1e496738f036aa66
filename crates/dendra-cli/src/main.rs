//! The `dendra` command line: thin; it parses arguments, runs a built-in and prints its summary.
//!
//! Exit codes: 0 success, 2 bad input (unknown experiment, invalid option), 1 run failure.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dendra_experiments::{ExperimentError, RunOptions, Summary, builtins, run_builtin};
use indicatif::{ProgressBar, ProgressStyle};

/// The experiment `dendra demo` runs.
const DEMO: &str = "cuba";

#[derive(Parser)]
#[command(
    name = "dendra",
    version,
    about = "Simulate networks of neurons whose dendritic compartments follow their own plasticity rules.",
    after_help = "Examples:\n  dendra demo                       run the main experiment on its embedded default\n  dendra list                       list the built-in experiments\n  dendra run cuba --threads 2       run the CUBA benchmark on two threads\n  dendra run cuba --seed 7 --json   print the summary as JSON"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print nothing but the result.
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run a built-in experiment by name and print its summary.
    Run(RunArgs),
    /// Run the main experiment on its embedded default.
    Demo(CommonArgs),
    /// List the built-in experiments.
    List,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Name of a built-in experiment (see `dendra list`).
    name: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(clap::Args)]
struct CommonArgs {
    /// Seed of every random stream of the run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (results are identical for any number).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: u64,
    /// Override the simulated duration (ms).
    #[arg(long)]
    duration_ms: Option<f64>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            for b in builtins() {
                println!("{:<12} {}", b.name, b.description);
            }
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(&args.name, &args.common, cli.quiet),
        Command::Demo(common) => run(DEMO, &common, cli.quiet),
    }
}

fn run(name: &str, args: &CommonArgs, quiet: bool) -> ExitCode {
    if let Some(d) = args.duration_ms
        && (!d.is_finite() || d < 0.0)
    {
        eprintln!("error: --duration-ms must be a finite number >= 0, found {d}");
        return ExitCode::from(2);
    }
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(100);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {percent}% eta {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_message(name.to_string());
        bar
    });
    let progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    };
    let options = RunOptions {
        seed: args.seed,
        threads: args.threads as usize,
        duration_ms: args.duration_ms,
        progress: &progress,
    };
    let result = run_builtin(name, &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(summary) => {
            print_summary(name, &summary, args.json, quiet);
            ExitCode::SUCCESS
        }
        Err(e @ (ExperimentError::Unknown { .. } | ExperimentError::Option(_))) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(ExperimentError::Sim(e @ dendra_experiments::SimErrorKind::Param(_))) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: run failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn print_summary(name: &str, summary: &Summary, json: bool, quiet: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary.to_json()).expect("JSON values serialise")
        );
        return;
    }
    if !quiet {
        println!("{name}: summary");
    }
    for (k, v) in summary.entries() {
        match v.as_f64() {
            Some(x) if v.is_f64() => println!("  {k:<20} {x:.6}"),
            _ => println!("  {k:<20} {v}"),
        }
    }
}
