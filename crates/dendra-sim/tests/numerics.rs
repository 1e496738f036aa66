//! Closed-form checks of the spiking engine's numerics.

mod common;

use common::*;
use dendra_model::*;

const DT: f64 = 0.1;

#[test]
fn lif_membrane_under_constant_current_is_exact() {
    let soma = passive_soma();
    let (g, c, e_l) = (soma.g_leak_ns, soma.c_m_pf, soma.e_leak_mv);
    let mut net = single(NeuronTemplate::point("n", soma, vec![]), 1);
    let i_pa = 150.0;
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 0,
            waveform: Waveform::Step { amplitude_pa: i_pa },
        },
    );
    probe(&mut net, ProbeSignal::Potential(0), 1);
    let (_, traces) = run(&net, 100.0);
    let tau = c / g;
    for (k, &v) in traces[0].values.iter().enumerate() {
        let t = k as f64 * DT;
        let expected = e_l + i_pa / g * (1.0 - (-t / tau).exp());
        assert!((v - expected).abs() < 1e-9, "t = {t}: {v} vs {expected}");
    }
}

#[test]
fn lif_fi_curve_matches_closed_form() {
    // T = t_ref + τ ln(R I / (R I - θ)), θ measured from E_L = V_reset; the grid can only
    // delay a threshold crossing, by less than one step.
    for &i_pa in &[210.0, 250.0, 400.0, 800.0, 1500.0] {
        let soma = SomaParams::default();
        let (g, tau, t_ref) = (soma.g_leak_ns, soma.tau_m_ms(), soma.t_ref_ms);
        let theta = -50.0 - soma.e_leak_mv;
        let mut net = single(NeuronTemplate::point("n", soma, vec![]), 1);
        stim(
            &mut net,
            Window::ALWAYS,
            StimulusKind::CurrentClamp {
                compartment: 0,
                waveform: Waveform::Step { amplitude_pa: i_pa },
            },
        );
        net.recording.spikes = vec![0];
        let (spikes, _) = run(&net, 500.0);
        let times = spikes.times_of(0, 0);
        assert!(times.len() >= 3, "I = {i_pa}: {} spikes", times.len());
        let ri = i_pa / g;
        let analytic = t_ref + tau * (ri / (ri - theta)).ln();
        for w in times.windows(2).skip(1) {
            let period = w[1] - w[0];
            let lag = period - analytic;
            assert!(
                (-1e-9..DT + 1e-9).contains(&lag),
                "I = {i_pa} pA: period {period} ms, closed form {analytic} ms"
            );
        }
        // The first spike from rest: the same formula without t_ref.
        let first = times[0] - (analytic - t_ref);
        assert!((-1e-9..DT + 1e-9).contains(&first), "first spike {}", times[0]);
    }
}

#[test]
fn below_rheobase_never_fires() {
    let soma = SomaParams::default();
    let rheobase = soma.g_leak_ns * (-50.0 - soma.e_leak_mv);
    let mut net = single(NeuronTemplate::point("n", soma, vec![]), 1);
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 0,
            waveform: Waveform::Step {
                amplitude_pa: rheobase * 0.99,
            },
        },
    );
    net.recording.spikes = vec![0];
    let (spikes, _) = run(&net, 500.0);
    assert!(spikes.is_empty());
}

/// One input spike at 1.0 ms through a synapse with weight `w` and delay 1.0 ms.
fn psp_network(receptor: ReceptorParams, w: f64) -> NetworkDesc {
    let mut net = single(NeuronTemplate::point("n", passive_soma(), vec![receptor]), 1);
    net.populations.push(Population {
        name: "in".into(),
        size: 1,
        kind: PopulationKind::Source(SourceParams::SpikeTrains {
            trains: vec![vec![1.0]],
        }),
    });
    net.projections.push(ProjectionDesc {
        name: "in".into(),
        source: 1,
        target: 0,
        receptor: 0,
        connectivity: Connectivity::AllToAll,
        weight: WeightDist::Constant(w),
        delay_ms: 1.0,
        delay_max_ms: None,
        placement: Placement::Uniform,
        allow_autapses: false,
        delay_site: DelaySite::Axonal,
    });
    probe(&mut net, ProbeSignal::Potential(0), 1);
    probe(&mut net, ProbeSignal::ReceptorCurrent(0), 1);
    net
}

#[test]
fn exponential_psc_and_psp_match_closed_form() {
    let (w, tau_s) = (100.0, 5.0);
    let soma = passive_soma();
    let (c, tau_m, e_l) = (soma.c_m_pf, soma.tau_m_ms(), soma.e_leak_mv);
    let net = psp_network(ReceptorParams::current("e", 0, tau_s), w);
    let (_, traces) = run(&net, 60.0);
    let (v, i) = (&traces[0], &traces[1]);
    let arrival = 2.0;
    let mut peak: f64 = 0.0;
    for k in 0..v.values.len() {
        let t = v.time_ms(k) - arrival;
        let (i_exp, v_exp) = if t < -1e-9 {
            (0.0, 0.0)
        } else {
            let psc = w * (-t / tau_s).exp();
            let psp = w * tau_m * tau_s / (c * (tau_s - tau_m)) * ((-t / tau_s).exp() - (-t / tau_m).exp());
            (psc, psp)
        };
        assert!(
            (i.values[k] - i_exp).abs() < 1e-9,
            "PSC at {t}: {} vs {i_exp}",
            i.values[k]
        );
        assert!(
            (v.values[k] - e_l - v_exp).abs() < 1e-9,
            "PSP at {t}: {} vs {v_exp}",
            v.values[k] - e_l
        );
        peak = peak.max(v.values[k] - e_l);
    }
    let t_peak = tau_m * tau_s / (tau_m - tau_s) * (tau_m / tau_s).ln();
    let amp = w * tau_m * tau_s / (c * (tau_s - tau_m)) * ((-t_peak / tau_s).exp() - (-t_peak / tau_m).exp());
    // The grid maximum is within a step's curvature of the true peak.
    assert!(peak <= amp + 1e-12 && amp - peak < 1e-4, "peak {peak} vs {amp}");
}

#[test]
fn conductance_psp_stays_below_reversal_and_matches_fine_reference() {
    let (w, tau_s, e_rev) = (20.0, 2.0, 0.0);
    let soma = passive_soma();
    let (c, g_l, e_l) = (soma.c_m_pf, soma.g_leak_ns, soma.e_leak_mv);
    let net = psp_network(ReceptorParams::conductance("ampa", 0, tau_s, e_rev), w);
    let (_, traces) = run(&net, 30.0);
    let v = &traces[0];
    // Reference: RK4 at 1 µs of C dV/dt = -g_L (V - E_L) + g(t) (E - V), g = w e^{-(t-2)/τ}.
    let h = 0.001;
    let f = |t: f64, v: f64| {
        let g = if t >= 2.0 {
            w * (-(t - 2.0) / tau_s).exp()
        } else {
            0.0
        };
        (-g_l * (v - e_l) + g * (e_rev - v)) / c
    };
    let (mut t, mut vr) = (2.0, e_l);
    let mut max_err: f64 = 0.0;
    for k in 21..v.values.len() {
        let target = v.time_ms(k);
        while t < target - 1e-12 {
            let k1 = f(t, vr);
            let k2 = f(t + h / 2.0, vr + h / 2.0 * k1);
            let k3 = f(t + h / 2.0, vr + h / 2.0 * k2);
            let k4 = f(t + h, vr + h * k3);
            vr += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            t += h;
        }
        max_err = max_err.max((v.values[k] - vr).abs());
        assert!(v.values[k] < e_rev);
    }
    let peak = v.values.iter().cloned().fold(f64::MIN, f64::max) - e_l;
    // First-order splitting of the conductance term: error small against the PSP.
    assert!(
        max_err < 0.01 * peak,
        "max error {max_err} mV for a {peak} mV PSP"
    );
}

#[test]
fn two_compartment_steady_state_matches_analytic_coupling() {
    let g_c = 15.0;
    let t = two_compartment(passive_soma(), g_c);
    let (g_s, g_d) = (t.soma.g_leak_ns, t.compartments[0].g_leak_ns);
    let e_l = t.soma.e_leak_mv;
    let mut net = single(t, 1);
    let i_pa = 100.0;
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 1,
            waveform: Waveform::Step { amplitude_pa: i_pa },
        },
    );
    probe(&mut net, ProbeSignal::Potential(0), 1);
    probe(&mut net, ProbeSignal::Potential(1), 1);
    let (_, traces) = run(&net, 400.0);
    let denom = g_s * g_d + g_c * (g_s + g_d);
    let vs = e_l + i_pa * g_c / denom;
    let vd = e_l + i_pa * (g_s + g_c) / denom;
    let last = |tr: &dendra_sim::Trace| *tr.values.last().unwrap();
    assert!(
        (last(&traces[0]) - vs).abs() < 1e-6,
        "{} vs {vs}",
        last(&traces[0])
    );
    assert!(
        (last(&traces[1]) - vd).abs() < 1e-6,
        "{} vs {vd}",
        last(&traces[1])
    );
}

#[test]
fn three_compartment_chain_current_balance() {
    // soma - trunk - tuft; at steady state the leak currents sum to the injected current.
    let mut t = two_compartment(passive_soma(), 20.0);
    let mut tuft = CompartmentParams::new("tuft", Role::at(Site::ApicalTuft), 1, 100.0);
    tuft.bap = None;
    tuft.g_couple_ns = 8.0;
    t.compartments.push(tuft);
    let leaks = [
        t.soma.g_leak_ns,
        t.compartments[0].g_leak_ns,
        t.compartments[1].g_leak_ns,
    ];
    let mut net = single(t, 1);
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 2,
            waveform: Waveform::Step { amplitude_pa: 80.0 },
        },
    );
    for c in 0..3 {
        probe(&mut net, ProbeSignal::Potential(c), 1);
    }
    let (_, traces) = run(&net, 500.0);
    let v: Vec<f64> = traces.iter().map(|t| *t.values.last().unwrap()).collect();
    let leak: f64 = (0..3).map(|c| leaks[c] * (v[c] + 70.0)).sum();
    assert!((leak - 80.0).abs() < 1e-6, "leak total {leak}");
    assert!(
        v[2] > v[1] && v[1] > v[0],
        "depolarisation decays towards the soma: {v:?}"
    );
}

#[test]
fn bap_arrives_with_set_delay_and_attenuation_and_can_be_blocked() {
    let mut t = two_compartment(SomaParams::default(), 10.0);
    t.compartments[0].bap = Some(BapParams {
        delay_ms: 0.5,
        attenuation: 0.3,
    });
    let kick = 0.3 * t.soma.spike_amplitude_mv;
    let build = |block: bool| {
        let mut net = single(t.clone(), 1);
        stim(
            &mut net,
            Window::new(0.0, 15.0),
            StimulusKind::CurrentClamp {
                compartment: 0,
                waveform: Waveform::Step { amplitude_pa: 600.0 },
            },
        );
        if block {
            stim(
                &mut net,
                Window::ALWAYS,
                StimulusKind::BlockBap { compartments: None },
            );
        }
        probe(&mut net, ProbeSignal::Potential(1), 1);
        net.recording.spikes = vec![0];
        net
    };
    let (spikes, traces) = run(&build(false), 40.0);
    let t_spike = spikes.t_ms[0];
    let v = &traces[0].values;
    let jumps: Vec<(f64, f64)> = v
        .windows(2)
        .enumerate()
        .filter(|(_, w)| (w[1] - w[0]).abs() > 5.0)
        .map(|(k, w)| ((k + 1) as f64 * DT, w[1] - w[0]))
        .collect();
    assert_eq!(jumps.len(), spikes.len(), "one bAP per spike: {jumps:?}");
    let (t_jump, size) = jumps[0];
    assert!(
        (t_jump - (t_spike + 0.5)).abs() < 1e-9,
        "bAP at {t_jump}, spike at {t_spike}"
    );
    assert!((size - kick).abs() < 0.5, "jump {size} vs {kick}");

    let (spikes_b, traces_b) = run(&build(true), 40.0);
    assert!(!spikes_b.is_empty(), "blocking the bAP leaves somatic spikes");
    assert!(traces_b[0].values.windows(2).all(|w| (w[1] - w[0]).abs() < 5.0));
}

#[test]
fn voltage_clamp_holds_and_reports_the_balancing_current() {
    let soma = passive_soma();
    let (g_l, e_l) = (soma.g_leak_ns, soma.e_leak_mv);
    let mut net = single(NeuronTemplate::point("n", soma, vec![]), 1);
    let (hold, inj) = (-55.0, 40.0);
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 0,
            waveform: Waveform::Step { amplitude_pa: inj },
        },
    );
    stim(
        &mut net,
        Window::new(10.0, 50.0),
        StimulusKind::VoltageClamp {
            compartment: 0,
            hold_mv: hold,
        },
    );
    probe(&mut net, ProbeSignal::Potential(0), 1);
    probe(&mut net, ProbeSignal::ClampCurrent(0), 1);
    let (_, traces) = run(&net, 60.0);
    let (v, i) = (&traces[0].values, &traces[1].values);
    for &x in &v[101..500] {
        assert!((x - hold).abs() < 1e-9, "held at {x}");
    }
    // Steady state: I_clamp + I_inj = g_L (V_hold - E_L).
    let expected = g_l * (hold - e_l) - inj;
    assert!((i[300] - expected).abs() < 1e-6, "{} vs {expected}", i[300]);
    assert_eq!(i[550], 0.0, "no clamp current after the window");
    assert!((v[599] - hold).abs() > 0.1, "released after the window");
}

#[test]
fn dendritic_voltage_clamp_matches_cable_balance() {
    let t = two_compartment(passive_soma(), 10.0);
    let (g_s, g_d, g_c) = (t.soma.g_leak_ns, t.compartments[0].g_leak_ns, 10.0);
    let mut net = single(t, 1);
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::VoltageClamp {
            compartment: 1,
            hold_mv: -40.0,
        },
    );
    probe(&mut net, ProbeSignal::Potential(0), 1);
    probe(&mut net, ProbeSignal::ClampCurrent(1), 1);
    let (_, traces) = run(&net, 300.0);
    let vs_expected = -70.0 + g_c * 30.0 / (g_s + g_c);
    let vs = *traces[0].values.last().unwrap();
    assert!((vs - vs_expected).abs() < 1e-6, "{vs} vs {vs_expected}");
    let i_expected = g_d * 30.0 + g_c * (-40.0 - vs_expected);
    let i = *traces[1].values.last().unwrap();
    assert!((i - i_expected).abs() < 1e-6, "{i} vs {i_expected}");
}

#[test]
fn adex_matches_fine_reference_integration() {
    // Brette & Gerstner 2005 tonic parameters; compare spike times with RK4 at 1 µs.
    let (c, g_l, e_l, v_t, d_t, a, b, tau_w, v_r, v_peak) =
        (281.0, 30.0, -70.6, -50.4, 2.0, 4.0, 80.5, 144.0, -70.6, 0.0);
    let soma = SomaParams {
        c_m_pf: c,
        g_leak_ns: g_l,
        e_leak_mv: e_l,
        v_reset_mv: v_r,
        t_ref_ms: 0.0,
        spike_amplitude_mv: 100.0,
        spike: SpikeMechanism::Exponential {
            v_t_mv: v_t,
            delta_t_mv: d_t,
            v_peak_mv: v_peak,
            a_ns: a,
            b_pa: b,
            tau_w_ms: tau_w,
        },
    };
    let i_pa = 800.0;
    let mut net = single(NeuronTemplate::point("adex", soma, vec![]), 1);
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 0,
            waveform: Waveform::Step { amplitude_pa: i_pa },
        },
    );
    net.recording.spikes = vec![0];
    probe(&mut net, ProbeSignal::Adaptation, 1);
    let (spikes, traces) = run(&net, 300.0);
    let got = spikes.times_of(0, 0);

    let h = 0.001;
    // Stages that overshoot V_peak are evaluated at V_peak, so the spike's upstroke does not
    // feed an unphysical voltage into w.
    let f = |v: f64, w: f64| {
        let v = v.min(v_peak);
        let dv = (-g_l * (v - e_l) + g_l * d_t * ((v - v_t) / d_t).exp() - w + i_pa) / c;
        let dw = (a * (v - e_l) - w) / tau_w;
        (dv, dw)
    };
    let (mut v, mut w, mut t) = (e_l, 0.0, 0.0);
    let mut reference = Vec::new();
    while t < 300.0 {
        let (a1, b1) = f(v, w);
        let (a2, b2) = f(v + h / 2.0 * a1, w + h / 2.0 * b1);
        let (a3, b3) = f(v + h / 2.0 * a2, w + h / 2.0 * b2);
        let (a4, b4) = f(v + h * a3, w + h * b3);
        v += h / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4);
        w += h / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4);
        t += h;
        if v >= v_peak || !v.is_finite() {
            reference.push(t);
            v = v_r;
            w += b;
        }
    }
    assert!(reference.len() >= 5, "{} reference spikes", reference.len());
    assert_eq!(
        got.len(),
        reference.len(),
        "engine {got:?}, reference {reference:?}"
    );
    // Spikes are detected on the grid (up to one step late, as in NEST's grid-based models), so
    // the first spike is within a step and each inter-spike interval within two steps.
    assert!(
        (got[0] - reference[0]).abs() < DT + 1e-9,
        "{} vs {}",
        got[0],
        reference[0]
    );
    for k in 1..got.len() {
        let (isi, isi_ref) = (got[k] - got[k - 1], reference[k] - reference[k - 1]);
        assert!((isi - isi_ref).abs() < 2.0 * DT, "ISI {k}: {isi} vs {isi_ref} ms");
    }
    assert!(traces[0].values.last().unwrap() > &0.0, "adaptation builds up");
}

/// Spike times of Izhikevich's 2003 model `v' = 0.04 v^2 + 5 v + 140 - u + I`,
/// `u' = a (b v - u)` (reset `v <- c`, `u <- u + d` at 30 mV) from rest at -65 mV, by RK4 at
/// 1 µs on the paper's own variables. Crossings are detected on the engine's grid of `dt_ms`
/// (as in the engine and NEST's grid-based models: the potential, its derivative evaluated at
/// most at 30 mV, runs on to the end of the step, and the reset happens there), so the
/// comparison measures the integration error alone.
fn izhikevich_2003_reference(
    (a, b, c, d): (f64, f64, f64, f64),
    i_pa: f64,
    dt_ms: f64,
    t_end_ms: f64,
) -> Vec<f64> {
    let sub = 100;
    let h = dt_ms / f64::from(sub);
    let f = |v: f64, u: f64| {
        let v = v.min(30.0);
        (0.04 * v * v + 5.0 * v + 140.0 - u + i_pa, a * (b * v - u))
    };
    let (mut v, mut u) = (-65.0, b * -65.0);
    let mut spikes = Vec::new();
    let steps = (t_end_ms / dt_ms).round() as u64;
    for n in 1..=steps {
        for _ in 0..sub {
            let (a1, b1) = f(v, u);
            let (a2, b2) = f(v + h / 2.0 * a1, u + h / 2.0 * b1);
            let (a3, b3) = f(v + h / 2.0 * a2, u + h / 2.0 * b2);
            let (a4, b4) = f(v + h * a3, u + h * b3);
            v += h / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4);
            u += h / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4);
        }
        if v >= 30.0 {
            spikes.push(n as f64 * dt_ms);
            v = c;
            u += d;
        }
    }
    spikes
}

#[test]
fn quadratic_matches_izhikevich_2003_reference_integration() {
    // Regular spiking, fast spiking and chattering (bursting) cells of Izhikevich 2003, under
    // a constant current, against RK4 on the paper's variables.
    for &(name, a, b, c, d, i_pa) in &[
        ("RS", 0.02, 0.2, -65.0, 8.0, 10.0),
        ("FS", 0.1, 0.2, -65.0, 2.0, 10.0),
        ("CH", 0.02, 0.2, -50.0, 2.0, 10.0),
    ] {
        let (soma, bias_pa) = SomaParams::izhikevich_2003(a, b, c, d);
        let mut net = single(NeuronTemplate::point("izh", soma, vec![]), 1);
        stim(
            &mut net,
            Window::ALWAYS,
            StimulusKind::CurrentClamp {
                compartment: 0,
                waveform: Waveform::Step {
                    amplitude_pa: i_pa + bias_pa,
                },
            },
        );
        net.recording.spikes = vec![0];
        probe(&mut net, ProbeSignal::Adaptation, 1);
        let t_end = 300.0;
        let (spikes, traces) = run(&net, t_end);
        let got = spikes.times_of(0, 0);
        let reference = izhikevich_2003_reference((a, b, c, d), i_pa, DT, t_end);
        assert!(
            reference.len() >= 5,
            "{name}: {} reference spikes",
            reference.len()
        );
        assert_eq!(
            got.len(),
            reference.len(),
            "{name}: engine {got:?}, reference {reference:?}"
        );
        // Second-order integration: over 300 ms (up to 41 spikes) the train drifts by less than
        // a millisecond, and each inter-spike interval is within two steps.
        for (k, (&t, &t_ref)) in got.iter().zip(&reference).enumerate() {
            assert!((t - t_ref).abs() < 1.0, "{name} spike {k}: {t} vs {t_ref} ms");
            if k > 0 {
                let (isi, isi_ref) = (t - got[k - 1], t_ref - reference[k - 1]);
                assert!(
                    (isi - isi_ref).abs() < 2.0 * DT + 1e-9,
                    "{name} ISI {k}: {isi} vs {isi_ref} ms"
                );
            }
        }
        // The recovery current sits on its nullcline at rest: U = b (V0 - V_r) = u + 16.53.
        let u0 = traces[0].values[0];
        assert!((u0 - (b * -65.0 + bias_pa)).abs() < 0.2, "{name}: U(0) = {u0}");
    }
}

#[test]
fn quadratic_soma_with_blocked_spikes_stays_bounded() {
    let (soma, bias_pa) = SomaParams::izhikevich_2003(0.02, 0.2, -65.0, 8.0);
    let mut net = single(NeuronTemplate::point("izh", soma, vec![]), 1);
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 0,
            waveform: Waveform::Step {
                amplitude_pa: 20.0 + bias_pa,
            },
        },
    );
    stim(&mut net, Window::ALWAYS, StimulusKind::BlockSpikes);
    net.recording.spikes = vec![0];
    probe(&mut net, ProbeSignal::Potential(0), 1);
    let (spikes, traces) = run(&net, 200.0);
    assert!(spikes.times_of(0, 0).is_empty());
    let v_max = traces[0].values.iter().copied().fold(f64::MIN, f64::max);
    assert!(
        v_max.is_finite() && v_max < 30.0,
        "blocked soma reached {v_max} mV"
    );
}

#[test]
fn plateau_holds_the_branch_depolarised_for_its_duration() {
    let mut t = two_compartment(passive_soma(), 5.0);
    t.compartments[0].plateau = Some(PlateauParams {
        threshold_mv: -50.0,
        current_pa: 200.0,
        duration_ms: 30.0,
        refractory_ms: 100.0,
        strength: None,
    });
    let mut net = single(t, 1);
    stim(
        &mut net,
        Window::new(5.0, 8.0),
        StimulusKind::CurrentClamp {
            compartment: 1,
            waveform: Waveform::Step { amplitude_pa: 800.0 },
        },
    );
    probe(&mut net, ProbeSignal::Potential(1), 1);
    let (_, traces) = run(&net, 120.0);
    let v = &traces[0].values;
    let onset = v.iter().position(|&x| x >= -50.0).expect("threshold reached");
    // Without the plateau the branch would relax within a few τ_d = 20 ms; with it, it stays
    // above threshold-ish for ~30 ms, then returns to rest.
    let at = |ms: f64| v[(ms / DT) as usize];
    assert!(
        at(onset as f64 * DT + 25.0) > -55.0,
        "still depolarised 25 ms later"
    );
    assert!(
        at(110.0) < -69.0,
        "back to rest after the plateau and refractoriness"
    );
}

#[test]
fn spike_block_and_kir_suppress_firing() {
    let count = |extra: Option<StimulusKind>| {
        let mut net = single(NeuronTemplate::point("n", SomaParams::default(), vec![]), 1);
        stim(
            &mut net,
            Window::ALWAYS,
            StimulusKind::CurrentClamp {
                compartment: 0,
                waveform: Waveform::Step { amplitude_pa: 600.0 },
            },
        );
        if let Some(k) = extra {
            stim(&mut net, Window::new(100.0, 200.0), k);
        }
        net.recording.spikes = vec![0];
        let (spikes, _) = run(&net, 300.0);
        // Steps 1000..2000 are blocked; their spikes would be stamped in (100, 200].
        let in_window = spikes
            .t_ms
            .iter()
            .filter(|&&t| t > 100.0 + 1e-9 && t <= 200.0 + 1e-9)
            .count();
        (spikes.len(), in_window)
    };
    let (all, control) = count(None);
    assert!(control > 5, "{control}");
    let (_, blocked) = count(Some(StimulusKind::BlockSpikes));
    assert_eq!(blocked, 0);
    let (_, kir) = count(Some(StimulusKind::Kir {
        g_ns: 10.0,
        e_k_mv: -90.0,
    }));
    assert!(kir < control / 2, "Kir {kir} vs control {control}");
    let (after, _) = count(Some(StimulusKind::BlockSpikes));
    assert!(after > all / 2, "firing resumes after the block");
}

#[test]
fn optogenetic_activation_drives_only_expressing_neurons_in_window() {
    let mut net = single(NeuronTemplate::point("n", SomaParams::default(), vec![]), 200);
    net.stimuli.push(Stimulus {
        population: 0,
        neurons: Selection::Fraction(0.5),
        window: Window::new(50.0, 100.0),
        kind: StimulusKind::Optogenetic { current_pa: 400.0 },
    });
    net.recording.spikes = vec![0];
    let (spikes, _) = run(&net, 150.0);
    assert!(spikes.t_ms.iter().all(|&t| t > 50.0 && t <= 100.1));
    let mut active: Vec<u32> = spikes.neuron.clone();
    active.sort_unstable();
    active.dedup();
    let frac = active.len() as f64 / 200.0;
    assert!((0.35..0.65).contains(&frac), "fraction active {frac}");
}

#[test]
fn ramp_current_depolarises_progressively() {
    let soma = passive_soma();
    let mut net = single(NeuronTemplate::point("n", soma, vec![]), 1);
    stim(
        &mut net,
        Window::new(0.0, 100.0),
        StimulusKind::CurrentClamp {
            compartment: 0,
            waveform: Waveform::Ramp {
                from_pa: 0.0,
                to_pa: 200.0,
            },
        },
    );
    probe(&mut net, ProbeSignal::Potential(0), 1);
    let (_, traces) = run(&net, 100.0);
    let v = &traces[0].values;
    // For a ramp I = k t: V - E_L = R k (t - τ (1 - e^{-t/τ})) (the grid holds I per step, so
    // allow a step's worth of lag).
    let (r, tau, k) = (0.1, 20.0, 2.0);
    for (n, &x) in v.iter().enumerate().skip(1) {
        let t = n as f64 * DT;
        let exact = r * k * (t - tau * (1.0 - (-t / tau).exp()));
        assert!(
            (x + 70.0 - exact).abs() < r * k * DT + 1e-9,
            "t {t}: {} vs {exact}",
            x + 70.0
        );
    }
}

#[test]
fn escape_noise_rate_matches_phi_of_the_clamped_potential() {
    // Hold the soma at V with a constant current: the spike count over T follows
    // φ(V) = φ_max / (1 + k e^{β(θ - V)}) (with refractoriness: rate φ / (1 + φ t_ref)).
    let (phi_max, k, beta, theta) = (150.0, 0.5, 1.0 / 3.0, -55.0);
    let soma = SomaParams {
        t_ref_ms: 2.0,
        spike: SpikeMechanism::Escape {
            phi_max_hz: phi_max,
            k,
            beta_per_mv: beta,
            theta_mv: theta,
        },
        ..SomaParams::default()
    };
    let (g_l, e_l) = (soma.g_leak_ns, soma.e_leak_mv);
    for v in [-65.0, -55.0, -50.0] {
        let mut net = single(NeuronTemplate::point("pp", soma.clone(), vec![]), 200);
        stim(
            &mut net,
            Window::ALWAYS,
            StimulusKind::CurrentClamp {
                compartment: 0,
                waveform: Waveform::Step {
                    amplitude_pa: g_l * (v - e_l),
                },
            },
        );
        net.stimuli.push(Stimulus {
            population: 0,
            neurons: Selection::All,
            window: Window::new(0.0, 100.0),
            kind: StimulusKind::BlockSpikes,
        });
        net.recording.spikes = vec![0];
        let (spikes, _) = run(&net, 2100.0);
        let count = spikes.t_ms.iter().filter(|&&t| t > 100.0).count() as f64;
        let phi = phi_max / (1.0 + k * (beta * (theta - v)).exp()) / 1000.0; // per ms
        let expected_rate = phi / (1.0 + phi * 2.0); // per ms, dead time 2 ms
        let expected = expected_rate * 2000.0 * 200.0;
        assert!(
            (count - expected).abs() < 5.0 * expected.sqrt() + 0.03 * expected,
            "V {v}: {count} spikes vs {expected:.0}"
        );
    }
}

#[test]
fn heterogeneous_delays_spread_arrivals_uniformly_and_exactly() {
    // 400 sources spike once at 1.0 ms onto one passive neuron through delays uniform in
    // [1, 5] ms: the receptor current jumps by w at each arrival, never before 2.0 ms or after
    // 6.0 ms, the jumps sum to 400 w, and each synapse arrives at its own reported delay.
    let w = 1.0;
    let mut net = single(
        NeuronTemplate::point("n", passive_soma(), vec![ReceptorParams::current("e", 0, 1e9)]),
        1,
    );
    net.populations.push(Population {
        name: "in".into(),
        size: 400,
        kind: PopulationKind::Source(SourceParams::SpikeTrains {
            trains: vec![vec![1.0]; 400],
        }),
    });
    net.projections.push(ProjectionDesc {
        name: "in".into(),
        source: 1,
        target: 0,
        receptor: 0,
        connectivity: Connectivity::AllToAll,
        weight: WeightDist::Constant(w),
        delay_ms: 1.0,
        delay_max_ms: Some(5.0),
        placement: Placement::Uniform,
        allow_autapses: false,
        delay_site: DelaySite::Axonal,
    });
    probe(&mut net, ProbeSignal::ReceptorCurrent(0), 1);
    let mut sim = dendra_sim::Simulation::new(&net, &dendra_sim::RunConfig::default()).unwrap();
    sim.run(10.0).unwrap();
    let i = &sim.traces()[0].values;
    // τ = 1e9 ms: the current is the running count of arrivals.
    let mut per_step = vec![0.0; i.len()];
    for k in 1..i.len() {
        per_step[k] = i[k] - i[k - 1];
    }
    assert!((i[i.len() - 1] - 400.0 * w).abs() < 1e-3);
    for (k, &d) in per_step.iter().enumerate() {
        let t = k as f64 * DT;
        // Between arrivals the current only decays by ~4e-8 per step (τ = 1e9 ms).
        if d.abs() > 1e-4 {
            assert!((2.0 - 1e-9..=6.0 + 1e-9).contains(&t), "arrival at {t} ms");
        }
    }
    let delays: Vec<f64> = sim.synapses(0).iter().map(|s| s.delay_ms).collect();
    for (k, &d) in per_step.iter().enumerate() {
        let t = k as f64 * DT;
        let expected = delays.iter().filter(|&&dl| (1.0 + dl - t).abs() < 1e-9).count() as f64;
        assert!((d - expected * w).abs() < 1e-6, "at {t} ms: {d} vs {expected}");
    }
    // 41 possible delays, ~10 synapses each; every fifth of the range gets about a fifth.
    for q in 0..4 {
        let lo = 1.0 + q as f64;
        let n = delays
            .iter()
            .filter(|&&d| d >= lo - 1e-9 && d < lo + 1.0 - 1e-9)
            .count();
        assert!((60..140).contains(&n), "delays in [{lo}, {}): {n}", lo + 1.0);
    }
}

#[test]
fn noise_current_has_its_mean_and_deviation_is_held_and_independent() {
    // A membrane so fast (τ = 0.01 ms) that V = E_L + I/g at every step: the potential reads
    // the injected current.
    let soma = SomaParams {
        c_m_pf: 1.0,
        g_leak_ns: 100.0,
        e_leak_mv: 0.0,
        ..passive_soma()
    };
    let (mean_pa, std_pa, interval_steps) = (50.0, 20.0, 10usize);
    let n = 4;
    let mut net = single(NeuronTemplate::point("n", soma, vec![]), n);
    stim(
        &mut net,
        Window::ALWAYS,
        StimulusKind::CurrentClamp {
            compartment: 0,
            waveform: Waveform::Noise {
                mean_pa,
                std_pa,
                interval_ms: interval_steps as f64 * DT,
            },
        },
    );
    probe(&mut net, ProbeSignal::Potential(0), n);
    let t_ms = 2000.0;
    let currents: Vec<Vec<f64>> = {
        let (_, traces) = run(&net, t_ms);
        traces
            .iter()
            .map(|tr| {
                // Held over each interval: every sample after the first step of an interval
                // equals the one at its end.
                for w in tr.values[1..].chunks(interval_steps) {
                    for &v in &w[1..] {
                        assert!((v - w[w.len() - 1]).abs() < 1e-3, "not held: {w:?}");
                    }
                }
                tr.values[interval_steps..]
                    .iter()
                    .step_by(interval_steps)
                    .map(|&v| 100.0 * v)
                    .collect()
            })
            .collect()
    };
    let all: Vec<f64> = currents.iter().flatten().copied().collect();
    let m = all.iter().sum::<f64>() / all.len() as f64;
    let sd = (all.iter().map(|x| (x - m).powi(2)).sum::<f64>() / all.len() as f64).sqrt();
    assert!(all.len() >= 7000, "{} draws", all.len());
    assert!((m - mean_pa).abs() < 1.0, "mean {m} pA");
    assert!((sd - std_pa).abs() < 1.0, "sd {sd} pA");
    // Independent across neurons and across intervals.
    let corr = |a: &[f64], b: &[f64]| {
        let k = a.len().min(b.len());
        a[..k]
            .iter()
            .zip(&b[..k])
            .map(|(x, y)| (x - m) * (y - m))
            .sum::<f64>()
            / k as f64
            / (sd * sd)
    };
    assert!(corr(&currents[0], &currents[1]).abs() < 0.1);
    assert!(corr(&currents[0][1..], &currents[0]).abs() < 0.1);
    // The draws do not depend on the thread count.
    let traces_with = |threads| {
        let mut sim = dendra_sim::Simulation::new(&net, &dendra_sim::RunConfig { seed: 3, threads })
            .expect("valid network");
        sim.run(50.0).expect("run");
        sim.traces()
    };
    let (one, three) = (traces_with(1), traces_with(3));
    for (a, b) in one.iter().zip(&three) {
        assert_eq!(a.values, b.values);
    }
}

#[test]
fn decayed_state_is_flushed_to_zero_before_it_turns_subnormal() {
    // A membrane relaxing to 0 mV with tau = 1 ms reaches the subnormal range (below 2.2e-308)
    // after ~710 ms, where arithmetic slows down by orders of magnitude on x86: the engine
    // sets such values to zero first, and leaves every value above 1e-200 exact.
    let soma = SomaParams {
        e_leak_mv: 0.0,
        c_m_pf: 10.0,
        g_leak_ns: 10.0,
        ..passive_soma()
    };
    let mut template = NeuronTemplate::point("n", soma, vec![]);
    template.initial = InitialPotential::Fixed(-10.0);
    let mut net = single(template, 1);
    probe(&mut net, ProbeSignal::Potential(0), 1);
    let (_, traces) = run(&net, 800.0);
    let values = &traces[0].values;
    assert_eq!(values.len(), 8000);
    for (k, &v) in values.iter().enumerate() {
        assert!(!v.is_subnormal(), "step {k}: {v:e} is subnormal");
        let expected = -10.0 * (-(k as f64) * DT / 1.0).exp();
        if expected.abs() > 1e-190 {
            assert!(
                (v - expected).abs() <= 1e-9 * expected.abs(),
                "step {k}: {v:e} vs {expected:e}"
            );
        }
    }
    assert_eq!(*values.last().unwrap(), 0.0);
}

/// Forced spikes (`StimulusKind::Spikes`) happen at the listed times (from the window's start),
/// reset the soma and start the refractory period as a threshold crossing does, and are
/// suppressed where spikes are blocked.
#[test]
fn forced_spikes_come_at_the_listed_times_and_reset_the_soma() {
    let mut net = single(NeuronTemplate::point("p", passive_soma(), Vec::new()), 3);
    net.recording.spikes = vec![0];
    probe(&mut net, ProbeSignal::Potential(0), 1);
    stim(
        &mut net,
        Window::new(5.0, 50.0),
        StimulusKind::Spikes {
            times_ms: vec![5.0, 12.5, 30.0],
        },
    );
    // Neuron 2's spikes are blocked during the first 20 ms.
    net.stimuli.push(Stimulus {
        population: 0,
        neurons: Selection::Indices(vec![2]),
        window: Window::new(0.0, 20.0),
        kind: StimulusKind::BlockSpikes,
    });
    let (spikes, traces) = run(&net, 60.0);
    let of = |i: u32| -> Vec<f64> {
        (0..spikes.len())
            .filter(|&k| spikes.neuron[k] == i)
            .map(|k| spikes.t_ms[k])
            .collect()
    };
    let near =
        |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9);
    assert!(near(&of(0), &[10.0, 17.5, 35.0]), "{:?}", of(0));
    assert!(near(&of(1), &[10.0, 17.5, 35.0]), "{:?}", of(1));
    assert!(near(&of(2), &[35.0]), "{:?}", of(2));
    // The potential sits at rest (E_L) and is reset at each forced spike.
    let soma = passive_soma();
    let v = &traces[0].values;
    let at = |t_ms: f64| v[(t_ms / net.dt_ms).round() as usize];
    assert!((at(9.9) - soma.e_leak_mv).abs() < 1e-9);
    assert!((at(10.0) - soma.v_reset_mv).abs() < 1e-9, "{}", at(10.0));
    // A forced time outside the window is refused.
    let mut bad = net.clone();
    bad.stimuli[0].kind = StimulusKind::Spikes { times_ms: vec![50.0] };
    let config = dendra_sim::RunConfig { seed: 1, threads: 1 };
    assert!(dendra_sim::Simulation::new(&bad, &config).is_err());
}
