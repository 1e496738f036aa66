//! Izhikevich (2007): solving the distal reward problem by linking STDP and dopamine.
//!
//! The paper's network, as in its published program: 800 regular-spiking and 200 fast-spiking
//! Izhikevich (2003) neurons (`v' = 0.04 v² + 5 v + 140 - u + I`, `u' = a (b v - u)`; RS
//! `a = 0.02, d = 8`, FS `a = 0.1, d = 2`, `b = 0.2`, reset -65 mV, spike at 30 mV), here in
//! the dimensional form with `C = 1 pF`, so that 1 pA is 1 mV/ms. Each excitatory neuron
//! projects to 10 % of all neurons, each inhibitory one to 12.5 % of the excitatory ones
//! (100 targets on average, as the paper's 100), all with 1 ms delays and 1 ms synaptic
//! currents, so that a weight `w` moves the potential by about `w` mV (initial excitatory 1,
//! maximum 4, inhibitory -1). Every neuron receives an independent noise current, a new draw
//! every millisecond (the paper's uniform `13 (rand - 0.5)`; here Gaussian with the same
//! standard deviation, 3.75 pA). Excitatory synapses follow `reward_modulated` as in the
//! paper: STDP coincidences (`A+ = 0.1`, `A- = 0.15`, `τ = 20 ms`) feed an eligibility trace
//! (`τ_c = 1 s`) that dopamine turns into weight changes, `dw/dt = η c d` with
//! `η = 0.1 ms⁻¹` and `d` relaxing (`τ = 200 ms`) to a tonic 0.002. One excitatory synapse
//! n1 -> n2 is chosen and starts at 0; whenever n2 fires less than 20 ms after n1's last
//! spike, dopamine (0.5) is released 1-3 s later, when many other coincidences have happened
//! in between. The chosen synapse alone should grow to the maximum, the others stay low.
//!
//! The default run is the first 20 minutes of the paper's hour (`--duration-ms 3600000` for
//! all of it). Measured (7 Dec 2026, 2-core Intel Xeon VM, `dendra run izhikevich2007 --seed S
//! --threads 1`):
//!
//! - The default 20 minutes: seed 1 (the spec's) ends with the chosen synapse at 0.957 of the
//!   maximum (0.99 on average over the last quarter) and the others at 0.184 (114 rewards,
//!   31 s of loop time); seed 4 at 0.953 / 0.174; seed 2 at 0.761 (0.98 on average over the
//!   last quarter); seed 3 has not yet taken off (0.60, last quarter 0.36).
//! - The hour: seeds 1-4 end with the chosen synapse at 0.969, 0.713, 1.0 and 0.917 of the
//!   maximum (its mean over the last quarter 0.989, 0.755, 0.978, 0.926), first above 0.9
//!   after 640, 404, 1330 and 336 s; the other excitatory synapses average 0.18-0.19 of the
//!   maximum (about 2 % of them above 0.9); 277-340 rewards; excitatory neurons at 1.7 Hz;
//!   98-105 s of loop time each. Seed 2 learned (above 0.9 from 404 s) and was knocked down
//!   from 1.0 to 0.50 at 3150-3200 s (as the next point describes), recovering since.
//! - The chosen weight does not sit still at the maximum: a reward that finds the synapse with
//!   negative eligibility (n2 fired just before n1) takes up to a quarter of the maximum at
//!   once, and the rewarded pairings bring it back.
//! - Faster learning does not shorten the run: a reward of 1.0 (20 minutes, seeds 3 and 5)
//!   lifts the others to 0.29-0.30 of the maximum (7-8 % above 0.9) and makes the chosen
//!   synapse swing more (0.69, 0.89 at the end); so did `η = 0.2` (20 minutes: 0.29-0.30) and
//!   `η = 0.5` (10 minutes: 0.35-0.37), measured before the reward criterion waited for n1's
//!   spike to reach n2.
//!
//! Outputs: besides spikes and final weights, the chosen synapse's weight once a second
//! (`weights.parquet`, figure `weights_time`: the paper's Fig. 1 trace).
//!
//! Summary keys: `duration_ms`, `seed`, `rewards`, `rewards_last_quarter`, `chosen_w_over_max`,
//! `chosen_mean_last_quarter_over_max` (its mean over the last quarter of the run, sampled
//! once a second), `t_chosen_above_0.9_s` (when the chosen synapse first reached 0.9 of the
//! maximum, checked every second; null if never), `others_mean_w_over_max` (all other
//! excitatory synapses), `others_frac_above_0.9`, `rate_exc_hz`, `rate_inh_hz`, `loop_s`.

use std::sync::Arc;

use dendra_core::{Purpose, StreamKey};
use dendra_model::rules::ModulatorParams;
use dendra_model::rules::rules::RewardModulated;
use dendra_model::{
    AnyRule, CompartmentRule, Connectivity, ModulatorDesc, NetworkDesc, NeuronTemplate, Population,
    PopulationKind, ProjectionDesc, ReceptorParams, Selection, SomaParams, Stimulus, StimulusKind, Waveform,
    WeightDist, WeightProbeDesc, Window,
};
use rand::RngExt;

use crate::{ExperimentError, Outcome, RunOptions, Summary};

/// Synaptic delay (ms), as the paper's `D = 1`.
const DELAY_MS: f64 = 1.0;

/// Parameters (defaults: the paper's program, except for the duration: 20 of its 60 minutes).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Izhikevich2007Params {
    /// Simulated time (ms). Default 1 200 000 (the first 20 minutes of the paper's hour).
    #[serde(skip)]
    pub duration_ms: f64,
    /// Integration step (ms). Default 0.5 (the paper's program steps the potential by 0.5 ms
    /// and everything else by 1 ms).
    pub dt_ms: f64,
    /// Initial excitatory weight (pA for 1 ms, about mV). Default 1.
    pub w_init_pa: f64,
    /// Initial weight of the chosen synapse. Default 0 (as in the paper's program).
    pub w_chosen_init_pa: f64,
    /// Maximum excitatory weight. Default 4.
    pub w_max_pa: f64,
    /// Inhibitory weight. Default -1.
    pub w_inh_pa: f64,
    /// Probability of an excitatory -> any connection. Default 0.1.
    pub p_exc: f64,
    /// Probability of an inhibitory -> excitatory connection. Default 0.125.
    pub p_inh_exc: f64,
    /// Standard deviation of the noise current (pA). Default 3.753 (`13/√12`, the paper's
    /// uniform draw in `[-6.5, 6.5]`).
    pub noise_std_pa: f64,
    /// Learning rate `η` (weight per unit eligibility × dopamine × ms). Default 0.1 (the
    /// paper's `(0.002 + DA) sd` every 10 ms).
    pub eta: f64,
    /// Dopamine per reward. Default 0.5.
    pub reward: f64,
    /// Tonic dopamine level the concentration relaxes to. Default 0.002.
    pub tonic_dopamine: f64,
    /// Coincidence window (ms): n2 firing less than this after n1 is rewarded. Default 20.
    pub window_ms: f64,
}

impl dendra_spec::BuiltinParams for Izhikevich2007Params {
    fn validate(&self) -> dendra_core::ParamResult<()> {
        use dendra_core::error::{in_range, positive};
        positive("duration_ms", self.duration_ms)?;
        in_range("duration_ms", self.duration_ms, 0.0, 36_000_000.0)?;
        in_range("dt_ms", self.dt_ms, 1e-3, 1.0)?;
        positive("w_max_pa", self.w_max_pa)?;
        in_range("w_max_pa", self.w_max_pa, 0.0, 1e6)?;
        in_range("w_init_pa", self.w_init_pa, 0.0, self.w_max_pa)?;
        in_range("w_chosen_init_pa", self.w_chosen_init_pa, 0.0, self.w_max_pa)?;
        in_range("w_inh_pa", self.w_inh_pa, -1e6, 0.0)?;
        in_range("p_exc", self.p_exc, 0.0, 1.0)?;
        in_range("p_inh_exc", self.p_inh_exc, 0.0, 1.0)?;
        in_range("noise_std_pa", self.noise_std_pa, 0.0, 1e6)?;
        in_range("eta", self.eta, 0.0, 1e6)?;
        in_range("reward", self.reward, 0.0, 1e6)?;
        in_range("tonic_dopamine", self.tonic_dopamine, 0.0, 1e6)?;
        positive("window_ms", self.window_ms)?;
        in_range("window_ms", self.window_ms, 0.0, 1e4)?;
        Ok(())
    }
}

impl Default for Izhikevich2007Params {
    fn default() -> Self {
        Izhikevich2007Params {
            duration_ms: 1_200_000.0,
            dt_ms: 0.5,
            w_init_pa: 1.0,
            w_chosen_init_pa: 0.0,
            w_max_pa: 4.0,
            w_inh_pa: -1.0,
            p_exc: 0.1,
            p_inh_exc: 0.125,
            noise_std_pa: 13.0 / 12f64.sqrt(),
            eta: 0.1,
            reward: 0.5,
            tonic_dopamine: 0.002,
            window_ms: 20.0,
        }
    }
}

/// An Izhikevich 2003 neuron (`C = 1 pF`) and the constant current its 2003 form adds.
fn izhikevich_template(name: &str, a: f64, d: f64, rule: &CompartmentRule) -> (NeuronTemplate, f64) {
    let (soma, bias_pa) = SomaParams::izhikevich_2003(a, 0.2, -65.0, d);
    let receptors = vec![
        ReceptorParams::current("exc", 0, 1.0),
        ReceptorParams::current("inh", 0, 1.0),
    ];
    // Starts at rest, -65 mV, as the paper's program.
    let mut t = NeuronTemplate::point(name, soma, receptors);
    t.rules.push(rule.clone());
    (t, bias_pa)
}

fn network(p: &Izhikevich2007Params) -> NetworkDesc {
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
    let (exc, bias_exc) = izhikevich_template("rs", 0.02, 8.0, &cr);
    let (inh, bias_inh) = izhikevich_template("fs", 0.1, 2.0, &cr);
    let proj = |name: &str, source, target, receptor, w, p| {
        ProjectionDesc::new(
            name,
            source,
            target,
            receptor,
            Connectivity::Bernoulli { p },
            WeightDist::Constant(w),
            DELAY_MS,
        )
    };
    let mut net = NetworkDesc {
        dt_ms: p.dt_ms,
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
        ],
        projections: vec![
            proj("exc_exc", 0, 0, 0, p.w_init_pa, p.p_exc),
            proj("exc_inh", 0, 1, 0, p.w_init_pa, p.p_exc),
            proj("inh_exc", 1, 0, 1, p.w_inh_pa, p.p_inh_exc),
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
    for (population, bias_pa) in [(0, bias_exc), (1, bias_inh)] {
        net.stimuli.push(Stimulus {
            population,
            neurons: Selection::All,
            window: Window::ALWAYS,
            kind: StimulusKind::CurrentClamp {
                compartment: 0,
                waveform: Waveform::Noise {
                    mean_pa: bias_pa,
                    std_pa: p.noise_std_pa,
                    interval_ms: 1.0,
                },
            },
        });
    }
    net.recording.spikes = vec![0, 1];
    net
}

/// Run with the spec's parameters (default: 20 minutes of the paper's hour).
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
    let mut net = network(p);
    // The chosen synapse: the first excitatory target of excitatory neuron 0 (connectivity
    // depends only on the seed, so a first build finds it); it starts at `w_chosen_init_pa`
    // and its weight is recorded once a second.
    let chosen = crate::simulation(&net, options)?
        .synapses(0)
        .into_iter()
        .find(|s| s.source == 0)
        .ok_or_else(|| {
            dendra_core::ParamError::new(
                "p_exc",
                "a probability that gives excitatory neuron 0 an excitatory target",
                p.p_exc,
            )
        })?;
    let (n1, n2) = (chosen.source, chosen.target);
    net.recording.weights.push(WeightProbeDesc {
        projection: 0,
        interval_ms: 1000.0,
        synapses: vec![(n1, n2)],
    });
    let mut sim = crate::simulation(&net, options)?;
    sim.set_weight(0, n1, n2, p.w_chosen_init_pa)?;
    let mut rng = StreamKey::new(options.seed, Purpose::Task, 0, 0).rng();
    let chunk = 10.0;
    let steps = (p.duration_ms / chunk).ceil() as u64;
    let mut last_n1 = f64::NEG_INFINITY;
    let mut pending: Vec<f64> = Vec::new();
    let mut rewards = 0u64;
    let mut rewards_last_quarter = 0u64;
    let mut t_above_s = f64::NAN;
    // Sum and count of the chosen weight's once-a-second samples over the last quarter.
    let mut last_quarter = (0.0, 0u32);
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
            if t_r >= 0.75 * p.duration_ms {
                rewards_last_quarter += 1;
            }
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
                last_n1 = t;
            } else if i == n2 && t - last_n1 > DELAY_MS + 1e-9 && t - last_n1 < p.window_ms {
                // As in the paper's program, every spike of n2 inside the window after n1's
                // last spike schedules a reward 1-3 s later, provided n1's spike has reached n2
                // (the program asks for a later millisecond than n1's, which is its delay): an
                // n2 spike before the arrival cannot be caused by n1, and its pairing with the
                // arriving spike is anti-causal, depressing the very synapse being rewarded.
                let delay: f64 = 1000.0 + 2000.0 * rng.random::<f64>();
                pending.push(t + delay);
            }
        }
        // Follow the chosen synapse once a second.
        if (k + 1) % 100 == 0 {
            let w = sim.weight(0, n1, n2).unwrap_or(f64::NAN);
            if t_above_s.is_nan() && w >= 0.9 * p.w_max_pa {
                t_above_s = sim.time_ms() / 1000.0;
            }
            if sim.time_ms() > 0.75 * p.duration_ms {
                last_quarter.0 += w;
                last_quarter.1 += 1;
            }
        }
        (options.progress)(k + 1, steps);
    }
    let mut w_chosen = f64::NAN;
    let mut others: Vec<f64> = Vec::new();
    for proj in [0, 1] {
        for s in sim.synapses(proj) {
            if proj == 0 && s.source == n1 && s.target == n2 {
                w_chosen = f64::from(s.weight);
            } else {
                others.push(f64::from(s.weight));
            }
        }
    }
    let spikes = sim.spikes();
    let secs = p.duration_ms / 1000.0;
    let mut s = Summary::new();
    s.set("duration_ms", p.duration_ms)
        .set("seed", options.seed)
        .set("rewards", rewards)
        .set("rewards_last_quarter", rewards_last_quarter)
        .set("chosen_w_over_max", w_chosen / p.w_max_pa)
        .set(
            "chosen_mean_last_quarter_over_max",
            last_quarter.0 / f64::from(last_quarter.1) / p.w_max_pa,
        )
        .set("t_chosen_above_0.9_s", t_above_s)
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
