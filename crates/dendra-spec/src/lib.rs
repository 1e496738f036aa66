//! # dendra-spec
//!
//! The TOML experiment spec: parse, validate, and build a [`NetworkDesc`]. Every error names
//! the file, line, column and key, says what was expected and what was found, and suggests the
//! closest known name when one is near (see [`SpecError`]).
//!
//! ## Format
//!
//! Units are carried by key names (`tau_ms = 20`, `length_um = 150`, `rate_hz = 15`); every
//! table rejects unknown keys; choices are tagged with `kind = "..."` (rules with
//! `name = "..."`). A spec has an `[experiment]` table and either a network (`[neurons.NAME]`
//! templates, `[[populations]]`, `[[projections]]`, `[[stimuli]]`, `[[modulators]]`,
//! `[[releases]]`, `[recording]`) run for `experiment.duration_ms`, or
//! `experiment.builtin = "NAME"` with that built-in's `[params]`. The files under `examples/`
//! show every part; [`schema`] documents every key.
#![warn(missing_docs)]

pub mod build;
pub mod error;
pub mod locate;
pub mod schema;

use std::path::Path;

use dendra_model::NetworkDesc;
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use error::{SpecError, did_you_mean};
pub use schema::SpecFile;

use error::Source;

/// Largest spec file read (bytes); larger files are refused before parsing.
pub const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// A parsed spec with its text (kept to locate later errors).
#[derive(Debug, Clone)]
pub struct Spec {
    /// File name shown in errors (`<builtin NAME>` for embedded specs).
    pub file: String,
    /// The TOML text.
    pub text: String,
    /// The parsed content.
    pub data: SpecFile,
}

/// What a spec asks to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Experiment name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Built-in procedure, if any.
    pub builtin: Option<String>,
    /// Simulated time (ms), for network specs (or an override for built-ins).
    pub duration_ms: Option<f64>,
    /// `(sessions, session_ms)` when the run is given in sessions.
    pub sessions: Option<(u32, f64)>,
    /// Seed.
    pub seed: u64,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// The network (empty for built-ins, which build their own).
    pub network: NetworkDesc,
}

impl Spec {
    /// Parse `text`, naming it `file` in errors.
    pub fn parse(file: &str, text: &str) -> Result<Spec, SpecError> {
        let src = Source::new(file, text);
        let data: SpecFile = toml::from_str(text).map_err(|e| src.from_toml(&e))?;
        Ok(Spec {
            file: file.to_string(),
            text: text.to_string(),
            data,
        })
    }

    /// Read and parse the file at `path`.
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        let file = path.display().to_string();
        let fail = |message: String| SpecError {
            file: file.clone(),
            line: 0,
            column: 0,
            key: String::new(),
            message,
            help: None,
        };
        let text = dendra_core::files::read_regular_text(path, MAX_SPEC_BYTES)
            .map_err(|e| fail(format!("cannot read the spec: {e}")))?;
        Spec::parse(&file, &text)
    }

    /// A locator for errors found after parsing (e.g. by a built-in reading its `[params]`).
    pub fn source(&self) -> Source<'_> {
        Source::new(&self.file, &self.text)
    }

    /// Check names and values and build the network (nothing runs).
    pub fn plan(&self) -> Result<Plan, SpecError> {
        let src = self.source();
        let e = &self.data.experiment;
        let sessions = self.sessions()?;
        let duration_ms = match (e.duration_ms, sessions) {
            (Some(_), Some(_)) => {
                return Err(src.error(
                    "experiment.sessions",
                    "either `duration_ms` or `sessions` with `session_ms`, not both",
                    "both",
                ));
            }
            (Some(d), None) => Some(d),
            (None, Some((n, ms))) => Some(f64::from(n) * ms),
            (None, None) => None,
        };
        if sessions.is_some() && e.builtin.is_some() {
            return Err(src.error(
                "experiment.sessions",
                "sessions only in network specs (a built-in's sessions are in its `[params]`)",
                "sessions with a built-in",
            ));
        }
        match (&e.builtin, duration_ms) {
            (None, None) => {
                return Err(src.error(
                    "experiment",
                    "`duration_ms` (ms), or `sessions` with `session_ms`, for a network spec",
                    "none",
                ));
            }
            (Some(_), _) if !self.data.populations.is_empty() => {
                return Err(src.error(
                    "populations",
                    "no network in a spec run by a built-in (its `[params]` describe it)",
                    format!("{} populations", self.data.populations.len()),
                ));
            }
            (None, Some(_)) if self.data.params.is_some() => {
                return Err(src.error(
                    "params",
                    "`[params]` only with `experiment.builtin`",
                    "a `[params]` table",
                ));
            }
            _ => {}
        }
        build::check_dt(&src, e.dt_ms)?;
        if let Some(d) = duration_ms {
            let steps = d / e.dt_ms;
            if !(d.is_finite() && d > 0.0 && steps <= build::MAX_STEPS) {
                // Steps below 1 us in scientific notation (0.000000001 is hard to read).
                let dt = if e.dt_ms >= 1e-3 {
                    e.dt_ms.to_string()
                } else {
                    format!("{:e}", e.dt_ms)
                };
                return Err(src.error(
                    if sessions.is_some() {
                        "experiment.sessions"
                    } else {
                        "experiment.duration_ms"
                    },
                    format!("a duration > 0 of at most {:e} steps", build::MAX_STEPS),
                    format!("{d} ms ({steps:.3e} steps of {dt} ms)"),
                ));
            }
        }
        if e.threads > 1024 {
            return Err(src.error(
                "experiment.threads",
                "at most 1024 threads (0 = one per core)",
                e.threads,
            ));
        }
        let network = build::Builder::new(&src, &self.data).network()?;
        if e.builtin.is_none() && network.populations.is_empty() {
            return Err(src.error("populations", "at least one population", "none"));
        }
        Ok(Plan {
            name: e.name.clone(),
            description: e.description.clone(),
            builtin: e.builtin.clone(),
            duration_ms,
            sessions,
            seed: e.seed,
            threads: e.threads,
            network,
        })
    }

    /// `experiment.sessions` and `experiment.session_ms`, checked: both or neither.
    pub fn sessions(&self) -> Result<Option<(u32, f64)>, SpecError> {
        let src = self.source();
        let e = &self.data.experiment;
        match (e.sessions, e.session_ms) {
            (None, None) => Ok(None),
            (Some(n), Some(ms)) => {
                if n == 0 || n > 1_000_000 {
                    return Err(src.error("experiment.sessions", "between 1 and 1000000 sessions", n));
                }
                if !(ms.is_finite() && ms > 0.0) {
                    return Err(src.error("experiment.session_ms", "a session length > 0 (ms)", ms));
                }
                Ok(Some((n, ms)))
            }
            (Some(_), None) => {
                Err(src.error("experiment", "`session_ms` with `sessions`", "no `session_ms`"))
            }
            (None, Some(_)) => Err(src.error("experiment", "`sessions` with `session_ms`", "no `sessions`")),
        }
    }

    /// Read `[params]` into a built-in's parameter type and check its values (unknown keys are
    /// errors; absent keys keep `P::default()` when `P` says `#[serde(default)]`); a value out
    /// of range is located at `params.KEY`.
    pub fn params<P: BuiltinParams>(&self) -> Result<P, SpecError> {
        let p = self.unchecked_params::<P>()?;
        p.validate().map_err(|e| {
            let e = e.within("params");
            self.source().error(&e.key, &e.expected, &e.found)
        })?;
        Ok(p)
    }

    /// Read `[params]` without checking the values.
    fn unchecked_params<P: DeserializeOwned>(&self) -> Result<P, SpecError> {
        #[derive(Deserialize)]
        struct Only<P> {
            params: Option<P>,
        }
        let src = self.source();
        let only: Only<P> = toml::from_str(&self.text).map_err(|e| src.from_toml(&e))?;
        match only.params {
            Some(p) => Ok(p),
            None => toml::from_str::<P>("").map_err(|e| src.error_message("params", e.message().to_string())),
        }
    }

    /// Locate an error found later in the network built from this spec (by the engine, e.g. a
    /// weight probe naming a pair that the drawn connectivity lacks): its key, a path of the
    /// network description, mapped back to the spec's key, line and column.
    pub fn locate(&self, e: &dendra_core::ParamError) -> SpecError {
        self.source()
            .error(&build::model_key_to_spec(&e.key), &e.expected, &e.found)
    }

    /// SHA-256 of the spec text, hex.
    pub fn hash(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.text.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The `[params]` table of a built-in procedure: read by serde, then checked as a whole, so
/// that `dendra check` refuses every value that `dendra run` would.
pub trait BuiltinParams: DeserializeOwned {
    /// Check the values; the error's key is relative to `[params]` (e.g. `sessions`).
    fn validate(&self) -> dendra_core::ParamResult<()>;
}
