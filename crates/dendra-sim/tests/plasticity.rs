//! Plasticity through the whole engine: the STDP window from real pre arrivals and post spikes,
//! bAP blocking, rule ablation, three-factor rewards, and thread invariance.

mod common;

use std::sync::Arc;

use common::*;
use dendra_model::rules::rules::{BapHebbian, LocalCoactivity, PairStdp, RewardModulated};
use dendra_model::rules::{ModulatorParams, WeightBounds};
use dendra_model::*;
use dendra_sim::{RunConfig, Simulation};

fn train_source(name: &str, trains: Vec<Vec<f64>>) -> Population {
    Population {
        name: name.into(),
        size: trains.len() as u32,
        kind: PopulationKind::Source(SourceParams::SpikeTrains { trains }),
    }
}

fn projection(
    name: &str,
    source: usize,
    target: usize,
    receptor: usize,
    w: f64,
    delay_ms: f64,
) -> ProjectionDesc {
    ProjectionDesc {
        name: name.into(),
        source,
        target,
        receptor,
        connectivity: Connectivity::AllToAll,
        weight: WeightDist::Constant(w),
        delay_ms,
        delay_max_ms: None,
        placement: Placement::Uniform,
        allow_autapses: false,
        delay_site: DelaySite::Axonal,
    }
}

/// One LIF neuron; receptor 0 is plastic (pair STDP), receptor 1 is a static drive strong enough
/// to make it spike right after the drive arrives.
fn stdp_pair_network(t_pre: f64, t_drive: f64) -> NetworkDesc {
    let mut t = NeuronTemplate::point(
        "n",
        SomaParams::default(),
        vec![
            ReceptorParams::current("plastic", 0, 5.0),
            ReceptorParams::current("drive", 0, 0.5),
        ],
    );
    t.rules.push(CompartmentRule {
        compartment: 0,
        receptors: vec![0],
        rule: AnyRule::PairStdp(PairStdp::default()),
        modulator: None,
        structural: None,
    });
    let mut net = single(t, 1);
    net.populations.push(train_source("pre", vec![vec![t_pre]]));
    net.populations.push(train_source("drive", vec![vec![t_drive]]));
    net.projections.push(projection("pre", 1, 0, 0, 0.5, 1.5));
    net.projections.push(projection("drive", 2, 0, 1, 40_000.0, 0.1));
    net.recording.spikes = vec![0];
    net
}

#[test]
fn stdp_window_through_the_engine_equals_its_formula() {
    let rule = PairStdp::default();
    let mut checked = 0;
    for k in -30..=30 {
        let t_pre = 100.0 + k as f64 * 1.7;
        let net = stdp_pair_network(t_pre, 100.0);
        let mut sim = Simulation::new(&net, &RunConfig { seed: 1, threads: 1 }).unwrap();
        sim.run(300.0).unwrap();
        let spikes = sim.spikes();
        assert_eq!(spikes.len(), 1, "exactly one post spike for k = {k}");
        let t_post = spikes.t_ms[0];
        let t_arrival = t_pre + 1.5;
        let dt = t_post - t_arrival;
        let w = f64::from(sim.synapses(0)[0].weight);
        let expected = rule.window(0.5, dt);
        assert!(
            (w - 0.5 - expected).abs() < 2e-7,
            "lag {dt:.2} ms: dw {} vs formula {expected}",
            w - 0.5
        );
        if dt.abs() > 1e-9 {
            checked += 1;
        }
    }
    assert!(checked >= 58);
}

/// Soma + basal dendrite (bAP attenuation 0.5) with `bap_hebbian` on the basal synapses, driven
/// to fire by a somatic current.
fn basal_network(block_bap: bool) -> NetworkDesc {
    let mut t = two_compartment(SomaParams::default(), 10.0);
    t.compartments[0].role = Role::at(Site::Basal);
    t.compartments[0].bap = Some(BapParams {
        delay_ms: 0.3,
        attenuation: 0.5,
    });
    t.receptors.push(ReceptorParams::current("ampa", 1, 3.0));
    t.rules.push(CompartmentRule {
        compartment: 1,
        receptors: vec![],
        rule: AnyRule::BapHebbian(BapHebbian {
            bounds: WeightBounds::hard(0.0, 1.0),
            ..BapHebbian::default()
        }),
        modulator: None,
        structural: None,
    });
    let mut net = single(t, 4);
    net.populations.push(Population {
        name: "in".into(),
        size: 40,
        kind: PopulationKind::Source(SourceParams::Poisson { rate_hz: 20.0 }),
    });
    net.projections.push(projection("in", 1, 0, 0, 0.5, 1.0));
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 0,
            waveform: Waveform::Step { amplitude_pa: 400.0 },
        },
    );
    if block_bap {
        stim(
            &mut net,
            Window::ALWAYS,
            StimulusKind::BlockBap { compartments: None },
        );
    }
    net.recording.spikes = vec![0];
    net
}

#[test]
fn bap_hebbian_learns_only_when_the_bap_arrives() {
    let run = |block| {
        let mut sim = Simulation::new(&basal_network(block), &RunConfig { seed: 4, threads: 1 }).unwrap();
        sim.run(2000.0).unwrap();
        (sim.spikes().len(), sim.synapses(0))
    };
    let (spikes_on, on) = run(false);
    let (spikes_off, off) = run(true);
    assert!(
        spikes_on > 100 && spikes_off > 100,
        "the soma fires in both: {spikes_on} {spikes_off}"
    );
    let moved = on.iter().filter(|s| (s.weight - 0.5).abs() > 1e-4).count();
    assert!(
        moved > on.len() / 2,
        "with bAPs most weights change ({moved}/{})",
        on.len()
    );
    assert!(
        off.iter().all(|s| s.weight == 0.5),
        "blocked bAP: no plasticity at all"
    );
}

/// Soma, basal (bap_hebbian, rule 0) and apical tuft (local_coactivity, rule 1) compartments.
fn two_rule_network(n: u32) -> NetworkDesc {
    let mut basal = CompartmentParams::new("basal", Role::at(Site::Basal), 0, 120.0);
    basal.bap = Some(BapParams {
        delay_ms: 0.2,
        attenuation: 0.6,
    });
    let mut tuft = CompartmentParams::new("tuft", Role::at(Site::ApicalTuft), 0, 60.0);
    tuft.bap = Some(BapParams {
        delay_ms: 1.0,
        attenuation: 0.1,
    });
    let t = NeuronTemplate {
        name: "pyr".into(),
        soma: SomaParams::default(),
        compartments: vec![basal, tuft],
        receptors: vec![
            ReceptorParams::current("ampa", 1, 3.0),
            ReceptorParams::current("ampa", 2, 3.0),
        ],
        initial: InitialPotential::Rest,
        rules: vec![
            CompartmentRule {
                compartment: 1,
                receptors: vec![],
                rule: AnyRule::BapHebbian(BapHebbian::default()),
                modulator: None,
                structural: None,
            },
            CompartmentRule {
                compartment: 2,
                receptors: vec![],
                rule: AnyRule::LocalCoactivity(LocalCoactivity::default()),
                modulator: None,
                structural: None,
            },
        ],
    };
    let mut net = single(t, n);
    net.populations.push(Population {
        name: "in".into(),
        size: 60,
        kind: PopulationKind::Source(SourceParams::InhomogeneousPoisson {
            profile: RateProfile::Sinusoid {
                offset_hz: 15.0,
                amplitude_hz: 15.0,
                frequency_hz: 2.0,
                phase_rad: 0.0,
            },
        }),
    });
    let mut basal_proj = projection("basal", 1, 0, 0, 0.5, 1.0);
    basal_proj.connectivity = Connectivity::FixedIndegree { k: 30 };
    let mut apical_proj = projection("apical", 1, 0, 1, 0.5, 2.0);
    apical_proj.connectivity = Connectivity::FixedIndegree { k: 30 };
    net.projections = vec![basal_proj, apical_proj];
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 0,
            waveform: Waveform::Step { amplitude_pa: 350.0 },
        },
    );
    net
}

fn mean_dw(rows: &[dendra_sim::SynapseRow]) -> f64 {
    rows.iter().map(|s| f64::from(s.weight) - 0.5).sum::<f64>() / rows.len() as f64
}

#[test]
fn ablating_one_compartment_rule_leaves_the_other_intact() {
    let run = |disable: Option<usize>| {
        let mut net = two_rule_network(6);
        if let Some(rule) = disable {
            stim(&mut net, Window::ALWAYS, StimulusKind::DisableRule { rule });
        }
        let mut sim = Simulation::new(&net, &RunConfig { seed: 9, threads: 1 }).unwrap();
        sim.run(3000.0).unwrap();
        (sim.synapses(0), sim.synapses(1))
    };
    let (basal, apical) = run(None);
    let (basal_a, apical_a) = run(Some(1));
    let (basal_b, apical_b) = run(Some(0));
    assert!(
        mean_dw(&basal).abs() > 1e-3 && mean_dw(&apical).abs() > 1e-3,
        "both rules learn"
    );
    // Apical rule off: apical frozen; basal learning as before (weights are tiny currents, so
    // the dynamics and hence the basal rule's inputs are unchanged).
    assert!(apical_a.iter().all(|s| s.weight == 0.5));
    assert!((mean_dw(&basal_a) - mean_dw(&basal)).abs() < 0.01 * mean_dw(&basal).abs());
    // Basal rule off: the reverse.
    assert!(basal_b.iter().all(|s| s.weight == 0.5));
    assert!((mean_dw(&apical_b) - mean_dw(&apical)).abs() < 0.01 * mean_dw(&apical).abs());
}

#[test]
fn plastic_runs_are_thread_invariant() {
    let mut net = two_rule_network(13);
    net.recording.weights.push(WeightProbeDesc::all(1, 100.0));
    let run = |threads| {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 2, threads }).unwrap();
        sim.run(1000.0).unwrap();
        (sim.synapses(0), sim.synapses(1), sim.weight_traces())
    };
    let one = run(1);
    assert_eq!(one.2[0].values.len(), 10);
    assert!(one.2[0].values[9] != one.2[0].values[0], "weights evolve");
    for threads in [2, 3] {
        assert_eq!(one, run(threads), "{threads} threads");
    }
}

/// The pre->post pair network (pre arriving near 88.5 ms, the post spike at 100 ms) under a
/// reward-gated rule (no consolidation, ticks every 100 ms, `w_max` 10) listening to one
/// dopamine modulator (τ 200 ms, no baseline), with a release of 1 at `reward_ms`.
fn reward_pair_network(reward_ms: f64) -> (NetworkDesc, RewardModulated) {
    let rule = RewardModulated {
        tau_cons_ms: f64::INFINITY,
        tick_ms: 100.0,
        w_max: 10.0,
        ..RewardModulated::default()
    };
    let mut net = stdp_pair_network(88.5, 100.0);
    if let PopulationKind::Neurons(t) = &mut net.populations[0].kind {
        let t = Arc::make_mut(t);
        t.rules[0].rule = AnyRule::RewardModulated(rule);
        t.rules[0].modulator = Some(0);
    }
    net.modulators.push(ModulatorDesc {
        name: "dopamine".into(),
        params: ModulatorParams {
            tau_ms: 200.0,
            baseline: 0.0,
            history_ms: 1e5,
        },
    });
    net.releases.push(Release {
        modulator: 0,
        t_ms: reward_ms,
        amount: 1.0,
    });
    (net, rule)
}

#[test]
fn delayed_reward_scales_weight_change_by_eligibility_decay() {
    // One pre->post pairing (pre arrives 10 ms before the post spike), then a reward `delay`
    // ms later: the change is proportional to exp(-delay / τ_c).
    let tau_c_ms = reward_pair_network(0.0).1.tau_c_ms;
    let run = |delay: f64| {
        let (net, _) = reward_pair_network(200.0 + delay);
        let mut sim = Simulation::new(&net, &RunConfig { seed: 1, threads: 1 }).unwrap();
        sim.run(200.0 + delay + 4000.0).unwrap();
        f64::from(sim.synapses(0)[0].weight) - 0.5
    };
    let base = run(0.0);
    assert!(base > 0.0, "a rewarded causal pairing potentiates: {base}");
    for delay in [500.0, 1000.0, 2000.0] {
        let ratio = run(delay) / base;
        let expected = (-delay / tau_c_ms).exp();
        assert!(
            (ratio - expected).abs() < 2e-3,
            "delay {delay}: ratio {ratio} vs {expected}"
        );
    }
}

#[test]
fn rate_only_rules_are_refused_by_the_spiking_engine() {
    let mut net = stdp_pair_network(10.0, 20.0);
    if let PopulationKind::Neurons(t) = &mut net.populations[0].kind {
        Arc::make_mut(t).rules[0].rule = AnyRule::default_named("oja").unwrap();
    }
    let err = Simulation::new(&net, &RunConfig::default())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("rate engine only"), "{err}");
}

#[test]
fn structural_plasticity_prunes_and_forms_synapses_identically_on_any_thread_count() {
    use dendra_model::rules::{SpineParams, StructuralParams};
    let mut net = two_rule_network(8);
    if let PopulationKind::Neurons(t) = &mut net.populations[0].kind {
        let t = Arc::make_mut(t);
        // A narrow neighbourhood and stronger depression: isolated spines shrink.
        t.rules[1].rule = AnyRule::LocalCoactivity(LocalCoactivity {
            radius_um: 3.0,
            a_minus: 0.02,
            ..LocalCoactivity::default()
        });
        t.rules[1].structural = Some(StructuralParams {
            spine: SpineParams {
                prune_below: 0.9,
                ..SpineParams::default()
            },
            check_ms: 100.0,
            formation_rate_hz: 0.5,
            new_weight: 0.5,
        });
    }
    let initial: Vec<Option<f32>> = {
        let sim = Simulation::new(&net, &RunConfig { seed: 3, threads: 1 }).unwrap();
        sim.synapses(1).iter().map(|s| s.position_um).collect()
    };
    let run = |threads| {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 3, threads }).unwrap();
        sim.run(4000.0).unwrap();
        sim.synapses(1)
    };
    let rows = run(1);
    let dead = rows.iter().filter(|s| !s.alive).count();
    assert!(dead > 0, "depressed spines are pruned");
    assert!(rows.iter().filter(|s| !s.alive).all(|s| s.weight == 0.0));
    let moved = rows
        .iter()
        .zip(&initial)
        .filter(|(s, p)| s.alive && s.position_um != **p)
        .count();
    assert!(moved > 0, "new synapses formed at new positions");
    assert!(rows.iter().all(|s| s.spine_size.is_some()));
    let sizes_ok = rows
        .iter()
        .filter(|s| s.alive)
        .all(|s| (s.spine_size.unwrap() - (0.2 + 1.6 * s.weight)).abs() < 1e-5);
    assert!(sizes_ok, "size follows weight");
    assert_eq!(rows, run(2));
    // The basal projection has no structural plasticity: always alive, no size.
    let basal = {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 3, threads: 1 }).unwrap();
        sim.run(100.0).unwrap();
        sim.synapses(0)
    };
    assert!(basal.iter().all(|s| s.alive && s.spine_size.is_none()));
}

/// A passive point neuron whose one synapse (weight 0, delay 1.5 ms) follows Clopath with
/// wide bounds, from a source that spikes once at `pre_ms`.
fn clopath_network(pre_ms: f64) -> (NetworkDesc, dendra_model::rules::rules::Clopath) {
    use dendra_model::rules::rules::Clopath;
    let rule = Clopath {
        bounds: WeightBounds::hard(-10.0, 10.0),
        ..Clopath::default()
    };
    let mut t = NeuronTemplate::point("n", passive_soma(), vec![ReceptorParams::current("exc", 0, 5.0)]);
    t.rules.push(CompartmentRule::new(0, AnyRule::Clopath(rule)));
    let mut net = single(t, 1);
    net.populations.push(train_source("pre", vec![vec![pre_ms]]));
    net.projections.push(projection("pre", 1, 0, 0, 0.0, 1.5));
    (net, rule)
}

#[test]
fn clopath_under_voltage_clamp_matches_closed_form() {
    // Soma clamped at -40 mV from t = 0; one presynaptic spike arrives at 100 ms (filters
    // settled). Δw = -A_LTD (u - θ-) + A_LTP (u - θ+)(u - θ-) Σ_k e^{-k dt/τx} dt.
    let (mut net, rule) = clopath_network(98.5);
    let u = -40.0;
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::VoltageClamp {
            compartment: 0,
            hold_mv: u,
        },
    );
    let mut sim = Simulation::new(&net, &RunConfig::default()).unwrap();
    sim.run(400.0).unwrap();
    let w = f64::from(sim.synapses(0)[0].weight);
    let dt = 0.1;
    let q = (-dt / rule.tau_x_ms).exp();
    // From the arrival at 100 ms to the last tick at 400 ms: 3000 steps.
    let sum = q * (1.0 - q.powi(3000)) / (1.0 - q);
    let expected = -rule.a_ltd * (u - rule.theta_minus_mv)
        + rule.a_ltp * (u - rule.theta_plus_mv) * (u - rule.theta_minus_mv) * sum * dt;
    assert!(
        (w - expected).abs() < 1e-6 * expected.abs().max(1e-3),
        "{w} vs {expected}"
    );
}

#[test]
fn a_drive_based_rule_learns_nothing_from_its_ablation_window() {
    // Clopath's potentiation integrates a continuous drive. The soma is clamped at -40 mV
    // (strong drive) only during 50-150 ms, one presynaptic spike arrives at 20 ms. With the
    // rule ablated during exactly that window, the weight must end as if the clamp had never
    // happened (up to the tiny drive while the soma relaxes after 150 ms), not pick up the
    // window's drive when the rule resumes.
    let window = Window {
        start_ms: 50.0,
        stop_ms: 150.0,
    };
    let final_w = |clamp: bool, ablate: bool| {
        let (mut net, _) = clopath_network(18.5);
        if clamp {
            stim(
                &mut net,
                window,
                StimulusKind::VoltageClamp {
                    compartment: 0,
                    hold_mv: -40.0,
                },
            );
        }
        if ablate {
            stim(&mut net, window, StimulusKind::DisableRule { rule: 0 });
        }
        let mut sim = Simulation::new(&net, &RunConfig::default()).unwrap();
        sim.run(400.0).unwrap();
        f64::from(sim.synapses(0)[0].weight)
    };
    let unclamped = final_w(false, false);
    let learned = final_w(true, false) - unclamped;
    let ablated = final_w(true, true) - unclamped;
    assert!(
        learned > 1e-4,
        "the clamp potentiates when the rule is on: {learned}"
    );
    assert!(
        ablated.abs() < 1e-3 * learned,
        "ablated window leaked into the weight: {ablated} (learned {learned})"
    );
}

/// Soma + distal apical branch with a plateau and `branch_specific`; inputs 0..20 fire in
/// synchronous bursts (every 100 ms), inputs 20..40 at random.
fn branch_network(block_soma: bool) -> NetworkDesc {
    use dendra_model::rules::rules::BranchSpecific;
    let mut branch = CompartmentParams::new("branch", Role::distal(Site::ApicalTuft), 0, 80.0);
    branch.g_couple_ns = 15.0;
    branch.bap = Some(BapParams {
        delay_ms: 1.0,
        attenuation: 0.3,
    });
    branch.plateau = Some(PlateauParams {
        threshold_mv: -55.0,
        current_pa: 400.0,
        duration_ms: 15.0,
        refractory_ms: 30.0,
        strength: Some(BranchStrengthParams::default()),
    });
    let mut t = NeuronTemplate {
        name: "pyr".into(),
        soma: SomaParams::default(),
        compartments: vec![branch],
        receptors: vec![ReceptorParams::current("ampa", 1, 3.0)],
        initial: InitialPotential::Rest,
        rules: vec![],
    };
    t.rules.push(CompartmentRule::new(
        1,
        AnyRule::BranchSpecific(BranchSpecific {
            bounds: WeightBounds::hard(0.0, 200.0),
            a_plus: 8.0,
            a_het: 2.0,
            a_plateau: 0.5,
            ..BranchSpecific::default()
        }),
    ));
    let mut net = single(t, 1);
    let trains: Vec<Vec<f64>> = (0..40)
        .map(|i| {
            if i < 20 {
                (0..30)
                    .map(|b| 50.0 + 100.0 * b as f64 + 0.2 * i as f64)
                    .collect()
            } else {
                // A fixed irregular train, not locked to the bursts.
                (0..30)
                    .map(|b| 13.0 + 97.3 * b as f64 + 7.1 * i as f64 % 60.0)
                    .collect()
            }
        })
        .collect();
    net.populations.push(train_source("in", trains));
    net.projections.push(projection("in", 1, 0, 0, 100.0, 1.0));
    net.recording.probes.push(ProbeDesc {
        population: 0,
        neurons: vec![0],
        signal: ProbeSignal::BranchStrength(1),
        interval_ms: 1.0,
    });
    net.recording.spikes = vec![0];
    if block_soma {
        stim(&mut net, Window::ALWAYS, StimulusKind::BlockSpikes);
    }
    net
}

#[test]
fn branch_specific_selects_coactive_inputs_and_branch_strength_follows_somatic_success() {
    let run = |block| {
        let mut sim = Simulation::new(&branch_network(block), &RunConfig::default()).unwrap();
        sim.run(3100.0).unwrap();
        (sim.synapses(0), sim.traces(), sim.spikes().len())
    };
    let (syn, traces, spikes) = run(false);
    let mean = |r: std::ops::Range<u32>| {
        syn.iter()
            .filter(|s| r.contains(&s.source))
            .map(|s| f64::from(s.weight))
            .sum::<f64>()
            / 20.0
    };
    let (burst, random) = (mean(0..20), mean(20..40));
    assert!(spikes > 10, "the bursts drive the soma: {spikes} spikes");
    assert!(
        burst > 110.0 && random < 90.0,
        "burst inputs {burst:.1}, random inputs {random:.1}"
    );
    let u = *traces[0].values.last().unwrap();
    assert!(
        u > 1.2,
        "branch strength grows when its spikes fire the soma: {u}"
    );
    let (_, traces_blocked, spikes_blocked) = run(true);
    let u_blocked = *traces_blocked[0].values.last().unwrap();
    assert_eq!(spikes_blocked, 0);
    assert!(
        u_blocked < 0.8,
        "and decays when somatic spikes are blocked: {u_blocked}"
    );
}

#[test]
fn two_rules_on_one_compartment_act_as_parallel_weight_components() {
    // Two additive pair-STDP rules on the same synapse (the second with bounds that allow
    // negative components): each owns a component, the synapse transmits their sum, so one
    // pairing changes the weight by twice the window. The second rule, switched off, adds nothing.
    let wide = PairStdp {
        w_min: -1.0,
        w_max: 1.0,
        ..PairStdp::default()
    };
    let build = |second_off: bool| {
        let mut net = stdp_pair_network(95.0, 100.0);
        if let PopulationKind::Neurons(t) = &mut net.populations[0].kind {
            let t = Arc::make_mut(t);
            t.rules[0].rule = AnyRule::PairStdp(wide);
            let mut second = t.rules[0].clone();
            second.rule = AnyRule::PairStdp(wide);
            t.rules.push(second);
        }
        if second_off {
            stim(&mut net, Window::ALWAYS, StimulusKind::DisableRule { rule: 1 });
        }
        net
    };
    let run = |net: &NetworkDesc| {
        let mut sim = Simulation::new(net, &RunConfig::default()).unwrap();
        sim.run(300.0).unwrap();
        (f64::from(sim.synapses(0)[0].weight), sim.spikes().t_ms[0])
    };
    let (w_both, t_post) = run(&build(false));
    let (w_one, _) = run(&build(true));
    let window = wide.window(0.5, t_post - 96.5);
    assert!(
        (w_one - 0.5 - window).abs() < 1e-6,
        "one component: {}",
        w_one - 0.5
    );
    assert!(
        (w_both - 0.5 - 2.0 * window).abs() < 1e-6,
        "two components: {}",
        w_both - 0.5
    );
}

#[test]
fn heterogeneous_delays_are_refused_on_plastic_synapses() {
    let mut net = stdp_pair_network(10.0, 20.0);
    net.projections[0].delay_max_ms = Some(3.0);
    let err = Simulation::new(&net, &RunConfig::default())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("one delay per projection"), "{err}");
}

#[test]
fn releasing_an_unknown_modulator_is_an_error_not_a_panic() {
    let net = stdp_pair_network(10.0, 20.0);
    let mut sim = Simulation::new(&net, &RunConfig::default()).unwrap();
    let err = sim.release(3, 1.0).unwrap_err();
    assert!(err.to_string().contains("0..0"), "{err}");
}

#[test]
fn a_reward_gated_rule_learns_nothing_from_a_reward_in_its_ablation_window() {
    // One causal pairing near 100 ms, a reward at 700 ms. Ablating the rule over 300-3000 ms
    // must leave the weight as if the reward had not come (the rule used to integrate the
    // reward when it resumed; by 3000 ms eligibility x dopamine has decayed by e^-14);
    // ablating it after the reward's effect has decayed must not change what was learned.
    let run = |ablation: Option<Window>| {
        let (mut net, _) = reward_pair_network(700.0);
        if let Some(window) = ablation {
            stim(&mut net, window, StimulusKind::DisableRule { rule: 0 });
        }
        let mut sim = Simulation::new(&net, &RunConfig { seed: 1, threads: 1 }).unwrap();
        sim.run(6000.0).unwrap();
        f64::from(sim.synapses(0)[0].weight) - 0.5
    };
    let learned = run(None);
    assert!(learned > 1e-4, "the rewarded pairing potentiates: {learned}");
    let during = run(Some(Window {
        start_ms: 300.0,
        stop_ms: 3000.0,
    }));
    assert!(
        during.abs() < 1e-3 * learned,
        "the reward during the ablation leaked into the weight: {during} (learned {learned})"
    );
    let after = run(Some(Window {
        start_ms: 4000.0,
        stop_ms: 5000.0,
    }));
    assert!((after - learned).abs() < 1e-3 * learned, "{after} vs {learned}");
}

#[test]
fn set_weight_changes_one_synapse_static_or_plastic_and_rejects_missing_pairs() {
    let net = stdp_pair_network(88.5, 100.0);
    for threads in [1, 2] {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 1, threads }).unwrap();
        // The plastic synapse now starts at 0, and the (shared-weight, static) drive is removed.
        assert_eq!(sim.set_weight(0, 0, 0, 0.0).unwrap(), 1);
        assert_eq!(sim.set_weight(1, 0, 0, 0.0).unwrap(), 1);
        assert_eq!(sim.synapses(0)[0].weight, 0.0);
        assert_eq!(sim.synapses(1)[0].weight, 0.0);
        assert_eq!(sim.weight(1, 0, 0), Some(0.0));
        assert_eq!(sim.weight(1, 0, 3), None);
        sim.run(200.0).unwrap();
        assert!(sim.spikes().times_of(0, 0).is_empty(), "the drive is gone");
        // Without postsynaptic spikes pair STDP only depresses, and 0 is its lower bound.
        assert_eq!(sim.synapses(0)[0].weight, 0.0);
        assert!(sim.set_weight(0, 0, 5, 1.0).is_err(), "no such target");
        assert!(sim.set_weight(0, 3, 0, 1.0).is_err(), "no such source");
        assert!(sim.set_weight(7, 0, 0, 1.0).is_err(), "no such projection");
        assert!(sim.set_weight(0, 0, 0, f64::NAN).is_err(), "not a weight");
    }
}

#[test]
fn a_weight_probe_on_chosen_synapses_records_exactly_their_weights() {
    let mut net = two_rule_network(13);
    net.recording.weights.push(WeightProbeDesc::all(1, 100.0));
    let all = {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 2, threads: 1 }).unwrap();
        sim.run(1000.0).unwrap();
        sim.weight_traces().remove(0)
    };
    // Three synapses of the full probe (first, middle, last), asked for out of order.
    let pick = [all.source.len() - 1, 0, all.source.len() / 2];
    let pairs: Vec<(u32, u32)> = pick.iter().map(|&i| (all.source[i], all.target[i])).collect();
    let mut chosen = net.clone();
    chosen.recording.weights[0].synapses = pairs.clone();
    for threads in [1, 2, 3] {
        let mut sim = Simulation::new(&chosen, &RunConfig { seed: 2, threads }).unwrap();
        sim.run(1000.0).unwrap();
        let tr = sim.weight_traces().remove(0);
        // The full probe's synapses between the pairs, in its order (a pair may hold more
        // than one synapse).
        let idx: Vec<usize> = (0..all.source.len())
            .filter(|&i| pairs.contains(&(all.source[i], all.target[i])))
            .collect();
        assert!(idx.len() >= 3);
        assert_eq!(tr.source, idx.iter().map(|&i| all.source[i]).collect::<Vec<_>>());
        assert_eq!(tr.target, idx.iter().map(|&i| all.target[i]).collect::<Vec<_>>());
        assert_eq!(tr.values.len(), all.values.len());
        for (row, full) in tr.values.iter().zip(&all.values) {
            let want: Vec<f32> = idx.iter().map(|&i| full[i]).collect();
            assert_eq!(row, &want, "{threads} threads");
        }
    }
    // A pair without a synapse is an error at build time, an out-of-range pair at validation.
    let mut missing = net.clone();
    let absent = (0..13u32)
        .flat_map(|s| (0..13u32).map(move |t| (s, t)))
        .find(|&(s, t)| !(0..all.source.len()).any(|i| all.source[i] == s && all.target[i] == t))
        .expect("some pair is unconnected");
    missing.recording.weights[0].synapses = vec![absent];
    let config = RunConfig { seed: 2, threads: 2 };
    let e = Simulation::new(&missing, &config).err().expect("refused");
    assert!(e.to_string().contains("which it does not connect"), "{e}");
    missing.recording.weights[0].synapses = vec![(0, 10_000)];
    let e = Simulation::new(&missing, &config).err().expect("refused");
    assert!(e.to_string().contains("synapses[0]"), "{e}");
}

/// Two projections onto one tuft share its co-activity register: a synapse of one counts the
/// other's as a neighbour, even at the very same position (each has its own key), and a
/// synapse further than the radius does not count.
#[test]
fn projections_onto_one_branch_are_each_others_coactive_neighbours() {
    let tuft = CompartmentParams::new("tuft", Role::at(Site::ApicalTuft), 0, 100.0);
    let rule = LocalCoactivity {
        a_plus: 0.1,
        a_minus: 0.01,
        bounds: WeightBounds::hard(0.0, 10.0),
        ..LocalCoactivity::default()
    };
    let t = NeuronTemplate {
        name: "pyr".into(),
        soma: SomaParams::default(),
        compartments: vec![tuft],
        receptors: vec![
            ReceptorParams::current("a", 1, 3.0),
            ReceptorParams::current("b", 1, 3.0),
        ],
        initial: InitialPotential::Rest,
        rules: vec![CompartmentRule {
            compartment: 1,
            receptors: vec![],
            rule: AnyRule::LocalCoactivity(rule),
            modulator: None,
            structural: None,
        }],
    };
    let mut net = single(t, 1);
    // Source 0 of `a` at 20 µm; sources 0 and 1 of `b` at 20 µm and 60 µm.
    net.populations.push(train_source("a", vec![vec![10.0]]));
    net.populations
        .push(train_source("b", vec![vec![5.0], vec![8.0]]));
    let listed = |pairs: Vec<(u32, u32)>, at: Vec<f64>, source, receptor| ProjectionDesc {
        connectivity: Connectivity::Explicit(pairs),
        placement: Placement::Listed(at),
        ..projection("p", source, 0, receptor, 1.0, 1.0)
    };
    net.projections = vec![
        listed(vec![(0, 0)], vec![20.0], 1, 0),
        listed(vec![(0, 0), (1, 0)], vec![20.0, 60.0], 2, 1),
    ];
    net.projections[1].name = "q".into();
    let mut sim = Simulation::new(&net, &RunConfig::default()).unwrap();
    sim.run(50.0).unwrap();
    let w_a = sim.synapses(0)[0].weight;
    let w_b: Vec<f32> = sim.synapses(1).iter().map(|s| s.weight).collect();
    let w = |n: f64| (1.0 + rule.a_plus * n - rule.a_minus) as f32;
    // b0 (5 ms) and b1 (8 ms) had no active neighbour; a0 (10 ms) had b0, 0 µm away.
    assert_eq!(w_b, vec![w(0.0), w(0.0)]);
    assert_eq!(w_a, w(1.0));
}

/// Positions that nothing in the run reads are not stored but drawn again when the synapses
/// are listed: the list equals that of a run which stores them (a co-activity rule with zero
/// amplitudes on the same compartment), on any thread count.
#[test]
fn positions_drawn_again_equal_stored_ones() {
    let listed = |store: bool, threads: usize| {
        let mut net = two_rule_network(7);
        if store {
            let NeuronTemplate { rules, .. } = Arc::make_mut(match &mut net.populations[0].kind {
                PopulationKind::Neurons(t) => t,
                PopulationKind::Source(_) => unreachable!(),
            });
            rules.push(CompartmentRule {
                compartment: 1,
                receptors: vec![],
                rule: AnyRule::LocalCoactivity(LocalCoactivity {
                    a_plus: 0.0,
                    a_minus: 0.0,
                    ..LocalCoactivity::default()
                }),
                modulator: None,
                structural: None,
            });
        }
        let mut sim = Simulation::new(&net, &RunConfig { seed: 3, threads }).unwrap();
        sim.run(20.0).unwrap();
        let stored_bytes = sim.stats().synapse_bytes;
        let positions: Vec<Option<f32>> = sim.synapses(0).iter().map(|s| s.position_um).collect();
        (positions, stored_bytes)
    };
    let (stored, bytes_stored) = listed(true, 1);
    assert_eq!(stored.len(), 7 * 30);
    assert!(
        stored
            .iter()
            .all(|p| p.is_some_and(|x| (0.0..=120.0).contains(&x)))
    );
    for threads in [1, 3] {
        let (drawn, bytes_drawn) = listed(false, threads);
        assert_eq!(drawn, stored, "{threads} threads");
        if threads == 1 {
            // Per basal synapse: a 2-byte position code, an 8-byte register entry (its counts
            // of neighbours within reach below and above, a 16-bit stamp, the index of its
            // entry; the register is placed for the rule's radius and 50 ms window and keeps no
            // positions) and, with two rules on the compartment, two 4-byte weight components;
            // per neuron, the 4-byte start of its branch in the register, and one for the end;
            // 32 stamps of padding around the register.
            assert_eq!(bytes_stored - bytes_drawn, 18 * 7 * 30 + 4 * (7 + 1) + 32 * 2);
        }
    }
}

/// bAP events find every synapse onto the spiking neuron, a repeated pair (two synapses from
/// one source onto one target) included, and no other: through the reverse index by source
/// (3 targets on one thread) and on a single target per worker (3 threads).
#[test]
fn a_bap_reaches_each_synapse_onto_its_neuron_once_repeated_pairs_included() {
    let rule = PairStdp::default();
    let mut net = stdp_pair_network(100.0, 103.0);
    net.populations[0].size = 3;
    net.populations[1] = train_source("pre", vec![vec![100.0], vec![100.0]]);
    // Source 0 reaches neuron 1 twice; only neuron 1 gets the drive that makes it spike.
    let pairs = vec![(0, 0), (0, 1), (1, 2), (0, 1), (1, 1)];
    net.projections[0].connectivity = Connectivity::Explicit(pairs.clone());
    net.projections[1].connectivity = Connectivity::Explicit(vec![(0, 1)]);
    let mut lists = Vec::new();
    for threads in [1, 3] {
        let mut sim = Simulation::new(&net, &RunConfig { seed: 1, threads }).unwrap();
        sim.run(200.0).unwrap();
        let spikes = sim.spikes();
        assert_eq!(spikes.len(), 1, "{threads} threads");
        assert_eq!(spikes.neuron[0], 1);
        let lag = spikes.t_ms[0] - 101.5;
        let mut rows: Vec<(u32, u32, f32)> = sim
            .synapses(0)
            .iter()
            .map(|r| (r.source, r.target, r.weight))
            .collect();
        rows.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let grown = (0.5 + rule.window(0.5, lag)) as f32;
        assert!(grown > 0.5);
        let expected = vec![
            (0, 0, 0.5),
            (0, 1, grown),
            (0, 1, grown),
            (1, 1, grown),
            (1, 2, 0.5),
        ];
        for (got, want) in rows.iter().zip(&expected) {
            assert_eq!((got.0, got.1), (want.0, want.1));
            assert!(
                (got.2 - want.2).abs() < 1e-6,
                "{threads} threads: {got:?} vs {want:?}"
            );
        }
        assert_eq!(rows.len(), pairs.len());
        lists.push(rows);
    }
    assert_eq!(lists[0], lists[1], "one thread and three give the same weights");
}
