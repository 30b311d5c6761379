#!/usr/bin/env python3
"""Writes docs/results/investigation-DATASET-METHOD.json: why a method scores below its random-init twin on the
leaderboard, from the reruns that looked into it. Each rerun is a result file of its own run — a `selfsup bench methods`
result.json (results.leaderboard) or a `selfsup eval --json` output (knn_top1, linear_top1, random_init) — and every
score is kept beside the twin of the same run. The committed leaderboard row is read as the run labelled "seed 0".
Gaps (method − twin) are summarised over the runs labelled "seed N", so a gap can be set against seed-to-seed spread.

usage: scripts/leaderboard-investigation.py DATASET METHOD --finding "..." --run "seed 1=runs/x/result.json"
                                            [--run "LABEL=FILE" ...] [--command "..."]
"""
import argparse, json, os, statistics, subprocess, datetime, platform

p = argparse.ArgumentParser()
p.add_argument("dataset")
p.add_argument("method")
p.add_argument("--finding", required=True, help="one or two sentences for the leaderboard row")
p.add_argument("--run", action="append", default=[], help="LABEL=FILE, a rerun's result file (repeatable)")
p.add_argument("--command", action="append", default=[], help="a command that made a rerun (repeatable)")
a = p.parse_args()

root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
results_dir = os.path.join(root, "docs", "results")


def load(path):
    with open(path) as f:
        doc = json.load(f)
    row = doc.get("results", {}).get("leaderboard")
    if row is not None:
        ev = row.get("evaluation") or {}
        return {
            "commit": doc.get("commit"),
            "command": doc.get("command"),
            "encoder": row.get("encoder"),
            "steps": row.get("steps_done"),
            "planned_s": (row.get("plan") or {}).get("planned_s"),
            "actual_s": row.get("actual_s"),
            "final_loss": row.get("final_loss"),
            "warnings": row.get("warnings") or [],
            "knn": ev.get("knn_top1"), "linear": ev.get("linear_top1"),
            "twin_knn": (ev.get("random_init") or {}).get("knn_top1"),
            "twin_linear": (ev.get("random_init") or {}).get("linear_top1"),
        }
    ev = doc.get("results", doc)
    if "knn_top1" not in ev:
        raise SystemExit(f"{path}: expected results.leaderboard (bench methods) or knn_top1/linear_top1/random_init (selfsup eval --json)")
    return {
        "commit": doc.get("commit"),
        "steps": ev.get("steps"),
        "knn": ev["knn_top1"], "linear": ev["linear_top1"],
        "twin_knn": ev["random_init"]["knn_top1"], "twin_linear": ev["random_init"]["linear_top1"],
    }


runs = {"seed 0": load(os.path.join(results_dir, f"leaderboard-{a.dataset}-{a.method}.json"))}
for spec in a.run:
    label, _, path = spec.partition("=")
    if not path:
        raise SystemExit(f"--run '{spec}': expected LABEL=FILE")
    runs[label.strip()] = load(path)
for r in runs.values():
    r["knn_gap"] = round(r["knn"] - r["twin_knn"], 2)
    r["linear_gap"] = round(r["linear"] - r["twin_linear"], 2)


def spread(key):
    xs = [r[key] for label, r in runs.items() if label.startswith("seed ")]
    return {"mean": round(statistics.mean(xs), 2), "std": round(statistics.stdev(xs), 2) if len(xs) > 1 else 0.0, "n": len(xs)}


out = {
    "command": a.command or [r["command"][0] for r in runs.values() if r.get("command")],
    "commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=root).stdout.strip(),
    "measured_on": f"{os.cpu_count()}-core CPU ({next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())}), no GPU",
    "date": datetime.date.today().isoformat(),
    "provenance": "written by scripts/leaderboard-investigation.py from the reruns' own result files; each run keeps the commit it was built from",
    "results": {
        "investigation": {
            "method": a.method,
            "dataset": a.dataset,
            "finding": a.finding,
            "runs": runs,
            "gap_over_seeds": {"knn": spread("knn_gap"), "linear": spread("linear_gap"),
                               "twin_knn": spread("twin_knn"), "twin_linear": spread("twin_linear")},
        }
    },
}
path = os.path.join(results_dir, f"investigation-{a.dataset}-{a.method}.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(path)
for label, r in runs.items():
    print(f"{label:>24}: k-NN {r['knn']:.2f} (twin {r['twin_knn']:.2f}, {r['knn_gap']:+.2f})  linear {r['linear']:.2f} (twin {r['twin_linear']:.2f}, {r['linear_gap']:+.2f})  steps {r.get('steps')}")
