#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the
# quickstart workload with the most complete command saturn has today.
# Usage: scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build=${SATURN_BUILD_DIR:-build}
"$build/bin/saturn" validate workloads/quickstart.yaml
"$build/bin/saturn" jobs workloads/quickstart.yaml
# Measure what can change the plan (one trial, about a second, the first
# time), plan the 8 jobs, train them with real worker processes on the 2 cpu
# devices (about 20 s; their first steps measure the rest),
# and print the leaderboard. Run again: the finished run is resumed (nothing
# retrains) and the leaderboard printed; rm -rf workloads/runs/quickstart
# starts over.
"$build/bin/saturn" run workloads/quickstart.yaml
