#!/usr/bin/env bash
# Similar-image search: single-query top-10 latency of the exact in-process engine and the DuckDB engine over indexes
# of random 512-dimensional unit vectors (10,000 and 100,000 by default), each size in its own process, the engines
# alternating within it. Writes bench/results/search.json (one object per size). About a minute on 2 cores.
# Env: SIZES="10000 100000" DIMS=512 REPEATS=7 WARMUP=1 WORK=/var/tmp/selfsup-search
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"10000 100000"}
DIMS=${DIMS:-512}
REPEATS=${REPEATS:-7}
WARMUP=${WARMUP:-1}
WORK=${WORK:-/var/tmp/selfsup-search}
mkdir -p "$WORK" bench/results
dotnet build -c Release src/SelfSup.Cli -v q -nologo >/dev/null
# A copy of the binaries, so a rebuild during the run cannot swap dlls under it.
rm -rf "$WORK/bin" && cp -r src/SelfSup.Cli/bin/Release/net10.0 "$WORK/bin"
: > "$WORK/search.jsonl"
for n in $SIZES; do
  dotnet "$WORK/bin/SelfSup.Cli.dll" bench --case search --images "$n" --dims "$DIMS" --repeats "$REPEATS" --warmup "$WARMUP" | tail -n 1 | tee -a "$WORK/search.jsonl"
done
python3 - "$WORK/search.jsonl" bench/results/search.json "$(git rev-parse HEAD)" "SIZES=\"$SIZES\" DIMS=$DIMS REPEATS=$REPEATS WARMUP=$WARMUP bench/search.sh" <<'PY'
import datetime, json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
load = os.getloadavg()[0]
json.dump({"command": sys.argv[4], "commit": sys.argv[3], "date": datetime.date.today().isoformat(),
           "measured_on": f"{os.cpu_count()}-core CPU ({cpu}), no GPU, load average {load:.1f} at the end (shared machine)",
           "case": "search", "rows": rows}, open(sys.argv[2], "w"), indent=1)
print("| vectors | Parquet (MiB) | write (s) | load (s) | exact query (ms) | DuckDB query (ms) | same top-10 |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['vectors']:,} | {r['parquet_mib']} | {r['write_index_s']} | {r['load_index_s']} | {r['exact_query_ms']} | {r['duckdb_query_ms']} | {r['same_top10_ids']} |")
PY
