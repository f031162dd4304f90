#!/usr/bin/env bash
# Fuzzes the workload loader with libFuzzer for SECONDS (default 60), built
# with clang, ASan and UBSan into build-fuzz/. The corpus grows in
# fuzz-corpus/ (git-ignored), seeded from workloads/. Exits non-zero and keeps
# the crashing input (crash-*) when the loader crashes or misbehaves.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=build-fuzz
command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/setup.sh installs it)" >&2; exit 69; }
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DSATURN_FUZZ=ON -DSATURN_TESTS=OFF \
    -DSATURN_WITH_TORCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
fi
cmake --build "$build" --target fuzz_workload
mkdir -p fuzz-corpus
cp workloads/*.yaml fuzz-corpus/
echo "fuzz: running the workload loader for ${seconds}s"
log=$build/fuzz.log
status=0
"$build/bin/fuzz_workload" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -dict=tests/fuzz/workload.dict -print_final_stats=1 \
  -artifact_prefix=./ fuzz-corpus >"$log" 2>&1 || status=$?
grep -E 'stat::number_of_executed_units|SUMMARY|Test unit written' "$log" || true
if [ "$status" = 0 ]; then
  echo "fuzz: no crash"
else
  grep -E '^==[0-9]+==|^    #[0-9] ' "$log" | head -20 >&2
  echo "fuzz: FAILED (exit $status); the input is in crash-*, the log in $log" >&2
fi
exit "$status"
