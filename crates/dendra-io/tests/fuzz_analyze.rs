//! Hostile imaging data for `dendra analyze`: whatever a data set holds, reading and analysing
//! it either succeeds or stops with an error that names the file, and never panics, hangs or
//! aborts. Cases edit a small valid data set, written as CSV (cells replaced by hostile values,
//! rows deleted or repeated, files truncated, columns dropped, junk lines) or as Parquet (bytes
//! flipped, files truncated). `DENDRA_FUZZ_CASES` sets the number of cases (default 64).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dendra_analysis::{StudyParams, analyze};
use dendra_io::imaging_io::{read_imaging, write_imaging};
use proptest::prelude::*;

const TABLES: [&str; 4] = ["spines", "spine_traces", "dendrite_traces", "trials"];

/// A small valid data set as CSV texts, in the order of `TABLES`: two animals (apical and
/// basal), one dendrite each with six spines, two sessions of 120 frames at 10 Hz with a few
/// events, and four trials per session.
fn base() -> [String; 4] {
    let mut spines = String::from(
        "spine,animal,group,condition,dendrite,compartment,position_um,size_baseline,size_followup\n",
    );
    let mut spine_traces = String::from("spine,session,t_s,dff\n");
    let mut dendrite_traces = String::from("dendrite,session,t_s,dff\n");
    let mut trials = String::from("animal,session,trial,cue_s,press_s,rewarded\n");
    let mut x = 12345u64;
    let mut noise = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.1
    };
    for (a, comp) in [(0u32, "apical"), (1, "basal")] {
        for k in 0..6u32 {
            let id = a * 6 + k;
            let grow = if k % 3 == 0 { 1.8 } else { 1.0 };
            spines.push_str(&format!(
                "{id},m{a},{comp},control,{a},{comp},{:.1},1.0,{grow}\n",
                4.0 + 7.5 * f64::from(k)
            ));
            for session in 1..=2u32 {
                for f in 0..120u32 {
                    let event = (f + 7 * k) % 40 < 3;
                    let v = if event { 1.2 } else { 0.0 } + noise();
                    spine_traces.push_str(&format!("{id},{session},{:.1},{v:.4}\n", f64::from(f) / 10.0));
                }
            }
        }
        for session in 1..=2u32 {
            for f in 0..120u32 {
                let v = if f % 30 < 4 { 2.0 } else { 0.0 } + noise();
                dendrite_traces.push_str(&format!("{a},{session},{:.1},{v:.4}\n", f64::from(f) / 10.0));
            }
            for t in 1..=4u32 {
                let cue = 2.0 * f64::from(t);
                trials.push_str(&format!(
                    "m{a},{session},{t},{cue:.1},{:.2},{}\n",
                    cue + 0.4,
                    t % 2
                ));
            }
        }
    }
    [spines, spine_traces, dendrite_traces, trials]
}

/// Values that break parsers and analyses.
const HOSTILE: [&str; 20] = [
    "",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "-0",
    "1e308",
    "1e-320",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775809",
    "abc",
    "1,2",
    "\"",
    "true",
    "9999999",
    "0x10",
    "1e400",
];

/// One edit of one table.
#[derive(Debug, Clone)]
enum Edit {
    /// Replace cell (row, column) by a hostile value.
    Cell(usize, usize, usize),
    /// Delete a row.
    DeleteRow(usize),
    /// Repeat a row.
    RepeatRow(usize),
    /// Cut the file at a fraction (per mille) of its length.
    Truncate(usize),
    /// Drop a column from every row.
    DropColumn(usize),
    /// Insert a junk line.
    Junk(usize, usize),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0usize..100_000, 0usize..16, 0usize..HOSTILE.len()).prop_map(|(r, c, v)| Edit::Cell(r, c, v)),
        1 => (0usize..100_000).prop_map(Edit::DeleteRow),
        1 => (0usize..100_000).prop_map(Edit::RepeatRow),
        1 => (0usize..1000).prop_map(Edit::Truncate),
        1 => (0usize..16).prop_map(Edit::DropColumn),
        1 => (0usize..100_000, 0usize..HOSTILE.len()).prop_map(|(r, v)| Edit::Junk(r, v)),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len();
    if n == 0 {
        // An earlier edit emptied the file: nothing left to edit.
        return text.to_string();
    }
    match *edit {
        Edit::Cell(r, c, v) => {
            let line = &mut lines[r % n];
            let mut cells: Vec<&str> = line.split(',').collect();
            let c = c % cells.len();
            cells[c] = HOSTILE[v];
            *line = cells.join(",");
        }
        Edit::DeleteRow(r) => {
            lines.remove(r % n);
        }
        Edit::RepeatRow(r) => {
            let l = lines[r % n].clone();
            lines.insert(r % n, l);
        }
        Edit::Truncate(f) => {
            let mut cut = text.len() * f / 1000;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            return text[..cut].to_string();
        }
        Edit::DropColumn(c) => {
            for line in &mut lines {
                let mut cells: Vec<&str> = line.split(',').collect();
                if !cells.is_empty() {
                    let c = c % cells.len();
                    cells.remove(c);
                }
                *line = cells.join(",");
            }
        }
        Edit::Junk(r, v) => lines.insert(r % (n + 1), HOSTILE[v].repeat(3)),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A fresh directory for one case.
fn case_dir(kind: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "dendra-fuzz-analyze-{}-{kind}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The contract on the data set in `dir`: read and analyse it; an error must name one of its
/// files; no panic; at most 30 s.
fn contract(dir: &Path) -> Result<(), String> {
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        read_imaging(dir).map(|data| analyze(&data, &StudyParams::default()))
    }))
    .map_err(|_| "reading or analysing panicked".to_string())?;
    if start.elapsed() > Duration::from_secs(30) {
        return Err(format!("took {:?}", start.elapsed()));
    }
    match outcome {
        Ok(_) => Ok(()),
        Err(e) => {
            let message = e.to_string();
            if TABLES.iter().any(|t| message.contains(t)) {
                Ok(())
            } else {
                Err(format!("an error that names no file: {message}"))
            }
        }
    }
}

fn cases() -> u32 {
    std::env::var("DENDRA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// The base data set as Parquet files (what dendra writes), bytes per table.
fn parquet_base() -> Vec<(String, Vec<u8>)> {
    let csv = case_dir("base-csv");
    for (name, text) in TABLES.iter().zip(base()) {
        std::fs::write(csv.join(format!("{name}.csv")), text).unwrap();
    }
    let data = read_imaging(&csv).expect("the base data set is valid");
    let pq = case_dir("base-parquet");
    write_imaging(&pq, &data, &Default::default()).unwrap();
    let files = TABLES
        .iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read(pq.join(format!("{n}.parquet"))).unwrap(),
            )
        })
        .collect();
    let _ = std::fs::remove_dir_all(&csv);
    let _ = std::fs::remove_dir_all(&pq);
    files
}

#[test]
fn the_base_data_set_is_read_and_analysed() {
    let dir = case_dir("ok");
    for (name, text) in TABLES.iter().zip(base()) {
        std::fs::write(dir.join(format!("{name}.csv")), text).unwrap();
    }
    let data = read_imaging(&dir).expect("valid");
    assert_eq!(data.spines.len(), 12);
    let study = analyze(&data, &StudyParams::default());
    assert!(!study.key_results().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_csv_is_read_or_refused_with_its_file_named(
        edits in proptest::collection::vec((0usize..4, edit_strategy()), 1..4),
    ) {
        let mut texts = base();
        for (t, e) in &edits {
            texts[*t] = apply(&texts[*t], e);
        }
        let dir = case_dir("csv");
        for (name, text) in TABLES.iter().zip(&texts) {
            std::fs::write(dir.join(format!("{name}.csv")), text).unwrap();
        }
        let result = contract(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(why) = result {
            prop_assert!(false, "{why}\nedits: {edits:?}");
        }
    }

    #[test]
    fn corrupt_parquet_is_refused_with_its_file_named(
        table in 0usize..4,
        flips in proptest::collection::vec((0usize..1_000_000, 1u8..=255), 0..6),
        cut in proptest::option::of(0usize..1000),
    ) {
        let mut files = parquet_base();
        let bytes = &mut files[table].1;
        for &(at, x) in &flips {
            let n = bytes.len();
            bytes[at % n] ^= x;
        }
        if let Some(c) = cut {
            let n = bytes.len();
            bytes.truncate(n * c / 1000);
        }
        let dir = case_dir("parquet");
        for (name, bytes) in &files {
            std::fs::write(dir.join(format!("{name}.parquet")), bytes).unwrap();
        }
        let result = contract(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(why) = result {
            prop_assert!(false, "{why}\ntable {}, flips {flips:?}, cut {cut:?}", TABLES[table]);
        }
    }
}

/// The case the fuzz found: one flipped byte in the metadata of `dendrite_traces.parquet` made
/// the `parquet` crate panic ("column start and length should not be negative"); it is now an
/// error naming the file.
#[test]
fn a_parquet_reader_panic_is_an_error_naming_the_file() {
    let mut files = parquet_base();
    let bytes = &mut files[2].1;
    let n = bytes.len();
    bytes[853_738 % n] ^= 9;
    let dir = case_dir("parquet-regression");
    for (name, bytes) in &files {
        std::fs::write(dir.join(format!("{name}.parquet")), bytes).unwrap();
    }
    let result = contract(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(result, Ok(()));
    let dir = case_dir("parquet-regression-2");
    for (name, bytes) in &files {
        std::fs::write(dir.join(format!("{name}.parquet")), bytes).unwrap();
    }
    let e = read_imaging(&dir).unwrap_err().to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(e.contains("dendrite_traces.parquet"), "{e}");
}
