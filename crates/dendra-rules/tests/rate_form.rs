//! The rate forms of the rules: closed forms per rule, and the factorised (batched) update equal
//! to the per-synapse one.

use dendra_rules::rules::{BranchSpecific, DendriticPrediction, RewardModulated};
use dendra_rules::{AnyRule, RateCompartment, RateForm, RateSignals, WeightBounds};

fn sig(pre: f64, post: f64, prediction: f64, modulator: f64) -> RateSignals {
    RateSignals {
        dt_ms: 1.0,
        pre,
        post,
        prediction,
        modulator,
        ..RateSignals::default()
    }
}

#[test]
fn dendritic_prediction_moves_by_eta_times_error_times_input() {
    let r = DendriticPrediction {
        eta: 0.1,
        ..DendriticPrediction::default()
    };
    let mut w = 0.5;
    r.on_rate(&mut w, &mut 0.0, &sig(2.0, 1.5, 1.0, 0.0));
    assert!((w - (0.5 + 0.1 * 0.5 * 2.0)).abs() < 1e-12, "{w}");
    // A correct prediction changes nothing, whatever the input.
    let before = w;
    r.on_rate(&mut w, &mut 0.0, &sig(7.0, 1.2, 1.2, 3.0));
    assert_eq!(w, before);
}

#[test]
fn reward_modulated_needs_the_modulator_and_consolidates_what_it_learned() {
    let r = RewardModulated {
        eta: 0.1,
        a_plus: 1.0,
        tau_cons_ms: 100.0,
        w_min: -10.0,
        w_max: 10.0,
        ..RewardModulated::default()
    };
    let (mut w, mut labile) = (1.0, 0.0);
    r.on_rate(&mut w, &mut labile, &sig(2.0, 3.0, 0.0, 0.0));
    assert_eq!((w, labile), (1.0, 0.0), "no modulator, no change");
    r.on_rate(&mut w, &mut labile, &sig(2.0, 3.0, 0.0, -0.5));
    let dw = 0.1 * -0.5 * 2.0 * 3.0;
    let stay = (-1.0f64 / 100.0).exp();
    assert!((w - (1.0 + dw)).abs() < 1e-12, "{w}");
    assert!((labile - dw * stay).abs() < 1e-12, "{labile}");
    // Without further learning the weight stays and its labile part decays into the stable one.
    for _ in 0..1000 {
        r.on_rate(&mut w, &mut labile, &sig(2.0, 3.0, 0.0, 0.0));
    }
    assert!((w - (1.0 + dw)).abs() < 1e-12, "{w}");
    assert!((labile - dw * stay.powi(1001)).abs() < 1e-12, "{labile}");
}

#[test]
fn branch_specific_selects_active_inputs_of_the_winning_segment_only() {
    let r = BranchSpecific {
        a_plus: 0.2,
        a_het: 0.05,
        bounds: WeightBounds::hard(0.0, 1.0),
        ..BranchSpecific::default()
    };
    let step = |pre: f64, post: f64| {
        let mut w = 0.5;
        r.on_rate(&mut w, &mut 0.0, &sig(pre, post, 0.0, 0.0));
        w
    };
    assert!(
        (step(1.0, 1.0) - 0.65).abs() < 1e-12,
        "active input of the winner grows"
    );
    assert!(
        (step(0.0, 1.0) - 0.45).abs() < 1e-12,
        "inactive input of the winner shrinks"
    );
    assert_eq!(step(1.0, 0.0), 0.5, "a losing segment does not learn");
}

#[test]
fn rules_without_a_rate_form_are_named() {
    let names = AnyRule::rate_names();
    for n in [
        "static",
        "oja",
        "bcm",
        "branch_specific",
        "dendritic_prediction",
        "reward_modulated",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(!names.contains(&"pair_stdp"));
    assert!(
        !AnyRule::default_named("local_coactivity")
            .unwrap()
            .has_rate_form()
    );
}

/// The factorised update over a batch (what the engine computes as a matrix product) equals
/// the sum of the per-sample changes, for every rule with a rate form.
#[test]
fn factorised_batch_update_equals_the_per_synapse_sum() {
    let samples = [(0.3, 1.2, 0.9, 0.5), (1.5, 0.2, 0.4, -1.0), (0.0, 2.0, 2.5, 0.25)];
    for name in AnyRule::rate_names() {
        let rule = AnyRule::default_named(name).unwrap();
        let w0 = 0.4;
        // Per sample, summed: the change of each sample at the starting weight.
        let direct: f64 = samples
            .iter()
            .map(|&(pre, post, prediction, modulator)| {
                let t = rule.rate_terms(&RateCompartment {
                    post,
                    prediction,
                    modulator,
                    ..RateCompartment::default()
                });
                t.hebb * rule.rate_pre(pre) + t.decay * w0 + t.offset
            })
            .sum();
        // Factorised: Σ hebb ⊗ g(pre) as a dot product, Σ decay and Σ offset per compartment.
        let (mut hebb, mut decay, mut offset) = (0.0, 0.0, 0.0);
        for &(pre, post, prediction, modulator) in &samples {
            let t = rule.rate_terms(&RateCompartment {
                post,
                prediction,
                modulator,
                ..RateCompartment::default()
            });
            hebb += t.hebb * rule.rate_pre(pre);
            decay += t.decay;
            offset += t.offset;
        }
        let factorised = hebb + decay * w0 + offset;
        assert!(
            (direct - factorised).abs() < 1e-12,
            "{name}: {direct} vs {factorised}"
        );
    }
}

#[test]
fn weights_decaying_below_normal_floats_are_flushed_to_zero() {
    let rule = AnyRule::default_named("branch_specific").unwrap();
    let (mut w, mut aux) = ([1e-37f32], [0.0f32]);
    // Soft-bounded depression by 90 %: 1e-38 would be subnormal in f32.
    rule.rate_apply_all(&mut w, &mut aux, &[-0.9], 1.0);
    assert_eq!(w[0], 0.0);
    let (mut w, mut aux) = ([0.5f32], [0.0f32]);
    rule.rate_apply_all(&mut w, &mut aux, &[-0.5], 1.0);
    assert_eq!(w[0], 0.25);
}

/// The slice path (with its f32 fast path for `dendritic_prediction`) stores what the rule's
/// own `rate_apply` gives, rounded to f32.
#[test]
fn the_slice_path_stores_what_the_rule_gives() {
    let r = DendriticPrediction {
        w_min: -0.75,
        w_max: 0.5,
        ..DendriticPrediction::default()
    };
    let rule = AnyRule::DendriticPrediction(r);
    let w0: Vec<f32> = (0..200).map(|i| ((i * 37) % 101) as f32 / 80.0 - 0.6).collect();
    let dw: Vec<f32> = (0..200).map(|i| ((i * 53) % 97) as f32 / 300.0 - 0.15).collect();
    let mut w = w0.clone();
    let mut aux = vec![0.0f32; 200];
    rule.rate_apply_all(&mut w, &mut aux, &dw, 1.0);
    for i in 0..200 {
        let expected = r.rate_apply(f64::from(w0[i]), &mut 0.0, f64::from(dw[i]), 1.0) as f32;
        assert_eq!(w[i], expected, "{i}: {} + {}", w0[i], dw[i]);
    }
}

/// The batched terms read each compartment's running average of `post²` where the rule
/// declares one (BCM: `hebb = η y (y - θ)`), and 0 where the slice is empty.
#[test]
fn batched_terms_read_the_running_average() {
    use dendra_rules::TermsOut;
    use dendra_rules::rules::Bcm;
    let bcm = Bcm::default();
    assert_eq!(bcm.post_sq_avg_ms(), Some(bcm.tau_theta_ms));
    let rule = AnyRule::Bcm(bcm);
    let (post, prediction, theta) = ([2.0f32, 0.5], [0.0f32; 2], [3.0f32, 0.1]);
    let (mut hebb, mut decay, mut offset) = ([0.0f32; 2], [0.0f32; 2], [0.0f32; 2]);
    let out = |hebb: &mut [f32; 2], decay: &mut [f32; 2], offset: &mut [f32; 2]| {
        rule.rate_terms_row(
            (&post, &prediction, &theta),
            0.0,
            TermsOut { hebb, decay, offset },
        );
    };
    out(&mut hebb, &mut decay, &mut offset);
    for j in 0..2 {
        let expected = bcm.eta * f64::from(post[j]) * f64::from(post[j] - theta[j]);
        assert!(
            (f64::from(hebb[j]) - expected).abs() < 1e-9,
            "{j}: {} vs {expected}",
            hebb[j]
        );
    }
    assert!(
        hebb[0] < 0.0 && hebb[1] > 0.0,
        "below θ depresses, above potentiates: {hebb:?}"
    );
}
