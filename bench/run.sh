#!/usr/bin/env bash
# SelfSup against PyTorch on identical work, in one invocation: every case runs once per side per round, the two
# sides alternating (and swapping order every round) so that load on this shared machine hits both alike.
# Usage: bench/run.sh            (env: ROUNDS=2 REPEATS=3 WIDE_REPEATS=2 WARMUP=1 THREADS=<cores> CASES="..." MEMORY=1 KEEP=0)
# KEEP=1 appends to raw.jsonl instead of starting it afresh (to add cases from a second invocation).
# Writes bench/results/raw.jsonl (one line per process), bench/results/summary.json, and prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
REPEATS=${REPEATS:-3}            # timed repetitions per process (after WARMUP), narrow cases
WIDE_REPEATS=${WIDE_REPEATS:-2}  # the same for width 64 (a step is ~16x the FLOPs of width 16)
WARMUP=${WARMUP:-1}
THREADS=${THREADS:-$(nproc)}
CASES=${CASES:-"peak train16 embed16 pipeline vit mae train64 embed64 overhead"}
MEMORY=${MEMORY:-1}

# PyTorch reference: Debian's python3-torch (+ torchvision) on OpenBLAS with OpenMP threads. Installed once.
if ! /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null || ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
  echo "installing python3-torch, python3-torchvision, libopenblas0-openmp (apt)" >&2
  (apt-get install -y python3-torch python3-torchvision libopenblas0-openmp >/dev/null 2>&1 ||
   { apt-get update >/dev/null && apt-get install -y python3-torch python3-torchvision libopenblas0-openmp >/dev/null; })
fi
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

dotnet build -c Release src/SelfSup.Cli -v q -nologo >/dev/null
selfsup=(dotnet src/SelfSup.Cli/bin/Release/net10.0/SelfSup.Cli.dll bench --threads "$THREADS" --warmup "$WARMUP")
pytorch=(/usr/bin/python3 bench/pytorch/simclr_bench.py --threads "$THREADS" --warmup "$WARMUP")

mkdir -p bench/results
raw=bench/results/raw.jsonl
[ "${KEEP:-0}" = 1 ] || : > "$raw"
args_for() { # case → common arguments
  case "$1" in
    peak)      echo "--case peak --repeats $REPEATS --matmul-size 2048" ;;
    train16)   echo "--case train --width 16 --batch-size 256 --repeats $REPEATS" ;;
    train64)   echo "--case train --width 64 --batch-size 256 --repeats $WIDE_REPEATS" ;;
    embed16)   echo "--case embed --width 16 --batch-size 512 --repeats $REPEATS" ;;
    embed64)   echo "--case embed --width 64 --batch-size 512 --repeats $WIDE_REPEATS" ;;
    pipeline)  echo "--case pipeline --batch-size 256 --repeats $REPEATS" ;;
    vit)       echo "--case vit --batch-size 256 --keep 1 --repeats $REPEATS" ;;
    mae)       echo "--case vit --batch-size 256 --keep 0.25 --repeats $REPEATS" ;;
    overhead)  echo "--case overhead --width 16 --batch-size ${OVERHEAD_BATCH:-256} --steps ${OVERHEAD_STEPS:-6}" ;;
  esac
}
run_side() { # side case round
  local side=$1 name=$2 round=$3 line
  if [ "$side" = selfsup ]; then line=$("${selfsup[@]}" $(args_for "$name") | tail -1)
  else line=$("${pytorch[@]}" $(args_for "$name") | tail -1); fi
  echo "$line" | /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r["name"]=sys.argv[1]; r["round"]=int(sys.argv[2]); print(json.dumps(r))' "$name" "$round" >> "$raw"
  echo "  round $round  $name  $side  $(echo "$line" | cut -c1-160)" >&2
}
echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), threads $THREADS" >&2
for round in $(seq 1 "$ROUNDS"); do
  for name in $CASES; do
    if [ "$name" = overhead ]; then run_side selfsup "$name" "$round"; continue; fi
    if [ $((round % 2)) = 1 ]; then run_side selfsup "$name" "$round"; run_side pytorch "$name" "$round"
    else run_side pytorch "$name" "$round"; run_side selfsup "$name" "$round"; fi
  done
done
if [ "$MEMORY" = 1 ]; then bench/memory.sh; fi
BENCH_COMMAND="ROUNDS=$ROUNDS REPEATS=$REPEATS KEEP=${KEEP:-0} MEMORY=$MEMORY CASES=\"$CASES\" bench/run.sh" \
  /usr/bin/python3 bench/summarize.py "$raw" bench/results/memory.json > bench/results/summary.json.tmp
mv bench/results/summary.json.tmp bench/results/summary.json
/usr/bin/python3 bench/summarize.py --table bench/results/summary.json
