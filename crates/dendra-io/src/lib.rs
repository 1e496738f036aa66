//! # dendra-io
//!
//! What a run leaves on disk, in formats other tools read:
//!
//! | file | content |
//! |---|---|
//! | `summary.json` | experiment, description, dendra version, seed, threads, spec hash, wall time, and `results` (the experiment's key results under stable names) |
//! | `spec.toml` | the spec that ran (for built-ins, the embedded one) |
//! | `spikes.parquet` | `t_ms` f64, `neuron` u32, `population` string |
//! | `traces.parquet` | long format: `t_ms`, `population`, `neuron`, `signal` (name with unit), `compartment`, `receptor`, `value` |
//! | `weights.parquet` | long format: `t_ms`, `synapse` (id of `synapses.parquet`), `projection`, `compartment`, `position_um`, `weight`, `spine_size` |
//! | `synapses.parquet` | every synapse at the end: `synapse`, `projection`, `source_population`, `source`, `target_population`, `target`, `compartment`, `receptor`, `position_um`, `weight`, `delay_ms`, `alive`, `spine_size` |
//! | `figures/*.png`, `figures/*.svg` | raster, rates, weight histograms, traces, weights over time (font embedded) |
//! | `report.html` | one self-contained page with the above |
//!
//! Imaging studies (e.g. `wright2025`) and `dendra analyze` write instead of the network tables:
//!
//! | file | content |
//! |---|---|
//! | `imaging/*.parquet` | the recordings in the format `dendra analyze` reads ([`imaging_io`]; simulated runs only) |
//! | `settings.json` | the analysis settings (`dendra_analysis::StudyParams`) |
//! | `analysis.json` | everything the analysis found: per compartment, per manipulation, co-activity by distance, behaviour per session, per-spine features |
//! | `spine_features.parquet` | per stable spine: `spine`, `animal`, `condition`, `dendrite`, `compartment`, `position_um`, `rate_per_min`, `local`, `local_chance`, `local_significant`, `distant`, `near_minus_distant`, `bap`, `ratio`, `class` (paper profile: means over sessions) |
//! | `session_features.parquet` | paper profile only, per present spine and session: `spine`, `session`, `rate_per_min`, `local`, `local_chance`, `local_rank`, `local_significant`, `distant`, `near_minus_distant`, `bap` |
//! | `figures/*` | learning curves, co-activity vs distance, size change, predictors, manipulation, an example field of view |
//!
//! Learning benchmarks (`digits`, `mnist`, `fmnist`, `continual`) write `summary.json`,
//! `spec.toml`, `learning_curves.parquet` (`learner`, `seed`, `task`, `epoch`, `test_accuracy`,
//! `train_accuracy`, `train_loss`, `seconds`; [`learning_io`]), `figures/learning_curves.*` and
//! `report.html`.
//!
//! Missing values (no position, no spine) are NaN. Files are written under temporary names and
//! renamed, inside a staging directory renamed into place at the end ([`outdir`]).
#![warn(missing_docs)]

pub mod datasets;
pub mod error;
pub mod figures;
pub mod imaging_io;
pub mod learning_io;
pub mod lock;
pub mod manifest;
pub mod outdir;
pub mod parquet_io;
pub mod report;
pub mod study_figures;
pub mod synapse_table;
pub mod tables;

use std::path::Path;

use serde_json::{Map, Value};

pub use error::{IoError, IoResult};
pub use figures::Figure;
pub use outdir::{Staging, Updating};
pub use tables::Tables;

/// The largest JSON file of an output directory read back (summary, settings).
const MAX_JSON_BYTES: u64 = 64 << 20;

/// Facts about a run that go into `summary.json` besides its results.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// Experiment name.
    pub experiment: String,
    /// One line describing it.
    pub description: String,
    /// Seed.
    pub seed: u64,
    /// Worker threads used.
    pub threads: usize,
    /// SHA-256 of the spec text.
    pub spec_hash: String,
    /// Wall-clock time of the run (s).
    pub wall_s: f64,
}

/// The `summary.json` object.
pub fn summary_json(info: &RunInfo, results: &Map<String, Value>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("experiment".into(), info.experiment.clone().into());
    m.insert("description".into(), info.description.clone().into());
    m.insert("dendra_version".into(), env!("CARGO_PKG_VERSION").into());
    m.insert("seed".into(), info.seed.into());
    m.insert("threads".into(), (info.threads as u64).into());
    m.insert("spec_hash".into(), info.spec_hash.clone().into());
    m.insert("wall_s".into(), finite_or_null(info.wall_s));
    // serde_json holds no NaN or infinity: such results are already `null`.
    m.insert("results".into(), Value::Object(results.clone()));
    m
}

fn finite_or_null(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// Write every output of a run into `dir` (normally a [`Staging`] path): tables, figures,
/// spec, summary, report. `synapses.parquet` is not among them: [`Tables::collect`] streams it
/// while it collects.
pub fn write_run(
    dir: &Path,
    info: &RunInfo,
    results: &Map<String, Value>,
    tables: &Tables,
    spec: &str,
) -> IoResult<()> {
    outdir::write_atomic(&dir.join("spec.toml"), spec.as_bytes())?;
    parquet_io::write_spikes(&dir.join("spikes.parquet"), &tables.spikes)?;
    if !tables.traces.t_ms.is_empty() {
        parquet_io::write_traces(&dir.join("traces.parquet"), &tables.traces)?;
    }
    if !tables.weights.t_ms.is_empty() {
        parquet_io::write_weights(&dir.join("weights.parquet"), &tables.weights)?;
    }
    let mut summary = summary_json(info, results);
    let populations: Vec<Value> = tables
        .populations
        .iter()
        .map(|(n, s)| serde_json::json!({ "name": n, "size": s }))
        .collect();
    summary.insert("populations".into(), Value::Array(populations));
    summary.insert("duration_ms".into(), finite_or_null(tables.duration_ms));
    let text = serde_json::to_string_pretty(&Value::Object(summary.clone())).unwrap_or_default();
    outdir::write_atomic(&dir.join("summary.json"), text.as_bytes())?;
    write_report(dir, &summary, tables, Some(spec))
}

/// An imaging study to write: its recordings, what the analysis found and the settings used.
#[derive(Debug, Clone, Copy)]
pub struct StudyOutputs<'a> {
    /// The recordings.
    pub data: &'a dendra_analysis::ImagingData,
    /// The analysis.
    pub study: &'a dendra_analysis::Study,
    /// Its settings.
    pub settings: &'a dendra_analysis::StudyParams,
    /// Whether to write the recordings too (simulated studies: yes; `dendra analyze`: no).
    pub write_data: bool,
}

/// Write the outputs of an imaging study into `dir`: the recordings under `imaging/` (when
/// `write_data`), `analysis.json`, `settings.json` (the analysis settings used),
/// `spine_features.parquet`, figures, `summary.json` (with `results`) and `report.html`;
/// `spec` is saved as `spec.toml` when given.
pub fn write_study_run(
    dir: &Path,
    info: &RunInfo,
    results: &Map<String, Value>,
    spec: Option<&str>,
    outputs: StudyOutputs<'_>,
) -> IoResult<()> {
    let StudyOutputs {
        data,
        study,
        settings,
        write_data,
    } = outputs;
    if let Some(spec) = spec {
        outdir::write_atomic(&dir.join("spec.toml"), spec.as_bytes())?;
    }
    if write_data {
        imaging_io::write_imaging(&dir.join("imaging"), data, settings)?;
    }
    let text =
        serde_json::to_string_pretty(study).map_err(|e| IoError::format(&dir.join("analysis.json"), e))?;
    outdir::write_atomic(&dir.join("analysis.json"), text.as_bytes())?;
    let text =
        serde_json::to_string_pretty(settings).map_err(|e| IoError::format(&dir.join("settings.json"), e))?;
    outdir::write_atomic(&dir.join("settings.json"), text.as_bytes())?;
    write_spine_features(&dir.join("spine_features.parquet"), study)?;
    if !study.sessions.is_empty() {
        write_session_features(&dir.join("session_features.parquet"), study)?;
    }
    let summary = summary_json(info, results);
    let text = serde_json::to_string_pretty(&Value::Object(summary.clone())).unwrap_or_default();
    outdir::write_atomic(&dir.join("summary.json"), text.as_bytes())?;
    write_study_report(dir, &summary, study, data, spec)
}

fn write_spine_features(path: &Path, study: &dendra_analysis::Study) -> IoResult<()> {
    use parquet_io::ColumnRef;
    let f = &study.spines;
    let u = |g: fn(&dendra_analysis::study::SpineFeatures) -> u32| f.iter().map(g).collect::<Vec<u32>>();
    let x = |g: fn(&dendra_analysis::study::SpineFeatures) -> f64| f.iter().map(g).collect::<Vec<f64>>();
    let st =
        |g: fn(&dendra_analysis::study::SpineFeatures) -> String| f.iter().map(g).collect::<Vec<String>>();
    let (spine, dendrite) = (u(|s| s.spine), u(|s| s.dendrite));
    let (animal, condition, compartment, class) = (
        st(|s| s.animal.clone()),
        st(|s| s.condition.clone()),
        st(|s| s.compartment.clone()),
        st(|s| s.class.to_string()),
    );
    let cols = [
        x(|s| s.position_um),
        x(|s| s.rate_per_min),
        x(|s| s.local),
        x(|s| s.local_chance),
        x(|s| s.distant),
        x(|s| s.bap),
        x(|s| s.ratio),
        x(|s| s.local_significant),
        x(|s| s.near_minus_distant),
    ];
    parquet_io::write_columns(
        path,
        &[
            ("spine", ColumnRef::U32(&spine)),
            ("animal", ColumnRef::Str(&animal)),
            ("condition", ColumnRef::Str(&condition)),
            ("dendrite", ColumnRef::U32(&dendrite)),
            ("compartment", ColumnRef::Str(&compartment)),
            ("position_um", ColumnRef::F64(&cols[0])),
            ("rate_per_min", ColumnRef::F64(&cols[1])),
            ("local", ColumnRef::F64(&cols[2])),
            ("local_chance", ColumnRef::F64(&cols[3])),
            ("local_significant", ColumnRef::F64(&cols[7])),
            ("distant", ColumnRef::F64(&cols[4])),
            ("near_minus_distant", ColumnRef::F64(&cols[8])),
            ("bap", ColumnRef::F64(&cols[5])),
            ("ratio", ColumnRef::F64(&cols[6])),
            ("class", ColumnRef::Str(&class)),
        ],
    )
}

/// The paper profile's features per spine and session.
fn write_session_features(path: &Path, study: &dendra_analysis::Study) -> IoResult<()> {
    use dendra_analysis::paper_features::SessionFeatures;
    use parquet_io::ColumnRef;
    let f = &study.sessions;
    let u = |g: fn(&SessionFeatures) -> u32| f.iter().map(g).collect::<Vec<u32>>();
    let x = |g: fn(&SessionFeatures) -> f64| f.iter().map(g).collect::<Vec<f64>>();
    let (spine, session) = (u(|s| s.spine), u(|s| s.session));
    let significant: Vec<bool> = f.iter().map(|s| s.local_significant).collect();
    let cols = [
        x(|s| s.rate_per_min),
        x(|s| s.local),
        x(|s| s.local_chance),
        x(|s| s.local_rank),
        x(|s| s.distant),
        x(|s| s.near_minus_distant),
        x(|s| s.bap),
    ];
    parquet_io::write_columns(
        path,
        &[
            ("spine", ColumnRef::U32(&spine)),
            ("session", ColumnRef::U32(&session)),
            ("rate_per_min", ColumnRef::F64(&cols[0])),
            ("local", ColumnRef::F64(&cols[1])),
            ("local_chance", ColumnRef::F64(&cols[2])),
            ("local_rank", ColumnRef::F64(&cols[3])),
            ("local_significant", ColumnRef::Bool(&significant)),
            ("distant", ColumnRef::F64(&cols[4])),
            ("near_minus_distant", ColumnRef::F64(&cols[5])),
            ("bap", ColumnRef::F64(&cols[6])),
        ],
    )
}

fn write_study_report(
    dir: &Path,
    summary: &Map<String, Value>,
    study: &dendra_analysis::Study,
    data: &dendra_analysis::ImagingData,
    spec: Option<&str>,
) -> IoResult<()> {
    let figures = study_figures::draw_study(study, data, &dir.join("figures"))?;
    let files = report::list_files(dir)
        .into_iter()
        .filter(|(n, _)| n != "report.html")
        .collect::<Vec<_>>();
    let page = report::html(summary, &figures, spec, &files)?;
    outdir::write_atomic(&dir.join("report.html"), page.as_bytes())
}

/// Read back what a run wrote to `dir` and (re)draw its figures and `report.html`. An imaging
/// study's recordings (`imaging/`, or for `dendra analyze` outputs the `results.input` named
/// in `summary.json`) are read and analysed again with the saved `settings.json`.
pub fn rebuild_report(dir: &Path) -> IoResult<()> {
    if dir.join("analysis.json").exists() {
        let summary = read_summary(dir)?;
        let input = match summary
            .get("results")
            .and_then(|r| r.get("input"))
            .and_then(Value::as_str)
        {
            Some(p) => std::path::PathBuf::from(p),
            None => dir.join("imaging"),
        };
        let data = imaging_io::read_imaging(&input)?;
        let path = dir.join("settings.json");
        let text = error::read_input_text(&path, MAX_JSON_BYTES)?;
        let settings: dendra_analysis::StudyParams =
            serde_json::from_str(&text).map_err(|e| IoError::format(&path, e))?;
        let study = dendra_analysis::analyze(&data, &settings);
        let spec = std::fs::read_to_string(dir.join("spec.toml")).ok();
        return write_study_report(dir, &summary, &study, &data, spec.as_deref());
    }
    if dir.join("learning_curves.parquet").exists() {
        return learning_io::rebuild(dir, &read_summary(dir)?);
    }
    rebuild_network_report(dir)
}

fn read_summary(dir: &Path) -> IoResult<Map<String, Value>> {
    let summary_path = dir.join("summary.json");
    let text = error::read_input_text(&summary_path, MAX_JSON_BYTES)?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(IoError::format(&summary_path, "expected a JSON object")),
        Err(e) => Err(IoError::format(&summary_path, e)),
    }
}

fn rebuild_network_report(dir: &Path) -> IoResult<()> {
    let summary = read_summary(dir)?;
    let tables = read_tables(dir, &summary)?;
    let spec = std::fs::read_to_string(dir.join("spec.toml")).ok();
    write_report(dir, &summary, &tables, spec.as_deref())
}

/// Draw the figures of `tables` into `dir/figures` and write `dir/report.html`.
fn write_report(
    dir: &Path,
    summary: &Map<String, Value>,
    tables: &Tables,
    spec: Option<&str>,
) -> IoResult<()> {
    let figures = figures::draw_all(tables, &dir.join("figures"))?;
    let files = report::list_files(dir)
        .into_iter()
        .filter(|(n, _)| n != "report.html")
        .collect::<Vec<_>>();
    let page = report::html(summary, &figures, spec, &files)?;
    outdir::write_atomic(&dir.join("report.html"), page.as_bytes())
}

/// The tables stored in `dir` (absent optional files give empty tables).
pub fn read_tables(dir: &Path, summary: &Map<String, Value>) -> IoResult<Tables> {
    let opt = |name: &str| {
        let p = dir.join(name);
        p.exists().then_some(p)
    };
    let mut t = Tables::default();
    if let Some(p) = opt("spikes.parquet") {
        t.spikes = parquet_io::read_spikes(&p)?;
    }
    if let Some(p) = opt("traces.parquet") {
        t.traces = parquet_io::read_traces(&p)?;
    }
    if let Some(p) = opt("weights.parquet") {
        t.weights = parquet_io::read_weights(&p)?;
    }
    if let Some(p) = opt("synapses.parquet") {
        let s = parquet_io::read_synapses(&p)?;
        for i in 0..s.synapse.len() {
            let name = &s.projection[i];
            if t.final_weights.last().is_none_or(|f| &f.projection != name) {
                t.final_weights.push(synapse_table::FinalWeights {
                    projection: name.clone(),
                    weights: Vec::new(),
                });
            }
            if s.alive[i] && s.weight[i].is_finite() {
                let last = t.final_weights.len() - 1;
                t.final_weights[last].weights.push(s.weight[i] as f32);
            }
        }
    }
    if let Some(Value::Array(pops)) = summary.get("populations") {
        t.populations = pops
            .iter()
            .filter_map(|p| {
                Some((
                    p.get("name")?.as_str()?.to_string(),
                    p.get("size")?.as_u64()? as u32,
                ))
            })
            .collect();
    }
    t.duration_ms = summary
        .get("duration_ms")
        .and_then(Value::as_f64)
        .unwrap_or_else(|| t.spikes.t_ms.iter().copied().fold(0.0, f64::max));
    Ok(t)
}
