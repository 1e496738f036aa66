//! Bad specs get errors that name the file, line, column and key, say what was expected and
//! found, and suggest the closest known name.

use dendra_spec::{Spec, SpecError};

const BASE: &str = r#"[experiment]
name = "t"
duration_ms = 100.0

[neurons.pyr]
soma = { t_ref_ms = 2.0 }
compartments = [
    { name = "apical", role = "apical_tuft", length_um = 200.0 },
]
receptors = [
    { name = "exc", kind = "current", tau_ms = 5.0 },
    { name = "exc", compartment = "apical", kind = "current", tau_ms = 5.0 },
]

[[neurons.pyr.rules]]
compartment = "apical"
rule = { name = "local_coactivity", a_plus = 0.01 }

[[populations]]
name = "input"
size = 10
source = { kind = "poisson", rate_hz = 10.0 }

[[populations]]
name = "exc"
neuron = "pyr"
size = 5

[[projections]]
source = "input"
target = "exc"
receptor = "exc"
compartment = "apical"
connectivity = { kind = "bernoulli", p = 0.5 }
weight = 10.0
"#;

/// BASE with `from` replaced by `to` (which must occur once).
fn with(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "{from}");
    BASE.replace(from, to)
}

fn err(text: &str) -> SpecError {
    match Spec::parse("bad.toml", text).and_then(|s| s.plan().map(|_| ())) {
        Ok(()) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
    text[..at].matches('\n').count() + 1
}

#[test]
fn the_base_spec_is_valid() {
    let plan = Spec::parse("ok.toml", BASE).unwrap().plan().unwrap();
    assert_eq!(plan.network.populations.len(), 2);
    assert_eq!(plan.network.projections[0].receptor, 1);
    assert_eq!(plan.network.projections[0].name, "input->exc");
}

#[test]
fn unknown_key_with_did_you_mean() {
    let t = with("duration_ms = 100.0", "duration_ms = 100.0\nduraton = 5");
    let e = err(&t);
    assert_eq!(e.file, "bad.toml");
    assert_eq!(e.line, line_of(&t, "duraton"));
    assert_eq!(e.column, 1);
    assert!(e.message.contains("unknown field `duraton`"), "{e}");
    assert!(e.key.starts_with("experiment"), "{e}");
}

#[test]
fn unknown_rule_parameter_is_located_in_the_rule() {
    let t = with("a_plus = 0.01", "a_plu = 0.01");
    let e = err(&t);
    assert_eq!(e.line, line_of(&t, "a_plu"));
    assert_eq!(e.help.as_deref(), Some("did you mean `a_plus`?"), "{e}");
    assert!(e.key.starts_with("neurons.pyr.rules[0]"), "{e}");
}

#[test]
fn unknown_rule_name() {
    let e = err(&with("\"local_coactivity\"", "\"local_coactivty\""));
    assert_eq!(e.help.as_deref(), Some("did you mean `local_coactivity`?"), "{e}");
}

#[test]
fn wrong_type_names_the_key() {
    let t = with("size = 5", "size = \"five\"");
    let e = err(&t);
    assert_eq!(e.line, line_of(&t, "\"five\""));
    assert_eq!(e.key, "populations[1].size");
    assert!(e.message.contains("string") && e.message.contains("u32"), "{e}");
}

#[test]
fn missing_field() {
    let e = err(&with("name = \"exc\"\n", ""));
    assert!(e.message.contains("missing field `name`"), "{e}");
    assert!(e.key.starts_with("populations"), "{e}");
}

#[test]
fn out_of_range_value() {
    let t = with("p = 0.5", "p = 1.5");
    let e = err(&t);
    assert_eq!(e.key, "projections[0].connectivity.p");
    assert_eq!(e.line, line_of(&t, "p = 1.5"));
    assert!(e.message.contains("expected") && e.message.contains("1.5"), "{e}");
}

#[test]
fn negative_time_constant_in_a_template() {
    let t = with(
        "kind = \"current\", tau_ms = 5.0 },\n    { name",
        "kind = \"current\", tau_ms = -5.0 },\n    { name",
    );
    let e = err(&t);
    assert_eq!(e.key, "neurons.pyr.receptors[0].tau_ms");
    assert_eq!(e.line, line_of(&t, "tau_ms = -5.0"));
}

#[test]
fn undefined_population_with_suggestion() {
    let t = with("target = \"exc\"", "target = \"exx\"");
    let e = err(&t);
    assert_eq!(e.key, "projections[0].target");
    assert_eq!(e.line, line_of(&t, "\"exx\""));
    assert_eq!(e.help.as_deref(), Some("did you mean `exc`?"));
    assert!(e.message.contains("`input`, `exc`"), "{e}");
}

#[test]
fn source_as_target_is_rejected() {
    let e = err(&with("target = \"exc\"", "target = \"input\""));
    assert!(e.message.contains("a neuron population"), "{e}");
}

#[test]
fn undefined_compartment_and_template() {
    let e = err(&with(
        "compartment = \"apical\"\nconnectivity",
        "compartment = \"apicl\"\nconnectivity",
    ));
    assert_eq!(e.key, "projections[0].compartment");
    assert_eq!(e.help.as_deref(), Some("did you mean `apical`?"));
    let e = err(&with("neuron = \"pyr\"", "neuron = \"pyramidal\""));
    assert_eq!(e.key, "populations[1].neuron");
}

#[test]
fn ambiguous_receptor_asks_for_a_compartment() {
    let e = err(&with("compartment = \"apical\"\nconnectivity", "connectivity"));
    assert_eq!(e.key, "projections[0].compartment");
    assert!(e.message.contains("several compartments"), "{e}");
}

#[test]
fn rule_needing_a_signal_the_compartment_lacks() {
    // Co-activity needs synapse positions; the soma has no length.
    let e = err(&with(
        "compartment = \"apical\"\nrule",
        "compartment = \"soma\"\nrule",
    ));
    assert_eq!(e.key, "neurons.pyr.rules[0].rule");
    assert!(e.message.contains("positions"), "{e}");
    // A reward rule needs a modulator.
    let e = err(&with(
        "\"local_coactivity\", a_plus = 0.01",
        "\"reward_modulated\"",
    ));
    assert_eq!(e.key, "neurons.pyr.rules[0].modulator");
    // A bAP rule where no bAP arrives.
    let t = with("length_um = 200.0 }", "length_um = 200.0, bap = false }")
        .replace("\"local_coactivity\", a_plus = 0.01", "\"bap_hebbian\"");
    let e = err(&t);
    assert!(e.message.contains("bAP"), "{e}");
}

#[test]
fn unknown_modulator_and_role() {
    let t = with(
        "\"local_coactivity\", a_plus = 0.01 }",
        "\"reward_modulated\" }\nmodulator = \"dopamin\"",
    );
    let t = t.replace(
        "[[populations]]\nname = \"input\"",
        "[[modulators]]\nname = \"dopamine\"\n\n[[populations]]\nname = \"input\"",
    );
    let e = err(&t);
    assert_eq!(e.key, "neurons.pyr.rules[0].modulator");
    assert_eq!(e.help.as_deref(), Some("did you mean `dopamine`?"));
    let e = err(&with("role = \"apical_tuft\"", "role = \"apical\""));
    assert_eq!(e.key, "neurons.pyr.compartments[0].role");
}

#[test]
fn syntax_error_is_located() {
    let t = with("size = 10", "size = = 10");
    let e = err(&t);
    assert_eq!(e.line, line_of(&t, "size = = 10"));
}

#[test]
fn network_spec_needs_a_duration_and_sane_sizes() {
    let e = err(&with("duration_ms = 100.0\n", ""));
    assert!(e.message.contains("duration_ms"), "{e}");
    let e = err(&with("duration_ms = 100.0", "duration_ms = inf"));
    assert_eq!(e.key, "experiment.duration_ms");
    let e = err(&with("size = 10", "size = 4000000000"));
    assert!(e.message.contains("at most"), "{e}");
    let e = err(&with("kind = \"bernoulli\", p = 0.5", "kind = \"all_to_all\"")
        .replace("size = 10", "size = 3000000")
        .replace("size = 5", "size = 3000000"));
    assert!(e.message.contains("synapses"), "{e}");
}

/// A time step of 0 (or a tiny one) is reported as the bad time step it is, not as a duration
/// of too many steps.
#[test]
fn a_bad_time_step_is_named_before_the_duration_it_divides() {
    for dt in ["0.0", "-0.1", "nan", "20.0"] {
        let text = with(
            "duration_ms = 100.0\n",
            &format!("duration_ms = 100.0\ndt_ms = {dt}\n"),
        );
        let e = err(&text);
        assert_eq!(e.key, "experiment.dt_ms", "dt {dt}: {e}");
        assert_eq!(e.line, line_of(&text, "dt_ms ="), "{e}");
        assert!(e.message.contains("(0, 10] ms"), "{e}");
    }
    // A valid but tiny step makes the duration too long, and the error says in how many steps.
    let e = err(&with(
        "duration_ms = 100.0\n",
        "duration_ms = 100.0\ndt_ms = 1e-12\n",
    ));
    assert_eq!(e.key, "experiment.duration_ms", "{e}");
    assert!(e.message.contains("100 ms (1.000e14 steps of 1e-12 ms)"), "{e}");
}

#[test]
fn disable_rule_refers_to_rule_ids() {
    let t = format!(
        "{BASE}\n[[stimuli]]\npopulation = \"exc\"\nstart_ms = 10.0\naction = {{ kind = \"disable_rule\", rule = \"apical.local_coactivty\" }}\n"
    );
    let e = err(&t);
    assert_eq!(e.key, "stimuli[0].action.rule");
    assert_eq!(e.help.as_deref(), Some("did you mean `apical.local_coactivity`?"));
    let ok = t.replace("local_coactivty\"", "local_coactivity\"");
    Spec::parse("ok.toml", &ok).unwrap().plan().unwrap();
}

#[test]
fn stimulus_window_errors_use_spec_keys() {
    let t = format!(
        "{BASE}\n[[stimuli]]\npopulation = \"exc\"\nstart_ms = 10.0\nstop_ms = 5.0\naction = {{ kind = \"block_spikes\" }}\n"
    );
    let e = err(&t);
    assert_eq!(e.key, "stimuli[0].stop_ms");
    assert_eq!(e.line, line_of(&t, "stop_ms = 5.0"));
}

#[test]
fn unreadable_files_are_errors_not_panics() {
    let e = Spec::load(std::path::Path::new("/nonexistent/x.toml")).unwrap_err();
    assert!(e.message.contains("cannot read"), "{e}");
    let dir = std::env::temp_dir().join(format!("dendra-spec-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bin.toml");
    std::fs::write(&p, [0xff, 0xfe, 0x00]).unwrap();
    let e = Spec::load(&p).unwrap_err();
    assert!(e.message.contains("UTF-8"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn placement_by_distance_from_the_soma() {
    // A trunk of 100 µm and a tuft of 200 µm beyond it: 150-250 µm from the soma is 50-150 µm
    // along the tuft.
    let t = with(
        "{ name = \"apical\", role = \"apical_tuft\", length_um = 200.0 },",
        "{ name = \"trunk\", role = \"apical_trunk\", length_um = 100.0 },\n    { name = \"apical\", role = \"apical_tuft\", parent = \"trunk\", length_um = 200.0 },",
    )
    .replace("weight = 10.0", "weight = 10.0\nplacement = { kind = \"from_soma\", from_um = 150.0, to_um = 250.0 }");
    let plan = Spec::parse("ok.toml", &t).unwrap().plan().unwrap();
    assert_eq!(
        plan.network.projections[0].placement,
        dendra_model::Placement::Between {
            from_um: 50.0,
            to_um: 150.0
        }
    );
    let e = err(&t.replace("from_um = 150.0, to_um = 250.0", "from_um = 10.0, to_um = 50.0"));
    assert_eq!(e.key, "projections[0].placement");
    assert!(e.message.contains("100 to 300"), "{e}");
}

#[test]
fn absurd_source_rates_and_sampling_intervals_are_refused() {
    let t = with("rate_hz = 10.0", "rate_hz = 1e12");
    let e = err(&t);
    assert_eq!(e.key, "populations[0].source.rate_hz");
    assert_eq!(e.line, line_of(&t, "rate_hz = 1e12"));
    let probe = "\n[[recording.probes]]\npopulation = \"exc\"\nneurons = [0]\nsignal = \"potential\"\ninterval_ms = 1e-9\n";
    let e = err(&format!("{BASE}{probe}"));
    assert_eq!(e.key, "recording.probes[0].interval_ms");
    let weights = "\n[[recording.weights]]\nprojection = \"input->exc\"\ninterval_ms = 1e-9\n";
    let e = err(&format!("{BASE}{weights}"));
    assert_eq!(e.key, "recording.weights[0].interval_ms");
}

/// BASE run in 3 sessions of 100 ms, plus `stimuli`.
fn in_sessions(stimuli: &str) -> String {
    format!(
        "{}\n{stimuli}",
        with("duration_ms = 100.0", "sessions = 3\nsession_ms = 100.0")
    )
}

#[test]
fn sessions_expand_stimuli_into_session_windows() {
    let text = in_sessions(
        "[[stimuli]]\npopulation = \"exc\"\nsessions = [2, 3]\nstart_ms = 10.0\nstop_ms = 50.0\naction = { kind = \"block_spikes\" }\n\
         [[stimuli]]\npopulation = \"exc\"\nsessions = [1]\naction = { kind = \"kir\", g_ns = 5.0 }\n",
    );
    let plan = Spec::parse("s.toml", &text).unwrap().plan().unwrap();
    assert_eq!(plan.duration_ms, Some(300.0));
    assert_eq!(plan.sessions, Some((3, 100.0)));
    let w: Vec<(f64, f64)> = plan
        .network
        .stimuli
        .iter()
        .map(|s| (s.window.start_ms, s.window.stop_ms))
        .collect();
    assert_eq!(w, vec![(110.0, 150.0), (210.0, 250.0), (0.0, 100.0)]);
}

#[test]
fn session_errors_are_located() {
    let e = err(&with("duration_ms = 100.0", "sessions = 3"));
    assert!(e.message.contains("session_ms"), "{e}");
    let e = err(&with(
        "duration_ms = 100.0",
        "duration_ms = 100.0\nsessions = 2\nsession_ms = 50.0",
    ));
    assert_eq!(e.key, "experiment.sessions");
    let e = err(&with("duration_ms = 100.0", "sessions = 0\nsession_ms = 50.0"));
    assert_eq!(e.key, "experiment.sessions");
    let block = "[[stimuli]]\npopulation = \"exc\"\naction = { kind = \"block_spikes\" }\n";
    let e = err(&format!(
        "{BASE}\n{}",
        block.replace("population", "sessions = [1]\npopulation")
    ));
    assert_eq!(e.key, "stimuli[0].sessions");
    assert!(e.message.contains("experiment.sessions"), "{e}");
    let e = err(&in_sessions(
        &block.replace("population", "sessions = [1, 4]\npopulation"),
    ));
    assert_eq!(e.key, "stimuli[0].sessions[1]");
    let e = err(&in_sessions(
        &block.replace("population", "sessions = [1]\nstart_ms = 100.0\npopulation"),
    ));
    assert_eq!(e.key, "stimuli[0].start_ms");
    // A later stimulus' error keeps its own index after an earlier one expanded.
    let bad = "[[stimuli]]\npopulation = \"exc\"\nstart_ms = 50.0\nstop_ms = 20.0\naction = { kind = \"block_spikes\" }\n";
    let e = err(&in_sessions(&format!(
        "{}{bad}",
        block.replace("population", "sessions = [1, 2, 3]\npopulation")
    )));
    assert!(e.key.starts_with("stimuli[1]"), "{e}");
}

#[test]
fn quadratic_soma_is_parsed_and_checked() {
    let quadratic = "soma = { c_m_pf = 1.0, g_leak_ns = 0.6, e_leak_mv = -65.0, v_reset_mv = -65.0, \
                     t_ref_ms = 0.0, spike = { kind = \"quadratic\", k_ns_per_mv = 0.04, v_r_mv = -82.66, \
                     v_t_mv = -42.34, v_peak_mv = 30.0, a_per_ms = 0.02, b_ns = 0.2, d_pa = 8.0 } }";
    let ok = with("soma = { t_ref_ms = 2.0 }", quadratic);
    let plan = Spec::parse("ok.toml", &ok).unwrap().plan().unwrap();
    let dendra_model::PopulationKind::Neurons(t) = &plan.network.populations[1].kind else {
        panic!("exc is a neuron population");
    };
    assert!(matches!(
        t.soma.spike,
        dendra_model::SpikeMechanism::Quadratic { d_pa: 8.0, .. }
    ));
    let t = with(
        "soma = { t_ref_ms = 2.0 }",
        &quadratic.replace("v_t_mv = -42.34", "v_t_mv = -90.0"),
    );
    let e = err(&t);
    assert!(e.key.ends_with("spike.v_t_mv"), "{e}");
    assert!(e.message.contains("above v_r_mv"), "{e}");
}

#[test]
fn noise_stimulus_is_parsed_and_checked() {
    let ok =
        format!("{BASE}\n[[stimuli]]\npopulation = \"exc\"\naction = {{ kind = \"noise\", std_pa = 5.0 }}\n");
    let plan = Spec::parse("ok.toml", &ok).unwrap().plan().unwrap();
    assert!(matches!(
        plan.network.stimuli[0].kind,
        dendra_model::StimulusKind::CurrentClamp {
            waveform: dendra_model::Waveform::Noise {
                mean_pa: 0.0,
                std_pa: 5.0,
                interval_ms: 1.0
            },
            ..
        }
    ));
    let e = err(&ok.replace("std_pa = 5.0", "std_pa = -5.0"));
    assert!(e.key.ends_with("std_pa"), "{e}");
}

#[test]
fn a_weight_probe_may_name_synapses_and_they_are_checked() {
    let ok = format!(
        "{BASE}\n[[recording.weights]]\nprojection = \"input->exc\"\ninterval_ms = 10.0\nsynapses = [[0, 1], [9, 4]]\n"
    );
    let plan = Spec::parse("ok.toml", &ok).unwrap().plan().unwrap();
    assert_eq!(plan.network.recording.weights[0].synapses, vec![(0, 1), (9, 4)]);
    let e = err(&ok.replace("[9, 4]", "[9, 5]"));
    assert!(e.key.ends_with("synapses[1]"), "{e}");
    assert!(e.message.contains("0..10 x 0..5"), "{e}");
}

#[test]
fn delay_site_is_read_and_a_bad_one_is_located() {
    use dendra_model::DelaySite;
    let plan = |text: &str| Spec::parse("ok.toml", text).unwrap().plan().unwrap();
    assert_eq!(plan(BASE).network.projections[0].delay_site, DelaySite::Axonal);
    let t = with("weight = 10.0\n", "weight = 10.0\ndelay_site = \"dendritic\"\n");
    assert_eq!(plan(&t).network.projections[0].delay_site, DelaySite::Dendritic);
    let t = with("weight = 10.0\n", "weight = 10.0\ndelay_site = \"dendrtic\"\n");
    let e = err(&t);
    assert_eq!(e.line, line_of(&t, "\"dendrtic\""));
    assert!(e.key.starts_with("projections[0].delay_site"), "{e}");
    assert!(
        e.message.contains("axonal") && e.message.contains("dendritic"),
        "{e}"
    );
}
