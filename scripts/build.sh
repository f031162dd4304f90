#!/usr/bin/env bash
# Configures and builds saturn into build/ (Ninja, ccache when present),
# against the LibTorch of saturn's Python environment (scripts/lib/env.sh;
# scripts/setup.sh makes it). Configures again when that python changed.
# Usage: scripts/build.sh [extra cmake -D options]     env: SATURN_BUILD_DIR (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh
build=${SATURN_BUILD_DIR:-build}
cached=$(sed -n 's/^SATURN_PYTHON:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
if [ ! -f "$build/build.ninja" ] || [ $# -gt 0 ] || [ "$cached" != "$saturn_python" ]; then
  cmake -S . -B "$build" -G Ninja -DSATURN_PYTHON="$saturn_python" "$@"
fi
cmake --build "$build" -j"$(nproc)"
