//! `synapses.parquet` is streamed in chunks: it must hold exactly the engine's synapses in the
//! engine's order, and the weight probes' rows must point at the right synapse ids.

use dendra_io::parquet_io::read_synapses;
use dendra_io::tables::Tables;
use dendra_sim::{RunConfig, Simulation};

const SPEC: &str = r#"
[experiment]
name = "stream"
duration_ms = 20.0

[neurons.n]
compartments = [{ name = "apical", role = "apical_tuft", length_um = 100.0 }]
receptors = [{ name = "ampa", compartment = "apical", kind = "current", tau_ms = 5.0 }]
rules = [{ compartment = "apical", rule = { name = "pair_stdp" } }]

[[populations]]
name = "input"
size = 400
source = { kind = "poisson", rate_hz = 20.0 }

[[populations]]
name = "n"
neuron = "n"
size = 300

[[projections]]
name = "dense"
source = "input"
target = "n"
receptor = "ampa"
connectivity = { kind = "all_to_all" }
weight = { kind = "uniform", lo = 0.0, hi = 5.0 }
placement = { kind = "uniform" }

[[projections]]
name = "sparse"
source = "input"
target = "n"
receptor = "ampa"
connectivity = { kind = "fixed_indegree", k = 3 }
weight = 2.0

[[recording.weights]]
projection = "sparse"
interval_ms = 5.0
synapses = [[SPARSE_PAIRS]]
"#;

#[test]
fn the_streamed_table_is_the_engines_and_probe_ids_point_at_their_synapses() {
    let plan = |text: &str| {
        dendra_spec::Spec::parse("stream.toml", text)
            .and_then(|s| s.plan())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Pairs the seed connects, found on a first build without the probe.
    let bare = plan(&SPEC.replace(
        "\n[[recording.weights]]\nprojection = \"sparse\"\ninterval_ms = 5.0\nsynapses = [[SPARSE_PAIRS]]\n",
        "",
    ));
    let config = RunConfig { seed: 3, threads: 2 };
    let sim = Simulation::new(&bare.network, &config).unwrap();
    let sparse = sim.synapses(1);
    let picks: Vec<(u32, u32)> = [sparse.len() - 1, 7, 0]
        .iter()
        .map(|&i| (sparse[i].source, sparse[i].target))
        .collect();
    let pairs = picks
        .iter()
        .map(|(s, t)| format!("[{s}, {t}]"))
        .collect::<Vec<_>>()
        .join(", ");
    let net = plan(&SPEC.replace("[SPARSE_PAIRS]", &pairs)).network;
    let mut sim = Simulation::new(&net, &config).unwrap();
    sim.run(20.0).unwrap();
    let dir = std::env::temp_dir().join(format!("dendra-io-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("synapses.parquet");
    let tables = Tables::collect(&sim, &net, Some(&path)).unwrap();
    let table = read_synapses(&path).unwrap();
    // More rows than one chunk, in the engine's order, ids 0..n.
    let engine: Vec<_> = (0..2).flat_map(|p| sim.synapses(p)).collect();
    assert!(engine.len() > 1 << 16);
    assert_eq!(table.synapse, (0..engine.len() as u64).collect::<Vec<_>>());
    for (i, r) in engine.iter().enumerate() {
        assert_eq!(
            (table.source[i], table.target[i]),
            (r.source, r.target),
            "row {i}"
        );
        assert_eq!(table.weight[i], f64::from(r.weight), "row {i}");
    }
    assert_eq!(tables.final_weights.len(), 2);
    assert_eq!(tables.final_weights[0].weights.len(), 400 * 300);
    // Each weight row names the synapse it sampled.
    let w = &tables.weights;
    assert_eq!(w.t_ms.len(), 3 * 4, "three synapses, samples at 0, 5, 10, 15 ms");
    // Probes list their synapses in (source, target) order.
    let mut sorted = picks.clone();
    sorted.sort();
    for (k, &id) in w.synapse.iter().enumerate() {
        let id = id as usize;
        assert_eq!((table.source[id], table.target[id]), sorted[k % 3], "row {k}");
        assert_eq!(table.projection[id], "sparse");
        assert!(w.position_um[k].is_nan() == table.position_um[id].is_nan());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
