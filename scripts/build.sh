#!/usr/bin/env bash
# Configures and builds saturn into build/ (Ninja, ccache when present).
# Usage: scripts/build.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SATURN_BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$build" -G Ninja "$@"
fi
cmake --build "$build" -j"$(nproc)"
