#!/usr/bin/env bash
# Memory stays flat over a long run: RSS after 1,000 training steps against RSS after 50 steps (same process).
# A small model keeps it to minutes: SimCLR, ConvNet width 8 on Fashion-MNIST, batch 32, projection hidden 256.
# Usage: bench/memory.sh [extra selfsup pretrain flags]. Env: EARLY=50 LATE=1000. Writes bench/results/memory.json.
set -euo pipefail
cd "$(dirname "$0")/.."
EARLY=${EARLY:-50}
LATE=${LATE:-1000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build -c Release src/SelfSup.Cli -v q -nologo >/dev/null
dotnet src/SelfSup.Cli/bin/Release/net10.0/SelfSup.Cli.dll pretrain --method simclr --data fashion-mnist --encoder convnet \
  --width 8 --batch-size 32 --set projection_hidden_dim=256 --epochs 1 --max-steps "$LATE" --checkpoint-every 0 \
  --optimizer sgd --lr 0.1 --out "$out" "$@" >/dev/null
mkdir -p bench/results
/usr/bin/python3 - "$out/metrics.jsonl" "$EARLY" "$LATE" "EARLY=$EARLY LATE=$LATE bench/memory.sh $*" <<'PY' | tee bench/results/memory.json
import json, sys
sys.path.insert(0, "bench")
from summarize import provenance
early, late = int(sys.argv[2]), int(sys.argv[3])
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
rss = {r["step"]: r["rss_mib"] for r in rows}
a, b = rss[early], rss[late]
print(json.dumps({**provenance(sys.argv[4]), "model": "simclr convnet w8, fashion-mnist, batch 32", "steps": len(rows), f"rss_mib_step{early}": a,
                  f"rss_mib_step{late}": b, "growth_percent": round(100 * (b - a) / a, 2),
                  "rss_mib_at": {s: rss[s] for s in (1, 10, 25, 50, 100, 200, 300, 500, 750, late) if s in rss}, "peak_rss_mib": max(rss.values()),
                  "managed_mib_at": {s: r["managed_mib"] for r in rows for s in (early, late) if r["step"] == s and "managed_mib" in r},
                  "median_images_per_s": sorted(r["images_per_s"] for r in rows)[len(rows) // 2]}))
PY
