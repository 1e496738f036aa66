//! Stimuli compiled for one worker's slice of a population: time windows in steps and local
//! neuron indices.

use dendra_core::{Clock, ParamError, Purpose, StreamKey};
use dendra_model::{Selection, Stimulus, StimulusKind, Waveform, Window};
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_pcg::Pcg64Mcg;

use crate::error::SimResult;

/// One stimulus restricted to the neurons a worker owns.
#[derive(Debug, Clone)]
pub struct LocalStimulus {
    /// First step at which it acts.
    pub start_step: u64,
    /// First step at which it no longer acts (`u64::MAX`: never stops).
    pub stop_step: u64,
    /// The window in ms (for ramps).
    pub window: Window,
    /// Local indices of the neurons it acts on.
    pub neurons: Vec<u32>,
    /// What it does.
    pub kind: StimulusKind,
    /// Per-neuron draws of a noise current.
    pub noise: Option<NoiseDraws>,
    /// Steps of forced spikes (`StimulusKind::Spikes`), increasing, and the next one due.
    pub forced_steps: Vec<u64>,
    /// Index of the next forced spike step not yet reached.
    pub next_forced: usize,
}

/// The per-neuron part of a noise current: one generator per selected neuron (a 16-byte PCG
/// seeded from the stream of the stimulus and the neuron), and the current draws.
#[derive(Debug, Clone)]
pub struct NoiseDraws {
    /// Steps each draw is held.
    interval_steps: u64,
    /// Standard deviation (pA).
    std_pa: f64,
    rng: Vec<Pcg64Mcg>,
    /// This interval's deviation from the mean (pA), one per selected neuron.
    values_pa: Vec<f64>,
}

impl NoiseDraws {
    /// The deviations from the mean (pA) during step `n` of a stimulus that starts at
    /// `start_step`, one per selected neuron, drawn afresh at the start of each interval.
    pub fn at_step(&mut self, n: u64, start_step: u64) -> &[f64] {
        if (n - start_step).is_multiple_of(self.interval_steps) {
            for (v, rng) in self.values_pa.iter_mut().zip(&mut self.rng) {
                let z: f64 = rng.sample(StandardNormal);
                *v = self.std_pa * z;
            }
        }
        &self.values_pa
    }
}

impl LocalStimulus {
    /// Whether it acts during step `n`.
    pub fn active(&self, n: u64) -> bool {
        n >= self.start_step && n < self.stop_step
    }

    /// Whether step `n` starts or ends its window.
    pub fn edge(&self, n: u64) -> bool {
        n == self.start_step || n == self.stop_step
    }

    /// Current amplitude (pA) of a current clamp or photocurrent at `t_ms`.
    pub fn current_pa(&self, t_ms: f64) -> f64 {
        match &self.kind {
            StimulusKind::CurrentClamp { waveform, .. } => waveform.amplitude_pa(&self.window, t_ms),
            StimulusKind::Optogenetic { current_pa } => *current_pa,
            _ => 0.0,
        }
    }
}

/// The neurons of `stim` that fall in `[first, first + n)`, as local indices.
///
/// `Selection::Fraction` draws each neuron's membership from its own stream keyed by the
/// stimulus index and the neuron, so membership does not depend on the partition.
pub fn compile(
    stim: &Stimulus,
    stim_index: usize,
    first: u32,
    n: usize,
    clock: &Clock,
    seed: u64,
) -> SimResult<LocalStimulus> {
    let range = first..first + n as u32;
    let neurons: Vec<u32> = match &stim.neurons {
        Selection::All => (0..n as u32).collect(),
        Selection::Indices(ix) => {
            let mut v: Vec<u32> = ix
                .iter()
                .filter(|i| range.contains(i))
                .map(|i| i - first)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        }
        Selection::Fraction(f) => range
            .clone()
            .filter(|&i| {
                let mut rng = StreamKey::new(seed, Purpose::Opsin, stim_index as u32, i as u64).rng();
                rng.random::<f64>() < *f
            })
            .map(|i| i - first)
            .collect(),
    };
    // Window times are instants, not durations held in 32 bits: a time beyond any run just
    // never comes (saturating), where a duration check would refuse it.
    let instant = |key: &str, ms: f64| -> SimResult<u64> {
        if ms.is_nan() || ms < 0.0 {
            return Err(ParamError::new(key, "a time >= 0 ms", ms).into());
        }
        Ok((ms / clock.dt_ms()).round().min(u64::MAX as f64) as u64)
    };
    let start_step = instant("window.start_ms", stim.window.start_ms)?;
    let stop_step = instant("window.stop_ms", stim.window.stop_ms)?;
    let noise = match stim.kind {
        StimulusKind::CurrentClamp {
            waveform: Waveform::Noise {
                std_pa, interval_ms, ..
            },
            ..
        } => {
            let interval_steps = clock.steps("waveform.interval_ms", interval_ms)?.max(1);
            let rng = neurons
                .iter()
                .map(|&i| {
                    let key = StreamKey::new(
                        seed,
                        Purpose::NoiseCurrent,
                        stim_index as u32,
                        u64::from(first + i),
                    );
                    Pcg64Mcg::from_rng(&mut key.rng())
                })
                .collect();
            Some(NoiseDraws {
                interval_steps,
                std_pa,
                rng,
                values_pa: vec![0.0; neurons.len()],
            })
        }
        _ => None,
    };
    Ok(LocalStimulus {
        start_step,
        stop_step,
        window: stim.window,
        neurons,
        kind: stim.kind.clone(),
        noise,
        forced_steps: match &stim.kind {
            StimulusKind::Spikes { times_ms } => times_ms
                .iter()
                // Emitted in the step that ends at the time, so that the spike is stamped
                // with it (spikes of step `n` carry the time `(n + 1) dt`).
                .map(|&t| {
                    start_step
                        .saturating_add((t / clock.dt_ms()).round() as u64)
                        .saturating_sub(1)
                })
                .collect(),
            _ => Vec::new(),
        },
        next_forced: 0,
    })
}

/// Whether a stimulus kind injects a current through the per-step input vector.
pub fn injects_current(kind: &StimulusKind) -> bool {
    matches!(
        kind,
        StimulusKind::CurrentClamp { .. } | StimulusKind::Optogenetic { .. } | StimulusKind::Kir { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use dendra_model::Waveform;

    #[test]
    fn fraction_membership_is_partition_independent() {
        let stim = Stimulus {
            population: 0,
            neurons: Selection::Fraction(0.3),
            window: Window::ALWAYS,
            kind: StimulusKind::Optogenetic { current_pa: 100.0 },
        };
        let clock = Clock::default();
        let whole = compile(&stim, 0, 0, 1000, &clock, 5).unwrap();
        let a = compile(&stim, 0, 0, 400, &clock, 5).unwrap();
        let b = compile(&stim, 0, 400, 600, &clock, 5).unwrap();
        let joined: Vec<u32> = a
            .neurons
            .iter()
            .copied()
            .chain(b.neurons.iter().map(|i| i + 400))
            .collect();
        assert_eq!(whole.neurons, joined);
        let frac = whole.neurons.len() as f64 / 1000.0;
        assert!((frac - 0.3).abs() < 0.05, "{frac}");
    }

    #[test]
    fn ramp_interpolates_over_window() {
        let stim = LocalStimulus {
            start_step: 0,
            stop_step: 100,
            window: Window::new(0.0, 10.0),
            neurons: vec![0],
            kind: StimulusKind::CurrentClamp {
                compartment: 0,
                waveform: Waveform::Ramp {
                    from_pa: 0.0,
                    to_pa: 100.0,
                },
            },
            noise: None,
            forced_steps: Vec::new(),
            next_forced: 0,
        };
        assert!((stim.current_pa(2.5) - 25.0).abs() < 1e-12);
        assert!(stim.active(99) && !stim.active(100));
    }
}
