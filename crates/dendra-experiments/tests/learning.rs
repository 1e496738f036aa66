//! The learning benchmarks: embedded specs, small runs that must learn, determinism across
//! thread counts, continual learning with distal context, and input errors.

use dendra_experiments::learning::{Ablation, DatasetName, LearningParams, Variant, benchmark};
use dendra_experiments::{RunOptions, Summary, builtin, run_spec};
use dendra_rate::NetParams;

#[test]
fn embedded_specs_read_and_digits_holds_the_defaults() {
    for name in ["digits", "mnist", "fmnist", "continual"] {
        let spec = builtin(name).unwrap().spec().unwrap();
        let p: LearningParams = spec.params().unwrap();
        p.validate().unwrap();
    }
    let p: LearningParams = builtin("digits").unwrap().spec().unwrap().params().unwrap();
    assert_eq!(p, LearningParams::default());
}

fn small() -> LearningParams {
    LearningParams {
        seeds: 2,
        epochs: 4,
        net: NetParams {
            hidden: vec![48],
            ..NetParams::default()
        },
        ..LearningParams::default()
    }
}

fn run(p: &LearningParams, threads: usize) -> Summary {
    let options = RunOptions {
        threads,
        ..RunOptions::default()
    };
    benchmark(p, &options).unwrap().summary
}

/// Everything but wall times.
fn results(s: &Summary) -> Vec<(String, String)> {
    s.entries()
        .iter()
        .filter(|(k, _)| !k.contains("seconds"))
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect()
}

#[test]
fn every_learner_learns_the_digits_and_the_run_does_not_depend_on_threads() {
    let p = small();
    let s = run(&p, 2);
    let num = |k: &str| {
        s.number(k)
            .unwrap_or_else(|| panic!("no `{k}` in {:?}", s.to_json()))
    };
    for v in ["multi_rule", "uniform", "point", "feedback_alignment", "backprop"] {
        let acc = num(&format!("{v}_accuracy_mean"));
        assert!(acc > 0.85, "{v}: {acc}");
        assert!(num(&format!("{v}_accuracy_min")) <= acc && acc <= num(&format!("{v}_accuracy_max")));
        let e = num(&format!("{v}_epochs_to_90pct"));
        assert!((1.0..=4.0).contains(&e), "{v}: {e}");
    }
    for a in ["basal_off", "apical_off", "distal_off", "lesion_apical"] {
        let r = num(&format!("ablation_{a}_retained"));
        assert!(r > 0.8 && r < 1.2, "{a}: {r}");
    }
    // Cutting the context closes every gate (a zero context is below the gate threshold).
    let r = num("ablation_lesion_distal_retained");
    assert!(r > 0.05 && r < 1.0, "lesion_distal: {r}");
    assert!(num("multi_rule_minus_backprop_points").abs() < 10.0);
    assert_eq!(num("train_rows"), 1442.0);
    assert_eq!(results(&run(&p, 1)), results(&s), "1 thread = 2 threads");
}

/// With the task as distal context and sparse gates, the multi-rule network keeps its first
/// tasks better than an MLP trained the same way, and switching the distal input off at the
/// start of the last task (a lesion) costs accuracy.
#[test]
fn distal_context_protects_earlier_tasks() {
    let spec = builtin("continual").unwrap().spec().unwrap();
    let mut p: LearningParams = spec.params().unwrap();
    p.tasks = 3;
    p.epochs = 3;
    p.seeds = 1;
    p.net.hidden = vec![512];
    p.variants = vec![Variant::MultiRule, Variant::Backprop];
    p.ablations = vec![Ablation::LesionDistal];
    p.lesion_epoch = 6;
    let s = run(&p, 2);
    let tasks = |k: &str| -> Vec<f64> {
        s.get(k)
            .and_then(|v| v.as_array())
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let (mr, bp) = (tasks("multi_rule_task_accuracy"), tasks("backprop_task_accuracy"));
    println!(
        "after 3 tasks: multi-rule {mr:?}, backprop {bp:?}, summary {:?}",
        s.to_json()
    );
    assert_eq!(mr.len(), 3);
    assert!(mr[0] > bp[0] + 0.1, "first task kept: {} vs {}", mr[0], bp[0]);
    let num = |k: &str| s.number(k).unwrap();
    assert!(num("multi_rule_accuracy_mean") > num("backprop_accuracy_mean"));
    assert!(
        num("ablation_lesion_distal_retained") < 0.95,
        "{}",
        num("ablation_lesion_distal_retained")
    );
}

#[test]
fn missing_mnist_says_how_to_get_it() {
    let p = LearningParams {
        dataset: DatasetName::Mnist,
        data_dir: Some(std::env::temp_dir().join("dendra-no-such-dir")),
        ..LearningParams::default()
    };
    let Err(e) = benchmark(&p, &RunOptions::default()) else {
        panic!("ran without data")
    };
    assert!(e.is_bad_input());
    assert!(e.to_string().contains("fetch_mnist.py"), "{e}");
}

#[test]
fn bad_params_name_their_key() {
    let text = include_str!("../../../examples/digits.toml").replace(
        "apical = { name = \"reward_modulated\"",
        "apical = { name = \"pair_stdp\"",
    );
    let text = text.replace(
        ", eta = 0.005, a_plus = 1.0, tau_cons_ms = 1000.0, w_min = -1.0, w_max = 1.0 }",
        " }",
    );
    let spec = dendra_spec::Spec::parse("d.toml", &text).unwrap();
    let Err(e) = run_spec(&spec, &RunOptions::default()) else {
        panic!("pair_stdp accepted in the rate engine")
    };
    assert!(e.is_bad_input());
    let msg = e.to_string();
    assert!(
        msg.contains("params.net.rules.apical.name") && msg.contains("rate form"),
        "{msg}"
    );
    let text = include_str!("../../../examples/digits.toml").replace("seeds = 5", "seeds = 0");
    let spec = dendra_spec::Spec::parse("d.toml", &text).unwrap();
    let Err(e) = run_spec(&spec, &RunOptions::default()) else {
        panic!("0 seeds accepted")
    };
    assert!(e.to_string().contains("params.seeds"), "{e}");
    let text =
        include_str!("../../../examples/digits.toml").replace("batch = 32", "batch = 32\nbatchsize = 3");
    let spec = dendra_spec::Spec::parse("d.toml", &text).unwrap();
    let e = spec.params::<LearningParams>().unwrap_err().to_string();
    assert!(e.contains("d.toml:") && e.contains("batchsize"), "{e}");
}
