#!/usr/bin/env bash
# Data-parallel scaling on one machine: SimCLR on CIFAR-10 (ResNet-18, width 16, global batch 256) for STEPS steps,
# 1 process × 2 threads against `mpirun -np 2` ranks × 1 thread each (SyncBN on), repeated REPEATS times in
# alternation. Throughput is global images per second of wall time over the steps after the first WARMUP; the
# communication share is each step's time inside collectives (gradients, SyncBN, gathered negatives, the loss)
# over its whole time, from the ranks' `comm_s` and `step_s` in metrics.jsonl (rank 0's). Writes
# bench/results/distributed.json, with the output of `selfsup distributed check` on the 2 ranks. About 6 minutes
# on 2 cores. Env: STEPS=40 WARMUP=5 REPEATS=2 WORK=/var/tmp/selfsup-dist
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-40}
WARMUP=${WARMUP:-5}
REPEATS=${REPEATS:-2}
WORK=${WORK:-/var/tmp/selfsup-dist}
mkdir -p "$WORK" bench/results
dotnet build -c Release src/SelfSup.Cli -v q -nologo >/dev/null
# A copy of the binaries, so a rebuild during the run cannot swap dlls under it.
rm -rf "$WORK/bin" && cp -r src/SelfSup.Cli/bin/Release/net10.0 "$WORK/bin"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
common=(pretrain --method simclr --data cifar10 --encoder resnet18 --width 16 --batch-size 256 --epochs 1
        --max-steps "$STEPS" --monitor-every 0 --tensorboard false --checkpoint-every 0 --seed 0)
# The ranks' link: collectives checked, allreduce latency and bandwidth.
mpirun -np 2 dotnet "$WORK/bin/SelfSup.Cli.dll" distributed check > "$WORK/check.log" 2>&1
for r in $(seq 1 "$REPEATS"); do
  rm -rf "$WORK/one-$r" "$WORK/two-$r"
  dotnet "$WORK/bin/SelfSup.Cli.dll" "${common[@]}" --threads 2 --out "$WORK/one-$r" > "$WORK/one-$r.log" 2>&1
  mpirun -np 2 dotnet "$WORK/bin/SelfSup.Cli.dll" "${common[@]}" --threads 1 --distributed mpi --out "$WORK/two-$r" > "$WORK/two-$r.log" 2>&1
done
python3 - "$WORK" "$STEPS" "$WARMUP" "$REPEATS" bench/results/distributed.json "$(git rev-parse HEAD)" "STEPS=$STEPS WARMUP=$WARMUP REPEATS=$REPEATS bench/distributed.sh" <<'PY'
import datetime, json, os, sys
work, steps, warmup, repeats, out, commit, command = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
def read(run):
    rows = [json.loads(l) for l in open(f"{work}/{run}/metrics.jsonl") if '"loss"' in l]
    first, last = rows[warmup - 1], rows[-1]
    images = 256 * (last["step"] - first["step"])
    r = {"run": run, "steps": last["step"], "images_per_s": round(images / (last["wall_s"] - first["wall_s"]), 1)}
    timed = [x for x in rows[warmup:] if "comm_s" in x]
    if timed:
        r["comm_share"] = round(sum(x["comm_s"] for x in timed) / sum(x["step_s"] for x in timed), 3)
    return r
runs = [read(f"{side}-{i}") for i in range(1, repeats + 1) for side in ("one", "two")]
one = [r["images_per_s"] for r in runs if r["run"].startswith("one")]
two = [r["images_per_s"] for r in runs if r["run"].startswith("two")]
share = [r["comm_share"] for r in runs if "comm_share" in r]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
result = {"command": command, "commit": commit, "date": datetime.date.today().isoformat(),
          "measured_on": f"{os.cpu_count()}-core CPU ({cpu}), no GPU, load average {os.getloadavg()[0]:.1f} at the end",
          "case": "simclr resnet18 w16 cifar10, global batch 256", "runs": runs,
          "one_process_2_threads_images_per_s": round(sum(one) / len(one), 1),
          "two_ranks_1_thread_images_per_s": round(sum(two) / len(two), 1),
          "ratio_two_ranks_over_one_process": round(sum(two) / sum(one), 3),
          "comm_share_two_ranks": round(sum(share) / len(share), 3),
          "distributed_check": [l.strip() for l in open(f"{work}/check.log") if l.startswith(("allreduce", "collectives", "library", "2 ranks"))]}
json.dump(result, open(out, "w"), indent=1)
print(json.dumps(result, indent=1))
PY
