//! Projections: connections from a source population onto one receptor of a target population.

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, in_range, non_negative, positive};

/// Which pairs are connected. Drawn per target neuron from seeded streams, so the result does
/// not depend on thread count.
#[derive(Debug, Clone, PartialEq)]
pub enum Connectivity {
    /// Every source to every target.
    AllToAll,
    /// Source `i` to target `i` (sizes must match).
    OneToOne,
    /// Each pair independently with probability `p` (Erdős–Rényi, as in Vogels & Abbott 2005).
    Bernoulli {
        /// Connection probability in [0, 1].
        p: f64,
    },
    /// Each target receives exactly `k` distinct sources drawn uniformly.
    FixedIndegree {
        /// In-degree.
        k: u32,
    },
    /// Explicit `(source, target)` pairs.
    Explicit(Vec<(u32, u32)>),
}

/// The distribution of initial weights (pA for current receptors, nS for conductances).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeightDist {
    /// All weights equal.
    Constant(f64),
    /// Uniform in `[lo, hi)`.
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Normal, redrawn until inside `[lo, hi]` is not used: values are clipped to `[lo, hi]`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
        /// Clip below.
        lo: f64,
        /// Clip above.
        hi: f64,
    },
}

/// Where synapses sit along the target compartment (µm from its proximal end). The engine keeps
/// each position to 1/65535 of the compartment's length (a 16-bit code: 1.5 nm on a 100 µm
/// branch), so a listed 10 µm on a 100 µm branch reads back as 10.0008 µm; the ends and whole
/// multiples of the step are exact.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Uniformly along the whole branch.
    Uniform,
    /// Uniformly in `[from_um, to_um]`.
    Between {
        /// Proximal end of the segment (µm).
        from_um: f64,
        /// Distal end of the segment (µm).
        to_um: f64,
    },
    /// All at one position (µm).
    At(f64),
    /// Clustered: each target neuron gets `clusters` centres drawn uniformly along the
    /// compartment; each synapse joins one centre at random and sits at a normally distributed
    /// offset (standard deviation `spread_um`) from it, clipped to the compartment.
    Clustered {
        /// Number of cluster centres per target neuron and projection (>= 1).
        clusters: u32,
        /// Standard deviation of the offset from the centre (µm).
        spread_um: f64,
    },
    /// One given position per synapse (µm), for [`Connectivity::Explicit`] projections:
    /// `positions_um[i]` places the synapse of pair `i` (clipped to the compartment), e.g. spines
    /// mapped in an imaging experiment.
    Listed(Vec<f64>),
}

/// Where a projection's transmission delay lies, as its plasticity sees it. The postsynaptic
/// current arrives `delay_ms` after the presynaptic spike either way; what changes is when the
/// spike and the postsynaptic spike (bAP) meet at the synapse, and so the lag its rules see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DelaySite {
    /// The whole delay is axonal (dendra's default): the presynaptic spike reaches the synapse
    /// `delay_ms` after it was emitted, and a bAP reaches it when it arrives in the compartment.
    /// A pre spike at `t_pre` and a post spike at `t_post` meet at lag
    /// `t_post - (t_pre + delay)`.
    #[default]
    Axonal,
    /// The whole delay is dendritic, NEST's convention for its STDP synapses
    /// (`stdp_synapse` and its relatives): the presynaptic spike reaches the synapse when it is
    /// emitted, and a bAP reaches it `delay_ms` after it arrives in the compartment. They meet at
    /// lag `(t_post + delay) - t_pre`.
    Dendritic,
}

/// One projection.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionDesc {
    /// Name (unique in the network).
    pub name: String,
    /// Source population index.
    pub source: usize,
    /// Target population index (must be a neuron population).
    pub target: usize,
    /// Receptor index in the target template (which fixes the compartment).
    pub receptor: usize,
    /// Which pairs connect.
    pub connectivity: Connectivity,
    /// Initial weights.
    pub weight: WeightDist,
    /// Transmission delay (ms, at least one step); the lower end when `delay_max_ms` is set.
    pub delay_ms: f64,
    /// Upper end of per-synapse delays drawn uniformly from `[delay_ms, delay_max_ms]` (at most
    /// 255 steps above `delay_ms`); `None`: every synapse has `delay_ms`. Only static synapses
    /// may have heterogeneous delays.
    pub delay_max_ms: Option<f64>,
    /// Where synapses sit along the target compartment.
    pub placement: Placement,
    /// Whether a neuron may connect to itself when source and target are the same population.
    pub allow_autapses: bool,
    /// Where the delay lies for the projection's plasticity (axonal unless set).
    pub delay_site: DelaySite,
}

/// The most cluster centres per target neuron.
const MAX_CLUSTERS: u32 = 1 << 16;

/// The largest weight magnitude: weights are stored as `f32`.
const MAX_WEIGHT: f64 = f32::MAX as f64;

/// Check that `w` is finite and fits an `f32`.
fn weight_value(key: &str, w: f64) -> ParamResult<f64> {
    if w.is_finite() && w.abs() <= MAX_WEIGHT {
        Ok(w)
    } else {
        Err(ParamError::new(
            key,
            format!("a finite weight of magnitude at most {MAX_WEIGHT:e} (weights are f32)"),
            w,
        ))
    }
}

impl WeightDist {
    fn validate(&self) -> ParamResult<()> {
        match *self {
            WeightDist::Constant(w) => {
                weight_value("weight", w)?;
            }
            WeightDist::Uniform { lo, hi } => {
                weight_value("weight.lo", lo)?;
                weight_value("weight.hi", hi)?;
                if hi < lo {
                    return Err(ParamError::new("weight.hi", format!("a bound >= lo ({lo})"), hi));
                }
            }
            WeightDist::Normal { mean, sd, lo, hi } => {
                weight_value("weight.mean", mean)?;
                non_negative("weight.sd", sd)?;
                weight_value("weight.sd", sd)?;
                if lo.is_nan() || hi.is_nan() || hi < lo {
                    return Err(ParamError::new("weight.hi", format!("a bound >= lo ({lo})"), hi));
                }
            }
        }
        Ok(())
    }
}

impl ProjectionDesc {
    /// A projection with one delay for every synapse, synapses placed uniformly along the target
    /// compartment, and no autapses.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: impl Into<String>,
        source: usize,
        target: usize,
        receptor: usize,
        connectivity: Connectivity,
        weight: WeightDist,
        delay_ms: f64,
    ) -> Self {
        ProjectionDesc {
            name: name.into(),
            source,
            target,
            receptor,
            connectivity,
            weight,
            delay_ms,
            delay_max_ms: None,
            placement: Placement::Uniform,
            allow_autapses: false,
            delay_site: DelaySite::Axonal,
        }
    }

    /// Whether the projection has no synapse from `source` to `target` whatever the seed (for
    /// connectivity drawn at random, only an autapse that is excluded is certain).
    pub fn certainly_lacks(&self, source: u32, target: u32) -> bool {
        let autapse = self.source == self.target && source == target && !self.allow_autapses;
        match &self.connectivity {
            Connectivity::OneToOne => source != target || autapse,
            Connectivity::Explicit(pairs) => !pairs.contains(&(source, target)),
            Connectivity::Bernoulli { p } if *p <= 0.0 => true,
            Connectivity::AllToAll | Connectivity::Bernoulli { .. } | Connectivity::FixedIndegree { .. } => {
                autapse
            }
        }
    }

    /// Check values that do not depend on the populations (those are checked by the network).
    pub fn validate_own(&self) -> ParamResult<()> {
        match &self.connectivity {
            Connectivity::Bernoulli { p } => {
                in_range("connectivity.p", *p, 0.0, 1.0)?;
            }
            Connectivity::AllToAll
            | Connectivity::OneToOne
            | Connectivity::FixedIndegree { .. }
            | Connectivity::Explicit(_) => {}
        }
        self.weight.validate()?;
        positive("delay_ms", self.delay_ms)?;
        if let Some(hi) = self.delay_max_ms
            && (!hi.is_finite() || hi < self.delay_ms)
        {
            return Err(ParamError::new(
                "delay_max_ms",
                format!("a finite delay >= delay_ms ({} ms)", self.delay_ms),
                hi,
            ));
        }
        match &self.placement {
            Placement::Uniform => {}
            &Placement::Between { from_um, to_um } => {
                non_negative("placement.from_um", from_um)?;
                if !to_um.is_finite() || to_um < from_um {
                    return Err(ParamError::new(
                        "placement.to_um",
                        format!("a finite position >= from_um ({from_um})"),
                        to_um,
                    ));
                }
            }
            &Placement::At(x) => {
                non_negative("placement", x)?;
            }
            &Placement::Clustered { clusters, spread_um } => {
                // Each target draws its centres; positions are 16-bit codes of the branch, so
                // more than 2^16 centres on one branch cannot be told apart.
                if clusters == 0 || clusters > MAX_CLUSTERS {
                    return Err(ParamError::new(
                        "placement.clusters",
                        format!("between 1 and {MAX_CLUSTERS} clusters per target neuron"),
                        clusters,
                    ));
                }
                non_negative("placement.spread_um", spread_um)?;
            }
            Placement::Listed(positions_um) => {
                let pairs = match &self.connectivity {
                    Connectivity::Explicit(pairs) => pairs.len(),
                    _ => {
                        return Err(ParamError::new(
                            "placement",
                            "listed positions only with explicit connectivity",
                            "another connectivity",
                        ));
                    }
                };
                if positions_um.len() != pairs {
                    return Err(ParamError::new(
                        "placement",
                        format!("one position per explicit pair ({pairs})"),
                        positions_um.len(),
                    ));
                }
                for (i, &x) in positions_um.iter().enumerate() {
                    non_negative(&format!("placement[{i}]"), x)?;
                }
            }
        }
        Ok(())
    }
}
