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
