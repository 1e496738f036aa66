//! The NeuroAI benchmarks: do units whose compartments follow different local rules learn real
//! tasks as well as, faster than and more robustly than uniform single-rule units, and how do
//! they compare with feedback alignment and backprop?
//!
//! Every learner trains on the same data, batches, epochs and seeds (`seed`, `seed + 1`, ...,
//! one run per seed), and is scored on the held-out test set after every epoch. With
//! `tasks > 1` the tasks are fixed pixel permutations of the data set, learned one after
//! another with the task's index as the distal context (permuted-task continual learning, as in
//! Iyer et al. 2022); each epoch's score is then the mean test accuracy over the tasks seen so
//! far, and the result is that mean over all tasks after the last.
//!
//! Summary keys, for each learner `V` in `variants` (`multi_rule`, `uniform`, `point`,
//! `feedback_alignment`, `backprop`) and each robustness test `A` in `ablations`:
//!
//! | key | meaning |
//! |---|---|
//! | `V_accuracy_mean`, `_sd`, `_min`, `_max` | final test accuracy over seeds (continual: mean over all tasks after the last) |
//! | `V_epochs_to_90pct` | single task only: mean over seeds of the first epoch whose test accuracy reaches 90 % of the run's final one |
//! | `V_seconds_to_90pct` | single task only: mean training wall time until then (s; runs share the threads) |
//! | `V_seconds_per_epoch` | mean training wall time per epoch (s) |
//! | `V_task_accuracy` | continual only: mean accuracy on each task after the last (array) |
//! | `ablation_A_accuracy_mean`, `_sd` | the multi-rule network with `A` |
//! | `ablation_A_retained` | `ablation_A_accuracy_mean / multi_rule_accuracy_mean` |
//! | `multi_rule_minus_V_points` | difference of mean final accuracies, in percentage points |
//! | `dataset`, `train_rows`, `test_rows`, `tasks`, `epochs`, `seeds` | what ran |

mod params;

pub use params::{Ablation, DatasetName, LearningParams, Variant};

use dendra_core::{Purpose, StreamKey};
use dendra_io::datasets::{self, IdxSet};
use dendra_rate::model::permute_columns;
use dendra_rate::{Learning, Mlp, Model, PyramidalNet, UnitKind};
use dendra_rules::AnyRule;
use dendra_rules::rules::Static;
use dendra_spec::Spec;
use ndarray::{Array2, CowArray, Ix2, s};
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::{ExperimentError, Outcome, RunOptions, Summary};
use dendra_io::learning_io::{CurvePoint, LearningCurves};

/// A data set as matrices.
struct Data {
    x: Array2<f32>,
    y: Vec<u8>,
    xt: Array2<f32>,
    yt: Vec<u8>,
}

fn load(p: &LearningParams) -> Result<Data, ExperimentError> {
    let split = match p.dataset {
        DatasetName::Digits => datasets::digits(),
        DatasetName::Mnist => datasets::load_idx(IdxSet::Mnist, p.data_dir.as_deref())
            .map_err(|e| ExperimentError::Input(e.to_string()))?,
        DatasetName::Fmnist => datasets::load_idx(IdxSet::FashionMnist, p.data_dir.as_deref())
            .map_err(|e| ExperimentError::Input(e.to_string()))?,
    };
    let take = |d: datasets::Dataset, limit: usize| {
        let rows = if limit == 0 { d.rows } else { d.rows.min(limit) };
        let x = Array2::from_shape_vec((d.rows, d.features), d.x).expect("rows × features");
        (x.slice(s![..rows, ..]).to_owned(), d.y[..rows].to_vec())
    };
    let (x, y) = take(split.train, p.train_rows);
    let (xt, yt) = take(split.test, p.test_rows);
    Ok(Data { x, y, xt, yt })
}

/// One training run: a learner (or an ablation of the multi-rule one) and a seed.
#[derive(Debug, Clone, Copy)]
enum Learner {
    Variant(Variant),
    Ablation(Ablation),
}

impl Learner {
    fn name(self) -> String {
        match self {
            Learner::Variant(v) => v.name().to_string(),
            Learner::Ablation(a) => format!("ablation_{}", a.name()),
        }
    }
}

/// What one run recorded: per epoch `(task, score, train accuracy, train loss, seconds)`, and
/// the final accuracy per task.
struct RunRecord {
    epochs: Vec<(usize, f64, f64, f64, f64)>,
    final_per_task: Vec<f64>,
}

fn model(learner: Learner, p: &LearningParams, inputs: usize, seed: u64) -> Result<Model, ExperimentError> {
    let mut net = p.net.clone();
    let statik = AnyRule::Static(Static {});
    match learner {
        Learner::Variant(Variant::FeedbackAlignment | Variant::Backprop) => {
            let mut sizes = vec![inputs];
            sizes.extend(&p.net.hidden);
            sizes.push(10);
            let how = if matches!(learner, Learner::Variant(Variant::Backprop)) {
                Learning::Backprop
            } else {
                Learning::FeedbackAlignment
            };
            return Ok(Model::mlp(Mlp::new(&sizes, seed), how, p.mlp_lr as f32, p.batch));
        }
        Learner::Variant(Variant::MultiRule) => {}
        Learner::Variant(Variant::Uniform) => {
            net.rules.basal = p.uniform_rule;
            net.rules.apical = p.uniform_rule;
            net.rules.distal = p.uniform_rule;
        }
        Learner::Variant(Variant::Point) => net.unit = UnitKind::Point,
        Learner::Ablation(Ablation::BasalOff) => net.rules.basal = statik,
        Learner::Ablation(Ablation::ApicalOff) => net.rules.apical = statik,
        Learner::Ablation(Ablation::DistalOff) => net.rules.distal = statik,
        Learner::Ablation(Ablation::LesionApical | Ablation::LesionDistal) => {}
    }
    let net = PyramidalNet::new(inputs, p.tasks, 10, &net, seed)
        .map_err(|e| ExperimentError::Option(e.within("params.net")))?;
    Ok(Model::pyramidal(net, p.batch))
}

fn train(
    learner: Learner,
    p: &LearningParams,
    tasks: &[Task<'_>],
    data: &Data,
    seed: u64,
) -> Result<RunRecord, ExperimentError> {
    let mut m = model(learner, p, data.x.ncols(), seed)?;
    let mut epochs = Vec::with_capacity(p.epochs * tasks.len());
    let mut done = 0usize;
    for (task, (x, _)) in tasks.iter().enumerate() {
        for _ in 0..p.epochs {
            if done == p.lesion_after()
                && let Some(net) = m.pyramidal_mut()
            {
                match learner {
                    Learner::Ablation(Ablation::LesionApical) => net.lesions.apical = true,
                    Learner::Ablation(Ablation::LesionDistal) => net.lesions.distal = true,
                    _ => {}
                }
            }
            done += 1;
            let rec = m.fit_epoch(x.view(), &data.y, task, seed, done as u64);
            let seen = &tasks[..=task];
            let score = seen
                .iter()
                .enumerate()
                .map(|(t, (_, xt))| m.accuracy(xt.view(), &data.yt, t))
                .sum::<f64>()
                / seen.len() as f64;
            epochs.push((task, score, rec.train_accuracy, rec.train_loss, rec.seconds));
        }
    }
    let final_per_task = tasks
        .iter()
        .enumerate()
        .map(|(t, (_, xt))| m.accuracy(xt.view(), &data.yt, t))
        .collect();
    Ok(RunRecord {
        epochs,
        final_per_task,
    })
}

/// A task's training and test images.
type Task<'a> = (CowArray<'a, f32, Ix2>, CowArray<'a, f32, Ix2>);

/// The training and test images of each task: pixel permutations of the data set, or the
/// data set itself (borrowed) for a single task.
fn tasks<'a>(
    p: &LearningParams,
    data: &'a Data,
    seed: u64,
) -> Vec<(CowArray<'a, f32, Ix2>, CowArray<'a, f32, Ix2>)> {
    if p.tasks == 1 {
        return vec![(data.x.view().into(), data.xt.view().into())];
    }
    (0..p.tasks)
        .map(|t| {
            let mut perm: Vec<usize> = (0..data.x.ncols()).collect();
            perm.shuffle(&mut StreamKey::new(seed, Purpose::Task, 30, t as u64).rng());
            (
                permute_columns(data.x.view(), &perm).into(),
                permute_columns(data.xt.view(), &perm).into(),
            )
        })
        .collect()
}

fn stats(v: &[f64]) -> (f64, f64, f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, sd, min, max)
}

/// Run a learning benchmark spec.
pub fn run(spec: &Spec, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let p: LearningParams = spec.params()?;
    benchmark(&p, options)
}

/// Run the benchmark `p`: every learner and ablation over the seeds, in parallel on
/// `options.threads` threads (results do not depend on the thread count; wall times do).
pub fn benchmark(p: &LearningParams, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    p.validate()
        .map_err(|e| ExperimentError::Option(e.within("params")))?;
    if options.duration_ms.is_some() {
        return Err(ExperimentError::Option(dendra_core::ParamError::new(
            "duration_ms",
            "no duration override (a learning benchmark runs epochs; set params.epochs)",
            options.duration_ms.unwrap_or_default(),
        )));
    }
    let data = load(p)?;
    let task_data = tasks(p, &data, options.seed);
    let learners: Vec<Learner> = p
        .variants
        .iter()
        .map(|&v| Learner::Variant(v))
        .chain(p.ablations.iter().map(|&a| Learner::Ablation(a)))
        .collect();
    let jobs: Vec<(Learner, u64)> = learners
        .iter()
        .flat_map(|&l| (0..u64::from(p.seeds)).map(move |k| (l, k)))
        .collect();
    let total = jobs.len() as u64;
    let finished = std::sync::atomic::AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .build()
        .map_err(|e| ExperimentError::Data(format!("thread pool: {e}")))?;
    let records: Vec<RunRecord> = pool.install(|| {
        jobs.par_iter()
            .map(|&(learner, k)| {
                let r = train(learner, p, &task_data, &data, options.seed + k);
                let n = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                (options.progress)(n, total);
                r
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut curves = LearningCurves::default();
    let mut summary = Summary::new();
    let mut finals: Vec<(String, Vec<f64>)> = Vec::new();
    let seeds = p.seeds as usize;
    for (li, learner) in learners.iter().enumerate() {
        let name = learner.name();
        let mut final_scores = Vec::new();
        let (mut to90, mut secs90, mut per_epoch) = (Vec::new(), Vec::new(), Vec::new());
        let mut per_task = vec![0.0; p.tasks];
        for k in 0..seeds {
            let rec = &records[li * seeds + k];
            let last = rec.epochs.last().map_or(0.0, |e| e.1);
            final_scores.push(last);
            let first = rec.epochs.iter().position(|e| e.1 >= 0.9 * last).unwrap_or(0);
            to90.push((first + 1) as f64);
            secs90.push(rec.epochs[..=first].iter().map(|e| e.4).sum::<f64>());
            per_epoch.push(rec.epochs.iter().map(|e| e.4).sum::<f64>() / rec.epochs.len().max(1) as f64);
            for (t, a) in rec.final_per_task.iter().enumerate() {
                per_task[t] += a / seeds as f64;
            }
            for (e, &(task, score, train_acc, loss, secs)) in rec.epochs.iter().enumerate() {
                curves.push(
                    &name,
                    CurvePoint {
                        seed: options.seed + k as u64,
                        task: task as u32,
                        epoch: (e + 1) as u32,
                        test_accuracy: score,
                        train_accuracy: train_acc,
                        train_loss: loss,
                        seconds: secs,
                    },
                );
            }
        }
        let (mean, sd, min, max) = stats(&final_scores);
        summary.set(&format!("{name}_accuracy_mean"), mean);
        summary.set(&format!("{name}_accuracy_sd"), sd);
        if let Learner::Variant(_) = learner {
            summary.set(&format!("{name}_accuracy_min"), min);
            summary.set(&format!("{name}_accuracy_max"), max);
            if p.tasks == 1 {
                summary.set(&format!("{name}_epochs_to_90pct"), stats(&to90).0);
                summary.set(&format!("{name}_seconds_to_90pct"), stats(&secs90).0);
            }
            summary.set(&format!("{name}_seconds_per_epoch"), stats(&per_epoch).0);
            if p.tasks > 1 {
                summary.set(&format!("{name}_task_accuracy"), per_task.clone());
            }
        }
        finals.push((name, final_scores));
    }
    let mean_of = |n: &str| finals.iter().find(|(k, _)| k == n).map(|(_, v)| stats(v).0);
    if let Some(full) = mean_of("multi_rule") {
        for a in &p.ablations {
            let name = format!("ablation_{}", a.name());
            if let Some(m) = mean_of(&name) {
                summary.set(&format!("{name}_retained"), m / full);
            }
        }
        for v in &p.variants {
            if *v != Variant::MultiRule
                && let Some(m) = mean_of(v.name())
            {
                summary.set(
                    &format!("multi_rule_minus_{}_points", v.name()),
                    100.0 * (full - m),
                );
            }
        }
    }
    summary.set(
        "dataset",
        match p.dataset {
            DatasetName::Digits => "digits",
            DatasetName::Mnist => "mnist",
            DatasetName::Fmnist => "fmnist",
        },
    );
    summary.set("train_rows", data.x.nrows() as u64);
    summary.set("test_rows", data.xt.nrows() as u64);
    summary.set("tasks", p.tasks as u64);
    summary.set("epochs", p.epochs as u64);
    summary.set("seeds", u64::from(p.seeds));
    Ok(Outcome {
        summary,
        recorded: None,
        imaging: None,
        learning: Some(curves),
    })
}
