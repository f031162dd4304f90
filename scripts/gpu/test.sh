#!/usr/bin/env bash
# On a GPU machine, after scripts/gpu/build.sh: runs every test (CUDA cases
# run instead of being skipped), then trains the quickstart's smallest job on
# cuda:0 with bf16 autocast and prints its step rate against the CPU path.
# Usage: scripts/gpu/test.sh [DEPS_DIR]       (default: .gpu-deps when present)
set -euo pipefail
cd "$(dirname "$0")/../.."
deps=${1:-.gpu-deps}
# shellcheck disable=SC1091
[ -f "$deps/env.sh" ] && . "$deps/env.sh"
build=${SATURN_BUILD_DIR:-build-gpu}
saturn=$build/bin/saturn
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
status=0
ctest --test-dir "$build" --output-on-failure -j4 || status=$?
run=$(mktemp -d)
job=$("$saturn" jobs workloads/quickstart.yaml --json | "${PYTHON:-python3}" -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])')
for dev in cuda:0 cpu; do
  "$saturn" worker workloads/quickstart.yaml --job "$job" --run-dir "$run/$dev" --devices "$dev" --steps 200 --no-resume
  tail -1 "$run/$dev/jobs/$job/metrics.jsonl" | sed "s|^|gpu/test: $dev: |"
done
rm -rf "$run"
echo "gpu/test: ctest exit $status"
exit $status
