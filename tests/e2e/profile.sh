#!/usr/bin/env bash
# End-to-end: `saturn profile` measuring real trials (worker processes) on
# CPU devices, the store skipping what it has, infeasible strategies with
# their reasons, devices not present, estimates for the rest, bad stores.
# Usage: tests/e2e/profile.sh SATURN_BINARY SOURCE_DIR
. "$(dirname "$0")/lib.sh"
py() { python3 -c "$1" "${@:2}"; }

store=$tmp/profiles.db
mkdir -p "$tmp/w/data" && cp "$src/workloads/data/corpus.txt" "$tmp/w/data/"
cp "$src/workloads/quickstart.yaml" "$tmp/w/quickstart.yaml"

# 1. The quickstart on its 2 cpu devices: 4 shapes x (single x1, ddp x2) = 8
#    trials for 8 jobs (the naive count is 16); every one measured.
expect 0 "$saturn" profile "$tmp/w/quickstart.yaml" --store "$store"
has "$tmp/err" "profile: 8 measured, 0 already stored, 0 over budget, 0 on devices not here, 0 failed; 8 trials for 8 jobs (naive count 16)"
expect 0 "$saturn" profile "$tmp/w/quickstart.yaml" --store "$store" --show --json
n=$(py 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for p in d["profiles"] if p["source"]=="measured" and p["feasible"] and p["step_time_s"]>0 and p["job_runtime_s"]>p["step_time_s"]*100))' "$tmp/out")
[ "$n" = 8 ] && ok || bad "8 measured feasible entries with runtimes expected, got $n: $(head -c 800 "$tmp/out")"

# 2. Again: nothing new is measured.
expect 0 "$saturn" profile "$tmp/w/quickstart.yaml" --store "$store"
has "$tmp/err" "profile: 0 measured, 8 already stored"
# --refresh measures again.
sed -e 's/lr: \[1e-3, 3e-3\]/lr: 1e-3/' -e 's/batch_size: \[8, 16\]/batch_size: 8/' -e 's/- name: gpt-small/- name: gpt-small\n    grid: {}/' \
  "$tmp/w/quickstart.yaml" | python3 -c 'import sys; t=sys.stdin.read(); i=t.index("  - name: gpt-small"); j=t.index("\nsearch:"); print(t[:i].rstrip("\n")+t[j:])' >"$tmp/w/one.yaml"
expect 0 "$saturn" profile "$tmp/w/one.yaml" --store "$store" --refresh
has "$tmp/err" "profile: 2 measured, 0 already stored"

# A shape shared by 3 learning rates is measured once per strategy.
sed 's/lr: 1e-3/lr: [1e-3, 3e-3, 1e-2]/' "$tmp/w/one.yaml" >"$tmp/w/three.yaml"
expect 0 "$saturn" profile "$tmp/w/three.yaml" --store "$tmp/three.db"
has "$tmp/err" "profile: 2 measured, 0 already stored, 0 over budget, 0 on devices not here, 0 failed; 2 trials for 3 jobs (naive count 6)"

# Ctrl-C: the running trials stop, what was measured stays, exit 130.
"$saturn" profile "$tmp/w/quickstart.yaml" --store "$tmp/int.db" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q '^profile: \[1/' "$tmp/err" && break; sleep 0.1; done
kill -INT $pid
wait $pid
code=$?
[ "$code" = 130 ] && ok || bad "SIGINT: exit $code, expected 130: $(cat "$tmp/err")"
has "$tmp/err" "profile: interrupted; what was measured is kept"
kept=$(grep -c '^profile: \[' "$tmp/err")
expect 0 "$saturn" profile "$tmp/w/quickstart.yaml" --store "$tmp/int.db"
stored=$(sed -n 's/^profile: [0-9]* measured, \([0-9]*\) already stored.*/\1/p' "$tmp/err")
[ -n "$stored" ] && [ "$stored" -ge 1 ] && [ "$stored" -ge "$kept" ] && ok || bad "after SIGINT: $kept reported, $stored kept"
[ -e "$tmp/saturn-profile-$pid" ] && bad "scratch folder left behind beside the store" || ok

# 3. A memory budget saturn's accounting says no strategy fits: stored as
#    infeasible with the reason, without running a worker.
sed 's/memory: 2GiB/memory: 64KiB/' "$tmp/w/quickstart.yaml" >"$tmp/w/tight.yaml"
expect 0 "$saturn" profile "$tmp/w/tight.yaml" --store "$tmp/tight.db"
# Every setting over budget, gradient accumulation down to 1 sample a pass
# too: per model, batch 8: single 1 + 3 (mb=4, 2, 1), ddp 1 + 2; batch 16:
# single 1 + 4, ddp 1 + 3; 2 models.
has "$tmp/err" "profile: 0 measured, 0 already stored, 32 over budget, 0 on devices not here, 0 failed; 32 trials for 8 jobs"
has "$tmp/err" "gpt-tiny/bs=8 single x1 cpu (mb=1): infeasible: over the 64KiB budget"
has "$tmp/err" "infeasible: over the 64KiB budget by saturn's accounting:"
has "$tmp/err" "(weights "
expect 0 "$saturn" profile "$tmp/w/tight.yaml" --store "$tmp/tight.db" --show --json
n=$(py 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for p in d["profiles"] if not p["feasible"] and p["source"]=="accounting" and "over the 64KiB budget" in p["reason"]))' "$tmp/out")
[ "$n" = 8 ] && ok || bad "8 stored infeasible entries expected, got $n"
# Measurements made under a larger budget stay; this budget's verdict is made when they are read.
expect 0 "$saturn" profile "$tmp/w/tight.yaml" --store "$store" --show --json
n=$(py 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for p in d["profiles"] if not p["feasible"] and p["source"]=="measured" and "over the 64KiB budget" in p["reason"]))' "$tmp/out")
[ "$n" = 8 ] && ok || bad "8 measured entries judged infeasible expected, got $n"
expect 0 "$saturn" profile "$tmp/w/quickstart.yaml" --store "$store" --show --json
n=$(py 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for p in d["profiles"] if p["feasible"]))' "$tmp/out")
[ "$n" = 8 ] && ok || bad "the 2GiB budget still fits all 8, got $n"

# 4. cuda devices on a machine without CUDA: skipped with the reason, then
#    estimated from the catalog.
sed 's/        kind: cpu/        kind: cuda\n        model: H100-80GB/; s/        memory: 2GiB//; s/        threads: 1//' "$tmp/w/quickstart.yaml" >"$tmp/w/gpu.yaml"
if [ -e /dev/nvidiactl ]; then
  echo "skip: this machine has CUDA devices; the devices-not-here case needs one without"
else
  expect 0 "$saturn" profile "$tmp/w/gpu.yaml" --store "$store"
  has "$tmp/err" "8 on devices not here"
  has "$tmp/err" "skipped, estimated instead: device cuda:"
  has "$tmp/err" ": CUDA is not available to this saturn"
  has "$tmp/out" "raw estimate"
fi

# 5. Strategies that cannot be measured here (8 x A100) are estimated: every
#    allowed technique, every device count, with its source.
expect 0 "$saturn" profile "$src/workloads/saturn-txt.yaml" --store "$store" --show --json
py 'import json,sys
d=json.load(open(sys.argv[1]))["profiles"]
assert all(p["source"]=="raw estimate" for p in d), "sources"
got={(p["technique"],p["devices"]) for p in d if p["shape"]=="gpt2-1.5b/bs=16"}
want={("single",1),("spill",1)}|{(t,n) for t in ("ddp","fsdp","pipeline") for n in range(2,9)}
assert got==want, got^want
xl=[p for p in d if p["shape"]=="gpt2-1.5b/bs=16" and p["technique"]=="single"][0]
assert xl["feasible"] and xl["knobs"] == "mb=4", xl  # on one A100-40GB only accumulating over 4 passes
big=[p for p in d if p["shape"]=="gpt2-1.5b/bs=16" and p["technique"]=="ddp" and p["devices"]==4][0]
assert big["feasible"] and big["knobs"] == "", big  # 4 samples a rank fit: no accumulation
' "$tmp/out" && ok || bad "saturn-txt estimates: $(head -c 400 "$tmp/out")"

# 6. A model over a cpu device's budget by saturn's accounting: infeasible on
#    one device, measured and feasible when spilled (parameters, gradients and
#    optimizer state in host memory, one block group on the device).
cat >"$tmp/w/spill.yaml" <<YAML
name: spill-test
cluster:
  nodes:
    - name: local
      devices: {kind: cpu, count: 1, memory: 64MiB, threads: 1}
data:
  train: {format: text, path: $src/workloads/data/corpus.txt}
models:
  - name: big
    arch: gpt
    config: {layers: 8, width: 256, heads: 4, seq_len: 64}
search:
  grid: {lr: [1e-3], batch_size: [4]}
train: {steps: 20}
techniques: [single, spill]
YAML
expect 0 "$saturn" profile "$tmp/w/spill.yaml" --store "$tmp/spill.db" --json
py 'import json,sys
d={p["technique"]: p for p in json.load(open(sys.argv[1]))["profiles"]}
assert not d["single"]["feasible"] and "over the 64MiB budget by saturn'"'"'s accounting" in d["single"]["reason"], d["single"]
assert d["spill"]["feasible"] and d["spill"]["source"] == "measured" and d["spill"]["step_time_s"] > 0, d["spill"]
assert d["spill"]["accounted_memory_bytes"] < 64 * 2**20 < d["single"]["accounted_memory_bytes"], d
' "$tmp/out" && ok || bad "spill: $(head -c 600 "$tmp/out")"

# 7. Bad stores: one line and an exit code, nothing half-written.
echo "not a database at all, only some text in a file of a few dozen bytes................" >"$tmp/junk.db"
expect 65 "$saturn" profile "$tmp/w/quickstart.yaml" --store "$tmp/junk.db" --show
has "$tmp/err" "junk.db: not a saturn profile store"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "one line expected: $(cat "$tmp/err")"
touch "$tmp/file"
expect 69 "$saturn" profile "$tmp/w/quickstart.yaml" --store "$tmp/file/sub/p.db"
has "$tmp/err" "cannot create the profile store's folder"
# --show reads and writes nothing: a missing store is empty (estimates), not created.
expect 0 "$saturn" profile "$tmp/w/quickstart.yaml" --store "$tmp/new/p.db" --show
has "$tmp/out" "raw estimate"
[ ! -e "$tmp/new" ] && ok || bad "profile --show created the store: $(find "$tmp/new")"
expect 66 "$saturn" profile "$tmp/w/missing.yaml" --store "$store"

# Fusion, measured: the tiny GPT's 8-point learning-rate sweep gets fused
# trials of 2, 4 and 8 copies, and the plan fuses its jobs (measured fused
# steps of 8 take about half of 8 single steps on one CPU thread).
# One process times the shape's single and fused strategies on one device
# (trial batches); --process-per-trial runs one each, and stores the same.
expect 0 "$saturn" profile "$src/workloads/lr-sweep.yaml" --store "$tmp/sweep.db"
grep -Eq "^profile: 4 measured, .*; 4 trials for 8 jobs .* by 1 process; store " "$tmp/err" && ok ||
  bad "lr-sweep: 4 trials in one process: $(tail -1 "$tmp/err")"
expect 0 "$saturn" profile "$src/workloads/lr-sweep.yaml" --store "$tmp/apart.db" --process-per-trial
grep -Eq "^profile: 4 measured, .* by 4 processes; store " "$tmp/err" && ok || bad "--process-per-trial: $(tail -1 "$tmp/err")"
expect 0 "$saturn" profile "$src/workloads/lr-sweep.yaml" --store "$tmp/sweep.db" --show --json
if python3 -c 'import json,sys
rows = json.load(open(sys.argv[1]))["profiles"]
ks = sorted(r["knobs"] for r in rows if r["technique"] == "fused" and r["source"] == "measured" and r["feasible"])
sys.exit(0 if ks == ["k=2", "k=4", "k=8"] else 1)' "$tmp/out"; then ok; else bad "lr-sweep: fused trials of 2, 4, 8 measured"; fi
expect 0 "$saturn" plan "$src/workloads/lr-sweep.yaml" --store "$tmp/sweep.db" --run-dir "$tmp/sweep" --json
if python3 -c 'import json,sys
jobs = json.load(open(sys.argv[1]))["jobs"]
fused = [j for j in jobs if j["technique"] == "fused"]
sys.exit(0 if len(jobs) == 8 and fused and all(len(j["fused_with"]) + 1 == int(j["knobs"][2:]) for j in fused) else 1)' "$tmp/out"; then ok; else
  bad "lr-sweep: the plan fuses the sweep: $(cat "$tmp/out" | head -c 600)"; fi
# Its text counts jobs, not groups, and a group says how many it trains.
expect 0 "$saturn" plan "$src/workloads/lr-sweep.yaml" --store "$tmp/sweep.db" --run-dir "$tmp/sweep-text"
grep -Eq "fused x1 \([248] jobs\)" "$tmp/out" && ok || bad "plan: a fused group without its job count: $(head -c 600 "$tmp/out")"
# ... and `saturn run` trains the fused groups: each as one worker group,
# every job done with its own result, one attempt each, all in one process.
expect 0 "$saturn" run "$src/workloads/lr-sweep.yaml" --store "$tmp/sweep.db" --run-dir "$tmp/sweep-run" --no-profile
has "$tmp/err" "(initial): 8 jobs, makespan"
expect 0 "$saturn" status "$tmp/sweep-run" --json
if python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
att = d["attempts"]
ok = len(att) == 8 and all(a["outcome"] == "done" and a["technique"] == "fused" and a["step_end"] == 200 for a in att)
ok = ok and len({a["pid"] for a in att}) < len(att)  # groups: fewer processes than jobs
ok = ok and all(j["status"] == "done" for j in d["jobs"])
sys.exit(0 if ok else 1)' "$tmp/out"; then ok; else bad "lr-sweep run: fused groups trained: $(head -c 800 "$tmp/out")"; fi
for f in "$tmp"/sweep-run/jobs/gpt/*/result.json; do
  if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["steps"] == 200 and d["fused"] >= 2 else 1)' "$f"; then ok; else bad "$f: a fused job's result"; fi
done
# A fused run stopped by SIGTERM (every group checkpoints, exit 143) resumes
# with the same groups: every job's final loss bit-identical to the run above.
"$saturn" run "$src/workloads/lr-sweep.yaml" --store "$tmp/sweep.db" --run-dir "$tmp/sweep-cut" --no-profile \
  >/dev/null 2>"$tmp/cut.err" &
pid=$!
for _ in $(seq 300); do
  [ "$(cat "$tmp"/sweep-cut/jobs/gpt/*/metrics.jsonl 2>/dev/null | wc -l)" -ge 16 ] && break
  sleep 0.05
done
kill -TERM $pid
wait $pid
rc=$?
[ $rc = 143 ] && ok || bad "fused run, SIGTERM: exit $rc: $(tail -3 "$tmp/cut.err")"
expect 0 "$saturn" run "$src/workloads/lr-sweep.yaml" --store "$tmp/sweep.db" --run-dir "$tmp/sweep-cut" --no-profile
has "$tmp/err" "from step"
finals() { for f in "$1"/jobs/gpt/*/result.json; do python3 -c 'import json,sys; print(sys.argv[1].split("/")[-2], repr(json.load(open(sys.argv[1]))["final_loss"]))' "$f"; done; }
if cmp -s <(finals "$tmp/sweep-run") <(finals "$tmp/sweep-cut"); then ok; else
  bad "fused run resumed after SIGTERM: final losses differ: $(diff <(finals "$tmp/sweep-run") <(finals "$tmp/sweep-cut"))"; fi

# A trial worker timing three strategies: each setting's own rank file; a
# later setting's fixed cost is the process's start and its own set-up, not
# the settings timed before it; each peak is its own.
job=$("$saturn" jobs "$src/workloads/lr-sweep.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])')
expect 0 "$saturn" worker "$src/workloads/lr-sweep.yaml" --job "$job" --run-dir "$tmp/batch" --trial --no-resume \
  --technique single --also fused:k=4 --also single
if python3 - "$tmp/batch" <<'PY'; then ok; else bad "a batch trial's files: $(find "$tmp/batch")"; fi
import json, sys
d = sys.argv[1]
r = [json.load(open(f"{d}{p}/trial/rank-0.json")) for p in ("", "/also-1", "/also-2")]
assert all(x["feasible"] and x["step_time"] > 0 and x["startup_s"] > 0 and x["peak_memory"] > 0 for x in r), r
assert r[1]["step_time"] > r[0]["step_time"], r            # four fused copies step slower than one
assert r[2]["startup_s"] < r[0]["startup_s"] + r[0]["steps"] * r[0]["step_time"] + r[1]["steps"] * r[1]["step_time"], r
PY
expect 64 "$saturn" worker "$src/workloads/lr-sweep.yaml" --job "$job" --run-dir "$tmp/batch2" --trial --also zero
has "$tmp/err" "--also: \"zero\" is not a strategy the engine runs"
one_line
expect 64 "$saturn" worker "$src/workloads/lr-sweep.yaml" --job "$job" --run-dir "$tmp/batch3" --also single
has "$tmp/err" "--also: only with --trial"
[ ! -e "$tmp/batch2" ] && [ ! -e "$tmp/batch3" ] && ok || bad "a refused worker wrote its run dir"

echo "profile: $pass passed, $fail failed"
[ "$fail" = 0 ]
