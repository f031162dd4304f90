#!/usr/bin/env bash
# Worker benchmark: wall seconds of `saturn worker` training one job of a
# workload under each technique, for this checkout's saturn and another
# saturn binary (an older build, to check that a change to the training
# loop costs nothing), interleaved in one run, median of RUNS. Also checks
# that both reach the same final loss (result.json).
# Usage: scripts/bench-worker.sh OTHER_SATURN [RUNS]
#   env: WORKLOAD (default workloads/quickstart.yaml), JOB (default its
#   first job), STEPS (default 60), TECHNIQUES (default "single ddp fsdp pipeline spill fused")
set -euo pipefail
cd "$(dirname "$0")/.."
other=${1:?usage: scripts/bench-worker.sh OTHER_SATURN [RUNS]}
runs=${2:-5}
[ -x "$other" ] || { echo "bench-worker: $other is not an executable" >&2; exit 66; }
scripts/build.sh >/dev/null
this=$PWD/build/bin/saturn
workload=${WORKLOAD:-workloads/quickstart.yaml}
job=${JOB:-$("$this" jobs "$workload" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])')}
steps=${STEPS:-60}
techniques=${TECHNIQUES:-single ddp fsdp pipeline spill fused}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
devices_of() { case $1 in single|spill|fused) echo cpu ;; *) echo cpu,cpu ;; esac; }

# One timed run: prints "seconds final_loss".
one() {
  local bin=$1 t=$2 dir=$tmp/run
  rm -rf "$dir"
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" worker "$workload" --job "$job" --run-dir "$dir" --devices "$(devices_of "$t")" --technique "$t" \
    --steps "$steps" --no-resume >"$tmp/log" 2>&1 || { echo "bench-worker: $bin $t failed:" >&2; tail -3 "$tmp/log" >&2; exit 70; }
  t1=$(date +%s.%N)
  local loss
  loss=$(python3 -c 'import json,sys,glob; print(json.load(open(glob.glob(sys.argv[1]+"/jobs/**/result.json", recursive=True)[0]))["final_loss"])' "$dir")
  echo "$(echo "$t1 - $t0" | bc -l) $loss"
}

echo "saturn worker, $job, $steps steps, median of $runs (this: $this; other: $other)"
printf '%-10s %10s %10s %8s  %s\n' technique "this s" "other s" ratio "final loss this / other"
for t in $techniques; do
  : >"$tmp/a"; : >"$tmp/b"
  for ((r = 0; r < runs; r++)); do
    one "$this" "$t" >>"$tmp/a"
    one "$other" "$t" >>"$tmp/b"
  done
  a=$(cut -d' ' -f1 "$tmp/a" | median); b=$(cut -d' ' -f1 "$tmp/b" | median)
  la=$(head -1 "$tmp/a" | cut -d' ' -f2); lb=$(head -1 "$tmp/b" | cut -d' ' -f2)
  printf '%-10s %10.2f %10.2f %8.3f  %s / %s\n' "$t" "$a" "$b" "$(echo "$a / $b" | bc -l)" "$la" "$lb"
done
