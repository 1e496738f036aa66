//! # dendra-core
//!
//! The bottom layer of dendra. It knows nothing about neurons or networks; every other crate
//! depends on it, and it depends on no other dendra crate.
//!
//! - [`time`]: the simulation clock (`dt` in milliseconds, integer steps) and conversions.
//! - [`rng`]: counter-based random streams keyed by `(seed, purpose, group, index)`, so that a
//!   run's randomness never depends on thread count or evaluation order.
//! - [`error`]: the error type shared by the layers for invalid parameters.
//! - [`files`]: reading user-named files: regular files only, never past a size cap.
#![warn(missing_docs)]

pub mod error;
pub mod files;
pub mod rng;
pub mod time;

pub use error::{ParamError, ParamResult};
pub use rng::{Purpose, StreamKey};
pub use time::Clock;
