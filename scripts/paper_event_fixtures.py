"""Reference outputs of the published event detection of Wright, Hedrick & Komiyama (2025),
for dendra's paper-profile detector test (crates/dendra-analysis/tests/paper_events.rs).

Usage: python scripts/paper_event_fixtures.py LAB_ANALYSES_CHECKOUT OUT.json
(needs numpy and scipy; LAB_ANALYSES_CHECKOUT is a clone of github.com/wjakewright/Lab_Analyses,
whose `Lab_Analyses/Utilities/event_detection.py` is imported from there, not copied).

Writes synthetic dF/F traces (noise, GCaMP/iGluSnFR-like transients, slow drift, negative
motion artefacts, an event at the first frame, a missing sample) with the parameters the paper's
spine pipeline used (threshold 2, lower threshold 1, floor 0.2 dF/F, 1 s, order 4), those of its
dendrite detection (threshold 2, lower 0, floor 0.15 x max) and the function's defaults (order
2), and short noisy traces with brief transients under the spine settings (chosen where the
published onset refinement gives an empty event); and what the published function returns: the
active frames as intervals and the three thresholds.
"""

import json
import sys

import numpy as np


def traces(rng):
    out = []
    for k, (rate, n) in enumerate([(30.0, 900), (30.0, 1200), (15.0, 600), (58.2, 1500), (30.0, 700), (10.0, 400)]):
        t = np.arange(n) / rate
        x = rng.normal(0.0, 0.04 + 0.03 * (k % 3), n)
        x += 0.05 * np.sin(2 * np.pi * t / (n / rate))
        for onset in rng.choice(np.arange(5, n - 40), size=6 + k, replace=False):
            amp = rng.uniform(0.3, 2.0)
            tau = rng.uniform(0.2, 1.0) * rate
            m = np.arange(n - onset)
            x[onset:] += amp * np.exp(-m / tau) * (1 - np.exp(-m / 2.0))
        for a in rng.choice(np.arange(n), size=3, replace=False):
            x[a] -= rng.uniform(0.2, 0.6)
        if k == 1:
            x[:10] += 1.5  # an event at the first frames
        if k == 4:
            x[350] = np.nan
        # Five decimals, so that the file holds exactly the numbers the function saw.
        out.append((rate, np.round(x, 5)))
    return out


def brief_spike_traces(module):
    """Short noisy traces with brief transients (like simulated iGluSnFR), kept where the
    published onset refinement returns an empty event (its first raw frame above the upper
    threshold lies after the candidate's end), plus the first two of the others."""
    original = module.refine_start_times
    empty = []

    def recording(idx, trace, high):
        r = original(idx, trace, high)
        if len(r) == 0:
            empty.append(1)
        return r

    module.refine_start_times = recording
    rng = np.random.default_rng(5)
    kept, ordinary = [], 0
    for _ in range(400):
        n = 1440
        x = rng.normal(0, rng.uniform(0.05, 0.3), n)
        for o in rng.choice(n - 60, size=8, replace=False):
            x[o : o + rng.integers(2, 12)] += rng.uniform(0.1, 1.0)
        x = np.round(x, 5)
        empty.clear()
        module.event_detection(x.reshape(-1, 1), threshold=2, lower_threshold=1, lower_limit=0.2,
                               sampling_rate=60, filt_poly=4, sec_smooth=1)
        if empty or ordinary < 2:
            ordinary += 0 if empty else 1
            kept.append((60.0, x))
    module.refine_start_times = original
    return kept


def intervals(active):
    edges = np.nonzero(np.diff(np.concatenate(([0], active, [0]))))[0]
    return edges.reshape(-1, 2).tolist()


def main():
    import importlib.util
    import os

    path = os.path.join(sys.argv[1], "Lab_Analyses", "Utilities", "event_detection.py")
    spec = importlib.util.spec_from_file_location("event_detection", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    event_detection = module.event_detection

    settings = {
        "spine": dict(threshold=2, lower_threshold=1, lower_limit=0.2, filt_poly=4, sec_smooth=1),
        "dendrite": dict(threshold=2, lower_threshold=0, lower_limit=None, filt_poly=4, sec_smooth=1),
        "defaults": dict(threshold=2, lower_threshold=1, lower_limit=0.2, filt_poly=2, sec_smooth=1),
    }
    rng = np.random.default_rng(2025)
    cases = []
    for k, (rate, x) in enumerate(traces(rng) + brief_spike_traces(module)):
        for name, s in settings.items():
            if k >= 6 and name != "spine":
                continue
            active, _, thresholds = event_detection(x.reshape(-1, 1), sampling_rate=rate, **s)
            cases.append({
                "settings": name,
                "params": s,
                "rate_hz": rate,
                "dff": [None if np.isnan(v) else float(v) for v in x],  # NaN as null
                "active": intervals(active[:, 0].astype(int)),
                "upper": float(thresholds["Upper Threshold"][0]),
                "lower": float(thresholds["Lower Threshold"][0]),
                "artifact": float(thresholds["Artifact Limit"][0]),
            })
    with open(sys.argv[2], "w") as f:
        json.dump({"numpy": np.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
