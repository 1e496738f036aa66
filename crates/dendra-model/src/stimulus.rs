//! Stimuli and manipulations on a schedule: current clamp (step, ramp, noise), voltage clamp,
//! optogenetics, spike and bAP block, a Kir-like potassium conductance.

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, finite, in_range, non_negative, positive};

/// A time window `[start_ms, stop_ms)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Start (ms).
    pub start_ms: f64,
    /// End (ms), exclusive; `f64::INFINITY` for "until the end of the run".
    pub stop_ms: f64,
}

impl Window {
    /// The whole run.
    pub const ALWAYS: Window = Window {
        start_ms: 0.0,
        stop_ms: f64::INFINITY,
    };

    /// A window from `start_ms` to `stop_ms`.
    pub fn new(start_ms: f64, stop_ms: f64) -> Self {
        Window { start_ms, stop_ms }
    }

    fn validate(&self) -> ParamResult<()> {
        non_negative("window.start_ms", self.start_ms)?;
        if self.stop_ms.is_nan() || self.stop_ms < self.start_ms {
            return Err(ParamError::new(
                "window.stop_ms",
                format!("a time >= start_ms ({})", self.start_ms),
                self.stop_ms,
            ));
        }
        Ok(())
    }
}

/// Which neurons of a population a stimulus acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// All of them.
    All,
    /// These indices.
    Indices(Vec<u32>),
    /// Each neuron independently with this probability (seeded stream; e.g. opsin expression).
    Fraction(f64),
}

/// The time course of an injected current.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Waveform {
    /// Constant `amplitude_pa` inside the window.
    Step {
        /// Amplitude (pA).
        amplitude_pa: f64,
    },
    /// Linear from `from_pa` at the window's start to `to_pa` at its end (finite window).
    Ramp {
        /// Amplitude at the start (pA).
        from_pa: f64,
        /// Amplitude at the end (pA).
        to_pa: f64,
    },
    /// Gaussian noise current, drawn independently for each neuron and held constant over
    /// intervals of `interval_ms` counted from the window's start (NEST's `noise_generator`):
    /// `I = mean_pa + std_pa ξ`, `ξ ~ N(0, 1)` fresh in each interval. Seeded per stimulus and
    /// neuron, so the draws do not depend on the thread count.
    Noise {
        /// Mean (pA).
        mean_pa: f64,
        /// Standard deviation (pA, >= 0).
        std_pa: f64,
        /// How long each draw is held (ms, > 0; rounded to whole steps, at least one).
        interval_ms: f64,
    },
}

/// What a stimulus does.
#[derive(Debug, Clone, PartialEq)]
pub enum StimulusKind {
    /// Current clamp: inject a current into one compartment.
    CurrentClamp {
        /// Compartment index (0 = soma).
        compartment: usize,
        /// Time course.
        waveform: Waveform,
    },
    /// Voltage clamp: hold one compartment at `hold_mv`; the clamp current is recorded.
    VoltageClamp {
        /// Compartment index (0 = soma).
        compartment: usize,
        /// Holding potential (mV).
        hold_mv: f64,
    },
    /// Optogenetic activation (positive) or silencing (negative) photocurrent into the soma of
    /// the selected (opsin-expressing) neurons.
    Optogenetic {
        /// Photocurrent (pA); > 0 activates (e.g. ChR2), < 0 silences (e.g. GtACR, ArchT).
        current_pa: f64,
    },
    /// Somatic spikes are suppressed (threshold crossings emit nothing; no reset).
    BlockSpikes,
    /// The selected neurons spike at these times (ms from the window's start), whatever their
    /// potential, as if it had crossed threshold: the soma resets, the refractory period
    /// starts, adaptation, bAPs, plasticity and delivery follow as for any spike. For
    /// plasticity protocols written without current pulses. Spikes blocked by `BlockSpikes`
    /// stay blocked.
    Spikes {
        /// Spike times (ms from the window's start), increasing, inside the window.
        times_ms: Vec<f64>,
    },
    /// Back-propagating APs do not reach these dendritic compartments (`None`: all of them);
    /// neither their depolarisation nor their plasticity signal arrives. The soma's own synapses
    /// always see the somatic spike.
    BlockBap {
        /// Compartment indices (>= 1), or `None` for every dendritic compartment.
        compartments: Option<Vec<usize>>,
    },
    /// Ablation: the template's rule `rule` (index into `NeuronTemplate::rules`) stops changing
    /// weights (its signals are still kept, so it resumes seamlessly after the window).
    DisableRule {
        /// Index into the template's rules.
        rule: usize,
    },
    /// A Kir-like potassium conductance added to the soma: `I = g_ns (e_k_mv - V)`; it
    /// hyperpolarises the neuron and lowers its excitability.
    Kir {
        /// Added conductance (nS).
        g_ns: f64,
        /// Potassium reversal potential (mV). Typical -90.
        e_k_mv: f64,
    },
}

/// A stimulus or manipulation on a population during a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Stimulus {
    /// Target population index (a neuron population).
    pub population: usize,
    /// Which of its neurons.
    pub neurons: Selection,
    /// When.
    pub window: Window,
    /// What.
    pub kind: StimulusKind,
}

impl Stimulus {
    /// Check values that do not depend on the population; `n_compartments` of its template.
    pub fn validate(&self, size: u32, n_compartments: usize) -> ParamResult<()> {
        self.window.validate()?;
        match &self.neurons {
            Selection::All => {}
            Selection::Indices(ix) => {
                if let Some((k, &i)) = ix.iter().enumerate().find(|&(_, &i)| i >= size) {
                    return Err(ParamError::new(
                        format!("neurons[{k}]"),
                        format!("a neuron index below the population size {size}"),
                        i,
                    ));
                }
            }
            Selection::Fraction(f) => {
                in_range("neurons.fraction", *f, 0.0, 1.0)?;
            }
        }
        let check_comp = |c: usize, key: &str| {
            if c >= n_compartments {
                Err(ParamError::new(
                    key,
                    format!("a compartment index in 0..{n_compartments}"),
                    c,
                ))
            } else {
                Ok(())
            }
        };
        match &self.kind {
            StimulusKind::CurrentClamp {
                compartment,
                waveform,
            } => {
                check_comp(*compartment, "compartment")?;
                match *waveform {
                    Waveform::Step { amplitude_pa } => {
                        finite("waveform.amplitude_pa", amplitude_pa)?;
                    }
                    Waveform::Noise {
                        mean_pa,
                        std_pa,
                        interval_ms,
                    } => {
                        finite("waveform.mean_pa", mean_pa)?;
                        non_negative("waveform.std_pa", std_pa)?;
                        positive("waveform.interval_ms", interval_ms)?;
                    }
                    Waveform::Ramp { from_pa, to_pa } => {
                        finite("waveform.from_pa", from_pa)?;
                        finite("waveform.to_pa", to_pa)?;
                        if !self.window.stop_ms.is_finite() {
                            return Err(ParamError::new(
                                "window.stop_ms",
                                "a finite end for a ramp",
                                self.window.stop_ms,
                            ));
                        }
                    }
                }
            }
            StimulusKind::VoltageClamp { compartment, hold_mv } => {
                check_comp(*compartment, "compartment")?;
                finite("hold_mv", *hold_mv)?;
            }
            StimulusKind::Optogenetic { current_pa } => {
                finite("current_pa", *current_pa)?;
            }
            StimulusKind::BlockSpikes | StimulusKind::DisableRule { .. } => {}
            StimulusKind::Spikes { times_ms } => {
                let span = self.window.stop_ms - self.window.start_ms;
                for (k, &t) in times_ms.iter().enumerate() {
                    let after = if k == 0 { None } else { Some(times_ms[k - 1]) };
                    if !(t.is_finite() && t >= 0.0 && t < span && after.is_none_or(|a| t > a)) {
                        return Err(ParamError::new(
                            format!("times_ms[{k}]"),
                            format!(
                                "increasing times >= 0 ms from the window's start, before its end ({span} ms)"
                            ),
                            t,
                        ));
                    }
                }
            }
            StimulusKind::BlockBap { compartments } => {
                for (k, &c) in compartments.iter().flatten().enumerate() {
                    check_comp(c, &format!("compartments[{k}]"))?;
                }
            }
            StimulusKind::Kir { g_ns, e_k_mv } => {
                non_negative("g_ns", *g_ns)?;
                finite("e_k_mv", *e_k_mv)?;
            }
        }
        Ok(())
    }
}

impl Waveform {
    /// Amplitude (pA) at `t_ms` inside `window` (for noise, its mean: the engine adds each
    /// neuron's own draw).
    pub fn amplitude_pa(&self, window: &Window, t_ms: f64) -> f64 {
        match *self {
            Waveform::Step { amplitude_pa } => amplitude_pa,
            Waveform::Noise { mean_pa, .. } => mean_pa,
            Waveform::Ramp { from_pa, to_pa } => {
                let span = window.stop_ms - window.start_ms;
                if span <= 0.0 {
                    from_pa
                } else {
                    from_pa + (to_pa - from_pa) * ((t_ms - window.start_ms) / span).clamp(0.0, 1.0)
                }
            }
        }
    }
}
