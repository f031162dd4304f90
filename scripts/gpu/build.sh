#!/usr/bin/env bash
# Builds saturn on a GPU machine with the same CMake path as everywhere
# (cmake/Torch.cmake): against the LibTorch of a PyTorch install there
# (PYTHON, default python3: GPU machines usually have one), or of saturn's
# own environment when scripts/setup.sh ran there (PYTHON=auto). Other
# dependencies come from the system, or from the folder that
# scripts/gpu/bundle-deps.sh made on a Debian machine (for machines without
# a package registry).
# Usage: scripts/gpu/build.sh [DEPS_DIR]      (default: .gpu-deps when present)
#   env: PYTHON (default python3), SATURN_BUILD_DIR (default build-gpu)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/env.sh
deps=${1:-.gpu-deps}
if [ -f "$deps/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$deps/env.sh"
  echo "gpu/build: dependencies from $deps"
fi
py=${PYTHON:-python3}
[ "$py" = auto ] && py=$saturn_python
py=$(command -v "$py") || { echo "gpu/build: no python $py: set PYTHON to the python that has PyTorch" >&2; exit 69; }
"$py" cmake/torch-probe.py | sed 's/^/gpu\/build: torch /' || exit 69
build=${SATURN_BUILD_DIR:-build-gpu}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSATURN_PYTHON="$py" \
  ${CMAKE_PREFIX_PATH:+-DCMAKE_PREFIX_PATH="${CMAKE_PREFIX_PATH//:/;}"}
cmake --build "$build" -j"$(nproc)"
echo "gpu/build: built $build/bin/saturn"
