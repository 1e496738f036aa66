//! Plasticity in the spiking engine: the bridge between the event-driven engine and the rules of
//! `dendra-rules`, which see nothing but [`LocalSignals`].
//!
//! Per worker and per projection onto a compartment with rules, a [`Plastic`] keeps:
//!
//! - for each rule, its per-synapse state, the presynaptic traces it declared (one set per
//!   source terminal) and the postsynaptic traces it declared (one set per target neuron: the
//!   bAPs arriving in that neuron's compartment), all decayed lazily in closed form, and the
//!   clock of an eligibility it declared (`Needs::eligibility`, epochs starting at its ticks);
//! - a reverse index from each local target to the sources of its synapses, for bAP events;
//! - a queue of presynaptic spikes by arrival step, so that a spike's plasticity happens when it
//!   arrives at the synapse (`t_spike + delay`), in time order with the bAPs there.
//!
//! At the end of each step (time `t`), a worker processes, for each such projection: the bAP
//! arrivals at `t` at the projection's synapses (the rules' `on_post`), the dendritic spikes
//! (`on_branch`), the presynaptic arrivals at `t` (`on_pre`), then bumps the traces of all of
//! them, then runs the periodic ticks that fall on `t`. **Events at the same time do not see
//! each other:** the traces a pre arrival or a bAP reads hold the spikes strictly before `t`, so
//! a presynaptic spike and a bAP that reach a synapse in the same step make no pair (a pair STDP
//! rule changes the weight by its `window(w, 0) = 0`, as NEST's STDP synapses do), and where
//! the order of updates matters (weight-dependent rules) the bAP's comes first, as in NEST.
//! Ticks see every event up to `t`.
//! Every synapse a worker updates targets one of its own neurons, in an order (projection,
//! source, synapse) that does not depend on the thread count.
//!
//! Where the delay lies ([`DelaySite`]): with an axonal delay `d` (the default), a spike of step
//! `n` reaches its synapses at the end of step `n + d` and bAPs at the end of their own step;
//! with a dendritic delay (NEST's convention), the spike reaches them at the end of step `n`
//! and bAPs `d` steps after they arrive in the compartment. A dendritic projection's plasticity
//! runs in the delivery phase, after the step's spikes of every worker are known; the continuous
//! drives and voltage filters read the compartment as it is in both.

use dendra_core::{Clock, Purpose, StreamKey};
use dendra_model::{CompartmentRule, DelaySite, NeuronTemplate};
use dendra_rules::Stamp;
use dendra_rules::rules::Neighbourhood;
use dendra_rules::{
    AnyRule, CompartmentSignals, DriveArchive, EligibilityClock, LocalSignals, Modulator, Needs, Rule,
    StructuralParams,
};
use rand::RngExt;

use crate::connect::Csr;
use crate::indices::Indices;
use crate::neurons::NeuronBlock;
use crate::periodic::Every;
use crate::slots::{slot_of, slots_for};
use crate::traces::{TraceSet, TraceView};

/// What an event brings to one synapse besides its compartment's state: the traces of its
/// source and target as the rule declared them, the bAP strength, the co-activity count.
#[derive(Clone, Copy)]
struct Inputs {
    pre: [f64; 2],
    post: [f64; 2],
    bap: f64,
    coactive: u32,
}

/// The signals of one synapse (on local target `i`) for rule `r`. Inlined into each rule's
/// loop, so that the compiler can drop what the rule does not read.
#[inline(always)]
fn signals<'a>(
    r: &'a PlasticRule,
    (potentials, plateau): (&[f64], Option<usize>),
    (t_ms, step, dt_ms): (f64, u64, f64),
    inputs: Inputs,
    i: usize,
    block: &NeuronBlock,
    modulator: Option<&'a Modulator>,
) -> LocalSignals<'a> {
    LocalSignals {
        t_ms,
        step,
        dt_ms,
        pre: inputs.pre,
        post: inputs.post,
        bap: inputs.bap,
        // Read without a bounds check that could panic, so that a rule that does not read them
        // costs nothing (`i` is always a local neuron).
        v_mv: potentials.get(i).copied().unwrap_or(f64::NAN),
        plateau: plateau.is_some_and(|p| block.in_plateau_at(p, i)),
        coactive: inputs.coactive,
        modulator,
        eligibility: r.eligibility.as_ref(),
        drive: r.drive.get(i),
        v_filtered: r.v_filtered.get(i).copied().unwrap_or([0.0; 2]),
    }
}

/// A run of synapses of one source's row: CSR positions `start..end` of row `source`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    source: u32,
    start: u32,
    end: u32,
}

impl Run {
    fn of(source: usize, range: std::ops::Range<usize>) -> Run {
        Run {
            source: source as u32,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One event at one rule on runs of synapses, each a run of one source's row: everything those
/// synapses see besides their own state (see [`Runner::run`]). A presynaptic spike brings one
/// run (its row); a bAP or branch event one run per source with synapses onto the target; a
/// tick every row.
struct RowEvent<'a> {
    event: Event,
    rule: &'a PlasticRule,
    /// The potentials of the synapses' compartment in every local neuron, and its plateau slot
    /// in the block, if it has plateaus.
    comp: (&'a [f64], Option<usize>),
    /// Time (ms), step and step width (ms) of the event.
    clock: (f64, u64, f64),
    /// The targets' traces.
    post: Post<'a>,
    /// The rule's postsynaptic traces at the event's time (for [`Post::Sample`]).
    post_now: TraceView<'a>,
    /// The bAP's strength (0 for other events).
    bap: f64,
    /// The runs of synapses (each source's traces are sampled once per run), their targets,
    /// which of them live.
    runs: &'a [Run],
    targets: &'a Indices,
    alive: &'a [bool],
    /// Co-activity count of each synapse of the runs, run after run (empty for events other
    /// than presynaptic spikes, or if the compartment keeps no register).
    coactive: &'a [u32],
    block: &'a NeuronBlock,
    /// The rule's neuromodulator, if it listens to one.
    modulator: Option<&'a Modulator>,
}

/// Where a [`RowEvent`] finds its targets' traces.
#[derive(Clone, Copy)]
enum Post<'a> {
    /// Sampled per synapse (presynaptic spikes: every synapse of a row has its own target).
    Sample,
    /// Sampled once for every local target (ticks).
    Table(&'a [[f64; 2]]),
    /// The same for all (bAP and branch events, whose synapses share their target).
    Same([f64; 2]),
}

/// One rule's per-synapse state and its event handlers, with the rule type erased.
trait Runner: Send {
    /// The rule's handler of `ev.event` on every live synapse of the runs whose target has the
    /// rule enabled (and on the others too for a tick, see [`Event::Tick`]), run by run in row
    /// order, on the rule's weights `w` (indexed by CSR position). One call per event, so that
    /// the loop over its synapses is compiled for the rule.
    fn run(&mut self, ev: &RowEvent, w: &mut [f32]);
    fn state_bytes(&self) -> usize;
    /// Re-initialise synapse `k` (a newly formed synapse of weight `w`).
    fn reset(&mut self, k: usize, w: f64);
    /// The rule's continuous drive for one compartment in one step.
    fn drive(&self, c: &CompartmentSignals) -> f64;
}

struct RuleRunner<R: Rule> {
    rule: R,
    state: Vec<R::State>,
}

/// [`Event`]s as the constant parameter of [`RuleRunner::run_event`].
const PRE: u8 = 0;
const POST: u8 = 1;
const TICK: u8 = 2;
const BRANCH: u8 = 3;

impl<R: Rule> RuleRunner<R> {
    /// [`Runner::run`] for one kind of event, so that the loop over the synapses is compiled
    /// for it, with no branch on the kind per synapse; and, where every synapse lives and the
    /// rule is on for every local neuron (`CHECKED` false, the usual case), without the
    /// per-synapse checks of either.
    #[inline(always)]
    fn run_event<const EVENT: u8, const CHECKED: bool>(&mut self, ev: &RowEvent, w: &mut [f32]) {
        // Where each run's co-activity counts start in `ev.coactive`.
        let mut counted = 0usize;
        // Where the targets' traces come from is fixed by the kind of event.
        let (table, same) = match ev.post {
            Post::Table(t) => (t, [0.0; 2]),
            Post::Same(p) => (&[][..], p),
            Post::Sample => (&[][..], [0.0; 2]),
        };
        // The sources' traces at the event's time: factors looked up once for all runs.
        let pre_now = ev.rule.pre.at(ev.clock.0);
        for run in ev.runs {
            let pre = pre_now.sample(run.source as usize);
            for k in run.range() {
                if CHECKED && !(ev.alive.is_empty() || ev.alive[k]) {
                    continue;
                }
                let i = ev.targets.get(k) as usize;
                let enabled = !CHECKED || ev.block.rule_enabled(ev.rule.template_rule, i);
                if !enabled && EVENT != TICK {
                    continue;
                }
                let inputs = Inputs {
                    pre,
                    post: match EVENT {
                        PRE => ev.post_now.sample(i),
                        TICK => table[i],
                        _ => same,
                    },
                    bap: ev.bap,
                    coactive: ev
                        .coactive
                        .get(counted + (k - run.start as usize))
                        .copied()
                        .unwrap_or(0),
                };
                let mut sig = signals(ev.rule, ev.comp, ev.clock, inputs, i, ev.block, ev.modulator);
                let mut wk = f64::from(w[k]);
                let state = &mut self.state[k];
                match EVENT {
                    PRE => self.rule.on_pre(&mut wk, state, &sig),
                    POST => self.rule.on_post(&mut wk, state, &sig),
                    BRANCH => self.rule.on_branch_spike(&mut wk, state, &sig),
                    _ if enabled => self.rule.on_tick(&mut wk, state, &sig),
                    _ => {
                        // An ablated rule's clocks move on without the modulator, its weight stays.
                        sig.modulator = None;
                        self.rule.on_tick(&mut wk, state, &sig);
                        continue;
                    }
                }
                w[k] = wk as f32;
            }
            counted += run.range().len();
        }
    }

    /// [`RuleRunner::run_event`], with the per-synapse checks only where they can fail.
    #[inline(always)]
    fn run_kind<const EVENT: u8>(&mut self, ev: &RowEvent, w: &mut [f32]) {
        if ev.alive.is_empty() && !ev.block.rule_off_anywhere(ev.rule.template_rule) {
            self.run_event::<EVENT, false>(ev, w);
        } else {
            self.run_event::<EVENT, true>(ev, w);
        }
    }
}

impl<R: Rule> Runner for RuleRunner<R> {
    fn run(&mut self, ev: &RowEvent, w: &mut [f32]) {
        match ev.event {
            Event::Pre => self.run_kind::<PRE>(ev, w),
            Event::Post => self.run_kind::<POST>(ev, w),
            Event::Tick => self.run_kind::<TICK>(ev, w),
            Event::Branch => self.run_kind::<BRANCH>(ev, w),
        }
    }
    fn state_bytes(&self) -> usize {
        std::mem::size_of::<R::State>() * self.state.len()
    }
    fn reset(&mut self, k: usize, w: f64) {
        self.state[k] = self.rule.init(w);
    }
    fn drive(&self, c: &CompartmentSignals) -> f64 {
        self.rule.compartment_drive(c)
    }
}

fn runner<R: Rule + 'static>(rule: R, weights: &[f32]) -> Box<dyn Runner> {
    let state = weights.iter().map(|&w| rule.init(f64::from(w))).collect();
    Box::new(RuleRunner { rule, state })
}

fn make_runner(rule: &AnyRule, weights: &[f32]) -> Box<dyn Runner> {
    match *rule {
        AnyRule::Static(r) => runner(r, weights),
        AnyRule::PairStdp(r) => runner(r, weights),
        AnyRule::TripletStdp(r) => runner(r, weights),
        AnyRule::BapHebbian(r) => runner(r, weights),
        AnyRule::LocalCoactivity(r) => runner(r, weights),
        AnyRule::RewardModulated(r) => runner(r, weights),
        AnyRule::VogelsSprekeler(r) => runner(r, weights),
        AnyRule::Oja(r) => runner(r, weights),
        AnyRule::Bcm(r) => runner(r, weights),
        AnyRule::DendriticPrediction(r) => runner(r, weights),
        AnyRule::Clopath(r) => runner(r, weights),
        AnyRule::BranchSpecific(r) => runner(r, weights),
    }
}

struct PlasticRule {
    needs: Needs,
    /// Index into the template's rules (for ablation).
    template_rule: usize,
    modulator: Option<usize>,
    tick_steps: u64,
    /// When the rule ticks (every `tick_steps`, if not 0).
    ticks: Every,
    /// Presynaptic traces per source.
    pre: TraceSet,
    /// Postsynaptic traces per local target.
    post: TraceSet,
    /// The clock of the rule's eligibility (`Needs::eligibility`), whose epochs start at its
    /// ticks, if it has one and ticks close enough together.
    eligibility: Option<EligibilityClock>,
    /// Continuous drive per local target (rules with `Needs::drive`), and how long it is kept.
    drive: Vec<DriveArchive>,
    drive_keep_ms: f64,
    /// Low-pass filtered compartment potential per local target (`Needs::voltage_filters`),
    /// and each filter's per-step relaxation factor `1 - exp(-dt/τ)`.
    v_filtered: Vec<[f64; 2]>,
    filter_gain: [f64; 2],
}

/// Which handler of a rule to call.
#[derive(Clone, Copy)]
enum Event {
    Pre,
    Post,
    /// The periodic tick. Where the rule is ablated, its clocks move on all the same
    /// (eligibility decays, lazy integrals start afresh) without a modulator, and the weight is
    /// left as it was, so that the rule does not learn from the ablated window when it resumes.
    Tick,
    Branch,
}

/// The plasticity of one projection in one worker.
pub(crate) struct Plastic {
    rules: Vec<PlasticRule>,
    /// The rules' per-synapse states and handlers, parallel to `rules`.
    runners: Vec<Box<dyn Runner>>,
    /// Weight components, one per rule, when more than one rule acts (else empty).
    components: Vec<Vec<f32>>,
    /// How bAP and branch events find the synapses of a target.
    reverse: Reverse,
    /// The co-activity counts of the row being processed (reused per spike).
    coactive_now: Vec<u32>,
    /// A tick's postsynaptic traces of every local target (reused per tick).
    post_now: Vec<[f64; 2]>,
    /// The runs of synapses of the event being processed (reused per event).
    runs_now: Vec<Run>,
    /// Presynaptic spikes by arrival step slot, each as its source's row (found at delivery,
    /// so that the arrival does not read the row pointers again).
    pending: Vec<Vec<Run>>,
    /// The sources whose spikes arrived in the step being processed; their traces are bumped
    /// after the step's bAPs.
    arrived_now: Vec<u32>,
    /// The projection's delay (steps) and where it lies.
    delay: (u64, DelaySite),
    /// Dendritic delay: bAP arrivals `(local target, strength)` by the step slot at which they
    /// reach the synapses, `d` steps after they reach the compartment (empty for an axonal
    /// delay).
    delayed_baps: Vec<Vec<(u32, f64)>>,
    /// The bAPs of the step being processed, `(local target, strength)` (reused per step).
    baps_now: Vec<(u32, f64)>,
    comp: usize,
    /// Co-activity: the register slot of the target compartment in the block, if any.
    register: Option<usize>,
    /// The co-activity query of the rule that reads it (radius 0 and an empty window if none).
    neighbourhood: Neighbourhood,
    /// Key of CSR position 0 in the register (keys are unique among the projections onto one
    /// compartment of a worker's neurons).
    key_base: u32,
    /// Structural plasticity: parameters, check period (steps), and which slots hold a synapse.
    structural: Option<(StructuralParams, u64)>,
    /// When structural plasticity checks (every period of `structural`).
    remodels: Every,
    alive: Vec<bool>,
    /// bAP strength arriving at each local target's compartment in the current step.
    bap_now: Vec<f64>,
    /// Step width (ms).
    dt_ms: f64,
    /// The step whose end is being processed (`t_ms = now_step · dt_ms`).
    now_step: u64,
    /// Population index of local target 0, and the run's seed (partition-independent keys).
    first: u32,
    seed: u64,
    proj_index: usize,
}

/// How a worker finds the synapses onto one of its targets (for bAP and branch events).
enum Reverse {
    /// No rule has events at the target.
    Unused,
    /// The worker has a single target: every synapse is its own, in CSR order.
    Single,
    /// `sources[ptr[i]..ptr[i + 1]]` are the sources with a synapse onto local target `i`
    /// (ascending, each once); a source's synapses onto `i` follow from its CSR row, which is
    /// sorted by target. Sources take 2 bytes each where they fit (see [`Indices`]), half of
    /// what the synapses' CSR positions would. `offsets[e]`, where every one fits a byte (else
    /// empty), is where source `sources[e]`'s synapses onto `i` start in its row, so that a bAP
    /// finds them without a search.
    Lists {
        ptr: Vec<u32>,
        sources: Indices,
        offsets: Vec<u8>,
    },
}

impl Reverse {
    /// The reverse index of `csr` (`n_source` rows) onto `n_local` targets.
    fn of(csr: &Csr, n_source: usize, n_local: usize) -> Reverse {
        if n_local == 1 {
            return Reverse::Single;
        }
        let mut ptr = vec![0u32; n_local + 1];
        each_pair(csr, n_source, |_, t, _| ptr[t as usize + 1] += 1);
        for i in 1..ptr.len() {
            ptr[i] += ptr[i - 1];
        }
        let mut cursor = ptr[..n_local].to_vec();
        let mut sources = Indices::zeros(ptr[n_local] as usize, n_source);
        let mut offsets = vec![0u8; ptr[n_local] as usize];
        let mut fits = true;
        each_pair(csr, n_source, |s, t, k| {
            let e = cursor[t as usize] as usize;
            sources.set(e, s as u32);
            let offset = k - csr.row_ptr[s] as usize;
            fits &= offset <= usize::from(u8::MAX);
            offsets[e] = offset as u8;
            cursor[t as usize] += 1;
        });
        if !fits {
            offsets = Vec::new();
        }
        Reverse::Lists {
            ptr,
            sources,
            offsets,
        }
    }

    /// The run of synapses of the `e`-th source onto local target `i` (`Lists` and `Single`).
    #[inline]
    fn run_onto(&self, e: usize, i: u32, csr: &Csr) -> Run {
        let (s, offset) = match self {
            Reverse::Lists { sources, offsets, .. } => (sources.get(e) as usize, offsets.get(e)),
            _ => (e, None),
        };
        let (row_start, row_end) = (csr.row_ptr[s] as usize, csr.row_ptr[s + 1] as usize);
        let start = match offset {
            Some(&o) => row_start + usize::from(o),
            None => csr.target.lower_bound(row_start..row_end, i),
        };
        // Most sources have one synapse onto a target: the run's end is found by a walk.
        let mut end = start;
        while end < row_end && csr.target.get(end) == i {
            end += 1;
        }
        Run::of(s, start..end)
    }

    /// Bytes held.
    fn heap_bytes(&self) -> usize {
        match self {
            Reverse::Lists {
                ptr,
                sources,
                offsets,
            } => 4 * ptr.len() + sources.heap_bytes() + offsets.len(),
            Reverse::Unused | Reverse::Single => 0,
        }
    }
}

/// Call `each(source, target, k)` once per (source, target) pair with a synapse in `csr`, `k`
/// the CSR position of the first, in source order (a row's targets are ascending, so repeated
/// pairs are adjacent).
fn each_pair(csr: &Csr, n_source: usize, mut each: impl FnMut(usize, u32, usize)) {
    for s in 0..n_source {
        let mut last = None;
        for k in csr.row_ptr[s] as usize..csr.row_ptr[s + 1] as usize {
            let t = csr.target.get(k);
            if last != Some(t) {
                each(s, t, k);
                last = Some(t);
            }
        }
    }
}

impl Plastic {
    /// Plasticity for projection `proj_index` onto receptor `receptor` of `template`, whose
    /// synapses in this worker are `csr`; `None` if no rule acts on them and the compartment
    /// keeps no co-activity register.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        template: &NeuronTemplate,
        receptor: usize,
        proj_index: usize,
        csr: &Csr,
        n_source: usize,
        n_local: usize,
        (delay_steps, site): (u64, DelaySite),
        clock: &Clock,
        register: Option<(usize, u32)>,
        first: u32,
        seed: u64,
    ) -> Option<Plastic> {
        let comp = template.receptors[receptor].compartment;
        let acting: Vec<(usize, &CompartmentRule)> = template
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.applies_to(receptor, comp) && r.rule.is_plastic())
            .collect();
        if acting.is_empty() && register.is_none() {
            return None;
        }
        // One weight component per rule: the first holds the initial weight, the others start at 0.
        let initial: Vec<Vec<f32>> = (0..acting.len())
            .map(|j| {
                if j == 0 {
                    csr.weight.clone()
                } else {
                    vec![0.0; csr.len()]
                }
            })
            .collect();
        let rules = acting
            .iter()
            .zip(&initial)
            .map(|(&(index, cr), init)| {
                let needs = cr.rule.needs();
                let runner = make_runner(&cr.rule, init);
                let tick_steps = needs
                    .tick_ms
                    .map_or(0, |ms| ((ms / clock.dt_ms()).round() as u64).max(1));
                (
                    runner,
                    PlasticRule {
                        needs,
                        template_rule: index,
                        modulator: cr.modulator,
                        tick_steps,
                        ticks: Every::new(tick_steps),
                        eligibility: needs
                            .eligibility
                            .filter(|&tau| EligibilityClock::fits(tau, clock.dt_ms(), tick_steps))
                            .map(|tau| EligibilityClock::new(tau, clock.dt_ms(), tick_steps)),
                        pre: TraceSet::new(needs.pre, n_source, clock.dt_ms()),
                        post: TraceSet::new(needs.post, n_local, clock.dt_ms()),
                        drive: if needs.drive {
                            (0..n_local).map(|_| DriveArchive::with_capacity(1024)).collect()
                        } else {
                            Vec::new()
                        },
                        drive_keep_ms: 2.0 * needs.tick_ms.unwrap_or(100.0) + clock.dt_ms(),
                        v_filtered: if needs.voltage_filters.iter().any(Option::is_some) {
                            vec![[template.e_leak_mv(comp); 2]; n_local]
                        } else {
                            Vec::new()
                        },
                        filter_gain: needs
                            .voltage_filters
                            .map(|tau| tau.map_or(0.0, |tau| 1.0 - (-clock.dt_ms() / tau).exp())),
                    },
                )
            })
            .collect::<Vec<_>>();
        let (runners, rules): (Vec<Box<dyn Runner>>, Vec<PlasticRule>) = rules.into_iter().unzip();
        // A single rule works on the CSR weights directly.
        let components = if rules.len() > 1 { initial } else { Vec::new() };
        // Reverse index (only for rules with events at the target).
        let reverse = if rules.iter().any(|r| r.needs.post_events || r.needs.branch_events) {
            Reverse::of(csr, n_source, n_local)
        } else {
            Reverse::Unused
        };
        let neighbourhood = rules.iter().find_map(|r| r.needs.coactivity).map_or(
            Neighbourhood {
                reach: 0,
                window_steps: 0,
            },
            |spec| spec.neighbourhood(clock.dt_ms(), &csr.position_scale),
        );
        let slots = slots_for(delay_steps as usize + 1);
        let structural = acting.iter().find_map(|(_, cr)| cr.structural).map(|sp| {
            let steps = ((sp.check_ms / clock.dt_ms()).round() as u64).max(1);
            (sp, steps)
        });
        let alive = if structural.is_some() {
            vec![true; csr.len()]
        } else {
            Vec::new()
        };
        Some(Plastic {
            coactive_now: Vec::with_capacity(csr.max_row_len()),
            post_now: if rules.iter().any(|r| r.tick_steps > 0) {
                Vec::with_capacity(n_local)
            } else {
                Vec::new()
            },
            runs_now: Vec::with_capacity(n_source),
            runners,
            bap_now: vec![0.0; n_local],
            dt_ms: clock.dt_ms(),
            now_step: 0,
            remodels: Every::new(structural.map_or(1, |(_, every)| every)),
            structural,
            alive,
            first,
            seed,
            proj_index,
            rules,
            components,
            reverse,
            pending: (0..slots).map(|_| Vec::with_capacity(64)).collect(),
            arrived_now: Vec::with_capacity(64),
            delay: (delay_steps, site),
            delayed_baps: match site {
                DelaySite::Dendritic => (0..slots).map(|_| Vec::new()).collect(),
                DelaySite::Axonal => Vec::new(),
            },
            baps_now: Vec::new(),
            comp,
            register: register.map(|(slot, _)| slot),
            neighbourhood,
            key_base: register.map_or(0, |(_, base)| base),
        })
    }

    /// Bytes held per synapse by plasticity (reverse index, rule states, extra components).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.reverse.heap_bytes()
            + self.runners.iter().map(|r| r.state_bytes()).sum::<usize>()
            + 4 * self.components.iter().map(Vec::len).sum::<usize>()
            + self.alive.len()
    }

    /// Bytes held per source and per target neuron by plasticity (traces, voltage filters,
    /// drive archives): state that grows with neurons, not synapses.
    pub(crate) fn neuron_bytes(&self) -> usize {
        self.rules
            .iter()
            .map(|r| {
                r.pre.heap_bytes()
                    + r.post.heap_bytes()
                    + std::mem::size_of::<[f64; 2]>() * r.v_filtered.len()
                    + r.eligibility.as_ref().map_or(0, EligibilityClock::heap_bytes)
                    + r.drive.iter().map(DriveArchive::heap_bytes).sum::<usize>()
            })
            .sum::<usize>()
            + std::mem::size_of::<f64>() * self.bap_now.len()
            + std::mem::size_of::<[f64; 2]>() * self.post_now.capacity()
    }

    /// This projection's co-activity query, if it counts anything (a non-empty window).
    pub(crate) fn counting_query(&self) -> Option<Neighbourhood> {
        (self.neighbourhood.window_steps > 0).then_some(self.neighbourhood)
    }

    /// The structural plasticity of these synapses, if any.
    pub(crate) fn structural(&self) -> Option<&StructuralParams> {
        self.structural.as_ref().map(|(sp, _)| sp)
    }

    /// Whether slot `k` holds a synapse (always, without structural plasticity).
    #[inline]
    pub(crate) fn is_alive(&self, k: usize) -> bool {
        self.alive.is_empty() || self.alive[k]
    }

    /// Spine size of slot `k` for weight `w`, if structural plasticity is on.
    pub(crate) fn spine_size(&self, w: f64) -> Option<f64> {
        self.structural.map(|(sp, _)| sp.spine.size(w))
    }

    /// Queue source `s`'s spike of step `n`, whose synapses are CSR positions `row`, for its
    /// arrival at the synapses (at the end of step `n + d` for an axonal delay `d`, of step `n`
    /// for a dendritic one).
    pub(crate) fn queue(&mut self, n: u64, s: u32, row: std::ops::Range<usize>) {
        let lag = if self.runs_in_delivery() { 0 } else { self.delay.0 };
        let slot = slot_of(n + lag, self.pending.len());
        self.pending[slot].push(Run::of(s as usize, row));
    }

    /// Whether the projection's plasticity runs in the delivery phase, after the step's spikes
    /// have been queued (a dendritic delay: spikes reach the synapses in the step they are
    /// emitted), instead of right after the neurons' update.
    pub(crate) fn runs_in_delivery(&self) -> bool {
        self.delay.1 == DelaySite::Dendritic
    }

    /// This step's bAPs at the synapses of the projection's compartment: those arriving in the
    /// compartment now, or, with a dendritic delay, those that arrived there `d` steps ago.
    fn collect_baps(&mut self, m: u64, block: &NeuronBlock) {
        let comp = self.comp;
        let arriving = block
            .post_events()
            .iter()
            .filter(|e| e.1 as usize == comp)
            .map(|&(i, _, strength)| (i, strength));
        self.baps_now.clear();
        if !self.runs_in_delivery() {
            self.baps_now.extend(arriving);
        } else {
            let n_slots = self.delayed_baps.len();
            self.delayed_baps[slot_of(m + self.delay.0, n_slots)].extend(arriving);
            let due = &mut self.delayed_baps[slot_of(m, n_slots)];
            self.baps_now.append(due);
        }
    }

    /// Process the arrivals, bAPs and ticks at the end of step `m` (time `t_ms`).
    pub(crate) fn process(
        &mut self,
        m: u64,
        t_ms: f64,
        csr: &mut Csr,
        block: &mut NeuronBlock,
        modulators: &[Modulator],
    ) {
        // Events at the end of step m happen at t_ms = (m + 1) · dt.
        self.now_step = m + 1;
        for r in &mut self.rules {
            r.pre.start_step(m + 1);
            r.post.start_step(m + 1);
            if let Some(clock) = &mut r.eligibility {
                clock.advance(m + 1, r.modulator.map(|k| &modulators[k]));
            }
        }
        if self
            .rules
            .iter()
            .any(|r| !r.drive.is_empty() || !r.v_filtered.is_empty())
        {
            self.record_compartments(t_ms, block);
        }
        // The postsynaptic events first (as NEST's STDP synapses apply the potentiation of a
        // post spike before the depression of a pre spike at the same time), then the
        // arrivals; no trace is bumped until all of them have been seen.
        if !self.rules.is_empty() {
            self.collect_baps(m, block);
            let baps = std::mem::take(&mut self.baps_now);
            for &(i, strength) in &baps {
                self.on_post(i as usize, strength, t_ms, csr, block, modulators);
            }
            self.baps_now = baps;
            if self.rules.iter().any(|r| r.needs.branch_events) {
                for e in 0..block.branch_events().len() {
                    let (i, comp) = block.branch_events()[e];
                    if comp as usize == self.comp {
                        self.on_branch(i as usize, t_ms, csr, block, modulators);
                    }
                }
            }
        }
        let slot = slot_of(m, self.pending.len());
        let mut pending = std::mem::take(&mut self.pending[slot]);
        // In batches of strictly ascending sources (so all different): usually the whole step,
        // as each worker publishes its spikes in ascending order.
        let mut from = 0;
        while from < pending.len() {
            let mut to = from + 1;
            while to < pending.len() && pending[to].source > pending[to - 1].source {
                to += 1;
            }
            self.on_pre(&pending[from..to], t_ms, csr, block, modulators);
            from = to;
        }
        pending.clear();
        self.pending[slot] = pending;
        // Only now do the step's spikes count in the traces: the bAPs and the arrivals of the
        // same time made no pair.
        for r in &mut self.rules {
            for &(i, strength) in &self.baps_now {
                r.post.bump(i as usize, t_ms, strength);
            }
            for &s in &self.arrived_now {
                r.pre.bump(s as usize, t_ms, 1.0);
            }
        }
        self.arrived_now.clear();
        self.baps_now.clear();
        for j in 0..self.rules.len() {
            let rule = &mut self.rules[j];
            if rule.tick_steps > 0 && rule.ticks.at(m + 1) {
                self.on_tick(j, t_ms, csr, block, modulators);
            }
        }
        if let Some((sp, _)) = self.structural
            && self.remodels.at(m + 1)
        {
            self.remodel(m, &sp, csr, block);
        }
    }

    /// Synapse `k` now has weight `w` (set from outside): the first weight component holds it,
    /// the others and the rule states start afresh.
    pub(crate) fn set_weight(&mut self, k: usize, w: f64) {
        for (j, c) in self.components.iter_mut().enumerate() {
            c[k] = if j == 0 { w as f32 } else { 0.0 };
        }
        for r in &mut self.runners {
            r.reset(k, w);
        }
    }

    /// Prune spines below the size threshold; let empty slots form new synapses at random
    /// positions. Randomness is keyed by (step, source, global target), so it does not depend on
    /// the partition.
    fn remodel(&mut self, m: u64, sp: &StructuralParams, csr: &mut Csr, block: &mut NeuronBlock) {
        let p_form = 1.0 - (-sp.formation_rate_hz * sp.check_ms / 1000.0).exp();
        for s in 0..csr.row_ptr.len() - 1 {
            for k in csr.row_ptr[s] as usize..csr.row_ptr[s + 1] as usize {
                if self.alive[k] {
                    if sp.spine.pruned(sp.spine.size(f64::from(csr.weight[k]))) {
                        self.alive[k] = false;
                        // A pruned spine is no one's co-active neighbour any more.
                        if let Some(slot) = self.register {
                            block
                                .register(slot)
                                .silence(self.key_base + k as u32, Stamp::of_step(m));
                        }
                        for c in &mut self.components {
                            c[k] = 0.0;
                        }
                        csr.weight[k] = 0.0;
                    }
                } else if p_form > 0.0 {
                    let target = u64::from(self.first + csr.target.get(k));
                    let key = m
                        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                        .wrapping_add((s as u64) << 32 | target)
                        .rotate_left(17);
                    let mut rng =
                        StreamKey::new(self.seed, Purpose::Plasticity, self.proj_index as u32, key).rng();
                    if rng.random::<f64>() < p_form {
                        self.alive[k] = true;
                        for (j, c) in self.components.iter_mut().enumerate() {
                            c[k] = if j == 0 { sp.new_weight as f32 } else { 0.0 };
                        }
                        csr.weight[k] = sp.new_weight as f32;
                        if let Some(pos) = csr.position.get_mut(k) {
                            let scale = csr.position_scale;
                            *pos = scale.encode(scale.length_um() * rng.random::<f64>());
                            if let Some(slot) = self.register {
                                let (i, key) = (csr.target.get(k) as usize, self.key_base + k as u32);
                                block.register(slot).relocate(i, key, *pos, Stamp::of_step(m));
                            }
                        }
                        for r in &mut self.runners {
                            r.reset(k, sp.new_weight);
                        }
                    }
                }
            }
        }
    }

    /// Advance the voltage filters and append this step's continuous drive of every local target
    /// (before the step's synaptic events, which integrate up to and including it).
    fn record_compartments(&mut self, t_ms: f64, block: &NeuronBlock) {
        for &(i, comp, strength) in block.post_events() {
            if comp as usize == self.comp {
                self.bap_now[i as usize] = strength;
            }
        }
        for (r, runner) in self.rules.iter_mut().zip(&self.runners) {
            for (i, f) in r.v_filtered.iter_mut().enumerate() {
                let v = block.potential(i, self.comp);
                for (fj, gain) in f.iter_mut().zip(r.filter_gain) {
                    *fj += (v - *fj) * gain;
                }
            }
            for (i, archive) in r.drive.iter_mut().enumerate() {
                let c = CompartmentSignals {
                    t_ms,
                    dt_ms: self.dt_ms,
                    v_mv: block.potential(i, self.comp),
                    bap: self.bap_now[i],
                    v_filtered: r.v_filtered.get(i).copied().unwrap_or([0.0; 2]),
                };
                // An ablated rule accumulates no drive, so when it resumes it does not learn
                // from the window it was off (its traces keep evolving meanwhile).
                let drive = if block.rule_enabled(r.template_rule, i) {
                    runner.drive(&c) * self.dt_ms
                } else {
                    0.0
                };
                archive.push(t_ms, drive);
                archive.forget_until(t_ms - r.drive_keep_ms);
            }
        }
        self.bap_now.fill(0.0);
    }

    /// Run `event` of rule `j` on the synapses `runs` (their targets' traces `post`, a bAP of
    /// strength `bap`, the co-activity counts `coactive` of the runs' synapses), then bring their
    /// summed weights up to date where several rules act.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        j: usize,
        event: Event,
        runs: &[Run],
        (post, bap, coactive): (Post, f64, &[u32]),
        t_ms: f64,
        csr: &mut Csr,
        block: &NeuronBlock,
        modulators: &[Modulator],
    ) {
        let ev = RowEvent {
            event,
            rule: &self.rules[j],
            comp: (block.potentials(self.comp), block.plateau_slot(self.comp)),
            clock: (t_ms, self.now_step, self.dt_ms),
            post,
            post_now: self.rules[j].post.at(t_ms),
            bap,
            runs,
            targets: &csr.target,
            alive: &self.alive,
            coactive,
            block,
            modulator: self.rules[j].modulator.map(|m| &modulators[m]),
        };
        if self.components.is_empty() {
            self.runners[j].run(&ev, &mut csr.weight);
        } else {
            self.runners[j].run(&ev, &mut self.components[j]);
            for k in runs.iter().flat_map(|r| r.range()) {
                csr.weight[k] = self.components.iter().map(|c| c[k]).sum();
            }
        }
    }

    /// Presynaptic arrivals `runs` (one per spike, each its source's row), whose sources are
    /// all different, in one call per rule: the same as one spike after the other, as no
    /// synapse's update reads another source's trace or another synapse's state. Their
    /// presynaptic traces are bumped at the end of the step's events (see [`Plastic::process`]).
    fn on_pre(
        &mut self,
        runs: &[Run],
        t_ms: f64,
        csr: &mut Csr,
        block: &mut NeuronBlock,
        modulators: &[Modulator],
    ) {
        // Co-activity first: the register sees the rows' synapses in order, as its counts are
        // the same whether or not the rules run in between (they do not touch it).
        let mut coactive = std::mem::take(&mut self.coactive_now);
        coactive.clear();
        if let Some(slot) = self.register {
            let now = Stamp::of_step(self.now_step);
            let register = block.register(slot);
            for run in runs {
                coactive.extend(run.range().map(|k| {
                    if !self.is_alive(k) {
                        return 0;
                    }
                    register.count_and_record(
                        now,
                        csr.target.get(k) as usize,
                        self.key_base + k as u32,
                        &self.neighbourhood,
                    )
                }));
            }
        }
        for j in 0..self.rules.len() {
            let args = (Post::Sample, 0.0, &coactive[..]);
            self.run(j, Event::Pre, runs, args, t_ms, csr, block, modulators);
        }
        self.coactive_now = coactive;
        self.arrived_now.extend(runs.iter().map(|run| run.source));
    }

    /// Call `event` of rule `j` on every live synapse onto local target `i`, with a bAP of
    /// strength `bap` (0 for other events).
    #[allow(clippy::too_many_arguments)]
    fn each_synapse_of(
        &mut self,
        j: usize,
        i: usize,
        event: Event,
        bap: f64,
        t_ms: f64,
        csr: &mut Csr,
        block: &NeuronBlock,
        modulators: &[Modulator],
    ) {
        if !block.rule_enabled(self.rules[j].template_rule, i) {
            return;
        }
        let sources = match &self.reverse {
            Reverse::Lists { ptr, .. } => ptr[i] as usize..ptr[i + 1] as usize,
            Reverse::Single => 0..csr.row_ptr.len() - 1,
            Reverse::Unused => 0..0,
        };
        // The target's traces are the same for all its synapses.
        let post = Post::Same(self.rules[j].post.sample(i, t_ms));
        // In (source, synapse) order: the run of each source's row onto `i`.
        let mut runs = std::mem::take(&mut self.runs_now);
        runs.clear();
        runs.extend(sources.map(|e| self.reverse.run_onto(e, i as u32, csr)));
        self.run(j, event, &runs, (post, bap, &[]), t_ms, csr, block, modulators);
        self.runs_now = runs;
    }

    fn on_post(
        &mut self,
        i: usize,
        strength: f64,
        t_ms: f64,
        csr: &mut Csr,
        block: &NeuronBlock,
        modulators: &[Modulator],
    ) {
        for j in 0..self.rules.len() {
            if self.rules[j].needs.post_events {
                self.each_synapse_of(j, i, Event::Post, strength, t_ms, csr, block, modulators);
            }
        }
    }

    fn on_branch(
        &mut self,
        i: usize,
        t_ms: f64,
        csr: &mut Csr,
        block: &NeuronBlock,
        modulators: &[Modulator],
    ) {
        for j in 0..self.rules.len() {
            if self.rules[j].needs.branch_events {
                self.each_synapse_of(j, i, Event::Branch, 0.0, t_ms, csr, block, modulators);
            }
        }
    }

    /// The periodic tick of rule `j` on every live synapse (ablated ones included, see
    /// [`Event::Tick`]), source by source (each synapse's
    /// update involves only itself, so the order does not matter; walking the rows gives each
    /// synapse's source without a search).
    fn on_tick(&mut self, j: usize, t_ms: f64, csr: &mut Csr, block: &NeuronBlock, modulators: &[Modulator]) {
        // Every target's traces, sampled once.
        let mut post_now = std::mem::take(&mut self.post_now);
        post_now.clear();
        post_now.extend((0..self.bap_now.len()).map(|i| self.rules[j].post.sample(i, t_ms)));
        let mut runs = std::mem::take(&mut self.runs_now);
        runs.clear();
        runs.extend(
            csr.row_ptr
                .windows(2)
                .enumerate()
                .map(|(s, w)| Run::of(s, w[0] as usize..w[1] as usize)),
        );
        let args = (Post::Table(&post_now), 0.0, &[][..]);
        self.run(j, Event::Tick, &runs, args, t_ms, csr, block, modulators);
        // Every synapse has rescaled its eligibility to the epoch that starts now.
        if let Some(clock) = &mut self.rules[j].eligibility {
            clock.start_epoch();
        }
        self.runs_now = runs;
        self.post_now = post_now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dendra_rules::PositionScale;

    /// A CSR from rows of ascending targets.
    fn csr(rows: &[Vec<u32>], n_target: usize) -> Csr {
        let mut row_ptr = vec![0u32];
        for r in rows {
            row_ptr.push(row_ptr.last().unwrap() + r.len() as u32);
        }
        let all: Vec<u32> = rows.concat();
        let mut target = Indices::zeros(all.len(), n_target);
        for (k, &t) in all.iter().enumerate() {
            target.set(k, t);
        }
        Csr {
            row_ptr,
            target,
            weight: vec![0.0; all.len()],
            shared_weight: None,
            position: Vec::new(),
            position_scale: PositionScale::new(0.0),
            delay_extra: Vec::new(),
        }
    }

    /// Every run a bAP walk finds, by brute force: each source's synapses onto `i`.
    fn brute(c: &Csr, i: u32) -> Vec<Run> {
        (0..c.row_ptr.len() - 1)
            .filter_map(|s| {
                let row = c.row_ptr[s] as usize..c.row_ptr[s + 1] as usize;
                let ks: Vec<usize> = row.filter(|&k| c.target.get(k) == i).collect();
                (!ks.is_empty()).then(|| Run::of(s, ks[0]..ks[ks.len() - 1] + 1))
            })
            .collect()
    }

    fn walk(reverse: &Reverse, c: &Csr, i: usize) -> Vec<Run> {
        let Reverse::Lists { ptr, .. } = reverse else {
            panic!("a list per target")
        };
        (ptr[i] as usize..ptr[i + 1] as usize)
            .map(|e| reverse.run_onto(e, i as u32, c))
            .collect()
    }

    #[test]
    fn the_reverse_index_finds_each_sources_run_with_and_without_offsets() {
        let n_target = 400;
        // Short rows with repeated targets (offsets fit a byte), then a row longer than 256.
        let short: Vec<Vec<u32>> = (0..50u32)
            .map(|s| {
                let mut r: Vec<u32> = (0..12).map(|j| (s * 37 + j * j * 11) % n_target as u32).collect();
                r.push(r[3]);
                r.sort_unstable();
                r
            })
            .collect();
        let mut long = short.clone();
        long.push((0..n_target as u32).chain([399, 399]).collect());
        for (rows, fits) in [(short, true), (long, false)] {
            let c = csr(&rows, n_target);
            let reverse = Reverse::of(&c, rows.len(), n_target);
            let Reverse::Lists { offsets, .. } = &reverse else {
                panic!("a list per target")
            };
            assert_eq!(!offsets.is_empty(), fits);
            for i in 0..n_target {
                assert_eq!(walk(&reverse, &c, i), brute(&c, i as u32), "target {i}");
            }
        }
    }
}
