//! Every built-in's embedded spec parses, plans, and is the file under `examples/`.

use dendra_experiments::{ExperimentError, RunOptions, builtins, run_spec};
use dendra_spec::Spec;

#[test]
fn embedded_specs_are_the_example_files_and_plan() {
    for b in builtins() {
        let file = format!("{}/../../examples/{}.toml", env!("CARGO_MANIFEST_DIR"), b.name);
        let on_disk = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(on_disk, b.spec, "{}", b.name);
        let spec = b.spec().unwrap_or_else(|e| panic!("{e}"));
        let plan = spec.plan().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.name, b.name);
        assert_eq!(plan.builtin.is_some(), b.run.is_some(), "{}", b.name);
    }
}

#[test]
fn bad_builtin_params_are_located_spec_errors() {
    let text = builtins()
        .iter()
        .find(|b| b.name == "song2000")
        .unwrap()
        .spec
        .replace("g_max_ns = 0.1", "g_max = 0.1");
    let spec = Spec::parse("song.toml", &text).unwrap();
    let Err(ExperimentError::Spec(e)) = run_spec(&spec, &RunOptions::default()) else {
        panic!("accepted")
    };
    assert_eq!(e.help.as_deref(), Some("did you mean `g_max_ns`?"), "{e}");
    assert!(e.line > 0);
    let text = text.replace("builtin = \"song2000\"", "builtin = \"song200\"");
    let spec = Spec::parse("song.toml", &text).unwrap();
    let Err(ExperimentError::Spec(e)) = run_spec(&spec, &RunOptions::default()) else {
        panic!("accepted")
    };
    assert_eq!(e.key, "experiment.builtin");
    assert_eq!(e.help.as_deref(), Some("did you mean `song2000`?"), "{e}");
}

#[test]
fn the_compartments_example_runs_and_its_manipulations_act() {
    let b = builtins().iter().find(|b| b.name == "compartments").unwrap();
    let spec = b.spec().unwrap();
    let out = run_spec(
        &spec,
        &RunOptions {
            duration_ms: Some(1000.0),
            ..RunOptions::default()
        },
    )
    .unwrap();
    let rate = out.summary.number("rate_pyr_hz").unwrap();
    assert!(rate > 0.5 && rate < 200.0, "pyr rate {rate} Hz");
    let rec = out.recorded.unwrap();
    assert_eq!(rec.simulation.weight_traces().len(), 2);
}

#[test]
fn check_rejects_a_builtin_without_a_procedure_as_run_does() {
    let spec = Spec::parse("x.toml", "[experiment]\nname = \"x\"\nbuiltin = \"cuba\"\n").unwrap();
    let Err(ExperimentError::Spec(e)) = dendra_experiments::check_spec(&spec) else {
        panic!("accepted")
    };
    assert_eq!(e.key, "experiment.builtin");
    assert!(e.message.contains("own procedure"), "{e}");
}

#[test]
fn a_run_in_sessions_reports_rates_per_session_and_applies_session_stimuli() {
    let text = r#"[experiment]
name = "sessions"
sessions = 3
session_ms = 500.0
seed = 3

[neurons.lif]
receptors = [{ name = "syn", kind = "current", tau_ms = 5.0 }]

[[populations]]
name = "input"
size = 200
source = { kind = "poisson", rate_hz = 20.0 }

[[populations]]
name = "cells"
neuron = "lif"
size = 20

[[projections]]
source = "input"
target = "cells"
receptor = "syn"
connectivity = { kind = "fixed_indegree", k = 50 }
weight = 120.0

[[stimuli]]
population = "cells"
sessions = [2]
action = { kind = "block_spikes" }
"#;
    let spec = dendra_spec::Spec::parse("sessions.toml", text).unwrap();
    let out = dendra_experiments::run_spec(&spec, &RunOptions::default()).unwrap();
    let s = &out.summary;
    assert_eq!(s.number("duration_ms"), Some(1500.0));
    assert_eq!(s.number("sessions"), Some(3.0));
    let rates: Vec<f64> = s
        .get("rate_cells_hz_by_session")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(rates.len(), 3);
    assert!(rates[0] > 1.0 && rates[2] > 1.0, "{rates:?}");
    assert_eq!(rates[1], 0.0, "{rates:?}");
    // The per-session rates average to the whole-run rate.
    let mean = rates.iter().sum::<f64>() / 3.0;
    assert!((mean - s.number("rate_cells_hz").unwrap()).abs() < 1e-9);
    // A duration override would break the sessions: refused as bad input.
    let e = dendra_experiments::run_spec(
        &spec,
        &RunOptions {
            duration_ms: Some(100.0),
            ..RunOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(e.is_bad_input(), "{e}");
}

/// A built-in's spec with `params.KEY = VALUE` set (any line setting `KEY` removed first).
fn with_param(name: &str, key: &str, value: &str) -> Spec {
    let b = builtins().iter().find(|b| b.name == name).unwrap();
    let mut lines: Vec<String> = b
        .spec
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with(key) && t[key.len()..].trim_start().starts_with('='))
        })
        .map(String::from)
        .collect();
    match lines.iter().position(|l| l.trim() == "[params]") {
        Some(i) => lines.insert(i + 1, format!("{key} = {value}")),
        None => lines.extend(["[params]".into(), format!("{key} = {value}")]),
    }
    Spec::parse(&format!("{name}.toml"), &lines.join("\n")).unwrap()
}

#[test]
fn check_refuses_every_param_value_that_run_would() {
    // Each of these passed `dendra check` and was then refused by `run` (some unlocated, one
    // looped forever).
    let cases = [
        ("wright2025", "sessions", "0"),
        ("wright2025", "trials_per_session", "0"),
        ("wright2025", "frame_rate_hz", "nan"),
        ("wright2025", "kir_g_ns", "-30.0"),
        ("urbanczik2014", "teacher_rate_hz", "nan"),
        ("urbanczik2014", "input_rate_hz", "-1.0"),
        ("urbanczik2014", "pattern_ms", "100000.0"),
        ("song2000", "inputs", "0"),
        ("song2000", "g_max_ns", "-1.0"),
        ("izhikevich2007", "p_exc", "2.0"),
        ("izhikevich2007", "dt_ms", "0.0"),
        ("digits", "seeds", "0"),
    ];
    for (name, key, value) in cases {
        let spec = with_param(name, key, value);
        let e = match dendra_experiments::check_spec(&spec) {
            Err(ExperimentError::Spec(e)) => e,
            Err(other) => panic!("{name} {key} = {value}: not a located error: {other}"),
            Ok(_) => panic!("{name} {key} = {value}: `check` accepted it"),
        };
        assert!(e.line > 0, "{name} {key}: {e}");
        assert!(e.key.starts_with("params."), "{name} {key}: {e}");
        // `run` refuses it the same way, before simulating.
        let Err(ExperimentError::Spec(r)) = run_spec(&spec, &RunOptions::default()) else {
            panic!("{name} {key} = {value}: run did not refuse it as a spec error")
        };
        assert_eq!(r.to_string(), e.to_string());
    }
}
