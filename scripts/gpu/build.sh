#!/usr/bin/env bash
# Builds saturn against the LibTorch 2.x + CUDA that a PyTorch install
# carries, on a machine with a GPU, a compiler, CMake and Ninja. Other
# dependencies come from the system, or from the folder that
# scripts/gpu/bundle-deps.sh made on a Debian machine (for machines without a
# package registry).
# Usage: scripts/gpu/build.sh [DEPS_DIR]      (default: .gpu-deps when present)
#   env: PYTHON (default python3), SATURN_BUILD_DIR (default build-gpu)
set -euo pipefail
cd "$(dirname "$0")/../.."
deps=${1:-.gpu-deps}
if [ -f "$deps/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$deps/env.sh"
  echo "gpu/build: dependencies from $deps"
fi
py=${PYTHON:-python3}
torch_prefix=$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)') || {
  echo "gpu/build: $py cannot import torch: set PYTHON to the python that has PyTorch" >&2; exit 69; }
read -r tver tcuda abi < <("$py" -c 'import torch; print(torch.__version__, torch.version.cuda, int(torch._C._GLIBCXX_USE_CXX11_ABI))')
echo "gpu/build: torch $tver (CUDA $tcuda, C++11 ABI $abi) at $torch_prefix"
if [ "$abi" != 1 ]; then
  echo "gpu/build: this torch uses the old std::string ABI, saturn's other dependencies the C++11 one;" \
       "use PyTorch >= 2.7 or the cxx11-abi LibTorch" >&2
  exit 69
fi
build=${SATURN_BUILD_DIR:-build-gpu}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_prefix${CMAKE_PREFIX_PATH:+;${CMAKE_PREFIX_PATH//:/;}}"
cmake --build "$build" -j"$(nproc)"
echo "gpu/build: built $build/bin/saturn"
