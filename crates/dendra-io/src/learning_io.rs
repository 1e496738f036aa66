//! Learning benchmarks: the curves table (`learning_curves.parquet`), its figure and the run's
//! outputs.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::{Map, Value};

use crate::error::{IoError, IoResult};
use crate::figures::{DrawResult, Figure, band_lines, err, font, legend_at, render};
use crate::parquet_io::{self, Column, ColumnRef};
use crate::{RunInfo, outdir, report, summary_json};

/// One epoch of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// The run's seed.
    pub seed: u64,
    /// The task being trained (0 for single-task runs).
    pub task: u32,
    /// Epoch, 1-based, counted over the whole run.
    pub epoch: u32,
    /// Test accuracy after the epoch (continual: mean over the tasks seen so far).
    pub test_accuracy: f64,
    /// Training accuracy during the epoch.
    pub train_accuracy: f64,
    /// Mean training loss during the epoch.
    pub train_loss: f64,
    /// Training wall time of the epoch (s).
    pub seconds: f64,
}

/// One learner's test accuracy at one epoch over seeds: `(epoch, mean, min, max)`.
pub type EpochBand = (f64, f64, f64, f64);

/// Learning curves of every run of a benchmark, one row per (learner, seed, epoch).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LearningCurves {
    /// Learner of each row (`multi_rule`, `backprop`, `ablation_apical_off`, ...).
    pub learner: Vec<String>,
    /// The epochs.
    pub points: Vec<CurvePoint>,
}

impl LearningCurves {
    /// Add one epoch of `learner`.
    pub fn push(&mut self, learner: &str, point: CurvePoint) {
        self.learner.push(learner.to_string());
        self.points.push(point);
    }

    /// Mean, minimum and maximum test accuracy over seeds per epoch, per learner, in order of
    /// first appearance.
    pub fn by_learner(&self) -> Vec<(String, Vec<EpochBand>)> {
        let mut order: Vec<String> = Vec::new();
        let mut acc: BTreeMap<(String, u32), Vec<f64>> = BTreeMap::new();
        for (l, p) in self.learner.iter().zip(&self.points) {
            if !order.contains(l) {
                order.push(l.clone());
            }
            acc.entry((l.clone(), p.epoch)).or_default().push(p.test_accuracy);
        }
        order
            .into_iter()
            .map(|l| {
                let pts = acc
                    .iter()
                    .filter(|((k, _), _)| *k == l)
                    .map(|((_, e), v)| {
                        let mean = v.iter().sum::<f64>() / v.len() as f64;
                        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        (f64::from(*e), mean, lo, hi)
                    })
                    .collect();
                (l, pts)
            })
            .collect()
    }
}

/// Write the curves as Parquet.
pub fn write_curves(path: &Path, c: &LearningCurves) -> IoResult<()> {
    let col = |f: fn(&CurvePoint) -> f64| c.points.iter().map(f).collect::<Vec<f64>>();
    let seed: Vec<u64> = c.points.iter().map(|p| p.seed).collect();
    let task: Vec<u32> = c.points.iter().map(|p| p.task).collect();
    let epoch: Vec<u32> = c.points.iter().map(|p| p.epoch).collect();
    let (test, train, loss, secs) = (
        col(|p| p.test_accuracy),
        col(|p| p.train_accuracy),
        col(|p| p.train_loss),
        col(|p| p.seconds),
    );
    parquet_io::write_columns(
        path,
        &[
            ("learner", ColumnRef::Str(&c.learner)),
            ("seed", ColumnRef::U64(&seed)),
            ("task", ColumnRef::U32(&task)),
            ("epoch", ColumnRef::U32(&epoch)),
            ("test_accuracy", ColumnRef::F64(&test)),
            ("train_accuracy", ColumnRef::F64(&train)),
            ("train_loss", ColumnRef::F64(&loss)),
            ("seconds", ColumnRef::F64(&secs)),
        ],
    )
}

/// Read curves written by [`write_curves`].
pub fn read_curves(path: &Path) -> IoResult<LearningCurves> {
    let mut cols = parquet_io::read_columns(path)?;
    let mut take = |name: &str| {
        cols.remove(name)
            .ok_or_else(|| IoError::format(path, format!("missing column `{name}`")))
    };
    let bad = |name: &str| IoError::format(path, format!("column `{name}` has an unexpected type"));
    let Column::Str(learner) = take("learner")? else {
        return Err(bad("learner"));
    };
    let Column::U64(seed) = take("seed")? else {
        return Err(bad("seed"));
    };
    let Column::U32(task) = take("task")? else {
        return Err(bad("task"));
    };
    let Column::U32(epoch) = take("epoch")? else {
        return Err(bad("epoch"));
    };
    let mut f = |name: &str| match take(name)? {
        Column::F64(v) => Ok(v),
        _ => Err(bad(name)),
    };
    let (test, train, loss, secs) = (
        f("test_accuracy")?,
        f("train_accuracy")?,
        f("train_loss")?,
        f("seconds")?,
    );
    let points = (0..learner.len())
        .map(|i| CurvePoint {
            seed: seed[i],
            task: task[i],
            epoch: epoch[i],
            test_accuracy: test[i],
            train_accuracy: train[i],
            train_loss: loss[i],
            seconds: secs[i],
        })
        .collect();
    Ok(LearningCurves { learner, points })
}

/// Test accuracy per epoch: mean over seeds with the min-max band, one line per learner.
fn curves_figure<DB: DrawingBackend>(c: &LearningCurves, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let series = c.by_learner();
    let last = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .fold(1.0, f64::max);
    let lo = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.2))
        .fold(1.0, f64::min)
        .clamp(0.0, 0.9);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(1f64..last.max(2.0), (lo - 0.02).max(0.0)..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("test accuracy")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    band_lines(&mut chart, series.iter().map(|(name, pts)| (name, pts)), 0.15)?;
    legend_at(&mut chart, SeriesLabelPosition::LowerRight)
}

fn write_learning_report(
    dir: &Path,
    summary: &Map<String, Value>,
    curves: &LearningCurves,
    spec: Option<&str>,
) -> IoResult<()> {
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir).map_err(|e| IoError::at(&figures_dir, e))?;
    let caption = "Test accuracy per epoch: mean over seeds (line) and min-max (band), per learner. Continual runs: mean over the tasks seen so far.";
    let fig: Figure = render(
        &figures_dir,
        "learning_curves",
        caption,
        &|a| curves_figure(curves, a),
        &|a| curves_figure(curves, a),
    )?;
    let files = report::list_files(dir)
        .into_iter()
        .filter(|(n, _)| n != "report.html")
        .collect::<Vec<_>>();
    let page = report::html(summary, &[fig], spec, &files)?;
    outdir::write_atomic(&dir.join("report.html"), page.as_bytes())
}

/// Write a learning benchmark's outputs into `dir`: `spec.toml`, `learning_curves.parquet`,
/// `summary.json`, `figures/learning_curves.{png,svg}` and `report.html`.
pub fn write_learning_run(
    dir: &Path,
    info: &RunInfo,
    results: &Map<String, Value>,
    spec: &str,
    curves: &LearningCurves,
) -> IoResult<()> {
    outdir::write_atomic(&dir.join("spec.toml"), spec.as_bytes())?;
    write_curves(&dir.join("learning_curves.parquet"), curves)?;
    let summary = summary_json(info, results);
    let text = serde_json::to_string_pretty(&Value::Object(summary.clone())).unwrap_or_default();
    outdir::write_atomic(&dir.join("summary.json"), text.as_bytes())?;
    write_learning_report(dir, &summary, curves, Some(spec))
}

/// Redraw a learning run's figure and report from what it wrote.
pub(crate) fn rebuild(dir: &Path, summary: &Map<String, Value>) -> IoResult<()> {
    let curves = read_curves(&dir.join("learning_curves.parquet"))?;
    let spec = std::fs::read_to_string(dir.join("spec.toml")).ok();
    write_learning_report(dir, summary, &curves, spec.as_deref())
}
