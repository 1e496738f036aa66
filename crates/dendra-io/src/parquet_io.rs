//! Parquet files of the tables (zstd-compressed, plain Arrow types that pandas and pyarrow read
//! with no extra steps), written through a temporary name, and read back.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Float32Array, Float64Array, Int32Array, Int64Array, LargeStringArray,
    RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{IoError, IoResult};
use crate::outdir::temp_name;
use crate::tables::{SpikeRows, SynapseRows, TraceRows, WeightRows};

/// One column, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// 64-bit floats.
    F64(Vec<f64>),
    /// Unsigned 32-bit integers.
    U32(Vec<u32>),
    /// Unsigned 64-bit integers.
    U64(Vec<u64>),
    /// UTF-8 strings.
    Str(Vec<String>),
    /// Booleans.
    Bool(Vec<bool>),
    /// Signed 64-bit integers (also read from 32-bit ones; what pandas writes for integers).
    I64(Vec<i64>),
}

impl Column {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::U32(v) => v.len(),
            Column::U64(v) => v.len(),
            Column::Str(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::I64(v) => v.len(),
        }
    }

    /// Whether the column holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One column to write, borrowed from its table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnRef<'a> {
    /// 64-bit floats.
    F64(&'a [f64]),
    /// Unsigned 32-bit integers.
    U32(&'a [u32]),
    /// Unsigned 64-bit integers.
    U64(&'a [u64]),
    /// UTF-8 strings.
    Str(&'a [String]),
    /// One string on every one of this many rows (e.g. a projection's name).
    Same(&'a str, usize),
    /// Booleans.
    Bool(&'a [bool]),
    /// 32-bit floats (long traces where 7 digits are plenty).
    F32(&'a [f32]),
}

impl ColumnRef<'_> {
    /// Rows `start..start + len` as an Arrow array.
    fn array(&self, start: usize, len: usize) -> ArrayRef {
        let r = start..start + len;
        match *self {
            ColumnRef::F32(v) => Arc::new(Float32Array::from(v[r].to_vec())),
            ColumnRef::F64(v) => Arc::new(Float64Array::from(v[r].to_vec())),
            ColumnRef::U32(v) => Arc::new(UInt32Array::from(v[r].to_vec())),
            ColumnRef::U64(v) => Arc::new(UInt64Array::from(v[r].to_vec())),
            ColumnRef::Str(v) => Arc::new(StringArray::from_iter_values(v[r].iter())),
            ColumnRef::Same(text, _) => {
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n(text, len)))
            }
            ColumnRef::Bool(v) => Arc::new(BooleanArray::from(v[r].to_vec())),
        }
    }

    fn data_type(&self) -> DataType {
        match self {
            ColumnRef::F64(_) => DataType::Float64,
            ColumnRef::U32(_) => DataType::UInt32,
            ColumnRef::U64(_) => DataType::UInt64,
            ColumnRef::Str(_) | ColumnRef::Same(..) => DataType::Utf8,
            ColumnRef::Bool(_) => DataType::Boolean,
            ColumnRef::F32(_) => DataType::Float32,
        }
    }

    fn len(&self) -> usize {
        match self {
            ColumnRef::F64(v) => v.len(),
            ColumnRef::U32(v) => v.len(),
            ColumnRef::U64(v) => v.len(),
            ColumnRef::Str(v) => v.len(),
            ColumnRef::Same(_, n) => *n,
            ColumnRef::Bool(v) => v.len(),
            ColumnRef::F32(v) => v.len(),
        }
    }
}

/// Rows per record batch when writing.
const BATCH_ROWS: usize = 1 << 16;

/// Rows per row group: a row group is encoded in memory before it is written.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// Write named columns of equal length to `path` (via a temporary file and a rename).
pub fn write_columns(path: &Path, columns: &[(&str, ColumnRef)]) -> IoResult<()> {
    let mut w = ChunkWriter::create(path, columns)?;
    w.write(columns)?;
    w.finish()
}

/// A Parquet file written a chunk of rows at a time (each chunk's columns in the same order
/// and of the same types), so that a table larger than memory can be streamed: memory is one
/// chunk plus the row group being encoded. Written under a temporary name, renamed by
/// [`ChunkWriter::finish`].
pub struct ChunkWriter {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    schema: Arc<Schema>,
    writer: ArrowWriter<File>,
}

impl ChunkWriter {
    /// Start `path` with the names and types of `columns` (their values are not written).
    pub fn create(path: &Path, columns: &[(&str, ColumnRef)]) -> IoResult<ChunkWriter> {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, c)| Field::new(*n, c.data_type(), false))
            .collect();
        let schema = Arc::new(
            Schema::new(fields)
                .with_metadata([("created_by", format!("dendra {}", env!("CARGO_PKG_VERSION")))]),
        );
        let tmp = temp_name(path);
        let file = File::create(&tmp).map_err(|e| IoError::at(&tmp, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(3).map_err(|e| IoError::format(path, e))?,
            ))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer =
            ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| IoError::format(path, e))?;
        Ok(ChunkWriter {
            path: path.to_path_buf(),
            tmp,
            schema,
            writer,
        })
    }

    /// Append the rows of `columns` (all of one length).
    pub fn write(&mut self, columns: &[(&str, ColumnRef)]) -> IoResult<()> {
        let path = &self.path;
        let rows = columns.first().map_or(0, |c| c.1.len());
        if let Some((n, _)) = columns.iter().find(|c| c.1.len() != rows) {
            return Err(IoError::format(
                path,
                format!("column `{n}` has a different length"),
            ));
        }
        let mut start = 0;
        while start < rows {
            let len = BATCH_ROWS.min(rows - start);
            let slice: Vec<ArrayRef> = columns.iter().map(|(_, c)| c.array(start, len)).collect();
            let batch =
                RecordBatch::try_new(self.schema.clone(), slice).map_err(|e| IoError::format(path, e))?;
            self.writer.write(&batch).map_err(|e| IoError::format(path, e))?;
            start += len;
        }
        Ok(())
    }

    /// Close the file and move it to its name.
    pub fn finish(self) -> IoResult<()> {
        self.writer.close().map_err(|e| IoError::format(&self.path, e))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| IoError::at(&self.path, e))
    }
}

/// Read every column of a Parquet file written by [`write_columns`] (or any file with plain
/// types: 32-bit floats are widened to `F64`, 32- and 64-bit signed integers read as `I64`,
/// large strings as `Str`). A corrupt file is an error naming it: the `parquet` crate panics on
/// some corrupt metadata (e.g. "column start and length should not be negative", found by
/// `tests/fuzz_analyze.rs`), so its panics are caught and reported as a format error.
pub fn read_columns(path: &Path) -> IoResult<BTreeMap<String, Column>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_columns_unguarded(path))).unwrap_or_else(
        |panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the Parquet reader failed".to_string());
            Err(IoError::format(
                path,
                format!("not a readable Parquet file ({why})"),
            ))
        },
    )
}

fn read_columns_unguarded(path: &Path) -> IoResult<BTreeMap<String, Column>> {
    let file = crate::error::open_input(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| IoError::format(path, e))?;
    let mut out: BTreeMap<String, Column> = BTreeMap::new();
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    for f in builder.schema().fields() {
        let empty = match f.data_type() {
            DataType::Float64 | DataType::Float32 => Column::F64(Vec::new()),
            DataType::Int64 | DataType::Int32 => Column::I64(Vec::new()),
            DataType::LargeUtf8 => Column::Str(Vec::new()),
            DataType::UInt32 => Column::U32(Vec::new()),
            DataType::UInt64 => Column::U64(Vec::new()),
            DataType::Utf8 => Column::Str(Vec::new()),
            DataType::Boolean => Column::Bool(Vec::new()),
            other => {
                return Err(IoError::format(
                    path,
                    format!("column `{}` has an unsupported type {other}", f.name()),
                ));
            }
        };
        out.insert(f.name().clone(), empty);
    }
    let reader = builder.build().map_err(|e| IoError::format(path, e))?;
    for batch in reader {
        let batch = batch.map_err(|e| IoError::format(path, e))?;
        for (i, name) in names.iter().enumerate() {
            let a = batch.column(i);
            let bad = || {
                IoError::format(
                    path,
                    format!("column `{name}` has an unsupported type {}", a.data_type()),
                )
            };
            let entry = out.entry(name.clone());
            match a.data_type() {
                DataType::Float64 => {
                    let v = a.as_any().downcast_ref::<Float64Array>().ok_or_else(bad)?;
                    if let Column::F64(c) = entry.or_insert(Column::F64(Vec::new())) {
                        c.extend(v.iter().map(|x| x.unwrap_or(f64::NAN)));
                    }
                }
                DataType::Float32 => {
                    let v = a.as_any().downcast_ref::<Float32Array>().ok_or_else(bad)?;
                    if let Column::F64(c) = entry.or_insert(Column::F64(Vec::new())) {
                        c.extend(v.iter().map(|x| x.map_or(f64::NAN, f64::from)));
                    }
                }
                DataType::Int64 => {
                    let v = a.as_any().downcast_ref::<Int64Array>().ok_or_else(bad)?;
                    if v.null_count() > 0 {
                        return Err(IoError::format(
                            path,
                            format!("column `{name}` has empty (null) integers"),
                        ));
                    }
                    if let Column::I64(c) = entry.or_insert(Column::I64(Vec::new())) {
                        c.extend(v.iter().map(|x| x.unwrap_or(0)));
                    }
                }
                DataType::Int32 => {
                    let v = a.as_any().downcast_ref::<Int32Array>().ok_or_else(bad)?;
                    if v.null_count() > 0 {
                        return Err(IoError::format(
                            path,
                            format!("column `{name}` has empty (null) integers"),
                        ));
                    }
                    if let Column::I64(c) = entry.or_insert(Column::I64(Vec::new())) {
                        c.extend(v.iter().map(|x| i64::from(x.unwrap_or(0))));
                    }
                }
                DataType::LargeUtf8 => {
                    let v = a.as_any().downcast_ref::<LargeStringArray>().ok_or_else(bad)?;
                    if let Column::Str(c) = entry.or_insert(Column::Str(Vec::new())) {
                        c.extend(v.iter().map(|x| x.unwrap_or("").to_string()));
                    }
                }
                DataType::UInt32 => {
                    let v = a.as_any().downcast_ref::<UInt32Array>().ok_or_else(bad)?;
                    if let Column::U32(c) = entry.or_insert(Column::U32(Vec::new())) {
                        c.extend(v.iter().map(|x| x.unwrap_or(0)));
                    }
                }
                DataType::UInt64 => {
                    let v = a.as_any().downcast_ref::<UInt64Array>().ok_or_else(bad)?;
                    if let Column::U64(c) = entry.or_insert(Column::U64(Vec::new())) {
                        c.extend(v.iter().map(|x| x.unwrap_or(0)));
                    }
                }
                DataType::Utf8 => {
                    let v = a.as_any().downcast_ref::<StringArray>().ok_or_else(bad)?;
                    if let Column::Str(c) = entry.or_insert(Column::Str(Vec::new())) {
                        c.extend(v.iter().map(|x| x.unwrap_or("").to_string()));
                    }
                }
                DataType::Boolean => {
                    let v = a.as_any().downcast_ref::<BooleanArray>().ok_or_else(bad)?;
                    if let Column::Bool(c) = entry.or_insert(Column::Bool(Vec::new())) {
                        c.extend(v.iter().map(|x| x.unwrap_or(false)));
                    }
                }
                _ => return Err(bad()),
            }
        }
    }
    Ok(out)
}

/// Take a column of the expected type out of a read table.
fn take<T>(
    path: &Path,
    cols: &mut BTreeMap<String, Column>,
    name: &str,
    pick: impl Fn(Column) -> Option<Vec<T>>,
) -> IoResult<Vec<T>> {
    let c = cols
        .remove(name)
        .ok_or_else(|| IoError::format(path, format!("missing column `{name}`")))?;
    pick(c).ok_or_else(|| IoError::format(path, format!("column `{name}` has the wrong type")))
}

fn f64s(c: Column) -> Option<Vec<f64>> {
    match c {
        Column::F64(v) => Some(v),
        _ => None,
    }
}
fn u32s(c: Column) -> Option<Vec<u32>> {
    match c {
        Column::U32(v) => Some(v),
        _ => None,
    }
}
fn u64s(c: Column) -> Option<Vec<u64>> {
    match c {
        Column::U64(v) => Some(v),
        _ => None,
    }
}
fn strs(c: Column) -> Option<Vec<String>> {
    match c {
        Column::Str(v) => Some(v),
        _ => None,
    }
}
fn bools(c: Column) -> Option<Vec<bool>> {
    match c {
        Column::Bool(v) => Some(v),
        _ => None,
    }
}

/// `spikes.parquet`: `t_ms` f64, `neuron` u32, `population` string.
pub fn write_spikes(path: &Path, s: &SpikeRows) -> IoResult<()> {
    write_columns(
        path,
        &[
            ("t_ms", ColumnRef::F64(&s.t_ms)),
            ("neuron", ColumnRef::U32(&s.neuron)),
            ("population", ColumnRef::Str(&s.population)),
        ],
    )
}

/// Read `spikes.parquet`.
pub fn read_spikes(path: &Path) -> IoResult<SpikeRows> {
    let mut c = read_columns(path)?;
    Ok(SpikeRows {
        t_ms: take(path, &mut c, "t_ms", f64s)?,
        neuron: take(path, &mut c, "neuron", u32s)?,
        population: take(path, &mut c, "population", strs)?,
    })
}

/// `traces.parquet`: `t_ms`, `population`, `neuron`, `signal`, `compartment`, `receptor`, `value`.
pub fn write_traces(path: &Path, t: &TraceRows) -> IoResult<()> {
    write_columns(
        path,
        &[
            ("t_ms", ColumnRef::F64(&t.t_ms)),
            ("population", ColumnRef::Str(&t.population)),
            ("neuron", ColumnRef::U32(&t.neuron)),
            ("signal", ColumnRef::Str(&t.signal)),
            ("compartment", ColumnRef::Str(&t.compartment)),
            ("receptor", ColumnRef::Str(&t.receptor)),
            ("value", ColumnRef::F64(&t.value)),
        ],
    )
}

/// Read `traces.parquet`.
pub fn read_traces(path: &Path) -> IoResult<TraceRows> {
    let mut c = read_columns(path)?;
    Ok(TraceRows {
        t_ms: take(path, &mut c, "t_ms", f64s)?,
        population: take(path, &mut c, "population", strs)?,
        neuron: take(path, &mut c, "neuron", u32s)?,
        signal: take(path, &mut c, "signal", strs)?,
        compartment: take(path, &mut c, "compartment", strs)?,
        receptor: take(path, &mut c, "receptor", strs)?,
        value: take(path, &mut c, "value", f64s)?,
    })
}

/// `weights.parquet`: `t_ms`, `synapse`, `projection`, `compartment`, `position_um`, `weight`,
/// `spine_size`.
pub fn write_weights(path: &Path, w: &WeightRows) -> IoResult<()> {
    write_columns(
        path,
        &[
            ("t_ms", ColumnRef::F64(&w.t_ms)),
            ("synapse", ColumnRef::U64(&w.synapse)),
            ("projection", ColumnRef::Str(&w.projection)),
            ("compartment", ColumnRef::Str(&w.compartment)),
            ("position_um", ColumnRef::F64(&w.position_um)),
            ("weight", ColumnRef::F64(&w.weight)),
            ("spine_size", ColumnRef::F64(&w.spine_size)),
        ],
    )
}

/// Read `weights.parquet`.
pub fn read_weights(path: &Path) -> IoResult<WeightRows> {
    let mut c = read_columns(path)?;
    Ok(WeightRows {
        t_ms: take(path, &mut c, "t_ms", f64s)?,
        synapse: take(path, &mut c, "synapse", u64s)?,
        projection: take(path, &mut c, "projection", strs)?,
        compartment: take(path, &mut c, "compartment", strs)?,
        position_um: take(path, &mut c, "position_um", f64s)?,
        weight: take(path, &mut c, "weight", f64s)?,
        spine_size: take(path, &mut c, "spine_size", f64s)?,
    })
}

/// `synapses.parquet`: the static table of synapses (final weights).
pub fn write_synapses(path: &Path, s: &SynapseRows) -> IoResult<()> {
    write_columns(
        path,
        &[
            ("synapse", ColumnRef::U64(&s.synapse)),
            ("projection", ColumnRef::Str(&s.projection)),
            ("source_population", ColumnRef::Str(&s.source_population)),
            ("source", ColumnRef::U32(&s.source)),
            ("target_population", ColumnRef::Str(&s.target_population)),
            ("target", ColumnRef::U32(&s.target)),
            ("compartment", ColumnRef::Str(&s.compartment)),
            ("receptor", ColumnRef::Str(&s.receptor)),
            ("position_um", ColumnRef::F64(&s.position_um)),
            ("weight", ColumnRef::F64(&s.weight)),
            ("delay_ms", ColumnRef::F64(&s.delay_ms)),
            ("alive", ColumnRef::Bool(&s.alive)),
            ("spine_size", ColumnRef::F64(&s.spine_size)),
        ],
    )
}

/// Read `synapses.parquet`.
pub fn read_synapses(path: &Path) -> IoResult<SynapseRows> {
    let mut c = read_columns(path)?;
    Ok(SynapseRows {
        synapse: take(path, &mut c, "synapse", u64s)?,
        projection: take(path, &mut c, "projection", strs)?,
        source_population: take(path, &mut c, "source_population", strs)?,
        source: take(path, &mut c, "source", u32s)?,
        target_population: take(path, &mut c, "target_population", strs)?,
        target: take(path, &mut c, "target", u32s)?,
        compartment: take(path, &mut c, "compartment", strs)?,
        receptor: take(path, &mut c, "receptor", strs)?,
        position_um: take(path, &mut c, "position_um", f64s)?,
        weight: take(path, &mut c, "weight", f64s)?,
        delay_ms: take(path, &mut c, "delay_ms", f64s)?,
        alive: take(path, &mut c, "alive", bools)?,
        spine_size: take(path, &mut c, "spine_size", f64s)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_trip() {
        let dir = std::env::temp_dir().join(format!("dendra-pq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let spikes = SpikeRows {
            t_ms: vec![0.1, 0.5, 2.0],
            neuron: vec![3, 0, 3],
            population: vec!["exc".into(), "inh".into(), "exc".into()],
        };
        let p = dir.join("spikes.parquet");
        write_spikes(&p, &spikes).unwrap();
        assert_eq!(read_spikes(&p).unwrap(), spikes);
        assert!(!temp_name(&p).exists());
        let empty = SpikeRows::default();
        write_spikes(&p, &empty).unwrap();
        assert_eq!(read_spikes(&p).unwrap(), empty);
        let e = read_traces(&p).unwrap_err();
        assert!(e.to_string().contains("missing column"), "{e}");
        std::fs::write(dir.join("junk.parquet"), b"not parquet").unwrap();
        assert!(read_spikes(&dir.join("junk.parquet")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
