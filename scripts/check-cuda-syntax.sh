#!/usr/bin/env bash
# Compiles (syntax and types only) every lib/train source that has a CUDA
# branch (SATURN_TORCH_CUDA) against this machine's LibTorch headers, whose
# c10/cuda and ATen/cuda headers ship without their generated
# cuda_cmake_macros.h (made here in a temporary folder). Catches a CUDA path
# that would not build before a GPU machine sees it; it does not link or run.
# Usage: scripts/check-cuda-syntax.sh          (exit 0: all compile; 1: errors shown)
set -euo pipefail
cd "$(dirname "$0")/.."
torch_inc=/usr/include/torch/csrc/api/include
[ -f /usr/include/c10/cuda/CUDAStream.h ] || { echo "check-cuda-syntax: no c10/cuda headers here; skipped" >&2; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/c10/cuda/impl"
printf '#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n' >"$tmp/c10/cuda/impl/cuda_cmake_macros.h"
cuda_inc=()
for d in /usr/local/cuda/include /usr/include/cuda; do [ -d "$d" ] && cuda_inc+=(-isystem "$d"); done
fail=0
for f in $(grep -l SATURN_TORCH_CUDA lib/train/*.cpp lib/train/*/*.cpp); do
  if ${CXX:-c++} -std=c++20 -fsyntax-only -D_GLIBCXX_USE_CXX11_ABI=1 -DSATURN_TORCH_CUDA -DSATURN_WITH_NCCL \
      -DUSE_C10D_GLOO -DUSE_DISTRIBUTED -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
      -Ilib -isystem "$tmp" "${cuda_inc[@]}" -isystem "$torch_inc" "$f" 2>"$tmp/err"; then
    echo "check-cuda-syntax: $f ok"
  else
    echo "check-cuda-syntax: $f FAILED"; cat "$tmp/err"; fail=1
  fi
done
exit $fail
