//! # dendra-model
//!
//! The *description* of a network, as plain data: what a neuron looks like (a soma and a tree
//! of dendritic compartments with roles, lengths and couplings), which populations exist, how
//! they are connected, which stimuli and manipulations act on them and what is recorded.
//! Nothing here changes during a run; the engine in `dendra-sim` builds its state from it.
//!
//! Every `*Params` type validates itself and reports the offending key as a dotted path
//! ([`dendra_core::ParamError`]).
//!
//! Units: potentials in mV, currents in pA, conductances in nS, capacitances in pF, times in ms,
//! lengths in µm, rates in Hz. Field names carry the unit.
#![warn(missing_docs)]

pub mod compartment;
pub mod network;
pub mod projection;
pub mod receptor;
pub mod recording;
pub mod soma;
pub mod source;
pub mod stimulus;
pub mod template;

pub use compartment::{BapParams, BranchStrengthParams, CompartmentParams, PlateauParams, Role, Site};
pub use network::{ModulatorDesc, NetworkDesc, Population, PopulationKind, Release};
pub use projection::{Connectivity, DelaySite, Placement, ProjectionDesc, WeightDist};
pub use receptor::{ReceptorKind, ReceptorParams};
pub use recording::{ProbeDesc, ProbeSignal, RecordingDesc, WeightProbeDesc};
pub use soma::{SomaParams, SpikeMechanism};
pub use source::{RateProfile, SourceParams};
pub use stimulus::{Selection, Stimulus, StimulusKind, Waveform, Window};
pub use template::{CompartmentRule, InitialPotential, NeuronTemplate};

pub use dendra_rules::{self as rules, AnyRule, ModulatorParams};
