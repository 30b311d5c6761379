#!/usr/bin/env bash
# Larger than memory: SimCLR trained from a synthetic packed dataset read row by row from disk (--storage file)
# against the same model trained from a small dataset held in memory (--storage memory), alternating, two rounds:
# images/s over wall time (data reads and all) and each process's peak RSS. Then decoding real JPEG and PNG files,
# in memory against streamed into a packed file. Writes bench/results/stream.json. Read the per-round ratios: the
# absolute rates move with the machine's load.
# Env: IMAGES=650000 (8 GB at 64 px) SMALL=20000 STEPS=40 BATCH=128 ROUNDS=2 WORK=/var/tmp/selfsup-stream
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-650000}
SMALL=${SMALL:-20000}
STEPS=${STEPS:-40}
BATCH=${BATCH:-128}
ROUNDS=${ROUNDS:-2}
WORK=${WORK:-/var/tmp/selfsup-stream}
export BATCH
mkdir -p "$WORK" bench/results
dotnet build -c Release src/SelfSup.Cli -v q -nologo >/dev/null
# A copy of the binaries, so a rebuild during the run cannot swap dlls under it.
rm -rf "$WORK/bin" && cp -r src/SelfSup.Cli/bin/Release/net10.0 "$WORK/bin"
selfsup() { dotnet "$WORK/bin/SelfSup.Cli.dll" "$@"; }

[ -f "$WORK/big.sspack" ] || selfsup bench --case synthetic-pack --images "$IMAGES" --image-size 64 --pack "$WORK/big.sspack" > "$WORK/big.json"
[ -f "$WORK/small.sspack" ] || selfsup bench --case synthetic-pack --images "$SMALL" --image-size 64 --pack "$WORK/small.sspack" > "$WORK/small.json"

train() { # name data storage
  # Evict the file's pages first, so the file arm reads from the disk, not from the page cache.
  python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)" "$2"
  rm -rf "$WORK/run-$1"
  /usr/bin/time -f "%M" -o "$WORK/$1.rss" dotnet "$WORK/bin/SelfSup.Cli.dll" pretrain --method simclr --data "$2" --storage "$3" \
    --encoder convnet --width 16 --batch-size "$BATCH" --epochs 1 --max-steps "$STEPS" --checkpoint-every 0 --monitor-every 0 \
    --out "$WORK/run-$1" > "$WORK/$1.log" 2>&1
}
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then train "file-$round" "$WORK/big.sspack" file; train "memory-$round" "$WORK/small.sspack" memory
  else train "memory-$round" "$WORK/small.sspack" memory; train "file-$round" "$WORK/big.sspack" file; fi
done

mkdir -p "$WORK/jpeg" "$WORK/png"
[ -d "$WORK/jpeg/cifar10" ] || tar -xzf ../shared/data/cifar10-jpeg.tar.gz -C "$WORK/jpeg" cifar10/test
if [ ! -d "$WORK/png/classes" ]; then
  raw=/usr/share/datasets/fashion-mnist # Debian dataset-fashion-mnist
  python3 scripts/export-image-folder.py "$raw/t10k-images-idx3-ubyte.gz" "$raw/t10k-labels-idx1-ubyte.gz" "$WORK/png"
fi
selfsup bench --case decode --data "$WORK/jpeg/cifar10/test" --repeats 3 > "$WORK/decode-jpeg.json"
selfsup bench --case decode --data "$WORK/png/classes" --repeats 3 > "$WORK/decode-png.json"

python3 - "$WORK" "$ROUNDS" "IMAGES=$IMAGES SMALL=$SMALL STEPS=$STEPS BATCH=$BATCH ROUNDS=$ROUNDS bench/stream.sh" <<'PY' | tee bench/results/stream.json
import json, os, sys
sys.path.insert(0, "bench")
from summarize import provenance
work, rounds, command = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def arm(name):
    rows = [json.loads(l) for l in open(f"{work}/run-{name}/metrics.jsonl") if '"loss"' in l]
    rows = [r for r in rows if r["step"] > 5]  # warm-up steps left out
    images = (rows[-1]["step"] - rows[0]["step"]) * int(os.environ.get("BATCH", "128"))
    return {"images_per_s_wall": round(images / (rows[-1]["wall_s"] - rows[0]["wall_s"]), 1),
            "peak_rss_mib": round(int(open(f"{work}/{name}.rss").read().split()[-1]) / 1024, 1)}

file_arms = [arm(f"file-{r}") for r in range(1, rounds + 1)]
memory_arms = [arm(f"memory-{r}") for r in range(1, rounds + 1)]
med = lambda xs: sorted(xs)[len(xs) // 2]
f_ips, m_ips = med([a["images_per_s_wall"] for a in file_arms]), med([a["images_per_s_wall"] for a in memory_arms])
# Each round's two arms ran back to back, so their ratio shares that round's machine load.
ratios = [round(f["images_per_s_wall"] / m["images_per_s_wall"], 3) for f, m in zip(file_arms, memory_arms)]
big, small = (json.load(open(f"{work}/{n}.json")) for n in ("big", "small"))
print(json.dumps({**provenance(command),
    "model": "simclr convnet width 16, 64 px, batch " + os.environ.get("BATCH", "128"),
    "file_dataset": {"images": big["images"], "gb": round(big["bytes"] / 1e9, 2)},
    "memory_dataset": {"images": small["images"], "gb": round(small["bytes"] / 1e9, 3)},
    "file_arms": file_arms, "memory_arms": memory_arms,
    "file_images_per_s": f_ips, "memory_images_per_s": m_ips, "file_over_memory_per_round": ratios, "file_over_memory": med(ratios),
    "file_peak_rss_mib": max(a["peak_rss_mib"] for a in file_arms),
    "decode": {k: json.load(open(f"{work}/decode-{k}.json")) for k in ("jpeg", "png")}}, indent=1))
PY
