#!/usr/bin/env bash
# Configures and builds saturn into build/ (Ninja, ccache when present),
# against the LibTorch of saturn's Python environment (scripts/lib/env.sh;
# scripts/setup.sh makes it). Configures again when that python changed.
# Usage: scripts/build.sh [extra cmake -D options]     env: SATURN_BUILD_DIR (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh
build=${SATURN_BUILD_DIR:-build}
# ccache: paths relative to the checkout and the build folder left out of the
# hash (a fresh clone elsewhere, as in CI, still hits the cache; its debug
# info then names the first checkout's folder), and the precompiled headers
# cacheable.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
cached=$(sed -n 's/^SATURN_PYTHON:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
if [ ! -f "$build/build.ninja" ] || [ $# -gt 0 ] || [ "$cached" != "$saturn_python" ]; then
  cmake -S . -B "$build" -G Ninja -DSATURN_PYTHON="$saturn_python" "$@"
fi
cmake --build "$build" -j"$(nproc)"
