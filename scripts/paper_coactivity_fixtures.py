"""Reference outputs of the published co-activity analysis of Wright, Hedrick & Komiyama (2025),
for dendra's paper-profile test (crates/dendra-analysis/tests/paper_coactivity.rs).

Usage: python scripts/paper_coactivity_fixtures.py LAB_ANALYSES_CHECKOUT OUT.json
(needs numpy and scipy; LAB_ANALYSES_CHECKOUT is a clone of github.com/wjakewright/Lab_Analyses,
whose functions are imported from there, not copied; the modules it imports for statistics and
plotting that these functions never call are replaced by empty stand-ins).

Builds synthetic binary activity of spines on dendrites (shared and private events, events at
frame 0, silent spines, absent and eliminated spines, spines at equal positions and at distances
on the bin edges), and writes what the published functions return on it:
calculate_distance_coactivity_rate (5 um bins), calculate_nearby_vs_distance_variable,
calculate_chance_local_coactivity (with the random rolls it drew, recorded), the normalized
co-activity of each spine with its dendrite (calculate_coactivity), event rates
(calculate_activity_event_rate) and the size classes (calculate_volume_change,
classify_plasticity with the thresholds of local_coactivity_analysis).
"""

import importlib.abc
import importlib.machinery
import json
import random
import sys
import types

import numpy as np

STUBBED = ("sklearn", "pingouin", "scikit_posthocs", "statsmodels", "pymer4", "tabulate", "pandas")


class _Stub(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Empty modules for the statistics packages the Lab_Analyses modules import at the top."""

    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        m = types.ModuleType(spec.name)
        m.__path__ = []
        m.__getattr__ = lambda attr: type(attr, (), {})
        return m

    def exec_module(self, module):
        pass


def intervals(active):
    edges = np.nonzero(np.diff(np.concatenate(([0], active.astype(int), [0]))))[0]
    return edges.reshape(-1, 2).tolist()


def activity(rng, frames, n):
    """Binary activity (frames x n): a shared assembly, pairs with shared events, private events."""
    act = np.zeros((frames, n))
    shared = rng.choice(frames - 40, size=max(2, frames // 900), replace=False)
    for s in range(n):
        kind = s % 5
        onsets = list(rng.choice(frames - 40, size=rng.integers(1, 3 + frames // 600), replace=False))
        if kind in (0, 1):
            onsets += [o + rng.integers(0, 4) for o in shared]
        if kind == 4 and s % 2 == 0:
            onsets = []  # silent
        for o in onsets:
            act[o : o + rng.integers(2, 30), s] = 1
    if n > 2:
        act[0:5, 1] = 1  # an event running from frame 0
        act[0:1, 2] = 1  # an event only at frame 0
    return act


def main():
    sys.meta_path.insert(0, _Stub())
    sys.path.insert(0, sys.argv[1])
    from Lab_Analyses.Spine_Analysis_v2.calculate_chance_local_coactivity import (
        calculate_chance_local_coactivity,
    )
    from Lab_Analyses.Spine_Analysis_v2.calculate_distance_coactivity_rate import (
        calculate_distance_coactivity_rate,
    )
    from Lab_Analyses.Spine_Analysis_v2.spine_utilities import (
        calculate_nearby_vs_distance_variable,
    )
    from Lab_Analyses.Spine_Analysis_v2.structural_plasticity import (
        calculate_volume_change,
        classify_plasticity,
    )
    from Lab_Analyses.Utilities.coactivity_functions import calculate_coactivity
    from Lab_Analyses.Utilities.data_utilities import calculate_activity_event_rate

    rng = np.random.default_rng(31)
    random.seed(31)
    draws = []
    real_randint = random.randint

    def recording_randint(a, b):
        v = real_randint(a, b)
        draws.append(v)
        return v

    random.randint = recording_randint
    cases = []
    # (frames, rate, spines per dendrite, radius um, iterations)
    for frames, rate, per_dendrite, radius, iterations in [
        (4000, 60, [9, 7], 10, 15),
        (40000, 60, [8], 10, 10),
        (3000, 30, [6, 10], 5, 12),
        (5000, 60, [11], 20, 10),
    ]:
        n = sum(per_dendrite)
        act = activity(rng, frames, n)
        groupings, start = [], 0
        for k in per_dendrite:
            groupings.append(list(range(start, start + k)))
            start += k
        # Positions on a 2.5 um grid (distances land on bin edges), one tie per dendrite.
        positions = np.zeros(n)
        for g in groupings:
            p = np.sort(rng.choice(np.arange(0, 45, 2.5), size=len(g), replace=False))
            p[1] = p[0]
            positions[g] = p
        flags = [[] for _ in range(n)]
        flags[3] = ["Absent"]
        flags[n - 2] = ["Eliminated Spine"]
        flags[n - 1] = ["New Spine"]
        followup_flags = [list(f) for f in flags]
        followup_flags[3] = ["New Spine"]
        dend = np.zeros((frames, len(groupings)))
        for d, g in enumerate(groupings):
            dend[:, d] = (act[:, g].sum(axis=1) >= 2).astype(float)
        dend[0:3, 0] = 1

        _, _, binned, _, bins = calculate_distance_coactivity_rate(
            act.copy(), positions, flags, groupings, bin_size=5, sampling_rate=rate
        )
        near_minus_distant = calculate_nearby_vs_distance_variable(binned, bins, radius)
        draws.clear()
        (_, real_local, _, shuff_local, _, _, _, coactive) = calculate_chance_local_coactivity(
            act.copy(), positions, flags, groupings, bin_size=5, cluster_dist=radius,
            sampling_rate=rate, alpha=0.05, iterations=iterations,
        )
        shifts = np.array(draws).reshape(iterations, n).tolist()
        bap = []
        for d, g in enumerate(groupings):
            for s in g:
                _, norm, _, _, _ = calculate_coactivity(
                    act[:, s].copy(), dend[:, d].copy(), sampling_rate=rate
                )
                bap.append(float(norm))
        rates = calculate_activity_event_rate(act, sampling_rate=rate)
        base = rng.uniform(0.5, 1.5, n)
        follow = base * rng.choice([0.5, 0.75, 0.76, 1.0, 1.49, 1.5, 2.0], n)
        rel, stable_idx = calculate_volume_change([base, follow], [flags, followup_flags])
        enlarged, shrunk, _ = classify_plasticity(rel[-1], threshold=(0.25, 0.5))
        nan = lambda v: [None if np.isnan(x) else float(x) for x in v]
        cases.append({
            "frames": frames,
            "rate_hz": rate,
            "radius_um": radius,
            "groupings": groupings,
            "positions_um": positions.tolist(),
            "present": ["Absent" not in f and "Eliminated Spine" not in f for f in flags],
            "spine_active": [intervals(act[:, s]) for s in range(n)],
            "dendrite_active": [intervals(dend[:, d]) for d in range(len(groupings))],
            "bin_edges_um": bins.tolist(),
            "binned": [nan(binned[:, s]) for s in range(n)],
            "near_minus_distant": nan(near_minus_distant),
            "shifts": shifts,
            "local": nan(real_local),
            "shuffled_local": [nan(row) for row in shuff_local],
            "coactive": [bool(c) for c in coactive],
            "bap": bap,
            "rate_per_min": rates.tolist(),
            "size_baseline": base.tolist(),
            "size_followup": follow.tolist(),
            "stable": stable_idx.tolist(),
            "enlarged": [bool(e) for e in enlarged],
            "shrunk": [bool(s) for s in shrunk],
        })
    with open(sys.argv[2], "w") as f:
        json.dump({"numpy": np.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
