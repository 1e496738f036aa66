//! `synapses.parquet` streamed from a live simulation: the synapses of each projection are
//! visited in chunks ([`Simulation::visit_synapses`]) and each chunk becomes rows of the file
//! at once, so memory stays at one chunk (plus, for the figures, each projection's final
//! weights as `f32`) whatever the number of synapses. The same pass finds the table ids and
//! positions of the synapses that weight probes recorded.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use dendra_model::NetworkDesc;
use dendra_sim::{Simulation, SynapseRow};

use crate::error::IoResult;
use crate::parquet_io::{ChunkWriter, ColumnRef};

/// Rows per chunk.
const CHUNK_ROWS: usize = 1 << 16;

/// The final weights of a projection's alive synapses (what the weight histograms show).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FinalWeights {
    /// Projection name.
    pub projection: String,
    /// Weights of its alive synapses with a finite weight, in table order.
    pub weights: Vec<f32>,
}

/// Table id and position (µm; NaN without one) of each synapse that a weight probe recorded,
/// by `(projection, source, target)`; a pair with several synapses lists them in table order.
pub type RecordedIds = HashMap<(usize, u32, u32), Vec<(u64, f64)>>;

/// The column names and types of `synapses.parquet`, on `n` rows of `c`.
fn columns<'a>(c: &'a Chunk, names: &'a Names) -> [(&'static str, ColumnRef<'a>); 13] {
    let n = c.source.len();
    [
        ("synapse", ColumnRef::U64(&c.synapse)),
        ("projection", ColumnRef::Same(&names.projection, n)),
        ("source_population", ColumnRef::Same(&names.source, n)),
        ("source", ColumnRef::U32(&c.source)),
        ("target_population", ColumnRef::Same(&names.target, n)),
        ("target", ColumnRef::U32(&c.target)),
        ("compartment", ColumnRef::Same(&names.compartment, n)),
        ("receptor", ColumnRef::Same(&names.receptor, n)),
        ("position_um", ColumnRef::F64(&c.position_um)),
        ("weight", ColumnRef::F64(&c.weight)),
        ("delay_ms", ColumnRef::F64(&c.delay_ms)),
        ("alive", ColumnRef::Bool(&c.alive)),
        ("spine_size", ColumnRef::F64(&c.spine_size)),
    ]
}

/// The names repeated on every row of one projection.
#[derive(Default)]
pub(crate) struct Names {
    projection: String,
    source: String,
    target: String,
    /// The target compartment's name (empty onto sources).
    pub(crate) compartment: String,
    receptor: String,
}

impl Names {
    /// The names of projection `p` of `net`.
    pub(crate) fn of(net: &NetworkDesc, p: usize) -> Names {
        let proj = &net.projections[p];
        let (compartment, receptor) = match net.populations[proj.target].template() {
            Some(t) => {
                let r = &t.receptors[proj.receptor];
                (t.compartment_name(r.compartment).to_string(), r.name.clone())
            }
            None => (String::new(), String::new()),
        };
        Names {
            projection: proj.name.clone(),
            source: net.populations[proj.source].name.clone(),
            target: net.populations[proj.target].name.clone(),
            compartment,
            receptor,
        }
    }
}

/// One chunk of rows, column by column.
#[derive(Default)]
struct Chunk {
    synapse: Vec<u64>,
    source: Vec<u32>,
    target: Vec<u32>,
    position_um: Vec<f64>,
    weight: Vec<f64>,
    delay_ms: Vec<f64>,
    alive: Vec<bool>,
    spine_size: Vec<f64>,
}

impl Chunk {
    fn fill(&mut self, first_id: u64, rows: &[SynapseRow]) {
        self.synapse.clear();
        self.synapse.extend((0..rows.len() as u64).map(|i| first_id + i));
        self.source.clear();
        self.source.extend(rows.iter().map(|r| r.source));
        self.target.clear();
        self.target.extend(rows.iter().map(|r| r.target));
        self.position_um.clear();
        self.position_um
            .extend(rows.iter().map(|r| r.position_um.map_or(f64::NAN, f64::from)));
        self.weight.clear();
        self.weight.extend(rows.iter().map(|r| f64::from(r.weight)));
        self.delay_ms.clear();
        self.delay_ms.extend(rows.iter().map(|r| r.delay_ms));
        self.alive.clear();
        self.alive.extend(rows.iter().map(|r| r.alive));
        self.spine_size.clear();
        self.spine_size
            .extend(rows.iter().map(|r| r.spine_size.map_or(f64::NAN, f64::from)));
    }
}

/// Visit every synapse of `sim` (built from `net`) once, in table order: write
/// `synapses.parquet` to `path` (when given), and return each projection's final weights and
/// the ids of the `recorded` `(projection, source, target)` synapses.
pub fn stream_synapses(
    sim: &Simulation,
    net: &NetworkDesc,
    path: Option<&Path>,
    recorded: &HashSet<(usize, u32, u32)>,
) -> IoResult<(Vec<FinalWeights>, RecordedIds)> {
    let mut chunk = Chunk::default();
    let mut writer: Option<ChunkWriter> = None;
    let mut finals = Vec::with_capacity(net.projections.len());
    let mut ids = RecordedIds::new();
    let mut next_id = 0u64;
    for p in 0..net.projections.len() {
        let names = Names::of(net, p);
        let mut fin = FinalWeights {
            projection: names.projection.clone(),
            weights: Vec::new(),
        };
        sim.visit_synapses(p, CHUNK_ROWS, &mut |rows: &[SynapseRow]| -> IoResult<()> {
            for (i, r) in rows.iter().enumerate() {
                if r.alive && r.weight.is_finite() {
                    fin.weights.push(r.weight);
                }
                if recorded.contains(&(p, r.source, r.target)) {
                    let position = r.position_um.map_or(f64::NAN, f64::from);
                    ids.entry((p, r.source, r.target))
                        .or_default()
                        .push((next_id + i as u64, position));
                }
            }
            if let Some(path) = path {
                chunk.fill(next_id, rows);
                let cols = columns(&chunk, &names);
                if writer.is_none() {
                    writer = Some(ChunkWriter::create(path, &cols)?);
                }
                writer.as_mut().expect("created above").write(&cols)?;
            }
            next_id += rows.len() as u64;
            Ok(())
        })?;
        finals.push(fin);
    }
    if let Some(w) = writer {
        w.finish()?;
    }
    Ok((finals, ids))
}
