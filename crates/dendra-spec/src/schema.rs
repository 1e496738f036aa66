//! The spec as written in TOML: `*Spec` types read by serde, before names are resolved.
//!
//! Convention (held everywhere): quantities are plain numbers whose key names carry the unit
//! (`tau_ms`, `length_um`, `g_leak_ns`, `rate_hz`, `amplitude_pa`); weights are in the unit of
//! their receptor (pA for current-based, nS for conductance-based synapses). Every table rejects
//! keys it does not know. Tagged choices use `kind = "..."` (rules use `name = "..."`).

use std::collections::BTreeMap;

use dendra_model::{BapParams, PlateauParams, SomaParams};
use dendra_rules::{AnyRule, ModulatorParams, StructuralParams};
use serde::Deserialize;

/// A whole spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// Name, run length, seed, threads.
    pub experiment: ExperimentSpec,
    /// Parameters of a built-in procedure (`experiment.builtin`), read by that built-in.
    #[serde(default)]
    pub params: Option<toml::Table>,
    /// Neuron templates by name.
    #[serde(default)]
    pub neurons: BTreeMap<String, NeuronSpec>,
    /// Populations, in the order that numbers their neurons.
    #[serde(default)]
    pub populations: Vec<PopulationSpec>,
    /// Projections between populations.
    #[serde(default)]
    pub projections: Vec<ProjectionSpec>,
    /// Inputs and manipulations on a schedule.
    #[serde(default)]
    pub stimuli: Vec<StimulusSpec>,
    /// Broadcast neuromodulators.
    #[serde(default)]
    pub modulators: Vec<ModulatorSpec>,
    /// Scheduled neuromodulator releases.
    #[serde(default)]
    pub releases: Vec<ReleaseSpec>,
    /// What to record.
    #[serde(default)]
    pub recording: RecordingSpec,
}

/// `[experiment]`: what the run is and how long it lasts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// Short name (used in reports).
    pub name: String,
    /// One line saying what the experiment is.
    #[serde(default)]
    pub description: String,
    /// A built-in procedure that runs this spec (its parameters in `[params]`); absent: the
    /// network described here is simulated for `duration_ms`.
    #[serde(default)]
    pub builtin: Option<String>,
    /// Simulated time (ms); network specs give this or `sessions` and `session_ms`.
    #[serde(default)]
    pub duration_ms: Option<f64>,
    /// Number of sessions run back to back (state carries over from one to the next), with
    /// `session_ms`; the duration is then `sessions × session_ms`, and stimuli can name the
    /// sessions they act in.
    #[serde(default)]
    pub sessions: Option<u32>,
    /// Length of one session (ms), with `sessions`.
    #[serde(default)]
    pub session_ms: Option<f64>,
    /// Time step (ms). Default 0.1.
    #[serde(default = "default_dt_ms")]
    pub dt_ms: f64,
    /// Seed of every random stream. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Worker threads; 0 = one per core. Results do not depend on it. Default 0.
    #[serde(default)]
    pub threads: usize,
}

fn default_dt_ms() -> f64 {
    0.1
}

fn default_seed() -> u64 {
    1
}

/// `[neurons.NAME]`: a neuron template.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeuronSpec {
    /// The soma (defaults: `SomaParams::default()`, a 20 ms LIF).
    #[serde(default)]
    pub soma: SomaParams,
    /// Dendritic compartments; a parent must be listed before its children.
    #[serde(default)]
    pub compartments: Vec<CompartmentSpec>,
    /// Receptors on the soma or the compartments.
    #[serde(default)]
    pub receptors: Vec<ReceptorSpec>,
    /// Initial potentials. Default: at rest.
    #[serde(default)]
    pub initial: InitialSpec,
    /// Plasticity rules per compartment.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// `[[neurons.NAME.compartments]]`: one dendritic compartment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompartmentSpec {
    /// Name, unique in the template (not `soma`).
    pub name: String,
    /// `basal`, `apical_trunk`, `apical_tuft`, `oblique`, or one of these prefixed `distal_`.
    pub role: String,
    /// Parent compartment. Default `soma`.
    #[serde(default = "soma_name")]
    pub parent: String,
    /// Length (µm) along which synapses are placed; 0 = no positions.
    pub length_um: f64,
    /// Membrane capacitance (pF). Default 100.
    #[serde(default = "default_c_m_pf")]
    pub c_m_pf: f64,
    /// Leak conductance (nS). Default 5.
    #[serde(default = "default_g_leak_ns")]
    pub g_leak_ns: f64,
    /// Leak reversal (mV). Default -70.
    #[serde(default = "default_e_leak_mv")]
    pub e_leak_mv: f64,
    /// Coupling conductance to the parent (nS). Default 10.
    #[serde(default = "default_g_couple_ns")]
    pub g_couple_ns: f64,
    /// Back-propagating spike: a table `{ delay_ms, attenuation }`, `true` (defaults: 0.5 ms,
    /// 0.3) or `false` (no bAP reaches this compartment). Default `true`.
    #[serde(default)]
    pub bap: BapSpec,
    /// NMDA-like plateau; absent: passive.
    #[serde(default)]
    pub plateau: Option<PlateauParams>,
}

fn one_ms() -> f64 {
    1.0
}

fn soma_name() -> String {
    "soma".to_string()
}
fn default_c_m_pf() -> f64 {
    100.0
}
fn default_g_leak_ns() -> f64 {
    5.0
}
fn default_e_leak_mv() -> f64 {
    -70.0
}
fn default_g_couple_ns() -> f64 {
    10.0
}

/// `bap = true | false | { delay_ms, attenuation }`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(
    untagged,
    expecting = "true, false or a table { delay_ms = .., attenuation = .. }"
)]
pub enum BapSpec {
    /// On with defaults, or off.
    Switch(bool),
    /// On with these parameters.
    Params(BapParams),
}

impl Default for BapSpec {
    fn default() -> Self {
        BapSpec::Switch(true)
    }
}

impl BapSpec {
    /// The model's form.
    pub fn params(self) -> Option<BapParams> {
        match self {
            BapSpec::Switch(true) => Some(BapParams::default()),
            BapSpec::Switch(false) => None,
            BapSpec::Params(p) => Some(p),
        }
    }
}

/// `[[neurons.NAME.receptors]]`: a synaptic receptor (exponential synapse).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceptorSpec {
    /// Name, unique per compartment (projections refer to it).
    pub name: String,
    /// Compartment it sits on. Default `soma`.
    #[serde(default = "soma_name")]
    pub compartment: String,
    /// `current` (weights in pA) or `conductance` (weights in nS; needs `e_rev_mv`).
    pub kind: ReceptorKindSpec,
    /// Reversal potential (mV) of a conductance-based receptor.
    #[serde(default)]
    pub e_rev_mv: Option<f64>,
    /// Decay time constant (ms).
    pub tau_ms: f64,
}

/// Current- or conductance-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceptorKindSpec {
    /// Current-based.
    Current,
    /// Conductance-based.
    Conductance,
}

/// `initial = { kind = "rest" | "fixed" | "uniform", ... }`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InitialSpec {
    /// Every compartment at its leak reversal.
    #[default]
    Rest,
    /// Every compartment at `v_mv`.
    Fixed {
        /// Potential (mV).
        v_mv: f64,
    },
    /// The soma uniform in `[lo_mv, hi_mv)`.
    Uniform {
        /// Lower bound (mV).
        lo_mv: f64,
        /// Upper bound (mV).
        hi_mv: f64,
    },
}

/// `[[neurons.NAME.rules]]`: a rule acting on one compartment's synapses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Name that manipulations use (`disable_rule`). Default `COMPARTMENT.RULE`.
    #[serde(default)]
    pub id: Option<String>,
    /// Compartment whose synapses follow the rule.
    pub compartment: String,
    /// Receptors on that compartment it applies to; empty: all.
    #[serde(default)]
    pub receptors: Vec<String>,
    /// The rule: `{ name = "pair_stdp", a_plus = 0.01, ... }` (unset parameters keep the
    /// rule's documented defaults).
    pub rule: AnyRule,
    /// Neuromodulator the rule reads (rules that need one).
    #[serde(default)]
    pub modulator: Option<String>,
    /// Structural plasticity of these synapses.
    #[serde(default)]
    pub structural: Option<StructuralParams>,
}

/// `[[populations]]`: neurons of one template, or spike sources.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Name, unique in the spec.
    pub name: String,
    /// Number of neurons or sources.
    pub size: u32,
    /// Template name (a key of `[neurons]`), for neuron populations.
    #[serde(default)]
    pub neuron: Option<String>,
    /// Source parameters, for source populations.
    #[serde(default)]
    pub source: Option<SourceSpec>,
}

/// `source = { kind = ..., ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceSpec {
    /// Homogeneous Poisson.
    Poisson {
        /// Rate (Hz).
        rate_hz: f64,
    },
    /// Inhomogeneous Poisson with a piecewise-linear rate through `[t_ms, rate_hz]` points.
    PiecewiseLinear {
        /// `[[t_ms, rate_hz], ...]`, times increasing.
        points: Vec<[f64; 2]>,
    },
    /// Inhomogeneous Poisson with a sinusoidal rate (clipped at 0).
    Sinusoid {
        /// Mean rate (Hz).
        offset_hz: f64,
        /// Amplitude (Hz).
        amplitude_hz: f64,
        /// Frequency (Hz).
        frequency_hz: f64,
        /// Phase (rad). Default 0.
        #[serde(default)]
        phase_rad: f64,
    },
    /// Given spike times (ms), one list per source.
    SpikeTrains {
        /// `[[t_ms, ...], ...]`.
        trains: Vec<Vec<f64>>,
    },
}

/// `[[projections]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSpec {
    /// Name (weight recordings refer to it). Default `SOURCE->TARGET`.
    #[serde(default)]
    pub name: Option<String>,
    /// Source population.
    pub source: String,
    /// Target population (neurons).
    pub target: String,
    /// Receptor of the target template.
    pub receptor: String,
    /// Compartment of that receptor, when its name is used on several compartments.
    #[serde(default)]
    pub compartment: Option<String>,
    /// Who connects to whom.
    pub connectivity: ConnectivitySpec,
    /// Initial weights: a number, or `{ kind = "uniform", lo, hi }` /
    /// `{ kind = "normal", mean, sd, lo = -inf, hi = inf }`.
    pub weight: WeightSpec,
    /// Delay (ms). Default 0.1.
    #[serde(default = "default_dt_ms")]
    pub delay_ms: f64,
    /// With this, delays are uniform over the steps from `delay_ms` to `delay_max_ms`.
    #[serde(default)]
    pub delay_max_ms: Option<f64>,
    /// Positions along the target compartment. Default uniform.
    #[serde(default)]
    pub placement: PlacementSpec,
    /// Whether a neuron may connect to itself (same population). Default false.
    #[serde(default)]
    pub allow_autapses: bool,
    /// Where the delay lies for plasticity: `"axonal"` (default: a spike reaches the synapse
    /// `delay_ms` after it was emitted) or `"dendritic"` (NEST's STDP convention: it reaches the
    /// synapse at once, and postsynaptic spikes reach it `delay_ms` late).
    #[serde(default)]
    pub delay_site: DelaySiteSpec,
}

/// `delay_site = "axonal" | "dendritic"`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelaySiteSpec {
    /// The whole delay is axonal.
    #[default]
    Axonal,
    /// The whole delay is dendritic (NEST's `stdp_synapse`).
    Dendritic,
}

/// `connectivity = { kind = ..., ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConnectivitySpec {
    /// Every source to every target.
    AllToAll,
    /// Source i to target i.
    OneToOne,
    /// Each pair independently with probability `p`.
    Bernoulli {
        /// Probability.
        p: f64,
    },
    /// Each target draws exactly `k` distinct sources.
    FixedIndegree {
        /// In-degree.
        k: u32,
    },
    /// Listed `[source, target]` pairs.
    Explicit {
        /// `[[source, target], ...]`.
        pairs: Vec<[u32; 2]>,
    },
}

/// `weight = 0.27` or a distribution table.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(
    untagged,
    expecting = "a number, or a table { kind = \"uniform\", lo, hi } or { kind = \"normal\", mean, sd, lo, hi }"
)]
pub enum WeightSpec {
    /// The same weight everywhere.
    Constant(f64),
    /// A distribution.
    Dist(WeightDistSpec),
}

/// Weight distributions.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WeightDistSpec {
    /// Uniform in `[lo, hi)`.
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Normal, clipped to `[lo, hi]`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
        /// Lower clip. Default -inf.
        #[serde(default = "neg_inf")]
        lo: f64,
        /// Upper clip. Default +inf.
        #[serde(default = "pos_inf")]
        hi: f64,
    },
}

fn neg_inf() -> f64 {
    f64::NEG_INFINITY
}
fn pos_inf() -> f64 {
    f64::INFINITY
}

/// `placement = { kind = ..., ... }`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlacementSpec {
    /// Uniform along the compartment.
    #[default]
    Uniform,
    /// Uniform between two distances from the compartment's start (µm).
    Between {
        /// From (µm).
        from_um: f64,
        /// To (µm).
        to_um: f64,
    },
    /// All at one position (µm).
    At {
        /// Position (µm).
        position_um: f64,
    },
    /// Uniform between two path distances from the soma (µm), counted along the parent
    /// compartments' lengths; the part of the range on this compartment is used.
    FromSoma {
        /// From (µm from the soma).
        from_um: f64,
        /// To (µm from the soma).
        to_um: f64,
    },
    /// Clustered around `clusters` random centres per target neuron.
    Clustered {
        /// Centres per target neuron.
        clusters: u32,
        /// Standard deviation around a centre (µm).
        spread_um: f64,
    },
}

/// `[[stimuli]]`: an input or manipulation applied to some neurons during a window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StimulusSpec {
    /// Neuron population it acts on.
    pub population: String,
    /// `"all"` (default), a list of indices, or `{ fraction = 0.5 }`.
    #[serde(default)]
    pub neurons: SelectionSpec,
    /// Start (ms). Default 0.
    #[serde(default)]
    pub start_ms: f64,
    /// End (ms). Default: never (with `sessions`: the end of each session).
    #[serde(default)]
    pub stop_ms: Option<f64>,
    /// Sessions (1-based) it acts in; `start_ms` and `stop_ms` then count from each session's
    /// start. Needs `experiment.sessions`. Default: the whole run, times from its start.
    #[serde(default)]
    pub sessions: Option<Vec<u32>>,
    /// What it does.
    pub action: ActionSpec,
}

/// Which neurons of a population.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "\"all\", a list of neuron indices, or a table { fraction = .. }"
)]
pub enum SelectionSpec {
    /// `"all"`.
    Word(String),
    /// Indices.
    Indices(Vec<u32>),
    /// A seeded random fraction.
    Fraction {
        /// Fraction in [0, 1].
        fraction: f64,
    },
}

impl Default for SelectionSpec {
    fn default() -> Self {
        SelectionSpec::Word("all".into())
    }
}

/// `action = { kind = ..., ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionSpec {
    /// Constant current into a compartment.
    CurrentClamp {
        /// Compartment. Default `soma`.
        #[serde(default = "soma_name")]
        compartment: String,
        /// Current (pA).
        amplitude_pa: f64,
    },
    /// Current ramping linearly over the window.
    Ramp {
        /// Compartment. Default `soma`.
        #[serde(default = "soma_name")]
        compartment: String,
        /// Current at the start (pA).
        from_pa: f64,
        /// Current at the end (pA).
        to_pa: f64,
    },
    /// Gaussian noise current, independent for each neuron, each draw held for `interval_ms`
    /// (NEST's `noise_generator`).
    Noise {
        /// Compartment. Default `soma`.
        #[serde(default = "soma_name")]
        compartment: String,
        /// Mean (pA). Default 0.
        #[serde(default)]
        mean_pa: f64,
        /// Standard deviation (pA).
        std_pa: f64,
        /// How long each draw is held (ms). Default 1.
        #[serde(default = "one_ms")]
        interval_ms: f64,
    },
    /// Hold a compartment's potential (the clamp current can be recorded).
    VoltageClamp {
        /// Compartment. Default `soma`.
        #[serde(default = "soma_name")]
        compartment: String,
        /// Holding potential (mV).
        hold_mv: f64,
    },
    /// Light-driven current into the soma (negative silences).
    Optogenetic {
        /// Current (pA).
        current_pa: f64,
    },
    /// Suppress somatic spikes.
    BlockSpikes,
    /// Make the neurons spike at the listed times (ms from the window's start), as if their
    /// potential had crossed threshold (reset, refractory period, bAPs, plasticity, delivery).
    Spikes {
        /// Spike times (ms from the window's start), increasing.
        times_ms: Vec<f64>,
    },
    /// Stop back-propagating spikes (all compartments, or the listed ones).
    BlockBap {
        /// Compartments; absent: all.
        #[serde(default)]
        compartments: Option<Vec<String>>,
    },
    /// Switch a rule off (ablation), by its `id`.
    DisableRule {
        /// Rule id.
        rule: String,
    },
    /// A Kir-like potassium conductance that lowers excitability.
    Kir {
        /// Conductance (nS).
        g_ns: f64,
        /// Potassium reversal (mV). Default -90.
        #[serde(default = "default_e_k_mv")]
        e_k_mv: f64,
    },
}

fn default_e_k_mv() -> f64 {
    -90.0
}

/// `[[modulators]]`: a broadcast neuromodulator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModulatorSpec {
    /// Name rules refer to.
    pub name: String,
    /// Decay time constant (ms); default as `ModulatorParams::default()`.
    #[serde(default)]
    pub tau_ms: Option<f64>,
    /// Baseline level; default as `ModulatorParams::default()`.
    #[serde(default)]
    pub baseline: Option<f64>,
    /// How far back releases are kept for exact integrals (ms); default as
    /// `ModulatorParams::default()`.
    #[serde(default)]
    pub history_ms: Option<f64>,
}

impl ModulatorSpec {
    /// The model's parameters.
    pub fn params(&self) -> ModulatorParams {
        let d = ModulatorParams::default();
        ModulatorParams {
            tau_ms: self.tau_ms.unwrap_or(d.tau_ms),
            baseline: self.baseline.unwrap_or(d.baseline),
            history_ms: self.history_ms.unwrap_or(d.history_ms),
        }
    }
}

/// `[[releases]]`: a neuromodulator released at given times.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    /// Modulator name.
    pub modulator: String,
    /// Release times (ms).
    pub times_ms: Vec<f64>,
    /// Amount added at each release.
    pub amount: f64,
}

/// `[recording]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingSpec {
    /// Populations whose spikes are recorded: `"neurons"` (default: every neuron population),
    /// `"all"` (sources too), `"none"`, or a list of names.
    #[serde(default)]
    pub spikes: PopulationsSpec,
    /// Sampled signals.
    #[serde(default)]
    pub probes: Vec<ProbeSpec>,
    /// Sampled weights.
    #[serde(default)]
    pub weights: Vec<WeightProbeSpec>,
}

/// `"neurons"`, `"all"`, `"none"` or a list of population names.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "\"neurons\", \"all\", \"none\" or a list of population names"
)]
pub enum PopulationsSpec {
    /// `"neurons"`, `"all"` or `"none"`.
    Word(String),
    /// Names.
    Names(Vec<String>),
}

impl Default for PopulationsSpec {
    fn default() -> Self {
        PopulationsSpec::Word("neurons".into())
    }
}

/// `[[recording.probes]]`: a signal of some neurons sampled at an interval.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    /// Neuron population.
    pub population: String,
    /// Neuron indices within it.
    pub neurons: Vec<u32>,
    /// `potential`, `receptor_current`, `receptor_conductance`, `clamp_current`,
    /// `adaptation` or `branch_strength`.
    pub signal: SignalSpec,
    /// Compartment (default `soma`) for compartment signals, or of the receptor.
    #[serde(default)]
    pub compartment: Option<String>,
    /// Receptor name for receptor signals.
    #[serde(default)]
    pub receptor: Option<String>,
    /// Sampling interval (ms). Default: every step.
    #[serde(default)]
    pub interval_ms: Option<f64>,
}

/// Which signal a probe samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalSpec {
    /// Membrane potential (mV).
    Potential,
    /// Receptor current (pA).
    ReceptorCurrent,
    /// Receptor conductance (nS).
    ReceptorConductance,
    /// Voltage-clamp current (pA).
    ClampCurrent,
    /// Adaptation (recovery) current of an AdEx or quadratic soma (pA).
    Adaptation,
    /// Branch strength of a plateau compartment.
    BranchStrength,
}

/// `[[recording.weights]]`: the synapse weights of a projection, sampled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightProbeSpec {
    /// Projection name.
    pub projection: String,
    /// Sampling interval (ms).
    pub interval_ms: f64,
    /// Only the synapses between these `[source, target]` pairs (population indices). Default:
    /// every synapse of the projection.
    #[serde(default)]
    pub synapses: Vec<(u32, u32)>,
}
