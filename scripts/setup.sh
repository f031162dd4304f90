#!/usr/bin/env bash
# Installs everything saturn needs to build and test, with apt-get (Debian 12).
# Idempotent: packages already installed are skipped; prints what it does.
# libopenblas0-openmp: Debian's LibTorch calls whichever libblas.so.3 the
# alternatives system picks; without it, the reference BLAS (12x slower).
# munge, slurmctld, slurmd, slurm-client: a real local Slurm for the Slurm
# tests (scripts/slurm/local-cluster.sh); nothing is started here.
# Usage: scripts/setup.sh            (as root, or with sudo available)
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libyaml-cpp-dev libcli11-dev libfmt-dev catch2 libsqlite3-dev sqlite3
  nlohmann-json3-dev coinor-libcbc-dev
  libtorch-dev libgloo-dev python3-torch
  libopenblas0-openmp
  clang libclang-rt-14-dev
  munge slurmctld slurmd slurm-client
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 69; }
  sudo="sudo"
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
