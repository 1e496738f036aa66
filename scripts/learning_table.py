"""Print the Markdown tables of a learning benchmark's outputs (`dendra run digits|mnist|fmnist|continual`).

Usage: python3 scripts/learning_table.py OUT_DIR [OUT_DIR ...]

For each output directory it reads summary.json and prints one table of the learners (final
test accuracy mean ± sd [min-max] over seeds, epochs and seconds to 90 % of the final accuracy,
seconds per epoch; continual runs: the mean accuracy over all tasks after the last, and the
first task's) and one of the robustness tests (accuracy and fraction of the multi-rule
accuracy retained). Standard library only.
"""
import json
import sys

LEARNERS = ["multi_rule", "uniform", "point", "feedback_alignment", "backprop"]


def pct(x):
    return f"{100 * x:.1f}"


def table(path):
    with open(f"{path}/summary.json") as f:
        summary = json.load(f)
    r = summary["results"]
    continual = r.get("tasks", 1) > 1
    print(f"### {r['dataset']}{' (' + str(r['tasks']) + ' permuted tasks)' if continual else ''}: "
          f"{r['train_rows']} train / {r['test_rows']} test, {r['epochs']} epochs"
          f"{' per task' if continual else ''}, {r['seeds']} seeds, wall {summary['wall_s']:.0f} s "
          f"on {summary['threads']} threads\n")
    if continual:
        print("| learner | mean accuracy over all tasks after the last (%) | first task after the last (%) | s / epoch |")
        print("|---|---|---|---|")
    else:
        print("| learner | test accuracy (%) mean ± sd [min–max] | epochs to 90 % of final | s to 90 % | s / epoch |")
        print("|---|---|---|---|---|")
    for v in LEARNERS:
        if f"{v}_accuracy_mean" not in r:
            continue
        acc = (f"{pct(r[v + '_accuracy_mean'])} ± {pct(r[v + '_accuracy_sd'])} "
               f"[{pct(r[v + '_accuracy_min'])}–{pct(r[v + '_accuracy_max'])}]")
        if continual:
            first = r[v + "_task_accuracy"][0]
            print(f"| {v} | {acc} | {pct(first)} | {r[v + '_seconds_per_epoch']:.3f} |")
        else:
            print(f"| {v} | {acc} | {r[v + '_epochs_to_90pct']:.1f} | {r[v + '_seconds_to_90pct']:.3f} "
                  f"| {r[v + '_seconds_per_epoch']:.3f} |")
    ablations = [k[len("ablation_"):-len("_retained")] for k in r if k.startswith("ablation_") and k.endswith("_retained")]
    if ablations:
        print("\n| multi-rule network with | accuracy (%) mean ± sd | retained (of multi-rule) |")
        print("|---|---|---|")
        for a in ablations:
            print(f"| {a} | {pct(r['ablation_' + a + '_accuracy_mean'])} ± {pct(r['ablation_' + a + '_accuracy_sd'])} "
                  f"| {r['ablation_' + a + '_retained']:.3f} |")
    print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for d in sys.argv[1:]:
        table(d)
