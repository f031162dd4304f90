#!/usr/bin/env bash
# What running inside Slurm costs: workloads/slurm.yaml (4 jobs of a tiny
# GPT, 500 steps here) as srun job steps in a real local Slurm
# (scripts/slurm/local-cluster.sh, 4 fake GPUs that train as CPU devices)
# against the same jobs on the local launcher (the cluster listed as one node
# of 4 CPU devices), measured in the same run, RUNS times each, alternating.
# Both read one profile store, so neither profiles. Columns: makespan (first
# launch to last exit, from state.db), and the whole command: `saturn run`'s
# wall time locally against the batch job's run time (Slurm's StartTime to
# EndTime, whole seconds: the batch step, planning and every job step), with
# the time the job waited in the queue beside it. Medians; ratio = slurm / local.
# Usage: scripts/bench-slurm.sh [RUNS]   (default 3; needs root and Slurm's packages)
set -euo pipefail
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" >/dev/null
saturn=$root/build/bin/saturn
tmp=$(mktemp -d)
cluster=$tmp/cluster
trap '"$root/scripts/slurm/local-cluster.sh" stop "$cluster"; rm -rf "$tmp"' EXIT
eval "$("$root/scripts/slurm/local-cluster.sh" start "$cluster" 4 16)"
export PATH=$(dirname "$saturn"):$PATH XDG_CACHE_HOME=$tmp/cache NO_COLOR=1
mkdir -p "$tmp/work/data"
cp "$root/workloads/data/corpus.txt" "$tmp/work/data/"
cd "$tmp/work"
sed 's/^  steps: 2500$/  steps: 500/' "$root/workloads/slurm.yaml" >slurm.yaml
python3 - slurm.yaml >local.yaml <<'PY'
import re, sys
text = open(sys.argv[1]).read()
local = "cluster:\n  nodes:\n    - name: local\n      devices: {kind: cpu, count: 4, memory: 2GiB, threads: 1}\n\n"
print(re.sub(r"cluster:\n(  .*\n)+\n", local, text), end="")
PY
"$saturn" profile local.yaml >/dev/null 2>&1   # one store for both: the same shape on this machine

makespan() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select max(ended) - min(started) from attempts').fetchone()[0])" "$1/state.db"; }
now() { date +%s.%N; }
: >results
for ((i = 1; i <= runs; i++)); do
  t0=$(now)
  "$saturn" run local.yaml --run-dir "runs/local-$i" >/dev/null 2>&1
  t1=$(now)
  "$saturn" run slurm.yaml --run-dir "runs/slurm-$i" --slurm-script >"job-$i.sbatch" 2>/dev/null
  id=$(sbatch --parsable --wait "job-$i.sbatch")
  grep -q "4 of 4 jobs done" "saturn-saturn-slurm-$id.out" || { echo "bench-slurm: job $id did not finish:" >&2; tail "saturn-saturn-slurm-$id.out" >&2; exit 1; }
  times=$(scontrol show job "$id" | python3 -c "
import re, sys, datetime
t = {k: datetime.datetime.fromisoformat(v) for k, v in re.findall(r'(SubmitTime|StartTime|EndTime)=(\S+)', sys.stdin.read())}
print((t['EndTime'] - t['StartTime']).total_seconds(), (t['StartTime'] - t['SubmitTime']).total_seconds())")
  echo "$(makespan "runs/local-$i") $(makespan "runs/slurm-$i") $(awk "BEGIN{print $t1 - $t0}") $times" >>results
done
python3 - results "$runs" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = [statistics.median(r[i] for r in rows) for i in range(5)]
print(f"workloads/slurm.yaml, 4 jobs x 500 steps, {sys.argv[2]} runs each, medians")
print(f"{'':28}{'local':>10}{'slurm':>10}{'ratio':>8}")
print(f"{'makespan (s)':28}{med[0]:>10.2f}{med[1]:>10.2f}{med[1] / med[0]:>8.2f}")
print(f"{'saturn run / batch job (s)':28}{med[2]:>10.2f}{med[3]:>10.2f}{med[3] / med[2]:>8.2f}")
print(f"{'queued before it ran (s)':28}{'':>10}{med[4]:>10.0f}")
for i, r in enumerate(rows, 1):
    print(f"  run {i}: makespan {r[0]:.2f} / {r[1]:.2f} s, run {r[2]:.2f} / {r[3]:.0f} s, queued {r[4]:.0f} s")
PY
