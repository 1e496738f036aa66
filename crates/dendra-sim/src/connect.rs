//! Connectivity: drawing each target's presynaptic partners and storing synapses compactly by
//! source (CSR).
//!
//! Partners, weights and positions of target `j` of projection `p` come from the streams
//! `(seed, Connectivity | Weight | Placement, p, j)`, so the network is the same whatever the
//! number of threads. Each worker stores only the synapses onto the targets it owns, in
//! compressed sparse rows indexed by the source: `row_ptr[s]..row_ptr[s+1]` are the synapses of
//! source `s`, sorted by target. Building is two passes over the targets (count, then fill),
//! regenerating the partners from the streams rather than holding them, so the peak memory is
//! the final CSR. A static synapse costs 6 bytes (a u16 local target, see [`Indices`], and an
//! f32 weight; 8 with a u32 target when the worker holds more than 2^16 of the target
//! population) plus a 2-byte position code ([`PositionScale`]) on dendritic compartments with a
//! length where the run reads it; a static projection whose synapses all have one weight
//! stores it once ([`Csr::share_weight`]), so each synapse costs 2 (or 4) bytes.

use dendra_core::{Purpose, StreamKey};
use dendra_model::rules::PositionScale;
use dendra_model::{Connectivity, Placement, ProjectionDesc, WeightDist};
use rand::RngExt;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::error::{SimError, SimResult};
use crate::indices::{IndexRow, Indices, add_row};
use crate::prefetch::{prefetch, prefetch_slice};

/// How many spikes ahead delivery starts loading a row (and twice as many, a row pointer).
const ROWS_AHEAD: usize = 4;

/// The synapses of one projection onto one worker's targets.
#[derive(Debug, Clone)]
pub struct Csr {
    /// `row_ptr[s]..row_ptr[s+1]` index the synapses of source `s`.
    pub row_ptr: Vec<u32>,
    /// Local target index of each synapse.
    pub target: Indices,
    /// Weight of each synapse (pA or nS); empty when `shared_weight` holds the one weight of all.
    pub weight: Vec<f32>,
    /// The weight of every synapse, when all are equal and none can change (see
    /// [`Csr::share_weight`]); `weight` is then empty.
    pub shared_weight: Option<f32>,
    /// Position code of each synapse along the target compartment (see
    /// [`Csr::position_um`]); empty if the compartment has no length or nothing in the run reads
    /// positions (see [`ProjectionPlan::keep_positions`]).
    pub position: Vec<u16>,
    /// How `position` codes positions on the target compartment.
    pub position_scale: PositionScale,
    /// Per-synapse delay above the projection's minimum (steps), empty when all are equal.
    pub delay_extra: Vec<u8>,
}

impl Csr {
    /// While delivering `spikes[e]`, start loading what later spikes of the list will read:
    /// the row pointer of the spike `2 ROWS_AHEAD` on and the row (targets, weights, delays) of
    /// the spike `ROWS_AHEAD` on. Sources spike in no order, so each row is a cache miss of its
    /// own; overlapping them makes delivery of a large network about a quarter faster (see
    /// bench/notes.md).
    #[inline(always)]
    pub fn prefetch_rows(&self, spikes: &[u32], e: usize) {
        if let Some(&far) = spikes.get(e + 2 * ROWS_AHEAD) {
            prefetch(&self.row_ptr[far as usize]);
        }
        if let Some(&near) = spikes.get(e + ROWS_AHEAD) {
            let row = self.row_ptr[near as usize] as usize..self.row_ptr[near as usize + 1] as usize;
            self.target.prefetch(row.clone());
            if self.shared_weight.is_none() {
                prefetch_slice(&self.weight[row.clone()]);
            }
            if !self.delay_extra.is_empty() {
                prefetch_slice(&self.delay_extra[row]);
            }
        }
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are no synapses.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// The most synapses any source has here.
    pub fn max_row_len(&self) -> usize {
        self.row_ptr
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0)
    }

    /// Add the weights of synapses `lo..hi` (one row) to their targets' entries of `lane`.
    #[inline(always)]
    pub(crate) fn add_row(&self, lo: usize, hi: usize, lane: &mut [f32]) {
        let weights = self.shared_weight.is_none().then(|| &self.weight[lo..hi]);
        let shared = self.shared_weight.unwrap_or(0.0);
        match self.target.row(lo..hi) {
            IndexRow::Narrow(row) => add_row(lane, row, weights, shared),
            IndexRow::Wide(row) => add_row(lane, row, weights, shared),
        }
    }

    /// Position of synapse `k` along its compartment (µm), if stored.
    pub fn position_um(&self, k: usize) -> Option<f32> {
        self.position.get(k).map(|&q| self.position_scale.decode(q))
    }

    /// Weight of synapse `k`.
    #[inline]
    pub fn weight_of(&self, k: usize) -> f32 {
        self.shared_weight.unwrap_or_else(|| self.weight[k])
    }

    /// Store the weight once if every synapse has the same (bit for bit), for projections
    /// whose weights never change; returns whether it did.
    pub fn share_weight(&mut self) -> bool {
        match self.weight.first() {
            Some(&w0) if self.weight.iter().all(|w| w.to_bits() == w0.to_bits()) => {
                self.shared_weight = Some(w0);
                self.weight = Vec::new();
                true
            }
            _ => false,
        }
    }

    /// Bytes of the arrays (row pointers included).
    pub fn heap_bytes(&self) -> usize {
        4 * (self.row_ptr.len() + self.weight.len())
            + 2 * self.position.len()
            + self.target.heap_bytes()
            + self.delay_extra.len()
    }
}

/// Everything needed to draw a projection's synapses.
#[derive(Debug, Clone)]
pub struct ProjectionPlan<'a> {
    /// The projection.
    pub desc: &'a ProjectionDesc,
    /// Its index (names the random streams).
    pub index: usize,
    /// Source population size.
    pub n_source: u32,
    /// Length of the target compartment (µm); 0 means no positions are stored.
    pub length_um: f64,
    /// Explicit pairs grouped by target: `explicit[j]` lists `(source, pair index)` of target
    /// `j`, ascending.
    pub explicit: Option<Vec<Vec<(u32, u32)>>>,
    /// The run's seed.
    pub seed: u64,
    /// Per-synapse delays as `(min, max)` steps, if heterogeneous.
    pub delay_steps: Option<(u64, u64)>,
    /// Whether the built CSR stores positions (on a compartment with a length). When nothing
    /// in the run reads them, they are left out and [`ProjectionPlan::positions`] draws them
    /// again on demand (they come from their own stream).
    pub keep_positions: bool,
}

impl<'a> ProjectionPlan<'a> {
    /// Prepare a projection between populations of sizes `n_source` and `n_target`.
    pub fn new(
        desc: &'a ProjectionDesc,
        index: usize,
        n_source: u32,
        n_target: u32,
        length_um: f64,
        seed: u64,
    ) -> Self {
        let explicit = match &desc.connectivity {
            Connectivity::Explicit(pairs) => {
                let mut by_target = vec![Vec::new(); n_target as usize];
                for (i, &(s, t)) in pairs.iter().enumerate() {
                    by_target[t as usize].push((s, i as u32));
                }
                for v in &mut by_target {
                    v.sort_unstable();
                }
                Some(by_target)
            }
            _ => None,
        };
        ProjectionPlan {
            desc,
            index,
            n_source,
            length_um,
            explicit,
            seed,
            delay_steps: None,
            keep_positions: true,
        }
    }

    fn stream(&self, purpose: Purpose, target: u32) -> ChaCha8Rng {
        StreamKey::new(self.seed, purpose, self.index as u32, target as u64).rng()
    }

    /// Append the sources of `target` (ascending) to `out`.
    pub fn sources_of(&self, target: u32, out: &mut Vec<u32>) {
        let n = self.n_source;
        let exclude = (self.desc.source == self.desc.target && !self.desc.allow_autapses).then_some(target);
        match &self.desc.connectivity {
            Connectivity::AllToAll => out.extend((0..n).filter(|&s| Some(s) != exclude)),
            Connectivity::OneToOne => {
                if exclude.is_none() {
                    out.push(target);
                }
            }
            Connectivity::Bernoulli { p } => {
                let p = *p;
                if p.is_nan() || p <= 0.0 {
                    return;
                }
                if p >= 1.0 {
                    out.extend((0..n).filter(|&s| Some(s) != exclude));
                    return;
                }
                // Geometric skipping: the gap to the next partner is Geometric(p). ln(1 - p)
                // through ln_1p: for p below 1e-16, 1 - p rounds to 1 and its logarithm to 0,
                // which made every gap 0 (an endless loop).
                let mut rng = self.stream(Purpose::Connectivity, target);
                let log_q = (-p).ln_1p();
                let mut s: f64 = -1.0;
                loop {
                    let u: f64 = rng.random();
                    s += 1.0 + ((1.0 - u).ln() / log_q).floor();
                    if s >= n as f64 {
                        break;
                    }
                    let src = s as u32;
                    if Some(src) != exclude {
                        out.push(src);
                    }
                }
            }
            Connectivity::FixedIndegree { k } => {
                let mut rng = self.stream(Purpose::Connectivity, target);
                let pool = if exclude.is_some() { n - 1 } else { n };
                let start = out.len();
                for s in index::sample(&mut rng, pool as usize, *k as usize) {
                    let s = s as u32;
                    out.push(match exclude {
                        Some(j) if s >= j => s + 1,
                        _ => s,
                    });
                }
                out[start..].sort_unstable();
            }
            Connectivity::Explicit(_) => {
                if let Some(lists) = &self.explicit {
                    out.extend(lists[target as usize].iter().map(|&(s, _)| s));
                }
            }
        }
    }

    /// Build the CSR of the synapses onto targets `[first, first + n)` (local indices).
    pub fn build(&self, first: u32, n: usize) -> SimResult<Csr> {
        self.build_with(first, n, self.keep_positions)
    }

    /// The position codes of the synapses onto targets `first..first + n`, in the CSR order
    /// of [`ProjectionPlan::build`] (empty on a compartment without length), drawn again from
    /// their streams: what `build` would have stored.
    pub fn positions(&self, first: u32, n: usize) -> SimResult<Vec<u16>> {
        Ok(self.build_with(first, n, true)?.position)
    }

    fn build_with(&self, first: u32, n: usize, keep_positions: bool) -> SimResult<Csr> {
        let mut counts = vec![0u64; self.n_source as usize + 1];
        let mut buf = Vec::new();
        for j in first..first + n as u32 {
            buf.clear();
            self.sources_of(j, &mut buf);
            for &s in &buf {
                counts[s as usize + 1] += 1;
            }
        }
        for s in 1..counts.len() {
            counts[s] += counts[s - 1];
        }
        let total = counts[self.n_source as usize];
        if total > u32::MAX as u64 {
            return Err(SimError::TooLarge(format!(
                "projection `{}` has {total} synapses on one worker (at most 2^32 - 1); use more threads",
                self.desc.name
            )));
        }
        let row_ptr: Vec<u32> = counts.iter().map(|&c| c as u32).collect();
        let total = total as usize;
        let mut cursor: Vec<u32> = row_ptr[..self.n_source as usize].to_vec();
        let mut target = Indices::zeros(total, n);
        let mut weight = vec![0f32; total];
        let with_pos = self.length_um > 0.0 && keep_positions;
        let scale = PositionScale::new(self.length_um);
        let mut position = if with_pos { vec![0u16; total] } else { Vec::new() };
        let mut delay_extra = if self.delay_steps.is_some() {
            vec![0u8; total]
        } else {
            Vec::new()
        };
        let mut centres_um: Vec<f64> = Vec::new();
        for j in first..first + n as u32 {
            buf.clear();
            self.sources_of(j, &mut buf);
            let mut wrng = self.stream(Purpose::Weight, j);
            let mut prng = self.stream(Purpose::Placement, j);
            let mut drng = self.stream(Purpose::Delay, j);
            if with_pos && let Placement::Clustered { clusters, .. } = self.desc.placement {
                centres_um.clear();
                centres_um.extend((0..clusters).map(|_| self.length_um * prng.random::<f64>()));
            }
            // Listed positions follow the explicit pairs, which `sources_of` returns in this order.
            let listed = match (&self.desc.placement, &self.explicit) {
                (Placement::Listed(positions), Some(lists)) => Some((positions, &lists[j as usize])),
                _ => None,
            };
            for (n, &s) in buf.iter().enumerate() {
                let at = cursor[s as usize] as usize;
                cursor[s as usize] += 1;
                target.set(at, j - first);
                weight[at] = draw_weight(&self.desc.weight, &mut wrng) as f32;
                if with_pos {
                    position[at] = scale.encode(match listed {
                        Some((positions, pairs)) => positions[pairs[n].1 as usize].min(self.length_um),
                        None => draw_position(&self.desc.placement, self.length_um, &centres_um, &mut prng),
                    });
                }
                if let Some((lo, hi)) = self.delay_steps {
                    // Uniform over the whole steps lo..=hi.
                    let span = hi - lo + 1;
                    delay_extra[at] = ((drng.random::<f64>() * span as f64) as u64).min(span - 1) as u8;
                }
            }
        }
        Ok(Csr {
            row_ptr,
            target,
            weight,
            shared_weight: None,
            position,
            position_scale: scale,
            delay_extra,
        })
    }
}

fn draw_weight(dist: &WeightDist, rng: &mut ChaCha8Rng) -> f64 {
    match *dist {
        WeightDist::Constant(w) => w,
        WeightDist::Uniform { lo, hi } => lo + (hi - lo) * rng.random::<f64>(),
        WeightDist::Normal { mean, sd, lo, hi } => match Normal::new(mean, sd) {
            Ok(d) => d.sample(rng).clamp(lo, hi),
            Err(_) => mean.clamp(lo, hi),
        },
    }
}

fn draw_position(placement: &Placement, length_um: f64, centres_um: &[f64], rng: &mut ChaCha8Rng) -> f64 {
    match placement {
        Placement::Clustered { spread_um, .. } => {
            let centre = centres_um
                [((rng.random::<f64>() * centres_um.len() as f64) as usize).min(centres_um.len() - 1)];
            let offset = match Normal::new(0.0, *spread_um) {
                Ok(d) => d.sample(rng),
                Err(_) => 0.0,
            };
            (centre + offset).clamp(0.0, length_um)
        }
        Placement::Uniform => length_um * rng.random::<f64>(),
        Placement::Between { from_um, to_um } => {
            let (a, b) = (from_um.min(length_um), to_um.min(length_um));
            a + (b - a) * rng.random::<f64>()
        }
        Placement::At(x) => x.min(length_um),
        // Handled by the caller (explicit pairs); a listed placement without them is rejected
        // by validation.
        Placement::Listed(_) => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proj(connectivity: Connectivity, same_pop: bool) -> ProjectionDesc {
        ProjectionDesc {
            name: "p".into(),
            source: 0,
            target: if same_pop { 0 } else { 1 },
            receptor: 0,
            connectivity,
            weight: WeightDist::Uniform { lo: 1.0, hi: 2.0 },
            delay_ms: 1.0,
            delay_max_ms: None,
            placement: Placement::Uniform,
            allow_autapses: false,
            delay_site: dendra_model::DelaySite::Axonal,
        }
    }

    #[test]
    fn partitions_hold_the_same_synapses() {
        let d = proj(Connectivity::Bernoulli { p: 0.1 }, true);
        let mut plan = ProjectionPlan::new(&d, 0, 500, 500, 100.0, 9);
        plan.delay_steps = Some((10, 40));
        let whole = plan.build(0, 500).unwrap();
        let a = plan.build(0, 200).unwrap();
        let b = plan.build(200, 300).unwrap();
        assert_eq!(whole.len(), a.len() + b.len());
        for s in 0..500usize {
            let row = |c: &Csr, off: u32| -> Vec<(u32, f32, u16, u8)> {
                (c.row_ptr[s] as usize..c.row_ptr[s + 1] as usize)
                    .map(|k| {
                        (
                            c.target.get(k) + off,
                            c.weight[k],
                            c.position[k],
                            c.delay_extra[k],
                        )
                    })
                    .collect()
            };
            let mut joined = row(&a, 0);
            joined.extend(row(&b, 200));
            assert_eq!(row(&whole, 0), joined, "source {s}");
        }
    }

    #[test]
    fn share_weight_only_when_all_equal() {
        let d = proj(Connectivity::Bernoulli { p: 0.1 }, true);
        let plan = ProjectionPlan::new(&d, 0, 300, 300, 0.0, 2);
        let mut csr = plan.build(0, 300).unwrap();
        let drawn = csr.weight.clone();
        assert!(!csr.share_weight(), "uniform draws differ");
        assert_eq!(csr.weight, drawn);
        csr.weight.iter_mut().for_each(|w| *w = 1.5);
        let bytes = csr.heap_bytes();
        assert!(csr.share_weight());
        assert!(csr.weight.is_empty());
        assert_eq!(bytes - csr.heap_bytes(), 4 * csr.len());
        assert!((0..csr.len()).all(|k| csr.weight_of(k) == 1.5));
    }

    #[test]
    fn bernoulli_count_and_no_autapses() {
        let d = proj(Connectivity::Bernoulli { p: 0.02 }, true);
        let plan = ProjectionPlan::new(&d, 0, 4000, 4000, 0.0, 1);
        let csr = plan.build(0, 4000).unwrap();
        let expected = 0.02 * 4000.0 * 3999.0;
        let sd = (expected * 0.98f64).sqrt();
        assert!((csr.len() as f64 - expected).abs() < 5.0 * sd, "{}", csr.len());
        for s in 0..4000usize {
            let row: Vec<u32> = (csr.row_ptr[s] as usize..csr.row_ptr[s + 1] as usize)
                .map(|k| csr.target.get(k))
                .collect();
            assert!(!row.contains(&(s as u32)));
            assert!(row.windows(2).all(|w| w[0] < w[1]), "sorted, no multapses");
        }
        assert!(csr.position.is_empty());
    }

    #[test]
    fn bernoulli_with_a_vanishing_p_ends_and_connects_nothing() {
        // 1 - 1e-20 is 1 in f64: the gap's logarithm must not be taken of it.
        for p in [1e-20, 1e-300, f64::MIN_POSITIVE] {
            let d = proj(Connectivity::Bernoulli { p }, true);
            let plan = ProjectionPlan::new(&d, 0, 1000, 1000, 0.0, 1);
            assert_eq!(plan.build(0, 1000).unwrap().len(), 0, "p = {p}");
        }
    }

    #[test]
    fn fixed_indegree_is_exact_and_distinct() {
        let d = proj(Connectivity::FixedIndegree { k: 30 }, true);
        let plan = ProjectionPlan::new(&d, 3, 100, 100, 0.0, 1);
        let mut buf = Vec::new();
        for j in 0..100 {
            buf.clear();
            plan.sources_of(j, &mut buf);
            assert_eq!(buf.len(), 30);
            assert!(!buf.contains(&j));
            assert!(buf.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn positions_respect_placement() {
        let mut d = proj(Connectivity::AllToAll, false);
        d.placement = Placement::Between {
            from_um: 20.0,
            to_um: 30.0,
        };
        let csr = ProjectionPlan::new(&d, 0, 10, 10, 100.0, 1).build(0, 10).unwrap();
        assert_eq!(csr.len(), 100);
        // Within the range, to the resolution of the codes.
        let step = csr.position_scale.step_um() as f32;
        assert!(
            (0..csr.len())
                .filter_map(|k| csr.position_um(k))
                .all(|x| (20.0 - step..=30.0 + step).contains(&x))
        );
        assert!(csr.weight.iter().all(|&w| (1.0..2.0).contains(&w)));
    }

    #[test]
    fn listed_positions_follow_their_pairs_on_every_partition() {
        // Pairs out of source order, a repeated pair, two targets.
        let pairs = vec![(3, 0), (1, 0), (2, 1), (1, 0), (0, 1)];
        let mut d = proj(Connectivity::Explicit(pairs.clone()), false);
        d.placement = Placement::Listed(vec![10.0, 20.0, 30.0, 40.0, 500.0]);
        let plan = ProjectionPlan::new(&d, 0, 4, 2, 100.0, 1);
        let mut found = Vec::new();
        for (first, n) in [(0, 2), (0, 1), (1, 1)] {
            let csr = plan.build(first, n).unwrap();
            for s in 0..4 {
                for k in csr.row_ptr[s] as usize..csr.row_ptr[s + 1] as usize {
                    found.push((s as u32, csr.target.get(k) + first, csr.position_um(k).unwrap()));
                }
            }
        }
        let whole = &found[..5];
        let parts = &found[5..];
        let mut parts = parts.to_vec();
        parts.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let mut whole = whole.to_vec();
        whole.sort_by(|a, b| a.partial_cmp(b).unwrap());
        // Position 500 is clipped to the 100 µm compartment; positions are kept to the
        // resolution of their codes (100 / 65535 µm).
        let scale = PositionScale::new(100.0);
        let coded = |x: f64| scale.decode(scale.encode(x));
        let expect = vec![
            (0, 1, 100.0),
            (1, 0, 20.0),
            (1, 0, coded(40.0)),
            (2, 1, coded(30.0)),
            (3, 0, coded(10.0)),
        ];
        assert!((coded(10.0) - 10.0).abs() <= 0.5 * scale.step_um() as f32);
        assert_eq!(whole, expect);
        assert_eq!(parts, expect);
    }

    #[test]
    fn clustered_positions_gather_around_few_centres() {
        let mut d = proj(Connectivity::AllToAll, false);
        d.placement = Placement::Clustered {
            clusters: 2,
            spread_um: 1.0,
        };
        let csr = ProjectionPlan::new(&d, 0, 200, 1, 200.0, 1).build(0, 1).unwrap();
        let mut xs: Vec<f32> = (0..csr.len()).filter_map(|k| csr.position_um(k)).collect();
        xs.sort_by(f32::total_cmp);
        assert!(xs.iter().all(|&x| (0.0..=200.0).contains(&x)));
        // Two tight groups: all but one gap between neighbours are small.
        let big_gaps = xs.windows(2).filter(|w| w[1] - w[0] > 8.0).count();
        assert!(big_gaps <= 1, "{big_gaps} gaps: {xs:?}");
        // Uniform placement of 200 synapses on 200 µm has no such gaps but a much wider spread.
        let spread = xs[xs.len() - 1] - xs[0];
        assert!(spread < 200.0);
    }
}
