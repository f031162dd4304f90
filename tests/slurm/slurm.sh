#!/usr/bin/env bash
# Slurm end to end on a real Slurm (munged, slurmctld and two slurmd on
# localhost, scripts/slurm/local-cluster.sh), 2 nodes with 4 fake GPUs each,
# running workloads/slurm.yaml (4 jobs, `cluster: slurm`) through the script
# `saturn run --slurm-script` prints:
#   1. on one node with 4 GPUs, the jobs run as 4 concurrent job steps on
#      disjoint GPU sets that match the plan, and finish;
#   2. across 2 nodes with 2 GPUs each, with a short time limit,
#      --signal=B:USR1 and --requeue: saturn checkpoints every step, requeues
#      the job, the requeued job resumes the run directory, and every final
#      loss is bit-identical to run 1;
#   3. scancel (SIGTERM to saturn and every step, as preemption does): every
#      step checkpoints and every attempt ends stopped, none failed.
# Exit 77 (ctest: skipped) with the reason when the daemons cannot start here.
# Usage: tests/slurm/slurm.sh SATURN_BINARY SOURCE_DIR
. "$(dirname "$0")/../e2e/lib.sh"
saturn=$(cd "$(dirname "$saturn")" && pwd)/$(basename "$saturn")

cluster=$tmp/cluster
if ! env_line=$("$src/scripts/slurm/local-cluster.sh" start "$cluster" 4 16 2 2>"$tmp/cluster.err"); then
  echo "SKIP: $(cat "$tmp/cluster.err")"
  exit 77
fi
trap '"$src/scripts/slurm/local-cluster.sh" stop "$cluster"; rm -rf "$tmp"' EXIT
eval "$env_line"
export PATH=$(dirname "$saturn"):$PATH   # the batch script execs `saturn`
export XDG_CACHE_HOME=$tmp/cache NO_COLOR=1
work=$tmp/work
mkdir -p "$work/data"
cp "$src/workloads/slurm.yaml" "$work/"
cp "$src/workloads/data/corpus.txt" "$work/data/"
cd "$work" || exit 1

# has FILE TEXT
has() { if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks <$2>: $(tail -c 1500 "$1")"; fi; }
# losses RUN_DIR: "job final_loss eval_loss status", sorted, exact digits.
losses() {
  python3 - "$1/state.db" <<'PY'
import sqlite3, sys
for row in sorted(sqlite3.connect(sys.argv[1]).execute("select id, final_loss, eval_loss, status from jobs")):
    print(row[0], repr(row[1]), repr(row[2]), row[3])
PY
}
# job_state ID: Slurm's state of a batch job.
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# wait_job ID SECONDS: until the job is COMPLETED/FAILED/...; its state in $state.
wait_job() {
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    state=$(job_state "$1")
    case "$state" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED) return ;; esac
    sleep 0.5
  done
}

# The filled script, outside any allocation.
expect 0 "$saturn" run slurm.yaml --slurm-script
cp "$tmp/out" job.sbatch
has job.sbatch "#SBATCH --nodes=1"
has job.sbatch "#SBATCH --ntasks-per-node=4"
has job.sbatch "#SBATCH --gres=gpu:4"
has job.sbatch "#SBATCH --requeue"
has job.sbatch "#SBATCH --signal=B:USR1@"
has job.sbatch "exec $(readlink -f "$saturn") run $PWD/slurm.yaml"
has "$tmp/err" "nothing was submitted or written"
[ ! -e runs ] && ok || bad "--slurm-script wrote runs/"

# 1. Concurrent job steps on disjoint GPUs.
id=$(sbatch --parsable job.sbatch) || { bad "sbatch failed"; exit 1; }
max_steps=0
for ((i = 0; i < 600; i++)); do
  n=$(squeue -h -s -j "$id" -o "%j" 2>/dev/null | grep -c '^saturn:')
  [ "$n" -gt "$max_steps" ] && max_steps=$n
  state=$(job_state "$id")
  case "$state" in PENDING|RUNNING|CONFIGURING|COMPLETING|"") ;; *) break ;; esac
  sleep 0.5
done
wait_job "$id" 60
[ "$state" = COMPLETED ] && ok || bad "job $id ended $state: $(tail -n 20 saturn-saturn-slurm-"$id".out)"
out=saturn-saturn-slurm-$id.out
grep -qE "Slurm job $id: 1 node\(s\) node[12], 4 GPU\(s\) each" "$out" && ok || bad "$out: $(head -n 3 "$out")"
has "$out" "run: 4 of 4 jobs done"
[ "$max_steps" = 4 ] && ok || bad "at most $max_steps saturn job steps ran at once, expected 4"
# Each job's worker says which GPUs its step holds; the plan says which jobs overlap.
python3 - runs/slurm <<'PY' && ok || bad "GPU sets do not match the plan"
import json, re, sys, glob
run = sys.argv[1]
plan = json.load(open(run + "/plan.json"))
gpus = {}
for log in glob.glob(run + "/logs/*.log"):
    text = open(log).read()
    m = re.findall(r"saturn worker: Slurm step (\S+) on \S+: rank 0 of (\d+) on \S+ \(CUDA_VISIBLE_DEVICES=([0-9,]*)\)", text)
    assert m, log + ": no Slurm step line"
    job = log.split("/")[-1][:-4].replace("_", "/")
    gpus[job] = (m[0][0], set(m[0][2].split(",")), int(m[0][1]))
jobs = plan["jobs"]
assert len(jobs) == 4 and len(gpus) == 4, (jobs, gpus)
for e in jobs:
    step, ids, ranks = gpus[e["job"]]
    assert len(ids) == e["devices"] == ranks, (e, ids)
for a in jobs:
    for b in jobs:
        if a["job"] < b["job"] and a["start_s"] < b["end_s"] and b["start_s"] < a["end_s"]:
            assert not (gpus[a["job"]][1] & gpus[b["job"]][1]), (a["job"], b["job"], gpus)
print("GPU sets:", {j: sorted(g[1]) for j, g in gpus.items()})
PY
losses runs/slurm >ref.losses
[ "$(grep -c ' done$' ref.losses)" = 4 ] && ok || bad "run 1: $(cat ref.losses)"

# 2. A time limit with Slurm's USR1 warning, and requeue: same final losses.
expect 0 "$saturn" run slurm.yaml --run-dir runs/requeue --slurm-script
cp "$tmp/out" requeue.sbatch
has requeue.sbatch "exec $(readlink -f "$saturn") run $PWD/slurm.yaml --run-dir $PWD/runs/requeue"
# slurmctld sends the warning at its first check (every 30 s) within 30 s
# before time limit - lead: aim that window at [M - 40, M - 10] s after the
# start, M being run 1's makespan, so it comes while the jobs train.
makespan=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select max(ended) - min(started) from attempts').fetchone()[0])" runs/slurm/state.db)
read -r limit lead < <(python3 -c "
import math, sys
m = float(sys.argv[1] or 60)
limit = 120 if m < 90 else 60 * math.ceil((m + 40) / 60)
w = max(5.0, m - 40)
print(limit // 60, int(limit - 30 - w))" "$makespan")
echo "run 1 trained for ${makespan} s: --time=$limit --signal=B:USR1@$lead"
id=$(sbatch --parsable --nodes=2 --gres=gpu:2 --time="$limit" --signal=B:USR1@"$lead" requeue.sbatch) || {
  bad "sbatch failed"
  exit 1
}
wait_job "$id" 420
out=saturn-saturn-slurm-$id.out
[ "$state" = COMPLETED ] && ok || bad "job $id ended ${state:-unknown}: $(tail -n 20 "$out")"
has "$out" "SIGUSR1 (time limit near): every running job checkpoints and stops"
has "$out" "run: Slurm job $id requeued: it resumes $PWD/runs/requeue when it starts again"
has "$out" "requeued (restart 1): resuming $PWD/runs/requeue"
has "$out" "run: 4 of 4 jobs done"
has "$out" "Slurm job $id: 2 node(s) node1,node2, 2 GPU(s) each"
for n in node1 node2; do
  grep -q "saturn worker: Slurm step $id\.[0-9]* on $n:" runs/requeue/logs/*.log && ok || bad "no job step ran on $n"
done
restarts=$(scontrol show job "$id" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
[ "${restarts:-0}" -ge 1 ] && ok || bad "the job was not requeued (Restarts=$restarts)"
stopped=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from attempts where outcome='stopped' and exit_code=138\").fetchone()[0])" runs/requeue/state.db)
[ "$stopped" -ge 1 ] && ok || bad "no attempt stopped on SIGUSR1 (exit 138)"
losses runs/requeue >requeue.losses
if cmp -s ref.losses requeue.losses; then ok; else bad "losses after requeue differ: $(diff ref.losses requeue.losses)"; fi

grep -E "USR1|requeue|resum|restart|stopped|done;" "$out" | sed 's/^/  | /'  # what the requeued job did

# 3. scancel (what preemption does too): SIGTERM to saturn and to every step;
# each step checkpoints and saturn exits cleanly well within KillWait.
expect 0 "$saturn" run slurm.yaml --run-dir runs/cancel --slurm-script
cp "$tmp/out" cancel.sbatch
id=$(sbatch --parsable cancel.sbatch) || { bad "sbatch failed"; exit 1; }
for ((i = 0; i < 240; i++)); do  # until every job has a checkpoint
  [ "$(ls -d runs/cancel/jobs/*/*/ckpt/step-*.json 2>/dev/null | wc -l)" -ge 4 ] && break
  sleep 0.5
done
scancel "$id"
wait_job "$id" 60
out=saturn-saturn-slurm-$id.out
[ "$state" = CANCELLED ] && ok || bad "job $id ended ${state:-unknown}"
has "$out" "SIGTERM: every running job checkpoints and stops"
has "$out" "run: stopped; every job kept its checkpoint"
python3 - runs/cancel/state.db <<'PY' && ok || bad "scancel: attempts were not all stopped at a checkpoint"
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("select job, outcome, exit_code, step_end from attempts").fetchall()
assert len(rows) == 4 and all(r[1] == "stopped" and r[2] in (138, 143) and r[3] > 0 for r in rows), rows
PY
echo "slurm: $pass passed, $fail failed"
[ "$fail" = 0 ]
