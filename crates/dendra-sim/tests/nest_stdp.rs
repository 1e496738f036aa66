//! Pair STDP against NEST's `stdp_synapse` (NEST 3.10), on spike times given for both sides.
//!
//! `data/nest_stdp.json` holds five protocols (about 40 pre and 45 post spikes in 1 s each, a
//! few of them meeting at the synapse in the same step, delays 0.1-3.7 ms, additive and
//! multiplicative updates) and the weight NEST reached after the last pre spike. They were made
//! by `bench/peers/nest_stdp.py data/nest_stdp.json` in a virtual environment with
//! `nest-simulator==3.10.*` from PyPI. NEST counts a projection's delay as dendritic, so dendra
//! must reach the same weights with `DelaySite::Dendritic`, and not with its axonal default.

use std::sync::Arc;

use dendra_model::rules::rules::{PairStdp, StdpPairing, StdpUpdate};
use dendra_model::*;
use dendra_sim::{RunConfig, Simulation};
use serde_json::Value;

struct Case {
    delay_ms: f64,
    w0: f64,
    rule: PairStdp,
    pre_ms: Vec<f64>,
    post_ms: Vec<f64>,
    nest_weight: f64,
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn cases() -> Vec<Case> {
    let text = include_str!("data/nest_stdp.json");
    let json: Value = serde_json::from_str(text).expect("valid JSON");
    assert_eq!(json["resolution_ms"].as_f64(), Some(0.1));
    json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let p = &c["params"];
            let f = |k: &str| p[k].as_f64().expect(k);
            Case {
                delay_ms: c["delay_ms"].as_f64().unwrap(),
                w0: c["w0"].as_f64().unwrap(),
                rule: PairStdp {
                    a_plus: f("a_plus"),
                    a_minus: f("a_minus"),
                    tau_plus_ms: f("tau_plus_ms"),
                    tau_minus_ms: f("tau_minus_ms"),
                    w_min: 0.0,
                    w_max: f("w_max"),
                    update: match p["update"].as_str() {
                        Some("additive") => StdpUpdate::Additive,
                        Some("multiplicative") => StdpUpdate::Multiplicative,
                        other => panic!("update {other:?}"),
                    },
                    pairing: StdpPairing::AllToAll,
                },
                pre_ms: numbers(&c["pre_ms"]),
                post_ms: numbers(&c["post_ms"]),
                nest_weight: c["nest_weight"].as_f64().unwrap(),
            }
        })
        .collect()
}

/// One point neuron forced to spike at the post times, one plastic synapse from a source
/// replaying the pre times. Its weights are tiny (pA), so nothing but the forced spikes fire.
fn network(case: &Case, site: DelaySite) -> NetworkDesc {
    let mut t = NeuronTemplate::point(
        "post",
        SomaParams::default(),
        vec![ReceptorParams::current("plastic", 0, 5.0)],
    );
    t.rules.push(CompartmentRule {
        compartment: 0,
        receptors: vec![0],
        rule: AnyRule::PairStdp(case.rule),
        modulator: None,
        structural: None,
    });
    let mut projection = ProjectionDesc::new(
        "stdp",
        1,
        0,
        0,
        Connectivity::AllToAll,
        WeightDist::Constant(case.w0),
        case.delay_ms,
    );
    projection.delay_site = site;
    NetworkDesc {
        populations: vec![
            Population {
                name: "post".into(),
                size: 1,
                kind: PopulationKind::Neurons(Arc::new(t)),
            },
            Population {
                name: "pre".into(),
                size: 1,
                kind: PopulationKind::Source(SourceParams::SpikeTrains {
                    trains: vec![case.pre_ms.clone()],
                }),
            },
        ],
        projections: vec![projection],
        stimuli: vec![Stimulus {
            population: 0,
            neurons: Selection::All,
            window: Window::ALWAYS,
            kind: StimulusKind::Spikes {
                times_ms: case.post_ms.clone(),
            },
        }],
        recording: RecordingDesc {
            spikes: vec![0],
            ..RecordingDesc::default()
        },
        ..NetworkDesc::default()
    }
}

/// The synapse's weight after the protocol (and the post spikes, to check the protocol ran).
fn final_weight(case: &Case, site: DelaySite, threads: usize) -> (f64, Vec<f64>) {
    let net = network(case, site);
    let mut sim = Simulation::new(&net, &RunConfig { seed: 1, threads }).expect("valid network");
    let end = case
        .pre_ms
        .iter()
        .chain(&case.post_ms)
        .fold(0.0f64, |a, &b| a.max(b));
    sim.run(end + 20.0).expect("run");
    let w = f64::from(sim.synapses(0)[0].weight);
    (w, sim.spikes().t_ms.clone())
}

#[test]
fn dendritic_delay_reaches_nests_weights() {
    let cases = cases();
    assert_eq!(cases.len(), 5);
    let mut axonal_misses = 0;
    for (k, case) in cases.iter().enumerate() {
        let (w, post) = final_weight(case, DelaySite::Dendritic, 1);
        assert_eq!(post.len(), case.post_ms.len(), "case {k}: only the forced spikes");
        for (got, want) in post.iter().zip(&case.post_ms) {
            assert!(
                (got - want).abs() < 1e-9,
                "case {k}: post spike at {got}, not {want}"
            );
        }
        // Weights are stored as f32: agreement to its precision.
        assert!(
            (w - case.nest_weight).abs() < 1e-6,
            "case {k}: dendra {w} vs NEST {}",
            case.nest_weight
        );
        let (w_axonal, _) = final_weight(case, DelaySite::Axonal, 1);
        if (w_axonal - case.nest_weight).abs() > 1e-3 {
            axonal_misses += 1;
        }
    }
    // The conventions differ by twice the delay in every pair's lag: the test can tell them apart.
    assert!(
        axonal_misses >= 4,
        "axonal delay matched NEST in {} cases",
        5 - axonal_misses
    );
}

#[test]
fn dendritic_delay_is_thread_invariant() {
    let case = &cases()[3];
    let one = final_weight(case, DelaySite::Dendritic, 1);
    let two = final_weight(case, DelaySite::Dendritic, 2);
    assert_eq!(one.0.to_bits(), two.0.to_bits());
    assert_eq!(one.1, two.1);
}

/// A pre spike and a post spike that reach the synapse in the same step make no pair, as the
/// rule's `window(w, 0) = 0` and NEST say; one step either side they pair as the window says.
#[test]
fn a_pre_and_a_post_spike_meeting_in_one_step_make_no_pair() {
    for site in [DelaySite::Axonal, DelaySite::Dendritic] {
        for lag_steps in [-1i32, 0, 1] {
            let lag_ms = f64::from(lag_steps) * 0.1;
            let delay_ms = 1.5;
            // Where the post spike meets the pre spike at the synapse, `lag_ms` after it.
            let t_post = 50.0;
            let t_pre = match site {
                DelaySite::Axonal => t_post - lag_ms - delay_ms,
                DelaySite::Dendritic => t_post + delay_ms - lag_ms,
            };
            let case = Case {
                delay_ms,
                w0: 0.5,
                rule: PairStdp::default(),
                pre_ms: vec![(t_pre * 10.0).round() / 10.0],
                post_ms: vec![t_post],
                nest_weight: f64::NAN,
            };
            let (w, _) = final_weight(&case, site, 1);
            let expected = 0.5 + case.rule.window(0.5, lag_ms);
            assert!(
                (w - expected).abs() < 1e-7,
                "{site:?}, lag {lag_ms} ms: {w} vs {expected}"
            );
            assert_eq!(lag_steps == 0, w == 0.5, "{site:?}, lag {lag_ms} ms: {w}");
        }
    }
}
