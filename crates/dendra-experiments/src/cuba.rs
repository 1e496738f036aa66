//! The CUBA benchmark network of Vogels & Abbott (2005), as in Brian2's `CUBA` example and
//! `../shared/REFERENCES.md`.
//!
//! 4000 leaky integrate-and-fire neurons (3200 excitatory, 800 inhibitory), each pair connected
//! with probability 0.02 (self-connections allowed, as in Brian2's example), exponential current
//! synapses, 0.1 ms delay, simulated for 1 s at dt = 0.1 ms:
//!
//! ```text
//! τ_m dV/dt = -(V - E_L) + R (I_e + I_i),   τ_m = 20 ms, E_L = -49 mV, R = 1/g_L
//! V_th = -50 mV, V_reset = -60 mV, refractory 5 ms (V held at V_reset)
//! τ_e = 5 ms, τ_i = 10 ms; jumps R w_e = 1.62 mV, R w_i = -9 mV
//! V(0) ~ U(V_reset, V_th)
//! ```
//!
//! With `C_m = 200 pF` and `g_L = 10 nS` (τ_m = 20 ms) the weights are `w_e = 16.2 pA` and
//! `w_i = -90 pA`.
//!
//! Summary keys: `neurons`, `synapses`, `bytes_per_synapse`, `duration_ms`, `seed`, `threads`,
//! `spikes`, `rate_exc_hz`, `rate_inh_hz`, `rate_mean_hz`, `cv_isi_mean`, `synaptic_events`,
//! `build_s`, `loop_s`, `events_per_s`.

use std::sync::Arc;

use dendra_model::{
    Connectivity, InitialPotential, NetworkDesc, NeuronTemplate, Population, PopulationKind, ProjectionDesc,
    ReceptorParams, SomaParams, SpikeMechanism, WeightDist,
};
use dendra_sim::SpikeTable;

use crate::{ExperimentError, Outcome, RunOptions};

/// Parameters of the CUBA network (defaults: the published values).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CubaParams {
    /// Excitatory neurons. Default 3200.
    pub n_exc: u32,
    /// Inhibitory neurons. Default 800.
    pub n_inh: u32,
    /// Connection probability. Default 0.02.
    pub p_connect: f64,
    /// Excitatory weight (pA). Default 16.2 (1.62 mV × 10 nS).
    pub w_exc_pa: f64,
    /// Inhibitory weight (pA). Default -90 (-9 mV × 10 nS).
    pub w_inh_pa: f64,
    /// Synaptic delay (ms). Default 0.1.
    pub delay_ms: f64,
    /// Simulated time (ms). Default 1000.
    #[serde(skip)]
    pub duration_ms: f64,
}

impl Default for CubaParams {
    fn default() -> Self {
        CubaParams {
            n_exc: 3200,
            n_inh: 800,
            p_connect: 0.02,
            w_exc_pa: 16.2,
            w_inh_pa: -90.0,
            delay_ms: 0.1,
            duration_ms: 1000.0,
        }
    }
}

/// The CUBA neuron template.
pub fn template() -> NeuronTemplate {
    let soma = SomaParams {
        c_m_pf: 200.0,
        g_leak_ns: 10.0,
        e_leak_mv: -49.0,
        v_reset_mv: -60.0,
        t_ref_ms: 5.0,
        spike_amplitude_mv: 100.0,
        spike: SpikeMechanism::Threshold { v_th_mv: -50.0 },
    };
    let mut t = NeuronTemplate::point(
        "cuba_lif",
        soma,
        vec![
            ReceptorParams::current("exc", 0, 5.0),
            ReceptorParams::current("inh", 0, 10.0),
        ],
    );
    t.initial = InitialPotential::Uniform {
        lo_mv: -60.0,
        hi_mv: -50.0,
    };
    t
}

/// The CUBA network description (populations `exc` = 0 and `inh` = 1, spikes recorded).
pub fn network(p: &CubaParams) -> NetworkDesc {
    let t = Arc::new(template());
    let pop = |name: &str, size| Population {
        name: name.into(),
        size,
        kind: PopulationKind::Neurons(t.clone()),
    };
    let proj = |name: &str, source, target, receptor, w| ProjectionDesc {
        // Self-connections allowed, as in Brian2's example.
        allow_autapses: true,
        delay_site: dendra_model::DelaySite::Axonal,
        ..ProjectionDesc::new(
            name,
            source,
            target,
            receptor,
            Connectivity::Bernoulli { p: p.p_connect },
            WeightDist::Constant(w),
            p.delay_ms,
        )
    };
    let mut net = NetworkDesc {
        populations: vec![pop("exc", p.n_exc), pop("inh", p.n_inh)],
        projections: vec![
            proj("exc_exc", 0, 0, 0, p.w_exc_pa),
            proj("exc_inh", 0, 1, 0, p.w_exc_pa),
            proj("inh_exc", 1, 0, 1, p.w_inh_pa),
            proj("inh_inh", 1, 1, 1, p.w_inh_pa),
        ],
        ..NetworkDesc::default()
    };
    net.recording.spikes = vec![0, 1];
    net
}

/// Mean coefficient of variation of the inter-spike intervals of neurons with >= 3 spikes.
pub fn mean_cv_isi(spikes: &SpikeTable, n_pops: usize) -> f64 {
    let mut trains: std::collections::BTreeMap<(u32, u32), Vec<f64>> = Default::default();
    for k in 0..spikes.len() {
        if (spikes.population[k] as usize) < n_pops {
            trains
                .entry((spikes.population[k], spikes.neuron[k]))
                .or_default()
                .push(spikes.t_ms[k]);
        }
    }
    let cvs: Vec<f64> = trains
        .values()
        .filter(|t| t.len() >= 3)
        .map(|t| {
            let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
            let m = isi.iter().sum::<f64>() / isi.len() as f64;
            let v = isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64;
            v.sqrt() / m
        })
        .collect();
    if cvs.is_empty() {
        f64::NAN
    } else {
        cvs.iter().sum::<f64>() / cvs.len() as f64
    }
}

/// Run CUBA with `params` (summary keys of [`crate::network`]).
pub fn run_with(params: &CubaParams, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    crate::network::run(network(params), params.duration_ms, None, options)
}
