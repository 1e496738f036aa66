//! The per-compartment multi-rule benchmark of `../shared/REFERENCES.md`: 100 neurons, each
//! with a basal dendrite under pair STDP, an apical trunk under reward-gated (three-factor)
//! plasticity and a distal apical branch under local co-activity plasticity, 100 synapses per
//! compartment from Poisson inputs at 9 Hz, 10 s; dopamine is released once per second. The
//! somatic spike reaches the dendrites as a 20 mV event attenuated to 14 (basal), 8 (trunk)
//! and 3 mV (distal): every neuron fires irregularly at a few Hz. (With the engine's default
//! 100 mV, the 70 mV basal kick re-excited the soma, trapping a few neurons in a 180 Hz loop
//! while the rest stayed silent.)
//!
//! Summary keys: `neurons`, `synapses`, `bytes_per_synapse`, `trace_bytes_per_synapse`
//! (plasticity state kept per neuron or per rule, such as traces and the reward rule's
//! eligibility clock, over the synapses), `duration_ms`, `seed`,
//! `threads`, `rate_hz`, `synaptic_events`, `mean_w_basal`, `mean_w_apical`, `mean_w_distal`, `loop_s`,
//! `build_s`.

use std::sync::Arc;

use dendra_model::rules::ModulatorParams;
use dendra_model::rules::rules::{LocalCoactivity, PairStdp, RewardModulated};
use dendra_model::{
    AnyRule, BapParams, CompartmentParams, CompartmentRule, Connectivity, ModulatorDesc, NetworkDesc,
    NeuronTemplate, Population, PopulationKind, ProjectionDesc, ReceptorParams, Release, Role, Site,
    SomaParams, SourceParams, WeightDist,
};

use crate::{ExperimentError, Outcome, RunOptions, Summary};

/// Rate of every Poisson input (Hz).
const INPUT_RATE_HZ: f64 = 9.0;

/// Upper weight bound of every rule (pA).
const W_MAX_PA: f64 = 150.0;

fn template() -> NeuronTemplate {
    let mut basal = CompartmentParams::new("basal", Role::at(Site::Basal), 0, 150.0);
    basal.bap = Some(BapParams {
        delay_ms: 0.3,
        attenuation: 0.7,
    });
    let mut trunk = CompartmentParams::new("apical", Role::at(Site::ApicalTrunk), 0, 200.0);
    trunk.bap = Some(BapParams {
        delay_ms: 0.8,
        attenuation: 0.4,
    });
    let mut distal = CompartmentParams::new("distal", Role::distal(Site::ApicalTuft), 2, 100.0);
    distal.bap = Some(BapParams {
        delay_ms: 1.5,
        attenuation: 0.15,
    });
    let mut t = NeuronTemplate {
        name: "pyramidal".into(),
        soma: SomaParams {
            spike_amplitude_mv: 20.0,
            ..SomaParams::default()
        },
        compartments: vec![basal, trunk, distal],
        receptors: (1..=3).map(|c| ReceptorParams::current("ampa", c, 3.0)).collect(),
        initial: dendra_model::InitialPotential::Uniform {
            lo_mv: -70.0,
            hi_mv: -55.0,
        },
        rules: Vec::new(),
    };
    // Amplitudes and bounds in pA (W_MAX_PA).
    t.rules.push(CompartmentRule::new(
        1,
        AnyRule::PairStdp(PairStdp {
            a_plus: 0.01 * W_MAX_PA,
            a_minus: 0.0105 * W_MAX_PA,
            w_max: W_MAX_PA,
            ..PairStdp::default()
        }),
    ));
    let mut reward = CompartmentRule::new(
        2,
        AnyRule::RewardModulated(RewardModulated {
            eta: 0.01 * W_MAX_PA,
            w_max: W_MAX_PA,
            tick_ms: 500.0,
            ..RewardModulated::default()
        }),
    );
    reward.modulator = Some(0);
    t.rules.push(reward);
    t.rules.push(CompartmentRule::new(
        3,
        AnyRule::LocalCoactivity(LocalCoactivity {
            bounds: dendra_model::rules::WeightBounds::soft(0.0, W_MAX_PA),
            ..LocalCoactivity::default()
        }),
    ));
    t
}

/// The benchmark network for `duration_ms`.
pub fn network(duration_ms: f64) -> NetworkDesc {
    let input = |name: &str| Population {
        name: name.into(),
        size: 1000,
        kind: PopulationKind::Source(SourceParams::Poisson {
            rate_hz: INPUT_RATE_HZ,
        }),
    };
    let proj = |name: &str, source, receptor, w| {
        ProjectionDesc::new(
            name,
            source,
            0,
            receptor,
            Connectivity::FixedIndegree { k: 100 },
            WeightDist::Uniform { lo: 0.0, hi: w },
            1.0,
        )
    };
    NetworkDesc {
        populations: vec![
            Population {
                name: "pyramidal".into(),
                size: 100,
                kind: PopulationKind::Neurons(Arc::new(template())),
            },
            input("basal_in"),
            input("apical_in"),
            input("distal_in"),
        ],
        projections: vec![
            proj("basal", 1, 0, W_MAX_PA),
            proj("apical", 2, 1, W_MAX_PA),
            proj("distal", 3, 2, W_MAX_PA),
        ],
        modulators: vec![ModulatorDesc {
            name: "reward".into(),
            params: ModulatorParams::default(),
        }],
        releases: (1..=(duration_ms / 1000.0) as usize)
            .map(|k| Release {
                modulator: 0,
                t_ms: 1000.0 * k as f64 - 500.0,
                amount: 1.0,
            })
            .collect(),
        recording: dendra_model::RecordingDesc {
            spikes: vec![0],
            ..Default::default()
        },
        ..NetworkDesc::default()
    }
}

/// Run the benchmark (10 s by default).
pub fn run(spec: &dendra_spec::Spec, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let crate::NoParams {} = spec.params()?;
    // One scheduled release per simulated second: at most ten simulated hours.
    let duration_ms = crate::check_duration(options.duration_ms.unwrap_or(10_000.0), 36_000_000.0)?;
    let net = network(duration_ms);
    let mut sim = crate::simulation(&net, options)?;
    sim.run_with_progress(duration_ms, options.progress)?;
    let stats = sim.stats();
    let mean_w = |p: usize| {
        let rows = sim.synapses(p);
        rows.iter().map(|s| f64::from(s.weight)).sum::<f64>() / rows.len() as f64
    };
    let mut s = Summary::new();
    s.set("neurons", 100u64)
        .set("synapses", stats.synapses)
        .set("bytes_per_synapse", stats.bytes_per_synapse())
        .set("trace_bytes_per_synapse", stats.neuron_bytes_per_synapse())
        .set("duration_ms", duration_ms)
        .set("seed", options.seed)
        .set("threads", options.threads as u64)
        .set(
            "rate_hz",
            sim.spikes().len() as f64 / 100.0 / (duration_ms / 1000.0),
        )
        .set("synaptic_events", stats.events)
        .set("mean_w_basal", mean_w(0))
        .set("mean_w_apical", mean_w(1))
        .set("mean_w_distal", mean_w(2))
        .set("loop_s", stats.loop_seconds)
        .set("build_s", stats.build_seconds);
    Ok(Outcome::recorded(s, net, sim))
}
