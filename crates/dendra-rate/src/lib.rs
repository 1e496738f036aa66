//! dendra's rate engine: batched, vectorized networks of rate units for learning benchmarks.
//!
//! Today it holds the non-local baselines that dendra's local multi-rule units are compared
//! against: multilayer perceptrons trained by backprop or by feedback alignment ([`mlp`]), on
//! `ndarray` matrices with `matrixmultiply` kernels. The multi-rule layers (basal, apical and
//! distal compartments driven by the rule layer's `on_rate`) will be built here next.

#![warn(missing_docs)]

pub mod mlp;
pub mod model;
pub mod params;
pub mod pyramidal;

pub use mlp::{EpochStats, Learning, Mlp, TrainParams, train};
pub use model::{EpochRecord, Model};
pub use params::{NetParams, RuleAssignment, UnitKind};
pub use pyramidal::{Lesions, PyramidalNet};
