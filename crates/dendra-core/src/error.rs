//! Errors raised when parameters are invalid.
//!
//! Each error names the offending key as a dotted path (e.g.
//! `populations[1].template.compartments[2].parent`), what was expected and what was found,
//! so that the spec layer can map it back to a file, line and column.

use std::fmt;

/// A parameter failed validation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ParamError {
    /// Dotted path of the offending key, e.g. `populations[0].size`.
    pub key: String,
    /// What the key must hold.
    pub expected: String,
    /// What it held instead.
    pub found: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: expected {}, found {}",
            self.key, self.expected, self.found
        )
    }
}

impl ParamError {
    /// Build an error for `key`.
    pub fn new(key: impl Into<String>, expected: impl Into<String>, found: impl fmt::Display) -> Self {
        ParamError {
            key: key.into(),
            expected: expected.into(),
            found: found.to_string(),
        }
    }

    /// Prefix the key with a parent path (`parent.key`).
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        if self.key.is_empty() {
            self.key = parent.to_string();
        } else if self.key.starts_with('[') {
            self.key = format!("{parent}{}", self.key);
        } else {
            self.key = format!("{parent}.{}", self.key);
        }
        self
    }
}

/// Result of a parameter validation.
pub type ParamResult<T> = Result<T, ParamError>;

/// Check that `value` is finite and strictly positive.
pub fn positive(key: &str, value: f64) -> ParamResult<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ParamError::new(key, "a finite number > 0", value))
    }
}

/// Check that `value` is finite and not negative.
pub fn non_negative(key: &str, value: f64) -> ParamResult<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ParamError::new(key, "a finite number >= 0", value))
    }
}

/// Check that `value` is finite.
pub fn finite(key: &str, value: f64) -> ParamResult<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ParamError::new(key, "a finite number", value))
    }
}

/// Check that `value` lies in the closed interval `[lo, hi]`.
pub fn in_range(key: &str, value: f64, lo: f64, hi: f64) -> ParamResult<f64> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(ParamError::new(key, format!("a number in [{lo}, {hi}]"), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys_read_naturally() {
        let e = ParamError::new("tau_ms", "a finite number > 0", -1.0)
            .within("compartments[2]")
            .within("template");
        assert_eq!(e.key, "template.compartments[2].tau_ms");
        let e = ParamError::new("[3]", "x", 1).within("sizes");
        assert_eq!(e.key, "sizes[3]");
        assert!(e.to_string().contains("expected x, found 1"));
    }

    #[test]
    fn checks_reject_nan_and_sign() {
        assert!(positive("a", f64::NAN).is_err());
        assert!(positive("a", 0.0).is_err());
        assert!(non_negative("a", 0.0).is_ok());
        assert!(non_negative("a", -1e-9).is_err());
        assert!(in_range("a", 1.5, 0.0, 1.0).is_err());
        assert!(finite("a", f64::INFINITY).is_err());
    }
}
