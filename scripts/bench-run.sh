#!/usr/bin/env bash
# Executor benchmark (issue 6): the quickstart end to end with real workers
# on this machine's CPU devices. Per run: saturn's plan executed by `saturn
# run` (actual makespan against the plan's prediction), then the same jobs
# as current practice (`--baseline current-practice`: one job after another
# on all devices, data parallel), measured in the same run against the same
# profile store. Prints each run and the medians; makespan = first launch to
# last exit, from state.db.
#
# Usage: scripts/bench-run.sh [RUNS (default 3)] [WORKLOAD (default workloads/quickstart.yaml)]
# Needs a build (scripts/build.sh). About a minute per run on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
workload=${2:-workloads/quickstart.yaml}
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-run: build first (scripts/build.sh)" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
store=$tmp/profiles.db

# Profile once (the runs then measure nothing), and say what it cost.
"$saturn" profile "$workload" --store "$store" >/dev/null 2>"$tmp/profile.err"
tail -1 "$tmp/profile.err" | sed 's/; store .*//'

for i in $(seq "$runs"); do
  "$saturn" run "$workload" --store "$store" --run-dir "$tmp/saturn-$i" >/dev/null 2>"$tmp/saturn-$i.err" ||
    { cat "$tmp/saturn-$i.err" >&2; exit 1; }
  "$saturn" run "$workload" --store "$store" --run-dir "$tmp/current-$i" --baseline current-practice \
    >/dev/null 2>"$tmp/current-$i.err" || { cat "$tmp/current-$i.err" >&2; exit 1; }
done

python3 - "$tmp" "$runs" <<'PY'
import sqlite3, statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
def measure(d):
    db = sqlite3.connect(f"{tmp}/{d}/state.db")
    actual = db.execute("select max(ended) - min(started) from attempts").fetchone()[0]
    predicted = db.execute("select makespan from plans order by version limit 1").fetchone()[0]
    mix = sorted({f"{t} x{n}" for t, n in db.execute("select technique, devices from attempts")})
    return actual, predicted, ", ".join(mix)
rows = []
print(f"{'run':>3}  {'saturn':>8}  {'predicted':>9}  {'error':>6}  {'current':>8}  {'predicted':>9}  {'error':>6}  {'saturn/current':>14}  strategies (saturn | current)")
for i in range(1, runs + 1):
    s, sp, smix = measure(f"saturn-{i}")
    c, cp, cmix = measure(f"current-{i}")
    rows.append((s, sp, c, cp))
    print(f"{i:>3}  {s:>7.2f}s  {sp:>8.2f}s  {100*(s-sp)/sp:>+5.1f}%  {c:>7.2f}s  {cp:>8.2f}s  {100*(c-cp)/cp:>+5.1f}%  {s/c:>14.2f}  {smix} | {cmix}")
med = lambda k: statistics.median(r[k] for r in rows)
s, sp, c, cp = med(0), med(1), med(2), med(3)
print(f"med  {s:>7.2f}s  {sp:>8.2f}s  {100*(s-sp)/sp:>+5.1f}%  {c:>7.2f}s  {cp:>8.2f}s  {100*(c-cp)/cp:>+5.1f}%  {s/c:>14.2f}")
print(f"saturn's actual makespan is {100*abs(s-sp)/sp:.1f}% from its prediction (goal: within 15%) and "
      f"{100*(1-s/c):.0f}% below current practice's actual makespan")
PY
