#!/usr/bin/env bash
# Checks the packages as a user meets them (about 2 minutes on 2 cores):
#   1. `dotnet pack` the SelfSup library, SelfSup.MLNet and the selfsup .NET tool (SelfSup.Cli) into a local feed;
#   2. install the tool from that feed with --tool-path and run `selfsup --help`, a one-epoch pretraining on 256
#      Fashion-MNIST images (a tiny checkpoint) and an evaluation of it;
#   3. build samples/EmbedSample against the packed SelfSup package (the feed plus the configured package sources,
#      not the project) and run it on that checkpoint: load the encoder, embed images, k-NN;
#   4. the same for samples/MlNetSample against the packed SelfSup.MLNet: an ML.NET linear probe on the embeddings.
# Each run packs a version of its own (0.1.0-check.<time>), so no package cache serves an older build; the feed, the
# tool and that version's folder in the NuGet package cache are removed at the end. Needs Fashion-MNIST
# (scripts/setup-test-data.sh). SELFSUP_PACK_CHECK_KEEP=1 keeps the work folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start=$SECONDS
version="0.1.0-check.$(date -u +%Y%m%d%H%M%S)"
work="$(mktemp -d "${TMPDIR:-/tmp}/selfsup-pack-check.XXXXXX")"
feed="$work/feed"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cleanup() {
  rm -rf "$packages/selfsup/$version" "$packages/selfsup.mlnet/$version"
  rmdir "$packages/selfsup" "$packages/selfsup.mlnet" 2>/dev/null || true # only when no other version is there
  if [ "${SELFSUP_PACK_CHECK_KEEP:-0}" = 1 ]; then echo "pack-check: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { echo "pack-check [$((SECONDS - start)) s]: $*"; }
quiet() { # runs a command, printing its output only when it fails
  local log="$work/step.log"
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; echo "pack-check: failed: $*" >&2; exit 1; fi
}

step "packing SelfSup, SelfSup.MLNet and SelfSup.Cli $version into $feed"
quiet dotnet pack src/SelfSup -c Release -nologo -o "$feed" -p:PackageVersion="$version"
quiet dotnet pack src/SelfSup.MLNet -c Release -nologo -o "$feed" -p:PackageVersion="$version"
quiet dotnet pack src/SelfSup.Cli -c Release -nologo -o "$feed" -p:PackageVersion="$version"
for p in "SelfSup.$version.nupkg" "SelfSup.MLNet.$version.nupkg" "SelfSup.Cli.$version.nupkg" "SelfSup.Cli.linux-x64.$version.nupkg"; do
  [ -f "$feed/$p" ] || { echo "pack-check: $feed/$p was not packed" >&2; exit 1; }
done
python3 - "$feed/SelfSup.$version.nupkg" <<'PY' || exit 1
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
want = {"README.nuget.md", "buildTransitive/SelfSup.targets", "buildTransitive/PatchLibTorchSharp.cs",
        "lib/net10.0/SelfSup.dll", "lib/net10.0/SelfSup.xml"}
if want - names: sys.exit(f"pack-check: {sys.argv[1]} lacks {sorted(want - names)}")
PY

step "installing the tool from the feed (--tool-path)"
quiet dotnet tool install SelfSup.Cli --add-source "$feed" --tool-path "$work/tool" --version "$version"
selfsup="$work/tool/selfsup"
"$selfsup" --help | grep -q "pretrain" || { echo "pack-check: selfsup --help does not list pretrain" >&2; exit 1; }

step "selfsup pretrain (simclr, convnet, 256 Fashion-MNIST images, 1 epoch) from the installed tool"
quiet nice -n 19 "$selfsup" pretrain --method simclr --data fashion-mnist --encoder convnet --width 8 --epochs 1 \
  --data-limit 256 --batch-size 64 --monitor-every 0 --out "$work/run"
ckpt="$work/run/checkpoints/last.ckpt"
[ -f "$ckpt" ] || { echo "pack-check: the installed tool wrote no checkpoint at $ckpt" >&2; exit 1; }
quiet nice -n 19 "$selfsup" eval --checkpoint "$work/run" --train-limit 1000 --raw-train-limit 1000
grep -q '"linear_top1"' "$work/run/results.json" || { echo "pack-check: selfsup eval wrote no linear_top1" >&2; exit 1; }

step "building samples/EmbedSample against the packed SelfSup package"
quiet dotnet build samples/EmbedSample -c Release -nologo -p:SelfSupVersion="$version" \
  -p:RestoreAdditionalProjectSources="$feed" -o "$work/sample"
grep -q "\"SelfSup/$version\"" samples/EmbedSample/obj/project.assets.json \
  || { echo "pack-check: EmbedSample did not restore SelfSup $version from the feed" >&2; exit 1; }

step "running EmbedSample on the checkpoint"
out=$(nice -n 19 dotnet "$work/sample/EmbedSample.dll" "$ckpt" fashion-mnist 1000)
echo "  $out"
echo "$out" | grep -qE '^1000 x [0-9]+ embeddings; k-NN \(k = 20\) top-1 [0-9.]+ %$' \
  || { echo "pack-check: unexpected EmbedSample output" >&2; exit 1; }

step "building samples/MlNetSample against the packed SelfSup.MLNet package and running it"
quiet dotnet build samples/MlNetSample -c Release -nologo -p:SelfSupVersion="$version" \
  -p:RestoreAdditionalProjectSources="$feed" -o "$work/mlnet-sample"
grep -q "\"SelfSup.MLNet/$version\"" samples/MlNetSample/obj/project.assets.json \
  || { echo "pack-check: MlNetSample did not restore SelfSup.MLNet $version from the feed" >&2; exit 1; }
out=$(nice -n 19 dotnet "$work/mlnet-sample/MlNetSample.dll" "$ckpt" fashion-mnist 1000)
echo "  $out"
echo "$out" | grep -qE '^[0-9]+-d SelfSup features, ML.NET linear probe on 1000 images: test accuracy [0-9.]+ %$' \
  || { echo "pack-check: unexpected MlNetSample output" >&2; exit 1; }

step "done: the packages, both samples and the installed tool all work"
