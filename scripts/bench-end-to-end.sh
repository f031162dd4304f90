#!/usr/bin/env bash
# End to end, measurement included (issue 40). Part 1, real runs on this
# machine's CPU devices: for each workload, each round from an empty profile
# store, interleaved, the wall time of the whole `saturn run` command with
# profile: full, auto and none, and of current practice (`--baseline
# current-practice`, which measures nothing): its measurement (state.db meta
# measure_s) and its makespan (first launch to last exit). Medians of RUNS.
# Part 2, GPU scale from estimates (`saturn plan --compare --json`, an empty
# store, cuda trials counted as if run where the GPUs are): trials and
# measurement time under auto and full, saturn's makespan, end to end
# against current practice.
#
# Usage: scripts/bench-end-to-end.sh [RUNS (default 3)] [WORKLOAD ...]
#        (default: quickstart, lr-sweep, asha, bench/mlp-images, finetune-lora)
# Needs a build (scripts/build.sh) and, for finetune-lora, the test Python
# (scripts/setup.sh --test) to make its model's weights.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh
runs=${1:-3}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(quickstart lr-sweep asha bench/mlp-images finetune-lora)
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-end-to-end: build first (scripts/build.sh)" >&2; exit 66; }
saturn=$(realpath "$saturn")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if printf '%s\n' "${workloads[@]}" | grep -qx finetune-lora && [ ! -e workloads/finetune/tiny-llama/model.safetensors ]; then
  "$saturn_python" scripts/make-finetune-model.py workloads/finetune/tiny-llama >/dev/null
fi

for i in $(seq "$runs"); do
  for w in "${workloads[@]}"; do
    for mode in full auto none current; do
      d=$tmp/$(echo "$w" | tr / -)-$mode-$i
      args=(--profile "$mode")
      [ "$mode" = current ] && args=(--baseline current-practice)
      start=$(date +%s.%N)
      "$saturn" run "workloads/$w.yaml" --store "$d.db" --run-dir "$d" "${args[@]}" >/dev/null 2>"$d.err" ||
        { echo "bench-end-to-end: $w $mode failed:" >&2; tail -5 "$d.err" >&2; exit 1; }
      end=$(date +%s.%N)
      echo "$w $mode $i $start $end" >>"$tmp/walls"
    done
  done
done

python3 - "$tmp" "$runs" "${workloads[@]}" <<'PY'
import sqlite3, statistics, sys
tmp, runs, workloads = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
walls = {}
for line in open(f"{tmp}/walls"):
    w, mode, i, a, b = line.split()
    walls[(w, mode, int(i))] = float(b) - float(a)
def stats(w, mode, i):
    d = f"{tmp}/{w.replace('/', '-')}-{mode}-{i}"
    db = sqlite3.connect(f"{d}/state.db")
    meta = dict(db.execute("select key, value from meta"))
    makespan = db.execute("select max(ended) - min(started) from attempts").fetchone()[0] or 0
    return walls[(w, mode, i)], float(meta.get("measure_s", 0)), int(float(meta.get("measure_trials", 0))), makespan
print(f"{'workload':<18} {'mode':<8} {'wall':>8} {'measure':>8} {'share':>6} {'trials':>6} {'makespan':>9} "
      f"{'wall/full makespan':>18} {'vs current':>10}")
goals = []
for w in workloads:
    med = {}
    for mode in ("full", "auto", "none", "current"):
        rows = [stats(w, mode, i) for i in range(1, runs + 1)]
        med[mode] = tuple(statistics.median(r[k] for r in rows) for k in range(4))
    for mode in ("full", "auto", "none", "current"):
        wall, measure, trials, makespan = med[mode]
        print(f"{w:<18} {mode:<8} {wall:>7.2f}s {measure:>7.2f}s {100*measure/wall:>5.1f}% {trials:>6.0f} "
              f"{makespan:>8.2f}s {wall/med['full'][3]:>17.2f}x {wall/med['current'][0]:>9.2f}x")
    wall, measure, _, makespan = med["auto"]
    goals.append((w, measure / (measure + makespan), (measure + makespan) / med["full"][3]))
print()
print("end to end = measurement + makespan (the wall column adds saturn's own start: parsing, data, planning, report)")
for w, share, ratio in goals:
    print(f"{w}: auto measured {100*share:.1f}% of its end-to-end time (goal <= 5%); end to end "
          f"{ratio:.2f}x the makespan of full's plan (goal <= 1.05x)")
PY

echo
echo "GPU scale, from estimates (an empty store; trials counted where their GPUs are):"
printf '%-28s %-5s %7s %10s %10s %10s %11s %9s\n' workload mode trials measure makespan "end to end" "current" ratio
for w in saturn-txt saturn-img hf-plan bench/lora-search; do
  for mode in auto full; do
    sed "s/^techniques:/profile: $mode\ntechniques:/" "workloads/$w.yaml" >"workloads/$w.bench-$$.yaml"
    "$saturn" plan "workloads/$w.bench-$$.yaml" --store "$tmp/gpu-empty.db" --run-dir "$tmp/gpu-$mode" --compare --json \
      >"$tmp/gpu.json" 2>/dev/null || { rm -f "workloads/$w.bench-$$.yaml"; echo "bench-end-to-end: plan $w failed" >&2; exit 1; }
    rm -f "workloads/$w.bench-$$.yaml"
    python3 - "$tmp/gpu.json" "$w" "$mode" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["profiling"]
cur = [b for b in d["baselines"] if b["name"] == "current practice"][0]
h = lambda s: f"{int(s // 3600)}h {int(s % 3600 // 60):02d}m" if s >= 3600 else f"{s / 60:.1f}m"
e2e = d["end_to_end_s"]
print(f"{sys.argv[2]:<28} {sys.argv[3]:<5} {p['trials']:>7} {h(p['seconds']):>10} {h(d['makespan_s']):>10} {h(e2e):>10} "
      f"{h(cur['end_to_end_s']):>11} {e2e / cur['end_to_end_s']:>8.2f}x  (measure {100 * p['seconds'] / e2e:.1f}% of it)")
PY
  done
done
