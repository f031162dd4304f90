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
# Measure every shape x technique x device count on the 2 cpu devices (about
# 10 s; stored, so a second run measures nothing), then plan the 8 jobs.
"$build/bin/saturn" profile workloads/quickstart.yaml
"$build/bin/saturn" plan workloads/quickstart.yaml --compare
