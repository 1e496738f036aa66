//! A seed fully determines a run, whatever the thread count: a network that exercises every
//! engine path (multi-compartment neurons with bAPs and plateaus, AdEx, conductance synapses,
//! Poisson and inhomogeneous sources, stimuli, probes) gives bit-identical spikes and traces on
//! 1, 2 and 4 threads.

mod common;

use std::sync::Arc;

use dendra_model::*;
use dendra_sim::{RunConfig, Simulation};

fn pyramidal() -> NeuronTemplate {
    let mut basal = CompartmentParams::new("basal", Role::at(Site::Basal), 0, 150.0);
    basal.bap = Some(BapParams {
        delay_ms: 0.3,
        attenuation: 0.5,
    });
    let mut trunk = CompartmentParams::new("trunk", Role::at(Site::ApicalTrunk), 0, 200.0);
    trunk.bap = Some(BapParams {
        delay_ms: 0.6,
        attenuation: 0.3,
    });
    let mut tuft = CompartmentParams::new("tuft", Role::distal(Site::ApicalTuft), 2, 120.0);
    tuft.plateau = Some(PlateauParams::default());
    tuft.bap = None;
    let mut t = NeuronTemplate {
        name: "pyr".into(),
        soma: SomaParams::default(),
        compartments: vec![basal, trunk, tuft],
        receptors: vec![
            ReceptorParams::conductance("ampa", 1, 2.0, 0.0),
            ReceptorParams::current("exc", 3, 5.0),
            ReceptorParams::conductance("gaba", 0, 8.0, -75.0),
        ],
        initial: InitialPotential::Uniform {
            lo_mv: -70.0,
            hi_mv: -55.0,
        },
        rules: Vec::new(),
    };
    t.soma.t_ref_ms = 2.0;
    t
}

fn adex() -> NeuronTemplate {
    let soma = SomaParams {
        spike: SpikeMechanism::Exponential {
            v_t_mv: -50.0,
            delta_t_mv: 2.0,
            v_peak_mv: 0.0,
            a_ns: 2.0,
            b_pa: 40.0,
            tau_w_ms: 100.0,
        },
        t_ref_ms: 0.0,
        ..SomaParams::default()
    };
    NeuronTemplate::point("adex", soma, vec![ReceptorParams::current("exc", 0, 5.0)])
}

fn network() -> NetworkDesc {
    let pop = |name: &str, size, kind| Population {
        name: name.into(),
        size,
        kind,
    };
    let proj = |name: &str, source, target, receptor, w: f64, delay_ms| ProjectionDesc {
        name: name.into(),
        source,
        target,
        receptor,
        connectivity: Connectivity::Bernoulli { p: 0.1 },
        weight: WeightDist::Normal {
            mean: w,
            sd: w.abs() * 0.2,
            lo: w.min(0.0) * 2.0,
            hi: w.max(0.0) * 2.0,
        },
        delay_ms,
        delay_max_ms: None,
        placement: Placement::Uniform,
        allow_autapses: false,
        delay_site: DelaySite::Axonal,
    };
    let mut net = NetworkDesc {
        populations: vec![
            pop("pyr", 203, PopulationKind::Neurons(Arc::new(pyramidal()))),
            pop("adex", 57, PopulationKind::Neurons(Arc::new(adex()))),
            pop(
                "bg",
                300,
                PopulationKind::Source(SourceParams::Poisson { rate_hz: 8.0 }),
            ),
            pop(
                "cue",
                50,
                PopulationKind::Source(SourceParams::InhomogeneousPoisson {
                    profile: RateProfile::Sinusoid {
                        offset_hz: 10.0,
                        amplitude_hz: 10.0,
                        frequency_hz: 4.0,
                        phase_rad: 0.0,
                    },
                }),
            ),
        ],
        projections: vec![
            proj("bg_basal", 2, 0, 0, 6.0, 1.0),
            proj("cue_tuft", 3, 0, 1, 60.0, 2.0),
            proj("pyr_adex", 0, 1, 0, 80.0, 1.5),
            {
                let mut p = proj("adex_pyr", 1, 0, 2, 3.0, 0.5);
                p.delay_max_ms = Some(4.0);
                p
            },
            proj("pyr_pyr", 0, 0, 0, 0.5, 3.0),
        ],
        ..NetworkDesc::default()
    };
    let stim = |population, neurons, window, kind| Stimulus {
        population,
        neurons,
        window,
        kind,
    };
    net.stimuli = vec![
        stim(
            0,
            Selection::Fraction(0.3),
            Window::new(50.0, 120.0),
            StimulusKind::Optogenetic { current_pa: 400.0 },
        ),
        stim(
            0,
            Selection::Indices(vec![0, 100, 202]),
            Window::new(20.0, 80.0),
            StimulusKind::BlockSpikes,
        ),
        stim(
            0,
            Selection::All,
            Window::new(100.0, 150.0),
            StimulusKind::BlockBap {
                compartments: Some(vec![1]),
            },
        ),
        stim(
            1,
            Selection::Indices(vec![3, 40]),
            Window::ALWAYS,
            StimulusKind::Kir {
                g_ns: 5.0,
                e_k_mv: -90.0,
            },
        ),
        stim(
            0,
            Selection::Indices(vec![150]),
            Window::new(10.0, 60.0),
            StimulusKind::VoltageClamp {
                compartment: 3,
                hold_mv: -40.0,
            },
        ),
        stim(
            1,
            Selection::All,
            Window::new(0.0, 200.0),
            StimulusKind::CurrentClamp {
                compartment: 0,
                waveform: Waveform::Ramp {
                    from_pa: 0.0,
                    to_pa: 300.0,
                },
            },
        ),
    ];
    net.recording.spikes = vec![0, 1, 2, 3];
    net.recording.probes = vec![
        ProbeDesc {
            population: 0,
            neurons: vec![0, 101, 150, 202],
            signal: ProbeSignal::Potential(3),
            interval_ms: 0.5,
        },
        ProbeDesc {
            population: 0,
            neurons: vec![150],
            signal: ProbeSignal::ClampCurrent(3),
            interval_ms: 0.1,
        },
        ProbeDesc {
            population: 1,
            neurons: vec![1, 56],
            signal: ProbeSignal::Adaptation,
            interval_ms: 1.0,
        },
    ];
    net
}

#[test]
fn every_path_is_thread_invariant() {
    let net = network();
    let run = |threads| {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 11, threads }).unwrap();
        // Two calls: continuing a run is the same as one long run.
        sim.run(120.0).unwrap();
        sim.run(80.0).unwrap();
        (sim.spikes(), sim.traces(), sim.stats().synapses, sim.synapses(3))
    };
    let one = run(1);
    assert!(
        one.0.count(0) > 50 && one.0.count(1) > 20,
        "{} {}",
        one.0.count(0),
        one.0.count(1)
    );
    for threads in [2, 4] {
        let other = run(threads);
        assert_eq!(one.0, other.0, "spikes differ with {threads} threads");
        assert_eq!(one.1, other.1, "traces differ with {threads} threads");
        assert_eq!(one.2, other.2);
        assert_eq!(one.3, other.3, "synapse table differs with {threads} threads");
    }
}

#[test]
fn split_runs_equal_one_run() {
    let net = network();
    let mut a = Simulation::new(&net, &RunConfig { seed: 5, threads: 1 }).unwrap();
    a.run(200.0).unwrap();
    let mut b = Simulation::new(&net, &RunConfig { seed: 5, threads: 1 }).unwrap();
    for _ in 0..4 {
        b.run(50.0).unwrap();
    }
    assert_eq!(a.spikes(), b.spikes());
    assert_eq!(a.traces(), b.traces());
}

#[test]
fn one_shared_weight_runs_like_per_synapse_weights() {
    // Constant weights on static projections are stored once; recording a projection's weights
    // keeps them per synapse. Both must simulate the same network, on any thread count.
    let mut shared = network();
    for p in &mut shared.projections {
        if let WeightDist::Normal { mean, .. } = p.weight {
            p.weight = WeightDist::Constant(mean);
        }
    }
    let mut per_synapse = shared.clone();
    per_synapse.recording.weights = (0..per_synapse.projections.len())
        .map(|projection| WeightProbeDesc::all(projection, 100.0))
        .collect();
    let run = |net: &NetworkDesc, threads| {
        let mut sim = Simulation::new(net, &RunConfig { seed: 4, threads }).unwrap();
        sim.run(150.0).unwrap();
        let tables: Vec<_> = (0..net.projections.len()).map(|p| sim.synapses(p)).collect();
        (sim.spikes(), tables, sim.stats().bytes_per_synapse())
    };
    let a = run(&shared, 1);
    let b = run(&per_synapse, 1);
    assert!(a.0.count(0) > 50, "{}", a.0.count(0));
    assert_eq!(a.0, b.0, "spikes differ");
    assert_eq!(a.1, b.1, "synapse tables differ");
    assert!(a.2 < b.2 - 1.0, "shared weights save memory: {} vs {}", a.2, b.2);
    let c = run(&shared, 3);
    assert_eq!(a.0, c.0, "spikes differ with 3 threads");
}

#[test]
fn populations_smaller_than_the_thread_count_run_and_agree() {
    // One pyramidal neuron and two AdEx cells on 1, 2 and 4 threads: some workers hold no
    // neuron of a population (this used to panic in the kernel).
    let mut net = network();
    net.populations[0].size = 1;
    net.populations[1].size = 2;
    // Stimuli and probes name neurons beyond these sizes.
    net.stimuli.clear();
    net.recording.probes.clear();
    let run = |threads| {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 3, threads }).unwrap();
        sim.run(300.0).unwrap();
        (sim.spikes(), sim.synapses(0))
    };
    let one = run(1);
    assert!(!one.0.is_empty(), "the small network fires");
    for threads in [2, 4] {
        assert_eq!(one, run(threads), "{threads} threads");
    }
}

/// A limit on recorded spikes stops the run after the same step, with the same spikes, for any
/// thread count.
#[test]
fn the_spike_limit_stops_every_partition_after_the_same_step() {
    let net = {
        let mut net = NetworkDesc::default();
        net.populations.push(Population {
            name: "in".into(),
            size: 300,
            kind: PopulationKind::Source(SourceParams::Poisson { rate_hz: 200.0 }),
        });
        net.recording.spikes = vec![0];
        net
    };
    let run = |threads: usize| {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 4, threads }).unwrap();
        sim.set_spike_limit(5_000);
        let err = sim.run(1000.0).unwrap_err();
        let t = match err {
            dendra_sim::SimError::TooManySpikes { limit, t_ms } => {
                assert_eq!(limit, 5_000);
                t_ms
            }
            other => panic!("{other}"),
        };
        (t, sim.spikes())
    };
    let (t1, s1) = run(1);
    // 300 sources at 200 Hz: 60 spikes per ms, so about 83 ms to pass 5000.
    assert!(t1 > 60.0 && t1 < 110.0, "{t1}");
    assert!(s1.len() > 5_000 && s1.len() < 5_200, "{}", s1.len());
    for threads in [2, 3] {
        let (t, s) = run(threads);
        assert_eq!(t, t1, "{threads} threads");
        assert_eq!(s, s1, "{threads} threads");
    }
}
