//! The imaging data format that `dendra analyze` reads and that simulated studies write
//! (documented for users in `docs/imaging-format.md`).
//!
//! A directory with four tables, each as `NAME.parquet` or `NAME.csv` (header row, comma
//! separated; empty cells or `NaN` for missing values):
//!
//! | table | columns |
//! |---|---|
//! | `spines` | `spine` (integer id), `animal`, `group`, `condition` (`control` or e.g. `kir`), `dendrite` (integer id), `compartment` (`apical`, `basal`, ...), `position_um`, `size_baseline`, `size_followup` (missing: spine absent then) |
//! | `spine_traces` | long format: `spine`, `session`, `t_s` (seconds from the session's first frame), `dff`; optional `event` (detected events, written by dendra, ignored on input) |
//! | `dendrite_traces` | `dendrite`, `session`, `t_s`, `dff` (dendritic calcium), optional `event` |
//! | `soma_traces` (optional) | `dendrite`, `session`, `t_s`, `dff`: somatic calcium of the neuron the dendrite belongs to, optional `event` |
//! | `trials` | `animal`, `session`, `trial`, `cue_s`, `press_s` (missing: no press), `rewarded` (true/false or 1/0), `movement_corr` (optional) |
//!
//! The frame rate comes from `t_s`; every trace must have evenly spaced frames at that rate.
//! Errors name the file, the row (1-based data row; the CSV line is one more), the column and
//! what was expected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dendra_analysis::study::TraceKind;
use dendra_analysis::{EventTrain, ImagingData, Spine, StudyParams, Trace, Trial};

use crate::error::{IoError, IoResult};
use crate::parquet_io::{Column, ColumnRef, read_columns, write_columns};

/// The tables of a data set, in the order they are read.
pub const TABLES: [&str; 4] = ["spines", "spine_traces", "dendrite_traces", "trials"];

/// A table read from Parquet (typed) or CSV (text), with its file for error messages.
struct RawTable {
    path: PathBuf,
    rows: usize,
    csv: bool,
    cols: BTreeMap<String, Column>,
}

impl RawTable {
    fn error(&self, row: Option<usize>, column: &str, message: impl std::fmt::Display) -> IoError {
        let at = match row {
            Some(r) if self.csv => format!("row {} (line {}), ", r + 1, r + 2),
            Some(r) => format!("row {}, ", r + 1),
            None => String::new(),
        };
        IoError::format(&self.path, format!("{at}column `{column}`: expected {message}"))
    }

    fn column(&self, name: &str) -> IoResult<&Column> {
        self.cols.get(name).ok_or_else(|| {
            let found: Vec<&str> = self.cols.keys().map(String::as_str).collect();
            self.error(
                None,
                name,
                format!("this column to exist; found columns {found:?}"),
            )
        })
    }

    fn f64s(&self, name: &str, missing_ok: bool) -> IoResult<Vec<f64>> {
        let what = if missing_ok {
            "a number or an empty cell"
        } else {
            "a number"
        };
        match self.column(name)? {
            Column::F64(v) => {
                if !missing_ok && let Some(r) = v.iter().position(|x| x.is_nan()) {
                    return Err(self.error(Some(r), name, format!("{what}, found NaN")));
                }
                Ok(v.clone())
            }
            Column::I64(v) => Ok(v.iter().map(|&x| x as f64).collect()),
            Column::U32(v) => Ok(v.iter().map(|&x| f64::from(x)).collect()),
            Column::U64(v) => Ok(v.iter().map(|&x| x as f64).collect()),
            Column::Str(v) => v
                .iter()
                .enumerate()
                .map(|(r, s)| {
                    let s = s.trim();
                    if s.is_empty() || s.eq_ignore_ascii_case("nan") {
                        if missing_ok {
                            Ok(f64::NAN)
                        } else {
                            Err(self.error(Some(r), name, format!("{what}, found an empty cell")))
                        }
                    } else {
                        s.parse::<f64>()
                            .map_err(|_| self.error(Some(r), name, format!("{what}, found `{s}`")))
                    }
                })
                .collect(),
            Column::Bool(_) => Err(self.error(None, name, format!("{what}, found a boolean column"))),
        }
    }

    fn ids(&self, name: &str) -> IoResult<Vec<u32>> {
        let bad = |r: usize, v: &dyn std::fmt::Display| {
            self.error(
                Some(r),
                name,
                format!("an integer id in 0..=4294967295, found {v}"),
            )
        };
        match self.column(name)? {
            Column::U32(v) => Ok(v.clone()),
            Column::U64(v) => v
                .iter()
                .enumerate()
                .map(|(r, &x)| u32::try_from(x).map_err(|_| bad(r, &x)))
                .collect(),
            Column::I64(v) => v
                .iter()
                .enumerate()
                .map(|(r, &x)| u32::try_from(x).map_err(|_| bad(r, &x)))
                .collect(),
            Column::F64(v) => v
                .iter()
                .enumerate()
                .map(|(r, &x)| {
                    if x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x) {
                        Ok(x as u32)
                    } else {
                        Err(bad(r, &x))
                    }
                })
                .collect(),
            Column::Str(v) => v
                .iter()
                .enumerate()
                .map(|(r, s)| s.trim().parse::<u32>().map_err(|_| bad(r, &format!("`{s}`"))))
                .collect(),
            Column::Bool(_) => Err(self.error(None, name, "integer ids, found a boolean column")),
        }
    }

    fn strs(&self, name: &str) -> IoResult<Vec<String>> {
        match self.column(name)? {
            Column::Str(v) => Ok(v.iter().map(|s| s.trim().to_string()).collect()),
            Column::I64(v) => Ok(v.iter().map(ToString::to_string).collect()),
            Column::U32(v) => Ok(v.iter().map(ToString::to_string).collect()),
            Column::U64(v) => Ok(v.iter().map(ToString::to_string).collect()),
            _ => Err(self.error(None, name, "text")),
        }
    }

    fn bools(&self, name: &str) -> IoResult<Vec<bool>> {
        match self.column(name)? {
            Column::Bool(v) => Ok(v.clone()),
            Column::I64(v) => v
                .iter()
                .enumerate()
                .map(|(r, &x)| match x {
                    0 => Ok(false),
                    1 => Ok(true),
                    _ => Err(self.error(Some(r), name, format!("true/false or 1/0, found {x}"))),
                })
                .collect(),
            Column::Str(v) => v
                .iter()
                .enumerate()
                .map(|(r, s)| match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" => Ok(true),
                    "false" | "0" => Ok(false),
                    other => Err(self.error(Some(r), name, format!("true/false or 1/0, found `{other}`"))),
                })
                .collect(),
            _ => Err(self.error(None, name, "true/false or 1/0")),
        }
    }
}

fn read_csv(path: &Path) -> IoResult<RawTable> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(crate::error::open_input(path)?);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| IoError::format(path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut cols: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
    let mut rows = 0;
    for (r, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| IoError::format(path, format!("row {} (line {}): {e}", r + 1, r + 2)))?;
        if record.len() != headers.len() {
            return Err(IoError::format(
                path,
                format!(
                    "row {} (line {}): expected {} cells, found {}",
                    r + 1,
                    r + 2,
                    headers.len(),
                    record.len()
                ),
            ));
        }
        for (c, cell) in record.iter().enumerate() {
            cols[c].push(cell.to_string());
        }
        rows += 1;
    }
    Ok(RawTable {
        path: path.to_path_buf(),
        rows,
        csv: true,
        cols: headers
            .into_iter()
            .zip(cols.into_iter().map(Column::Str))
            .collect(),
    })
}

fn table_exists(dir: &Path, name: &str) -> bool {
    dir.join(format!("{name}.parquet")).exists() || dir.join(format!("{name}.csv")).exists()
}

fn read_table(dir: &Path, name: &str) -> IoResult<RawTable> {
    let pq = dir.join(format!("{name}.parquet"));
    let csv = dir.join(format!("{name}.csv"));
    if pq.exists() && csv.exists() {
        return Err(IoError::format(
            dir,
            format!(
                "two versions of table `{name}` ({name}.parquet and {name}.csv): keep one, so that \
                 it is clear which data the analysis reads"
            ),
        ));
    }
    if pq.exists() {
        let cols = read_columns(&pq)?;
        let rows = cols.values().next().map_or(0, Column::len);
        Ok(RawTable {
            path: pq,
            rows,
            csv: false,
            cols,
        })
    } else if csv.exists() {
        read_csv(&csv)
    } else {
        Err(IoError::format(
            dir,
            format!(
                "expected a table `{name}` as {name}.parquet or {name}.csv in this directory, found neither"
            ),
        ))
    }
}

/// Group a long trace table into traces, checking even frame spacing; returns the traces and
/// the frame rate (Hz).
fn traces(t: &RawTable, id_col: &str) -> IoResult<(Vec<Trace>, f64)> {
    let ids = t.ids(id_col)?;
    let sessions = t.ids("session")?;
    let times = t.f64s("t_s", false)?;
    let dff = t.f64s("dff", true)?;
    // (id, session) -> frames as (t_s, dff, row).
    type Frames = Vec<(f64, f64, usize)>;
    let mut groups: BTreeMap<(u32, u32), Frames> = BTreeMap::new();
    for r in 0..t.rows {
        groups
            .entry((ids[r], sessions[r]))
            .or_default()
            .push((times[r], dff[r], r));
    }
    let mut rate = f64::NAN;
    let mut out = Vec::with_capacity(groups.len());
    for ((id, session), mut v) in groups {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        if v.len() >= 2 {
            let mut diffs: Vec<f64> = v.windows(2).map(|w| w[1].0 - w[0].0).collect();
            diffs.sort_by(f64::total_cmp);
            let dt = diffs[diffs.len() / 2];
            if rate.is_nan() {
                rate = 1.0 / dt;
                if !(1.0..=10_000.0).contains(&rate) {
                    return Err(t.error(Some(v[1].2), "t_s", format!(
                        "seconds from the session start (a frame rate of 1 Hz to 10 kHz), found frames {dt} apart ({rate:.4} Hz); are the times in ms?"
                    )));
                }
            }
            if let Some(w) = v
                .windows(2)
                .find(|w| ((w[1].0 - w[0].0) * rate - 1.0).abs() > 0.1)
            {
                return Err(t.error(Some(w[1].2), "t_s", format!(
                    "evenly spaced frames at {rate:.3} Hz for {id_col} {id}, session {session}; found a step of {} s",
                    w[1].0 - w[0].0
                )));
            }
        }
        out.push(Trace {
            id,
            session,
            dff: v.iter().map(|e| e.1).collect(),
        });
    }
    Ok((out, rate))
}

/// Read a data set from `path`: a directory holding the tables, or one of the table files (its
/// directory is used). A directory written by `dendra run` holds them under `imaging/`.
pub fn read_imaging(path: &Path) -> IoResult<ImagingData> {
    let mut dir = if path.is_dir() {
        path.to_path_buf()
    } else if path.exists() {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        return Err(IoError::format(
            path,
            "expected a directory or a table file, found nothing there",
        ));
    };
    if !TABLES
        .iter()
        .any(|n| dir.join(format!("{n}.parquet")).exists() || dir.join(format!("{n}.csv")).exists())
        && dir.join("imaging").is_dir()
    {
        dir = dir.join("imaging");
    }
    let spines = read_table(&dir, "spines")?;
    let st = read_table(&dir, "spine_traces")?;
    let dt = read_table(&dir, "dendrite_traces")?;
    let tr = read_table(&dir, "trials")?;
    for t in [&spines, &st, &dt, &tr] {
        if t.rows == 0 {
            return Err(IoError::format(
                &t.path,
                "the table has no rows; every table of the imaging format needs at least one",
            ));
        }
    }
    let ids = spines.ids("spine")?;
    let animal = spines.strs("animal")?;
    let group = spines.strs("group")?;
    let condition = spines.strs("condition")?;
    let dendrite = spines.ids("dendrite")?;
    let compartment = spines.strs("compartment")?;
    let position = spines.f64s("position_um", false)?;
    let base = spines.f64s("size_baseline", true)?;
    let follow = spines.f64s("size_followup", true)?;
    let spine_rows: Vec<Spine> = (0..spines.rows)
        .map(|r| Spine {
            id: ids[r],
            animal: animal[r].clone(),
            group: group[r].clone(),
            condition: condition[r].clone(),
            dendrite: dendrite[r],
            compartment: compartment[r].clone(),
            position_um: position[r],
            size_baseline: base[r],
            size_followup: follow[r],
        })
        .collect();
    let (spine_traces, rate) = traces(&st, "spine")?;
    let (dendrite_traces, rate_d) = traces(&dt, "dendrite")?;
    let soma = if table_exists(&dir, "soma_traces") {
        Some(read_table(&dir, "soma_traces")?)
    } else {
        None
    };
    let soma_traces = match &soma {
        Some(t) => {
            let (v, rate_s) = traces(t, "dendrite")?;
            if rate_s.is_finite() && rate_d.is_finite() && ((rate_s - rate_d) / rate_d).abs() > 0.01 {
                return Err(t.error(
                    None,
                    "t_s",
                    format!("the dendrite traces' frame rate {rate_d:.3} Hz, found {rate_s:.3} Hz"),
                ));
            }
            v
        }
        None => Vec::new(),
    };
    if rate.is_finite() && rate_d.is_finite() && ((rate - rate_d) / rate).abs() > 0.01 {
        return Err(dt.error(
            None,
            "t_s",
            format!("the spine traces' frame rate {rate:.3} Hz, found {rate_d:.3} Hz"),
        ));
    }
    let t_animal = tr.strs("animal")?;
    let t_session = tr.ids("session")?;
    let t_trial = tr.ids("trial")?;
    let cue = tr.f64s("cue_s", false)?;
    let press = tr.f64s("press_s", true)?;
    let rewarded = tr.bools("rewarded")?;
    let corr = if tr.cols.contains_key("movement_corr") {
        tr.f64s("movement_corr", true)?
    } else {
        vec![f64::NAN; tr.rows]
    };
    let trials = (0..tr.rows)
        .map(|r| Trial {
            animal: t_animal[r].clone(),
            session: t_session[r],
            trial: t_trial[r],
            cue_s: cue[r],
            press_s: press[r],
            rewarded: rewarded[r],
            movement_corr: corr[r],
        })
        .collect();
    let data = ImagingData {
        rate_hz: if rate.is_finite() { rate } else { rate_d },
        spines: spine_rows,
        spine_traces,
        dendrite_traces,
        soma_traces,
        trials,
    };
    data.validate().map_err(|e| {
        match [Some(&spines), Some(&st), Some(&dt), soma.as_ref(), Some(&tr)]
            .into_iter()
            .flatten()
            .find(|t| t.path.file_stem().is_some_and(|s| s == e.table.as_str()))
        {
            Some(t) => t.error(e.row, &e.column, &e.message),
            None => IoError::format(
                &dir.join(&e.table),
                format!("column `{}`: expected {}", e.column, e.message),
            ),
        }
    })?;
    Ok(data)
}

fn write_traces(
    path: &Path,
    id_col: &str,
    traces: &[Trace],
    rate_hz: f64,
    detect: &dyn Fn(&[f64]) -> EventTrain,
) -> IoResult<()> {
    let n: usize = traces.iter().map(|t| t.dff.len()).sum();
    let (mut id, mut session, mut t_s, mut dff, mut event) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for tr in traces {
        let active = detect(&tr.dff).to_bools();
        for (f, &v) in tr.dff.iter().enumerate() {
            id.push(tr.id);
            session.push(tr.session);
            t_s.push((f as f64 / rate_hz) as f32);
            dff.push(v as f32);
        }
        event.extend(active);
    }
    write_columns(
        path,
        &[
            (id_col, ColumnRef::U32(&id)),
            ("session", ColumnRef::U32(&session)),
            ("t_s", ColumnRef::F32(&t_s)),
            ("dff", ColumnRef::F32(&dff)),
            ("event", ColumnRef::Bool(&event)),
        ],
    )
}

/// Write a data set as Parquet tables into `dir` (created if needed), with the events that the
/// analysis `settings` detect in each trace (its profile's detector).
pub fn write_imaging(dir: &Path, data: &ImagingData, settings: &StudyParams) -> IoResult<()> {
    let rate = data.rate_hz;
    std::fs::create_dir_all(dir).map_err(|e| IoError::at(dir, e))?;
    let s = &data.spines;
    let col_u32 = |f: fn(&Spine) -> u32| s.iter().map(f).collect::<Vec<u32>>();
    let col_str = |f: fn(&Spine) -> &String| s.iter().map(|x| f(x).clone()).collect::<Vec<String>>();
    let col_f64 = |f: fn(&Spine) -> f64| s.iter().map(f).collect::<Vec<f64>>();
    let (ids, dend) = (col_u32(|x| x.id), col_u32(|x| x.dendrite));
    let (animal, group, cond, comp) = (
        col_str(|x| &x.animal),
        col_str(|x| &x.group),
        col_str(|x| &x.condition),
        col_str(|x| &x.compartment),
    );
    let (pos, base, follow) = (
        col_f64(|x| x.position_um),
        col_f64(|x| x.size_baseline),
        col_f64(|x| x.size_followup),
    );
    write_columns(
        &dir.join("spines.parquet"),
        &[
            ("spine", ColumnRef::U32(&ids)),
            ("animal", ColumnRef::Str(&animal)),
            ("group", ColumnRef::Str(&group)),
            ("condition", ColumnRef::Str(&cond)),
            ("dendrite", ColumnRef::U32(&dend)),
            ("compartment", ColumnRef::Str(&comp)),
            ("position_um", ColumnRef::F64(&pos)),
            ("size_baseline", ColumnRef::F64(&base)),
            ("size_followup", ColumnRef::F64(&follow)),
        ],
    )?;
    write_traces(
        &dir.join("spine_traces.parquet"),
        "spine",
        &data.spine_traces,
        rate,
        &|x: &[f64]| settings.detect(x, rate, TraceKind::Spine),
    )?;
    write_traces(
        &dir.join("dendrite_traces.parquet"),
        "dendrite",
        &data.dendrite_traces,
        rate,
        &|x: &[f64]| settings.detect(x, rate, TraceKind::Dendrite),
    )?;
    if !data.soma_traces.is_empty() {
        write_traces(
            &dir.join("soma_traces.parquet"),
            "dendrite",
            &data.soma_traces,
            rate,
            &|x: &[f64]| settings.detect(x, rate, TraceKind::Soma),
        )?;
    }
    let t = &data.trials;
    let animal: Vec<String> = t.iter().map(|x| x.animal.clone()).collect();
    let session: Vec<u32> = t.iter().map(|x| x.session).collect();
    let trial: Vec<u32> = t.iter().map(|x| x.trial).collect();
    let cue: Vec<f64> = t.iter().map(|x| x.cue_s).collect();
    let press: Vec<f64> = t.iter().map(|x| x.press_s).collect();
    let rewarded: Vec<bool> = t.iter().map(|x| x.rewarded).collect();
    let corr: Vec<f64> = t.iter().map(|x| x.movement_corr).collect();
    write_columns(
        &dir.join("trials.parquet"),
        &[
            ("animal", ColumnRef::Str(&animal)),
            ("session", ColumnRef::U32(&session)),
            ("trial", ColumnRef::U32(&trial)),
            ("cue_s", ColumnRef::F64(&cue)),
            ("press_s", ColumnRef::F64(&press)),
            ("rewarded", ColumnRef::Bool(&rewarded)),
            ("movement_corr", ColumnRef::F64(&corr)),
        ],
    )
}
