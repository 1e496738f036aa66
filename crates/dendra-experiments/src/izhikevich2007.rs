//! Izhikevich (2007): solving the distal reward problem by linking STDP and dopamine.
//!
//! 800 excitatory and 200 inhibitory LIF neurons, each pair connected with probability 0.1
//! (excitatory synapses plastic, inhibitory onto excitatory only, static), 1 ms delays; every
//! neuron receives a strong random "thalamic" kick at 1 Hz. Excitatory synapses follow
//! `reward_modulated` as in the paper: STDP coincidences (A+ = 0.1, A- = 0.15, τ = 20 ms) feed an
//! eligibility trace (τ_c = 1 s) that dopamine turns into weight changes, `dw/dt = η c d`, with
//! `d` relaxing (τ = 200 ms) to a tonic level of 0.002. One excitatory synapse n1 -> n2 is
//! chosen; whenever n2 fires within 10 ms after n1, dopamine (0.5) is released 1-3 s later,
//! when many other coincidences have happened in between. The chosen synapse alone grows to the
//! maximum. Weights in pA (60 pA is about a 1 mV PSP here; maximum 4x the initial 60 pA).
//!
//! Summary keys: `duration_ms`, `seed`, `rewards`, `chosen_w_over_max`, `others_mean_w_over_max`,
//! `others_frac_above_0.9`, `rate_exc_hz`, `rate_inh_hz`, `loop_s`.
//!
//! Status (measured 28 Nov 2026, `dendra run izhikevich2007 --duration-ms D --seed S`): the
//! reproduction is not yet robust. With `η = 30`: seed 1, 1200 s: chosen 0.997 of max, others'
//! mean 0.16 (target >= 0.9 / <= 0.25), 7 rewards; seed 2, 1200 s: chosen 0.33, others 0.17,
//! 8 rewards; seed 1, 600 s: chosen 0.42; the default hour: seed 1 chosen 0.67 (down from its
//! 0.997 at 1200 s), others 0.12, 14 rewards; seed 2 chosen 0.955, others 0.13, 16 rewards
//! (326-348 s of loop time). After Poisson sources moved to per-source PCG generators (same
//! day, evening; other random draws, same statistics), the default hour gives seed 1: chosen
//! 0.886, others 0.118, 12 rewards; seed 2: chosen 0.845, others 0.118, 13 rewards (213-215 s
//! of loop time). With `η = 6`, 3600 s, seed 1: chosen 0.35, others 0.13, 15 rewards. The rewarded coincidence is too rare in this LIF regime (excitatory rate
//! ~0.7 Hz); the network's regime needs tuning before the target holds across seeds. Probes of
//! 60 s (28 Nov 2026) show why: the excitatory neurons fire almost only when a thalamic kick
//! arrives (1.0 Hz whatever the bias, which mostly drives the inhibitory cells), so a growing
//! chosen synapse cannot make its own rewards more frequent; weaker inhibition (-20 pA, biases
//! 185 / 100 pA) raises the rate to 2.8 Hz but gives 34 rewards a minute, too many to single
//! out the chosen pair. Probes of 28 Nov 2026 (evening; `thalamic_rate_hz`, `p_inh_exc` and
//! `tonic_dopamine` are parameters for such probes) narrow it down. (1) The chosen synapse
//! moves in steps of several pA between rewards: with `η = 30` the tonic dopamine turns each
//! random pairing into a plain STDP step of `η · 0.002 · τ_c · A±` = 6-9 pA, five times the
//! paper's relative size, and a run of anti-causal pairings can undo several rewards.
//! (2) Rewards stay at chance level, about one per 100-200 s: more frequent kicks (2-3 Hz)
//! only drive the inhibitory cells harder (12 Hz), which holds the excitatory rate at 1 Hz;
//! the paper's sparser inhibition (`p_inh_exc = 0.125`) makes the LIF network burst
//! synchronously, 70-90 rewards in 120 s, and every weight collapses to 0; 0.25 with -30 pA
//! sits between the two (about one reward per 25-75 s). (3) Without tonic dopamine and with
//! `η = 24`, each reward adds about 17 pA to the chosen synapse and the others stay put, but
//! 600 s bring only 3 rewards. What the reproduction lacks is the paper's feedback: there, a
//! stronger chosen synapse makes the rewarded coincidence more likely; here the 4 mV EPSP
//! cannot fire n2, which sits 8-15 mV below threshold between kicks. (4) A shortened 1200 s
//! run with `η = 60` and tonic dopamine 0.0005 gives 6 rewards for each of seeds 1 and 2, and
//! the chosen synapse ends at 0.17 and 1.0 of the maximum: a few rewards decide, either way.

use std::sync::Arc;

use dendra_core::{Purpose, StreamKey};
use dendra_model::rules::ModulatorParams;
use dendra_model::rules::rules::RewardModulated;
use dendra_model::{
    AnyRule, CompartmentRule, Connectivity, ModulatorDesc, NetworkDesc, NeuronTemplate, Population,
    PopulationKind, ProjectionDesc, ReceptorParams, Selection, SomaParams, SourceParams, SpikeMechanism,
    Stimulus, StimulusKind, Waveform, WeightDist, Window,
};
use rand::RngExt;

use crate::{ExperimentError, Outcome, RunOptions, Summary};

/// Parameters (defaults: the paper's scheme).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Izhikevich2007Params {
    /// Simulated time (ms). Default 3 600 000 (one hour).
    #[serde(skip)]
    pub duration_ms: f64,
    /// Initial excitatory weight (pA). Default 60.
    pub w_init_pa: f64,
    /// Maximum excitatory weight (pA). Default 240.
    pub w_max_pa: f64,
    /// Inhibitory weight (pA). Default -60.
    pub w_inh_pa: f64,
    /// Probability of an inhibitory -> excitatory connection. Default 0.5.
    pub p_inh_exc: f64,
    /// Thalamic kick (pA). Default 5000 (a suprathreshold jump).
    pub kick_pa: f64,
    /// Rate of each neuron's thalamic kicks (Hz). Default 1 (the paper's one kick per ms
    /// into one of 1000 neurons).
    pub thalamic_rate_hz: f64,
    /// Learning rate `η` (pA per unit eligibility × dopamine × ms). Default 30 (the paper's
    /// 0.1 mV per unit, ×60 pA/mV, ×5 to shorten the run).
    pub eta: f64,
    /// Dopamine per reward. Default 0.5.
    pub reward: f64,
    /// Tonic dopamine level the concentration relaxes to. Default 0.002 (the paper's constant
    /// 0.002 added to the dopamine in the weight update).
    pub tonic_dopamine: f64,
    /// Constant bias current into every soma (pA), bringing rest closer to threshold as in the
    /// paper's regular-spiking neurons. Default 150.
    pub bias_pa: f64,
}

impl Default for Izhikevich2007Params {
    fn default() -> Self {
        Izhikevich2007Params {
            duration_ms: 3_600_000.0,
            w_init_pa: 60.0,
            w_max_pa: 240.0,
            w_inh_pa: -60.0,
            p_inh_exc: 0.5,
            kick_pa: 5000.0,
            thalamic_rate_hz: 1.0,
            eta: 30.0,
            reward: 0.5,
            tonic_dopamine: 0.002,
            bias_pa: 150.0,
        }
    }
}

fn network(p: &Izhikevich2007Params) -> NetworkDesc {
    let soma = SomaParams {
        c_m_pf: 200.0,
        g_leak_ns: 10.0,
        e_leak_mv: -70.0,
        v_reset_mv: -65.0,
        t_ref_ms: 2.0,
        spike_amplitude_mv: 100.0,
        spike: SpikeMechanism::Threshold { v_th_mv: -50.0 },
    };
    let receptors = vec![
        ReceptorParams::current("exc", 0, 5.0),
        ReceptorParams::current("inh", 0, 5.0),
        ReceptorParams::current("thalamus", 0, 2.0),
    ];
    let mut exc = NeuronTemplate::point("exc", soma.clone(), receptors.clone());
    let rule = RewardModulated {
        a_plus: 0.1,
        a_minus: 0.15,
        tau_plus_ms: 20.0,
        tau_minus_ms: 20.0,
        tau_c_ms: 1000.0,
        eta: p.eta,
        tau_cons_ms: f64::INFINITY,
        w_min: 0.0,
        w_max: p.w_max_pa,
        tick_ms: 1000.0,
    };
    let mut cr = CompartmentRule::new(0, AnyRule::RewardModulated(rule));
    cr.receptors = vec![0];
    cr.modulator = Some(0);
    exc.rules.push(cr.clone());
    let mut inh = NeuronTemplate::point("inh", soma, receptors);
    inh.rules.push(cr);
    let proj = |name: &str, source, target, receptor, w, connectivity| {
        ProjectionDesc::new(
            name,
            source,
            target,
            receptor,
            connectivity,
            WeightDist::Constant(w),
            1.0,
        )
    };
    let bern = Connectivity::Bernoulli { p: 0.1 };
    let mut net = NetworkDesc {
        populations: vec![
            Population {
                name: "exc".into(),
                size: 800,
                kind: PopulationKind::Neurons(Arc::new(exc)),
            },
            Population {
                name: "inh".into(),
                size: 200,
                kind: PopulationKind::Neurons(Arc::new(inh)),
            },
            Population {
                name: "thalamus_exc".into(),
                size: 800,
                kind: PopulationKind::Source(SourceParams::Poisson {
                    rate_hz: p.thalamic_rate_hz,
                }),
            },
            Population {
                name: "thalamus_inh".into(),
                size: 200,
                kind: PopulationKind::Source(SourceParams::Poisson {
                    rate_hz: p.thalamic_rate_hz,
                }),
            },
        ],
        projections: vec![
            proj("exc_exc", 0, 0, 0, p.w_init_pa, bern.clone()),
            proj("exc_inh", 0, 1, 0, p.w_init_pa, bern.clone()),
            proj(
                "inh_exc",
                1,
                0,
                1,
                p.w_inh_pa,
                Connectivity::Bernoulli { p: p.p_inh_exc },
            ),
            proj("thal_exc", 2, 0, 2, p.kick_pa, Connectivity::OneToOne),
            proj("thal_inh", 3, 1, 2, p.kick_pa, Connectivity::OneToOne),
        ],
        modulators: vec![ModulatorDesc {
            name: "dopamine".into(),
            params: ModulatorParams {
                tau_ms: 200.0,
                baseline: p.tonic_dopamine,
                history_ms: 10_000.0,
            },
        }],
        ..NetworkDesc::default()
    };
    for population in 0..2 {
        net.stimuli.push(Stimulus {
            population,
            neurons: Selection::All,
            window: Window::ALWAYS,
            kind: StimulusKind::CurrentClamp {
                compartment: 0,
                waveform: Waveform::Step {
                    amplitude_pa: p.bias_pa,
                },
            },
        });
    }
    net.recording.spikes = vec![0, 1];
    net
}

/// Run with the paper's one hour.
pub fn run(spec: &dendra_spec::Spec, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let mut p: Izhikevich2007Params = spec.params()?;
    if let Some(d) = options.duration_ms {
        // Up to ten simulated hours.
        p.duration_ms = crate::check_duration(d, 36_000_000.0)?;
    }
    run_with(&p, options)
}

/// Run with `p`.
pub fn run_with(p: &Izhikevich2007Params, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let net = network(p);
    let mut sim = crate::simulation(&net, options)?;
    // The chosen synapse: the first excitatory target of excitatory neuron 0.
    let chosen = sim
        .synapses(0)
        .into_iter()
        .find(|s| s.source == 0)
        .expect("neuron 0 has targets");
    let (n1, n2) = (chosen.source, chosen.target);
    let mut rng = StreamKey::new(options.seed, Purpose::Task, 0, 0).rng();
    let chunk = 10.0;
    let steps = (p.duration_ms / chunk).ceil() as u64;
    let mut last_n1: Option<f64> = None;
    let mut pending: Vec<f64> = Vec::new();
    let mut rewards = 0u64;
    for k in 0..steps {
        let t0 = sim.time_ms();
        // Deliver the rewards that fall due in this chunk, at their times.
        pending.sort_by(f64::total_cmp);
        while let Some(&t_r) = pending.first() {
            if t_r > t0 + chunk {
                break;
            }
            if t_r > sim.time_ms() {
                sim.run(t_r - sim.time_ms())?;
            }
            sim.release(0, p.reward)?;
            rewards += 1;
            pending.remove(0);
        }
        let remaining = t0 + chunk - sim.time_ms();
        if remaining > 1e-9 {
            sim.run(remaining)?;
        }
        for (t, pop, i) in sim.spikes_since(t0) {
            if pop != 0 {
                continue;
            }
            if i == n1 {
                last_n1 = Some(t);
            } else if i == n2
                && let Some(t1) = last_n1
                && t > t1
                && t - t1 <= 10.0
            {
                let delay: f64 = 1000.0 + 2000.0 * rng.random::<f64>();
                pending.push(t + delay);
                last_n1 = None;
            }
        }
        (options.progress)(k + 1, steps);
    }
    let syn = sim.synapses(0);
    let w_chosen = syn
        .iter()
        .find(|s| s.source == n1 && s.target == n2)
        .map_or(f64::NAN, |s| f64::from(s.weight));
    let others: Vec<f64> = syn
        .iter()
        .filter(|s| !(s.source == n1 && s.target == n2))
        .map(|s| f64::from(s.weight))
        .collect();
    let spikes = sim.spikes();
    let secs = p.duration_ms / 1000.0;
    let mut s = Summary::new();
    s.set("duration_ms", p.duration_ms)
        .set("seed", options.seed)
        .set("rewards", rewards)
        .set("chosen_w_over_max", w_chosen / p.w_max_pa)
        .set(
            "others_mean_w_over_max",
            others.iter().sum::<f64>() / others.len() as f64 / p.w_max_pa,
        )
        .set(
            "others_frac_above_0.9",
            others.iter().filter(|&&w| w > 0.9 * p.w_max_pa).count() as f64 / others.len() as f64,
        )
        .set("rate_exc_hz", spikes.count(0) as f64 / 800.0 / secs)
        .set("rate_inh_hz", spikes.count(1) as f64 / 200.0 / secs)
        .set("loop_s", sim.stats().loop_seconds);
    Ok(Outcome::recorded(s, net, sim))
}
