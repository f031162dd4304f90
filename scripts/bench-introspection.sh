#!/usr/bin/env bash
# Introspection benchmark: what re-planning on the run's own progress gains
# when the profile is wrong. One small model's step time is claimed 25x too
# slow in the store, so the first plan gives it a device of its own and
# queues four larger jobs on the other. Each run executes the same workload
# twice, interleaved, with `--profile none` (the timer's introspection
# alone): re-planning every 3 s, and sticking to the first plan (interval
# 0s). Prints each run's makespans (first launch to last exit, state.db) and
# the medians with their ratio.
#
# Usage: scripts/bench-introspection.sh [RUNS (default 3)]
# Needs a build (scripts/build.sh). About 40 s per run on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-introspection: build first (scripts/build.sh)" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|path: ../data/corpus.txt|path: $(pwd)/workloads/data/corpus.txt|" workloads/bench/introspect.yaml >"$tmp/intro.yaml"
sed 's/interval: 3s/interval: 0s/' "$tmp/intro.yaml" >"$tmp/stick.yaml"
store=$tmp/wrong.db
"$saturn" profile "$tmp/intro.yaml" --store "$store" >/dev/null 2>&1
"$saturn" profile "$tmp/intro.yaml" --store "$store" --show --json >"$tmp/prof.json" 2>/dev/null
python3 - "$store" "$tmp/prof.json" <<'PY'
import json, sqlite3, sys
rows = json.load(open(sys.argv[2]))["profiles"]
h = [r["shape_hash"] for r in rows if r["shape"].startswith("a/") and r["technique"] == "single"][0]
db = sqlite3.connect(sys.argv[1])
assert db.execute("update profiles set step_time = step_time * 25 where shape = ? and technique = 'single'", (h,)).rowcount == 1
db.commit()
PY
for i in $(seq "$runs"); do
  for mode in intro stick; do
    "$saturn" run "$tmp/$mode.yaml" --store "$store" --run-dir "$tmp/$mode-$i" --profile none >/dev/null 2>"$tmp/$mode-$i.err" ||
      { cat "$tmp/$mode-$i.err" >&2; exit 1; }
  done
done
python3 - "$tmp" "$runs" <<'PY'
import sqlite3, statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
def makespan(d):
    db = sqlite3.connect(f"{tmp}/{d}/state.db")
    return db.execute("select max(ended) - min(started) from attempts").fetchone()[0], \
        db.execute("select count(*) from plans").fetchone()[0]
rows = {m: [makespan(f"{m}-{i}") for i in range(1, runs + 1)] for m in ("intro", "stick")}
print(f"{'run':>4} | {'re-planning (plans)':>20} | {'first plan only':>16}")
for i in range(runs):
    (a, pa), (b, _) = rows["intro"][i], rows["stick"][i]
    print(f"{i + 1:>4} | {a:>13.1f} s ({pa:>2}) | {b:>14.1f} s")
a = statistics.median(x for x, _ in rows["intro"])
b = statistics.median(x for x, _ in rows["stick"])
print(f"median | {a:>13.1f} s      | {b:>14.1f} s")
print(f"re-planning / first plan only: {a / b:.2f}x")
PY
