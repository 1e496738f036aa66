//! Spike sources: homogeneous and inhomogeneous Poisson generators and spike trains given as
//! data.
//!
//! Poisson sources draw exponential inter-spike intervals in continuous time from their own
//! generator, a PCG (`Pcg64Mcg`, 16 bytes, so that thousands of sources stay in cache) seeded
//! from the source's keyed ChaCha stream (`Purpose::Poisson`, population, source index); spike
//! times therefore do not depend on `dt` beyond their assignment to a step, nor on the
//! partition between threads. Inhomogeneous
//! sources use thinning (Lewis & Shedler 1979): candidates at the profile's peak rate are
//! accepted with probability `rate(t) / peak`. Spikes that fall into the same step are emitted
//! once per spike (the target receives the weight that many times). A spike at time `t` is
//! stamped at the first grid time `>= t`. Pending spikes are kept in
//! a calendar queue by step (one pending spike per source), so the cost grows with spikes, not
//! with sources × steps, and filing or taking a spike costs the same however many sources
//! there are.

use dendra_core::{Clock, Purpose, StreamKey};
use dendra_model::{RateProfile, SourceParams};
use rand::RngExt;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

use crate::calendar::Calendar;

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
    dt_ms: f64,
    /// While muted, spikes are drawn (streams advance as usual) but not emitted.
    muted: bool,
}

#[derive(Debug)]
enum Kind {
    Poisson {
        /// One small generator per source (16 bytes: thousands of sources stay in cache),
        /// seeded from the source's own keyed stream.
        rng: Vec<Pcg64Mcg>,
        next_ms: Vec<f64>,
        /// Pending spikes: the local index of each source under the step of its next spike.
        pending: Box<Calendar>,
        peak_hz: f64,
        profile: Option<RateProfile>,
    },
    Trains {
        /// All `(step, local index)` in order.
        events: Vec<(u64, u32)>,
        cursor: usize,
    },
}

impl SourceBlock {
    /// Build the slice `[first, first + n)` of source population `pop`.
    pub fn new(pop: usize, params: &SourceParams, first: u32, n: usize, clock: &Clock, seed: u64) -> Self {
        let dt_ms = clock.dt_ms();
        let kind = match params {
            SourceParams::Poisson { rate_hz } => Self::poisson(pop, first, n, *rate_hz, None, dt_ms, seed),
            SourceParams::InhomogeneousPoisson { profile } => Self::poisson(
                pop,
                first,
                n,
                profile.max_rate_hz(),
                Some(profile.clone()),
                dt_ms,
                seed,
            ),
            SourceParams::SpikeTrains { trains } => {
                let mut events: Vec<(u64, u32)> = trains[first as usize..first as usize + n]
                    .iter()
                    .enumerate()
                    .flat_map(|(i, train)| train.iter().map(move |&t| (emission_step(t, dt_ms), i as u32)))
                    .collect();
                events.sort_unstable();
                Kind::Trains { events, cursor: 0 }
            }
        };
        SourceBlock {
            pop,
            first,
            n,
            kind,
            dt_ms,
            muted: false,
        }
    }

    fn poisson(
        pop: usize,
        first: u32,
        n: usize,
        peak_hz: f64,
        profile: Option<RateProfile>,
        dt_ms: f64,
        seed: u64,
    ) -> Kind {
        let mut rng: Vec<Pcg64Mcg> = (0..n)
            .map(|i| {
                let mut stream =
                    StreamKey::new(seed, Purpose::Poisson, pop as u32, first as u64 + i as u64).rng();
                Pcg64Mcg::from_rng(&mut stream)
            })
            .collect();
        let mut next_ms = vec![f64::INFINITY; n];
        let mut pending = Box::new(Calendar::new(n));
        for i in 0..n {
            if let Some(t) = next_spike(&mut rng[i], 0.0, peak_hz, profile.as_ref()) {
                next_ms[i] = t;
                pending.push(emission_step(t, dt_ms), i as u32);
            }
        }
        Kind::Poisson {
            rng,
            next_ms,
            pending,
            peak_hz,
            profile,
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
        let start = spikes.len();
        match &mut self.kind {
            Kind::Poisson {
                rng,
                next_ms,
                pending,
                peak_hz,
                profile,
            } => {
                let dt_ms = self.dt_ms;
                pending.take(n, |pending, i| {
                    let iu = i as usize;
                    spikes.push(i);
                    if let Some(t) = next_spike(&mut rng[iu], next_ms[iu], *peak_hz, profile.as_ref()) {
                        next_ms[iu] = t;
                        pending.push(emission_step(t, dt_ms), i);
                    }
                });
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
fn emission_step(t_ms: f64, dt_ms: f64) -> u64 {
    ((t_ms / dt_ms - 1e-9).ceil() - 1.0).max(0.0) as u64
}

/// The next spike after `t_ms` (ms) of a (possibly thinned) Poisson process, or `None` if the
/// rate is zero.
fn next_spike(rng: &mut Pcg64Mcg, mut t_ms: f64, peak_hz: f64, profile: Option<&RateProfile>) -> Option<f64> {
    if peak_hz <= 0.0 {
        return None;
    }
    let mean_isi_ms = 1000.0 / peak_hz;
    loop {
        // 1 - U is in (0, 1], so the logarithm is finite.
        let u: f64 = rng.random();
        t_ms += -mean_isi_ms * (1.0 - u).ln();
        match profile {
            None => return Some(t_ms),
            Some(p) => {
                let accept: f64 = rng.random();
                if accept * peak_hz < p.rate_hz(t_ms) {
                    return Some(t_ms);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spike_steps(params: &SourceParams, n_src: usize, steps: u64) -> Vec<Vec<u64>> {
        let clock = Clock::default();
        let mut b = SourceBlock::new(0, params, 0, n_src, &clock, 42);
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
        let mut a = SourceBlock::new(0, &params, 0, 5, &clock, 3);
        let mut b = SourceBlock::new(0, &params, 0, 5, &clock, 3);
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

    #[test]
    fn zero_rate_is_silent() {
        let t = spike_steps(&SourceParams::Poisson { rate_hz: 0.0 }, 3, 1000);
        assert!(t.iter().all(Vec::is_empty));
    }
}
