//! The rules, one small file each; equations and sources in each file's doc comment.

pub mod bap_hebbian;
pub mod bcm;
pub mod branch_specific;
pub mod clopath;
pub mod coactivity_register;
pub mod dendritic_prediction;
pub mod local_coactivity;
pub mod oja;
pub mod pair_stdp;
pub mod reward_modulated;
pub mod static_rule;
pub mod triplet_stdp;
pub mod vogels_sprekeler;

pub use bap_hebbian::BapHebbian;
pub use bcm::Bcm;
pub use branch_specific::BranchSpecific;
pub use clopath::{Clopath, ClopathState};
pub use coactivity_register::{
    CoactivityRegister, MAX_SYNAPSES, Neighbourhood, Placement, Queries, REFRESH_STEPS,
};
pub use dendritic_prediction::{DendriticPrediction, PredictionState};
pub use local_coactivity::LocalCoactivity;
pub use oja::Oja;
pub use pair_stdp::{PairStdp, StdpPairing, StdpUpdate};
pub use reward_modulated::{RewardModulated, RewardState};
pub use static_rule::Static;
pub use triplet_stdp::TripletStdp;
pub use vogels_sprekeler::VogelsSprekeler;
