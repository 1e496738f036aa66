//! # dendra-sim
//!
//! dendra's spiking engine for networks of multi-compartment neurons.
//!
//! - [`propagator`]: exact integration of each template's linear dynamics;
//! - [`neurons`]: the per-step update of a slice of a population (spikes, bAPs, plateaus,
//!   clamps, manipulations);
//! - [`soma_current`]: the AdEx and Izhikevich (quadratic) somatic currents;
//! - [`sources`]: Poisson (each chunk of sources draws their superposed train),
//!   inhomogeneous Poisson and data-driven spike sources;
//! - [`connect`]: seeded connectivity stored by source (CSR), with [`indices`]: local
//!   indices of 2 or 4 bytes;
//! - [`stimuli`]: stimuli compiled to steps and local neurons;
//! - [`engine`]: workers, the two-phase step loop and delay rings ([`Simulation`]), with
//!   `exchange`: how workers hand each other a step's spikes;
//! - `plasticity`: the bridge to `dendra-rules` (traces, bAP events, co-activity, ticks), with
//!   `traces`: each rule's declared traces per neuron, stored densely;
//! - [`record`]: recorded spikes, traces and weights;
//! - [`estimate`]: the memory a run will take, from the description, before anything is
//!   allocated;
//! - `prefetch`: cache prefetch hints for the latency-bound gathers of spike delivery.
#![warn(missing_docs)]

pub mod barrier;
pub mod connect;
pub mod engine;
pub mod error;
pub mod estimate;
mod exchange;
mod flush;
pub mod indices;
pub mod kernel;
pub mod neurons;
mod periodic;
mod plasticity;
mod prefetch;
pub mod propagator;
pub mod record;
mod slots;
pub mod soma_current;
pub mod sources;
pub mod stimuli;
mod traces;

pub use engine::{RunConfig, RunStats, Simulation, SynapseRow};
pub use error::{SimError, SimResult};
pub use record::{SpikeTable, Trace, WeightTrace};
