//! One interface over the rate engine's learners, so benchmarks train every variant the same
//! way: the same epochs, batches and orders from the same seed.

use dendra_core::{Purpose, StreamKey};
use ndarray::{ArrayView2, s};
use rand::seq::SliceRandom;

use crate::mlp::{self, Learning, Mlp};
use crate::pyramidal::{self, PyramidalNet};

/// A learner with its training buffers.
#[derive(Debug, Clone)]
pub enum Model {
    /// A multilayer perceptron (backprop or feedback alignment), learning rate `lr`.
    Mlp {
        /// The network.
        net: Mlp,
        /// Its buffers.
        ws: Box<mlp::Workspace>,
        /// How errors reach hidden layers.
        learning: Learning,
        /// SGD learning rate.
        lr: f32,
        /// The batch's labels.
        labels: Vec<u8>,
    },
    /// Pyramidal units with local rules.
    Pyramidal {
        /// The network.
        net: Box<PyramidalNet>,
        /// Its buffers.
        ws: Box<pyramidal::Workspace>,
    },
}

/// What one epoch of training did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRecord {
    /// Mean training loss over the epoch's batches (before each update).
    pub train_loss: f64,
    /// Fraction of training samples the model classified right (before each update).
    pub train_accuracy: f64,
    /// Wall time of the epoch's updates (s).
    pub seconds: f64,
}

impl Model {
    /// An MLP learner for batches of `batch` rows.
    pub fn mlp(net: Mlp, learning: Learning, lr: f32, batch: usize) -> Model {
        let ws = Box::new(net.workspace(batch));
        Model::Mlp {
            net,
            ws,
            learning,
            lr,
            labels: vec![0; batch],
        }
    }

    /// A pyramidal learner for batches of `batch` rows.
    pub fn pyramidal(net: PyramidalNet, batch: usize) -> Model {
        let ws = Box::new(net.workspace(batch));
        Model::Pyramidal {
            net: Box::new(net),
            ws,
        }
    }

    fn batch(&self) -> usize {
        match self {
            Model::Mlp { labels, .. } => labels.len(),
            Model::Pyramidal { ws, .. } => ws.rows(),
        }
    }

    /// One epoch over `(x, y)` in context `task`, in an order drawn from `(seed, epoch)`;
    /// whole batches only (the remainder, a different part each epoch, is left out).
    pub fn fit_epoch(
        &mut self,
        x: ArrayView2<f32>,
        y: &[u8],
        task: usize,
        seed: u64,
        epoch: u64,
    ) -> EpochRecord {
        let started = std::time::Instant::now();
        let batch = self.batch();
        let mut order: Vec<usize> = (0..x.nrows()).collect();
        order.shuffle(&mut StreamKey::new(seed, Purpose::Task, 20 + task as u32, epoch).rng());
        let (mut loss, mut right, mut seen, mut batches) = (0.0, 0usize, 0usize, 0usize);
        for chunk in order.chunks_exact(batch) {
            let (l, r) = match self {
                Model::Mlp {
                    net,
                    ws,
                    learning,
                    lr,
                    labels,
                } => {
                    for (row, &i) in chunk.iter().enumerate() {
                        ws.input_row_mut(row).assign(&x.row(i));
                        labels[row] = y[i];
                    }
                    net.step_counting(ws, labels, *lr, *learning)
                }
                Model::Pyramidal { net, ws } => {
                    ws.load(x, y, chunk, task);
                    net.step(ws)
                }
            };
            loss += l;
            right += r;
            seen += chunk.len();
            batches += 1;
        }
        EpochRecord {
            train_loss: loss / batches.max(1) as f64,
            train_accuracy: right as f64 / seen.max(1) as f64,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// Fraction of rows of `x` classified as `y` in context `task`.
    pub fn accuracy(&self, x: ArrayView2<f32>, y: &[u8], task: usize) -> f64 {
        let predicted: Vec<u8> = match self {
            Model::Mlp { net, .. } => {
                let p = net.predict_proba(x);
                p.rows().into_iter().map(|r| pyramidal::argmax(r) as u8).collect()
            }
            Model::Pyramidal { net, .. } => net.predict(x, task),
        };
        let right = predicted.iter().zip(y).filter(|(a, b)| a == b).count();
        right as f64 / y.len().max(1) as f64
    }

    /// The pyramidal network, if this is one (to set lesions).
    pub fn pyramidal_mut(&mut self) -> Option<&mut PyramidalNet> {
        match self {
            Model::Pyramidal { net, .. } => Some(&mut **net),
            Model::Mlp { .. } => None,
        }
    }
}

/// Apply a fixed permutation of the columns of `x` (permuted tasks).
pub fn permute_columns(x: ArrayView2<f32>, perm: &[usize]) -> ndarray::Array2<f32> {
    let mut out = ndarray::Array2::zeros(x.raw_dim());
    for (j, &p) in perm.iter().enumerate() {
        out.slice_mut(s![.., j]).assign(&x.column(p));
    }
    out
}
