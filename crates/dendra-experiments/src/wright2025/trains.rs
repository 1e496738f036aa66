//! Presynaptic spike trains given as data: the cue and the spontaneous assemblies.
//!
//! - **Cue** sources fire as Poisson processes at `CUE_RATE_HZ` while the cue is on (the
//!   response window of each trial) and at `CUE_BASE_HZ` otherwise.
//! - **Assemblies**: each assembly has burst times from a Poisson process at
//!   `ASSEMBLY_EVENT_HZ`, unrelated to the task; at each burst every member fires with
//!   probability `ASSEMBLY_P` at a normally distributed offset (`ASSEMBLY_JITTER_MS`), and a
//!   second spike follows `ASSEMBLY_ISI_MS` later with probability 0.5; members also fire
//!   independently at `ASSEMBLY_BASE_HZ`.
//!
//! All draws come from `(seed, Task, stream, source)` streams.

use dendra_core::{Purpose, StreamKey};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::layout::ASSEMBLY_SIZE;

/// Cue-source rate while the cue is on (Hz).
pub const CUE_RATE_HZ: f64 = 40.0;
/// Cue-source rate otherwise (Hz).
pub const CUE_BASE_HZ: f64 = 2.0;
/// Assembly burst rate (Hz).
pub const ASSEMBLY_EVENT_HZ: f64 = 0.5;
/// Probability that a member joins a burst.
pub const ASSEMBLY_P: f64 = 0.8;
/// Jitter of a member's spike in a burst (ms, s.d.).
pub const ASSEMBLY_JITTER_MS: f64 = 5.0;
/// Interval to a member's second spike in a burst (ms).
pub const ASSEMBLY_ISI_MS: f64 = 15.0;
/// Independent background rate of assembly members (Hz).
pub const ASSEMBLY_BASE_HZ: f64 = 0.3;

/// Spike times of a Poisson process at `rate_hz` in `[t0, t1)` (ms), appended to `out`.
fn poisson(rng: &mut ChaCha8Rng, rate_hz: f64, t0: f64, t1: f64, out: &mut Vec<f64>) {
    if rate_hz <= 0.0 {
        return;
    }
    let mut t = t0;
    loop {
        t += -(1.0 - rng.random::<f64>()).ln() * 1000.0 / rate_hz;
        if t >= t1 {
            break;
        }
        out.push(t);
    }
}

/// Cue trains for `n` sources over `duration_ms`, with the cue on in `windows` (sorted `[a, b)`).
pub fn cue(seed: u64, n: u32, windows: &[(f64, f64)], duration_ms: f64) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| {
            let mut rng = StreamKey::new(seed, Purpose::Task, 1, u64::from(i)).rng();
            let mut out = Vec::new();
            let mut t = 0.0;
            for &(a, b) in windows {
                poisson(&mut rng, CUE_BASE_HZ, t, a, &mut out);
                poisson(&mut rng, CUE_RATE_HZ, a, b, &mut out);
                t = b;
            }
            poisson(&mut rng, CUE_BASE_HZ, t, duration_ms, &mut out);
            out
        })
        .collect()
}

/// Assembly trains for `n` sources (assembly `k / ASSEMBLY_SIZE`) over `duration_ms`.
pub fn assemblies(seed: u64, n: u32, duration_ms: f64) -> Vec<Vec<f64>> {
    let jitter = Normal::new(0.0, ASSEMBLY_JITTER_MS).expect("a positive jitter");
    let groups = (n as usize).div_ceil(ASSEMBLY_SIZE);
    let mut trains = vec![Vec::new(); n as usize];
    for g in 0..groups {
        let mut rng = StreamKey::new(seed, Purpose::Task, 2, g as u64).rng();
        let mut bursts = Vec::new();
        poisson(&mut rng, ASSEMBLY_EVENT_HZ, 0.0, duration_ms, &mut bursts);
        for m in 0..ASSEMBLY_SIZE {
            let k = g * ASSEMBLY_SIZE + m;
            if k >= n as usize {
                break;
            }
            let mut rng = StreamKey::new(seed, Purpose::Task, 3, k as u64).rng();
            let mut out = Vec::new();
            poisson(&mut rng, ASSEMBLY_BASE_HZ, 0.0, duration_ms, &mut out);
            for &b in &bursts {
                if rng.random::<f64>() < ASSEMBLY_P {
                    let t = b + jitter.sample(&mut rng);
                    out.push(t);
                    if rng.random::<f64>() < 0.5 {
                        out.push(t + ASSEMBLY_ISI_MS);
                    }
                }
            }
            out.retain(|&t| (0.0..duration_ms).contains(&t));
            out.sort_by(f64::total_cmp);
            trains[k] = out;
        }
    }
    trains
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cue_rates_follow_the_windows() {
        let windows: Vec<(f64, f64)> = (0..50)
            .map(|k| (k as f64 * 2000.0 + 500.0, k as f64 * 2000.0 + 1500.0))
            .collect();
        let trains = cue(1, 20, &windows, 100_000.0);
        let inside: usize = trains
            .iter()
            .flatten()
            .filter(|&&t| windows.iter().any(|&(a, b)| t >= a && t < b))
            .count();
        let all: usize = trains.iter().map(Vec::len).sum();
        // Expected inside: 20 x 50 s x 40 Hz = 40 000; outside: 20 x 50 s x 2 Hz = 2000.
        assert!((inside as f64 - 40_000.0).abs() < 800.0, "{inside}");
        assert!(((all - inside) as f64 - 2000.0).abs() < 200.0, "{}", all - inside);
        assert!(trains.iter().all(|t| t.windows(2).all(|w| w[0] <= w[1])));
    }

    #[test]
    fn assembly_members_share_bursts() {
        let trains = assemblies(1, 6, 2_000_000.0);
        // Members of one assembly spike within 20 ms of each other far more often than members
        // of different assemblies.
        let near = |a: &[f64], b: &[f64]| {
            a.iter()
                .filter(|&&t| b.iter().any(|&u| (t - u).abs() < 20.0))
                .count()
        };
        let same = near(&trains[0], &trains[1]);
        let other = near(&trains[0], &trains[3]);
        assert!(same > 5 * other.max(1), "{same} vs {other}");
        // 0.3 + 0.5 x 0.8 x 1.5 = 0.9 Hz; over 2000 s the s.d. of the estimate is ~0.03 Hz.
        for t in &trains {
            let rate = t.len() as f64 / 2000.0;
            assert!((rate - 0.9).abs() < 0.1, "{rate}");
        }
    }
}
