#!/usr/bin/env bash
# The README's test command: installs what is missing (apt-get; PyTorch and
# the test-only Python packages with pip: scripts/setup.sh --test), builds,
# runs a short fuzzing smoke run of the workload loader, then every test
# (ctest: unit, train, e2e, soak, slurm), then a table of each suite's time.
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
# Every test, then a table of each suite's time (the slowest tests first):
# what CI spends where.
cd "$build"
start=$(date +%s)
rc=0
ctest --output-on-failure -j"$(nproc)" --output-junit "$PWD/Testing/junit.xml" || rc=$?
python3 - "$PWD/Testing/junit.xml" "$(($(date +%s) - start))" <<'PY' || true
import collections, sys, xml.etree.ElementTree as ET
cases = [(c.get("name"), float(c.get("time") or 0)) for c in ET.parse(sys.argv[1]).getroot().iter("testcase")]
suites = collections.defaultdict(lambda: [0, 0.0])
for name, t in cases:
    s = suites[name.split(":")[0]]
    s[0] += 1
    s[1] += t
print(f"{'suite':<8} {'tests':>5} {'time':>8}")
for name, (n, t) in sorted(suites.items(), key=lambda kv: -kv[1][1]):
    print(f"{name:<8} {n:>5} {t:>7.0f}s")
print(f"tests' time {sum(t for _, t in cases):.0f} s on {sys.argv[2]} s of wall time; the slowest:")
for name, t in sorted(cases, key=lambda c: -c[1])[:8]:
    print(f"  {t:>6.0f}s  {name}")
PY
exit "$rc"
