//! The structural side of a synapse: spine size coupled to the weight, size-change classes and
//! pruning.
//!
//! Spine volume tracks synaptic strength (Matsuzaki et al. 2004: structural LTP). dendra couples
//! a spine's size to its weight linearly, `size = size_at_zero + slope · w` (arbitrary units,
//! 1 = a typical spine), so that a weight change shows up as a size change that an imaging
//! readout can measure. Size changes are classed as the imaging analysis does (Wright et al.
//! 2025 plots: enlarged at `follow-up / baseline >= 1.5`, shrunk at `<= 0.75`), and a synapse
//! whose size falls below `prune_below` is eliminated.

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, finite, non_negative, positive};

/// How size follows weight, and the class and pruning thresholds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpineParams {
    /// Size of a spine whose weight is 0. Default 0.2.
    pub size_at_zero: f64,
    /// Size per unit weight. Default 1.6 (a weight of 0.5 gives size 1).
    pub slope: f64,
    /// Enlarged when `follow-up / baseline >= enlarged_ratio`. Default 1.5.
    pub enlarged_ratio: f64,
    /// Shrunk when `follow-up / baseline <= shrunk_ratio`. Default 0.75.
    pub shrunk_ratio: f64,
    /// Eliminated when size falls below this. Default 0.1.
    pub prune_below: f64,
}

impl Default for SpineParams {
    fn default() -> Self {
        SpineParams {
            size_at_zero: 0.2,
            slope: 1.6,
            enlarged_ratio: 1.5,
            shrunk_ratio: 0.75,
            prune_below: 0.1,
        }
    }
}

/// A size change class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SizeClass {
    /// `ratio >= enlarged_ratio`.
    Enlarged,
    /// `ratio <= shrunk_ratio`.
    Shrunk,
    /// In between.
    Stable,
}

impl SpineParams {
    /// Spine size for weight `w` (never negative).
    pub fn size(&self, w: f64) -> f64 {
        (self.size_at_zero + self.slope * w).max(0.0)
    }

    /// Whether a spine of this size is eliminated.
    pub fn pruned(&self, size: f64) -> bool {
        size < self.prune_below
    }

    /// The class of a change from `baseline` to `follow_up` size.
    pub fn classify(&self, baseline: f64, follow_up: f64) -> SizeClass {
        let ratio = follow_up / baseline;
        if ratio >= self.enlarged_ratio {
            SizeClass::Enlarged
        } else if ratio <= self.shrunk_ratio {
            SizeClass::Shrunk
        } else {
            SizeClass::Stable
        }
    }

    /// Check the values.
    pub fn validate(&self) -> ParamResult<()> {
        non_negative("size_at_zero", self.size_at_zero)?;
        finite("slope", self.slope)?;
        positive("enlarged_ratio", self.enlarged_ratio)?;
        positive("shrunk_ratio", self.shrunk_ratio)?;
        non_negative("prune_below", self.prune_below)?;
        if self.shrunk_ratio >= self.enlarged_ratio {
            return Err(ParamError::new(
                "shrunk_ratio",
                format!("a ratio below enlarged_ratio ({})", self.enlarged_ratio),
                self.shrunk_ratio,
            ));
        }
        Ok(())
    }
}

/// Structural plasticity of a rule's synapses: pruning of small spines and formation of new
/// synapses at free positions, checked periodically.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StructuralParams {
    /// Size mapping, classes and pruning threshold.
    pub spine: SpineParams,
    /// How often spines are checked (ms). Default 1000.
    pub check_ms: f64,
    /// Rate at which an empty slot forms a new synapse (Hz per slot); 0: no formation.
    /// Default 0.
    pub formation_rate_hz: f64,
    /// Weight of a newly formed synapse. Default 0.1.
    pub new_weight: f64,
}

impl Default for StructuralParams {
    fn default() -> Self {
        StructuralParams {
            spine: SpineParams::default(),
            check_ms: 1000.0,
            formation_rate_hz: 0.0,
            new_weight: 0.1,
        }
    }
}

impl StructuralParams {
    /// Check the values.
    pub fn validate(&self) -> ParamResult<()> {
        self.spine.validate().map_err(|e| e.within("spine"))?;
        positive("check_ms", self.check_ms)?;
        non_negative("formation_rate_hz", self.formation_rate_hz)?;
        finite("new_weight", self.new_weight)?;
        if self.spine.pruned(self.spine.size(self.new_weight)) {
            return Err(ParamError::new(
                "new_weight",
                "a weight whose spine is above the pruning threshold",
                self.new_weight,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_tracks_weight_and_classes_follow_thresholds() {
        let p = SpineParams::default();
        assert!((p.size(0.5) - 1.0).abs() < 1e-12);
        assert_eq!(p.classify(1.0, 1.5), SizeClass::Enlarged);
        assert_eq!(p.classify(1.0, 1.49), SizeClass::Stable);
        assert_eq!(p.classify(1.0, 0.75), SizeClass::Shrunk);
        assert!(p.pruned(p.size(-0.1)));
        assert!(!p.pruned(p.size(0.0)));
        assert!(
            SpineParams {
                shrunk_ratio: 2.0,
                ..p
            }
            .validate()
            .is_err()
        );
    }
}
