#!/usr/bin/env bash
# Prediction benchmark: what saturn says a run will take against what it
# takes, for the quickstart (two GPT sizes, single and DDP on 2 cpu
# devices), workloads/bench/mlp-images.yaml (12 short MLP jobs: fixed costs
# weigh as much as the steps) and workloads/lr-sweep.yaml (8 learning rates
# on one device: fused groups). Each run starts from an empty profile store
# and run directory:
#   1. `saturn run --dry-run`: the profiling it forecasts (trials, seconds)
#      and the makespan it predicts from raw estimates;
#   2. `saturn run`: profiling's wall time, the first plan's predicted
#      makespan (from what was just measured) and the real makespan.
# Prints one row per run and the medians over RUNS runs (default 3); the
# goal is the planned makespan within 15% of the real one.
# Usage: scripts/bench-profile.sh [RUNS] [WORKLOAD...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(workloads/quickstart.yaml workloads/bench/mlp-images.yaml workloads/lr-sweep.yaml)
scripts/build.sh >/dev/null
saturn=$PWD/build/bin/saturn
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NO_COLOR=1

rows=$tmp/rows
: >"$rows"
for w in "${workloads[@]}"; do
  for i in $(seq 1 "$runs"); do
    d=$tmp/$(basename "$w" .yaml)-$i
    mkdir -p "$d"
    "$saturn" run "$w" --store "$d/p.db" --run-dir "$d/run" --dry-run >/dev/null 2>"$d/dry.err"
    start=$(date +%s.%N)
    "$saturn" run "$w" --store "$d/p.db" --run-dir "$d/run" --json >"$d/run.json" 2>"$d/run.err"
    end=$(date +%s.%N)
    python3 - "$w" "$i" "$d" "$start" "$end" >>"$rows" <<'PY'
import json, re, sqlite3, sys
w, i, d, start, end = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
units = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
def seconds(text):
    m = re.fullmatch(r"([0-9.]+) (us|ms|s)", text) or re.fullmatch(r"(\d+)m (\d+)s", text)
    if not m: raise SystemExit(f"cannot read a duration from {text!r}")
    return float(m[1]) * units[m[2]] if m[2] in units else 60 * float(m[1]) + float(m[2])
dry = open(f"{d}/dry.err").read()
m = re.search(r"would profile (\d+) trials \(about ([^)]*)\) first, then run \d+ jobs in ([^(]*) \(", dry)
if not m: raise SystemExit(f"{w}: no profiling forecast in the dry run: {dry}")
trials, prof_pred, raw_pred = int(m[1]), seconds(m[2]), seconds(m[3].strip())
err = open(f"{d}/run.err").read()
m = re.search(r"profile: (\d+) measured, \d+ already stored in ([^\n]*)", err)
if not m: raise SystemExit(f"{w}: no profiling line: {err}")
measured, prof_real = int(m[1]), seconds(m[2].strip())
db = sqlite3.connect(f"{d}/run/state.db")
planned = db.execute("select makespan from plans order by version limit 1").fetchone()[0]
real = json.load(open(f"{d}/run.json"))["makespan_s"]
print(json.dumps(dict(workload=w, run=int(i), trials=trials, measured=measured, prof_pred=prof_pred, prof_real=prof_real,
                      raw_pred=raw_pred, planned=planned, real=real, wall=end - start)))
PY
  done
done

python3 - "$rows" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def pct(pred, real): return 100 * (pred - real) / real
def fmt(r):
    return (f"{r['workload']:36} {r['run']:>3} {r['trials']:>3}/{r['measured']:<3} {r['prof_pred']:7.1f}s {r['prof_real']:7.1f}s "
            f"{pct(r['prof_pred'], r['prof_real']):+6.0f}% {r['raw_pred']:7.1f}s {r['planned']:7.1f}s {r['real']:7.1f}s "
            f"{pct(r['planned'], r['real']):+6.1f}%")
print(f"{'workload':36} {'run':>3} {'trials':7} {'profile: forecast':>17} {'actual':>8} {'error':>7} "
      f"{'raw plan':>8} {'plan':>8} {'actual':>8} {'error':>7}")
for r in rows: print(fmt(r))
print()
print(f"{'medians over runs':36} {'profile: forecast':>17} {'actual':>8} {'error':>7} {'plan':>8} {'actual':>8} {'error':>7}  goal")
worst = 0.0
for w in dict.fromkeys(r["workload"] for r in rows):
    rs = [r for r in rows if r["workload"] == w]
    med = lambda k: statistics.median(r[k] for r in rs)
    e = statistics.median(abs(pct(r["planned"], r["real"])) for r in rs)
    worst = max(worst, e)
    print(f"{w:36} {med('prof_pred'):16.1f}s {med('prof_real'):7.1f}s {pct(med('prof_pred'), med('prof_real')):+6.0f}% "
          f"{med('planned'):7.1f}s {med('real'):7.1f}s {e:6.1f}%  {'ok' if e <= 15 else 'over 15%'}")
print(f"\nlargest median |plan - actual| / actual: {worst:.1f}% (goal <= 15%)")
PY
