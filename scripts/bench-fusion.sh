#!/usr/bin/env bash
# Fusion benchmark (issue 8), engine part: K jobs of one model trained as one
# fused model against the same K jobs run one after another, on one CPU
# device with one thread. Each measurement is a profiling trial (median step
# after warm-up, until stable): fused samples/s = K x batch / fused step;
# sequential samples/s = batch / single step (K jobs in a row go no faster
# than one). The ceiling: one job with a K times larger batch (what fusion
# would reach were it as efficient as batching). Median of RUNS trials each,
# taken alternately in one run. Models: the lr-sweep's GPT (width 32) and
# the quickstart's gpt-tiny (width 64) and gpt-small (width 128), batch 8.
#
# Then end to end: `saturn run` of workloads/lr-sweep.yaml (8 jobs, one
# device) and of the quickstart (8 jobs in 4 shapes of 2, two devices) with
# fusion allowed against techniques without it, one profile store each,
# makespan from state.db (first launch to last exit), median of RUNS.
#
# Usage: scripts/bench-fusion.sh [RUNS (default 3)]
# Needs a build (scripts/build.sh). About five minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-fusion: build first (scripts/build.sh)" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="path: $PWD/workloads/data/"
sed "s|path: data/|$data|; s/batch_size: 8/batch_size: [8, 16, 32, 64]/" workloads/lr-sweep.yaml >"$tmp/sweep.yaml"
sed "s|path: data/|$data|; s/batch_size: \[8, 16\]/batch_size: [8, 16, 32, 64]/" workloads/quickstart.yaml >"$tmp/quick.yaml"
models=("sweep gpt gpt/lr=1e-4" "quick gpt-tiny gpt-tiny/lr=1e-3" "quick gpt-small gpt-small/lr=1e-3")
for run in $(seq "$runs"); do
  for m in "${models[@]}"; do
    read -r w name job <<<"$m"
    for k in 1 2 4 8; do
      out="$tmp/$name-$k-$run"
      "$saturn" worker "$tmp/$w.yaml" --job "$job,bs=8" --run-dir "$out" --trial --threads 1 \
        $([ "$k" -gt 1 ] && echo --technique fused --copies "$k") >/dev/null 2>&1 ||
        { echo "bench-fusion: trial $name K=$k failed" >&2; exit 1; }
      [ "$k" = 1 ] && continue
      "$saturn" worker "$tmp/$w.yaml" --job "$job,bs=$((8 * k))" --run-dir "$out-batch" --trial --threads 1 >/dev/null 2>&1 ||
        { echo "bench-fusion: trial $name batch $((8 * k)) failed" >&2; exit 1; }
    done
  done
done
python3 - "$tmp" "$runs" <<'PY'
import json, statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
batch = 8
def med(path, key):
    return statistics.median(json.load(open(f"{tmp}/{path.format(r=r)}/trial/rank-0.json"))[key] for r in range(1, runs + 1))
print(f"{'model':<10} {'K':>2} {'fused step':>11} {'fused samples/s':>16} {'sequential':>11} {'ratio':>6} {'ceiling':>8} {'peak RSS':>9}")
for name in ("gpt", "gpt-tiny", "gpt-small"):
    single = med(f"{name}-1-{{r}}", "step_time")
    seq = batch / single
    for k in (1, 2, 4, 8):
        s = med(f"{name}-{k}-{{r}}", "step_time")
        fused = k * batch / s
        ceil = k * batch / med(f"{name}-{k}-{{r}}-batch", "step_time") if k > 1 else seq
        peak = med(f"{name}-{k}-{{r}}", "peak_memory") / 2**20
        print(f"{name:<10} {k:>2} {1000 * s:>9.1f}ms {fused:>16.0f} {seq:>11.0f} {fused / seq:>5.2f}x {ceil / seq:>7.2f}x {peak:>7.1f}Mi")
PY

echo
echo "end to end: saturn run, makespan with fusion allowed against not (median of $runs runs)"
for w in lr-sweep quickstart; do
  sed "s|path: data/|$data|; /^techniques:/d" "workloads/$w.yaml" >"$tmp/$w-plain.yaml"
  techniques=$(grep '^techniques:' "workloads/$w.yaml" | sed 's/techniques: \[//; s/\]//; s/, fused//')
  echo "techniques: [$techniques]" >>"$tmp/$w-plain.yaml"
  cp "$tmp/$w-plain.yaml" "$tmp/$w-fused.yaml"
  sed -i "s/^techniques: .*/techniques: [$techniques, fused]/" "$tmp/$w-fused.yaml"
  for mode in plain fused; do
    "$saturn" profile "$tmp/$w-$mode.yaml" --store "$tmp/$w-$mode.db" >/dev/null 2>&1
    for run in $(seq "$runs"); do
      "$saturn" run "$tmp/$w-$mode.yaml" --store "$tmp/$w-$mode.db" --run-dir "$tmp/run-$w-$mode-$run" --no-profile \
        --json >"$tmp/run-$w-$mode-$run.json" 2>/dev/null || { echo "bench-fusion: run $w $mode failed" >&2; exit 1; }
    done
  done
done
python3 - "$tmp" "$runs" <<'PY'
import json, sqlite3, statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
def makespan(path):
    db = sqlite3.connect(f"{path}/state.db")
    lo, hi = db.execute("SELECT MIN(started), MAX(ended) FROM attempts").fetchone()
    techniques = sorted({t for (t,) in db.execute("SELECT technique FROM attempts")})
    return hi - lo, techniques
print(f"  {'workload':<11} {'fusion':<8} {'makespan':>9} {'predicted':>10} {'techniques run':<20}")
for w in ("lr-sweep", "quickstart"):
    med = {}
    for mode in ("plain", "fused"):
        spans = [makespan(f"{tmp}/run-{w}-{mode}-{r}") for r in range(1, runs + 1)]
        pred = json.load(open(f"{tmp}/run-{w}-{mode}-1.json")).get("predicted_s", float("nan"))
        med[mode] = statistics.median(s for s, _ in spans)
        name = "allowed" if mode == "fused" else "not"
        print(f"  {w:<11} {name:<8} {med[mode]:>8.2f}s {pred:>9.2f}s {','.join(spans[0][1]):<20}")
    print(f"  {w:<11} fused / not: {med['fused'] / med['plain']:.2f}")
PY
