//! The state and per-step update of one worker's slice of a neuron population.
//!
//! State is stored as structure of arrays: state variable `k` of local neuron `i` is
//! `x[k * n + i]`. One step (from `t_n` to `t_{n+1}`) does, in this order:
//!
//! 1. stimuli whose window opens or closes at `n` update the block/Kir masks;
//! 2. the external current `u` (pA per compartment) is assembled from current clamps,
//!    photocurrents, the Kir conductance, plateau currents, conductance-based synapses
//!    (`g (E - V)` with `g` averaged exactly over the step), all at `t_n`, and the AdEx or
//!    quadratic (Izhikevich) current by a second-order predictor-corrector (see
//!    [`crate::soma_current`]);
//! 3. the exact propagator advances `x` (see [`crate::propagator`]);
//! 4. synaptic input arriving at `t_{n+1}` is added to the receptor states;
//! 5. refractory somata are held at `V_reset`; a soma at or above threshold spikes (unless its
//!    spikes are blocked or it is clamped), is reset and becomes refractory (steps 3-5 are one
//!    fused pass, see [`crate::kernel`]);
//! 6. voltage-clamped compartments get the current that puts them exactly at the holding
//!    potential at `t_{n+1}` (recorded as the clamp current);
//! 7. back-propagating APs that arrive at `t_{n+1}` depolarise their compartments;
//! 8. dendritic plateaus start where the local potential crossed their threshold.

use std::sync::Arc;

use dendra_core::{Clock, Purpose, StreamKey};
use dendra_model::{
    InitialPotential, NeuronTemplate, ProbeSignal, ReceptorKind, SpikeMechanism, StimulusKind,
};
use rand::RngExt;

use dendra_rules::Stamp;
use dendra_rules::rules::{CoactivityRegister, REFRESH_STEPS};

use crate::flush::{Flush, flush_tiny};
use crate::kernel::{self, Integrate, Threshold};

use crate::propagator::Propagator;
use crate::slots::{slot_of, slots_for};
use crate::soma_current::SomaCurrent;
use crate::stimuli::{LocalStimulus, injects_current};

#[derive(Debug, Clone, Copy)]
struct EscapeConsts {
    phi_max_per_ms: f64,
    k: f64,
    beta_per_mv: f64,
    theta_mv: f64,
}

#[derive(Debug, Clone, Copy)]
struct BapComp {
    comp: usize,
    delay_steps: u32,
    kick_mv: f64,
    attenuation: f64,
}

#[derive(Debug, Clone, Copy)]
struct PlateauComp {
    comp: usize,
    threshold_mv: f64,
    current_pa: f64,
    duration_steps: u32,
    refractory_steps: u32,
    strength: Option<(dendra_model::BranchStrengthParams, u64)>,
}

#[derive(Debug, Clone, Copy)]
struct CondReceptor {
    state: usize,
    comp: usize,
    e_rev_mv: f64,
    /// Mean of `exp(-t/τ)` over one step: `τ/h (1 - e^{-h/τ})`.
    mean_factor: f64,
}

/// One worker's slice `[first, first + n)` of a neuron population.
#[derive(Debug)]
pub struct NeuronBlock {
    /// Population index.
    pub pop: usize,
    /// Population index of local neuron 0.
    pub first: u32,
    /// Number of local neurons.
    pub n: usize,
    /// Stride of the per-neuron arrays (`n` rounded up to whole SIMD lanes).
    stride: usize,
    template: Arc<NeuronTemplate>,
    prop: Propagator,
    n_rec: usize,
    v_detect_mv: f64,
    v_reset_mv: f64,
    t_ref_steps: u64,
    /// The AdEx or quadratic current, if the soma has one; its recovery variable is `w`.
    soma_current: Option<SomaCurrent>,
    /// Escape-noise spiking, its per-neuron random streams and refractory ends.
    escape: Option<EscapeConsts>,
    escape_rng: Vec<rand_chacha::ChaCha8Rng>,
    escape_free_at: Vec<u64>,
    /// Whether a stimulus forces spikes (`StimulusKind::Spikes`).
    forces_spikes: bool,
    /// Somata held by a voltage clamp now.
    soma_clamped: Vec<bool>,
    bap: Vec<BapComp>,
    plateaus: Vec<PlateauComp>,
    cond: Vec<CondReceptor>,
    uses_u: bool,
    x: Vec<f64>,
    scratch: Vec<f64>,
    u: Vec<f64>,
    /// First step after each neuron's refractory period.
    free_at: Vec<u64>,
    /// Per lane chunk, the lanes that spiked in this step (the kernel's scratch).
    fired: Vec<u8>,
    w: Vec<f64>,
    /// Which neurons spiked in each of the last steps (longest bAP delay + 1 of them), a bit
    /// set of `words` u64 per step, step `m` in slot `m % slots`: the bAPs of a step are the
    /// spikes of `delay` steps before, read a word (64 neurons) at a time. Empty without bAPs.
    recent: Vec<u64>,
    recent_words: usize,
    spike_blocked: Vec<bool>,
    bap_blocked: Vec<bool>,
    plat_left: Vec<u32>,
    plat_refr: Vec<u32>,
    /// Branch strength (plateau gain) per plateau and neuron, the step of the last onset, and
    /// whether a bAP arrived in the window after it.
    branch_u: Vec<f64>,
    onset_step: Vec<u64>,
    bap_after_onset: Vec<bool>,
    /// This step's dendritic spikes (plateau onsets) `(local neuron, compartment)`.
    branch_events: Vec<(u32, u32)>,
    kir_g: Vec<f64>,
    kir_ge: Vec<f64>,
    clamp_i: Vec<f64>,
    /// Non-zero where the soma cannot spike (blocked, clamped, padding lanes).
    inhibit: Vec<u8>,
    stimuli: Vec<LocalStimulus>,
    /// This step's postsynaptic events: `(local neuron, compartment, strength)` for somatic
    /// spikes (compartment 0, strength 1) and bAP arrivals (their attenuation).
    post_events: Vec<(u32, u32, f64)>,
    /// Compartments that keep a co-activity register, and their registers (one per slot, a
    /// branch per local neuron).
    register_comps: Vec<usize>,
    registers: Vec<CoactivityRegister>,
    /// Rules switched off (`rule * stride + i`).
    rule_disabled: Vec<bool>,
    /// Per template rule: whether `rule_disabled` holds a `true` for it.
    rule_off_any: Vec<bool>,
    /// Synaptic input ring: `ring[(slot * n_rec + r) * n + i]`, summed weights arriving at
    /// slot's time on receptor `r` of local neuron `i` (`f32`: sums of `f32` weights).
    ring: Vec<f32>,
    ring_slots: usize,
    /// When decayed state is flushed out of the subnormal range (and checked for divergence).
    flush: Flush,
    /// Whether a flush found a non-finite state value.
    diverged: bool,
}

impl NeuronBlock {
    /// Build the block with its initial state. `ring_slots` must exceed the longest delay (in
    /// steps) of projections onto this population.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        pop: usize,
        template: Arc<NeuronTemplate>,
        first: u32,
        n: usize,
        clock: &Clock,
        seed: u64,
        stimuli: Vec<LocalStimulus>,
        ring_slots: usize,
    ) -> Self {
        let dt = clock.dt_ms();
        let prop = Propagator::new(&template, dt);
        let n_comp = template.n_compartments();
        let n_rec = template.receptors.len();
        let soma = &template.soma;
        let soma_current = SomaCurrent::of(soma, dt);
        let escape = match soma.spike {
            SpikeMechanism::Escape {
                phi_max_hz,
                k,
                beta_per_mv,
                theta_mv,
            } => Some(EscapeConsts {
                phi_max_per_ms: phi_max_hz / 1000.0,
                k,
                beta_per_mv,
                theta_mv,
            }),
            _ => None,
        };
        let bap: Vec<BapComp> = template
            .compartments
            .iter()
            .enumerate()
            .filter_map(|(k, c)| {
                c.bap.map(|b| BapComp {
                    comp: k + 1,
                    delay_steps: (b.delay_ms / dt).round() as u32,
                    kick_mv: b.attenuation * soma.spike_amplitude_mv,
                    attenuation: b.attenuation,
                })
            })
            .collect();
        let plateaus: Vec<PlateauComp> = template
            .compartments
            .iter()
            .enumerate()
            .filter_map(|(k, c)| {
                c.plateau.map(|p| PlateauComp {
                    comp: k + 1,
                    threshold_mv: p.threshold_mv,
                    current_pa: p.current_pa,
                    duration_steps: ((p.duration_ms / dt).round() as u32).max(1),
                    refractory_steps: (p.refractory_ms / dt).round() as u32,
                    strength: p
                        .strength
                        .map(|b| (b, ((b.window_ms / dt).round() as u64).max(1))),
                })
            })
            .collect();
        let cond: Vec<CondReceptor> = template
            .receptors
            .iter()
            .enumerate()
            .filter_map(|(r, rec)| match rec.kind {
                ReceptorKind::Conductance { e_rev_mv } => Some(CondReceptor {
                    state: n_comp + r,
                    comp: rec.compartment,
                    e_rev_mv,
                    mean_factor: rec.tau_ms / dt * (1.0 - (-dt / rec.tau_ms).exp()),
                }),
                ReceptorKind::Current => None,
            })
            .collect();
        let has_kir = stimuli.iter().any(|s| matches!(s.kind, StimulusKind::Kir { .. }));
        let forces_spikes = stimuli.iter().any(|s| !s.forced_steps.is_empty());
        let has_clamp = stimuli
            .iter()
            .any(|s| matches!(s.kind, StimulusKind::VoltageClamp { .. }));
        let uses_u = soma_current.is_some()
            || !plateaus.is_empty()
            || !cond.is_empty()
            || stimuli.iter().any(|s| injects_current(&s.kind));

        let st = kernel::padded(n);
        let mut x = vec![0.0; prop.n_state * st];
        for c in 0..n_comp {
            let e_l = template.e_leak_mv(c);
            x[c * st..(c + 1) * st].fill(match template.initial {
                InitialPotential::Fixed(v) => v,
                _ => e_l,
            });
        }
        if let InitialPotential::Uniform { lo_mv, hi_mv } = template.initial {
            for (i, v) in x[..n].iter_mut().enumerate() {
                let g = first as u64 + i as u64;
                let mut rng = StreamKey::new(seed, Purpose::InitialState, pop as u32, g).rng();
                *v = lo_mv + (hi_mv - lo_mv) * rng.random::<f64>();
            }
        }
        let t_ref_steps = (soma.t_ref_ms / dt).round() as u64;
        let mut register_comps: Vec<usize> = template
            .rules
            .iter()
            .filter(|r| r.rule.needs().coactivity.is_some())
            .map(|r| r.compartment)
            .collect();
        register_comps.sort_unstable();
        register_comps.dedup();
        NeuronBlock {
            pop,
            first,
            n,
            stride: st,
            n_rec,
            v_detect_mv: soma.spike_detect_mv(),
            v_reset_mv: soma.v_reset_mv,
            t_ref_steps,
            w: match soma_current {
                Some(sc) => x[..n].iter().map(|&v| sc.initial_recovery(v)).collect(),
                None => Vec::new(),
            },
            soma_current,
            recent: match bap.iter().map(|b| b.delay_steps).max() {
                Some(d) => vec![0; slots_for(d as usize + 1) * n.div_ceil(64)],
                None => Vec::new(),
            },
            recent_words: n.div_ceil(64),
            bap_blocked: vec![false; n_comp * st],
            post_events: Vec::with_capacity(n),
            registers: (0..register_comps.len())
                .map(|_| CoactivityRegister::default())
                .collect(),
            register_comps,
            rule_disabled: vec![false; template.rules.len() * st],
            rule_off_any: vec![false; template.rules.len()],
            plat_left: vec![0; plateaus.len() * st],
            plat_refr: vec![0; plateaus.len() * st],
            branch_u: vec![1.0; plateaus.len() * st],
            onset_step: vec![u64::MAX; plateaus.len() * st],
            bap_after_onset: vec![false; plateaus.len() * st],
            branch_events: Vec::with_capacity(n),
            bap,
            plateaus,
            cond,
            uses_u,
            scratch: if prop.n_state > 8 {
                vec![0.0; prop.n_state * kernel::CHUNK]
            } else {
                Vec::new()
            },
            u: if uses_u {
                vec![0.0; n_comp * st]
            } else {
                Vec::new()
            },
            free_at: vec![0; st],
            fired: vec![0; st / kernel::LANES],
            spike_blocked: vec![false; n],
            kir_g: if has_kir { vec![0.0; n] } else { Vec::new() },
            kir_ge: if has_kir { vec![0.0; n] } else { Vec::new() },
            clamp_i: if has_clamp {
                vec![0.0; n_comp * st]
            } else {
                Vec::new()
            },
            // Escape-noise somata never cross a deterministic threshold.
            inhibit: (0..st).map(|i| u8::from(i >= n || escape.is_some())).collect(),
            escape_rng: if escape.is_some() {
                (0..n)
                    .map(|i| StreamKey::new(seed, Purpose::Noise, pop as u32, first as u64 + i as u64).rng())
                    .collect()
            } else {
                Vec::new()
            },
            escape_free_at: if escape.is_some() { vec![0; n] } else { Vec::new() },
            forces_spikes,
            soma_clamped: vec![false; n],
            escape,
            stimuli,
            ring: vec![0.0; slots_for(ring_slots) * n_rec * st],
            ring_slots: slots_for(ring_slots),
            flush: Flush::for_propagator(&prop),
            diverged: false,
            x,
            prop,
            template,
        }
    }

    /// The template of this population.
    pub fn template(&self) -> &NeuronTemplate {
        &self.template
    }

    /// The ring lane of receptor `receptor` read at the end of step `arrival_step - 1`, i.e.
    /// the input that arrives at time `t_{arrival_step}`; one entry per local neuron.
    #[inline]
    pub fn ring_lane(&mut self, arrival_step: u64, receptor: usize) -> &mut [f32] {
        let slot = slot_of(arrival_step, self.ring_slots);
        let base = (slot * self.n_rec + receptor) * self.stride;
        &mut self.ring[base..base + self.stride]
    }

    /// Number of ring slots (longest delay + 1, rounded up to a power of two).
    pub fn ring_slots(&self) -> usize {
        self.ring_slots
    }

    /// Advance the block by step `n`, appending the local indices of neurons that spiked.
    pub fn step(&mut self, n: u64, clock: &Clock, spikes: &mut Vec<u32>) {
        self.post_events.clear();
        self.branch_events.clear();
        if self.n == 0 {
            // A worker may hold none of a small population's neurons.
            return;
        }
        if self.stimuli.iter().any(|s| s.edge(n)) {
            self.refresh_masks(n);
        }
        if n > 0 && n.is_multiple_of(REFRESH_STEPS) {
            // Keep the registers' stamps from wrapping (events so far are stamped at most `n`).
            for r in &mut self.registers {
                r.refresh(Stamp::of_step(n));
            }
        }
        if self.flush.due(n) {
            self.diverged |= flush_tiny(&mut self.x) | flush_tiny(&mut self.w);
        }
        if self.uses_u {
            self.assemble_input(n, clock.time_ms(n));
        }
        let slot = slot_of(n + 1, self.ring_slots);
        let lanes = self.n_rec * self.stride;
        kernel::integrate(Integrate {
            prop: &self.prop,
            x: &mut self.x,
            scratch: &mut self.scratch,
            u: self.uses_u.then_some(&self.u[..]),
            ring: &mut self.ring[slot * lanes..(slot + 1) * lanes],
            stride: self.stride,
            spike: Threshold {
                free_at: &mut self.free_at,
                step: n,
                inhibit: &self.inhibit,
                v_reset_mv: self.v_reset_mv,
                v_detect_mv: self.v_detect_mv,
                t_ref_steps: self.t_ref_steps,
                fired: &mut self.fired,
                spikes,
            },
        });
        if !self.clamp_i.is_empty() {
            self.apply_voltage_clamps(n);
        }
        if self.escape.is_some() {
            self.escape_spikes(n, clock.dt_ms(), spikes);
        }
        if self.forces_spikes {
            self.force_spikes(n, spikes);
        }
        self.after_spikes(n, spikes);
        if !self.bap.is_empty() {
            self.back_propagate(n);
        }
        if !self.plateaus.is_empty() {
            self.start_plateaus(n);
        }
    }

    fn refresh_masks(&mut self, n: u64) {
        let st = self.stride;
        self.spike_blocked.fill(false);
        self.bap_blocked.fill(false);
        self.rule_disabled.fill(false);
        self.rule_off_any.fill(false);
        self.soma_clamped.fill(false);
        self.kir_g.fill(0.0);
        self.kir_ge.fill(0.0);
        for (i, inh) in self.inhibit.iter_mut().enumerate() {
            *inh = u8::from(i >= self.n || self.escape.is_some());
        }
        for s in self.stimuli.iter().filter(|s| s.active(n)) {
            match &s.kind {
                StimulusKind::BlockSpikes => {
                    for &i in &s.neurons {
                        self.spike_blocked[i as usize] = true;
                        self.inhibit[i as usize] = 1;
                    }
                }
                StimulusKind::DisableRule { rule } => {
                    self.rule_off_any[*rule] |= !s.neurons.is_empty();
                    for &i in &s.neurons {
                        self.rule_disabled[rule * st + i as usize] = true;
                    }
                }
                StimulusKind::BlockBap { compartments } => {
                    let n_comp = self.prop.n_comp;
                    for &i in &s.neurons {
                        match compartments {
                            None => (1..n_comp).for_each(|c| self.bap_blocked[c * st + i as usize] = true),
                            Some(cs) => cs
                                .iter()
                                .for_each(|&c| self.bap_blocked[c * st + i as usize] = true),
                        }
                    }
                }
                StimulusKind::Kir { g_ns, e_k_mv } => {
                    for &i in &s.neurons {
                        self.kir_g[i as usize] += g_ns;
                        self.kir_ge[i as usize] += g_ns * e_k_mv;
                    }
                }
                StimulusKind::VoltageClamp { compartment: 0, .. } => {
                    for &i in &s.neurons {
                        self.inhibit[i as usize] = 1;
                        self.soma_clamped[i as usize] = true;
                    }
                }
                _ => {}
            }
        }
    }

    fn assemble_input(&mut self, n: u64, t_ms: f64) {
        let (nn, st) = (self.n, self.stride);
        self.u.fill(0.0);
        for s in self.stimuli.iter_mut().filter(|s| s.active(n)) {
            let c = match s.kind {
                StimulusKind::CurrentClamp { compartment, .. } => compartment,
                StimulusKind::Optogenetic { .. } => 0,
                _ => continue,
            };
            let amp = s.current_pa(t_ms);
            let lane = &mut self.u[c * st..(c + 1) * st];
            for &i in &s.neurons {
                lane[i as usize] += amp;
            }
            if let Some(noise) = &mut s.noise {
                for (&i, &dev) in s.neurons.iter().zip(noise.at_step(n, s.start_step)) {
                    lane[i as usize] += dev;
                }
            }
        }
        if !self.kir_g.is_empty() {
            for i in 0..nn {
                self.u[i] += self.kir_ge[i] - self.kir_g[i] * self.x[i];
            }
        }
        for (p, pl) in self.plateaus.iter().enumerate() {
            for i in 0..nn {
                let k = p * st + i;
                if self.plat_left[k] > 0 {
                    self.u[pl.comp * st + i] += pl.current_pa * self.branch_u[k];
                    self.plat_left[k] -= 1;
                    if self.plat_left[k] == 0 {
                        self.plat_refr[k] = pl.refractory_steps;
                    }
                } else if self.plat_refr[k] > 0 {
                    self.plat_refr[k] -= 1;
                }
            }
        }
        for cr in &self.cond {
            for i in 0..nn {
                let g = self.x[cr.state * st + i] * cr.mean_factor;
                let v = self.x[cr.comp * st + i];
                self.u[cr.comp * st + i] += g * (cr.e_rev_mv - v);
            }
        }
        if self.soma_current.is_some() {
            self.soma_current();
        }
    }

    /// Second-order (exponential trapezoidal) treatment of the AdEx or quadratic current: a
    /// predictor step of the soma with `N(V_n, w_n)` gives `V*`; the step then uses
    /// `(N(V_n, w_n) + N(V*, w*)) / 2`, and `w` is advanced exactly for the mean potential
    /// `(V_n + V*) / 2` (see [`crate::soma_current`]).
    fn soma_current(&mut self) {
        let Some(sc) = self.soma_current else { return };
        let (nn, st) = (self.n, self.stride);
        let v_peak = self.v_detect_mv;
        for i in 0..nn {
            let (v, w) = (self.x[i], self.w[i]);
            let blocked = self.spike_blocked[i];
            let n0 = sc.current(v, w, blocked, v_peak);
            // Predictor: soma row of the propagator with the start-of-step current.
            let mut v_star = self.prop.offset[0];
            for &(j, coef) in &self.prop.rows[0] {
                v_star += coef * self.x[j * st + i];
            }
            for &(c, coef) in &self.prop.input_rows[0] {
                let extra = if c == 0 { n0 } else { 0.0 };
                v_star += coef * (self.u[c * st + i] + extra);
            }
            let w_star = sc.recovery_after(w, v, v_peak);
            let n1 = sc.current(v_star, w_star, blocked, v_peak);
            self.u[i] += 0.5 * (n0 + n1);
            let v_mean = 0.5 * (v.min(v_peak) + v_star.min(v_peak));
            self.w[i] = sc.recovery_after(w, v_mean, v_peak);
        }
    }

    fn apply_voltage_clamps(&mut self, n: u64) {
        let st = self.stride;
        self.clamp_i.fill(0.0);
        for s in self.stimuli.iter().filter(|s| s.active(n)) {
            let StimulusKind::VoltageClamp { compartment, hold_mv } = s.kind else {
                continue;
            };
            let col = &self.prop.psi_col[compartment];
            for &i in &s.neurons {
                let i = i as usize;
                let current = (hold_mv - self.x[compartment * st + i]) / col[compartment];
                for (k, &psi) in col.iter().enumerate() {
                    self.x[k * st + i] += psi * current;
                }
                self.x[compartment * st + i] = hold_mv;
                self.clamp_i[compartment * st + i] = current;
            }
        }
    }

    /// Escape noise: each soma spikes with probability `1 - exp(-φ(V) dt)` unless refractory,
    /// blocked or clamped; the potential is not reset.
    fn escape_spikes(&mut self, n: u64, dt_ms: f64, spikes: &mut Vec<u32>) {
        let Some(e) = self.escape else { return };
        for i in 0..self.n {
            // One draw per neuron per step, whatever happens, keeps the streams aligned.
            let u: f64 = self.escape_rng[i].random();
            if n < self.escape_free_at[i] || self.spike_blocked[i] || self.soma_clamped[i] {
                continue;
            }
            let v = self.x[i];
            let phi = e.phi_max_per_ms / (1.0 + e.k * (e.beta_per_mv * (e.theta_mv - v)).exp());
            if u < 1.0 - (-phi * dt_ms).exp() {
                spikes.push(i as u32);
                self.escape_free_at[i] = n + 1 + self.t_ref_steps;
            }
        }
    }

    /// The spikes that `Spikes` stimuli force in step `n`: the soma resets and turns
    /// refractory as after a threshold crossing; the step's spikes stay in ascending order.
    fn force_spikes(&mut self, n: u64, spikes: &mut Vec<u32>) {
        let before = spikes.len();
        for s in &mut self.stimuli {
            while s.forced_steps.get(s.next_forced).is_some_and(|&f| f < n) {
                s.next_forced += 1;
            }
            if s.forced_steps.get(s.next_forced) != Some(&n) {
                continue;
            }
            s.next_forced += 1;
            for &i in &s.neurons {
                let i = i as usize;
                if self.spike_blocked[i] {
                    continue;
                }
                self.x[i] = self.v_reset_mv;
                self.free_at[i] = n + 1 + self.t_ref_steps;
                if let Some(f) = self.escape_free_at.get_mut(i) {
                    *f = n + 1 + self.t_ref_steps;
                }
                spikes.push(i as u32);
            }
        }
        if spikes.len() > before {
            spikes.sort_unstable();
            spikes.dedup();
        }
    }

    /// Spike-triggered adaptation, the bAP history and the somatic postsynaptic events.
    fn after_spikes(&mut self, n: u64, spikes: &[u32]) {
        // The soma's synapses see the spike itself (compartment 0 is never bAP-blocked).
        for &i in spikes {
            self.post_events.push((i, 0, 1.0));
        }
        if let Some(sc) = self.soma_current {
            for &i in spikes.iter() {
                self.w[i as usize] += sc.spike_increment();
            }
        }
        if !self.recent.is_empty() {
            let words = self.recent_words;
            let slot = slot_of(n, self.recent.len() / words);
            let bits = &mut self.recent[slot * words..(slot + 1) * words];
            bits.fill(0);
            for &i in spikes {
                bits[i as usize / 64] |= 1 << (i % 64);
            }
        }
    }

    /// The bAPs arriving in this step (`n`): each compartment's kick, and its postsynaptic
    /// events, for the spikes of `delay` steps before, in ascending neuron order.
    fn back_propagate(&mut self, n: u64) {
        let (st, words) = (self.stride, self.recent_words);
        let slots = self.recent.len() / words;
        for b in &self.bap {
            let Some(m) = n.checked_sub(u64::from(b.delay_steps)) else {
                continue;
            };
            let slot = slot_of(m, slots);
            for (w, &word) in self.recent[slot * words..(slot + 1) * words].iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let i = 64 * w + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if !self.bap_blocked[b.comp * st + i] {
                        self.x[b.comp * st + i] += b.kick_mv;
                        self.post_events.push((i as u32, b.comp as u32, b.attenuation));
                    }
                }
            }
        }
    }

    fn start_plateaus(&mut self, n: u64) {
        let (nn, st) = (self.n, self.stride);
        for (p, pl) in self.plateaus.iter().enumerate() {
            for i in 0..nn {
                let k = p * st + i;
                if let Some((b, window)) = pl.strength
                    && self.onset_step[k] != u64::MAX
                {
                    if !self.bap_after_onset[k]
                        && self
                            .post_events
                            .iter()
                            .any(|e| e.0 as usize == i && e.1 as usize == pl.comp)
                    {
                        self.bap_after_onset[k] = true;
                    }
                    if n == self.onset_step[k] + window {
                        let u = self.branch_u[k];
                        self.branch_u[k] = if self.bap_after_onset[k] {
                            u + b.eta_up * (b.u_max - u)
                        } else {
                            u - b.eta_down * (u - b.u_min)
                        };
                        self.onset_step[k] = u64::MAX;
                    }
                }
                if self.plat_left[k] == 0
                    && self.plat_refr[k] == 0
                    && self.x[pl.comp * st + i] >= pl.threshold_mv
                {
                    self.plat_left[k] = pl.duration_steps;
                    self.branch_events.push((i as u32, pl.comp as u32));
                    if pl.strength.is_some() {
                        self.onset_step[k] = n;
                        self.bap_after_onset[k] = false;
                    }
                }
            }
        }
    }

    /// Current value of `signal` for local neuron `i`.
    pub fn sample(&self, i: usize, signal: ProbeSignal) -> f64 {
        let st = self.stride;
        let n_comp = self.prop.n_comp;
        match signal {
            ProbeSignal::Potential(c) => self.x[c * st + i],
            ProbeSignal::ReceptorCurrent(r) => {
                let s = self.x[(n_comp + r) * st + i];
                match self.template.receptors[r].kind {
                    ReceptorKind::Current => s,
                    ReceptorKind::Conductance { e_rev_mv } => {
                        s * (e_rev_mv - self.x[self.template.receptors[r].compartment * st + i])
                    }
                }
            }
            ProbeSignal::ReceptorConductance(r) => self.x[(n_comp + r) * st + i],
            ProbeSignal::ClampCurrent(c) => self.clamp_i.get(c * st + i).copied().unwrap_or(0.0),
            ProbeSignal::Adaptation => self.w.get(i).copied().unwrap_or(0.0),
            ProbeSignal::BranchStrength(c) => self.branch_strength(i, c),
        }
    }

    /// Whether a periodic check has found a non-finite state value.
    pub fn diverged(&self) -> bool {
        self.diverged
    }

    /// The first non-finite state value of the block (a full scan): local neuron, what it is
    /// (compartment potential, receptor current or conductance, adaptation) and the value.
    pub fn first_non_finite(&self) -> Option<(usize, String, f64)> {
        let st = self.stride;
        let n_comp = self.prop.n_comp;
        let t = &self.template;
        let name_of = |k: usize| {
            if k < n_comp {
                let c = if k == 0 {
                    "soma"
                } else {
                    t.compartments[k - 1].name.as_str()
                };
                format!("the potential (mV) of compartment `{c}`")
            } else {
                let r = &t.receptors[k - n_comp];
                let what = match r.kind {
                    ReceptorKind::Current => "current (pA)",
                    ReceptorKind::Conductance { .. } => "conductance (nS)",
                };
                format!("the {what} of receptor `{}`", r.name)
            }
        };
        for i in 0..self.n {
            for k in 0..self.prop.n_state {
                let v = self.x[k * st + i];
                if !v.is_finite() {
                    return Some((i, name_of(k), v));
                }
            }
            if let Some(&v) = self.w.get(i)
                && !v.is_finite()
            {
                return Some((i, "the adaptation current (pA)".into(), v));
            }
        }
        None
    }

    /// This step's dendritic spikes (plateau onsets) `(local neuron, compartment)`.
    pub fn branch_events(&self) -> &[(u32, u32)] {
        &self.branch_events
    }

    /// The plateau gain (branch strength) of compartment `comp` of local neuron `i` (1 without
    /// a plateau or strength plasticity).
    pub fn branch_strength(&self, i: usize, comp: usize) -> f64 {
        self.plateaus
            .iter()
            .position(|p| p.comp == comp)
            .map_or(1.0, |p| self.branch_u[p * self.stride + i])
    }

    /// This step's postsynaptic events `(local neuron, compartment, strength)`.
    pub fn post_events(&self) -> &[(u32, u32, f64)] {
        &self.post_events
    }

    /// Potential (mV) of compartment `comp` of local neuron `i`.
    #[inline]
    pub fn potential(&self, i: usize, comp: usize) -> f64 {
        self.x[comp * self.stride + i]
    }

    /// The potentials (mV) of compartment `comp` of every local neuron, indexed by neuron
    /// (padding after the last).
    pub fn potentials(&self, comp: usize) -> &[f64] {
        &self.x[comp * self.stride..(comp + 1) * self.stride]
    }

    /// The register slot of compartment `comp`, if it keeps co-activity.
    pub fn register_slot(&self, comp: usize) -> Option<usize> {
        self.register_comps.iter().position(|&c| c == comp)
    }

    /// The co-activity register of register slot `slot`: one branch per local neuron (the
    /// branch index is the neuron's local index), empty until the engine places the synapses.
    pub fn register(&mut self, slot: usize) -> &mut CoactivityRegister {
        &mut self.registers[slot]
    }

    /// Bytes held by the co-activity registers.
    pub fn register_bytes(&self) -> usize {
        self.registers.iter().map(CoactivityRegister::heap_bytes).sum()
    }

    /// Whether the template's rule `rule` is on for local neuron `i`.
    #[inline]
    pub fn rule_enabled(&self, rule: usize, i: usize) -> bool {
        !self.rule_disabled[rule * self.stride + i]
    }

    /// Whether the template's rule `rule` is off for any local neuron now (if not, no
    /// synapse needs to ask [`NeuronBlock::rule_enabled`]).
    #[inline]
    pub fn rule_off_anywhere(&self, rule: usize) -> bool {
        self.rule_off_any.get(rule).copied().unwrap_or(false)
    }

    /// Whether a plateau is in progress in compartment `comp` of local neuron `i`.
    pub fn in_plateau(&self, i: usize, comp: usize) -> bool {
        self.plateau_slot(comp).is_some_and(|p| self.in_plateau_at(p, i))
    }

    /// The plateau slot of compartment `comp`, if it has dendritic plateaus (for
    /// [`NeuronBlock::in_plateau_at`]: a caller asking about many neurons finds it once).
    pub fn plateau_slot(&self, comp: usize) -> Option<usize> {
        self.plateaus.iter().position(|p| p.comp == comp)
    }

    /// Whether a plateau is in progress in plateau slot `p` of local neuron `i`.
    #[inline]
    pub fn in_plateau_at(&self, p: usize, i: usize) -> bool {
        self.plat_left
            .get(p * self.stride + i)
            .is_some_and(|&left| left > 0)
    }

    /// Heap bytes held by the block (state, ring, masks).
    pub fn heap_bytes(&self) -> usize {
        8 * (self.x.len() + self.scratch.len() + self.u.len() + self.w.len())
            + 4 * self.ring.len()
            + 8 * (self.recent.len() + self.kir_g.len() + self.kir_ge.len() + self.clamp_i.len())
            + 4 * (self.plat_left.len() + self.plat_refr.len())
            + self.spike_blocked.len()
            + self.bap_blocked.len()
            + self.inhibit.len()
            + 8 * self.free_at.len()
    }
}
