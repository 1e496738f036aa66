//! The `dendra` command line: thin; it parses arguments, loads a spec, runs it, writes the
//! outputs and returns an exit code.
//!
//! Exit codes: 0 success, 2 bad input (invalid spec, unknown name, refused output directory),
//! 1 run failure (the engine or the file system failed).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use dendra_experiments::{
    ExperimentError, Outcome, RunOptions, Summary, builtin, builtins, check_spec, run_spec,
};
use dendra_io::{RunInfo, Staging, Tables};
use dendra_spec::Spec;
use indicatif::{ProgressBar, ProgressStyle};

/// The experiment `dendra demo` runs.
const DEMO: &str = "wright2025";
/// Where `dendra demo` writes by default.
const DEMO_OUT: &str = "dendra-out";

const EXAMPLES: &str = "Examples:
  dendra demo                                  run the main experiment, write dendra-out/
  dendra list                                  list the built-in experiments
  dendra show cuba > my.toml                   print a built-in's spec to edit
  dendra check my.toml                         validate a spec without running it
  dendra run my.toml --out results             run a spec file, write results/
  dendra run cuba --out cuba --threads 2       run a built-in on two threads
  dendra run song2000 --out s --seed 7 --json  print the summary as JSON
  dendra analyze my-recordings --out analysis  run the imaging analysis on real data
  dendra report results                        rebuild results/report.html";

#[derive(Parser)]
#[command(
    name = "dendra",
    version,
    about = "Simulate networks of neurons whose dendritic compartments follow their own plasticity rules.",
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print nothing but errors and the result.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print the plan before running and where each output goes.
    #[arg(long, short, global = true)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run a spec file or a built-in, writing its outputs to a directory.
    Run(RunArgs),
    /// Run the main experiment on its embedded default, writing to dendra-out/.
    Demo(DemoArgs),
    /// Validate a spec file without running it.
    Check {
        /// The spec file.
        spec: PathBuf,
    },
    /// List the built-in experiments.
    List,
    /// Print a built-in's spec (copy it, edit it, run it).
    Show {
        /// Built-in name (see `dendra list`).
        name: String,
    },
    /// Run the imaging analysis (Wright et al. 2025) on recordings in the documented format
    /// (docs/imaging-format.md): a directory of spines, spine_traces, dendrite_traces and
    /// trials tables (.parquet or .csv), or one of those files.
    Analyze(AnalyzeArgs),
    /// Rebuild the figures and report.html of an output directory from its saved files.
    Report {
        /// An output directory written by `dendra run`.
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// A spec file (`*.toml`) or the name of a built-in (see `dendra list`).
    spec: String,
    /// Output directory (created; an earlier output there is replaced only with --force).
    #[arg(long, short)]
    out: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(clap::Args)]
struct AnalyzeArgs {
    /// The recordings: a directory (or its `imaging/` subdirectory) or one of its table files.
    input: PathBuf,
    /// Output directory (created; an earlier output there is replaced only with --force).
    #[arg(long, short)]
    out: PathBuf,
    /// Seed of the resampling (circular shifts, cross-validation folds, shuffles).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Analysis settings as TOML (keys of `dendra_analysis::StudyParams`, e.g. `profile =
    /// "paper"` for the published code's analysis step for step, `radius_um = 20`, `[events]`
    /// with `upper_sd = 2.5`); unset keys keep their defaults.
    #[arg(long)]
    settings: Option<PathBuf>,
    /// Replace an earlier output directory of dendra (every file listed, unchanged, in its
    /// manifest.json); any other non-empty directory is refused.
    #[arg(long)]
    force: bool,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct DemoArgs {
    /// Output directory.
    #[arg(long, short, default_value = DEMO_OUT)]
    out: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(clap::Args)]
struct CommonArgs {
    /// Seed of every random stream (default: the spec's).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads; results are identical for any number (default: the spec's, 0 = one per core).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=1024))]
    threads: Option<u64>,
    /// Override the simulated duration (ms).
    #[arg(long)]
    duration_ms: Option<f64>,
    /// Replace an earlier output directory of dendra: one whose every file is listed, unchanged,
    /// in the manifest.json that dendra writes last; any other non-empty directory is refused.
    #[arg(long)]
    force: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Refuse a network whose run is estimated to need more memory than this (GiB); default:
    /// the memory available now (Linux: MemAvailable of /proc/meminfo).
    #[arg(long, value_parser = parse_gib)]
    max_memory_gib: Option<f64>,
}

fn parse_gib(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("expected a number of GiB > 0, found `{s}`")),
    }
}

/// The memory available now (bytes), where the system says.
fn available_memory_bytes() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// How the command ended.
enum Failure {
    /// The user's input is wrong (exit 2).
    Input(String),
    /// The run or the file system failed (exit 1).
    Run(String),
}

impl From<ExperimentError> for Failure {
    fn from(e: ExperimentError) -> Self {
        if e.is_bad_input() {
            Failure::Input(e.to_string())
        } else {
            Failure::Run(format!("run failed: {e}"))
        }
    }
}

/// An error reading files the user gave: a damaged or foreign file is bad input (exit 2); other
/// file-system failures are run failures.
fn reading_input(e: dendra_io::IoError) -> Failure {
    match e {
        dendra_io::IoError::Format { .. } => Failure::Input(e.to_string()),
        other => Failure::from(other),
    }
}

impl From<dendra_io::IoError> for Failure {
    fn from(e: dendra_io::IoError) -> Self {
        match e {
            dendra_io::IoError::Refused(m) => Failure::Input(m),
            other => Failure::Run(format!("writing outputs failed: {other}")),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::List => {
            for b in builtins() {
                println!("{:<15} {}", b.name, b.description);
            }
            Ok(())
        }
        Command::Show { name } => builtin(name).map(|b| print!("{}", b.spec)).map_err(Failure::from),
        Command::Check { spec } => check(spec, &cli),
        Command::Report { dir } => report(dir, &cli),
        Command::Analyze(args) => analyze(args, &cli),
        Command::Run(args) => run(&args.spec, &args.out, &args.common, &cli),
        Command::Demo(args) => run(DEMO, &args.out, &args.common, &cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Run(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}

/// A spec from a file path, or a built-in's embedded spec by name.
fn load(spec: &str) -> Result<Spec, Failure> {
    let path = Path::new(spec);
    if path.extension().is_some_and(|e| e == "toml") || path.exists() {
        return Spec::load(path).map_err(|e| Failure::Input(e.to_string()));
    }
    let b = builtin(spec).map_err(|_| {
        let names: Vec<&str> = builtins().iter().map(|b| b.name).collect();
        let hint = dendra_spec::did_you_mean(spec, names.iter().copied())
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        Failure::Input(format!(
            "`{spec}` is neither a spec file nor a built-in (built-ins: {}){hint}",
            names.join(", ")
        ))
    })?;
    b.spec().map_err(|e| Failure::Input(e.to_string()))
}

fn check(path: &Path, cli: &Cli) -> Result<(), Failure> {
    let spec = Spec::load(path).map_err(|e| Failure::Input(e.to_string()))?;
    let plan = check_spec(&spec)?;
    if !cli.quiet {
        println!("{}: ok", path.display());
        describe(&plan);
        if let Some(e) = dendra_experiments::memory_estimate(&plan, None) {
            let gib = |b: f64| b / f64::from(1u32 << 30);
            let largest = e
                .largest()
                .map(|p| format!(" (largest: {:.3} GiB for {}, `{}`)", gib(p.bytes), p.what, p.key))
                .unwrap_or_default();
            println!("  memory      about {:.3} GiB{largest}", gib(e.total_bytes()));
        }
    }
    Ok(())
}

fn describe(plan: &dendra_spec::Plan) {
    println!("  experiment  {} ({})", plan.name, plan.description);
    if let Some(b) = &plan.builtin {
        println!("  built-in    {b}");
    }
    match (plan.sessions, plan.duration_ms) {
        (Some((n, ms)), _) => println!(
            "  duration    {n} sessions of {ms} ms at dt {} ms",
            plan.network.dt_ms
        ),
        (None, Some(d)) => println!("  duration    {d} ms at dt {} ms", plan.network.dt_ms),
        _ => {}
    }
    for p in &plan.network.populations {
        let what = match p.template() {
            Some(t) => format!(
                "neurons `{}` ({} compartments, {} rules)",
                t.name,
                t.n_compartments(),
                t.rules.len()
            ),
            None => "sources".to_string(),
        };
        println!("  population  {:<14} {:>8}  {what}", p.name, p.size);
    }
    for pr in &plan.network.projections {
        println!(
            "  projection  {:<14} {} -> {}",
            pr.name, plan.network.populations[pr.source].name, plan.network.populations[pr.target].name
        );
    }
}

fn report(dir: &Path, cli: &Cli) -> Result<(), Failure> {
    let updating = dendra_io::Updating::open(dir)?;
    if !dir.join("summary.json").is_file() {
        return Err(Failure::Input(format!(
            "{} has no summary.json: not an output directory of `dendra run`",
            dir.display()
        )));
    }
    dendra_io::rebuild_report(dir).map_err(|e| match e {
        dendra_io::IoError::Format { .. } | dendra_io::IoError::Refused(_) => Failure::Input(e.to_string()),
        other => Failure::Run(format!("rebuilding the report failed: {other}")),
    })?;
    updating.finish()?;
    if !cli.quiet {
        println!("{}", dir.join("report.html").display());
    }
    Ok(())
}

/// Open the output directory before any work, and say what was recovered from interrupted
/// writers of it.
fn stage(out: &Path, force: bool) -> Result<Staging, Failure> {
    let staging = Staging::new(out, force)?;
    for note in staging.notes() {
        eprintln!("note: {note}");
    }
    Ok(staging)
}

fn run(spec_arg: &str, out: &Path, args: &CommonArgs, cli: &Cli) -> Result<(), Failure> {
    if let Some(d) = args.duration_ms
        && (!d.is_finite() || d <= 0.0)
    {
        return Err(Failure::Input(format!(
            "--duration-ms must be a finite number > 0, found {d}"
        )));
    }
    let spec = load(spec_arg)?;
    let plan = check_spec(&spec)?;
    let mut spike_limit = None;
    if let Some(estimate) = dendra_experiments::memory_estimate(&plan, args.duration_ms) {
        let limit = args
            .max_memory_gib
            .map(|g| g * f64::from(1u32 << 30))
            .or_else(available_memory_bytes);
        if let Some(limit) = limit {
            dendra_experiments::check_memory(&spec, &estimate, limit)?;
            spike_limit = Some(dendra_experiments::spike_limit(&estimate, limit));
        }
        if cli.verbose {
            eprintln!(
                "memory estimate: {:.3} GiB",
                estimate.total_bytes() / f64::from(1u32 << 30)
            );
        }
    }
    // Refuse a non-empty output directory before spending time on the run.
    let staging = stage(out, args.force)?;
    if cli.verbose {
        describe(&plan);
        eprintln!(
            "writing to {} (staged in {})",
            out.display(),
            staging.path().display()
        );
    }
    let threads = match args.threads.map(|t| t as usize).unwrap_or(plan.threads) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let seed = args.seed.unwrap_or(plan.seed);
    let bar = (!cli.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(100);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {percent}% eta {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_message(plan.name.clone());
        bar
    });
    let progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    };
    let options = RunOptions {
        seed,
        threads,
        duration_ms: args.duration_ms,
        progress: &progress,
        spike_limit,
    };
    let start = Instant::now();
    let outcome = run_spec(&spec, &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let Outcome {
        summary,
        recorded,
        imaging,
        learning,
    } = outcome?;
    let wall_s = start.elapsed().as_secs_f64();
    let tables = match &recorded {
        Some(r) => Tables::collect(
            &r.simulation,
            &r.network,
            Some(&staging.path().join("synapses.parquet")),
        )?,
        None => Tables::default(),
    };
    let info = RunInfo {
        experiment: plan.name.clone(),
        description: plan.description.clone(),
        seed,
        threads,
        spec_hash: spec.hash(),
        wall_s,
    };
    match (&imaging, &learning) {
        (_, Some(curves)) => dendra_io::learning_io::write_learning_run(
            staging.path(),
            &info,
            &summary.to_json_map(),
            &spec.text,
            curves,
        )?,
        (Some(im), None) => dendra_io::write_study_run(
            staging.path(),
            &info,
            &summary.to_json_map(),
            Some(&spec.text),
            dendra_io::StudyOutputs {
                data: &im.data,
                study: &im.study,
                settings: &im.settings,
                write_data: true,
            },
        )?,
        (None, None) => {
            dendra_io::write_run(staging.path(), &info, &summary.to_json_map(), &tables, &spec.text)?
        }
    }
    let dir = staging.commit()?;
    print_summary(&plan.name, &summary, args.json, cli.quiet);
    print_outputs(&dir, args.json, cli.quiet);
    Ok(())
}

fn analyze(args: &AnalyzeArgs, cli: &Cli) -> Result<(), Failure> {
    let staging = stage(&args.out, args.force)?;
    let start = Instant::now();
    let data = dendra_io::imaging_io::read_imaging(&args.input).map_err(reading_input)?;
    if cli.verbose {
        eprintln!(
            "read {} spines, {} spine traces, {} dendrite traces, {} trials at {:.3} Hz",
            data.spines.len(),
            data.spine_traces.len(),
            data.dendrite_traces.len(),
            data.trials.len(),
            data.rate_hz
        );
    }
    let mut params = match &args.settings {
        Some(path) => {
            let text = dendra_core::files::read_regular_text(path, 1 << 20)
                .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?;
            toml::from_str::<dendra_analysis::StudyParams>(&text)
                .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?
        }
        None => dendra_analysis::StudyParams::default(),
    };
    params.seed = args.seed;
    params
        .validate()
        .map_err(|e| Failure::Input(format!("analysis settings: {e}")))?;
    let study = dendra_analysis::analyze(&data, &params);
    let mut summary = Summary::new();
    let input = std::fs::canonicalize(&args.input).unwrap_or_else(|_| args.input.clone());
    summary.set("input", input.display().to_string());
    for (k, v) in study.key_results() {
        match v {
            dendra_analysis::study::KeyValue::Num(x) => summary.set(&k, x),
            dendra_analysis::study::KeyValue::Text(t) => summary.set(&k, t),
        };
    }
    let info = RunInfo {
        experiment: "analyze".into(),
        description: format!("imaging analysis of {}", args.input.display()),
        seed: args.seed,
        threads: rayon_threads(),
        spec_hash: String::new(),
        wall_s: start.elapsed().as_secs_f64(),
    };
    dendra_io::write_study_run(
        staging.path(),
        &info,
        &summary.to_json_map(),
        None,
        dendra_io::StudyOutputs {
            data: &data,
            study: &study,
            settings: &params,
            write_data: false,
        },
    )?;
    let dir = staging.commit()?;
    print_summary("analyze", &summary, args.json, cli.quiet);
    print_outputs(&dir, args.json, cli.quiet);
    Ok(())
}

/// Where the outputs went (not with `--json` or `--quiet`).
fn print_outputs(dir: &Path, json: bool, quiet: bool) {
    if !quiet && !json {
        println!(
            "outputs: {}  (open {})",
            dir.display(),
            dir.join("report.html").display()
        );
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
