#!/usr/bin/env bash
# A test fixture shared by the e2e suites (ctest's FIXTURES_SETUP "quickstart";
# tests/e2e/lib.sh's quickstart_fixture): one finished run of the CPU
# quickstart, every strategy measured first (--profile full) into a store of
# its own. Writes OUT/run (the run directory), OUT/profiles.db, OUT/out and
# OUT/err (the run's stdout and stderr), then OUT/ok; the suites copy what
# they change and never write here.
# Usage: tests/e2e/fixture_quickstart.sh SATURN_BINARY SOURCE_DIR OUT
set -euo pipefail
saturn=$1
src=$(cd "$2" && pwd)
out=$3
rm -rf "$out"
mkdir -p "$out"
XDG_CACHE_HOME=$out/cache NO_COLOR=1 "$saturn" run "$src/workloads/quickstart.yaml" --run-dir "$out/run" \
  --store "$out/profiles.db" --profile full >"$out/out" 2>"$out/err" ||
  { echo "the quickstart fixture's run failed:"; cat "$out/err"; exit 1; }
rm -rf "$out/cache"
touch "$out/ok"
