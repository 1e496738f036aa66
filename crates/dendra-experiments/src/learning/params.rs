//! `[params]` of the learning benchmarks (`digits`, `mnist`, `fmnist`, `continual`).

use std::path::PathBuf;

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, positive};
use dendra_rate::NetParams;
use dendra_rules::AnyRule;
use dendra_rules::rules::DendriticPrediction;

/// Which data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetName {
    /// The UCI 8 × 8 digits, embedded (1442 train / 355 test).
    Digits,
    /// MNIST from idx files (`data_dir` or `$DENDRA_DATA/mnist`).
    Mnist,
    /// Fashion-MNIST from idx files (`data_dir` or `$DENDRA_DATA/fashion-mnist`).
    Fmnist,
}

/// A learner compared in the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// Pyramidal units with `[params.net.rules]` (default: basal error-correcting, apical
    /// reward-based, distal selective).
    MultiRule,
    /// The same units with `uniform_rule` on every hidden compartment.
    Uniform,
    /// Point neurons (`unit = "point"`) with the multi-rule assignment.
    Point,
    /// An MLP of the same sizes trained by feedback alignment (Lillicrap et al. 2016).
    FeedbackAlignment,
    /// An MLP of the same sizes trained by backprop.
    Backprop,
}

impl Variant {
    /// The name used in summaries and tables.
    pub fn name(self) -> &'static str {
        match self {
            Variant::MultiRule => "multi_rule",
            Variant::Uniform => "uniform",
            Variant::Point => "point",
            Variant::FeedbackAlignment => "feedback_alignment",
            Variant::Backprop => "backprop",
        }
    }
}

/// A change to the multi-rule network for robustness tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ablation {
    /// Hidden units' basal rule switched off (`static`) for the whole run.
    BasalOff,
    /// Hidden units' apical rule switched off.
    ApicalOff,
    /// Hidden units' distal rule switched off.
    DistalOff,
    /// Apical (top-down) input cut at `lesion_epoch`.
    LesionApical,
    /// Distal (context) input cut at `lesion_epoch`.
    LesionDistal,
}

impl Ablation {
    /// The name used in summaries and tables.
    pub fn name(self) -> &'static str {
        match self {
            Ablation::BasalOff => "basal_off",
            Ablation::ApicalOff => "apical_off",
            Ablation::DistalOff => "distal_off",
            Ablation::LesionApical => "lesion_apical",
            Ablation::LesionDistal => "lesion_distal",
        }
    }
}

/// The benchmark's parameters.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearningParams {
    /// The data set.
    pub dataset: DatasetName,
    /// Directory of the idx files (MNIST, Fashion-MNIST); default `$DENDRA_DATA/<set>`.
    pub data_dir: Option<PathBuf>,
    /// Use at most this many training images (0: all).
    pub train_rows: usize,
    /// Use at most this many test images (0: all).
    pub test_rows: usize,
    /// Seeds per learner (seed, seed + 1, ...).
    pub seeds: u32,
    /// Epochs (per task when `tasks > 1`).
    pub epochs: usize,
    /// Rows per batch.
    pub batch: usize,
    /// Tasks learned in sequence, each a fixed permutation of the pixels, with the task's index
    /// as distal context; 1: a single task on the unpermuted images.
    pub tasks: usize,
    /// The learners compared.
    pub variants: Vec<Variant>,
    /// The robustness tests, each on the multi-rule network.
    pub ablations: Vec<Ablation>,
    /// Epoch after which lesions cut their input (0: half of the run).
    pub lesion_epoch: usize,
    /// SGD learning rate of the MLP baselines.
    pub mlp_lr: f64,
    /// The rule of every hidden compartment in the `uniform` variant.
    pub uniform_rule: AnyRule,
    /// The multi-rule network.
    pub net: NetParams,
}

impl Default for LearningParams {
    fn default() -> Self {
        LearningParams {
            dataset: DatasetName::Digits,
            data_dir: None,
            train_rows: 0,
            test_rows: 0,
            seeds: 5,
            epochs: 30,
            batch: 32,
            tasks: 1,
            variants: vec![
                Variant::MultiRule,
                Variant::Uniform,
                Variant::Point,
                Variant::FeedbackAlignment,
                Variant::Backprop,
            ],
            ablations: vec![
                Ablation::BasalOff,
                Ablation::ApicalOff,
                Ablation::DistalOff,
                Ablation::LesionApical,
                Ablation::LesionDistal,
            ],
            lesion_epoch: 0,
            mlp_lr: 0.2,
            uniform_rule: AnyRule::DendriticPrediction(DendriticPrediction {
                eta: 2.0,
                w_min: -100.0,
                w_max: 100.0,
                ..DendriticPrediction::default()
            }),
            net: NetParams::default(),
        }
    }
}

impl dendra_spec::BuiltinParams for LearningParams {
    fn validate(&self) -> ParamResult<()> {
        LearningParams::validate(self)
    }
}

impl LearningParams {
    /// Check the values.
    pub fn validate(&self) -> ParamResult<()> {
        let at_least_one = |key: &str, v: usize| {
            if v == 0 {
                Err(ParamError::new(key, "at least 1", v))
            } else {
                Ok(())
            }
        };
        at_least_one("seeds", self.seeds as usize)?;
        at_least_one("epochs", self.epochs)?;
        at_least_one("batch", self.batch)?;
        at_least_one("tasks", self.tasks)?;
        if self.variants.is_empty() && self.ablations.is_empty() {
            return Err(ParamError::new(
                "variants",
                "at least one learner or ablation",
                "none",
            ));
        }
        if self.lesion_epoch > self.epochs * self.tasks {
            return Err(ParamError::new(
                "lesion_epoch",
                format!("an epoch within the run (at most {})", self.epochs * self.tasks),
                self.lesion_epoch,
            ));
        }
        positive("mlp_lr", self.mlp_lr)?;
        self.uniform_rule
            .validate()
            .map_err(|e| e.within("uniform_rule"))?;
        if !self.uniform_rule.has_rate_form() {
            return Err(ParamError::new(
                "uniform_rule.name",
                format!("a rule with a rate form ({})", AnyRule::rate_names().join(", ")),
                self.uniform_rule.name(),
            ));
        }
        self.net.validate().map_err(|e| e.within("net"))
    }

    /// The epoch (1-based, counted over the whole run) after which lesions act.
    pub fn lesion_after(&self) -> usize {
        if self.lesion_epoch == 0 {
            (self.epochs * self.tasks) / 2
        } else {
            self.lesion_epoch
        }
    }
}
