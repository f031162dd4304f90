#!/usr/bin/env bash
# End-to-end: `saturn run` with real worker processes on the CPU quickstart:
# the leaderboard; kill -9 of the runner at several points, then the same
# command, with final losses bit-identical to an uninterrupted run; a worker
# killed mid-run (restarted; failed with --max-restarts 0); SIGTERM (exit
# 143, checkpoints, resume); the run-directory lock; status; dry run;
# introspection around a deliberately wrong profile; bad input.
# Usage: tests/e2e/run.sh SATURN_BINARY SOURCE_DIR
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME=$tmp/cache
export NO_COLOR=1
q=$src/workloads/quickstart.yaml

# losses RUN_DIR: "job final_loss eval_loss" per job, sorted (exact digits).
losses() {
  python3 - "$1/state.db" <<'PY'
import sqlite3, sys
for row in sorted(sqlite3.connect(sys.argv[1]).execute("select id, final_loss, eval_loss, status from jobs")):
    print(row[0], repr(row[1]), repr(row[2]), row[3])
PY
}
# run_until RUN_DIR SIGNAL CONDITION [ARG]: start the quickstart run, send
# SIGNAL once `CONDITION RUN_DIR [ARG]` holds (polled every 0.1 s, at most
# 120 s, or until the run ends by itself); exit code in $rc. Conditions read
# what the run has reached, never how long it has taken.
run_until() {
  local dir=$1 sig=$2 cond=$3 arg=${4:-} i
  "$saturn" run "$q" --run-dir "$dir" >"$tmp/out" 2>"$tmp/err" &
  local pid=$!
  for i in $(seq 1200); do
    "$cond" "$dir" $arg && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -"$sig" "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
}
planned() { [ "$(sql "$1" "select count(*) from plans" 2>/dev/null || echo 0)" -ge 1 ]; }  # a plan, maybe no step yet
training() { [ -n "$(find "$1/jobs" -name metrics.jsonl -size +0 2>/dev/null | head -1)" ]; }  # a worker has logged a step
done_over() { [ "$(sql "$1" "select count(*) from jobs where status='done'" 2>/dev/null || echo 0)" -gt "$2" ]; }  # one more job is done
attempts_over() { [ "$(sql "$1" "select count(*) from attempts" 2>/dev/null || echo 0)" -gt "$2" ]; }  # a new attempt began
# no_workers_left RUN_DIR: the workers of a killed runner get SIGTERM, write
# their checkpoints and exit; on a loaded machine that takes seconds, so wait
# up to 30 s (polling) before calling it a leak.
no_workers_left() {
  local i
  for i in $(seq 60); do
    pgrep -f "saturn worker .*--run-dir $1" >/dev/null || { ok; return; }
    sleep 0.5
  done
  bad "workers of $1 still running 30 s after the runner died"
}

# 1. The quickstart runs to the leaderboard, measuring every strategy first
# (the shared fixture's run: tests/e2e/fixture_quickstart.sh). The rest of
# this script runs on copies, with the fixture's full store as the cache's.
fx=$(quickstart_fixture)
cp -r "$fx/run" "$tmp/ref"
mkdir -p "$XDG_CACHE_HOME/saturn" && cp "$fx/profiles.db" "$XDG_CACHE_HOME/saturn/profiles.db"
has "$fx/out" "valid loss"
has "$fx/out" "gpt-small/lr=1e-3,bs=16"
has "$fx/err" "run: 8 of 8 jobs done; makespan"
has "$fx/err" "profile: 8 measured"
[ "$(grep -c ' done$' "$fx/out")" = 8 ] && ok || bad "leaderboard: $(cat "$fx/out")"
[ -s "$tmp/ref/plan.json" ] && ok || bad "no plan.json"
losses "$tmp/ref" >"$tmp/ref.losses"
[ "$(grep -c ' done$' "$tmp/ref.losses")" = 8 ] && ok || bad "ref: $(cat "$tmp/ref.losses")"
# Running it again does nothing more: every job is done.
expect 0 "$saturn" run "$q" --run-dir "$tmp/ref" --json
has "$tmp/err" "resuming plan v1: 8 of 8 jobs done"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['leaderboard'])==8 and d['leaderboard'][0]['rank']==1" "$tmp/out" && ok || bad "--json: $(head -c 400 "$tmp/out")"
[ "$(sql "$tmp/ref" "select count(*) from attempts")" = 8 ] && ok || bad "reran a finished job"

# `saturn plan` never rewrites a run's plan.
cp "$tmp/ref/plan.json" "$tmp/ref-plan.json"
expect 64 "$saturn" plan "$q" --run-dir "$tmp/ref"
same_line() { [ "$(cat "$tmp/err")" = "$1" ] && ok || bad "expected <$1>, got <$(cat "$tmp/err")>"; }
same_line "$tmp/ref holds a run (state.db): its plan is the run's; plan into another folder with --run-dir DIR, or see the run's plan with saturn status $tmp/ref"
cmp -s "$tmp/ref/plan.json" "$tmp/ref-plan.json" && ok || bad "plan rewrote the run's plan.json"

# 2. status.
expect 0 "$saturn" status "$tmp/ref"
has "$tmp/out" "8 jobs: 8 done, 0 running, 0 pending, 0 failed; 100% of all steps"
expect 0 "$saturn" status "$tmp/ref" --json
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['jobs'])==8 and len(d['attempts'])==8 and d['plan']['jobs']" "$tmp/out" && ok || bad "status --json"
expect 66 "$saturn" status "$tmp/nothing"
has "$tmp/err" "nothing: no such run directory or workload file"
# A workload's run is runs/NAME next to the workload file, found from any folder.
mkdir -p "$tmp/wq" && cp "$q" "$tmp/wq/" && cp -r "$src/workloads/data" "$tmp/wq/"
(cd / && "$saturn" status "$tmp/wq/quickstart.yaml") >"$tmp/out" 2>"$tmp/err"
[ $? = 66 ] && ok || bad "status of a workload without a run: $(cat "$tmp/err")"
has "$tmp/err" "$tmp/wq/runs/quickstart: no run of workload quickstart yet"
mkdir -p "$tmp/wq/runs" && cp -r "$tmp/ref" "$tmp/wq/runs/quickstart"
(cd / && "$saturn" status "$tmp/wq/quickstart.yaml") >"$tmp/out" 2>"$tmp/err"
[ $? = 0 ] && ok || bad "status from another folder: $(cat "$tmp/err")"
has "$tmp/out" "8 jobs: 8 done, 0 running, 0 pending, 0 failed; 100% of all steps"
(cd / && "$saturn" run "$tmp/wq/quickstart.yaml" --dry-run) >"$tmp/out" 2>"$tmp/err"
has "$tmp/err" "$tmp/wq/runs/quickstart"

# 2b. Commands that only read leave a finished run as it was, state.db
# included (no -shm or -wal beside it): the same files, sizes and bytes; the
# dry run and the sbatch script say every job is done.
snap() { (cd "$1" && find . -type f -printf '%p %s\n' | sort && find . -type f -exec sha256sum {} + | sort); }
snap "$tmp/ref" >"$tmp/ref.before"
expect 0 "$saturn" validate "$q"
expect 0 "$saturn" jobs "$q"
expect 0 "$saturn" status "$tmp/ref"
expect 0 "$saturn" status "$tmp/ref" --json
expect 0 "$saturn" report "$tmp/ref" --json
expect 0 "$saturn" profile "$q" --show
expect 0 "$saturn" run "$q" --run-dir "$tmp/ref" --dry-run
has "$tmp/err" "run: dry run: all 8 jobs of $tmp/ref are done: \`saturn run\` would print the leaderboard"
expect 0 env -u SLURM_JOB_ID "$saturn" run "$q" --run-dir "$tmp/ref" --slurm-script
has "$tmp/out" "# saturn run for workload quickstart: all 8 jobs are done in $tmp/ref; the job prints the leaderboard."
has "$tmp/err" "run: --slurm-script: all 8 jobs of $tmp/ref are done: the job would print the leaderboard; nothing was submitted or written"
snap "$tmp/ref" >"$tmp/ref.after"
cmp -s "$tmp/ref.before" "$tmp/ref.after" && ok || bad "a read-only command changed the finished run: $(diff "$tmp/ref.before" "$tmp/ref.after")"

# 3. kill -9 of the runner at several points of one run, the same command
# after each: once planned, once a new checkpoint is written, once the
# resumed run has begun a new attempt, once one more job is done; then the
# same command to the end, with the reference's losses.
d=$tmp/kill
checkpointed() { [ -n "$(find "$1/jobs" -name 'step-*.json' -newer "$tmp/mark" 2>/dev/null | head -1)" ]; }  # a checkpoint since the last start
n_of() { sql "$1" "$2" 2>/dev/null || echo 0; }
run_until "$d" 9 planned
no_workers_left "$d"
for point in checkpointed attempts_over done_over; do
  touch "$tmp/mark"
  case $point in
    attempts_over) arg=$(n_of "$d" "select count(*) from attempts") ;;
    done_over) arg=$(n_of "$d" "select count(*) from jobs where status='done'") ;;
    *) arg="" ;;
  esac
  run_until "$d" 9 "$point" "$arg"
  # (the plan it resumes may be a later version: the jobs' first steps re-plan when they move it)
  grep -Eq "resuming plan v[0-9]+: " "$tmp/err" && ok || bad "kill -9, then $point: no resume: $(cat "$tmp/err")"
  no_workers_left "$d"
done
expect 0 "$saturn" run "$q" --run-dir "$d"
grep -Eq "resuming plan v[0-9]+: " "$tmp/err" && ok || bad "kill -9 four times: no resume: $(cat "$tmp/err")"
losses "$d" >"$d.losses"
if cmp -s "$tmp/ref.losses" "$d.losses"; then ok; else bad "kill -9 four times: losses differ: $(diff "$tmp/ref.losses" "$d.losses")"; fi
[ "$(sql "$d" "select count(*) from attempts where outcome='lost'")" -ge 2 ] && ok || bad "lost attempts: $(sql "$d" "select job, outcome from attempts")"

# 4. A worker killed mid-run is restarted and finishes; with --max-restarts 0 it fails alone.
victim="gpt-small/lr=1e-3,bs=16"
kill_worker() {  # kill_worker RUN_DIR: SIGKILL the victim's worker once it has trained a little (at most 60 s)
  for _ in $(seq 600); do
    [ -s "$1/jobs/$victim/metrics.jsonl" ] && break
    sleep 0.1
  done
  pkill -9 -f "saturn worker .*--job $victim --run-dir $1"
}
d=$tmp/worker
"$saturn" run "$q" --run-dir "$d" >"$tmp/out" 2>"$tmp/err" &
pid=$!
kill_worker "$d"
wait $pid
[ $? = 0 ] && ok || bad "restart run: $(cat "$tmp/err")"
has "$tmp/err" "run: restart $victim: exit code 137; restart 1 of 2"
[ "$(sql "$d" "select outcome from attempts where job='$victim' order by id" | tr '\n' ' ')" = "failed done " ] && ok || bad "attempts: $(sql "$d" "select * from attempts where job='$victim'")"
losses "$d" >"$d.losses"
if cmp -s "$tmp/ref.losses" "$d.losses"; then ok; else bad "restarted worker: $(diff "$tmp/ref.losses" "$d.losses")"; fi
d=$tmp/worker0
"$saturn" run "$q" --run-dir "$d" --max-restarts 0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
kill_worker "$d"
wait $pid
rc=$?
[ $rc = 75 ] && ok || bad "max-restarts 0 exited $rc: $(cat "$tmp/err")"
has "$tmp/err" "run: failed $victim: exit code 137"
has "$tmp/err" "run: 7 of 8 jobs done, 1 failed"
has "$tmp/out" "failed: exit code 137"
[ "$(sql "$d" "select count(*) from jobs where status='done'")" = 7 ] && ok || bad "others did not finish"

# 5. SIGTERM: every worker checkpoints, exit 143; a second runner meanwhile is refused; the next run resumes.
d=$tmp/term
"$saturn" run "$q" --run-dir "$d" >"$tmp/term.out" 2>"$tmp/term.err" &
pid=$!
for _ in $(seq 1200); do training "$d" && break; sleep 0.1; done
expect 75 "$saturn" run "$q" --run-dir "$d"
has "$tmp/err" "$d: another saturn run (pid $pid) is using this run directory"
kill -TERM $pid
wait $pid
rc=$?
[ $rc = 143 ] && ok || bad "SIGTERM exited $rc: $(cat "$tmp/term.err")"
has "$tmp/term.err" "run: stopped; every job kept its checkpoint"
[ "$(sql "$d" "select count(*) from attempts where outcome='stopped' and exit_code=143 and step_end > 0")" -ge 1 ] && ok || bad "stopped attempts: $(sql "$d" "select job, outcome, exit_code, step_end from attempts")"
no_workers_left "$d"
# status says which jobs stopped where, with their last loss, what the plan
# has for the others, when each event happened, and how to resume.
expect 0 "$saturn" status "$d"
grep -Eq "stopped at step [1-9][0-9]* .* [0-9]+\.[0-9]{4}$" "$tmp/out" && ok || bad "status: no stopped job with its loss: $(cat "$tmp/out")"
grep -Eq "^  [0-9]{2}:[0-9]{2}:[0-9]{2} stopped " "$tmp/out" && ok || bad "status: events without times: $(cat "$tmp/out")"
has "$tmp/out" "resume: saturn run $q --run-dir $d"
if [ "$(sql "$d" "select count(*) from jobs j where status='pending' and not exists (select 1 from attempts a where a.job = j.id)")" -gt 0 ]; then
  grep -Eq "planned: [a-z]+ x[0-9]+ on local, starts at" "$tmp/out" && ok || bad "status: no planned strategy: $(cat "$tmp/out")"
fi
expect 0 "$saturn" run "$q" --run-dir "$d"
losses "$d" >"$d.losses"
if cmp -s "$tmp/ref.losses" "$d.losses"; then ok; else bad "after SIGTERM: $(diff "$tmp/ref.losses" "$d.losses")"; fi

# 6. Dry run: shows the plan, writes nothing.
expect 0 "$saturn" run "$q" --run-dir "$tmp/dry" --dry-run
has "$tmp/out" "single x1"
has "$tmp/err" "it would write $tmp/dry; nothing was written"
grep -q "would measure" "$tmp/err" && bad "dry run with every trial stored: $(cat "$tmp/err")" || ok
[ ! -e "$tmp/dry" ] && ok || bad "dry run wrote $tmp/dry"
# Nor a store it is given: a missing one reads as empty (estimates), not created.
expect 0 "$saturn" run "$q" --run-dir "$tmp/dry" --dry-run --store "$tmp/new/folder/profiles.db"
has "$tmp/out" "raw estimate"
[ ! -e "$tmp/new" ] && ok || bad "dry run created the store: $(find "$tmp/new")"
# ... and it says what the real run measures first, and the time end to end
# (the store above has every trial: it said nothing of measuring).
grep -Eq "^run: dry run: would (measure [0-9]+ trials? \(about $dur\) first \(profile: auto\), then )?run 8 jobs in $dur \(plan: .*\): end to end about $dur; " "$tmp/err" && ok ||
  bad "dry run: measuring: $(cat "$tmp/err")"
expect 0 "$saturn" run "$q" --run-dir "$tmp/dry" --dry-run --store "$tmp/new/folder/profiles.db" --profile full
grep -Eq "^run: dry run: would measure 8 trials \(about $dur\) first \(profile: full\), then run 8 jobs in " "$tmp/err" && ok ||
  bad "dry run: full: $(cat "$tmp/err")"
expect 0 "$saturn" run "$q" --run-dir "$tmp/dry" --dry-run --store "$tmp/new/folder/profiles.db" --baseline current-practice
grep -q "would measure" "$tmp/err" && bad "current practice measures: $(cat "$tmp/err")" || ok
[ ! -e "$tmp/new" ] && ok || bad "dry run created the store: $(find "$tmp/new")"

# 7. Bad input: one line, nothing written.
expect 64 "$saturn" run "$q" --run-dir "$tmp/bad" --baseline nope
has "$tmp/err" "--baseline: \"nope\" is not a baseline"
[ ! -e "$tmp/bad" ] && ok || bad "bad input wrote $tmp/bad"
sed 's/^name: quickstart/name: other/' "$q" >"$src/workloads/.e2e-run-$$.yaml"
expect 65 "$saturn" run "$src/workloads/.e2e-run-$$.yaml" --run-dir "$tmp/ref"
has "$tmp/err" "$tmp/ref: holds a run of workload quickstart, not other; use --run-dir for a new run, or remove $tmp/ref"
cp "$tmp/err" "$tmp/real.err"
# The dry run applies the same check: the same line and exit, not "would resume".
expect 65 "$saturn" run "$src/workloads/.e2e-run-$$.yaml" --run-dir "$tmp/ref" --dry-run
rm -f "$src/workloads/.e2e-run-$$.yaml"
cmp -s "$tmp/err" "$tmp/real.err" && ok || bad "dry run: $(cat "$tmp/err") vs the run's $(cat "$tmp/real.err")"

# 8. Introspection with a deliberately wrong profile: a's step time is
# claimed 25x too slow, so the plan gives a a device of its own and queues
# the four b jobs on the other. Re-planning moves them; nothing restarts.
cp "$src/workloads/bench/introspect.yaml" "$tmp/intro.yaml" && sed -i "s|path: ../data/corpus.txt|path: $src/workloads/data/corpus.txt|" "$tmp/intro.yaml"
cp "$XDG_CACHE_HOME/saturn/profiles.db" "$tmp/wrong.db"
"$saturn" profile "$tmp/intro.yaml" --store "$tmp/wrong.db" --show --json >"$tmp/prof.json" 2>/dev/null
python3 - "$tmp/wrong.db" "$tmp/prof.json" <<'PY' && ok || bad "could not make the wrong profile"
import json, sqlite3, sys
rows = json.load(open(sys.argv[2]))["profiles"]
h = [r["shape_hash"] for r in rows if r["shape"].startswith("a/") and r["technique"] == "single"][0]
db = sqlite3.connect(sys.argv[1])
n = db.execute("update profiles set step_time = step_time * 25 where shape = ? and technique = 'single'", (h,)).rowcount
db.commit()
assert n == 1, n
PY
# --profile none: the timer's introspection alone (under auto the jobs' first
# rates would re-plan at once, tests/e2e/measure.sh and the runner's tests).
# What it gains in time is a benchmark's (scripts/bench-run.sh); here, what
# it does: a later plan moves b jobs onto the device the first plan kept for a.
expect 0 "$saturn" run "$tmp/intro.yaml" --store "$tmp/wrong.db" --run-dir "$tmp/intro" --profile none
has "$tmp/err" "(introspection:"
a_devices=$(sql "$tmp/intro" "select device_ids from attempts where (job = 'a' or job like 'a/%') and plan_version = 1")
moved=$(sql "$tmp/intro" "select count(*) from attempts where job like 'b/%' and plan_version > 1 and device_ids = '$a_devices'")
[ -n "$a_devices" ] && [ "${moved:-0}" -ge 1 ] && ok ||
  bad "no b job moved to a's device $a_devices: $(sql "$tmp/intro" "select job, plan_version, device_ids from attempts")"
[ "$(sql "$tmp/intro" "select count(*) from plans")" -ge 2 ] && ok || bad "no new plan version"
[ "$(sql "$tmp/intro" "select count(*) from attempts")" = 5 ] && ok || bad "a job was restarted: $(sql "$tmp/intro" "select job, outcome from attempts")"
[ "$(sql "$tmp/intro" "select count(*) from attempts where outcome != 'done'")" = 0 ] && ok || bad "attempts: $(sql "$tmp/intro" "select job, outcome from attempts")"

echo "e2e run: $pass passed, $fail failed"
[ "$fail" = 0 ]
