//! Song, Miller & Abbott 2000: additive STDP drives the weights to a bimodal distribution.

use dendra_experiments::{RunOptions, run_builtin};

#[test]
fn song2000_weights_become_bimodal_at_100_s() {
    let s = run_builtin("song2000", &RunOptions::default()).unwrap().summary;
    let above = s.number("frac_w_above_0.9").unwrap();
    let below = s.number("frac_w_below_0.1").unwrap();
    // REFERENCES.md: Brian2 20.8 % / 23.6 %, NEST 18.1 % / 24.8 % at 100 s; target >= 15 % each.
    assert!(above >= 0.15, "above 0.9: {above}");
    assert!(below >= 0.15, "below 0.1: {below}");
    let hist: Vec<f64> = s
        .get("w_hist")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let middle = hist[3..7].iter().sum::<f64>() / 4.0;
    assert!(
        hist[0] > 2.0 * middle && hist[9] > 2.0 * middle,
        "bimodal: {hist:?}"
    );
    let rate = s.number("rate_hz").unwrap();
    assert!((5.0..60.0).contains(&rate), "output rate {rate} Hz");
    // Storage: target and weight (6 bytes: a u16 target) and the row pointer of its input (4;
    // one synapse per input), no reverse index (one target: its synapses are the whole CSR), 10
    // bytes in all; the input's presynaptic trace (8 bytes) is counted per neuron.
    let bytes = s.number("bytes_per_synapse").unwrap();
    assert!((bytes - 10.004).abs() < 1e-9, "{bytes} bytes per synapse");
    let traces = s.number("trace_bytes_per_synapse").unwrap();
    assert!((traces - 8.016).abs() < 1e-9, "{traces} trace bytes per synapse");
}

#[test]
fn potentiation_dominated_stdp_saturates_instead() {
    // Control: the bimodal split needs depression to dominate (A-/A+ > 1). With A-/A+ = 0.9,
    // causal pre-post correlations win and most weights run to g_max.
    use dendra_experiments::song2000::{Song2000Params, run_with};
    let p = Song2000Params {
        depression_ratio: 0.9,
        duration_ms: 30_000.0,
        ..Song2000Params::default()
    };
    let s = run_with(&p, &RunOptions::default()).unwrap().summary;
    let above = s.number("frac_w_above_0.9").unwrap();
    let below = s.number("frac_w_below_0.1").unwrap();
    assert!(above > 0.6 && below < 0.1, "above {above}, below {below}");
}
