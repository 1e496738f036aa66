//! dendra's analysis of imaging experiments, as pure functions over recordings: the same code
//! runs on simulated and on real data.
//!
//! It follows the analysis of Wright, Hedrick & Komiyama (Science 2025) and its public code:
//! event detection in dF/F traces ([`events`]), co-activity and normalized co-activity of binary
//! traces with chance levels from circular shifts ([`coactivity`]), spine size change classes,
//! and the prediction of spine enlargement from co-activity features by cross-validated logistic
//! regression against shuffled labels ([`logistic`]); [`study`] runs it all on an
//! [`ImagingData`] set. Depends on `dendra-core` only (for seeded streams): it knows nothing of
//! networks or the simulator.

#![warn(missing_docs)]

pub mod coactivity;
pub mod data;
pub mod error;
pub mod events;
pub mod logistic;
pub mod paper_coactivity;
pub mod paper_events;
pub mod paper_features;
pub mod smooth;
pub mod stats;
pub mod study;
pub mod train;
pub mod verdict;

pub use data::{ImagingData, Spine, Trace, Trial};
pub use error::DataError;
pub use study::{Study, StudyParams, analyze};
pub use train::EventTrain;
