#!/usr/bin/env python3
"""Writes docs/results/NAME.json from a run's own outputs: the commands that produced it, the commit of the code,
the machine, and the run's results.json (plus the last line of its metrics.jsonl summary when given).

usage: scripts/record-result.py NAME --commit SHA --command "..." [--command "..."] --results runs/x/results.json
                                [--log runs/x.log] [--note "..."]
"""
import argparse, json, os, platform, re, subprocess, sys, datetime

p = argparse.ArgumentParser()
p.add_argument("name")
p.add_argument("--commit", required=True)
p.add_argument("--command", action="append", required=True)
p.add_argument("--results", action="append", default=[], help="a results JSON file of the run (repeatable)")
p.add_argument("--log", help="the run's console log: its 'trained …' and timing lines are kept")
p.add_argument("--note", default="")
a = p.parse_args()

root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
commit = subprocess.run(["git", "rev-parse", a.commit], capture_output=True, text=True, check=True, cwd=root).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
out = {
    "command": a.command,
    "commit": commit,
    "measured_on": f"{os.cpu_count()}-core CPU ({cpu}), no GPU",
    "date": datetime.date.today().isoformat(),
    "provenance": a.note or "written by scripts/record-result.py from the run's own output files",
    "results": {os.path.basename(os.path.dirname(r)) + "/" + os.path.basename(r): json.load(open(r)) for r in a.results},
}
if a.log:
    keep = re.compile(r"^(trained |pretrained |gain over|wrote |.* wall [0-9.]+ s$)")
    out["log"] = [l.rstrip() for l in open(a.log, errors="replace") if keep.match(l)]
path = os.path.join(root, "docs", "results", a.name + ".json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(path)
