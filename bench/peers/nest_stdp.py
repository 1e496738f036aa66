"""Reference weights from NEST's `stdp_synapse` for dendra's `delay_site = "dendritic"` test.

Pre and post spike times are given (parrot neurons, the post one receiving the plastic synapse
on its port 1, which parrots ignore, as in NEST's own STDP tests), so the weights depend on the
spike times only. NEST counts a connection's whole delay as dendritic: a pre spike reaches the
synapse when it is emitted and a post spike reaches it `delay` later.

Usage: python nest_stdp.py OUT.json   (needs nest-simulator, e.g. bench/.venv)
Writes one JSON object per protocol: the recorded pre and post spike times (ms), the synapse
parameters and NEST's final weight (after the last pre spike, which follows every post spike).
"""

import json
import sys

import numpy as np
import nest

RESOLUTION_MS = 0.1


def protocol(seed, n_pre, n_post, t_end_ms, delay_ms, coincide):
    """Pre and post spike times on the grid; `coincide` post spikes placed so that they reach
    the synapse (post + delay) at the same time as a pre spike."""
    rng = np.random.default_rng(seed)
    grid = np.arange(50, int(t_end_ms / RESOLUTION_MS)) * RESOLUTION_MS
    pre = np.sort(rng.choice(grid, n_pre, replace=False))
    post = set(np.round(rng.choice(grid, n_post, replace=False), 1))
    for t in pre[1 : 1 + coincide]:
        post.add(round(t - delay_ms, 1))
    post = np.array(sorted(post))
    # A last pre spike after every post spike has reached the synapse: NEST applies the
    # potentiation of post spikes only at the next pre spike.
    last = round(max(pre.max(), post.max() + delay_ms) + 50.0, 1)
    pre = np.append(pre, last)
    return [round(float(t), 1) for t in pre], [round(float(t), 1) for t in post]


def nest_weight(pre, post, delay_ms, params, w0):
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": RESOLUTION_MS, "local_num_threads": 1})
    # Generators fire one step early; the parrots repeat the spikes after a 0.1 ms delay.
    gen_pre = nest.Create("spike_generator", params={"spike_times": [t - 0.1 for t in pre]})
    gen_post = nest.Create("spike_generator", params={"spike_times": [t - 0.1 for t in post]})
    p_pre = nest.Create("parrot_neuron")
    p_post = nest.Create("parrot_neuron", params={"tau_minus": params["tau_minus_ms"]})
    nest.Connect(gen_pre, p_pre, syn_spec={"delay": 0.1})
    nest.Connect(gen_post, p_post, syn_spec={"delay": 0.1})
    rec = nest.Create("spike_recorder")
    nest.Connect(p_pre, rec)
    nest.Connect(p_post, rec)
    mu = 0.0 if params["update"] == "additive" else 1.0
    syn = {
        "synapse_model": "stdp_synapse",
        "weight": w0,
        "delay": delay_ms,
        "receptor_type": 1,
        "tau_plus": params["tau_plus_ms"],
        "lambda": params["a_plus"] / params["w_max"],
        "alpha": params["a_minus"] / params["a_plus"],
        "mu_plus": mu,
        "mu_minus": mu,
        "Wmax": params["w_max"],
    }
    nest.Connect(p_pre, p_post, syn_spec=syn)
    nest.Simulate(max(pre + post) + 10.0)
    ev = rec.get("events")
    senders, times = ev["senders"], ev["times"]
    got_pre = sorted(float(t) for s, t in zip(senders, times) if s == p_pre.global_id)
    got_post = sorted(float(t) for s, t in zip(senders, times) if s == p_post.global_id)
    assert np.allclose(got_pre, pre) and np.allclose(got_post, post), "parrots moved the spikes"
    conn = nest.GetConnections(p_pre, p_post)
    return float(conn.get("weight"))


def main():
    out = []
    cases = [
        (1, 1.0, "additive", 0.5),
        (2, 2.5, "additive", 0.2),
        (3, 1.0, "multiplicative", 0.5),
        (4, 3.7, "multiplicative", 0.8),
        (5, 0.1, "additive", 0.5),
    ]
    for seed, delay_ms, update, w0 in cases:
        pre, post = protocol(seed, 40, 40, 1000.0, delay_ms, coincide=5)
        params = {
            "a_plus": 0.01,
            "a_minus": 0.0115,
            "tau_plus_ms": 24.3,
            "tau_minus_ms": 21.1,
            "w_max": 1.0,
            "update": update,
        }
        w = nest_weight(pre, post, delay_ms, params, w0)
        out.append({"seed": seed, "delay_ms": delay_ms, "w0": w0, "params": params,
                    "pre_ms": pre, "post_ms": post, "nest_weight": w})
    with open(sys.argv[1], "w") as f:
        json.dump({"nest": nest.__version__, "resolution_ms": RESOLUTION_MS, "cases": out}, f)


if __name__ == "__main__":
    main()
