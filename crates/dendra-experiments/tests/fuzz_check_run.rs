//! The contract between `check` and `run`, as property tests over hostile edits of valid
//! specs: whatever `check` (with the memory estimate) accepts, `run` either completes or stops
//! with an exit-2 error that says where (a located spec error, or a divergence naming
//! population, neuron and time), within a time bound, and never panics or aborts. Runs that are
//! large by design (estimated above 256 MiB, or 10^7 spikes and synaptic events from the sources) are
//! checked but not run: the time bound is there to catch hangs.
//!
//! Each case replaces one to three numbers of an example with values chosen to break things
//! (zero, negatives, NaN, infinities, huge and tiny magnitudes, integer edges). The number of
//! cases is `DENDRA_FUZZ_CASES` (default 64, what `cargo test` runs; the notes give the larger
//! runs made).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use dendra_experiments::{
    ExperimentError, RunOptions, check_memory, check_spec, memory_estimate, run_spec, spike_limit,
};
use dendra_spec::Spec;
use proptest::prelude::*;

/// Small plain-network specs: CUBA at a twentieth of its size, and the tour of compartments.
fn bases() -> Vec<String> {
    let cuba = include_str!("../../../examples/cuba.toml")
        .replace("size = 3200", "size = 160")
        .replace("size = 800", "size = 40");
    let tour = include_str!("../../../examples/compartments.toml").to_string();
    vec![cuba, tour]
}

/// Values that broke, or could break, a model.
const HOSTILE: [&str; 22] = [
    "0",
    "0.0",
    "-1",
    "-1.0",
    "-0.0",
    "nan",
    "inf",
    "-inf",
    "1e-20",
    "1e-300",
    "1e20",
    "1e300",
    "4e9",
    "4294967295",
    "4294967296",
    "65536",
    "1e6",
    "-1e6",
    "0.5",
    "2",
    "1000000",
    "3e38",
];

/// Byte ranges of the numbers in `text` (outside comments and strings, after `=`, `,` or `[`).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (line_start, line) in line_starts(text) {
        let code = line.split('#').next().unwrap_or("");
        let b = code.as_bytes();
        let mut i = 0;
        let mut in_str = false;
        while i < b.len() {
            let c = b[i];
            if c == b'"' {
                in_str = !in_str;
            }
            let starts = !in_str
                && (c.is_ascii_digit() || c == b'-')
                && i > 0
                && matches!(b[i - 1], b' ' | b'=' | b',' | b'[');
            if starts {
                let j = i + code[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '+' | '_')))
                    .unwrap_or(code.len() - i);
                if code[i..j].parse::<f64>().is_ok() {
                    out.push((line_start + i, line_start + j));
                }
                i = j;
            } else {
                i += 1;
            }
        }
    }
    out
}

fn line_starts(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.split('\n').map(move |l| {
        let s = start;
        start += l.len() + 1;
        (s, l)
    })
}

/// `base` with the numbers at the chosen indices replaced by the chosen hostile values.
fn mutate(base: &str, edits: &[(usize, usize)]) -> String {
    let spots = numbers(base);
    let mut chosen: Vec<((usize, usize), &str)> = edits
        .iter()
        .map(|&(n, v)| (spots[n % spots.len()], HOSTILE[v % HOSTILE.len()]))
        .collect();
    chosen.sort_by_key(|c| std::cmp::Reverse(c.0.0));
    chosen.dedup_by_key(|c| c.0);
    let mut text = base.to_string();
    for ((a, b), v) in chosen {
        text.replace_range(a..b, v);
    }
    text
}

/// The largest estimated memory of a run the contract runs (bytes).
const MAX_RUN_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// The most spikes and synaptic events from source populations a run the contract runs may
/// expect (a 1e6 Hz input onto dendrites with co-activity rules, 4e7 events, took 6.4 s in a
/// release build and over a minute in the test profile on a busy core).
const MAX_RUN_EVENTS: f64 = 1e7;

/// The expected spikes of the source populations of `net` in `duration_ms`, and the synaptic
/// events they deliver (spikes at their peak rate, times their synapses).
fn input_events(net: &dendra_model::NetworkDesc, duration_ms: f64) -> f64 {
    let spikes: f64 = net
        .populations
        .iter()
        .map(|p| match &p.kind {
            dendra_model::PopulationKind::Source(s) => {
                s.peak_rate_hz() * f64::from(p.size) * duration_ms / 1000.0
            }
            dendra_model::PopulationKind::Neurons(_) => 0.0,
        })
        .sum();
    let events: f64 = net
        .projections
        .iter()
        .enumerate()
        .map(|(k, p)| match &net.populations[p.source].kind {
            dendra_model::PopulationKind::Source(s) => {
                s.peak_rate_hz() * duration_ms / 1000.0 * net.expected_synapses(k)
            }
            dendra_model::PopulationKind::Neurons(_) => 0.0,
        })
        .sum();
    spikes + events
}

/// The contract for one spec text.
fn contract(text: &str) -> Result<(), String> {
    let Ok(spec) = Spec::parse("fuzz.toml", text) else {
        return Ok(()); // the parser's own fuzzing covers its errors
    };
    let plan = match check_spec(&spec) {
        Ok(p) => p,
        Err(ExperimentError::Spec(e)) if e.line > 0 || !e.key.is_empty() => return Ok(()),
        Err(e) => return Err(format!("check refused without a location: {e}")),
    };
    // Keep each run short; the duration itself is fuzzed through `check`.
    let duration_ms = plan.duration_ms.unwrap_or(1.0).min(20.0);
    // As the CLI does: refuse what the estimate says does not fit, and give the recorded
    // spikes what it leaves.
    let limit_bytes = 2.0 * f64::from(1u32 << 30);
    let estimate = memory_estimate(&plan, Some(duration_ms));
    if let Some(est) = &estimate
        && let Err(e) = check_memory(&spec, est, limit_bytes)
    {
        return match e {
            ExperimentError::Spec(s) if s.line > 0 => Ok(()),
            other => Err(format!("memory refusal without a location: {other}")),
        };
    }
    let spike_limit = estimate.as_ref().map(|est| spike_limit(est, limit_bytes));
    if plan.sessions.is_some() {
        return Ok(()); // no duration override for runs in sessions
    }
    // The time bound catches hangs; legitimately large runs (a network near the memory limit,
    // a 10^6 Hz source) take longer than it on a busy core, so they are not run here (the
    // memory and engine tests cover large networks).
    if memory_estimate(&plan, Some(duration_ms)).is_some_and(|e| e.total_bytes() > MAX_RUN_BYTES)
        || input_events(&plan.network, duration_ms) > MAX_RUN_EVENTS
    {
        return Ok(());
    }
    // The run goes in its own thread, so that a run that never ends fails the case (with its
    // spec) instead of stalling the whole fuzz; the hung thread is left behind.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let options = RunOptions {
            duration_ms: Some(duration_ms),
            threads: 1,
            spike_limit,
            ..RunOptions::default()
        };
        let verdict = match catch_unwind(AssertUnwindSafe(|| run_spec(&spec, &options))) {
            Err(_) => Err("run panicked".to_string()),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(
                e @ ExperimentError::Sim(
                    dendra_sim::SimError::Diverged { .. } | dendra_sim::SimError::TooManySpikes { .. },
                ),
            )) => e.is_bad_input().then_some(()).ok_or_else(|| e.to_string()),
            Ok(Err(ExperimentError::Spec(s))) if s.line > 0 => Ok(()),
            Ok(Err(e)) => Err(format!("run failed after check accepted: {e}")),
        };
        let _ = tx.send(verdict);
    });
    rx.recv_timeout(TIME_BOUND)
        .map_err(|_| format!("run did not end within {TIME_BOUND:?}"))?
}

/// How long a run the contract runs may take.
const TIME_BOUND: Duration = Duration::from_secs(60);

fn cases() -> u32 {
    std::env::var("DENDRA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn check_ok_means_run_ok_or_a_located_exit_2(
        base in 0usize..2,
        edits in proptest::collection::vec((0usize..10_000, 0usize..HOSTILE.len()), 1..4),
    ) {
        let text = mutate(&bases()[base], &edits);
        if let Err(why) = contract(&text) {
            prop_assert!(false, "{why}\n--- spec ---\n{text}");
        }
    }
}

#[test]
fn the_mutator_finds_the_numbers_of_the_examples() {
    for b in bases() {
        let spots = numbers(&b);
        assert!(spots.len() > 20, "{}", spots.len());
        for (a, z) in spots {
            assert!(b[a..z].parse::<f64>().is_ok(), "{}", &b[a..z]);
        }
    }
}
