//! The two-photon readout of one animal, as the experiment would record it.
//!
//! On each imaged session, for the dendrites of the animal's group (`apical`: the two tuft
//! branches; `basal`: the two basal branches), at `frame_rate_hz`, sampled at frame centres:
//!
//! - **spine glutamate (iGluSnFR3)**: each presynaptic spike (arriving after the synaptic
//!   delay) is released with probability `GLU_RELEASE_P` and adds a transient
//!   `a (e^{-t/τd} - e^{-t/τr})` with `τr = GLU_RISE_MS`, `τd = GLU_DECAY_MS` and amplitude `a`
//!   gamma-distributed (mean `GLU_AMPLITUDE`, CV 0.3);
//! - **dendritic calcium (RCaMP2)**: each somatic spike, arriving as a bAP, adds a transient with
//!   `CA_RISE_MS`, `CA_DECAY_MS` and amplitude `CA_AMPLITUDE`;
//! - **somatic calcium**: the same spikes with amplitude `SOMA_CA_AMPLITUDE` and noise
//!   `SOMA_CA_NOISE`, one trace per session, given with each of the neuron's imaged dendrites;
//! - **noise**: shot noise `N(0, σ² (1 + max(F, 0)))` per frame (`σ = GLU_NOISE` or `CA_NOISE`
//!   times `4 / spine_snr`,
//!   `F` the noiseless signal), a slow baseline drift (a sinusoid of amplitude `DRIFT_DFF` and a
//!   random period of 20–60 s), and motion artefacts: about `MOTION_PER_MIN` per minute per
//!   field of view, 3–6 frames long, a common offset `N(0, MOTION_DFF²)` on every trace of the
//!   field;
//! - **spine size**: `size = 0.2 + 1.6 w` (the rule layer's spine coupling) at baseline (start
//!   of training) and follow-up (end), each measured with multiplicative noise of CV
//!   `size_noise_cv`; a spine measured below `LOST_SIZE` at follow-up counts as lost (its
//!   follow-up size is missing, so the analysis leaves it out).

use dendra_analysis::{Spine, Trace, Trial};
use dendra_core::{Purpose, StreamKey};
use dendra_model::rules::SpineParams;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Normal};

use super::animal::AnimalRun;
use super::circuit::{APICAL, BASAL};
use super::layout::Input;
use super::params::Wright2025Params;

/// Release probability per presynaptic spike.
pub const GLU_RELEASE_P: f64 = 0.8;
/// Glutamate-transient rise (ms).
pub const GLU_RISE_MS: f64 = 3.0;
/// Glutamate-transient decay (ms).
pub const GLU_DECAY_MS: f64 = 60.0;
/// Mean glutamate-transient amplitude (dF/F).
pub const GLU_AMPLITUDE: f64 = 1.0;
/// Glutamate shot noise (dF/F).
pub const GLU_NOISE: f64 = 0.25;
/// Calcium-transient rise (ms).
pub const CA_RISE_MS: f64 = 20.0;
/// Calcium-transient decay (ms).
pub const CA_DECAY_MS: f64 = 300.0;
/// Calcium-transient amplitude (dF/F).
pub const CA_AMPLITUDE: f64 = 0.8;
/// Calcium shot noise (dF/F).
pub const CA_NOISE: f64 = 0.15;
/// Somatic calcium-transient amplitude per spike (dF/F).
pub const SOMA_CA_AMPLITUDE: f64 = 1.2;
/// Somatic calcium shot noise (dF/F).
pub const SOMA_CA_NOISE: f64 = 0.1;
/// Baseline drift amplitude (dF/F).
pub const DRIFT_DFF: f64 = 0.1;
/// Motion artefacts per minute per field of view.
pub const MOTION_PER_MIN: f64 = 1.0;
/// Motion artefact amplitude (dF/F, s.d.).
pub const MOTION_DFF: f64 = 0.5;
/// Follow-up sizes below this count as lost spines.
pub const LOST_SIZE: f64 = 0.15;

/// Peak of `e^{-t/τd} - e^{-t/τr}`, to normalise kernels to amplitude 1.
fn kernel_peak(rise: f64, decay: f64) -> f64 {
    let t = rise * decay / (decay - rise) * (decay / rise).ln();
    (-t / decay).exp() - (-t / rise).exp()
}

/// Add transients at `times` (ms, relative to the session start) to `trace` (frames).
fn add_transients(trace: &mut [f64], frame_ms: f64, times: &[(f64, f64)], rise: f64, decay: f64) {
    let peak = kernel_peak(rise, decay);
    let span = 8.0 * decay;
    for &(t, a) in times {
        let first = ((t / frame_ms - 0.5).ceil().max(0.0)) as usize;
        let mut f = first;
        while f < trace.len() {
            let dt = (f as f64 + 0.5) * frame_ms - t;
            if dt > span {
                break;
            }
            if dt >= 0.0 {
                trace[f] += a * ((-dt / decay).exp() - (-dt / rise).exp()) / peak;
            }
            f += 1;
        }
    }
}

/// Shot noise and drift on one trace.
fn add_noise(trace: &mut [f64], frame_ms: f64, sigma: f64, rng: &mut ChaCha8Rng) {
    let period_ms = 20_000.0 + 40_000.0 * rng.random::<f64>();
    let phase = std::f64::consts::TAU * rng.random::<f64>();
    let normal = Normal::new(0.0, 1.0).expect("unit normal");
    for (f, v) in trace.iter_mut().enumerate() {
        let t = f as f64 * frame_ms;
        let shot = sigma * (1.0 + v.max(0.0)).sqrt() * normal.sample(rng);
        *v += shot + DRIFT_DFF * (std::f64::consts::TAU * t / period_ms + phase).sin();
    }
}

/// Motion artefacts of one field of view: `(first frame, frames, offset)`.
fn motion(frames: usize, frame_ms: f64, noise: f64, rng: &mut ChaCha8Rng) -> Vec<(usize, usize, f64)> {
    let normal = Normal::new(0.0, MOTION_DFF * noise).expect("positive s.d.");
    let minutes = frames as f64 * frame_ms / 60_000.0;
    let mut out = Vec::new();
    let mut t = 0.0;
    loop {
        t += -(1.0 - rng.random::<f64>()).ln() / MOTION_PER_MIN;
        if t >= minutes {
            break;
        }
        let first = (t / minutes * frames as f64) as usize;
        let len = 3 + (rng.random::<f64>() * 4.0) as usize;
        out.push((first, len, normal.sample(rng)));
    }
    out
}

fn apply_motion(trace: &mut [f64], artefacts: &[(usize, usize, f64)]) {
    for &(first, len, offset) in artefacts {
        for v in trace.iter_mut().skip(first).take(len) {
            *v += offset;
        }
    }
}

/// The part of an [`dendra_analysis::ImagingData`] set that one animal contributes.
#[derive(Debug, Clone, Default)]
pub struct Readout {
    /// Spines.
    pub spines: Vec<Spine>,
    /// Spine traces.
    pub spine_traces: Vec<Trace>,
    /// Dendrite traces.
    pub dendrite_traces: Vec<Trace>,
    /// Soma traces (keyed by dendrite).
    pub soma_traces: Vec<Trace>,
    /// Trials.
    pub trials: Vec<Trial>,
    /// Ground truth per spine id: `(movement-related, clustered)`.
    pub truth: Vec<(u32, bool, bool)>,
}

/// Image one animal.
pub fn image(p: &Wright2025Params, run: &AnimalRun) -> Readout {
    let a = &run.animal;
    let branches = if a.group == "apical" { APICAL } else { BASAL };
    let frame_ms = 1000.0 / p.frame_rate_hz;
    let session_ms = p.session_ms();
    let frames = (session_ms / frame_ms).floor() as usize;
    let sizes = SpineParams::default();
    let mut out = Readout::default();
    let mut mrng = StreamKey::new(a.seed, Purpose::Measurement, 0, 0).rng();
    // Shot noise and motion artefacts relative to the calibrated SNR of 4.
    let noise = GLU_AMPLITUDE / GLU_NOISE / p.spine_snr;
    let size_noise = |rng: &mut ChaCha8Rng| {
        let cv = p.size_noise_cv;
        if cv > 0.0 {
            let s2 = (1.0 + cv * cv).ln();
            (Normal::new(-s2 / 2.0, s2.sqrt()).expect("finite").sample(rng)).exp()
        } else {
            1.0
        }
    };
    let amplitude = Gamma::new(1.0 / 0.09, GLU_AMPLITUDE * 0.09).expect("positive shape");
    // Each motor neuron's spikes, in time order, gathered once (not per spine and session).
    let mut motor_trains: Vec<Vec<f64>> = Vec::new();
    for &(t, j) in &run.motor_spikes {
        let j = j as usize;
        if motor_trains.len() <= j {
            motor_trains.resize(j + 1, Vec::new());
        }
        motor_trains[j].push(t);
    }
    let condition = if a.kir { "kir" } else { "control" };
    let group = if a.kir {
        format!("{}_kir", a.group)
    } else {
        a.group.to_string()
    };
    // Somatic calcium, one trace per imaged session (the same for each imaged dendrite).
    let soma: Vec<(u32, Vec<f64>)> = p
        .imaged_sessions
        .iter()
        .map(|&session| {
            let t0 = f64::from(session - 1) * session_ms;
            let mut rng = StreamKey::new(a.seed, Purpose::Measurement, 2, u64::from(session)).rng();
            let spikes: Vec<(f64, f64)> = run
                .soma_spikes
                .iter()
                .filter(|&&t| t >= t0 && t < t0 + session_ms)
                .map(|&t| (t - t0, SOMA_CA_AMPLITUDE))
                .collect();
            let mut ca = vec![0.0; frames];
            add_transients(&mut ca, frame_ms, &spikes, CA_RISE_MS, CA_DECAY_MS);
            add_noise(&mut ca, frame_ms, SOMA_CA_NOISE * noise, &mut rng);
            (session, ca)
        })
        .collect();
    for (b, &comp) in branches.iter().enumerate() {
        let dendrite = a.index * 10 + b as u32;
        for (session, ca) in &soma {
            out.soma_traces.push(Trace {
                id: dendrite,
                session: *session,
                dff: ca.clone(),
            });
        }
        let spines: Vec<(u32, &super::animal::SpineRecord)> = run
            .spines
            .iter()
            .filter(|s| s.site.compartment == comp)
            .enumerate()
            .map(|(k, s)| (a.index * 1000 + b as u32 * 100 + k as u32, s))
            .collect();
        for &(id, s) in &spines {
            let base = sizes.size(s.w_start) * size_noise(&mut mrng);
            let follow = sizes.size(s.w_end) * size_noise(&mut mrng);
            out.spines.push(Spine {
                id,
                animal: a.name.clone(),
                group: group.clone(),
                condition: condition.to_string(),
                dendrite,
                compartment: a.group.to_string(),
                position_um: s.site.position_um,
                size_baseline: base,
                size_followup: if follow < LOST_SIZE { f64::NAN } else { follow },
            });
            out.truth
                .push((id, matches!(s.site.input, Input::Motor(_)), s.site.clustered));
        }
        for &session in &p.imaged_sessions {
            let t0 = f64::from(session - 1) * session_ms;
            let key = u64::from(dendrite) << 16 | u64::from(session);
            let mut rng = StreamKey::new(a.seed, Purpose::Measurement, 1, key).rng();
            let artefacts = motion(frames, frame_ms, noise, &mut rng);
            // Dendritic calcium from bAPs.
            let mut ca = vec![0.0; frames];
            let baps: Vec<(f64, f64)> = run
                .soma_spikes
                .iter()
                .filter(|&&t| t >= t0 && t < t0 + session_ms)
                .map(|&t| (t - t0, CA_AMPLITUDE))
                .collect();
            add_transients(&mut ca, frame_ms, &baps, CA_RISE_MS, CA_DECAY_MS);
            add_noise(&mut ca, frame_ms, CA_NOISE * noise, &mut rng);
            apply_motion(&mut ca, &artefacts);
            out.dendrite_traces.push(Trace {
                id: dendrite,
                session,
                dff: ca,
            });
            for &(id, s) in &spines {
                let times: &[f64] = match s.site.input {
                    Input::Motor(j) => motor_trains.get(j as usize).map_or(&[], Vec::as_slice),
                    Input::Assembly(k) => &run.assembly_trains[k as usize],
                };
                let events: Vec<(f64, f64)> = times
                    .iter()
                    .map(|&t| t + run.delay_ms - t0)
                    .filter(|&t| (0.0..session_ms).contains(&t))
                    .filter_map(|t| {
                        let released = rng.random::<f64>() < GLU_RELEASE_P;
                        released.then(|| (t, amplitude.sample(&mut rng)))
                    })
                    .collect();
                let mut glu = vec![0.0; frames];
                add_transients(&mut glu, frame_ms, &events, GLU_RISE_MS, GLU_DECAY_MS);
                add_noise(&mut glu, frame_ms, GLU_NOISE * noise, &mut rng);
                apply_motion(&mut glu, &artefacts);
                out.spine_traces.push(Trace {
                    id,
                    session,
                    dff: glu,
                });
            }
        }
    }
    for t in &run.trials {
        let s0 = f64::from(t.session - 1) * session_ms;
        out.trials.push(Trial {
            animal: a.name.clone(),
            session: t.session,
            trial: t.trial,
            cue_s: (t.cue_ms - s0) / 1000.0,
            press_s: t.press_ms.map_or(f64::NAN, |x| (x - s0) / 1000.0),
            rewarded: t.rewarded,
            movement_corr: t.movement_corr,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_peak_at_their_amplitude() {
        let mut tr = vec![0.0; 2000];
        add_transients(&mut tr, 1.0, &[(100.0, 2.0)], GLU_RISE_MS, GLU_DECAY_MS);
        let max = tr.iter().copied().fold(0.0, f64::max);
        assert!((max - 2.0).abs() < 0.01, "{max}");
        assert_eq!(tr[99], 0.0);
    }
}
