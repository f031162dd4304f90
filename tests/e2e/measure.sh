#!/usr/bin/env bash
# End-to-end: what `saturn run` measures before it plans (profile: auto,
# full, none), each from an empty profile store, on the CPU quickstart (full
# is the shared fixture's run: tests/e2e/fixture_quickstart.sh):
# auto runs at most half of full's trials, and the plan it executes, timed
# with full's measurements, is within 3% of full's plan; every mode's run
# counts its measurement in state.db; current practice measures nothing;
# kill -9 in the middle of measuring resumes without measuring anything
# twice, and a run that learned rates from its own steps stores them.
# Usage: tests/e2e/measure.sh SATURN_BINARY SOURCE_DIR
. "$(dirname "$0")/lib.sh"
export NO_COLOR=1
mkdir -p "$tmp/w/data" && cp "$src/workloads/data/corpus.txt" "$tmp/w/data/"
q=$tmp/w/quickstart.yaml
cp "$src/workloads/quickstart.yaml" "$q"
meta() { sql "$1" "select value from meta where key = '$2'"; }
# trials_run ERR: the trials a run's stderr says it measured, one "shape technique xN" per line.
trials_run() { sed -n 's/^run: info: profile \[[0-9]*\/[0-9]*\] \([^ ]*\) \([a-z]*\) x\([0-9]*\)\( ([^)]*)\)\{0,1\}:.*/\1 \2 x\3/p' "$1" | sort; }

# 1. full measures every trial first (the shared fixture's run from an
# empty store: tests/e2e/fixture_quickstart.sh); auto at most half of them.
fx=$(quickstart_fixture)
cp "$fx/profiles.db" "$tmp/full.db" && cp -r "$fx/run" "$tmp/full"
full_trials=$(meta "$tmp/full" measure_trials)
[ "$full_trials" = 8 ] && ok || bad "full: $full_trials trials, expected 8"
grep -Eq "^run: 8 of 8 jobs done; makespan .*; end to end $dur with $dur of measurement; " "$fx/err" &&
  ok || bad "full: the end-to-end line: $(tail -3 "$fx/err")"
expect 0 "$saturn" run "$q" --store "$tmp/auto.db" --run-dir "$tmp/auto"
auto_trials=$(meta "$tmp/auto" measure_trials)
auto_trials=${auto_trials:-0}
[ "$auto_trials" -le 4 ] && ok || bad "auto: $auto_trials trials, full ran $full_trials"
if [ "$auto_trials" = 0 ]; then has "$tmp/err" "run: info: measure: no trial is worth its time in a "; else has "$tmp/err" "run: info: measure: $auto_trials trial"; fi
[ "$(trials_run "$tmp/err" | wc -l)" = "$auto_trials" ] && ok || bad "auto: trials said: $(cat "$tmp/err")"
# The measurement is one phase of the run: a measure and a measured event.
[ "$(sql "$tmp/auto" "select group_concat(kind) from events where kind like 'measure%'")" = "measure,measured" ] &&
  ok || bad "auto: measurement events: $(sql "$tmp/auto" "select kind, message from events")"

# 2. The plan auto ran, timed with full's measurements (each job's runtime
# under its strategy, every device in the plan's order), against full's plan.
"$saturn" profile "$q" --store "$tmp/full.db" --show --json >"$tmp/full-view.json" 2>/dev/null
python3 - "$tmp/full-view.json" "$tmp/auto/state.db" "$tmp/full/state.db" <<'PY' && ok || bad "auto's plan is not within 3% of full's"
import json, sqlite3, sys
view = json.load(open(sys.argv[1]))["profiles"]
runtime = {(p["shape"], p["technique"], p["devices"]): p["job_runtime_s"] for p in view if p["feasible"]}
def first_plan(db):
    return json.loads(sqlite3.connect(db).execute("select json from plans order by version limit 1").fetchone()[0])
def timed(plan):
    free, end = {}, 0.0
    for j in sorted(plan["jobs"], key=lambda j: j["start_s"]):
        shape = j["job"].split("/")[0] + "/bs=" + j["job"].split("bs=")[1]
        devs = [(j["node"], d) for d in j["device_ids"]]
        start = max([free.get(d, 0.0) for d in devs])
        stop = start + runtime[(shape, j["technique"], j["devices"])]
        for d in devs:
            free[d] = stop
        end = max(end, stop)
    return end
auto, full = timed(first_plan(sys.argv[2])), timed(first_plan(sys.argv[3]))
print(f"auto's plan {auto:.2f} s against full's {full:.2f} s, both timed with full's measurements")
assert auto <= 1.03 * full, (auto, full)
PY

# 3. What the run learned of its own steps is in the store: every strategy
# the auto run trained is measured there now (its rates, or its trials).
python3 - "$tmp/auto.db" "$tmp/auto/state.db" <<'PY' && ok || bad "auto: the rates it learned are not stored"
import sqlite3, sys
store = {(r[0], r[1], r[2]) for r in sqlite3.connect(sys.argv[1]).execute(
    "select shape_id, technique, devices from profiles where source = 'measured' and feasible = 1")}
ran = {(j.split("/")[0] + "/bs=" + j.split("bs=")[1], t, n) for j, t, n in sqlite3.connect(sys.argv[2]).execute(
    "select job, technique, devices from attempts")}
assert ran <= store, (ran - store)
PY

# 4. none and current practice measure nothing: each run is stopped once a
# job has trained a step (what is measured comes before that); status and
# the dry run say so.
# train_then_stop RUN_DIR ARGS...: the run, SIGTERM once a worker logged a step; exit 143.
train_then_stop() {
  local d=$1 pid i; shift
  "$saturn" run "$q" --run-dir "$d" "$@" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for i in $(seq 1200); do
    [ -n "$(find "$d/jobs" -name metrics.jsonl -size +0 2>/dev/null | head -1)" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  local rc=$?
  [ $rc = 143 ] && ok || bad "run $* exited $rc, expected 143 (stopped while training): $(cat "$tmp/err")"
}
train_then_stop "$tmp/none" --store "$tmp/none.db" --profile none
[ -z "$(meta "$tmp/none" measure_trials)" ] && ok || bad "none measured"
grep -q "profile \[" "$tmp/err" && bad "none: a trial ran: $(cat "$tmp/err")" || ok
train_then_stop "$tmp/current" --store "$tmp/current.db" --baseline current-practice
grep -q "profile \[" "$tmp/err" && bad "current practice: a trial ran: $(cat "$tmp/err")" || ok
[ ! -e "$tmp/current.db" ] || [ "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from profiles").fetchone()[0])' "$tmp/current.db")" = 0 ] &&
  ok || bad "current practice stored profiles"
expect 0 "$saturn" status "$tmp/auto"
grep -Eq "^measured ($auto_trials trials? in $dur before planning|nothing before planning \(estimates, then the jobs' own steps\)); end to end about $dur as first planned$" "$tmp/out" &&
  ok || bad "status: no measurement line: $(cat "$tmp/out")"

# 5. kill -9 while measuring (full: many trials), then the same command:
# what was stored is not measured again.
"$saturn" run "$q" --store "$tmp/kill.db" --run-dir "$tmp/kill" --profile full >"$tmp/kill1.out" 2>"$tmp/kill1.err" &
pid=$!
for i in $(seq 600); do
  n=$(python3 -c 'import sqlite3,sys
try: print(sqlite3.connect(sys.argv[1]).execute("select count(*) from profiles where source=\"measured\"").fetchone()[0])
except Exception: print(0)' "$tmp/kill.db" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 2 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
# status while it measures: the trials done and left, the jobs to plan.
expect 0 "$saturn" status "$tmp/kill"
grep -Eq "^run $tmp/kill \(workload quickstart\): measuring before the first plan(: [0-9]+ of [0-9]+ trials done(, about $dur left)?)?; then 8 jobs are planned$" "$tmp/out" &&
  ok || bad "status while measuring: $(cat "$tmp/out")"
[ "$(grep -c "pending: planned after measuring" "$tmp/out")" = 8 ] && ok || bad "status while measuring: the jobs: $(cat "$tmp/out")"
grep -q "^resume:\|^go on:" "$tmp/out" && bad "status told to resume a live run: $(cat "$tmp/out")" || ok
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pkill -9 -f "saturn worker .*$tmp/kill/trials" 2>/dev/null
# ... and after the stop: what was kept, and the command to go on.
expect 0 "$saturn" status "$tmp/kill"
has "$tmp/out" "): stopped before its first plan"
has "$tmp/out" "go on: saturn run $q --run-dir $tmp/kill"
python3 -c 'import sqlite3,sys
for s, t, n in sqlite3.connect(sys.argv[1]).execute("select shape_id, technique, devices from profiles where source=\"measured\""): print(s, t, "x%d" % n)' \
  "$tmp/kill.db" | sort >"$tmp/before"
[ "$(wc -l <"$tmp/before")" -ge 2 ] && ok || bad "kill: nothing was measured before the kill: $(cat "$tmp/kill1.err")"
expect 0 "$saturn" run "$q" --store "$tmp/kill.db" --run-dir "$tmp/kill" --profile full
trials_run "$tmp/err" >"$tmp/after"
[ -z "$(comm -12 "$tmp/before" "$tmp/after")" ] && ok || bad "measured twice: $(comm -12 "$tmp/before" "$tmp/after")"
[ "$(cat "$tmp/before" "$tmp/after" | sort -u | wc -l)" = 8 ] && ok || bad "kill: not every trial stored: $(cat "$tmp/before" "$tmp/after")"
has "$tmp/err" "run: 8 of 8 jobs done"

# 6. kill -9 while the jobs train and learn their rates: the same command
# measures nothing (what the first run stored stays, nothing is re-measured).
"$saturn" run "$q" --store "$tmp/learn.db" --run-dir "$tmp/learn" >"$tmp/learn1.out" 2>"$tmp/learn1.err" &
pid=$!
for i in $(seq 1200); do
  [ "$(sql "$tmp/learn" "select count(*) from attempts" 2>/dev/null || echo 0)" -ge 2 ] &&
    grep -q "^run: start" "$tmp/learn1.err" && sleep 2 && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rows() { python3 -c 'import sqlite3,sys; print(*sqlite3.connect(sys.argv[1]).execute("select shape_id, technique, devices, step_time from profiles order by 1, 2, 3"))' "$1"; }
before=$(rows "$tmp/learn.db")
expect 0 "$saturn" run "$q" --store "$tmp/learn.db" --run-dir "$tmp/learn"
grep -q "profile \[" "$tmp/err" && bad "resumed after kill -9: measured again: $(cat "$tmp/err")" || ok
has "$tmp/err" "run: 8 of 8 jobs done"
python3 - "$tmp/learn.db" "$before" <<'PY' && ok || bad "resumed: a stored entry changed"
import sqlite3, sys
now = {(r[0], r[1], r[2]): r[3] for r in sqlite3.connect(sys.argv[1]).execute("select shape_id, technique, devices, step_time from profiles")}
for row in sys.argv[2].split(") (") if sys.argv[2].strip() else []:
    shape, tech, n, step = [x.strip(" ()'") for x in row.split(",")]
    assert now[(shape, tech, int(n))] == float(step), (row, now)
PY

echo "e2e measure: $pass passed, $fail failed"
[ "$fail" = 0 ]
