#!/usr/bin/env bash
# End-to-end: an iterative search. A small grid runs to the end; the same
# workload edited (one more learning rate, one fewer, one put back, more
# steps) runs again in its run directory: done jobs stay done, new ones are
# planned and trained, changed ones start again with their old files moved
# aside, and `saturn run` (and its dry run) says what it reuses, resumes and
# adds. A smoke run (--steps, --jobs) leaves the real run alone. A workload
# of another name is still refused.
# Usage: tests/e2e/search.sh SATURN_BINARY SOURCE_DIR
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME=$tmp/cache
export NO_COLOR=1
# workload LRS STEPS [NAME]: the search workload with that grid and length.
workload() {
  cat >"$tmp/w/search.yaml" <<YAML
name: ${3:-search}
cluster:
  nodes:
    - name: local
      devices: {kind: cpu, count: 2, memory: 1GiB, threads: 1}
data:
  train: {format: synthetic, samples: 256, seed: 1}
models:
  - name: m
    arch: mlp
    config: {image: 8, channels: 1, hidden: 16, layers: 2, classes: 4}
search:
  grid:
    lr: [$1]
    batch_size: 16
train:
  steps: $2
  log_every: 5
YAML
}
mkdir -p "$tmp/w"
w=$tmp/w/search.yaml
d=$tmp/w/runs/search
attempts() { sql "$d" "select count(*) from attempts where job='$1'"; }
same_err() { [ "$(cat "$tmp/err")" = "$1" ] && ok || bad "expected <$1>, got <$(cat "$tmp/err")>"; }

# 1. Two learning rates run to the end.
workload "1e-3, 3e-3" 20
expect 0 "$saturn" run "$w"
[ "$(sql "$d" "select count(*) from jobs where status='done'")" = 2 ] && ok || bad "first run: $(cat "$tmp/err")"
loss_before=$(sql "$d" "select final_loss from jobs where id='m/lr=1e-3'")

# 2. One more: the dry run says what the run will do; the run trains only the new one.
workload "1e-3, 3e-3, 1e-2" 20
expect 0 "$saturn" run "$w" --dry-run
has "$tmp/err" "would run 1 job in"
has "$tmp/err" "$d holds a run of it: \`saturn run\` would resume it (reuses 2 done jobs, adds 1 new job); nothing was written"
[ "$(sql "$d" "select count(*) from jobs")" = 2 ] && ok || bad "the dry run wrote the job table"
grep -q "m/lr=0.01" "$tmp/out" && ! grep -q "m/lr=1e-3" "$tmp/out" && ok || bad "dry-run plan: $(cat "$tmp/out")"
expect 0 "$saturn" run "$w"
has "$tmp/err" "$d: the workload was edited: reuses 2 done jobs, adds 1 new job"
[ "$(sql "$d" "select count(*) from jobs where status='done'")" = 3 ] && ok || bad "edited run: $(cat "$tmp/err")"
[ "$(attempts m/lr=1e-3)" = 1 ] && [ "$(attempts m/lr=3e-3)" = 1 ] && [ "$(attempts m/lr=0.01)" = 1 ] && ok ||
  bad "attempts: $(sql "$d" "select job, outcome from attempts")"
[ "$(sql "$d" "select final_loss from jobs where id='m/lr=1e-3'")" = "$loss_before" ] && ok || bad "a done job changed"
[ "$(sql "$d" "select reason from plans order by version desc limit 1")" = "resume: the workload was edited" ] && ok ||
  bad "plans: $(sql "$d" "select version, reason from plans")"
[ "$(sql "$d" "select count(*) from events where kind='edit'")" = 1 ] && ok || bad "no edit event"

# 3. One fewer: left out of the table (and the leaderboard), its files kept; put back, done again.
workload "1e-3, 1e-2" 20
expect 0 "$saturn" run "$w"
has "$tmp/err" "leaves out 1 job no longer in the workload (m/lr=3e-3; their files stay)"
[ "$(sql "$d" "select count(*) from jobs")" = 2 ] && ok || bad "jobs: $(sql "$d" "select id from jobs")"
[ -f "$d/jobs/m/lr=3e-3/result.json" ] && ok || bad "the left-out job's files are gone"
expect 0 "$saturn" status "$w"
grep -q "^m/lr=3e-3 " "$tmp/out" && bad "status lists the left-out job: $(cat "$tmp/out")" || ok
workload "1e-3, 3e-3, 1e-2" 20
expect 0 "$saturn" run "$w"
has "$tmp/err" "the workload was edited: reuses 3 done jobs, puts back 1 job left out earlier (m/lr=3e-3)"
[ "$(attempts m/lr=3e-3)" = 1 ] && ok || bad "the job put back trained again"

# 4. More steps change every job: trained from scratch, the old folders moved aside.
workload "1e-3, 3e-3, 1e-2" 30
expect 0 "$saturn" run "$w"
has "$tmp/err" "trains 3 changed jobs from scratch (m/lr=1e-3, m/lr=3e-3, m/lr=0.01; the old files are under $d/replaced/)"
[ "$(sql "$d" "select count(*) from jobs where status='done' and steps_done=30")" = 3 ] && ok ||
  bad "after more steps: $(sql "$d" "select id, status, steps_done from jobs")"
[ "$(ls "$d"/replaced/*/m/lr=1e-3/result.json | wc -l)" = 1 ] && ok || bad "replaced: $(find "$d/replaced" | head)"
[ "$(attempts m/lr=1e-3)" = 2 ] && ok || bad "attempts after more steps: $(attempts m/lr=1e-3)"

# 5. A smoke run: a few steps of some jobs in a directory of its own; the real run untouched.
before=$(sql "$d" "select count(*) from attempts")
expect 0 "$saturn" run "$w" --steps 3
has "$tmp/err" "run: smoke run: 3 jobs, 3 steps each, nothing measured, in $d-smoke (the real run's directory is not touched)"
[ "$(sql "$d-smoke" "select count(*) from jobs where status='done' and steps_done=3")" = 3 ] && ok ||
  bad "smoke run: $(sql "$d-smoke" "select id, status, steps_done from jobs")"
[ "$(sql "$d" "select count(*) from attempts")" = "$before" ] && ok || bad "the smoke run touched the real run"
grep -q '"profile:' "$tmp/err" && bad "the smoke run profiled: $(cat "$tmp/err")" || ok
expect 0 "$saturn" run "$w" --steps 2 --jobs 'm/lr=1e-3' --jobs '*=0.01'
has "$tmp/err" "run: smoke run: 2 jobs, 2 steps each"
[ "$(sql "$d-smoke" "select count(*) from jobs where steps_done=2")" = 2 ] && ok || bad "--jobs: $(sql "$d-smoke" "select id, steps_done from jobs")"
expect 0 "$saturn" run "$w" --jobs m --dry-run
has "$tmp/err" "run: smoke run: 3 jobs, nothing measured"
expect 64 "$saturn" run "$w" --steps 2 --jobs 'x*'
same_err "--jobs: no job matches \"x*\" (saturn jobs W.yaml lists them)"
expect 64 "$saturn" run "$w" --steps 2 --run-dir "$d"
same_err "--steps: $d holds a real run; a smoke run writes a run directory of its own (leave out --run-dir: $d-smoke)"
expect 64 "$saturn" run "$w" --run-dir "$d-smoke"
same_err "$d-smoke: holds a smoke run (--steps, --jobs); give the real run another --run-dir"
expect 64 "$saturn" run "$w" --steps 0
one_line

# 6. Another workload's name: refused, one line, nothing changed.
workload "1e-3" 30 other
expect 65 "$saturn" run "$w" --run-dir "$d"
has "$tmp/err" "$d: holds a run of workload search, not other; use --run-dir for a new run, or remove $d"
one_line
expect 65 "$saturn" run "$w" --run-dir "$d" --dry-run
has "$tmp/err" "$d: holds a run of workload search, not other"
[ "$(sql "$d" "select count(*) from jobs")" = 3 ] && ok || bad "the refused run changed the job table"

echo "e2e search: $pass passed, $fail failed"
[ "$fail" = 0 ]
