"""The per-compartment multi-rule benchmark in Brian2 + dendrify, the same model as dendra's
built-in `multirule` (crates/dendra-experiments/src/multirule.rs).

100 neurons built with dendrify: a LIF soma (C 200 pF, g_L 10 nS, E_L -70 mV, V_th -50 mV,
reset -70 mV, held there for a refractory 2 ms) with a basal dendrite and an apical trunk (C 100 pF, g_L 5 nS,
10 nS to the soma) and a distal branch on the trunk (10 nS to it). Each compartment receives 100
current-based exponential synapses (tau 3 ms, delay 1 ms, w ~ U(0, 150 pA)) from its own 1000
Poisson inputs at 9 Hz, and has its own rule:

- basal: additive all-to-all pair STDP (A+ = 1.5 pA, A- = 1.575 pA, tau 20 ms), the post event
  being the back-propagated spike 0.3 ms after the somatic one, with strength 0.7;
- apical trunk: reward-gated three-factor rule (eligibility c from pre/bAP coincidences, tau_c
  1 s; dw/dt = eta c d, eta = 1.5 pA/ms; dopamine d, tau 200 ms, released at 0.5, 1.5, ... s;
  bAP 0.8 ms after the spike, strength 0.4), written the usual Brian2 way (clock-driven c and w);
- distal branch: co-activity rule at each input spike, w += (A+ n - A-)(w_max - w) when positive
  and (A+ n - A-) w when negative (soft bounds [0, 150 pA], A+ = 0.01/150, A- = 0.004/150, n
  capped at 5), with n the recent activity of the synapse's 20 um
  stretch of branch (an exponential trace, tau 50 ms, per stretch: Brian2 has no co-activity
  signal, so the branch is binned into 5 stretches per neuron, one small group element each).

Each somatic spike kicks the dendrites by attenuation x 20 mV after their bAP delays (basal 0.7,
0.3 ms; trunk 0.4, 0.8 ms; distal 0.15, 1.5 ms), as dendra's bAP does.
dendra's slow consolidation (tau 600 s) is left out: it changes weights by under 2 % in 10 s.

Usage: python brian2_multirule.py [--device cpp_standalone|runtime] [--seed N] [--duration-s 10]
Prints one JSON line: loop time (Brian2's own run timer in standalone mode), process time, rate
and the mean weight (pA) per compartment.
"""
import argparse
import atexit
import json
import os
import shutil
import tempfile
import time

T0 = time.perf_counter()

import numpy as np  # noqa: E402
import brian2 as b2  # noqa: E402
from brian2 import ms, mV, nS, pA, pF, Hz, second  # noqa: E402
from dendrify import Dendrite, NeuronModel, Soma  # noqa: E402

N_NEURONS, N_INPUTS, K_IN, BINS = 100, 1000, 100, 5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpp_standalone", choices=["cpp_standalone", "runtime"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration-s", type=float, default=10.0)
    args = ap.parse_args()
    if args.device == "cpp_standalone":
        build = tempfile.mkdtemp(prefix="brian2_multirule_")
        atexit.register(shutil.rmtree, build, ignore_errors=True)  # the generated code, at exit
        b2.set_device("cpp_standalone", directory=build, build_on_run=True)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    b2.defaultclock.dt = 0.1 * ms

    soma = Soma("soma", model="leakyIF", cm_abs=200 * pF, gl_abs=10 * nS, v_rest=-70 * mV)
    dends = [Dendrite(name, cm_abs=100 * pF, gl_abs=5 * nS, v_rest=-70 * mV) for name in ("basal", "apical", "distal")]
    basal, apical, distal = dends
    model = NeuronModel([(soma, basal, 10 * nS), (soma, apical, 10 * nS), (apical, distal, 10 * nS)])
    for d in (basal, apical):
        # Current-based exponential synapses (dendrify's own are conductance-based); the distal
        # branch's current is the sum of its stretches' currents (below).
        model.replace_equations(f"\nI_ext_{d.name}  :amp", f"\ndI_ext_{d.name}/dt = -I_ext_{d.name} / tau_syn :amp")
    # The soma is held at reset while refractory, as in dendra (dendrify's leakyIF is not).
    model.replace_equations("dV_soma/dt = (gL_soma * (EL_soma-V_soma) + I_soma) / C_soma  :volt",
                            "dV_soma/dt = (gL_soma * (EL_soma-V_soma) + I_soma) / C_soma  :volt (unless refractory)")
    model.add_equations("dd/dt = -d / tau_d : 1")
    model.add_params({"tau_syn": 3 * ms, "tau_d": 200 * ms})
    neurons = model.make_neurongroup(N_NEURONS, threshold="V_soma > -50*mV", reset="V_soma = -70*mV",
                                     refractory=2 * ms, method="euler")
    neurons.V_soma = "-70*mV + rand() * 15*mV"

    w_max, tau_pre, tau_post = 150 * pA, 20 * ms, 20 * ms
    ns = {"w_max": w_max, "tau_pre": tau_pre, "tau_post": tau_post, "tau_c": 1000 * ms, "eta": 1.5 * pA / ms,
          "a_plus": 1.5 * pA, "a_minus": 1.575 * pA, "tau_act": 50 * ms, "c_plus": 1.0, "c_minus": 1.5,
          "co_plus": 0.01 / 150, "co_minus": 0.004 / 150, "n_max": 5.0}

    in_basal, in_apical, in_distal = (b2.PoissonGroup(N_INPUTS, rates=9 * Hz) for _ in range(3))

    def pairs():
        pre = np.concatenate([rng.choice(N_INPUTS, K_IN, replace=False) for _ in range(N_NEURONS)])
        post = np.repeat(np.arange(N_NEURONS), K_IN)
        return pre, post

    # Basal: pair STDP with the bAP as the post event.
    s_basal = b2.Synapses(in_basal, neurons, """
        w : amp
        dApre/dt = -Apre / tau_pre : 1 (event-driven)
        dApost/dt = -Apost / tau_post : 1 (event-driven)""",
        on_pre="""I_ext_basal_post += w
                  w = clip(w - a_minus * Apost, 0*pA, w_max)
                  Apre += 1""",
        on_post="""w = clip(w + a_plus * Apre, 0*pA, w_max)
                   Apost += 0.7""",
        delay={"pre": 1 * ms, "post": 0.3 * ms}, namespace=ns)
    # Apical trunk: eligibility x dopamine, clock-driven.
    s_apical = b2.Synapses(in_apical, neurons, """
        dc/dt = -c / tau_c : 1 (clock-driven)
        dw/dt = eta * c * d_post : amp (clock-driven)
        dxpre/dt = -xpre / tau_pre : 1 (event-driven)
        dypost/dt = -ypost / tau_post : 1 (event-driven)""",
        on_pre="""I_ext_apical_post += clip(w, 0*pA, w_max)
                  c -= c_minus * ypost
                  xpre += 1""",
        on_post="""c += 0.4 * c_plus * xpre
                   ypost += 0.4""",
        delay={"pre": 1 * ms, "post": 0.8 * ms}, namespace=ns)
    # Distal branch: co-activity of the synapse's stretch of branch.
    stretches = b2.NeuronGroup(N_NEURONS * BINS, """
        dact/dt = -act / tau_act : 1
        dI/dt = -I / tau_syn_d : amp""", method="exact", namespace={"tau_act": 50 * ms, "tau_syn_d": 3 * ms})
    s_distal = b2.Synapses(in_distal, stretches, "w : amp",
        on_pre="""dw = co_plus * clip(act_post, 0, n_max) - co_minus
                  w = w + dw * int(dw > 0) * (w_max - w) + dw * int(dw <= 0) * w
                  act_post += 1
                  I_post += w""",
        delay=1 * ms, namespace=ns)
    to_soma = b2.Synapses(stretches, neurons, "I_ext_distal_post = I_pre : amp (summed)")
    dopamine = b2.SpikeGeneratorGroup(1, np.zeros(int(args.duration_s)), (np.arange(int(args.duration_s)) + 0.5) * second)
    release = b2.Synapses(dopamine, neurons, on_pre="d_post += 1")

    pre, post = pairs()
    s_basal.connect(i=pre, j=post)
    pre, post = pairs()
    s_apical.connect(i=pre, j=post)
    pre, post = pairs()
    s_distal.connect(i=pre, j=post * BINS + rng.integers(0, BINS, post.size))
    to_soma.connect(i=np.arange(N_NEURONS * BINS), j=np.arange(N_NEURONS * BINS) // BINS)
    release.connect()
    # The back-propagated spike: a voltage kick of attenuation x 20 mV in each dendrite after
    # its delay, as dendra's bAP.
    bap = b2.Synapses(neurons, neurons, on_pre={
        "basal": "V_basal_post += 14*mV", "apical": "V_apical_post += 8*mV", "distal": "V_distal_post += 3*mV"},
        delay={"basal": 0.3 * ms, "apical": 0.8 * ms, "distal": 1.5 * ms})
    bap.connect(j="i")
    for s in (s_basal, s_apical, s_distal):
        s.w = "rand() * w_max"
    mon = b2.SpikeMonitor(neurons)

    t_run = time.perf_counter()
    b2.run(args.duration_s * second, report=None)
    wall_run = time.perf_counter() - t_run
    if args.device == "cpp_standalone":
        with open(os.path.join(b2.device.project_dir, "results", "last_run_info.txt")) as f:
            loop_s = float(f.read().split()[0])
    else:
        loop_s = wall_run

    def mean_w(s):
        return float(np.mean(np.clip(np.asarray(s.w[:]) / float(pA), 0.0, 150.0)))

    print(json.dumps({
        "peer": "brian2+dendrify", "version": b2.__version__, "device": args.device, "loop_s": loop_s,
        "process_s": time.perf_counter() - T0, "synapses": 3 * N_NEURONS * K_IN,
        "rate_hz": int(mon.num_spikes) / N_NEURONS / args.duration_s,
        "mean_w_basal": mean_w(s_basal), "mean_w_apical": mean_w(s_apical), "mean_w_distal": mean_w(s_distal),
    }))


if __name__ == "__main__":
    main()
