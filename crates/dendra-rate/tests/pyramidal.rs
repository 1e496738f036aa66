//! Pyramidal units with local rules: learning the digits, relation to feedback alignment,
//! context gating, determinism.

use dendra_rate::{Model, NetParams, PyramidalNet};
use ndarray::Array2;

fn digits() -> (Array2<f32>, Vec<u8>, Array2<f32>, Vec<u8>) {
    let d = dendra_io::datasets::digits();
    let tr = Array2::from_shape_vec((d.train.rows, d.train.features), d.train.x).unwrap();
    let te = Array2::from_shape_vec((d.test.rows, d.test.features), d.test.x).unwrap();
    (tr, d.train.y, te, d.test.y)
}

/// The largest absolute entry.
fn max_abs(a: &Array2<f32>) -> f32 {
    a.iter().map(|v| v.abs()).fold(0.0f32, f32::max)
}

fn fit(params: &NetParams, seed: u64, epochs: u64) -> (Model, Vec<f64>) {
    let (x, y, xt, yt) = digits();
    let net = PyramidalNet::new(64, 1, 10, params, seed).unwrap();
    let mut model = Model::pyramidal(net, 32);
    let mut curve = Vec::new();
    for e in 1..=epochs {
        model.fit_epoch(x.view(), &y, 0, seed, e);
        curve.push(model.accuracy(xt.view(), &yt, 0));
    }
    (model, curve)
}

#[test]
fn multi_rule_units_learn_the_digits() {
    let (_, curve) = fit(&NetParams::default(), 1, 40);
    println!("multi-rule digits test accuracy by epoch: {curve:?}");
    assert!(*curve.last().unwrap() > 0.9, "{curve:?}");
}

/// Gates held open, no k-WTA, static apical synapses and a weak teacher: the local rules then
/// make the update of feedback alignment (with `B` = the FA feedback matrix, transposed).
#[test]
fn with_open_gates_and_a_weak_teacher_local_learning_is_feedback_alignment() {
    use dendra_rate::{Learning, Mlp, RuleAssignment};
    use dendra_rules::AnyRule;
    use dendra_rules::rules::{DendriticPrediction, Static};
    let (x, y, _, _) = digits();
    let (lr, beta) = (0.05f32, 1e-3);
    let dp = AnyRule::DendriticPrediction(DendriticPrediction {
        eta: f64::from(lr) / beta,
        w_min: -1e3,
        w_max: 1e3,
        ..DendriticPrediction::default()
    });
    let params = NetParams {
        hidden: vec![32],
        gate_threshold: -100.0,
        nudging: beta,
        rules: RuleAssignment {
            basal: dp,
            output: dp,
            apical: AnyRule::Static(Static {}),
            distal: AnyRule::Static(Static {}),
        },
        ..NetParams::default()
    };
    let mlp = Mlp::new(&[64, 32, 10], 3);
    let mut net = PyramidalNet::new(64, 1, 10, &params, 3).unwrap();
    let join = |w: &Array2<f32>, b: &ndarray::Array1<f32>| {
        ndarray::concatenate(
            ndarray::Axis(1),
            &[w.view(), b.view().insert_axis(ndarray::Axis(1))],
        )
        .unwrap()
    };
    net.hidden[0].basal.w = join(&mlp.w[0], &mlp.b[0]);
    net.output.w = join(&mlp.w[1], &mlp.b[1]);
    net.hidden[0].apical.w = mlp.feedback[1].t().as_standard_layout().into_owned();
    let idx: Vec<usize> = (0..16).collect();
    let mut ws = net.workspace(16);
    ws.load(x.view(), &y, &idx, 0);
    let before = net.clone();
    net.step(&mut ws);
    let mut fa = mlp.clone();
    let mut fws = fa.workspace(16);
    fws.set_input(x.slice(ndarray::s![..16, ..]));
    fa.step(&mut fws, &y[..16], lr, Learning::FeedbackAlignment);
    let local = &net.hidden[0].basal.w - &before.hidden[0].basal.w;
    let reference = join(&(&fa.w[0] - &mlp.w[0]), &(&fa.b[0] - &mlp.b[0]));
    let (scale, worst) = (max_abs(&reference), max_abs(&(&local - &reference)));
    assert!(scale > 1e-4, "the step changes the hidden weights: {scale}");
    assert!(
        worst < 0.02 * scale,
        "hidden: worst difference {worst} vs largest change {scale}"
    );
    let local = &net.output.w - &before.output.w;
    let reference = join(&(&fa.w[1] - &mlp.w[1]), &(&fa.b[1] - &mlp.b[1]));
    let (scale, worst) = (max_abs(&reference), max_abs(&(&local - &reference)));
    assert!(
        worst < 0.02 * scale,
        "output: worst difference {worst} vs largest change {scale}"
    );
}

#[test]
fn a_seed_fixes_the_run_and_another_seed_changes_it() {
    let small = NetParams {
        hidden: vec![24],
        ..NetParams::default()
    };
    let (a, _) = fit(&small, 5, 2);
    let (b, _) = fit(&small, 5, 2);
    let (c, _) = fit(&small, 6, 2);
    let weights = |m: &Model| match m {
        Model::Pyramidal { net, .. } => net.clone(),
        Model::Mlp { .. } => unreachable!(),
    };
    assert_eq!(weights(&a), weights(&b));
    assert_ne!(weights(&a), weights(&c));
}

/// The winning segment of an active unit grows its synapse from the present context and
/// loses the others (branch_specific); losing segments and silent units do not change.
#[test]
fn branch_specific_segments_select_the_context_they_won_in() {
    let (x, y, _, _) = digits();
    let params = NetParams {
        hidden: vec![16],
        segments: 3,
        // No apical nudging, so the rate the segments sense is the free one.
        apical_gain: 0.0,
        ..NetParams::default()
    };
    let mut net = PyramidalNet::new(64, 4, 10, &params, 9).unwrap();
    let before = net.hidden[0].distal.w.clone();
    let mut ws = net.workspace(1);
    ws.load(x.view(), &y, &[0], 2);
    let rates = {
        let n = net.clone();
        let mut w = n.workspace(1);
        w.load(x.view(), &y, &[0], 2);
        n.free_rates(&mut w)
    };
    net.step(&mut ws);
    let after = &net.hidden[0].distal.w;
    let mut grew = 0;
    for (unit, &rate) in rates.iter().enumerate() {
        let segs = |u: &Array2<f32>| (0..3).map(|k| u.row(unit * 3 + k).to_owned()).collect::<Vec<_>>();
        let (b, a) = (segs(&before), segs(after));
        let winner = (0..3).fold(0, |w, k| if b[k][2] > b[w][2] { k } else { w });
        for k in 0..3 {
            if k != winner || rate == 0.0 {
                assert_eq!(a[k], b[k], "unit {unit} segment {k} (rate {rate})");
            } else {
                assert!(a[k][2] > b[k][2], "present context grows");
                for c in [0, 1, 3] {
                    assert!(a[k][c] < b[k][c], "absent contexts shrink");
                }
                grew += 1;
            }
        }
    }
    assert!(grew > 0, "some units were active");
}

/// Switching a compartment's rule to `static` freezes exactly its synapses; a lesioned apical
/// input leaves the hidden units un-nudged, so error-correcting basal synapses stop changing.
#[test]
fn static_rules_and_lesions_freeze_what_they_should() {
    use dendra_rules::AnyRule;
    use dendra_rules::rules::Static;
    let (x, y, _, _) = digits();
    let mut params = NetParams {
        hidden: vec![16],
        ..NetParams::default()
    };
    params.rules.distal = AnyRule::Static(Static {});
    params.rules.apical = AnyRule::Static(Static {});
    let mut net = PyramidalNet::new(64, 1, 10, &params, 2).unwrap();
    let before = net.clone();
    let idx: Vec<usize> = (0..8).collect();
    let mut ws = net.workspace(8);
    ws.load(x.view(), &y, &idx, 0);
    net.step(&mut ws);
    assert_eq!(net.hidden[0].distal, before.hidden[0].distal);
    assert_eq!(net.hidden[0].apical, before.hidden[0].apical);
    assert_ne!(net.hidden[0].basal, before.hidden[0].basal);
    let mut lesioned = before.clone();
    lesioned.lesions.apical = true;
    lesioned.step(&mut ws);
    assert_eq!(lesioned.hidden[0].basal, before.hidden[0].basal);
    assert_ne!(
        lesioned.output, before.output,
        "the output still learns from its teacher"
    );
}

#[test]
fn bad_parameters_name_the_key() {
    let e = PyramidalNet::new(
        64,
        1,
        10,
        &NetParams {
            hidden: vec![],
            ..NetParams::default()
        },
        1,
    )
    .unwrap_err();
    assert!(e.to_string().contains("hidden"), "{e}");
    let mut p = NetParams::default();
    p.rules.apical = dendra_rules::AnyRule::default_named("pair_stdp").unwrap();
    let e = PyramidalNet::new(64, 1, 10, &p, 1).unwrap_err().to_string();
    assert!(e.contains("rules.apical") && e.contains("rate form"), "{e}");
    let e = PyramidalNet::new(
        64,
        1,
        10,
        &NetParams {
            nudging: 0.0,
            ..NetParams::default()
        },
        1,
    )
    .unwrap_err();
    assert!(e.to_string().contains("nudging"), "{e}");
}

/// A step's per-sample work runs in parallel over the batch; the result is the same for any
/// number of threads.
#[test]
fn a_step_does_not_depend_on_the_thread_count() {
    let (x, y, _, _) = digits();
    let params = NetParams {
        hidden: vec![64, 32],
        active_fraction: 0.3,
        ..NetParams::default()
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut net = PyramidalNet::new(64, 1, 10, &params, 4).unwrap();
            let mut ws = net.workspace(48);
            for b in 0..10 {
                let idx: Vec<usize> = (b * 48..(b + 1) * 48).collect();
                ws.load(x.view(), &y, &idx, 0);
                net.step(&mut ws);
            }
            net
        })
    };
    assert_eq!(run(1), run(2));
}

/// BCM in the rate engine reads a sliding threshold that the engine keeps per compartment: the
/// running average of `post²` (it used to stay at 0, so BCM only ever potentiated). With `η = 0`
/// and one sample per batch, each basal compartment's average must converge to its unit's
/// squared rate.
#[test]
fn bcm_threshold_tracks_each_units_squared_rate() {
    use dendra_rate::RuleAssignment;
    use dendra_rules::AnyRule;
    use dendra_rules::rules::{Bcm, Static};
    let (x, y, _, _) = digits();
    let params = NetParams {
        hidden: vec![16],
        gate_threshold: -100.0,
        nudging: 1e-9,
        rules: RuleAssignment {
            basal: AnyRule::Bcm(Bcm {
                eta: 0.0,
                tau_theta_ms: 20.0,
                ..Bcm::default()
            }),
            output: AnyRule::Static(Static {}),
            apical: AnyRule::Static(Static {}),
            distal: AnyRule::Static(Static {}),
        },
        ..NetParams::default()
    };
    let mut net = PyramidalNet::new(64, 1, 10, &params, 5).unwrap();
    let mut ws = net.workspace(1);
    ws.load(x.view(), &y, &[7], 0);
    let rates = net.free_rates(&mut ws);
    assert!(rates.iter().filter(|&&r| r > 0.05).count() >= 4, "{rates:?}");
    let theta = |net: &PyramidalNet| net.hidden[0].basal.post_sq_avg.clone();
    assert!(theta(&net).iter().all(|&t| t == 0.0));
    net.step(&mut ws);
    // One update of 1 ms: θ = (1 - e^{-1/20}) y².
    for (t, r) in theta(&net).iter().zip(&rates) {
        let expected = (1.0 - (-1.0f64 / 20.0).exp()) * f64::from(*r).powi(2);
        assert!(
            (f64::from(*t) - expected).abs() <= 1e-5 * (1.0 + expected),
            "{t} vs {expected}"
        );
    }
    for _ in 0..400 {
        net.step(&mut ws);
    }
    for (t, r) in theta(&net).iter().zip(&rates) {
        let expected = f64::from(*r).powi(2);
        assert!(
            (f64::from(*t) - expected).abs() <= 1e-4 * (1.0 + expected),
            "{t} vs {expected}"
        );
    }
    // The other compartments keep no average.
    assert!(net.hidden[0].apical.post_sq_avg.iter().all(|&t| t == 0.0));
}
