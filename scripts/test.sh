#!/usr/bin/env bash
# The README's test command: installs what is missing (apt-get; PyTorch and
# the test-only Python packages with pip: scripts/setup.sh --test), builds,
# runs a short fuzzing smoke run of the workload loader, then every test
# (ctest: unit, train, e2e, slurm), whose summary is the last line.
# Usage: scripts/test.sh            env: SATURN_FUZZ_SECONDS (default 20; 0 skips)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/build.sh
build=${SATURN_BUILD_DIR:-build}
fuzz_seconds=${SATURN_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" != 0 ]; then
  scripts/fuzz.sh "$fuzz_seconds"
fi
cd "$build" && ctest --output-on-failure -j"$(nproc)"
