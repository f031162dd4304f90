#!/usr/bin/env bash
# Trial batches benchmark: `saturn profile` from an empty profile store,
# where one trial process times a shape's strategies on the same devices
# (the default), against one process per trial (--process-per-trial), run
# interleaved in one run. Per workload: trials, processes, wall time of the
# whole command (medians of RUNS), their ratio, and the step times both
# stored (median ratio over the strategies: batched / apart, which should be
# near 1).
# Usage: scripts/bench-trial-batches.sh [RUNS (default 3)] [WORKLOAD...]
# Needs a build (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(workloads/lr-sweep.yaml workloads/lr-random.yaml workloads/finetune-lora.yaml workloads/quickstart.yaml)
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-trial-batches: build first (scripts/build.sh)" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NO_COLOR=1
for w in "${workloads[@]}"; do
  name=$(basename "$w" .yaml)
  for i in $(seq "$runs"); do
    for mode in batched apart; do
      flag=()
      [ "$mode" = apart ] && flag=(--process-per-trial)
      s=$(date +%s.%N)
      "$saturn" profile "$w" --store "$tmp/$name-$mode-$i.db" "${flag[@]}" >/dev/null 2>"$tmp/$name-$mode-$i.err" ||
        { cat "$tmp/$name-$mode-$i.err" >&2; exit 1; }
      e=$(date +%s.%N)
      echo "$name $mode $i $(python3 -c "print($e - $s)") $(sed -n 's/^profile: \([0-9]*\) measured.* by \([0-9]*\) process.*/\1 \2/p' "$tmp/$name-$mode-$i.err")" >>"$tmp/rows"
    done
  done
done
python3 - "$tmp" <<'PY'
import collections, sqlite3, statistics, sys
tmp = sys.argv[1]
rows = collections.defaultdict(list)
for line in open(f"{tmp}/rows"):
    name, mode, i, wall, trials, procs = line.split()
    rows[(name, mode)].append((float(wall), int(trials), int(procs), i))
def steps(db):
    return {(r[0], r[1], r[2], r[3]): r[4] for r in sqlite3.connect(db).execute(
        "select shape, technique, knobs, devices, step_time from profiles where feasible = 1 and step_time > 0")}
print(f"{'workload':<14} | {'trials':>6} | {'processes':>13} | {'batched':>8} | {'apart':>8} | {'batched/apart':>13} | {'step times b/a':>14}")
for name in dict.fromkeys(n for n, _ in rows):
    b, a = rows[(name, "batched")], rows[(name, "apart")]
    wb, wa = statistics.median(x[0] for x in b), statistics.median(x[0] for x in a)
    ratios = []
    for (_, _, _, i), _ in zip(b, a):
        sb, sa = steps(f"{tmp}/{name}-batched-{i}.db"), steps(f"{tmp}/{name}-apart-{i}.db")
        ratios += [sb[k] / sa[k] for k in sb if k in sa]
    print(f"{name:<14} | {b[0][1]:>6} | {b[0][2]:>5} vs {a[0][2]:>5} | {wb:>6.2f} s | {wa:>6.2f} s | {wb / wa:>12.2f}x | {statistics.median(ratios):>13.2f}x")
PY
