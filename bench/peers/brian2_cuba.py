"""CUBA (Vogels & Abbott 2005) in Brian2, the same model as dendra's built-in `cuba`.

Usage: python brian2_cuba.py [--device cpp_standalone|runtime] [--seed N] [--delay-ms 0.1] [--threads N]

Prints one JSON line: loop time (Brian2's own "run" timer for cpp_standalone, wall time of
run() for runtime), whole-process time, spikes and mean rate, so that a harness can compare
dendra and Brian2 on identical parameters: 4000 LIF (3200 E, 800 I), p = 0.02, tau_m 20 ms,
E_L -49 mV, V_th -50 mV, V_reset -60 mV, refractory 5 ms, tau_e 5 ms, tau_i 10 ms,
w_e 1.62 mV, w_i -9 mV, delay 0.1 ms, dt 0.1 ms, 1 s, V(0) ~ U(-60, -50) mV.
"""
import argparse
import atexit
import json
import os
import shutil
import tempfile
import time

T0 = time.perf_counter()

import brian2 as b2  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpp_standalone", choices=["cpp_standalone", "runtime"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--delay-ms", type=float, default=0.1)
    ap.add_argument("--build-dir", default=None)
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads of the standalone code (1: none)")
    args = ap.parse_args()

    if args.device == "cpp_standalone":
        build = args.build_dir
        if build is None:
            # A build directory of our own: removed at exit.
            build = tempfile.mkdtemp(prefix="brian2_cuba_")
            atexit.register(shutil.rmtree, build, ignore_errors=True)
        b2.set_device("cpp_standalone", directory=build, build_on_run=True)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0 if args.threads <= 1 else args.threads
    else:
        b2.prefs.codegen.target = "cython" if _has_cython() else "numpy"
    b2.seed(args.seed)
    b2.defaultclock.dt = 0.1 * b2.ms

    taum, taue, taui = 20 * b2.ms, 5 * b2.ms, 10 * b2.ms
    Vt, Vr, El = -50 * b2.mV, -60 * b2.mV, -49 * b2.mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * b2.ms, method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * b2.mV
    P.gi = 0 * b2.mV
    we = (60 * 0.27 / 10) * b2.mV
    wi = (-20 * 4.5 / 10) * b2.mV
    Ce = b2.Synapses(P[:3200], P, on_pre="ge += we", delay=args.delay_ms * b2.ms)
    Ci = b2.Synapses(P[3200:], P, on_pre="gi += wi", delay=args.delay_ms * b2.ms)
    Ce.connect(p=0.02)
    Ci.connect(p=0.02)
    s_mon = b2.SpikeMonitor(P)

    t_run = time.perf_counter()
    b2.run(1 * b2.second, report=None, profile=False)
    wall_run = time.perf_counter() - t_run

    if args.device == "cpp_standalone":
        loop_s = _standalone_run_time(b2.device)
    else:
        loop_s = wall_run
    n_spikes = int(s_mon.num_spikes)
    print(json.dumps({
        "peer": "brian2",
        "version": b2.__version__,
        "device": args.device,
        "threads": args.threads,
        "loop_s": loop_s,
        "run_call_s": wall_run,
        "process_s": time.perf_counter() - T0,
        "synapses": int(len(Ce) + len(Ci)),
        "spikes": n_spikes,
        "rate_mean_hz": n_spikes / 4000.0,
    }))


def _has_cython():
    try:
        import Cython  # noqa: F401
        return True
    except ImportError:
        return False


def _standalone_run_time(device):
    """Brian2's standalone binary writes the time spent in the network's run to results/last_run_info.txt."""
    path = os.path.join(device.project_dir, "results", "last_run_info.txt")
    with open(path) as f:
        return float(f.read().split()[0])


if __name__ == "__main__":
    main()
