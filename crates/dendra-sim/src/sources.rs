//! Spike sources: homogeneous and inhomogeneous Poisson generators and spike trains given as
//! data.
//!
//! A population of Poisson sources is cut into fixed chunks of [`CHUNK_SOURCES`] consecutive
//! sources, and each chunk draws the superposition of its sources' trains: a Poisson process
//! at `n · rate` in continuous time, each of whose events belongs to a source drawn uniformly
//! from the chunk. Marking a Poisson process with independent uniform labels splits it into
//! independent Poisson processes (Kingman 1993, the colouring theorem), so every source is an
//! independent Poisson process at `rate`, exactly as if it drew its own intervals, while the
//! cost is one interval (a standard exponential by the ziggurat method, `rand_distr::Exp1`,
//! which takes a logarithm only in its rare tail) and one label per spike, with no per-source
//! state to touch: the sources of a whole network fit in a few cache lines. Each chunk draws
//! from its own generator, a PCG (`Pcg64Mcg`) seeded from the chunk's keyed ChaCha stream
//! (`Purpose::Poisson`, population, chunk index); chunks do not depend on the partition
//! between threads (a worker whose slice starts or ends inside a chunk draws the whole chunk
//! and keeps its own sources' spikes), so neither do spike times, nor on `dt` beyond their
//! assignment to a step. Inhomogeneous sources use thinning (Lewis & Shedler 1979):
//! candidates at the profile's peak rate are accepted with probability `rate(t) / peak`.
//! Spikes that fall into the same step are emitted once per spike (the target receives the
//! weight that many times). A spike at time `t` is stamped at the first grid time `>= t`.

use dendra_core::{Clock, Purpose, StreamKey};
use dendra_model::{RateProfile, SourceParams};
use rand::RngExt;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// Sources per chunk of a Poisson population (the last chunk may hold fewer).
pub const CHUNK_SOURCES: u32 = 256;

/// One worker's slice of a source population.
#[derive(Debug)]
pub struct SourceBlock {
    /// Population index.
    pub pop: usize,
    /// Population index of local source 0.
    pub first: u32,
    /// Number of local sources.
    pub n: usize,
    kind: Kind,
    /// While muted, spikes are drawn (streams advance as usual) but not emitted.
    muted: bool,
    /// No source emits before this step: [`SourceBlock::step`] returns at once before it.
    next_due: u64,
}

#[derive(Debug)]
enum Kind {
    Poisson {
        /// The chunks that hold a local source, in order.
        chunks: Vec<Chunk>,
        peak_hz: f64,
        profile: Option<RateProfile>,
    },
    Trains {
        /// All `(step, local index)` in order.
        events: Vec<(u64, u32)>,
        cursor: usize,
    },
}

/// One chunk of a Poisson population: the superposed train of its sources.
#[derive(Debug)]
struct Chunk {
    rng: Pcg64Mcg,
    /// Population index of the chunk's first source.
    first: u32,
    /// Number of sources in the chunk.
    n: u32,
    /// Mean interval of the superposed train, `1000 / (n · peak_hz)` (ms; infinite if the
    /// rate is zero), and steps per ms: fixed, so that a spike costs no division.
    interval_ms: f64,
    steps_per_ms: f64,
    /// Time of the next candidate event (ms; infinite if the rate is zero).
    next_ms: f64,
    /// The step that emits it.
    next_step: u64,
}

impl Chunk {
    /// Chunk `index` of population `pop` (of `size` sources), its first event drawn.
    fn new(pop: usize, index: u32, size: u32, peak_hz: f64, dt_ms: f64, seed: u64) -> Self {
        let mut stream = StreamKey::new(seed, Purpose::Poisson, pop as u32, u64::from(index)).rng();
        let first = index * CHUNK_SOURCES;
        let n = CHUNK_SOURCES.min(size - first);
        let rate_hz = peak_hz * f64::from(n);
        let mut chunk = Chunk {
            rng: Pcg64Mcg::from_rng(&mut stream),
            first,
            n,
            interval_ms: if rate_hz > 0.0 {
                1000.0 / rate_hz
            } else {
                f64::INFINITY
            },
            steps_per_ms: 1.0 / dt_ms,
            next_ms: 0.0,
            next_step: 0,
        };
        chunk.advance();
        chunk
    }

    /// Draw the next candidate event of the superposed train (at `n · peak_hz`).
    #[inline]
    fn advance(&mut self) {
        if self.interval_ms == f64::INFINITY {
            self.next_ms = f64::INFINITY;
            self.next_step = u64::MAX;
            return;
        }
        // A standard exponential interval by the ziggurat method (no logarithm but rarely).
        let e: f64 = self.rng.sample(rand_distr::Exp1);
        self.next_ms += self.interval_ms * e;
        self.next_step = emission_step(self.next_ms, self.steps_per_ms);
    }

    /// Take the candidate events due by step `n`: each accepted one (always, without a
    /// profile) is given to a source drawn uniformly from the chunk, whose population index
    /// goes to `emit`.
    #[inline]
    fn take(&mut self, n: u64, peak_hz: f64, profile: Option<&RateProfile>, mut emit: impl FnMut(u32)) {
        while self.next_step <= n {
            let accepted = match profile {
                None => true,
                Some(p) => {
                    let accept: f64 = self.rng.random();
                    accept * peak_hz < p.rate_hz(self.next_ms)
                }
            };
            if accepted {
                let j: u32 = self.rng.random_range(0..self.n);
                emit(self.first + j);
            }
            self.advance();
        }
    }
}

impl SourceBlock {
    /// Build the slice `[first, first + n)` of source population `pop`, which holds `size`
    /// sources in all.
    pub fn new(
        pop: usize,
        params: &SourceParams,
        (first, n): (u32, usize),
        size: u32,
        clock: &Clock,
        seed: u64,
    ) -> Self {
        let dt_ms = clock.dt_ms();
        let steps_per_ms = 1.0 / dt_ms;
        let poisson = |peak_hz: f64, profile: Option<RateProfile>| {
            let chunks = if n == 0 {
                Vec::new()
            } else {
                let last = (first + n as u32 - 1) / CHUNK_SOURCES;
                (first / CHUNK_SOURCES..=last)
                    .map(|c| Chunk::new(pop, c, size, peak_hz, dt_ms, seed))
                    .collect()
            };
            Kind::Poisson {
                chunks,
                peak_hz,
                profile,
            }
        };
        let kind = match params {
            SourceParams::Poisson { rate_hz } => poisson(*rate_hz, None),
            SourceParams::InhomogeneousPoisson { profile } => {
                poisson(profile.max_rate_hz(), Some(profile.clone()))
            }
            SourceParams::SpikeTrains { trains } => {
                let mut events: Vec<(u64, u32)> = trains[first as usize..first as usize + n]
                    .iter()
                    .enumerate()
                    .flat_map(|(i, train)| {
                        train
                            .iter()
                            .map(move |&t| (emission_step(t, steps_per_ms), i as u32))
                    })
                    .collect();
                events.sort_unstable();
                Kind::Trains { events, cursor: 0 }
            }
        };
        let mut block = SourceBlock {
            pop,
            first,
            n,
            kind,
            muted: false,
            next_due: 0,
        };
        block.next_due = block.first_due();
        block
    }

    /// The earliest step at which a source of the block has an event left to take.
    fn first_due(&self) -> u64 {
        match &self.kind {
            Kind::Poisson { chunks, .. } => chunks.iter().map(|c| c.next_step).min().unwrap_or(u64::MAX),
            Kind::Trains { events, cursor } => events.get(*cursor).map_or(u64::MAX, |e| e.0),
        }
    }

    /// Mute or unmute the sources: muted sources draw their spikes as usual (so their random
    /// streams, and everything after unmuting, are unchanged) but emit none.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    /// Emit the local indices of sources spiking in step `n` (`[t_n, t_{n+1})`), in ascending
    /// order of index; a source spiking k times in the step appears k times.
    pub fn step(&mut self, n: u64, spikes: &mut Vec<u32>) {
        if n < self.next_due {
            return;
        }
        let start = spikes.len();
        match &mut self.kind {
            Kind::Poisson {
                chunks,
                peak_hz,
                profile,
            } => {
                let (lo, hi) = (self.first, self.first + self.n as u32);
                for chunk in chunks {
                    chunk.take(n, *peak_hz, profile.as_ref(), |s| {
                        if (lo..hi).contains(&s) {
                            spikes.push(s - lo);
                        }
                    });
                }
            }
            Kind::Trains { events, cursor } => {
                while *cursor < events.len() && events[*cursor].0 <= n {
                    if events[*cursor].0 == n {
                        spikes.push(events[*cursor].1);
                    }
                    *cursor += 1;
                }
            }
        }
        self.next_due = self.first_due();
        if self.muted {
            spikes.truncate(start);
        } else {
            spikes[start..].sort_unstable();
        }
    }
}

/// The step that emits a spike at `t_ms`: spikes emitted in step `n` are stamped `t_{n+1}`, so a
/// spike is stamped at the first grid time at or after `t_ms` (at least `dt`), as NEST's
/// `spike_generator` does on the grid.
///
/// That is `max(ceil(x) - 1, 0)` for `x = t_ms / dt - 1e-9`, with `steps_per_ms = 1 / dt`,
/// computed by truncation: the baseline x86-64 has no rounding instruction, and `ceil` was a
/// call at every spike. A product, not a quotient (whose latency held up every spike's step),
/// and signed conversions (one instruction each, unsigned ones several); the `1e-9` absorbs
/// the product's rounding at grid times.
#[inline]
fn emission_step(t_ms: f64, steps_per_ms: f64) -> u64 {
    let x = t_ms * steps_per_ms - 1e-9;
    if x <= 0.0 {
        return 0;
    }
    // `0 < x < 2^63`: `whole = floor(x)`, and `ceil(x) - 1` is `whole` unless `x` is whole.
    let whole = x as i64;
    (if (whole as f64) < x { whole } else { whole - 1 }) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spike_steps(params: &SourceParams, n_src: usize, steps: u64) -> Vec<Vec<u64>> {
        let clock = Clock::default();
        let mut b = SourceBlock::new(0, params, (0, n_src), n_src as u32, &clock, 42);
        let mut out = vec![Vec::new(); n_src];
        let mut buf = Vec::new();
        for s in 0..steps {
            buf.clear();
            b.step(s, &mut buf);
            for &i in &buf {
                out[i as usize].push(s);
            }
        }
        out
    }

    #[test]
    fn poisson_rate_and_cv_within_statistical_bounds() {
        // 200 sources at 20 Hz for 50 s: 200 000 expected spikes.
        let rate = 20.0;
        let steps = 500_000;
        let trains = spike_steps(&SourceParams::Poisson { rate_hz: rate }, 200, steps);
        let total: usize = trains.iter().map(Vec::len).sum();
        let expected = rate * 200.0 * 50.0;
        // Poisson count: sd = sqrt(expected); allow 4 sd.
        assert!(
            (total as f64 - expected).abs() < 4.0 * expected.sqrt(),
            "{total} vs {expected}"
        );
        // CV of ISIs of an exponential process is 1; with ~1000 ISIs per train the pooled
        // estimate has a standard error well below 0.02.
        let isis: Vec<f64> = trains
            .iter()
            .flat_map(|t| t.windows(2).map(|w| (w[1] - w[0]) as f64 * 0.1))
            .collect();
        let mean = isis.iter().sum::<f64>() / isis.len() as f64;
        let var = isis.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (isis.len() - 1) as f64;
        let cv = var.sqrt() / mean;
        assert!((mean - 50.0).abs() < 1.0, "mean ISI {mean} ms");
        assert!((cv - 1.0).abs() < 0.03, "CV {cv}");
    }

    #[test]
    fn inhomogeneous_rate_follows_profile() {
        let profile = RateProfile::PiecewiseLinear(vec![(0.0, 0.0), (999.9, 0.0), (1000.0, 50.0)]);
        let trains = spike_steps(&SourceParams::InhomogeneousPoisson { profile }, 400, 20_000);
        let early: usize = trains
            .iter()
            .map(|t| t.iter().filter(|&&s| s < 9_999).count())
            .sum();
        let late: usize = trains
            .iter()
            .map(|t| t.iter().filter(|&&s| s >= 10_000).count())
            .sum();
        assert_eq!(early, 0);
        let expected = 50.0 * 400.0;
        assert!((late as f64 - expected).abs() < 4.0 * expected.sqrt(), "{late}");
    }

    #[test]
    fn emission_steps_match_the_ceiling_formula() {
        let reference = |t: f64, dt: f64| ((t / dt - 1e-9).ceil() - 1.0).max(0.0) as u64;
        let mut t = 0.0;
        for k in 0..200_000u64 {
            for dt in [0.1, 0.025, 1.0] {
                assert_eq!(emission_step(t, 1.0 / dt), reference(t, dt), "t {t}, dt {dt}");
                let grid = k as f64 * dt;
                assert_eq!(
                    emission_step(grid, 1.0 / dt),
                    reference(grid, dt),
                    "grid {grid}, dt {dt}"
                );
            }
            t += 0.0137 * ((k % 7) as f64 + 0.5);
        }
        assert_eq!(emission_step(-1.0, 10.0), 0);
        assert_eq!(emission_step(0.0, 10.0), 0);
    }

    #[test]
    fn spike_trains_replay_exactly() {
        let params = SourceParams::SpikeTrains {
            trains: vec![vec![0.0, 1.0, 1.05, 1.1], vec![0.35]],
        };
        // Emitted in step n means stamped at (n + 1) dt: 1.0 -> step 9, 1.05 and 1.1 -> step 10.
        let t = spike_steps(&params, 2, 20);
        assert_eq!(t[0], vec![0, 9, 10, 10]);
        assert_eq!(t[1], vec![3]);
    }

    #[test]
    fn muting_drops_spikes_and_keeps_the_stream() {
        let clock = Clock::new(0.1).unwrap();
        let params = SourceParams::Poisson { rate_hz: 200.0 };
        let mut a = SourceBlock::new(0, &params, (0, 5), 5, &clock, 3);
        let mut b = SourceBlock::new(0, &params, (0, 5), 5, &clock, 3);
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        for n in 0..3000u64 {
            b.set_muted((1000..2000).contains(&n));
            let (la, lb) = (sa.len(), sb.len());
            a.step(n, &mut sa);
            b.step(n, &mut sb);
            if (1000..2000).contains(&n) {
                assert_eq!(sb.len(), lb);
            } else {
                assert_eq!(sa[la..], sb[lb..]);
            }
        }
    }

    /// A worker's slice that starts and ends inside chunks draws the same spikes for its
    /// sources as one slice holding the whole population: spike times do not depend on the
    /// partition between threads.
    #[test]
    fn slices_draw_the_spikes_of_the_whole_population() {
        let clock = Clock::default();
        let params = SourceParams::InhomogeneousPoisson {
            profile: RateProfile::PiecewiseLinear(vec![(0.0, 5.0), (500.0, 80.0), (1000.0, 20.0)]),
        };
        let size = 1000;
        let mut whole = SourceBlock::new(3, &params, (0, size as usize), size, &clock, 9);
        let cuts = [0u32, 300, 301, 700, 1000];
        let mut parts: Vec<SourceBlock> = cuts
            .windows(2)
            .map(|w| SourceBlock::new(3, &params, (w[0], (w[1] - w[0]) as usize), size, &clock, 9))
            .collect();
        let mut total = 0;
        for n in 0..10_000u64 {
            let mut a = Vec::new();
            whole.step(n, &mut a);
            let mut b = Vec::new();
            for p in &mut parts {
                let start = b.len();
                p.step(n, &mut b);
                for s in &mut b[start..] {
                    *s += p.first;
                }
            }
            assert_eq!(a, b, "step {n}");
            total += a.len();
        }
        assert!(total > 20_000, "{total} spikes");
    }

    /// Sources that share a chunk are independent: the counts of two sources in 10 ms bins are
    /// uncorrelated (the superposed train's labels are drawn independently).
    #[test]
    fn sources_of_one_chunk_are_uncorrelated() {
        // 20 sources at 50 Hz for 200 s, in 10 ms bins (100 steps): 20 000 bins.
        let trains = spike_steps(&SourceParams::Poisson { rate_hz: 50.0 }, 20, 2_000_000);
        let bins: Vec<Vec<f64>> = trains
            .iter()
            .map(|t| {
                let mut b = vec![0.0; 20_000];
                for &s in t {
                    b[(s / 100) as usize] += 1.0;
                }
                b
            })
            .collect();
        let corr = |x: &[f64], y: &[f64]| {
            let (mx, my) = (
                x.iter().sum::<f64>() / x.len() as f64,
                y.iter().sum::<f64>() / y.len() as f64,
            );
            let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
            for (a, b) in x.iter().zip(y) {
                sxy += (a - mx) * (b - my);
                sxx += (a - mx) * (a - mx);
                syy += (b - my) * (b - my);
            }
            sxy / (sxx * syy).sqrt()
        };
        let mut worst: f64 = 0.0;
        let mut mean = 0.0;
        for i in 0..20 {
            for j in i + 1..20 {
                let r = corr(&bins[i], &bins[j]);
                worst = worst.max(r.abs());
                mean += r / 190.0;
            }
        }
        // Each r has a standard error of 1/sqrt(20 000) = 0.007; 190 pairs.
        assert!(worst < 0.035, "largest |r| {worst}");
        assert!(mean.abs() < 0.004, "mean r {mean}");
    }

    #[test]
    fn zero_rate_is_silent() {
        let t = spike_steps(&SourceParams::Poisson { rate_hz: 0.0 }, 3, 1000);
        assert!(t.iter().all(Vec::is_empty));
    }
}
