//! Run a network spec as it is: build, simulate for its duration, summarize.
//!
//! Summary keys: `neurons` (neurons and sources), `synapses`, `bytes_per_synapse`,
//! `duration_ms`, `seed`, `threads`, `spikes` (recorded), `rate_<population>_hz` for every
//! recorded neuron population, `rate_mean_hz` (over those), `cv_isi_mean` (neurons with at
//! least 3 spikes), `synaptic_events`, `build_s`, `loop_s`, `events_per_s`; for runs given in
//! sessions also `sessions`, `session_ms` and `rate_<population>_hz_by_session` (one rate per
//! session).

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

/// Per-session keys: `sessions`, `session_ms` and each recorded neuron population's rate per
/// session.
fn session_summary(s: &mut Summary, net: &NetworkDesc, sim: &Simulation, sessions: u32, session_ms: f64) {
    let spikes = sim.spikes();
    s.set("sessions", u64::from(sessions))
        .set("session_ms", session_ms);
    for &p in &net.recording.spikes {
        let pop = &net.populations[p];
        if pop.template().is_some() {
            let mut counts = vec![0u64; sessions as usize];
            for k in 0..spikes.len() {
                if spikes.population[k] as usize == p {
                    // A spike stamped at a session's end belongs to that session.
                    let i = ((spikes.t_ms[k] - 1e-9) / session_ms).floor().max(0.0) as usize;
                    let last = counts.len() - 1;
                    counts[i.min(last)] += 1;
                }
            }
            let rates: Vec<f64> = counts
                .iter()
                .map(|&c| c as f64 / f64::from(pop.size.max(1)) / (session_ms / 1000.0))
                .collect();
            s.set(&format!("rate_{}_hz_by_session", pop.name), rates);
        }
    }
}

/// Simulate `net` for `duration_ms` (or `sessions` × `session_ms`) and summarize.
pub fn run(
    net: NetworkDesc,
    duration_ms: f64,
    sessions: Option<(u32, f64)>,
    options: &RunOptions,
) -> Result<Outcome, ExperimentError> {
    let mut sim = crate::simulation(&net, options)?;
    sim.run_with_progress(duration_ms, options.progress)?;
    let mut s = summary(&net, &sim, duration_ms, options);
    if let Some((n, ms)) = sessions {
        session_summary(&mut s, &net, &sim, n, ms);
    }
    Ok(Outcome::recorded(s, net, sim))
}
