//! # dendra-rules
//!
//! Plasticity rules under enforced locality.
//!
//! ## The law, and how it is enforced
//!
//! A rule sees only what its own synapse could sense: [`LocalSignals`]: its presynaptic traces,
//! the postsynaptic traces of *its own compartment* (back-propagated spikes as they arrive
//! there, attenuated and blockable), the compartment's potential and plateau state, the number of
//! co-active neighbours on the same branch within a radius and window, broadcast
//! neuromodulators, and the continuous drive and filtered potential of its compartment. In the
//! rate engine ([`RateForm`]): the somatic rate as it reaches the compartment (nudged by any
//! teaching input there), the compartment's own prediction of it, its running average of `post²`
//! and the neuromodulator. Nothing else.
//!
//! This is a compile-time fact, not a convention:
//!
//! - this crate depends on `dendra-core` alone (see its `Cargo.toml`); the types that describe
//!   networks (`dendra-model`) and the engine that holds them (`dendra-sim`) are *downstream*, so
//!   no rule can name a population, a neuron index, another neuron's state or a weight matrix;
//! - a rule's update receives `&mut` access to exactly one synapse (its weight and its own
//!   [`Rule::State`]) and a shared reference to that synapse's [`LocalSignals`]; there is no
//!   handle through which it could reach another synapse;
//! - [`LocalSignals`] holds plain numbers (`f64`, `u32`, `bool`) and a read-only view of
//!   broadcast modulators; it contains no index or reference into the network.
//!
//! The engine keeps the traces a rule declares ([`Needs`]) at the places they physically live —
//! presynaptic traces per source terminal, postsynaptic traces per compartment — decays them in
//! closed form between events (as NEST does), and calls the rule only at events, so the cost
//! grows with events, not with synapses × steps.
//!
//! The rate engine drives the same rule types through their *rate form* ([`rate`]): a rule
//! turns its compartment's signals ([`RateCompartment`]: the somatic rate as it arrives, the
//! compartment's own prediction of it, the broadcast modulator) into per-compartment factors
//! ([`RateTerms`]) that multiply a function of the presynaptic rate alone, and then applies the
//! summed change to one synapse's weight and its one number of rate state (bounds,
//! consolidation). The factorisation keeps the law: no term mixes one synapse's input with
//! another compartment's signals. Rules with a rate form: `static`, `oja`, `bcm`,
//! `branch_specific`, `dendritic_prediction`, `reward_modulated`.
#![warn(missing_docs)]

pub mod any;
pub mod bounds;
pub mod drive;
pub mod eligibility;
pub mod modulator;
pub mod position;
pub mod rate;
pub mod rule;
pub mod rules;
pub mod signals;
pub mod spine;
pub mod trace;

pub use any::AnyRule;
pub use bounds::WeightBounds;
pub use drive::{CompartmentSignals, DriveArchive};
pub use eligibility::EligibilityClock;
pub use modulator::{Modulator, ModulatorParams};
pub use position::PositionScale;
pub use rate::{RateCompartment, RateForm, RateTerms, TermsOut, advance_post_sq_avg};
pub use rule::{CoactivitySpec, Needs, Rule, TraceSpec};
pub use signals::{LocalSignals, RateSignals, Stamp};
pub use spine::{SizeClass, SpineParams, StructuralParams};
pub use trace::{Trace, decay};
