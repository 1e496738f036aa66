//! Run a network spec as it is: build, simulate for its duration, summarize.
//!
//! Summary keys: `neurons` (neurons and sources), `synapses`, `bytes_per_synapse`,
//! `duration_ms`, `seed`, `threads`, `spikes` (recorded), `rate_<population>_hz` for every
//! recorded neuron population, `rate_mean_hz` (over those), `cv_isi_mean` (neurons with at
//! least 3 spikes), `synaptic_events`, `build_s`, `loop_s`, `events_per_s`.

use dendra_model::NetworkDesc;
use dendra_sim::Simulation;

use crate::cuba::mean_cv_isi;
use crate::{ExperimentError, Outcome, RunOptions, Summary};

/// The generic summary of `sim` (built from `net`) after `duration_ms`.
pub fn summary(net: &NetworkDesc, sim: &Simulation, duration_ms: f64, options: &RunOptions) -> Summary {
    let spikes = sim.spikes();
    let stats = sim.stats();
    let secs = duration_ms / 1000.0;
    let neurons: u64 = net.populations.iter().map(|p| u64::from(p.size)).sum();
    let mut s = Summary::new();
    s.set("neurons", neurons)
        .set("synapses", stats.synapses)
        .set("bytes_per_synapse", stats.bytes_per_synapse())
        .set("duration_ms", duration_ms)
        .set("seed", options.seed)
        .set("threads", options.threads as u64)
        .set("spikes", spikes.len() as u64);
    let mut recorded_neurons = 0u64;
    let mut recorded_spikes = 0usize;
    for &p in &net.recording.spikes {
        let pop = &net.populations[p];
        if pop.template().is_some() {
            let n = spikes.count(p);
            s.set(
                &format!("rate_{}_hz", pop.name),
                n as f64 / f64::from(pop.size.max(1)) / secs,
            );
            recorded_neurons += u64::from(pop.size);
            recorded_spikes += n;
        }
    }
    s.set(
        "rate_mean_hz",
        recorded_spikes as f64 / recorded_neurons.max(1) as f64 / secs,
    )
    .set("cv_isi_mean", mean_cv_isi(&spikes, net.populations.len()))
    .set("synaptic_events", stats.events)
    .set("build_s", stats.build_seconds)
    .set("loop_s", stats.loop_seconds)
    .set(
        "events_per_s",
        stats.events as f64 / stats.loop_seconds.max(1e-12),
    );
    s
}

/// Simulate `net` for `duration_ms` and summarize.
pub fn run(net: NetworkDesc, duration_ms: f64, options: &RunOptions) -> Result<Outcome, ExperimentError> {
    let mut sim = crate::simulation(&net, options)?;
    sim.run_with_progress(duration_ms, options.progress)?;
    let s = summary(&net, &sim, duration_ms, options);
    Ok(Outcome::recorded(s, net, sim))
}
