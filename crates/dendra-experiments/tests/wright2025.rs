//! The in-silico imaging study: the embedded spec, the paper preset's findings at a small size,
//! determinism across thread counts, and model recovery at the paper's group size.

use dendra_experiments::wright2025::recovery::{accuracy, confusion_markdown, recovery};
use dendra_experiments::wright2025::{Preset, Wright2025Params, simulate, summarize};
use dendra_experiments::{RunOptions, builtin, run_spec};

#[test]
fn the_embedded_spec_holds_the_defaults() {
    let spec = builtin("wright2025").unwrap().spec().unwrap();
    let p: Wright2025Params = spec.params().unwrap();
    assert_eq!(p, Wright2025Params::default());
}

#[test]
fn bad_params_are_located_spec_errors() {
    let text = include_str!("../../../examples/wright2025.toml")
        .replace("imaged_sessions = [1, 2, 3", "imaged_sessions = [0, 2, 3");
    let spec = dendra_spec::Spec::parse("w.toml", &text).unwrap();
    let Err(e) = run_spec(&spec, &RunOptions::default()) else {
        panic!("session 0 accepted");
    };
    assert!(e.is_bad_input());
    assert!(e.to_string().contains("imaged_sessions[0]"), "{e}");
    let text =
        include_str!("../../../examples/wright2025.toml").replace("preset = \"paper\"", "preset = \"papr\"");
    let spec = dendra_spec::Spec::parse("w.toml", &text).unwrap();
    let e = spec.params::<Wright2025Params>().unwrap_err().to_string();
    assert!(e.contains("w.toml:") && e.contains("preset"), "{e}");
}

fn small(preset: Preset) -> Wright2025Params {
    Wright2025Params {
        preset,
        apical_animals: 3,
        basal_animals: 3,
        apical_kir_animals: 2,
        basal_kir_animals: 2,
        ..Wright2025Params::default()
    }
}

#[test]
fn paper_preset_reproduces_the_findings_at_a_small_size() {
    let p = small(Preset::Paper);
    let run = simulate(&p, 11, 2, &|_, _| {}).unwrap();
    run.data.validate().unwrap();
    let study = dendra_analysis::analyze(&run.data, &dendra_analysis::StudyParams::default());
    let s = summarize(&p, 11, &run, &study, 0.0);
    let num = |k: &str| {
        s.number(k)
            .unwrap_or_else(|| panic!("no number `{k}` in {:?}", s.to_json()))
    };
    let text = |k: &str| s.get(k).and_then(|v| v.as_str()).unwrap().to_string();
    // Apical enlargement follows local co-activity, basal enlargement bAP co-activity. With
    // three animals per group the verdict may not be sure (t with 2 degrees of freedom), but
    // it never names the other rule.
    for (c, truth) in [("apical", "local"), ("basal", "bap")] {
        let named = text(&format!("governing_{c}"));
        assert!(named == truth || named == "undetermined", "{c}: {named}");
    }
    assert!(num("coef_local_apical") > num("coef_bap_apical"));
    assert!(num("coef_bap_basal") > num("coef_local_basal"));
    assert!(num("local_effect_apical") > 0.3 && num("local_p_apical") < 0.01);
    assert!(num("bap_effect_basal") > 0.5 && num("bap_p_basal") < 0.01);
    assert!(num("macro_f1_apical") > num("shuffled_macro_f1_apical") + 0.15);
    assert!(num("macro_f1_basal") > num("shuffled_macro_f1_basal") + 0.15);
    // Kir: basal potentiation at most half of control, apical within 25 %.
    assert!(num("kir_relative_basal") <= 0.5, "{}", num("kir_relative_basal"));
    let apical = num("kir_relative_apical");
    assert!((0.75..=1.25).contains(&apical), "{apical}");
    assert!(num("soma_rate_hz_kir") < 0.2 * num("soma_rate_hz_control"));
    // Dendritic calcium events report somatic spikes (the bAP proxy holds).
    assert!(
        num("soma_dendrite_coactivity_basal") > 0.5,
        "{}",
        num("soma_dendrite_coactivity_basal")
    );
    // Behaviour improves through learning.
    assert!(num("success_last") > num("success_first") + 0.3);
    assert!(num("reaction_s_last") < 0.5 * num("reaction_s_first"));
    assert!(num("stereotypy_last") > num("stereotypy_first"));
    // The movement-related inputs grow more co-active as the task is learned.
    assert!(
        num("movement_coactivity_late") > num("movement_coactivity_early") + 0.05,
        "{} -> {}",
        num("movement_coactivity_early"),
        num("movement_coactivity_late")
    );
}

#[test]
fn recordings_do_not_depend_on_the_thread_count() {
    let p = Wright2025Params {
        apical_animals: 1,
        basal_animals: 1,
        apical_kir_animals: 0,
        basal_kir_animals: 1,
        sessions: 3,
        imaged_sessions: vec![1, 3],
        ..Wright2025Params::default()
    };
    let a = simulate(&p, 5, 1, &|_, _| {}).unwrap();
    let b = simulate(&p, 5, 2, &|_, _| {}).unwrap();
    // Debug text compares NaN (no press, lost spine) as equal and every float bit for bit.
    let same = |x: &dendra_analysis::ImagingData, y: &dendra_analysis::ImagingData| {
        format!("{x:?}") == format!("{y:?}")
    };
    assert!(same(&a.data, &b.data), "1 and 2 threads differ");
    assert_eq!(a.truth, b.truth);
    let c = simulate(&p, 6, 2, &|_, _| {}).unwrap();
    assert!(!same(&a.data, &c.data), "seeds 5 and 6 gave the same data");
}

/// The acceptance test of model recovery: 10 seeds per preset at about the paper's group size
/// (11 apical and 11 basal animals; the measured table is in docs/wright2025.md). A slow
/// scientific validation (604 s on 2 cores in a fresh-clone CI run, 8 Dec 2026): `cargo test --workspace -- --ignored` runs
/// it, as CI does.
#[test]
#[ignore = "slow scientific validation: cargo test --workspace -- --ignored"]
fn the_analysis_names_each_presets_rules_over_10_seeds() {
    recovers_every_preset(&(1..=10).collect::<Vec<u64>>(), 11, 0.95);
}

/// The presets whose truth is a co-activity rule the analysis can see. The `article` preset's
/// rules (reward-modulated, dendritic prediction) depend on more than bAP co-activity; its
/// compartments may be named `bap` or `other`, never `local` (checked with the others).
const RECOVERABLE: [Preset; 3] = [Preset::Paper, Preset::Swapped, Preset::Uniform];

/// Model recovery on one seed per preset at the paper's group size, in the default test run.
#[test]
fn the_analysis_names_each_presets_rules_on_one_seed() {
    recovers_every_preset(&[21], 11, 0.5);
}

/// With two animals per group the analysis cannot be sure (too few animals for its intervals):
/// it says so, and never names a wrong rule.
#[test]
fn two_animals_per_group_are_undetermined_not_wrong() {
    let p = Wright2025Params {
        apical_animals: 2,
        basal_animals: 2,
        apical_kir_animals: 0,
        basal_kir_animals: 0,
        ..Wright2025Params::default()
    };
    let rows = recovery(&p, &[Preset::Paper, Preset::Swapped], &[3], 2).unwrap();
    for r in &rows {
        assert_eq!(r.named, "undetermined", "{r:?}");
    }
}

/// No compartment of any preset is given a rule that is not its truth, and the rules of the
/// [`RECOVERABLE`] presets are named in at least `least` of their compartments over `seeds`
/// (cohorts of `animals` per group).
fn recovers_every_preset(seeds: &[u64], animals: u32, least: f64) {
    let p = Wright2025Params {
        apical_animals: animals,
        basal_animals: animals,
        apical_kir_animals: 0,
        basal_kir_animals: 0,
        ..Wright2025Params::default()
    };
    let rows = recovery(&p, &Preset::ALL, seeds, 2).unwrap();
    let table = confusion_markdown(&rows);
    println!("{table}");
    for r in &rows {
        let wrong = matches!(r.named.as_str(), "local" | "bap" | "both") && r.named != r.truth;
        assert!(!wrong, "wrong verdict {r:?}:\n{table}");
    }
    for preset in Preset::ALL {
        let mine: Vec<_> = rows.iter().filter(|r| r.preset == preset).cloned().collect();
        assert_eq!(mine.len(), 2 * seeds.len());
        if !RECOVERABLE.contains(&preset) {
            continue;
        }
        let acc = accuracy(&mine);
        assert!(acc >= least, "{} recovered {acc}:\n{table}", preset.name());
    }
    // The swapped preset is recognised as swapped: apical bAP, basal local.
    let swapped = rows.iter().filter(|r| r.preset == Preset::Swapped);
    for r in swapped {
        assert_eq!(r.truth, if r.compartment == "apical" { "bap" } else { "local" });
    }
}

/// Without plasticity (`plasticity_scale = 0`) sizes change by measurement noise only: almost
/// no spine enlarges, and no rule is named.
#[test]
fn without_plasticity_no_rule_is_named() {
    let p = Wright2025Params {
        plasticity_scale: 0.0,
        apical_kir_animals: 0,
        basal_kir_animals: 0,
        ..small(Preset::Paper)
    };
    let run = simulate(&p, 4, 2, &|_, _| {}).unwrap();
    let study = dendra_analysis::analyze(&run.data, &dendra_analysis::StudyParams::default());
    for c in &study.compartments {
        assert!(c.frac_enlarged < 0.02, "{}: {}", c.compartment, c.frac_enlarged);
        assert_eq!(c.governing, "undetermined", "{c:?}");
    }
}

/// `spine_snr` sets the imaging noise: the noise of spine traces (the standard deviation of
/// their below-zero samples mirrored about 0) scales with 1 / SNR.
#[test]
fn spine_snr_scales_the_imaging_noise() {
    let sigma = |snr: f64| {
        let p = Wright2025Params {
            spine_snr: snr,
            apical_animals: 1,
            basal_animals: 0,
            apical_kir_animals: 0,
            basal_kir_animals: 0,
            sessions: 2,
            imaged_sessions: vec![1, 2],
            ..Wright2025Params::default()
        };
        let run = simulate(&p, 8, 1, &|_, _| {}).unwrap();
        let below: Vec<f64> = run
            .data
            .spine_traces
            .iter()
            .flat_map(|t| t.dff.iter().copied().filter(|v| *v < 0.0))
            .collect();
        (below.iter().map(|v| v * v).sum::<f64>() / below.len() as f64).sqrt()
    };
    let (calibrated, noisy) = (sigma(4.0), sigma(1.0));
    let ratio = noisy / calibrated;
    assert!((3.0..=4.5).contains(&ratio), "{calibrated} -> {noisy}: x{ratio}");
}

/// A random layout at twice the designed density images twice the spines, at positions off
/// the designed grid, and the study runs on it.
#[test]
fn a_random_layout_runs_at_the_density_asked_for() {
    let p = Wright2025Params {
        spine_layout: dendra_experiments::wright2025::layout::Arrangement::Random,
        spine_density_per_um: 0.3,
        apical_animals: 1,
        basal_animals: 1,
        apical_kir_animals: 0,
        basal_kir_animals: 0,
        sessions: 2,
        imaged_sessions: vec![1, 2],
        ..Wright2025Params::default()
    };
    let run = simulate(&p, 9, 2, &|_, _| {}).unwrap();
    run.data.validate().unwrap();
    let mut per_dendrite = std::collections::BTreeMap::<u32, usize>::new();
    for s in &run.data.spines {
        *per_dendrite.entry(s.dendrite).or_default() += 1;
    }
    assert_eq!(per_dendrite.len(), 4);
    assert!(per_dendrite.values().all(|&n| n == 30), "{per_dendrite:?}");
}
