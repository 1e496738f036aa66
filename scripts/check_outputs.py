"""Check that pandas/pyarrow read every table of a dendra output directory with no extra
steps, with the documented columns and types, and consistent ids.

Usage: python3 scripts/check_outputs.py OUTPUT_DIR
"""
import json
import pathlib
import sys

import pandas as pd

COLUMNS = {
    "spikes.parquet": {"t_ms": "float64", "neuron": "uint32", "population": "object|str|string"},
    "traces.parquet": {"t_ms": "float64", "population": "object|str|string", "neuron": "uint32",
                       "signal": "object|str|string", "compartment": "object|str|string",
                       "receptor": "object|str|string", "value": "float64"},
    "weights.parquet": {"t_ms": "float64", "synapse": "uint64", "projection": "object|str|string",
                        "compartment": "object|str|string", "position_um": "float64",
                        "weight": "float64", "spine_size": "float64"},
    "synapses.parquet": {"synapse": "uint64", "projection": "object|str|string",
                         "source_population": "object|str|string", "source": "uint32",
                         "target_population": "object|str|string", "target": "uint32",
                         "compartment": "object|str|string", "receptor": "object|str|string",
                         "position_um": "float64", "weight": "float64", "delay_ms": "float64",
                         "alive": "bool", "spine_size": "float64"},
}


STR = "object|str|string"
IMAGING = {
    "imaging/spines.parquet": {"spine": "uint32", "animal": STR, "group": STR, "condition": STR,
                               "dendrite": "uint32", "compartment": STR, "position_um": "float64",
                               "size_baseline": "float64", "size_followup": "float64"},
    "imaging/spine_traces.parquet": {"spine": "uint32", "session": "uint32", "t_s": "float32",
                                     "dff": "float32", "event": "bool"},
    "imaging/dendrite_traces.parquet": {"dendrite": "uint32", "session": "uint32", "t_s": "float32",
                                        "dff": "float32", "event": "bool"},
    "imaging/soma_traces.parquet": {"dendrite": "uint32", "session": "uint32", "t_s": "float32",
                                    "dff": "float32", "event": "bool"},
    "imaging/trials.parquet": {"animal": STR, "session": "uint32", "trial": "uint32", "cue_s": "float64",
                               "press_s": "float64", "rewarded": "bool", "movement_corr": "float64"},
    "spine_features.parquet": {"spine": "uint32", "animal": STR, "condition": STR, "dendrite": "uint32",
                               "compartment": STR, "position_um": "float64", "rate_per_min": "float64",
                               "local": "float64", "local_chance": "float64",
                               "local_significant": "float64", "distant": "float64",
                               "near_minus_distant": "float64", "bap": "float64", "ratio": "float64",
                               "class": STR},
    "session_features.parquet": {"spine": "uint32", "session": "uint32", "rate_per_min": "float64",
                                 "local": "float64", "local_chance": "float64", "local_rank": "float64",
                                 "local_significant": "bool", "distant": "float64",
                                 "near_minus_distant": "float64", "bap": "float64"},
}

LEARNING = {
    "learning_curves.parquet": {"learner": STR, "seed": "uint64", "task": "uint32", "epoch": "uint32",
                                "test_accuracy": "float64", "train_accuracy": "float64",
                                "train_loss": "float64", "seconds": "float64"},
}


def check_columns(out: pathlib.Path, tables: dict) -> dict:
    frames = {}
    for name, cols in tables.items():
        path = out / name
        if not path.exists():
            continue
        df = pd.read_parquet(path)
        for col, kinds in cols.items():
            assert col in df.columns, f"{name}: missing {col}"
            assert str(df[col].dtype) in kinds.split("|"), f"{name}.{col}: {df[col].dtype}"
        frames[name] = df
        print(f"{name}: {len(df)} rows")
    return frames


def check_imaging(out: pathlib.Path) -> None:
    frames = check_columns(out, IMAGING)
    analysis = json.loads((out / "analysis.json").read_text())
    assert {"spines", "compartments", "manipulations", "distance", "behaviour"} <= analysis.keys()
    feats = frames["spine_features.parquet"]
    assert set(feats["class"]) <= {"enlarged", "shrunk", "stable"}
    if "imaging/spines.parquet" in frames:
        spines = frames["imaging/spines.parquet"]
        traces = frames["imaging/spine_traces.parquet"]
        assert set(traces["spine"]) == set(spines["spine"])
        assert set(feats["spine"]) <= set(spines["spine"])
        # Every trace of one session has the same frames.
        n = traces.groupby(["spine", "session"]).size()
        assert n.groupby(level="session").nunique().max() <= 1, "unequal frame counts"
    print("ok")


def check_learning(out: pathlib.Path, results: dict) -> None:
    curves = check_columns(out, LEARNING)["learning_curves.parquet"]
    assert curves["test_accuracy"].between(0, 1).all()
    for learner, runs in curves.groupby("learner"):
        assert runs["seed"].nunique() == results["seeds"], learner
        last = runs[runs["epoch"] == runs["epoch"].max()]
        if f"{learner}_accuracy_mean" in results:
            assert abs(last["test_accuracy"].mean() - results[f"{learner}_accuracy_mean"]) < 1e-9, learner
    assert (out / "figures" / "learning_curves.png").exists()
    print("ok")


def main(out: pathlib.Path) -> None:
    summary = json.loads((out / "summary.json").read_text())
    assert "results" in summary and "spec_hash" in summary, summary.keys()
    if (out / "analysis.json").exists():
        check_imaging(out)
        return
    if (out / "learning_curves.parquet").exists():
        check_learning(out, summary["results"])
        return
    frames = check_columns(out, COLUMNS)
    spikes = frames["spikes.parquet"]
    assert len(spikes) > 0 and spikes["t_ms"].is_monotonic_increasing
    syn = frames["synapses.parquet"]
    assert (syn["synapse"].to_numpy() == range(len(syn))).all()
    if "weights.parquet" in frames:
        w = frames["weights.parquet"]
        assert set(w["synapse"]) <= set(syn["synapse"])
        first = w[w["t_ms"] == 0].set_index("synapse")
        joined = first.join(syn.set_index("synapse"), rsuffix="_syn")
        assert (joined["projection"] == joined["projection_syn"]).all()
    print("ok")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
