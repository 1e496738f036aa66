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


def main(out: pathlib.Path) -> None:
    summary = json.loads((out / "summary.json").read_text())
    assert "results" in summary and "spec_hash" in summary, summary.keys()
    frames = {}
    for name, cols in COLUMNS.items():
        path = out / name
        if not path.exists():
            continue
        df = pd.read_parquet(path)
        for col, kinds in cols.items():
            assert col in df.columns, f"{name}: missing {col}"
            assert str(df[col].dtype) in kinds.split("|"), f"{name}.{col}: {df[col].dtype}"
        frames[name] = df
        print(f"{name}: {len(df)} rows")
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
