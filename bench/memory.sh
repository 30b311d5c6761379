#!/usr/bin/env bash
# Memory stays flat over a long run: RSS after 300 training steps against RSS after 30 steps (same process).
# Usage: bench/memory.sh [extra selfsup pretrain flags]. Writes bench/results/memory.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build -c Release src/SelfSup.Cli -v q -nologo >/dev/null
dotnet src/SelfSup.Cli/bin/Release/net10.0/SelfSup.Cli.dll pretrain --method simclr --data fashion-mnist --encoder convnet \
  --batch-size 128 --epochs 1 --max-steps 300 --checkpoint-every 0 --optimizer sgd --lr 0.1 --out "$out" "$@" >/dev/null
mkdir -p bench/results
python3 - "$out/metrics.jsonl" <<'PY' | tee bench/results/memory.json
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
rss = {r["step"]: r["rss_mib"] for r in rows}
a, b = rss[30], rss[300]
print(json.dumps({"steps": len(rows), "rss_mib_step30": a, "rss_mib_step300": b,
                  "growth_percent": round(100 * (b - a) / a, 2), "peak_rss_mib": max(rss.values())}))
PY
