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
