//! The baselines: exact gradients, feedback alignment's relation to backprop, learning the
//! digits, determinism.

use dendra_rate::{Learning, Mlp, TrainParams, train};
use ndarray::{Array2, ArrayView2};

fn batch(rows: usize, cols: usize, seed: u32) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        (((i * 31 + j * 17) as u32 ^ seed) % 97) as f32 / 97.0 - 0.3
    })
}

/// Mean cross-entropy of `mlp` on a batch.
fn loss(mlp: &Mlp, x: ArrayView2<f32>, y: &[u8]) -> f64 {
    mlp.evaluate(x, y).1
}

#[test]
fn backprop_gradients_match_finite_differences() {
    let x = batch(6, 5, 3);
    let y = [0u8, 2, 1, 2, 0, 1];
    let mlp = Mlp::new(&[5, 7, 4, 3], 11);
    // The gradient the step applies: Δw = -lr · grad.
    let lr = 1e-3f32;
    let mut stepped = mlp.clone();
    let mut ws = stepped.workspace(6);
    ws.set_input(x.view());
    stepped.step(&mut ws, &y, lr, Learning::Backprop);
    for (l, (i, j)) in [(0, (1, 2)), (0, (6, 4)), (1, (2, 3)), (2, (0, 1)), (2, (2, 3))] {
        let analytic = f64::from(mlp.w[l][[i, j]] - stepped.w[l][[i, j]]) / f64::from(lr);
        let eps = 1e-2f32;
        let (mut up, mut down) = (mlp.clone(), mlp.clone());
        up.w[l][[i, j]] += eps;
        down.w[l][[i, j]] -= eps;
        let numeric = (loss(&up, x.view(), &y) - loss(&down, x.view(), &y)) / (2.0 * f64::from(eps));
        assert!(
            (analytic - numeric).abs() < 2e-3 + 0.02 * numeric.abs(),
            "layer {l} ({i},{j}): {analytic} vs {numeric}"
        );
    }
}

#[test]
fn feedback_alignment_with_symmetric_feedback_is_backprop() {
    let x = batch(8, 5, 9);
    let y = [0u8, 1, 2, 0, 1, 2, 0, 1];
    let mut a = Mlp::new(&[5, 6, 6, 3], 4);
    a.feedback = a.w.clone();
    let mut b = a.clone();
    let mut wa = a.workspace(8);
    let mut wb = b.workspace(8);
    wa.set_input(x.view());
    wb.set_input(x.view());
    a.step(&mut wa, &y, 0.1, Learning::FeedbackAlignment);
    b.step(&mut wb, &y, 0.1, Learning::Backprop);
    assert_eq!(a.w, b.w);
    // With random feedback the hidden updates differ, the output layer's do not.
    let mut c = Mlp::new(&[5, 6, 6, 3], 4);
    let mut wc = c.workspace(8);
    wc.set_input(x.view());
    c.step(&mut wc, &y, 0.1, Learning::FeedbackAlignment);
    assert_eq!(c.w[2], b.w[2]);
    assert_ne!(c.w[0], b.w[0]);
}

fn digits() -> (Array2<f32>, Vec<u8>, Array2<f32>, Vec<u8>) {
    let d = dendra_io::datasets::digits();
    let tr = Array2::from_shape_vec((d.train.rows, d.train.features), d.train.x).unwrap();
    let te = Array2::from_shape_vec((d.test.rows, d.test.features), d.test.x).unwrap();
    (tr, d.train.y, te, d.test.y)
}

fn run(learning: Learning, seed: u64) -> (Mlp, Vec<dendra_rate::EpochStats>) {
    let (x, y, xt, yt) = digits();
    let mut mlp = Mlp::new(&[64, 128, 10], seed);
    let p = TrainParams {
        lr: 0.1,
        batch: 32,
        epochs: 40,
        learning,
        seed,
    };
    let h = train(&mut mlp, (x.view(), &y), (xt.view(), &yt), &p);
    (mlp, h)
}

#[test]
fn both_baselines_learn_the_digits() {
    let (_, bp) = run(Learning::Backprop, 1);
    let (_, fa) = run(Learning::FeedbackAlignment, 1);
    let (bp_acc, fa_acc) = (bp.last().unwrap().test_accuracy, fa.last().unwrap().test_accuracy);
    println!("digits test accuracy after 40 epochs: backprop {bp_acc:.3}, feedback alignment {fa_acc:.3}");
    assert!(bp_acc >= 0.95, "backprop {bp_acc}");
    assert!(fa_acc >= 0.90, "feedback alignment {fa_acc}");
    assert!(bp[0].train_loss > bp.last().unwrap().train_loss);
}

#[test]
fn a_seed_fixes_the_run() {
    let (a, _) = run(Learning::Backprop, 7);
    let (b, _) = run(Learning::Backprop, 7);
    let (c, _) = run(Learning::Backprop, 8);
    assert_eq!(a, b);
    assert_ne!(a, c);
}
