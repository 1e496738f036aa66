//! Multilayer perceptrons trained with backprop or with feedback alignment: the non-local
//! baselines against which dendra's local multi-rule units are measured (never rules
//! themselves).
//!
//! Hidden layers are ReLU, the output is softmax with cross-entropy loss. For a batch of `m`
//! rows with activations `h_0 = X`, `h_l = relu(h_{l-1} W_lᵀ + b_l)` and `p = softmax(z_L)`:
//!
//! ```text
//! δ_L = (p - onehot(y)) / m
//! δ_l = (δ_{l+1} M_{l+1}) ⊙ relu'(z_l)        M = W (backprop) or a fixed random B (feedback alignment)
//! W_l <- W_l - η δ_lᵀ h_{l-1},   b_l <- b_l - η Σ_rows δ_l
//! ```
//!
//! Feedback alignment (Lillicrap et al., Nat. Commun. 2016) sends the error back through fixed
//! random matrices `B_l` of the shape of `W_l` instead of the forward weights. Weights start
//! He-normal (`N(0, 2 / fan_in)`), `B` with the same scale, biases 0, all drawn from the seed's
//! streams. Training is minibatch SGD over an epoch order shuffled from the seed; the training
//! step allocates nothing (buffers are sized once per batch size).

use dendra_core::{Purpose, StreamKey};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, s};
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Normal};

/// How errors reach the hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learning {
    /// Through the transposed forward weights.
    Backprop,
    /// Through fixed random feedback matrices.
    FeedbackAlignment,
}

/// A multilayer perceptron.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// Weights per layer (`out × in`).
    pub w: Vec<Array2<f32>>,
    /// Biases per layer.
    pub b: Vec<Array1<f32>>,
    /// Fixed feedback matrices per layer (shape of `w`), used by feedback alignment.
    pub feedback: Vec<Array2<f32>>,
}

/// Buffers of one training step for a given batch size.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// `z[l]`: pre-activations of layer `l` (batch × out).
    z: Vec<Array2<f32>>,
    /// `h[l]`: activations of layer `l` (batch × out); the output layer holds probabilities.
    h: Vec<Array2<f32>>,
    /// Errors per layer (batch × out).
    delta: Vec<Array2<f32>>,
    /// Weight gradients per layer.
    grad: Vec<Array2<f32>>,
    /// Bias gradients per layer.
    grad_b: Vec<Array1<f32>>,
    /// The input batch.
    x: Array2<f32>,
}

impl Workspace {
    /// Row `row` of the input batch, to fill in place.
    pub fn input_row_mut(&mut self, row: usize) -> ndarray::ArrayViewMut1<'_, f32> {
        self.x.row_mut(row)
    }

    /// Copy a batch of inputs (`rows × features`, the workspace's size) in.
    pub fn set_input(&mut self, x: ArrayView2<f32>) {
        self.x.assign(&x);
    }
}

impl Mlp {
    /// A network with layer sizes `sizes` (input, hidden..., output), initialised from `seed`.
    pub fn new(sizes: &[usize], seed: u64) -> Mlp {
        let mut w = Vec::new();
        let mut b = Vec::new();
        let mut feedback = Vec::new();
        for (l, pair) in sizes.windows(2).enumerate() {
            let (fan_in, out) = (pair[0], pair[1]);
            let normal = Normal::new(0.0f32, (2.0 / fan_in as f32).sqrt()).expect("positive scale");
            let mut rng = StreamKey::new(seed, Purpose::Weight, 0, l as u64).rng();
            w.push(Array2::from_shape_fn((out, fan_in), |_| normal.sample(&mut rng)));
            let mut rng = StreamKey::new(seed, Purpose::Weight, 1, l as u64).rng();
            feedback.push(Array2::from_shape_fn((out, fan_in), |_| normal.sample(&mut rng)));
            b.push(Array1::zeros(out));
        }
        Mlp { w, b, feedback }
    }

    /// Number of layers with weights.
    pub fn depth(&self) -> usize {
        self.w.len()
    }

    /// Buffers for batches of `rows`.
    pub fn workspace(&self, rows: usize) -> Workspace {
        let outs: Vec<usize> = self.w.iter().map(|w| w.nrows()).collect();
        Workspace {
            z: outs.iter().map(|&o| Array2::zeros((rows, o))).collect(),
            h: outs.iter().map(|&o| Array2::zeros((rows, o))).collect(),
            delta: outs.iter().map(|&o| Array2::zeros((rows, o))).collect(),
            grad: self.w.iter().map(|w| Array2::zeros(w.raw_dim())).collect(),
            grad_b: outs.iter().map(|&o| Array1::zeros(o)).collect(),
            x: Array2::zeros((rows, self.w[0].ncols())),
        }
    }

    /// Forward pass of `ws.x` into `ws.z` and `ws.h` (the last `h` holds class probabilities).
    fn forward(&self, ws: &mut Workspace) {
        for l in 0..self.depth() {
            let z = &mut ws.z[l];
            let input = if l == 0 { ws.x.view() } else { ws.h[l - 1].view() };
            general_mat_mul(1.0, &input, &self.w[l].t(), 0.0, z);
            *z += &self.b[l];
            let h = &mut ws.h[l];
            if l + 1 < self.depth() {
                ndarray::Zip::from(&mut *h)
                    .and(&*z)
                    .for_each(|h, &z| *h = z.max(0.0));
            } else {
                h.assign(z);
                for mut row in h.rows_mut() {
                    let max = row.fold(f32::NEG_INFINITY, |a, &v| a.max(v));
                    row.mapv_inplace(|v| (v - max).exp());
                    let sum = row.sum();
                    row /= sum;
                }
            }
        }
    }

    /// Class probabilities for rows `x` (allocates; for evaluation).
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let mut ws = self.workspace(x.nrows());
        ws.x.assign(&x);
        self.forward(&mut ws);
        ws.h.pop().expect("at least one layer")
    }

    /// Accuracy and mean cross-entropy on `x`, `y`.
    pub fn evaluate(&self, x: ArrayView2<f32>, y: &[u8]) -> (f64, f64) {
        let p = self.predict_proba(x);
        let (mut right, mut loss) = (0usize, 0.0f64);
        for (row, &label) in p.rows().into_iter().zip(y) {
            let best = crate::pyramidal::argmax(row);
            right += usize::from(best == label as usize);
            loss -= f64::from(row[label as usize].max(1e-12)).ln();
        }
        (right as f64 / y.len().max(1) as f64, loss / y.len().max(1) as f64)
    }

    /// [`Mlp::step`], also returning how many rows the network classified right before it.
    pub fn step_counting(
        &mut self,
        ws: &mut Workspace,
        y: &[u8],
        lr: f32,
        learning: Learning,
    ) -> (f64, usize) {
        let loss = self.step(ws, y, lr, learning);
        let p = &ws.h[self.depth() - 1];
        let right = p
            .rows()
            .into_iter()
            .zip(y)
            .filter(|(row, label)| crate::pyramidal::argmax(*row) == **label as usize)
            .count();
        (loss, right)
    }

    /// One SGD step on the batch already in `ws.x` with labels `y`; returns the batch's mean
    /// cross-entropy before the step.
    pub fn step(&mut self, ws: &mut Workspace, y: &[u8], lr: f32, learning: Learning) -> f64 {
        self.forward(ws);
        let m = y.len() as f32;
        let last = self.depth() - 1;
        let mut loss = 0.0f64;
        {
            let (p, d) = (&ws.h[last], &mut ws.delta[last]);
            d.assign(p);
            for (i, &label) in y.iter().enumerate() {
                loss -= f64::from(p[[i, label as usize]].max(1e-12)).ln();
                d[[i, label as usize]] -= 1.0;
            }
            d.mapv_inplace(|v| v / m);
        }
        for l in (0..self.depth()).rev() {
            if l > 0 {
                let back = match learning {
                    Learning::Backprop => &self.w[l],
                    Learning::FeedbackAlignment => &self.feedback[l],
                };
                let (lower, upper) = ws.delta.split_at_mut(l);
                general_mat_mul(1.0, &upper[0], back, 0.0, &mut lower[l - 1]);
                ndarray::Zip::from(&mut lower[l - 1])
                    .and(&ws.z[l - 1])
                    .for_each(|d, &z| {
                        if z <= 0.0 {
                            *d = 0.0;
                        }
                    });
            }
            let input = if l == 0 { ws.x.view() } else { ws.h[l - 1].view() };
            general_mat_mul(1.0, &ws.delta[l].t(), &input, 0.0, &mut ws.grad[l]);
            self.w[l].scaled_add(-lr, &ws.grad[l]);
            let db = &mut ws.grad_b[l];
            db.fill(0.0);
            for row in ws.delta[l].rows() {
                *db += &row;
            }
            self.b[l].scaled_add(-lr, &*db);
        }
        loss / f64::from(m)
    }
}

/// Settings of [`train`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainParams {
    /// Learning rate.
    pub lr: f32,
    /// Rows per batch.
    pub batch: usize,
    /// Epochs.
    pub epochs: usize,
    /// How errors reach hidden layers.
    pub learning: Learning,
    /// Seed of the epoch orders.
    pub seed: u64,
}

/// One epoch's record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochStats {
    /// Epoch (1-based).
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Test accuracy after the epoch.
    pub test_accuracy: f64,
    /// Wall time of the epoch's training (s).
    pub seconds: f64,
}

/// Train on `(x, y)` (rows × features) and evaluate on `(xt, yt)` after each epoch.
pub fn train(
    mlp: &mut Mlp,
    (x, y): (ArrayView2<f32>, &[u8]),
    (xt, yt): (ArrayView2<f32>, &[u8]),
    p: &TrainParams,
) -> Vec<EpochStats> {
    let rows = x.nrows();
    let batch = p.batch.clamp(1, rows.max(1));
    let mut ws = mlp.workspace(batch);
    let mut order: Vec<usize> = (0..rows).collect();
    let mut labels = vec![0u8; batch];
    let mut out = Vec::with_capacity(p.epochs);
    for epoch in 1..=p.epochs {
        let started = std::time::Instant::now();
        order.sort_unstable();
        order.shuffle(&mut StreamKey::new(p.seed, Purpose::Task, 20, epoch as u64).rng());
        let (mut loss, mut batches) = (0.0, 0usize);
        // Whole batches only (the remainder of an epoch is left out, a different part each time).
        for chunk in order.chunks_exact(batch) {
            for (r, &i) in chunk.iter().enumerate() {
                ws.x.slice_mut(s![r, ..]).assign(&x.row(i));
                labels[r] = y[i];
            }
            loss += mlp.step(&mut ws, &labels, p.lr, p.learning);
            batches += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        let (acc, _) = mlp.evaluate(xt, yt);
        out.push(EpochStats {
            epoch,
            train_loss: loss / batches.max(1) as f64,
            test_accuracy: acc,
            seconds,
        });
    }
    out
}
