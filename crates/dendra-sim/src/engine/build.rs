//! Building a [`Simulation`](super::Simulation)'s workers from a network description, in named
//! steps: the delays and input rings ([`Delays`]), each projection's connection plan
//! ([`plans`]), then per worker its neuron and source blocks, its share of every projection
//! with plasticity and co-activity registers, its probes and neuromodulators
//! ([`WorkerBuilder`]); finally the checks that need every worker (weight probes naming pairs
//! that exist) and the memory counted in [`RunStats`].

use dendra_core::{Clock, ParamError};
use dendra_model::{NetworkDesc, NeuronTemplate, PopulationKind, WeightDist};
use dendra_rules::Modulator;
use dendra_rules::rules::{CoactivityRegister, MAX_SYNAPSES, Neighbourhood, Placement, Queries};

use super::{Block, LocalProjection, PositionRecipe, RunStats, Worker, part, selected_synapses};
use crate::connect::ProjectionPlan;
use crate::error::{SimError, SimResult};
use crate::neurons::NeuronBlock;
use crate::plasticity::Plastic;
use crate::record::{LocalProbe, LocalWeightProbe};
use crate::sources::SourceBlock;
use crate::stimuli;

/// Every projection's delay in steps, the range of per-synapse delays where they vary, and the
/// input ring each population needs for its longest incoming delay.
pub(super) struct Delays {
    /// Delay of each projection (steps, at least one); the lower end of a range.
    pub(super) steps: Vec<u64>,
    /// `(lowest, highest)` steps of each projection with per-synapse delays.
    ranges: Vec<Option<(u64, u64)>>,
    /// Input ring slots per population.
    ring_slots: Vec<usize>,
}

impl Delays {
    pub(super) fn of(net: &NetworkDesc, clock: &Clock) -> SimResult<Delays> {
        let steps: Vec<u64> = net
            .projections
            .iter()
            .map(|p| clock.steps_at_least_one("delay_ms", p.delay_ms))
            .collect::<Result<_, _>>()?;
        let ranges: Vec<Option<(u64, u64)>> = net
            .projections
            .iter()
            .zip(&steps)
            .map(|(p, &d)| {
                p.delay_max_ms
                    .map(|hi| clock.steps("delay_max_ms", hi).map(|hi| (d, hi.max(d))))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        let mut ring_slots = vec![2usize; net.populations.len()];
        for ((p, d), range) in net.projections.iter().zip(&steps).zip(&ranges) {
            let longest = range.map_or(*d, |r| r.1);
            ring_slots[p.target] = ring_slots[p.target].max(longest as usize + 1);
        }
        Ok(Delays {
            steps,
            ranges,
            ring_slots,
        })
    }
}

/// Whether the engine reads the positions of synapses onto `receptor` of `template` during a
/// run: for a co-activity register on their compartment, or for structural plasticity (which
/// moves them).
fn engine_reads_positions(template: &NeuronTemplate, receptor: usize) -> bool {
    let comp = template.receptors[receptor].compartment;
    template.rules.iter().any(|r| {
        (r.compartment == comp && r.rule.needs().coactivity.is_some())
            || (r.applies_to(receptor, comp) && r.structural.is_some())
    })
}

/// Each projection's connection plan (drawn per target neuron, so any partition gets the same
/// synapses).
pub(super) fn plans<'a>(net: &'a NetworkDesc, delays: &Delays, seed: u64) -> Vec<ProjectionPlan<'a>> {
    net.projections
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let target = &net.populations[p.target];
            let t = target.template().expect("validated: targets are neurons");
            let comp = t.receptors[p.receptor].compartment;
            let mut plan = ProjectionPlan::new(
                p,
                k,
                net.populations[p.source].size,
                target.size,
                t.length_um(comp),
                seed,
            );
            plan.delay_steps = delays.ranges[k].filter(|r| r.1 > r.0);
            plan.keep_positions = engine_reads_positions(t, p.receptor);
            plan
        })
        .collect()
}

/// How to draw again the positions that nothing in the run reads (so the synapses do not keep
/// them), for when the synapses are listed.
pub(super) fn position_recipes(
    net: &NetworkDesc,
    plans: &[ProjectionPlan],
    seed: u64,
) -> Vec<Option<PositionRecipe>> {
    plans
        .iter()
        .map(|plan| {
            (plan.length_um > 0.0 && !plan.keep_positions).then(|| PositionRecipe {
                desc: plan.desc.clone(),
                n_target: net.populations[plan.desc.target].size,
                n_source: plan.n_source,
                length_um: plan.length_um,
                seed,
            })
        })
        .collect()
}

/// A projection onto a compartment with a co-activity register.
struct Registered {
    /// Target population and the register's slot in its blocks.
    register: (usize, usize),
    /// Key of the projection's first synapse in the register.
    key_base: u32,
    /// Index of the projection among the worker's.
    projection: usize,
    /// Whether structural plasticity forms synapses at new positions there.
    forms_synapses: bool,
}

/// The co-activity keys handed out so far in one worker: per (target population, register
/// slot), the number of keys, and each projection onto a register.
#[derive(Default)]
struct RegisterKeys {
    counts: Vec<((usize, usize), u64)>,
    registered: Vec<Registered>,
}

impl RegisterKeys {
    /// Reserve `synapses` keys in register `(pop, slot)`; the first one's key.
    fn reserve(&mut self, (pop, slot): (usize, usize), synapses: usize) -> Option<u64> {
        let at = match self.counts.iter().position(|&(ps, _)| ps == (pop, slot)) {
            Some(at) => at,
            None => {
                self.counts.push(((pop, slot), 0));
                self.counts.len() - 1
            }
        };
        let base = self.counts[at].1;
        self.counts[at].1 += synapses as u64;
        (self.counts[at].1 <= MAX_SYNAPSES).then_some(base)
    }

    /// Place every synapse onto a co-activity register in it, all projections onto its
    /// compartment together (each local neuron's branch holds the synapses onto it), so that
    /// the register needs no search and no allocation in the run, and its memory is known at
    /// build. Where the projections that count co-activity there agree on the reach, the
    /// register is placed for it, and its stamps are as narrow as their longest window allows.
    fn place(&self, blocks: &mut [Block], projections: &[LocalProjection]) {
        for &((pop, slot), keys) in &self.counts {
            let mut placements = Vec::with_capacity(keys as usize);
            let mut movable = false;
            let mut queries = Vec::new();
            for r in self.registered.iter().filter(|r| r.register == (pop, slot)) {
                let lp = &projections[r.projection];
                movable |= r.forms_synapses;
                queries.extend(lp.plastic.as_ref().and_then(Plastic::counting_query));
                placements.extend((0..lp.csr.len()).map(|j| Placement {
                    branch: lp.csr.target.get(j),
                    position: lp.csr.position.get(j).copied().unwrap_or(0),
                    key: r.key_base + j as u32,
                }));
            }
            if let Block::Neurons(target) = &mut blocks[pop] {
                let asked = Queries {
                    reach: queries
                        .first()
                        .map(|q: &Neighbourhood| q.reach)
                        .filter(|&r| queries.iter().all(|q| q.reach == r)),
                    longest_window_steps: queries.iter().map(|q| q.window_steps).max().unwrap_or(0),
                };
                *target.register(slot) = CoactivityRegister::place(target.n, placements, movable, asked);
            }
        }
    }
}

/// What every worker is built from.
pub(super) struct WorkerBuilder<'a> {
    pub(super) net: &'a NetworkDesc,
    pub(super) clock: &'a Clock,
    pub(super) seed: u64,
    pub(super) threads: usize,
    pub(super) delays: &'a Delays,
    pub(super) plans: &'a [ProjectionPlan<'a>],
}

impl WorkerBuilder<'_> {
    /// Worker `w`: its range of every population, the synapses onto its neurons, its probes.
    pub(super) fn build(&self, w: usize) -> SimResult<Worker> {
        let mut blocks = self.blocks(w)?;
        let mut keys = RegisterKeys::default();
        let projections = self.projections(w, &blocks, &mut keys)?;
        keys.place(&mut blocks, &projections);
        let weight_probes = self.weight_probes(w, &projections);
        let mut recorded = vec![false; self.net.populations.len()];
        for &p in &self.net.recording.spikes {
            recorded[p] = true;
        }
        Ok(Worker {
            blocks,
            projections,
            probes: self.probes(w),
            weight_probes,
            modulators: self
                .net
                .modulators
                .iter()
                .map(|m| Modulator::new(m.params))
                .collect(),
            releases: self.releases(),
            next_release: 0,
            recorded,
            spikes: Vec::new(),
            events: 0,
        })
    }

    /// The worker's neurons (with their stimuli) and sources of every population.
    fn blocks(&self, w: usize) -> SimResult<Vec<Block>> {
        let (net, clock, seed) = (self.net, self.clock, self.seed);
        let mut blocks = Vec::with_capacity(net.populations.len());
        for (k, pop) in net.populations.iter().enumerate() {
            let (first, n) = part(pop.size, self.threads, w);
            blocks.push(match &pop.kind {
                PopulationKind::Neurons(t) => {
                    let stims = net
                        .stimuli
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.population == k)
                        .map(|(si, s)| stimuli::compile(s, si, first, n, clock, seed))
                        .collect::<SimResult<Vec<_>>>()?;
                    Block::Neurons(Box::new(NeuronBlock::new(
                        k,
                        t.clone(),
                        first,
                        n,
                        clock,
                        seed,
                        stims,
                        self.delays.ring_slots[k],
                    )))
                }
                PopulationKind::Source(s) => {
                    Block::Source(SourceBlock::new(k, s, (first, n), pop.size, clock, seed))
                }
            });
        }
        Ok(blocks)
    }

    /// The worker's share of every projection: its synapses, their plasticity, and their keys
    /// in a co-activity register (reserved in `keys`).
    fn projections(
        &self,
        w: usize,
        blocks: &[Block],
        keys: &mut RegisterKeys,
    ) -> SimResult<Vec<LocalProjection>> {
        let net = self.net;
        let mut projections = Vec::with_capacity(self.plans.len());
        for (k, plan) in self.plans.iter().enumerate() {
            let d = plan.desc;
            let (first, n) = part(net.populations[d.target].size, self.threads, w);
            let mut csr = plan.build(first, n)?;
            let Block::Neurons(target) = &blocks[d.target] else {
                unreachable!("validated: projections target neuron populations")
            };
            let comp = target.template().receptors[d.receptor].compartment;
            let register = match target.register_slot(comp) {
                Some(slot) => {
                    let base = keys.reserve((d.target, slot), csr.len()).ok_or_else(|| {
                        SimError::TooLarge(format!(
                            "compartment {comp} of population `{}` receives more than {MAX_SYNAPSES} synapses on one worker; use more threads",
                            net.populations[d.target].name
                        ))
                    })?;
                    Some((slot, base as u32))
                }
                None => None,
            };
            let plastic = Plastic::new(
                target.template(),
                d.receptor,
                k,
                &csr,
                net.populations[d.source].size as usize,
                n,
                (self.delays.steps[k], d.delay_site),
                self.clock,
                register,
                first,
                self.seed,
            );
            if let Some((slot, key_base)) = register {
                keys.registered.push(Registered {
                    register: (d.target, slot),
                    key_base,
                    projection: projections.len(),
                    forms_synapses: plastic
                        .as_ref()
                        .is_some_and(|p| p.structural().is_some_and(|sp| sp.formation_rate_hz > 0.0)),
                });
            }
            if plastic.is_some() && !csr.delay_extra.is_empty() {
                return Err(SimError::Config(format!(
                    "projection `{}`: plastic synapses need one delay per projection (delay_max_ms is for static synapses)",
                    d.name
                )));
            }
            // Static synapses of one weight, unrecorded: store the weight once. Decided per
            // projection from the spec, so every worker stores its share alike.
            if plastic.is_none()
                && matches!(d.weight, WeightDist::Constant(_))
                && !net.recording.weights.iter().any(|wp| wp.projection == k)
            {
                csr.share_weight();
            }
            projections.push(LocalProjection {
                source: d.source,
                target: d.target,
                receptor: d.receptor,
                delay_steps: self.delays.steps[k],
                csr,
                plastic,
            });
        }
        Ok(projections)
    }

    /// The worker's part of every weight recording.
    fn weight_probes(&self, w: usize, projections: &[LocalProjection]) -> Vec<LocalWeightProbe> {
        let net = self.net;
        net.recording
            .weights
            .iter()
            .enumerate()
            .map(|(k, wp)| {
                let lp = &projections[wp.projection];
                let (first, _) = part(net.populations[lp.target].size, self.threads, w);
                LocalWeightProbe {
                    probe: k,
                    projection: wp.projection,
                    every_steps: ((wp.interval_ms / self.clock.dt_ms()).round() as u64).max(1),
                    interval_ms: wp.interval_ms,
                    selected: (!wp.synapses.is_empty())
                        .then(|| selected_synapses(&lp.csr, first, &wp.synapses)),
                    samples: Vec::new(),
                }
            })
            .collect()
    }

    /// The scheduled neuromodulator releases `(step, modulator, amount, t_ms)`, in time order.
    fn releases(&self) -> Vec<(u64, usize, f64, f64)> {
        let mut releases: Vec<(u64, usize, f64, f64)> = self
            .net
            .releases
            .iter()
            .map(|r| {
                (
                    self.clock.steps("releases.t_ms", r.t_ms).unwrap_or(u64::MAX),
                    r.modulator,
                    r.amount,
                    r.t_ms,
                )
            })
            .collect();
        releases.sort_by(|a, b| a.0.cmp(&b.0).then(a.3.total_cmp(&b.3)));
        releases
    }

    /// The probes of the worker's neurons.
    fn probes(&self, w: usize) -> Vec<LocalProbe> {
        let net = self.net;
        let mut probes = Vec::new();
        for (k, probe) in net.recording.probes.iter().enumerate() {
            let (first, n) = part(net.populations[probe.population].size, self.threads, w);
            let every_steps = (probe.interval_ms / self.clock.dt_ms()).round() as u64;
            for &neuron in &probe.neurons {
                if neuron >= first && ((neuron - first) as usize) < n {
                    probes.push(LocalProbe {
                        probe: k,
                        population: probe.population,
                        local: (neuron - first) as usize,
                        neuron,
                        signal: probe.signal,
                        every_steps: every_steps.max(1),
                        interval_ms: probe.interval_ms,
                        values: Vec::new(),
                    });
                }
            }
        }
        probes
    }
}

/// Every `(source, target)` pair a weight probe names must hold a synapse in some worker (the
/// pairs of random connectivity are known only once drawn).
pub(super) fn check_probed_pairs(net: &NetworkDesc, workers: &[Worker]) -> SimResult<()> {
    for (q, wp) in net.recording.weights.iter().enumerate() {
        for (j, &(source, target)) in wp.synapses.iter().enumerate() {
            let found = workers.iter().any(|w| {
                let lp = &w.projections[wp.projection];
                let first = w.first_of(lp.target);
                !selected_synapses(&lp.csr, first, &[(source, target)]).is_empty()
            });
            if !found {
                return Err(SimError::Param(ParamError::new(
                    format!("recording.weights[{q}].synapses[{j}]"),
                    format!(
                        "a pair that projection `{}` connects with this seed",
                        net.projections[wp.projection].name
                    ),
                    format!("({source}, {target}), which it does not connect"),
                )));
            }
        }
    }
    Ok(())
}

/// The synapses and the memory they and their plasticity hold, over all workers.
pub(super) fn memory_stats(workers: &[Worker]) -> RunStats {
    let projections = || workers.iter().flat_map(|w| &w.projections);
    let synapses: u64 = projections().map(|p| p.csr.len() as u64).sum();
    let synapse_bytes: u64 = projections()
        .map(|p| (p.csr.heap_bytes() + p.plastic.as_ref().map_or(0, Plastic::heap_bytes)) as u64)
        .sum();
    // Co-activity registers hold an entry per synapse onto their compartment.
    let register_bytes: u64 = workers
        .iter()
        .flat_map(|w| &w.blocks)
        .map(|b| match b {
            Block::Neurons(nb) => nb.register_bytes() as u64,
            Block::Source(_) => 0,
        })
        .sum();
    let plasticity_neuron_bytes: u64 = projections()
        .filter_map(|p| p.plastic.as_ref())
        .map(|p| p.neuron_bytes() as u64)
        .sum();
    RunStats {
        synapses,
        synapse_bytes: synapse_bytes + register_bytes,
        plasticity_neuron_bytes,
        ..RunStats::default()
    }
}
