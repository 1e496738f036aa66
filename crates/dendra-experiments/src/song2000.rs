//! Song, Miller & Abbott (2000): competitive Hebbian learning through STDP.
//!
//! One leaky integrate-and-fire neuron receives 1000 independent Poisson inputs at 15 Hz through
//! excitatory conductance synapses with additive, all-to-all pair STDP; the weights compete and
//! end up bimodal, near 0 or near the maximum. Parameters as in Brian2's `STDP` example (the
//! published model): `τ_m = 10 ms`, `E_L = -74 mV`, `V_th = -54 mV`, `V_reset = -60 mV`, no
//! refractory period; `τ_e = 5 ms`, `E_e = 0 mV`; `g_max = 0.01 g_L` (0.1 nS with `g_L = 10 nS`,
//! `C_m = 100 pF`); initial weights uniform in `[0, g_max]`; `A+ = 0.01 g_max`,
//! `A- = 1.05 A+`, `τ+ = τ- = 20 ms`; 100 s.
//!
//! Summary keys: `duration_ms`, `seed`, `threads`, `inputs`, `input_rate_hz`, `rate_hz` (the
//! neuron's mean rate), `rate_last_10s_hz`, `frac_w_above_0.9`, `frac_w_below_0.1` (fractions of
//! weights above 0.9 and below 0.1 of `g_max` at the end; targets >= 0.15 each at 100 s),
//! `w_mean_over_gmax`, `w_hist` (10-bin histogram of `w / g_max` at the end), `loop_s`,
//! `synaptic_events`, `bytes_per_synapse` (all synapse storage: CSR, reverse index, rule state),
//! `trace_bytes_per_synapse` (plasticity state kept per neuron, such as the presynaptic traces of
//! the inputs, over the synapses).

use std::sync::Arc;

use dendra_model::rules::rules::{PairStdp, StdpPairing, StdpUpdate};
use dendra_model::{
    AnyRule, CompartmentRule, Connectivity, NetworkDesc, NeuronTemplate, Population, PopulationKind,
    ProjectionDesc, ReceptorParams, SomaParams, SourceParams, SpikeMechanism, WeightDist,
};

use crate::{ExperimentError, Outcome, RunOptions, Summary};

/// Parameters of the Song 2000 experiment (defaults: the published values).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Song2000Params {
    /// Number of Poisson inputs. Default 1000.
    pub inputs: u32,
    /// Rate of each input (Hz). Default 15.
    pub input_rate_hz: f64,
    /// Maximum conductance `g_max` (nS). Default 0.1 (0.01 g_L).
    pub g_max_ns: f64,
    /// `A- / A+`. Default 1.05.
    pub depression_ratio: f64,
    /// Simulated time (ms). Default 100 000.
    #[serde(skip)]
    pub duration_ms: f64,
}

impl dendra_spec::BuiltinParams for Song2000Params {
    fn validate(&self) -> dendra_core::ParamResult<()> {
        use dendra_core::error::{in_range, positive};
        in_range("inputs", f64::from(self.inputs), 1.0, 1e6)?;
        in_range("input_rate_hz", self.input_rate_hz, 0.0, 1e4)?;
        positive("g_max_ns", self.g_max_ns)?;
        in_range("g_max_ns", self.g_max_ns, 0.0, 1e6)?;
        in_range("depression_ratio", self.depression_ratio, 0.0, 100.0)?;
        Ok(())
    }
}

impl Default for Song2000Params {
    fn default() -> Self {
        Song2000Params {
            inputs: 1000,
            input_rate_hz: 15.0,
            g_max_ns: 0.1,
            depression_ratio: 1.05,
            duration_ms: 100_000.0,
        }
    }
}

/// The network: population 0 is the neuron, population 1 the inputs; projection 0 is plastic.
pub fn network(p: &Song2000Params) -> NetworkDesc {
    let soma = SomaParams {
        c_m_pf: 100.0,
        g_leak_ns: 10.0,
        e_leak_mv: -74.0,
        v_reset_mv: -60.0,
        t_ref_ms: 0.0,
        spike_amplitude_mv: 100.0,
        spike: SpikeMechanism::Threshold { v_th_mv: -54.0 },
    };
    let mut t = NeuronTemplate::point(
        "song_lif",
        soma,
        vec![ReceptorParams::conductance("exc", 0, 5.0, 0.0)],
    );
    let a_plus = 0.01 * p.g_max_ns;
    t.rules.push(CompartmentRule::new(
        0,
        AnyRule::PairStdp(PairStdp {
            a_plus,
            a_minus: p.depression_ratio * a_plus,
            tau_plus_ms: 20.0,
            tau_minus_ms: 20.0,
            w_min: 0.0,
            w_max: p.g_max_ns,
            update: StdpUpdate::Additive,
            pairing: StdpPairing::AllToAll,
        }),
    ));
    let mut net = NetworkDesc {
        populations: vec![
            Population {
                name: "neuron".into(),
                size: 1,
                kind: PopulationKind::Neurons(Arc::new(t)),
            },
            Population {
                name: "inputs".into(),
                size: p.inputs,
                kind: PopulationKind::Source(SourceParams::Poisson {
                    rate_hz: p.input_rate_hz,
                }),
            },
        ],
        projections: vec![ProjectionDesc::new(
            "inputs_neuron",
            1,
            0,
            0,
            Connectivity::AllToAll,
            WeightDist::Uniform {
                lo: 0.0,
                hi: p.g_max_ns,
            },
            0.1,
        )],
        ..NetworkDesc::default()
    };
    net.recording.spikes = vec![0];
    net
}

/// Run with the parameters of the spec's `[params]` (defaults: the published ones).
pub fn run(spec: &dendra_spec::Spec, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let mut params: Song2000Params = spec.params()?;
    if let Some(d) = options.duration_ms {
        params.duration_ms = d;
    }
    run_with(&params, options)
}

/// Run with `params`.
pub fn run_with(p: &Song2000Params, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let net = network(p);
    let mut sim = crate::simulation(&net, options)?;
    sim.run_with_progress(p.duration_ms, options.progress)?;
    let spikes = sim.spikes();
    let w: Vec<f64> = sim
        .synapses(0)
        .iter()
        .map(|s| f64::from(s.weight) / p.g_max_ns)
        .collect();
    let n = w.len() as f64;
    let frac = |f: &dyn Fn(f64) -> bool| w.iter().filter(|&&x| f(x)).count() as f64 / n;
    let mut hist = vec![0u64; 10];
    for &x in &w {
        hist[((x * 10.0).floor().max(0.0) as usize).min(9)] += 1;
    }
    let secs = p.duration_ms / 1000.0;
    let last_window = 10_000.0f64.min(p.duration_ms);
    let late = spikes
        .t_ms
        .iter()
        .filter(|&&t| t > p.duration_ms - last_window)
        .count();
    let stats = sim.stats();
    let mut s = Summary::new();
    s.set("duration_ms", p.duration_ms)
        .set("seed", options.seed)
        .set("threads", options.threads as u64)
        .set("inputs", p.inputs)
        .set("input_rate_hz", p.input_rate_hz)
        .set("rate_hz", spikes.len() as f64 / secs)
        .set("rate_last_10s_hz", late as f64 / (last_window / 1000.0))
        .set("frac_w_above_0.9", frac(&|x| x > 0.9))
        .set("frac_w_below_0.1", frac(&|x| x < 0.1))
        .set("w_mean_over_gmax", w.iter().sum::<f64>() / n)
        .set("w_hist", hist)
        .set("loop_s", stats.loop_seconds)
        .set("synaptic_events", stats.events)
        .set("bytes_per_synapse", stats.bytes_per_synapse())
        .set("trace_bytes_per_synapse", stats.neuron_bytes_per_synapse());
    Ok(Outcome::recorded(s, net, sim))
}
