"""CUBA (Vogels & Abbott 2005) in NEST, the same model as dendra's built-in `cuba`.

Usage: python nest_cuba.py [--threads N] [--seed N]

iaf_psc_exp neurons: C_m 200 pF, tau_m 20 ms (g_L 10 nS), E_L -49 mV, V_th -50 mV, V_reset
-60 mV, t_ref 5 ms, tau_syn_ex 5 ms, tau_syn_in 10 ms; weights 16.2 pA / -90 pA (1.62 mV and
-9 mV jumps of the Brian2 example times g_L); pairwise Bernoulli p = 0.02 with autapses, delay
0.1 ms, dt 0.1 ms, 1 s, V(0) ~ U(-60, -50) mV. Prints one JSON line with the simulation time
(Simulate() wall time), build time, spikes and mean rate.
"""
import argparse
import json
import time

T0 = time.perf_counter()

import nest  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": args.threads, "rng_seed": args.seed})
    t_build = time.perf_counter()
    params = {
        "C_m": 200.0, "tau_m": 20.0, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0,
        "t_ref": 5.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 0.0,
    }
    pop = nest.Create("iaf_psc_exp", 4000, params=params)
    pop.V_m = nest.random.uniform(-60.0, -50.0)
    exc, inh = pop[:3200], pop[3200:]
    conn = {"rule": "pairwise_bernoulli", "p": 0.02, "allow_autapses": True}
    nest.Connect(exc, pop, conn, {"weight": 16.2, "delay": 0.1})
    nest.Connect(inh, pop, conn, {"weight": -90.0, "delay": 0.1})
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    nest.Prepare()
    build_s = time.perf_counter() - t_build
    t_sim = time.perf_counter()
    nest.Run(1000.0)
    sim_s = time.perf_counter() - t_sim
    nest.Cleanup()
    n_spikes = rec.n_events
    print(json.dumps({
        "peer": "nest",
        "version": nest.__version__,
        "threads": args.threads,
        "loop_s": sim_s,
        "build_s": build_s,
        "process_s": time.perf_counter() - T0,
        "synapses": nest.GetKernelStatus("num_connections"),
        "spikes": n_spikes,
        "rate_mean_hz": n_spikes / 4000.0,
    }))


if __name__ == "__main__":
    main()
