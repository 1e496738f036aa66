//! What `run` refuses, `check` refuses first, with the same located error; what only the drawn
//! network can show (a weight probe on a pair the seed did not connect) is still a located
//! exit-2 error at run time.

use dendra_experiments::{ExperimentError, RunOptions, check_spec, run_spec};
use dendra_spec::{Spec, SpecError};

const BASE: &str = r#"
[experiment]
name = "t"
duration_ms = 5.0

[neurons.n]
compartments = [{ name = "apical", role = "apical_tuft", length_um = 100.0 }]
receptors = [{ name = "ampa", compartment = "apical", kind = "current", tau_ms = 5.0 }]
RULES

[[populations]]
name = "input"
size = 20
source = { kind = "poisson", rate_hz = 10.0 }

[[populations]]
name = "n"
neuron = "n"
size = 4

[[projections]]
name = "in_n"
source = "input"
target = "n"
receptor = "ampa"
connectivity = CONNECTIVITY
weight = 10.0
delay_ms = 1.0
EXTRA
"#;

/// The text of [`BASE`] with its rules, connectivity and extra lines.
fn text(rules: &str, connectivity: &str, extra: &str) -> String {
    BASE.replace("RULES", rules)
        .replace("CONNECTIVITY", connectivity)
        .replace("EXTRA", extra)
}

fn parse(text: &str) -> Spec {
    Spec::parse("t.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

fn spec(rules: &str, connectivity: &str, extra: &str) -> Spec {
    parse(&text(rules, connectivity, extra))
}

const ALL_TO_ALL: &str = r#"{ kind = "all_to_all" }"#;

fn refused_by_check(s: &Spec) -> SpecError {
    match check_spec(s) {
        Err(ExperimentError::Spec(e)) => {
            assert!(e.line > 0, "{e}");
            e
        }
        Err(other) => panic!("not a located error: {other}"),
        Ok(_) => panic!("`check` accepted it"),
    }
}

const STDP: &str = r#"rules = [{ compartment = "apical", rule = { name = "pair_stdp" } }]"#;

#[test]
fn a_rate_only_rule_on_a_spiking_neuron_is_refused_by_check() {
    let e = refused_by_check(&spec(
        r#"rules = [{ compartment = "apical", rule = { name = "oja" } }]"#,
        ALL_TO_ALL,
        "",
    ));
    assert!(e.key.starts_with("neurons.n.rules[0]"), "{e}");
    assert!(e.to_string().contains("rate engine only"), "{e}");
}

#[test]
fn a_delay_range_on_plastic_synapses_is_refused_by_check() {
    let e = refused_by_check(&spec(STDP, ALL_TO_ALL, "delay_max_ms = 3.0"));
    assert_eq!(e.key, "projections[0].delay_max_ms", "{e}");
    // On static synapses it is fine.
    assert!(check_spec(&spec("", ALL_TO_ALL, "delay_max_ms = 3.0")).is_ok());
}

#[test]
fn a_weight_probe_on_a_missing_synapse_is_located() {
    let probe = |pair: &str| {
        format!("\n[[recording.weights]]\nprojection = \"in_n\"\ninterval_ms = 1.0\nsynapses = [{pair}]")
    };
    // Explicit connectivity: certain at check.
    let s = spec(
        STDP,
        r#"{ kind = "explicit", pairs = [[0, 0], [1, 1]] }"#,
        &probe("[2, 1]"),
    );
    let e = refused_by_check(&s);
    assert_eq!(e.key, "recording.weights[0].synapses[0]", "{e}");
    // Drawn connectivity: only the run can tell, and it says where.
    let s = spec(
        STDP,
        r#"{ kind = "fixed_indegree", k = 1 }"#,
        &probe("[0, 0], [1, 0], [2, 0]"),
    );
    assert!(check_spec(&s).is_ok());
    match run_spec(&s, &RunOptions::default()) {
        Err(ExperimentError::Spec(e)) => {
            assert!(e.key.starts_with("recording.weights[0].synapses["), "{e}");
            assert!(e.line > 0, "{e}");
        }
        Err(other) => panic!("not located: {other}"),
        Ok(_) => panic!("three sources onto one target with k = 1 cannot all exist"),
    }
}

#[test]
fn a_weight_no_f32_holds_is_refused_by_check() {
    let s = parse(&text("", ALL_TO_ALL, "").replace("weight = 10.0", "weight = 1e300"));
    let e = refused_by_check(&s);
    assert_eq!(e.key, "projections[0].weight", "{e}");
}

/// Run `s` and expect the divergence error; its message.
fn diverges(s: &Spec, threads: usize) -> String {
    assert!(check_spec(s).is_ok());
    let options = RunOptions {
        threads,
        ..RunOptions::default()
    };
    match run_spec(s, &options) {
        Err(e @ ExperimentError::Sim(dendra_sim::SimError::Diverged { .. })) => {
            assert!(e.is_bad_input(), "{e}");
            e.to_string()
        }
        Err(other) => panic!("not a divergence error: {other}"),
        Ok(o) => panic!("diverged silently: {:?}", o.summary.to_json()),
    }
}

#[test]
fn a_diverging_model_stops_with_an_error_naming_where() {
    // Weights f32 holds, whose sum in one step it does not: the receptor current overflows.
    let s = parse(
        &text("", ALL_TO_ALL, "")
            .replace("weight = 10.0", "weight = 3e38")
            .replace("rate_hz = 10.0", "rate_hz = 2000.0")
            .replace("duration_ms = 5.0", "duration_ms = 1000.0"),
    );
    let one = diverges(&s, 1);
    assert!(
        one.contains("population `n`") && one.contains("compartment `apical`"),
        "{one}"
    );
    assert!(one.contains("neuron 0"), "{one}");
    // The same place and time whatever the thread count.
    assert_eq!(diverges(&s, 3), one);
    // AdEx whose exponential overflows: an enormous current kick past V_T with a tiny slope.
    let adex = text("", ALL_TO_ALL, "")
        .replace(
            "[neurons.n]",
            "[neurons.n]\nsoma = { spike = { kind = \"exponential\", v_t_mv = -50.0, delta_t_mv = 0.01, v_peak_mv = 1e300, a_ns = 0.0, b_pa = 0.0, tau_w_ms = 100.0 } }",
        )
        .replace("weight = 10.0", "weight = 1e6")
        .replace("duration_ms = 5.0", "duration_ms = 200.0");
    let s = parse(&adex);
    let msg = diverges(&s, 1);
    assert!(msg.contains("population `n`"), "{msg}");
}

#[test]
fn placements_beyond_the_branch_are_refused_not_clipped() {
    // The apical compartment is 100 µm long.
    let s = |placement: &str| spec("", ALL_TO_ALL, &format!("placement = {placement}"));
    let e = refused_by_check(&s(r#"{ kind = "between", from_um = 150.0, to_um = 160.0 }"#));
    assert_eq!(e.key, "projections[0].placement.to_um", "{e}");
    assert!(e.to_string().contains("0 to 100"), "{e}");
    let e = refused_by_check(&s(r#"{ kind = "at", position_um = 120.0 }"#));
    assert!(e.key.starts_with("projections[0].placement"), "{e}");
    assert!(check_spec(&s(r#"{ kind = "between", from_um = 20.0, to_um = 100.0 }"#)).is_ok());
}

#[test]
fn a_duplicate_compartment_name_is_named_as_such() {
    let two = text("", ALL_TO_ALL, "").replace(
        r#"compartments = [{ name = "apical", role = "apical_tuft", length_um = 100.0 }]"#,
        r#"compartments = [{ name = "apical", role = "apical_tuft", length_um = 100.0 }, { name = "apical", role = "basal", length_um = 50.0 }]"#,
    );
    let e = refused_by_check(&parse(&two));
    assert_eq!(e.key, "neurons.n.compartments[1].name", "{e}");
    assert!(e.to_string().contains("not used by another compartment"), "{e}");
}

#[test]
fn a_spec_can_force_spikes_at_listed_times() {
    let extra = "\n[[stimuli]]\npopulation = \"n\"\nneurons = [1]\nstart_ms = 1.0\nstop_ms = 5.0\naction = { kind = \"spikes\", times_ms = [0.5, 2.0] }\n\n[recording]\nspikes = [\"n\"]\n";
    let s = spec("", ALL_TO_ALL, extra);
    let out = run_spec(&s, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let sim = &out.recorded.expect("a network run").simulation;
    let spikes = sim.spikes();
    let forced: Vec<f64> = (0..spikes.len())
        .filter(|&k| spikes.neuron[k] == 1)
        .map(|k| spikes.t_ms[k])
        .collect();
    assert_eq!(forced.len(), 2, "{forced:?}");
    assert!(
        (forced[0] - 1.5).abs() < 1e-9 && (forced[1] - 3.0).abs() < 1e-9,
        "{forced:?}"
    );
    // A time past the window is a located error.
    let s = spec("", ALL_TO_ALL, &extra.replace("[0.5, 2.0]", "[0.5, 9.0]"));
    let e = refused_by_check(&s);
    assert!(e.key.contains("times_ms[1]"), "{e}");
}
