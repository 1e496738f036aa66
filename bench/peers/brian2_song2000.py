"""Song, Miller & Abbott 2000 in Brian2 (its published STDP example), the same model as dendra's
built-in `song2000`: 1000 Poisson inputs at 15 Hz, one LIF neuron (tau_m 10 ms, E_L -74 mV,
V_th -54 mV, V_reset -60 mV, E_e 0 mV, tau_e 5 ms), additive all-to-all STDP with
A- / A+ = 1.05, g_max = 0.01, 100 s.

Usage: python brian2_song2000.py [--device cpp_standalone|runtime] [--seed N] [--duration-s 100]
Prints one JSON line: loop time, process time, output rate, fractions of weights > 0.9 and
< 0.1 of g_max.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpp_standalone", choices=["cpp_standalone", "runtime"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration-s", type=float, default=100.0)
    args = ap.parse_args()
    if args.device == "cpp_standalone":
        build = tempfile.mkdtemp(prefix="brian2_song_")
        atexit.register(shutil.rmtree, build, ignore_errors=True)  # the generated code, at exit
        b2.set_device("cpp_standalone", directory=build, build_on_run=True)
    b2.seed(args.seed)
    b2.defaultclock.dt = 0.1 * b2.ms
    N, taum, taupre, taupost = 1000, 10 * b2.ms, 20 * b2.ms, 20 * b2.ms
    Ee, vt, vr, El, taue, F, gmax = 0 * b2.mV, -54 * b2.mV, -60 * b2.mV, -74 * b2.mV, 5 * b2.ms, 15 * b2.Hz, 0.01
    dApre = 0.01
    dApost = -dApre * taupre / taupost * 1.05
    dApost *= gmax
    dApre *= gmax
    eqs = """
    dv/dt = (ge * (Ee-v) + El - v) / taum : volt
    dge/dt = -ge / taue : 1
    """
    inp = b2.PoissonGroup(N, rates=F)
    neurons = b2.NeuronGroup(1, eqs, threshold="v>vt", reset="v = vr", method="euler")
    S = b2.Synapses(inp, neurons,
                    """w : 1
                       dApre/dt = -Apre / taupre : 1 (event-driven)
                       dApost/dt = -Apost / taupost : 1 (event-driven)""",
                    on_pre="""ge += w
                              Apre += dApre
                              w = clip(w + Apost, 0, gmax)""",
                    on_post="""Apost += dApost
                               w = clip(w + Apre, 0, gmax)""")
    S.connect()
    S.w = "rand() * gmax"
    mon = b2.SpikeMonitor(neurons)
    b2.run(args.duration_s * b2.second, report=None)
    if args.device == "cpp_standalone":
        with open(os.path.join(b2.device.project_dir, "results", "last_run_info.txt")) as f:
            loop_s = float(f.read().split()[0])
    else:
        loop_s = float("nan")
    w = np.asarray(S.w[:]) / gmax
    print(json.dumps({
        "peer": "brian2", "version": b2.__version__, "device": args.device, "loop_s": loop_s,
        "process_s": time.perf_counter() - T0, "rate_hz": int(mon.num_spikes) / args.duration_s,
        "frac_w_above_0.9": float(np.mean(w > 0.9)), "frac_w_below_0.1": float(np.mean(w < 0.1)),
    }))


if __name__ == "__main__":
    main()
