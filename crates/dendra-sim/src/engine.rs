//! The spiking engine: builds per-thread workers from a network description and advances them
//! in lock step.
//!
//! Neurons (and sources) of every population are split into `threads` contiguous ranges; worker
//! `w` owns range `w` of every population, the state of those neurons, their input rings, and the
//! synapses onto them (see [`crate::connect`]). One step is two phases separated by a barrier:
//!
//! 1. **update**: each worker advances its neurons and sources and publishes the spikes it
//!    produced (population-relative indices, ascending) in its buffer for this step's parity;
//! 2. **deliver**: each worker reads every worker's spike buffers and adds the weights of the
//!    synapses onto its own targets into their input rings, at `step + delay`.
//!
//! Buffers alternate between two parities, so a worker may start updating step `n+1` while others
//! still deliver step `n`. Input to any one neuron is summed in the same order for every thread
//! count (projection, then source index, then synapse), so results are bit-identical whether a
//! run uses one thread or many. There is no allocation in the step loop except amortised growth
//! of recording buffers.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use dendra_core::Clock;
use dendra_model::{NetworkDesc, ProjectionDesc};
use dendra_rules::Modulator;

use crate::barrier::SpinBarrier;
use crate::connect::{Csr, ProjectionPlan};
use crate::error::{SimError, SimResult};
use crate::exchange::{Alone, Exchange, Shared};
use crate::neurons::NeuronBlock;
use crate::periodic::Every;
use crate::plasticity::Plastic;
use crate::record::{LocalProbe, LocalWeightProbe, SpikeTable, Trace, WeightTrace};
use crate::sources::SourceBlock;

mod build;
use build::{Delays, WorkerBuilder};

/// How to run a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunConfig {
    /// The seed of every random stream of the run.
    pub seed: u64,
    /// Worker threads (>= 1). Results do not depend on it.
    pub threads: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { seed: 1, threads: 1 }
    }
}

/// Counters of a run so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunStats {
    /// Steps simulated.
    pub steps: u64,
    /// Synapses in the network.
    pub synapses: u64,
    /// Bytes held by the synapse arrays (targets, weights, row pointers, and positions where
    /// the run reads them: co-activity, structural plasticity) and by the
    /// per-synapse plasticity state (rule states, weight components, reverse index, co-activity
    /// register entries).
    pub synapse_bytes: u64,
    /// Bytes of plasticity state kept per neuron rather than per synapse: presynaptic traces
    /// (per source), postsynaptic traces, voltage filters and drive archives (per target), and
    /// the tables of eligibility clocks (per rule and projection).
    pub plasticity_neuron_bytes: u64,
    /// Synaptic events delivered (one per synapse per presynaptic spike).
    pub events: u64,
    /// Wall-clock seconds spent in the step loop.
    pub loop_seconds: f64,
    /// Wall-clock seconds spent building the network.
    pub build_seconds: f64,
}

impl RunStats {
    /// Per-neuron plasticity bytes ([`RunStats::plasticity_neuron_bytes`]) per synapse (0
    /// without synapses).
    pub fn neuron_bytes_per_synapse(&self) -> f64 {
        if self.synapses == 0 {
            0.0
        } else {
            self.plasticity_neuron_bytes as f64 / self.synapses as f64
        }
    }

    /// Bytes per synapse (0 without synapses).
    pub fn bytes_per_synapse(&self) -> f64 {
        if self.synapses == 0 {
            0.0
        } else {
            self.synapse_bytes as f64 / self.synapses as f64
        }
    }
}

enum Block {
    Neurons(Box<NeuronBlock>),
    Source(SourceBlock),
}

struct LocalProjection {
    source: usize,
    target: usize,
    receptor: usize,
    delay_steps: u64,
    csr: Csr,
    plastic: Option<Plastic>,
}

struct Worker {
    blocks: Vec<Block>,
    projections: Vec<LocalProjection>,
    probes: Vec<LocalProbe>,
    weight_probes: Vec<LocalWeightProbe>,
    /// This worker's copy of every neuromodulator (all copies see the same releases).
    modulators: Vec<Modulator>,
    /// Scheduled releases `(step, modulator, amount, t_ms)`, in time order, and the next one.
    releases: Vec<(u64, usize, f64, f64)>,
    next_release: usize,
    recorded: Vec<bool>,
    spikes: Vec<(u64, u32, u32)>,
    events: u64,
}

impl Worker {
    /// Population index of this worker's first neuron (or source) of population `pop`.
    fn first_of(&self, pop: usize) -> u32 {
        match &self.blocks[pop] {
            Block::Neurons(b) => b.first,
            Block::Source(s) => s.first,
        }
    }

    /// Number of this worker's neurons (or sources) of population `pop`.
    fn len_of(&self, pop: usize) -> usize {
        match &self.blocks[pop] {
            Block::Neurons(b) => b.n,
            Block::Source(s) => s.n,
        }
    }
}

/// One synapse of a projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynapseRow {
    /// Source index in the source population.
    pub source: u32,
    /// Target index in the target population.
    pub target: u32,
    /// Weight (pA or nS).
    pub weight: f32,
    /// Position along the target compartment (µm); `None` on compartments without length.
    pub position_um: Option<f32>,
    /// Whether the slot holds a synapse (false once pruned, until a new one forms).
    pub alive: bool,
    /// Spine size (arbitrary units, 1 = typical) under structural plasticity, else `None`.
    pub spine_size: Option<f32>,
    /// Transmission delay (ms).
    pub delay_ms: f64,
}

/// A network being simulated.
pub struct Simulation {
    clock: Clock,
    threads: usize,
    workers: Vec<Worker>,
    /// `buffers[w][parity][pop]`: spikes published by worker `w`.
    buffers: Shared,
    /// Per projection, how to draw its positions again if its CSR does not store them.
    position_recipes: Vec<Option<PositionRecipe>>,
    /// Population names, for errors.
    population_names: Vec<String>,
    step: u64,
    stats: RunStats,
    /// The most spikes the run may record, if limited ([`Simulation::set_spike_limit`]).
    spike_limit: Option<u64>,
}

/// What it takes to draw a projection's synapse positions again.
struct PositionRecipe {
    desc: ProjectionDesc,
    n_source: u32,
    n_target: u32,
    length_um: f64,
    seed: u64,
}

/// Split `size` into `parts` contiguous ranges; returns range `k` as `(first, len)`.
fn part(size: u32, parts: usize, k: usize) -> (u32, usize) {
    let lo = (size as u64 * k as u64 / parts as u64) as u32;
    let hi = (size as u64 * (k as u64 + 1) / parts as u64) as u32;
    (lo, (hi - lo) as usize)
}

/// The buffers through which the workers hand each other their spikes: per worker, two
/// parities of one list per population, sized for a step of dense firing.
fn spike_buffers(net: &NetworkDesc, threads: usize) -> Shared {
    Shared(
        (0..threads)
            .map(|w| {
                let make = || {
                    RwLock::new(
                        net.populations
                            .iter()
                            .map(|p| Vec::with_capacity(2 * part(p.size, threads, w).1 + 16))
                            .collect(),
                    )
                };
                [make(), make()]
            })
            .collect(),
    )
}

impl Simulation {
    /// Validate `net` and build its state for `config` (in named steps: `engine/build.rs`).
    pub fn new(net: &NetworkDesc, config: &RunConfig) -> SimResult<Self> {
        use rayon::prelude::*;
        let started = Instant::now();
        net.validate()?;
        if config.threads == 0 {
            return Err(SimError::Config("threads must be at least 1".into()));
        }
        let clock = net.clock()?;
        let (threads, seed) = (config.threads, config.seed);
        let delays = Delays::of(net, &clock)?;
        let plans = build::plans(net, &delays, seed);
        let builder = WorkerBuilder {
            net,
            clock: &clock,
            seed,
            threads,
            delays: &delays,
            plans: &plans,
        };
        let workers: Vec<Worker> = (0..threads)
            .into_par_iter()
            .map(|w| builder.build(w))
            .collect::<SimResult<_>>()?;
        build::check_probed_pairs(net, &workers)?;
        Ok(Simulation {
            clock,
            threads,
            buffers: spike_buffers(net, threads),
            position_recipes: build::position_recipes(net, &plans, seed),
            population_names: net.populations.iter().map(|p| p.name.clone()).collect(),
            step: 0,
            spike_limit: None,
            stats: RunStats {
                build_seconds: started.elapsed().as_secs_f64(),
                ..build::memory_stats(&workers)
            },
            workers,
        })
    }

    /// Simulated time so far (ms).
    pub fn time_ms(&self) -> f64 {
        self.clock.time_ms(self.step)
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Counters so far.
    pub fn stats(&self) -> RunStats {
        RunStats {
            events: self.workers.iter().map(|w| w.events).sum(),
            ..self.stats
        }
    }

    /// Advance by `duration_ms` (rounded to whole steps).
    pub fn run(&mut self, duration_ms: f64) -> SimResult<()> {
        self.run_with_progress(duration_ms, &|_, _| {})
    }

    /// Advance by `duration_ms`, calling `progress(done_steps, total_steps)` about a hundred
    /// times along the way (from one thread).
    pub fn run_with_progress(
        &mut self,
        duration_ms: f64,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> SimResult<()> {
        let steps = self.clock.steps("duration_ms", duration_ms)?;
        let (n0, n1) = (self.step, self.step + steps);
        let report_every = (steps / 100).max(1);
        let started = Instant::now();
        let clock = self.clock;
        let stop = AtomicU64::new(NOT_STOPPED);
        let recorded = RecordedSpikes::new(self.threads, self.spike_limit);
        if self.threads == 1 {
            let alone = Alone::take(&mut self.buffers);
            let reports = Cell::new(Every::new(report_every));
            run_steps(
                &mut self.workers[0],
                0,
                &alone,
                None,
                (&stop, &recorded),
                n0,
                n1,
                &clock,
                &|n| {
                    report(&reports, n - n0 + 1, steps, progress);
                },
            );
            alone.restore(&mut self.buffers);
        } else {
            let barrier = SpinBarrier::new(self.threads);
            let buffers = &self.buffers;
            std::thread::scope(|scope| {
                for (w, worker) in self.workers.iter_mut().enumerate() {
                    let barrier = &barrier;
                    let stop = (&stop, &recorded);
                    scope.spawn(move || {
                        let reports = Cell::new(Every::new(report_every));
                        let tick = |n: u64| {
                            if w == 0 {
                                report(&reports, n - n0 + 1, steps, progress);
                            }
                        };
                        let body =
                            || run_steps(worker, w, buffers, Some(barrier), stop, n0, n1, &clock, &tick);
                        if let Err(e) = catch_unwind(AssertUnwindSafe(body)) {
                            barrier.abort();
                            resume_unwind(e);
                        }
                    });
                }
            });
        }
        self.stats.loop_seconds += started.elapsed().as_secs_f64();
        let end = match stop.into_inner() {
            NOT_STOPPED => n1,
            n => n + 1,
        };
        self.stats.steps += end - n0;
        self.step = end;
        if let Some(limit) = self.spike_limit
            && self.workers.iter().map(|w| w.spikes.len() as u64).sum::<u64>() > limit
        {
            return Err(SimError::TooManySpikes {
                limit,
                t_ms: clock.time_ms(end),
            });
        }
        self.check_finite()
    }

    /// Stop a run with [`SimError::TooManySpikes`] after the first step at whose end more than
    /// `max_spikes` spikes are recorded in all, so that recording cannot exhaust the memory
    /// (the step is the same for every thread count); by default there is no limit.
    pub fn set_spike_limit(&mut self, max_spikes: u64) {
        self.spike_limit = Some(max_spikes);
    }

    /// An error naming the first non-finite state value (lowest population, then neuron), if
    /// there is one: a full scan of the neuron state, made at the end of every run (during a
    /// run, the periodic flush finds one and stops the run at that step).
    fn check_finite(&self) -> SimResult<()> {
        let mut found: Option<(usize, u32, String, f64)> = None;
        for w in &self.workers {
            for b in &w.blocks {
                if let Block::Neurons(b) = b
                    && let Some((i, what, value)) = b.first_non_finite()
                {
                    let at = (b.pop, b.first + i as u32, what, value);
                    if found.as_ref().is_none_or(|f| (at.0, at.1) < (f.0, f.1)) {
                        found = Some(at);
                    }
                }
            }
        }
        match found {
            None => Ok(()),
            Some((pop, neuron, what, value)) => Err(SimError::Diverged {
                population: self.population_names[pop].clone(),
                neuron,
                what,
                value,
                t_ms: self.clock.time_ms(self.step),
            }),
        }
    }

    /// All spikes recorded so far, sorted by time, population and neuron.
    pub fn spikes(&self) -> SpikeTable {
        let mut all: Vec<(u64, u32, u32)> = self
            .workers
            .iter()
            .flat_map(|w| w.spikes.iter().copied())
            .collect();
        all.sort_unstable();
        let dt = self.clock.dt_ms();
        SpikeTable {
            t_ms: all.iter().map(|s| (s.0 + 1) as f64 * dt).collect(),
            population: all.iter().map(|s| s.1).collect(),
            neuron: all.iter().map(|s| s.2).collect(),
        }
    }

    /// Recorded spikes at or after `t_ms` as `(t_ms, population, neuron)`, sorted; each worker's
    /// record is searched, so the cost grows with the spikes returned, not with all recorded.
    pub fn spikes_since(&self, t_ms: f64) -> Vec<(f64, u32, u32)> {
        let dt = self.clock.dt_ms();
        // A spike of step n is stamped (n + 1) dt.
        let first_step = ((t_ms / dt).ceil() as u64).saturating_sub(1);
        let mut out: Vec<(u64, u32, u32)> = Vec::new();
        for w in &self.workers {
            let from = w.spikes.partition_point(|s| s.0 < first_step);
            out.extend(w.spikes[from..].iter().copied());
        }
        out.sort_unstable();
        out.into_iter()
            .map(|(n, p, i)| ((n + 1) as f64 * dt, p, i))
            .filter(|s| s.0 >= t_ms - 1e-9)
            .collect()
    }

    /// All sampled traces so far, ordered by probe and then by the probe's neuron list.
    pub fn traces(&self) -> Vec<Trace> {
        let mut out: Vec<Trace> = self
            .workers
            .iter()
            .flat_map(|w| w.probes.iter())
            .map(|p| Trace {
                probe: p.probe,
                population: p.population,
                neuron: p.neuron,
                signal: p.signal,
                interval_ms: p.interval_ms,
                values: p.values.clone(),
            })
            .collect();
        out.sort_by_key(|t| (t.probe, t.neuron));
        out
    }

    /// Release `amount` of neuromodulator `modulator` now (at the current simulated time).
    pub fn release(&mut self, modulator: usize, amount: f64) -> SimResult<()> {
        let t = self.time_ms();
        let count = self.workers.first().map_or(0, |w| w.modulators.len());
        if modulator >= count || !amount.is_finite() {
            return Err(SimError::Config(format!(
                "release: expected a neuromodulator index in 0..{count} and a finite amount, found {modulator} and {amount}"
            )));
        }
        for w in &mut self.workers {
            w.modulators[modulator].release(t, amount);
        }
        Ok(())
    }

    /// The weight (pA or nS) of the first synapse from `source` to `target` in projection
    /// `proj`, if there is one: a cheap look-up of one row, for following a few synapses
    /// during a run (see [`Simulation::synapses`] for all of them).
    pub fn weight(&self, proj: usize, source: u32, target: u32) -> Option<f64> {
        self.workers.iter().find_map(|w| {
            let lp = w.projections.get(proj)?;
            let first = w.first_of(lp.target);
            let k = *selected_synapses(&lp.csr, first, &[(source, target)]).first()?;
            Some(f64::from(lp.csr.weight_of(k)))
        })
    }

    /// Set the weight (pA or nS) of every synapse from `source` to `target` in projection
    /// `proj` now, e.g. the chosen synapse of Izhikevich 2007 that starts at 0; their rule
    /// states start afresh, as for a newly formed synapse. Returns how many synapses were set
    /// (an error if none: no such projection or pair).
    pub fn set_weight(&mut self, proj: usize, source: u32, target: u32, weight: f64) -> SimResult<usize> {
        if !weight.is_finite() {
            return Err(SimError::Config(format!(
                "set_weight: expected a finite weight, found {weight}"
            )));
        }
        let mut count = 0;
        for w in &mut self.workers {
            let Some(target_pop) = w.projections.get(proj).map(|lp| lp.target) else {
                break;
            };
            let first = w.first_of(target_pop);
            let lp = &mut w.projections[proj];
            let hits = selected_synapses(&lp.csr, first, &[(source, target)]);
            if hits.is_empty() {
                continue;
            }
            let csr = &mut lp.csr;
            if let Some(shared) = csr.shared_weight.take() {
                csr.weight = vec![shared; csr.len()];
            }
            for k in hits {
                csr.weight[k] = weight as f32;
                if let Some(p) = &mut lp.plastic {
                    p.set_weight(k, weight);
                }
                count += 1;
            }
        }
        if count == 0 {
            return Err(SimError::Config(format!(
                "set_weight: projection {proj} has no synapse from source {source} to target {target}"
            )));
        }
        Ok(count)
    }

    /// Mute (`true`) or unmute source population `population` from now on, e.g. a cue that ends
    /// when the animal responds. Muted sources still draw their spikes, so unmuting resumes the
    /// same streams; results stay identical for any thread count.
    pub fn set_source_muted(&mut self, population: usize, muted: bool) -> SimResult<()> {
        let mut found = false;
        for w in &mut self.workers {
            if let Some(Block::Source(s)) = w.blocks.get_mut(population) {
                s.set_muted(muted);
                found = true;
            }
        }
        if found {
            Ok(())
        } else {
            Err(SimError::Config(format!(
                "set_source_muted: population {population} is not a source population"
            )))
        }
    }

    /// Sampled weights of every weight probe so far.
    pub fn weight_traces(&self) -> Vec<WeightTrace> {
        let Some(first) = self.workers.first() else {
            return Vec::new();
        };
        first
            .weight_probes
            .iter()
            .enumerate()
            .map(|(q, wp)| {
                let proj = wp.projection;
                // Canonical order: (source, global target); map each worker's CSR position to it.
                // (source, global target, worker, position of the synapse in that worker's
                // samples of one time point).
                let mut order: Vec<(u32, u32, usize, usize)> = Vec::new();
                let mut per_sample = Vec::with_capacity(self.workers.len());
                for (w, worker) in self.workers.iter().enumerate() {
                    let lp = &worker.projections[proj];
                    let Block::Neurons(b) = &worker.blocks[lp.target] else {
                        per_sample.push(0);
                        continue;
                    };
                    let csr = &lp.csr;
                    let source_of = |k: usize| csr.row_ptr.partition_point(|&p| p as usize <= k) - 1;
                    match &worker.weight_probes[q].selected {
                        Some(ks) => {
                            for (j, &k) in ks.iter().enumerate() {
                                order.push((source_of(k) as u32, b.first + csr.target.get(k), w, j));
                            }
                            per_sample.push(ks.len());
                        }
                        None => {
                            for s in 0..csr.row_ptr.len() - 1 {
                                for k in csr.row_ptr[s] as usize..csr.row_ptr[s + 1] as usize {
                                    order.push((s as u32, b.first + csr.target.get(k), w, k));
                                }
                            }
                            per_sample.push(csr.len());
                        }
                    }
                }
                order.sort_unstable();
                let n_samples = (0..self.workers.len())
                    .find(|&w| per_sample[w] > 0)
                    .map_or(0, |w| {
                        self.workers[w].weight_probes[q].samples.len() / per_sample[w]
                    });
                let values = (0..n_samples)
                    .map(|t| {
                        order
                            .iter()
                            .map(|&(_, _, w, j)| {
                                self.workers[w].weight_probes[q].samples[t * per_sample[w] + j]
                            })
                            .collect()
                    })
                    .collect();
                WeightTrace {
                    probe: wp.probe,
                    projection: proj,
                    interval_ms: wp.interval_ms,
                    source: order.iter().map(|o| o.0).collect(),
                    target: order.iter().map(|o| o.1).collect(),
                    values,
                }
            })
            .collect()
    }

    /// Every synapse of projection `proj` at the current time, sorted by source, then target
    /// (synapses of one pair in the order they were drawn). Holds them all: for large networks
    /// use [`Simulation::visit_synapses`].
    pub fn synapses(&self, proj: usize) -> Vec<SynapseRow> {
        let mut rows = Vec::new();
        self.visit_synapses(proj, usize::MAX, &mut |chunk: &[SynapseRow]| {
            rows.extend_from_slice(chunk);
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|e| match e {});
        rows
    }

    /// Hand the synapses of projection `proj` to `visit` in the order of
    /// [`Simulation::synapses`], in chunks of at most `chunk_rows` rows (whole sources may be
    /// split between chunks), so that a caller can stream them (memory: one chunk, plus the
    /// positions of one worker's share where the engine draws them again). Stops at the first
    /// error of `visit`.
    pub fn visit_synapses<E>(
        &self,
        proj: usize,
        chunk_rows: usize,
        visit: &mut dyn FnMut(&[SynapseRow]) -> Result<(), E>,
    ) -> Result<(), E> {
        let chunk_rows = chunk_rows.max(1);
        let drawn: Vec<Option<Vec<u16>>> = self
            .workers
            .iter()
            .map(|w| {
                let lp = &w.projections[proj];
                self.position_recipes[proj].as_ref().map(|r| {
                    let plan =
                        ProjectionPlan::new(&r.desc, proj, r.n_source, r.n_target, r.length_um, r.seed);
                    plan.positions(w.first_of(lp.target), w.len_of(lp.target))
                        .expect("the same plan built this worker's synapses before")
                })
            })
            .collect();
        let n_source = self
            .workers
            .first()
            .map_or(0, |w| w.projections[proj].csr.row_ptr.len().saturating_sub(1));
        let mut rows: Vec<SynapseRow> = Vec::with_capacity(chunk_rows.min(1 << 16));
        for s in 0..n_source {
            // Workers own ascending ranges of targets: their rows of one source, one after the
            // other, and each sorted by target (stably), are the source's row in target order.
            for (w, drawn) in self.workers.iter().zip(&drawn) {
                let lp = &w.projections[proj];
                let first = w.first_of(lp.target);
                let csr = &lp.csr;
                let positions = drawn.as_deref().unwrap_or(&csr.position);
                let plastic = lp.plastic.as_ref();
                let start = rows.len();
                for k in csr.row_ptr[s] as usize..csr.row_ptr[s + 1] as usize {
                    rows.push(SynapseRow {
                        source: s as u32,
                        target: first + csr.target.get(k),
                        weight: csr.weight_of(k),
                        position_um: positions.get(k).map(|&q| csr.position_scale.decode(q)),
                        alive: plastic.is_none_or(|p| p.is_alive(k)),
                        spine_size: plastic
                            .and_then(|p| p.spine_size(f64::from(csr.weight_of(k))))
                            .map(|x| x as f32),
                        delay_ms: self
                            .clock
                            .time_ms(lp.delay_steps + csr.delay_extra.get(k).copied().map_or(0, u64::from)),
                    });
                }
                rows[start..].sort_by_key(|r| r.target);
                if rows.len() >= chunk_rows {
                    visit(&rows)?;
                    rows.clear();
                }
            }
        }
        if !rows.is_empty() {
            visit(&rows)?;
        }
        Ok(())
    }
}

/// Positions in `csr` (a worker's share of a projection whose local targets start at
/// `first`) of the synapses between the given `(source, global target)` pairs, in CSR order.
fn selected_synapses(csr: &Csr, first: u32, pairs: &[(u32, u32)]) -> Vec<usize> {
    let mut ks: Vec<usize> = pairs
        .iter()
        .filter_map(|&(source, target)| {
            let local = target.checked_sub(first)?;
            let row = csr.row_ptr.get(source as usize..source as usize + 2)?;
            Some((row[0] as usize..row[1] as usize).filter(move |&k| csr.target.get(k) == local))
        })
        .flatten()
        .collect();
    ks.sort_unstable();
    ks.dedup();
    ks
}

/// Deliver the spikes of step `n` through a projection whose synapses have their own delays:
/// each synapse adds its weight to the ring slot of its own arrival. Returns the events.
fn deliver_spread<E: Exchange>(
    target: &mut NeuronBlock,
    proj: &LocalProjection,
    n: u64,
    parity: usize,
    buffers: &E,
) -> u64 {
    let csr = &proj.csr;
    let mut events = 0;
    for b in 0..buffers.workers() {
        let published = buffers.read(b, parity);
        let spikes = &published[proj.source];
        for (e, &s) in spikes.iter().enumerate() {
            csr.prefetch_rows(spikes, e);
            let (lo, hi) = (
                csr.row_ptr[s as usize] as usize,
                csr.row_ptr[s as usize + 1] as usize,
            );
            events += (hi - lo) as u64;
            for k in lo..hi {
                let arrival = n + 1 + proj.delay_steps + u64::from(csr.delay_extra[k]);
                target.ring_lane(arrival, proj.receptor)[csr.target.get(k) as usize] += csr.weight_of(k);
            }
        }
    }
    events
}

/// Report progress after `done` of `total` steps when `reports` is due.
fn report(reports: &Cell<Every>, done: u64, total: u64, progress: &(dyn Fn(u64, u64) + Sync)) {
    let mut every = reports.get();
    if every.at(done) {
        progress(done, total);
    }
    reports.set(every);
}

/// The value of a run's stop step while no worker has found a diverged state.
const NOT_STOPPED: u64 = u64::MAX;

/// Each worker's count of recorded spikes after each step, by the step's parity, for a run with
/// a limit on them.
struct RecordedSpikes {
    limit: Option<u64>,
    counts: Vec<[AtomicU64; 2]>,
}

impl RecordedSpikes {
    fn new(workers: usize, limit: Option<u64>) -> Self {
        RecordedSpikes {
            limit,
            // Nothing is allocated without a limit (the step loop of such a run allocates nothing).
            counts: match limit {
                Some(_) => (0..workers)
                    .map(|_| [AtomicU64::new(0), AtomicU64::new(0)])
                    .collect(),
                None => Vec::new(),
            },
        }
    }

    /// Worker `w` holds `count` recorded spikes at the end of step `n`.
    fn publish(&self, w: usize, n: u64, count: u64) {
        if self.limit.is_some() {
            self.counts[w][(n & 1) as usize].store(count, Ordering::Release);
        }
    }

    /// Whether all workers together hold more than the limit at the end of step `n` (after the
    /// step's barrier).
    fn over_limit(&self, n: u64) -> bool {
        self.limit.is_some_and(|limit| {
            let parity = (n & 1) as usize;
            self.counts
                .iter()
                .map(|c| c[parity].load(Ordering::Acquire))
                .sum::<u64>()
                > limit
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn run_steps<E: Exchange>(
    worker: &mut Worker,
    w: usize,
    buffers: &E,
    barrier: Option<&SpinBarrier>,
    (stop, recorded): (&AtomicU64, &RecordedSpikes),
    n0: u64,
    n1: u64,
    clock: &Clock,
    tick: &dyn Fn(u64),
) {
    for n in n0..n1 {
        let parity = (n & 1) as usize;
        let diverged = {
            let mut out = buffers.write(w, parity);
            worker.update(n, clock, &mut out)
        };
        if diverged {
            stop.fetch_min(n, Ordering::AcqRel);
        }
        recorded.publish(w, n, worker.spikes.len() as u64);
        if let Some(b) = barrier {
            b.wait();
        }
        // Every worker sees the same total through step n: the slots of step n's parity are
        // not written again before every worker has passed the next barrier.
        if recorded.over_limit(n) {
            stop.fetch_min(n, Ordering::AcqRel);
        }
        // Every worker that found a divergence in step `n` recorded it before this barrier, so
        // all of them stop after the same step; a faster worker may already have recorded one
        // of step `n + 1`, which is not this step's.
        if stop.load(Ordering::Acquire) <= n {
            return;
        }
        worker.deliver(n, clock, parity, buffers);
        tick(n);
    }
}

impl Worker {
    /// Advance the worker's neurons and sources by step `n`; whether a neuron block found a
    /// non-finite state value.
    fn update(&mut self, n: u64, clock: &Clock, out: &mut [Vec<u32>]) -> bool {
        let mut diverged = false;
        while let Some(&(step, m, amount, t_ms)) = self.releases.get(self.next_release) {
            if step > n {
                break;
            }
            self.modulators[m].release(t_ms.max(clock.time_ms(n)), amount);
            self.next_release += 1;
        }
        for wp in &mut self.weight_probes {
            if n.is_multiple_of(wp.every_steps) {
                let csr = &self.projections[wp.projection].csr;
                match &wp.selected {
                    Some(ks) => wp.samples.extend(ks.iter().map(|&k| csr.weight_of(k))),
                    None => wp.samples.extend((0..csr.len()).map(|k| csr.weight_of(k))),
                }
            }
        }
        for probe in &mut self.probes {
            if n.is_multiple_of(probe.every_steps)
                && let Block::Neurons(b) = &self.blocks[probe.population]
            {
                probe.values.push(b.sample(probe.local, probe.signal));
            }
        }
        for (pop, block) in self.blocks.iter_mut().enumerate() {
            let spikes = &mut out[pop];
            spikes.clear();
            let first = match block {
                Block::Neurons(b) => {
                    b.step(n, clock, spikes);
                    diverged |= b.diverged();
                    b.first
                }
                Block::Source(s) => {
                    s.step(n, spikes);
                    s.first
                }
            };
            for s in spikes.iter_mut() {
                *s += first;
            }
            if self.recorded[pop] {
                self.spikes.extend(spikes.iter().map(|&s| (n, pop as u32, s)));
            }
        }
        let t_end = clock.time_ms(n + 1);
        for proj in &mut self.projections {
            if let Some(plastic) = &mut proj.plastic
                && !plastic.runs_in_delivery()
                && let Block::Neurons(block) = &mut self.blocks[proj.target]
            {
                plastic.process(n, t_end, &mut proj.csr, block, &self.modulators);
            }
        }
        diverged
    }

    fn deliver<E: Exchange>(&mut self, n: u64, clock: &Clock, parity: usize, buffers: &E) {
        for proj in &mut self.projections {
            let Block::Neurons(target) = &mut self.blocks[proj.target] else {
                continue;
            };
            // Spikes of step n are stamped t_{n+1} and arrive d steps later, at the end of step n + d,
            // which adds ring slot n + d + 1 (see `NeuronBlock::step`).
            let csr = &proj.csr;
            if !csr.delay_extra.is_empty() {
                self.events += deliver_spread(target, proj, n, parity, buffers);
                continue;
            }
            let lane = target.ring_lane(n + 1 + proj.delay_steps, proj.receptor);
            for b in 0..buffers.workers() {
                let published = buffers.read(b, parity);
                let spikes = &published[proj.source];
                for (e, &s) in spikes.iter().enumerate() {
                    csr.prefetch_rows(spikes, e);
                    let (lo, hi) = (
                        csr.row_ptr[s as usize] as usize,
                        csr.row_ptr[s as usize + 1] as usize,
                    );
                    if hi == lo {
                        continue;
                    }
                    // Plasticity sees the spike when it reaches the synapses: at the end of
                    // step n + d (axonal delay) or of step n (dendritic).
                    if let Some(plastic) = &mut proj.plastic {
                        plastic.queue(n, s, lo..hi);
                    }
                    self.events += (hi - lo) as u64;
                    csr.add_row(lo, hi, lane);
                }
            }
            // A dendritic delay: the step's spikes are at their synapses now.
            if let Some(plastic) = &mut proj.plastic
                && plastic.runs_in_delivery()
            {
                let t_end = clock.time_ms(n + 1);
                plastic.process(n, t_end, &mut proj.csr, target, &self.modulators);
            }
        }
    }
}
