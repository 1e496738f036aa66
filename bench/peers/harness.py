"""dendra against NEST and Brian2 (+ dendrify), side by side in one run.

Run through `bash bench/run.sh [--quick]`, which makes the virtual environment with the peers
and builds dendra first. This program only uses the standard library.

For every benchmark the contenders run alternately (A B C, A B C, ...), one process per run,
each after a pause (`--settle-s`) that lets the previous process's after-effects die down (a
peer's parallel compilation and the removal of its build directory slowed the next program's
loop by up to 40 % for a few seconds on the 2-core VM), with the 1-minute load average
recorded before each. Each run reports its simulation loop time
(the program's own timer: dendra's `loop_s`, Brian2's standalone run timer, NEST's Run() wall
time) and the harness measures the whole process from start to exit and its peak memory.
Medians with min/max go into `results.json` and `RESULTS.md`, with the ratios dendra/peer,
the issue's targets, and the quantities that show both simulate the same model (rates, weight
distributions, identical spikes across thread counts).
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEERS = os.path.join(ROOT, "bench", "peers")
# Built with the `perf` profile (release plus one codegen unit and thin LTO; see Cargo.toml).
DENDRA = os.path.join(ROOT, "target", "perf", "dendra")
CUBA_BIN = os.path.join(ROOT, "target", "perf", "cuba")


# ---------------------------------------------------------------------------------------------
# Running one process


def load_average():
    """The 1-minute load average (it lags: a peer's parallel compile raises it for a minute)."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def running_tasks():
    """Tasks runnable right now, besides the harness itself (from /proc/loadavg)."""
    with open("/proc/loadavg") as f:
        return max(int(f.read().split()[3].split("/")[0]) - 1, 0)


# Seconds to wait before each run (set from `--settle-s`).
SETTLE_S = 5.0


def run_once(cmd, timeout_s):
    """Run `cmd` after the settling pause, return its JSON output with the harness's own
    measurements added."""
    time.sleep(SETTLE_S)
    load = load_average()
    running = running_tasks()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=_single_thread_env())
        try:
            _, status, usage = _wait4(proc, timeout_s)
        except TimeoutError:
            proc.kill()
            proc.wait()
            return {"error": f"timed out after {timeout_s} s", "cmd": cmd, "load_before": load}
        process_s = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        return {"error": f"exit {code}: {stderr.strip()[-600:]}", "cmd": cmd, "load_before": load}
    result = _parse_json(stdout)
    if result is None:
        return {"error": "no JSON object on stdout", "cmd": cmd, "load_before": load}
    result["process_s_measured"] = process_s
    result["peak_rss_mb"] = usage.ru_maxrss / 1024.0
    result["load_before"] = load
    result["running_before"] = running
    return result


def _parse_json(stdout):
    """The JSON object a program printed: the whole output from its first `{` (dendra's
    pretty summary), else the last line (the peers' one-line reports); None if neither parses."""
    start = stdout.find("{")
    candidates = [stdout[start:]] if start >= 0 else []
    lines = stdout.strip().splitlines()
    candidates += lines[-1:]
    for text in candidates:
        try:
            result = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(result, dict):
            return result
    return None


def _wait4(proc, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return pid, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.002)


def _single_thread_env():
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = "1"
    return env


# ---------------------------------------------------------------------------------------------
# Contenders: name -> command


# Output directories of dendra's runs, removed when the harness ends.
SCRATCH = []


def scratch_dir(name):
    out = os.path.join(tempfile.gettempdir(), f"dendra-bench-{name}-{os.getpid()}")
    SCRATCH.append(out)
    return out


def dendra_run(name, threads, seed, extra=()):
    out = scratch_dir(name)
    return [DENDRA, "run", name, "--out", out, "--force", "--threads", str(threads), "--seed", str(seed),
            "--json", *extra]


def peer(script, *args):
    return [sys.executable, os.path.join(PEERS, script), *map(str, args)]


def benchmarks(quick):
    """Each benchmark: name, what it is, contenders (name, command, loop key), repetitions."""
    reps = 2 if quick else 5
    seed = 1
    b = [
        {"name": "cuba_1_thread", "title": "CUBA, 4000 LIF, 1 s, 1 thread", "reps": reps, "contenders": [
            ("dendra", dendra_run("cuba", 1, seed)),
            ("brian2_cpp_standalone", peer("brian2_cuba.py", "--seed", seed, "--threads", 1)),
            ("nest", peer("nest_cuba.py", "--threads", 1, "--seed", seed)),
        ]},
        {"name": "cuba_2_threads", "title": "CUBA, 4000 LIF, 1 s, 2 threads", "reps": reps, "contenders": [
            ("dendra", dendra_run("cuba", 2, seed)),
            ("brian2_cpp_standalone", peer("brian2_cuba.py", "--seed", seed, "--threads", 2)),
            ("nest", peer("nest_cuba.py", "--threads", 2, "--seed", seed)),
        ]},
        {"name": "song2000", "title": "Song, Miller & Abbott 2000 STDP, 100 s, 1 thread",
         "reps": 1 if quick else 3, "contenders": [
            ("dendra", dendra_run("song2000", 1, seed)),
            ("brian2_cpp_standalone", peer("brian2_song2000.py", "--seed", seed)),
        ]},
        {"name": "multirule", "title": "Per-compartment rules, 100 neurons x 3 rules x 100 synapses, 10 s, 1 thread",
         "reps": 1 if quick else 3, "contenders": [
            ("dendra", dendra_run("multirule", 1, seed)),
            ("brian2_dendrify_cpp_standalone", peer("brian2_multirule.py", "--seed", seed)),
        ]},
    ]
    return b


def scaling_runs(quick):
    """The scaling series (dendra only): (neurons, in-degree, threads, simulated ms, repetitions
    within the process, whose median is reported)."""
    runs = []
    for n in (1_000, 10_000, 100_000):
        for threads in (1, 2):
            # Several repetitions: the 2-thread speed-up at 10^5 neurons is a target, and one
            # run on this kind of shared VM can be off by a third.
            runs.append((n, 80, threads, 1000, 2 if quick else 5))
    if not quick:
        # Synapse count at 10^5 neurons: 8e7 and 8e8 synapses on 1 and 2 threads, then 2e9
        # (about 16 GB at 8 bytes each: the largest round size that fits in 24 GiB), shorter runs.
        for k, ms in ((800, 200), (8000, 50)):
            for threads in (1, 2):
                runs.append((100_000, k, threads, ms, 1))
        runs.append((100_000, 20_000, 2, 20, 1))
    return runs


# The 2-thread speed-up target: pairs of processes, 1 thread then 2, alternated (A B A B), each
# pair's ratio taken within minutes of itself; the target reads the median ratio.
SPEEDUP_NETWORK = {"neurons": 100_000, "indegree": 80, "duration_ms": 1000}


def run_cuba(neurons, indegree, threads, duration_ms, reps, timeout_s):
    """One process of the CUBA-like benchmark binary (`reps` repetitions inside it)."""
    cmd = [CUBA_BIN, "--json", "--reps", reps, "--threads", threads, "--neurons", neurons,
           "--indegree", indegree, "--duration-ms", duration_ms]
    return run_once(list(map(str, cmd)), timeout_s=timeout_s)


def speedup_pairs(quick, started):
    """Alternate 1- and 2-thread processes on the 10^5-neuron network; return the pairs and the
    median, min and max of their ratios. A shared VM drifts over minutes, so a ratio of two
    medians measured one after the other (the scaling series) carries that drift; a pair's own
    ratio does not."""
    net = SPEEDUP_NETWORK
    pairs = []
    for rep in range(2 if quick else 7):
        one, two = (run_cuba(net["neurons"], net["indegree"], threads, net["duration_ms"], 1, 900)
                    for threads in (1, 2))
        if "error" in one or "error" in two:
            entry = {"rep": rep, "error": one.get("error") or two.get("error")}
        else:
            entry = {"rep": rep, "one_s": one["loop_s_median"], "two_s": two["loop_s_median"],
                     "ratio": one["loop_s_median"] / two["loop_s_median"],
                     "same_spikes": one["spike_digest"] == two["spike_digest"],
                     "load_before": [one["load_before"], two["load_before"]]}
        pairs.append(entry)
        print(f"[{time.monotonic() - started:6.0f} s] speed-up pair {rep}: "
              + (f"{entry['one_s']:.3f} s / {entry['two_s']:.3f} s = {entry['ratio']:.2f}x" if "ratio" in entry
                 else entry["error"]), flush=True)
    return {"network": net, "pairs": pairs, "ratio": stats([p.get("ratio") for p in pairs]),
            "same_spikes": all(p.get("same_spikes", False) for p in pairs)}


# ---------------------------------------------------------------------------------------------
# Statistics and checks


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def loop_time(result):
    return result.get("loop_s") if "loop_s" in result else result.get("loop_s_median")


def summarize(bench, runs):
    """Per contender: loop and process time statistics, the last run's model quantities."""
    out = {}
    for name, _ in bench["contenders"]:
        rs = [r for r in runs if r["contender"] == name]
        ok = [r for r in rs if "error" not in r]
        out[name] = {
            "loop_s": stats([loop_time(r) for r in ok]),
            "process_s": stats([r["process_s_measured"] for r in ok]),
            "peak_rss_mb": stats([r["peak_rss_mb"] for r in ok]),
            "load_before": [r["load_before"] for r in rs],
            "running_before": [r.get("running_before") for r in rs],
            "errors": [r["error"] for r in rs if "error" in r],
            "last": ok[-1] if ok else None,
        }
    return out


def ratio(summary, a, b, key):
    sa, sb = summary.get(a, {}).get(key), summary.get(b, {}).get(key)
    if not sa or not sb or not sb["median"]:
        return None
    return sa["median"] / sb["median"]


def model_checks(name, summary):
    """Quantities that show the contenders simulate the same model, and whether they agree."""
    rows = []
    last = {k: v["last"] for k, v in summary.items() if v["last"]}
    if name.startswith("cuba"):
        for k, r in last.items():
            rate = r.get("rate_mean_hz")
            rows.append((k, f"mean rate {rate:.2f} Hz, {int(r.get('spikes', 0))} spikes",
                         rate is not None and 3.0 <= rate <= 9.0))
    elif name == "song2000":
        for k, r in last.items():
            hi, lo = r.get("frac_w_above_0.9"), r.get("frac_w_below_0.1")
            rate = r.get("rate_hz")
            rows.append((k, f"{100 * hi:.1f} % of weights > 0.9 g_max, {100 * lo:.1f} % < 0.1 g_max, "
                            f"output {rate:.1f} Hz", hi >= 0.15 and lo >= 0.15))
    elif name == "multirule":
        for k, r in last.items():
            rows.append((k, f"rate {r.get('rate_hz'):.2f} Hz; mean w (pA) basal {r.get('mean_w_basal'):.1f}, "
                            f"apical {r.get('mean_w_apical'):.1f}, distal {r.get('mean_w_distal'):.1f}",
                         all(0 < r.get(x, 0) < 150 for x in ("mean_w_basal", "mean_w_apical", "mean_w_distal"))))
    return rows


# ---------------------------------------------------------------------------------------------
# Targets (issues 2, 3 and 7): (label, value, limit, how the value compares)


def targets(results):
    b = {x["name"]: x["summary"] for x in results["benchmarks"]}
    t = []

    def add(label, value, limit, better="lower"):
        if value is None:
            t.append({"target": label, "value": None, "limit": limit, "met": None})
        else:
            met = value <= limit if better == "lower" else value >= limit
            t.append({"target": label, "value": value, "limit": limit, "met": met})

    c1 = b.get("cuba_1_thread", {})
    add("CUBA loop, 1 thread: dendra / Brian2 cpp_standalone", ratio(c1, "dendra", "brian2_cpp_standalone", "loop_s"), 0.5)
    add("CUBA loop, 1 thread: dendra / NEST", ratio(c1, "dendra", "nest", "loop_s"), 0.1)
    d = c1.get("dendra", {}).get("process_s")
    add("CUBA whole process, dendra (s)", d["median"] if d else None, 0.5)
    add("Song 2000: dendra / Brian2 cpp_standalone", ratio(b.get("song2000", {}), "dendra", "brian2_cpp_standalone", "loop_s"), 0.5)
    add("Per-compartment model: dendra / Brian2 + dendrify",
        ratio(b.get("multirule", {}), "dendra", "brian2_dendrify_cpp_standalone", "loop_s"), 0.05)
    sc = results.get("scaling", [])
    one = [r for r in sc if r["neurons"] == 100_000 and r["indegree"] == 80 and r["threads"] == 1 and "error" not in r]
    two = [r for r in sc if r["neurons"] == 100_000 and r["indegree"] == 80 and r["threads"] == 2 and "error" not in r]
    sp = results.get("speedup")
    if sp and sp["ratio"]:
        r = sp["ratio"]
        add(f"Speed-up 2 threads / 1 thread, 10^5 neurons (median of {r['n']} alternating pairs, "
            f"{r['min']:.2f}-{r['max']:.2f})", r["median"], 1.7, "higher")
        t.append({"target": "Identical spikes, 1 and 2 threads, 10^5 neurons (every pair)",
                  "value": "yes" if sp["same_spikes"] else "no", "limit": "yes", "met": sp["same_spikes"]})
    elif one and two:
        add("Speed-up 2 threads / 1 thread, 10^5 neurons", one[0]["loop_s_median"] / two[0]["loop_s_median"], 1.7, "higher")
    if one and two:
        t.append({"target": "Identical spikes, 1 and 2 threads, 10^5 neurons", "value": one[0]["spike_digest"],
                  "limit": two[0]["spike_digest"], "met": one[0]["spike_digest"] == two[0]["spike_digest"]})
    static = [r["bytes_per_synapse"] for r in sc if r["threads"] == 1 and "error" not in r]
    add("Static synapse, bytes (1 thread, largest network)", static[-1] if static else None, 8.0)
    mr = b.get("multirule", {}).get("dendra", {}).get("last") or {}
    sg = b.get("song2000", {}).get("dendra", {}).get("last") or {}
    add("Plastic synapse, bytes (song2000)", sg.get("bytes_per_synapse"), 16.0)
    add("Plastic synapse, bytes (multirule, three rules)", mr.get("bytes_per_synapse"), 16.0)
    # Plasticity state kept per neuron (traces) is reported beside it, counted per synapse.
    for name, last in (("song2000", sg), ("multirule", mr)):
        if "trace_bytes_per_synapse" in last:
            t.append({"target": f"Per-neuron plasticity state (traces) per synapse, bytes ({name}; not a target)",
                      "value": last["trace_bytes_per_synapse"], "limit": "—", "met": "info"})
    return t


# ---------------------------------------------------------------------------------------------
# Report


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "dendra_commit": rev + ("+changes" if dirty else ""),
            "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")}


def memory_bandwidth_gbs():
    """Main-memory bandwidth now (GB/s): the best of 5 passes of `b = 2 a` over 400 MB arrays
    (read + write counted). On a shared VM it can fall far below the machine's usual figure,
    and memory-bound benchmarks (and the 2-thread speed-up) with it: recorded beside them.
    Measured in a process of its own: a child started by the harness inherits the harness's
    high-water mark of resident memory in its `ru_maxrss`, so 800 MB of arrays here would be
    reported as every later contender's peak memory."""
    code = (
        "import time, numpy as np\n"
        "n = 50_000_000\n"
        "a = np.ones(n); b = np.empty(n); best = float('inf')\n"
        "for _ in range(5):\n"
        "    t = time.perf_counter(); np.multiply(a, 2.0, out=b); best = min(best, time.perf_counter() - t)\n"
        "print(round(16 * n / best / 1e9, 1))\n"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        return float(out.stdout.strip())
    except (subprocess.TimeoutExpired, ValueError):
        return None  # rendered as "not measured"


def gbs(value):
    """A memory bandwidth for the table: `12.3 GB/s`, or `not measured`."""
    return "not measured" if value is None else f"{value} GB/s"


def fmt_stats(s, digits=3):
    if not s:
        return "—"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def versions(results):
    v = {}
    for x in results["benchmarks"]:
        for name, s in x["summary"].items():
            if s["last"] and "version" in s["last"]:
                v[s["last"].get("peer", name)] = s["last"]["version"]
    return v


def write_markdown(results, path, before_after):
    m = results["machine"]
    lines = [
        "# dendra against its peers",
        "",
        f"Measured {m['date_utc']} UTC by `bash bench/run.sh{' --quick' if results['quick'] else ''}` "
        f"(dendra {m['dendra_commit']}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(versions(results).items())) + ").",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']}."
        + (f" Memory bandwidth (numpy `b = 2 a`, 400 MB arrays, read + write): {gbs(m['memory_gbs_before'])} "
           f"before the runs, {gbs(m.get('memory_gbs_after'))} after." if "memory_gbs_before" in m else ""),
        "Contenders ran alternately (A B C, A B C, ...), one process per run"
        + (f", each after a {results['settle_s']:g} s pause" if results.get("settle_s") else "")
        + "; times are medians "
        "(min–max) in seconds. *Loop*: each program's own simulation timer (dendra `loop_s`, Brian2's "
        "standalone run timer, NEST's `Run()`); *process*: start to exit, measured by the harness "
        "(Brian2's includes code generation and compilation). Peers run single-threaded unless the "
        "benchmark says 2 threads. Machine-readable: `results.json`.",
        "",
        "## Targets",
        "",
        "| target | measured | limit | met |",
        "|---|---|---|---|",
    ]
    for t in results["targets"]:
        v = t["value"]
        vs = "—" if v is None else (v if isinstance(v, str) else f"{v:.3f}")
        lim = t["limit"] if isinstance(t["limit"], str) else f"{t['limit']:g}"
        met = {True: "yes", False: "**no**", None: "not measured", "info": "—"}[t["met"]]
        lines.append(f"| {t['target']} | {vs} | {lim} | {met} |")
    for x in results["benchmarks"]:
        lines += ["", f"## {x['title']}", "", "| contender | loop (s) | process (s) | peak memory (MB) | load before (1-min avg; running now) |",
                  "|---|---|---|---|---|"]
        for name, s in x["summary"].items():
            loads = ", ".join(f"{l:.1f}; {r}" for l, r in zip(s["load_before"], s["running_before"]))
            lines.append(f"| {name} | {fmt_stats(s['loop_s'])} | {fmt_stats(s['process_s'], 2)} | "
                         f"{fmt_stats(s['peak_rss_mb'], 0)} | {loads} |")
            for e in s["errors"]:
                lines.append(f"| {name} failed | {e} | | | |")
        ratios = [(p, ratio(x["summary"], "dendra", p, "loop_s"), ratio(x["summary"], "dendra", p, "process_s"))
                  for p in x["summary"] if p != "dendra"]
        lines.append("")
        for p, rl, rp in ratios:
            if rl is not None:
                lines.append(f"- dendra / {p}: loop {rl:.3f}, process {rp:.3f}")
        lines.append("")
        lines.append("Same model? " + "; ".join(f"{k}: {desc}{'' if ok else ' (**out of range**)'}"
                                                  for k, desc, ok in x["checks"]))
    lines += ["", "## Scaling (dendra, CUBA-like network, expected in-degree K, weights x 80/K)", "",
              "Loop: the median of `reps` repetitions in one process.", "",
              "| neurons | K | synapses | threads | simulated ms | reps | loop (s) | s per biological s | synaptic events / s | bytes / synapse | peak memory (MB) | rate (Hz) | spike digest |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results["scaling"]:
        if "error" in r:
            lines.append(f"| {r['neurons']} | {r['indegree']} | | {r['threads']} | | | failed: {r['error']} | | | | | | |")
            continue
        per_bio = r["loop_s_median"] / (r["duration_ms"] / 1000.0)
        lines.append(f"| {r['neurons']} | {r['indegree']:g} | {int(r['synapses'])} | {r['threads']} | {r['duration_ms']:g} | "
                     f"{r.get('reps', 1):g} | {r['loop_s_median']:.3f} | {per_bio:.3f} | {r['events_per_s_median'] / 1e6:.1f} M | "
                     f"{r['bytes_per_synapse']:.2f} | {r['peak_rss_mb']:.0f} | {r['rate_mean_hz']:.2f} | `{r['spike_digest']}` |")
    if results.get("speedup"):
        sp = results["speedup"]
        net = sp["network"]
        lines += ["", f"## 2 threads against 1 ({net['neurons']} neurons, K {net['indegree']}, "
                      f"{net['duration_ms']:g} ms), alternating pairs", "",
                  "Each pair: a 1-thread process, then a 2-thread one, right after; the target reads the "
                  "median of the pairs' ratios.", "",
                  "| pair | 1 thread loop (s) | 2 threads loop (s) | speed-up | same spikes | load before (1 / 2) |",
                  "|---|---|---|---|---|---|"]
        for p in sp["pairs"]:
            if "error" in p:
                lines.append(f"| {p['rep']} | failed: {p['error']} | | | | |")
                continue
            lines.append(f"| {p['rep']} | {p['one_s']:.3f} | {p['two_s']:.3f} | {p['ratio']:.2f} | "
                         f"{'yes' if p['same_spikes'] else '**no**'} | "
                         f"{p['load_before'][0]:.2f} / {p['load_before'][1]:.2f} |")
    if results.get("wright2025"):
        w = results["wright2025"]
        lines += ["", "## wright2025 demo (the main job, `dendra demo`, 2 threads)", ""]
        if "error" in w:
            lines.append(f"Failed: {w['error']}")
        else:
            lines.append(f"Whole process {w['process_s_measured']:.1f} s, peak memory {w['peak_rss_mb']:.0f} MB "
                         f"(no peer runs this experiment).")
    if before_after:
        lines += ["", "## Missed targets: profiles and fixes", "", before_after.strip()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------


def write_results_md(results, out_dir):
    """RESULTS.md in `out_dir` from `results` and the profiles and fixes of bench/notes.md."""
    notes = os.path.join(ROOT, "bench", "notes.md")
    before_after = open(notes).read() if os.path.exists(notes) else ""
    write_markdown(results, os.path.join(out_dir, "RESULTS.md"), before_after)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 repetitions, no synapse series, no demo (< 5 min)")
    ap.add_argument("--settle-s", type=float, default=None,
                    help="pause before each run, in seconds (default 5, or 1 with --quick)")
    ap.add_argument("--out", default=None, help="output directory (default: bench/, or bench/quick/ with --quick)")
    ap.add_argument("--only", default=None,
                    help="comma-separated benchmark names (cuba_1_thread, ..., scaling, speedup, wright2025)")
    ap.add_argument("--render", action="store_true",
                    help="run nothing: rewrite RESULTS.md from the results.json already in the output "
                         "directory and the current bench/notes.md")
    args = ap.parse_args()
    global SETTLE_S
    SETTLE_S = args.settle_s if args.settle_s is not None else (1.0 if args.quick else 5.0)
    out_dir = args.out or os.path.join(ROOT, "bench", "quick" if args.quick else "")
    os.makedirs(out_dir, exist_ok=True)
    if args.render:
        with open(os.path.join(out_dir, "results.json")) as f:
            write_results_md(json.load(f), out_dir)
        return
    only = set(args.only.split(",")) if args.only else None
    for exe in (DENDRA, CUBA_BIN):
        if not os.path.exists(exe):
            sys.exit(f"error: {exe} is missing; run `cargo build --profile perf -p dendra-cli -p dendra-bench` "
                     "(bash bench/run.sh does)")
    results = {"quick": args.quick, "settle_s": SETTLE_S, "machine": machine(), "benchmarks": [], "scaling": []}
    results["machine"]["memory_gbs_before"] = memory_bandwidth_gbs()
    started = time.monotonic()
    for bench in benchmarks(args.quick):
        if only and bench["name"] not in only:
            continue
        runs = []
        for rep in range(bench["reps"]):
            for name, cmd in bench["contenders"]:
                r = run_once(cmd, timeout_s=900)
                r["contender"], r["rep"] = name, rep
                runs.append(r)
                loop = loop_time(r) if "error" not in r else None
                print(f"[{time.monotonic() - started:6.0f} s] {bench['name']} rep {rep} {name}: "
                      + (f"loop {loop:.4f} s, process {r['process_s_measured']:.2f} s" if loop is not None
                         else r.get("error", "?")), flush=True)
        summary = summarize(bench, runs)
        results["benchmarks"].append({"name": bench["name"], "title": bench["title"], "summary": summary,
                                      "checks": model_checks(bench["name"], summary), "runs": runs})
    if not only or "scaling" in only:
        for n, k, threads, ms, reps in scaling_runs(args.quick):
            r = run_cuba(n, k, threads, ms, reps, timeout_s=1800)
            r.setdefault("neurons", n)
            r.setdefault("indegree", k)
            r["threads"] = threads
            results["scaling"].append(r)
            print(f"[{time.monotonic() - started:6.0f} s] scaling {n} neurons, K {k}, {threads} thread(s): "
                  + (f"loop {r['loop_s_median']:.3f} s" if "error" not in r else r["error"]), flush=True)
    if not only or "speedup" in only:
        results["speedup"] = speedup_pairs(args.quick, started)
    if not args.quick and (not only or "wright2025" in only):
        r = run_once([DENDRA, "demo", "--out", scratch_dir("demo"),
                      "--force", "--threads", "2", "--json"], timeout_s=1800)
        results["wright2025"] = r
        print(f"[{time.monotonic() - started:6.0f} s] wright2025 demo: "
              + (f"process {r['process_s_measured']:.1f} s" if "error" not in r else r["error"]), flush=True)
    results["machine"]["memory_gbs_after"] = memory_bandwidth_gbs()
    results["targets"] = targets(results)
    results["harness_s"] = time.monotonic() - started
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    write_results_md(results, out_dir)
    print(f"wrote {os.path.join(out_dir, 'RESULTS.md')} and results.json in {results['harness_s']:.0f} s")
    for t in results["targets"]:
        flag = {True: "MET ", False: "MISS"}.get(t["met"], "----")
        print(f"  {flag} {t['target']}: {t['value']}")


if __name__ == "__main__":
    try:
        main()
    finally:
        for d in SCRATCH:
            shutil.rmtree(d, ignore_errors=True)
