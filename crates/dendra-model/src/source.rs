//! Spike sources: populations that emit spikes but receive none.

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, non_negative};

/// A rate that changes in time, for inhomogeneous Poisson sources.
#[derive(Debug, Clone, PartialEq)]
pub enum RateProfile {
    /// Piecewise-linear through `(t_ms, rate_hz)` points sorted by time; constant before the
    /// first and after the last point.
    PiecewiseLinear(Vec<(f64, f64)>),
    /// `offset_hz + amplitude_hz * sin(2π f t + phase)`, clipped at 0.
    Sinusoid {
        /// Mean rate (Hz).
        offset_hz: f64,
        /// Modulation depth (Hz).
        amplitude_hz: f64,
        /// Modulation frequency (Hz).
        frequency_hz: f64,
        /// Phase (rad).
        phase_rad: f64,
    },
}

impl RateProfile {
    /// Rate (Hz) at time `t_ms`, never negative.
    pub fn rate_hz(&self, t_ms: f64) -> f64 {
        let r = match self {
            RateProfile::PiecewiseLinear(points) => {
                let i = points.partition_point(|&(t, _)| t <= t_ms);
                if i == 0 {
                    points[0].1
                } else if i == points.len() {
                    points[i - 1].1
                } else {
                    let (t0, r0) = points[i - 1];
                    let (t1, r1) = points[i];
                    r0 + (r1 - r0) * (t_ms - t0) / (t1 - t0)
                }
            }
            RateProfile::Sinusoid {
                offset_hz,
                amplitude_hz,
                frequency_hz,
                phase_rad,
            } => {
                offset_hz
                    + amplitude_hz
                        * (2.0 * std::f64::consts::PI * frequency_hz * t_ms / 1000.0 + phase_rad).sin()
            }
        };
        r.max(0.0)
    }

    /// An upper bound of the rate over all times (Hz), used for thinning.
    pub fn max_rate_hz(&self) -> f64 {
        match self {
            RateProfile::PiecewiseLinear(points) => points.iter().map(|p| p.1).fold(0.0, f64::max),
            RateProfile::Sinusoid {
                offset_hz,
                amplitude_hz,
                ..
            } => (offset_hz + amplitude_hz.abs()).max(0.0),
        }
    }

    fn validate(&self) -> ParamResult<()> {
        match self {
            RateProfile::PiecewiseLinear(points) => {
                if points.is_empty() {
                    return Err(ParamError::new(
                        "points",
                        "at least one (t_ms, rate_hz) point",
                        "none",
                    ));
                }
                for (k, &(t, r)) in points.iter().enumerate() {
                    if !t.is_finite() || (k > 0 && t <= points[k - 1].0) {
                        return Err(ParamError::new(
                            format!("points[{k}].t_ms"),
                            "finite times in increasing order",
                            t,
                        ));
                    }
                    non_negative(&format!("points[{k}].rate_hz"), r)?;
                }
            }
            RateProfile::Sinusoid {
                offset_hz,
                amplitude_hz,
                frequency_hz,
                phase_rad,
            } => {
                for (k, v) in [
                    ("offset_hz", offset_hz),
                    ("amplitude_hz", amplitude_hz),
                    ("frequency_hz", frequency_hz),
                    ("phase_rad", phase_rad),
                ] {
                    if !v.is_finite() {
                        return Err(ParamError::new(k, "a finite number", v));
                    }
                }
            }
        }
        Ok(())
    }
}

/// What a source population emits.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceParams {
    /// Independent homogeneous Poisson processes at `rate_hz` each.
    Poisson {
        /// Rate of each source (Hz, >= 0).
        rate_hz: f64,
    },
    /// Independent inhomogeneous Poisson processes sharing one rate profile (thinning,
    /// Lewis & Shedler 1979).
    InhomogeneousPoisson {
        /// The common rate.
        profile: RateProfile,
    },
    /// Spike trains given as data: `trains[i]` holds source `i`'s spike times (ms, sorted).
    SpikeTrains {
        /// One sorted list of times per source.
        trains: Vec<Vec<f64>>,
    },
}

impl SourceParams {
    /// The highest rate (Hz) a source may fire at; 0 for spike trains given as data.
    pub fn peak_rate_hz(&self) -> f64 {
        match self {
            SourceParams::Poisson { rate_hz } => *rate_hz,
            SourceParams::InhomogeneousPoisson { profile } => profile.max_rate_hz(),
            SourceParams::SpikeTrains { .. } => 0.0,
        }
    }

    /// Check all values; `size` is the population size.
    pub fn validate(&self, size: u32) -> ParamResult<()> {
        match self {
            SourceParams::Poisson { rate_hz } => {
                non_negative("rate_hz", *rate_hz)?;
            }
            SourceParams::InhomogeneousPoisson { profile } => {
                profile.validate().map_err(|e| e.within("profile"))?;
            }
            SourceParams::SpikeTrains { trains } => {
                if trains.len() != size as usize {
                    return Err(ParamError::new(
                        "trains",
                        format!("one train per source ({size})"),
                        trains.len(),
                    ));
                }
                for (i, train) in trains.iter().enumerate() {
                    for (k, &t) in train.iter().enumerate() {
                        if !t.is_finite() || t < 0.0 || (k > 0 && t < train[k - 1]) {
                            return Err(ParamError::new(
                                format!("trains[{i}][{k}]"),
                                "finite times >= 0 in non-decreasing order (ms)",
                                t,
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piecewise_linear_interpolates_and_holds_ends() {
        let p = RateProfile::PiecewiseLinear(vec![(0.0, 10.0), (100.0, 30.0)]);
        assert_eq!(p.rate_hz(-5.0), 10.0);
        assert!((p.rate_hz(50.0) - 20.0).abs() < 1e-12);
        assert_eq!(p.rate_hz(500.0), 30.0);
        assert_eq!(p.max_rate_hz(), 30.0);
    }

    #[test]
    fn sinusoid_is_clipped_at_zero() {
        let p = RateProfile::Sinusoid {
            offset_hz: 5.0,
            amplitude_hz: 10.0,
            frequency_hz: 1.0,
            phase_rad: 0.0,
        };
        assert_eq!(p.rate_hz(750.0), 0.0);
        assert!((p.rate_hz(250.0) - 15.0).abs() < 1e-9);
    }

    #[test]
    fn unsorted_trains_are_rejected() {
        let s = SourceParams::SpikeTrains {
            trains: vec![vec![1.0, 0.5]],
        };
        assert_eq!(s.validate(1).unwrap_err().key, "trains[0][1]");
    }
}
