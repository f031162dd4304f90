#!/usr/bin/env bash
# End-to-end: the real saturn binary on every workload in workloads/, plus
# usage errors, bad and missing files, and their exit codes.
# Usage: tests/e2e/cli.sh SATURN_BINARY SOURCE_DIR
. "$(dirname "$0")/lib.sh"
# same STRING FILE: FILE's content equals STRING.
same() {
  if [ "$1" = "$(cat "$2")" ]; then ok; else bad "expected <$1>, got <$(cat "$2")>"; fi
}
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$1" "$2"; }
mkdir -p "$tmp/data" && cp "$src/workloads/data/corpus.txt" "$src/workloads/data/chat.jsonl" "$tmp/data/"
cp -r "$src/workloads/hf" "$tmp/hf"  # hf-plan.yaml's model folders (config.json only)
cp -r "$src/workloads/finetune" "$tmp/finetune"  # finetune.yaml's model folder (config and tokenizer)
export XDG_CACHE_HOME=$tmp/cache  # the profile store and the token cache (validate reads them, writing nothing)
snapshot() { (cd "$src" && find workloads -exec stat -c '%n %s %Y' {} + | sort); }
snapshot >"$tmp/before"

# --help, --version, usage errors
expect 0 "$saturn" --help
grep -q "validate" "$tmp/out" && ok || bad "--help does not list validate"
expect 0 "$saturn" --version
same "saturn 0.1.0" "$tmp/out"
# Each usage error is one line naming the nearest real name and where to read.
usage() {  # usage LINE ARGS...: exit 64 with exactly LINE on stderr, nothing written
  local want=$1; shift
  expect 64 "$saturn" "$@"
  same "$want" "$tmp/err"
}
q=$src/workloads/quickstart.yaml
usage "saturn: a command is required: validate, jobs, data, profile, plan, run, status, report, worker, export, generate (saturn --help)"
usage "saturn: unknown command \"frobnicate\" (saturn --help)" frobnicate
usage "saturn: unknown command \"plam\"; did you mean plan? (saturn --help)" plam "$q"
usage "saturn: unknown option --verison; did you mean --version? (saturn --help)" --verison
usage "saturn validate: workload is required (saturn validate --help)" validate
usage "saturn jobs: unknown option --no-such-flag (saturn jobs --help)" jobs --no-such-flag "$q"
usage "saturn run: unknown option --dryrun; did you mean --dry-run? (saturn run --help)" run "$q" --dryrun
usage "saturn run: unknown option --time-limt; did you mean --time-limit? (saturn run --help)" run "$q" --time-limt=3s
usage "saturn plan: unexpected argument \"extra\" (saturn plan --help)" plan "$q" extra
# Whole-number flags: one rule and one message, the same for plan and run.
usage "saturn plan: --threads: expected a whole number of at least 1, got \"0\" (saturn plan --help)" plan "$q" --threads 0
usage "saturn run: --threads: expected a whole number of at least 1, got \"0\" (saturn run --help)" run "$q" --threads 0 --dry-run
usage "saturn run: --max-restarts: expected a whole number of at least 0, got \"-1\" (saturn run --help)" run "$q" --max-restarts -1 --dry-run
usage "saturn plan: --threads: expected a whole number of at least 1, got \"two\" (saturn plan --help)" plan "$q" --threads two

# Data without one sequence (an empty text file): one line, exit 65, for
# validate and for a run before any work.
mkdir -p "$tmp/empty/data" && : >"$tmp/empty/data/corpus.txt" && cp "$src/workloads/quickstart.yaml" "$tmp/empty/"
expect 65 "$saturn" validate "$tmp/empty/quickstart.yaml"
has "$tmp/err" "holds not one sequence"
one_line
expect 65 "$saturn" run "$tmp/empty/quickstart.yaml"
has "$tmp/err" "holds not one sequence"
[ ! -e "$tmp/empty/runs" ] && ok || bad "a run on empty data wrote its run directory"

# every workload validates and lists its jobs as JSON
for w in "$src"/workloads/*.yaml; do
  expect 0 "$saturn" validate "$w"
  grep -q ": ok: workload" "$tmp/out" && ok || bad "validate $w printed $(cat "$tmp/out")"
  expect 0 "$saturn" validate --json "$w"
  [ "$(json_get "$tmp/out" "['valid']")" = "True" ] && ok || bad "validate --json $w"
  expect 0 "$saturn" jobs --json "$w"
  n=$(json_get "$tmp/out" "['jobs'].__len__()") && [ "$n" -ge 1 ] && ok || bad "jobs --json $w: no jobs"
  [ ! -s "$tmp/err" ] && ok || bad "jobs --json $w wrote to stderr: $(cat "$tmp/err")"
  expect 0 "$saturn" jobs "$w"
  expect 0 "$saturn" jobs --shapes "$w"
  # canonical YAML validates again and is a fixed point
  expect 0 "$saturn" validate --canonical "$w"
  cp "$tmp/out" "$tmp/canonical.yaml"
  expect 0 "$saturn" validate --canonical "$tmp/canonical.yaml"
  cmp -s "$tmp/out" "$tmp/canonical.yaml" && ok || bad "canonical form of $w is not a fixed point"
done

# a sampled search: 16 seeded trials, previewed with their draws
expect 0 "$saturn" jobs "$src/workloads/lr-random.yaml"
has "$tmp/out" "gpt/trial=1,lr=0.0168,wd=0.0971"
has "$tmp/out" "gpt/trial=16,lr="

# the paper grid: 12 jobs, 4 shapes
expect 0 "$saturn" jobs --json "$src/workloads/saturn-txt.yaml"
same 12 <(json_get "$tmp/out" "['jobs'].__len__()")
same 4 <(json_get "$tmp/out" "['shapes'].__len__()")
same "gpt2-1.5b/lr=1e-5,bs=16" <(json_get "$tmp/out" "['jobs'][0]['id']")
expect 0 "$saturn" jobs "$src/workloads/saturn-txt.yaml"
tail -n 1 "$tmp/out" >"$tmp/last"
same "12 jobs, 4 shapes (workload saturn-txt)" "$tmp/last"

# a bad workload: exit 65, one line naming file:line:col and the field
sed 's/    lr: \[1e-3, 3e-3\]/    lr: [1e-3, fast]/' "$src/workloads/quickstart.yaml" >"$tmp/bad.yaml"
expect 65 "$saturn" validate "$tmp/bad.yaml"
line=$(grep -n 'fast' "$tmp/bad.yaml" | cut -d: -f1)
same "$tmp/bad.yaml:$line:16: search.grid.lr[1]: expected a positive number, got \"fast\"" "$tmp/err"
[ ! -s "$tmp/out" ] && ok || bad "a failed validate printed to stdout"
expect 65 "$saturn" validate --json "$tmp/bad.yaml"
same False <(json_get "$tmp/out" "['valid']")
same 65 <(json_get "$tmp/out" "['exit_code']")
expect 65 "$saturn" jobs "$tmp/bad.yaml"
# several errors: each its own line, in file order, the first's exit code;
# what depends on a part that failed (the grid on the models) is not checked
sed -e 's/^    arch: gpt$/    arch: gtp/' -e 's/^  steps: 100/  steps: -1/' -e 's/^        count: 2/        count: two/' \
  "$tmp/bad.yaml" >"$tmp/multi.yaml"
expect 65 "$saturn" validate "$tmp/multi.yaml"
cat >"$tmp/want" <<EOF
$tmp/multi.yaml:10:16: cluster.nodes[0].devices.count: expected a whole number from 1 to 1024, got "two"
$tmp/multi.yaml:22:11: models[0].arch: unknown value "gtp", did you mean "gpt"?
$tmp/multi.yaml:25:11: models[1].arch: unknown value "gtp", did you mean "gpt"?
$tmp/multi.yaml:34:10: train.steps: expected a whole number >= 1, got "-1"
EOF
cmp -s "$tmp/want" "$tmp/err" && ok || bad "validate, several errors: $(cat "$tmp/err")"
expect 65 "$saturn" validate --json "$tmp/multi.yaml"
same 4 <(json_get "$tmp/out" "['errors'].__len__()")
expect 65 "$saturn" run "$tmp/multi.yaml" --run-dir "$tmp/multi-run"
same "$tmp/multi.yaml:10:16: cluster.nodes[0].devices.count: expected a whole number from 1 to 1024, got \"two\"" "$tmp/err"

# a missing workload: 66; a missing data file: 66 with the path
expect 66 "$saturn" validate "$tmp/nope.yaml"
same "$tmp/nope.yaml: cannot read workload: No such file or directory" "$tmp/err"
rm "$tmp/data/corpus.txt"
cp "$src/workloads/quickstart.yaml" "$tmp/q.yaml"
expect 66 "$saturn" validate "$tmp/q.yaml"
grep -q "data.train.path: file not found: \"$tmp/data/corpus.txt\"" "$tmp/err" && ok || bad "missing data: $(cat "$tmp/err")"

# cluster: slurm outside a Slurm job: planned (--slurm-script), never run
expect 69 env -u SLURM_JOB_ID "$saturn" run "$src/workloads/slurm.yaml" --run-dir "$tmp/slurm-run"
same "cluster: slurm: not inside a Slurm job (SLURM_JOB_ID is unset): submit it with sbatch (saturn run --slurm-script prints a script), or list the nodes under cluster.nodes" "$tmp/err"
[ ! -e "$tmp/slurm-run" ] && ok || bad "a refused run wrote its run directory"
expect 0 env -u SLURM_JOB_ID "$saturn" run "$src/workloads/quickstart.yaml" --slurm-script --run-dir "$tmp/q-run"
grep -q "^#SBATCH --ntasks-per-node=2 " "$tmp/out" && ok || bad "--slurm-script: $(cat "$tmp/out")"
grep -q "^#SBATCH --cpus-per-task=1$" "$tmp/out" && ok || bad "--slurm-script: cpus: $(cat "$tmp/out")"
grep -q -- "--gres" "$tmp/out" && bad "--slurm-script asked CPU devices for GPUs" || ok
bin=$(readlink -f "$saturn")
grep -qxF "exec $bin run $src/workloads/quickstart.yaml --run-dir $tmp/q-run" "$tmp/out" && ok || bad "--slurm-script: exec: $(cat "$tmp/out")"
has "$tmp/out" "# The workload lists its node: saturn trains on the node this job is given"
[ ! -e "$tmp/q-run" ] && ok || bad "--slurm-script wrote the run directory"
# Relative paths become absolute (the job runs wherever sbatch starts it);
# every option given is kept; partition, account, QOS and more #SBATCH lines.
# (On a copy: the default run directory beside the workload is not the
# repository's, where the README's quickstart leaves its run.)
mkdir -p "$tmp/rel/workloads/data" && cp "$src/workloads/quickstart.yaml" "$tmp/rel/workloads/" &&
  cp "$src/workloads/data/corpus.txt" "$tmp/rel/workloads/data/"
(cd "$tmp/rel" && env -u SLURM_JOB_ID "$saturn" run workloads/quickstart.yaml --slurm-script --store "$tmp/none/p.db" \
  --max-restarts 5 --time-limit 3s --partition gpu --account ml --qos high --sbatch=--mail-type=END) >"$tmp/out" 2>"$tmp/err"
grep -qxF "exec $bin run $tmp/rel/workloads/quickstart.yaml --store $tmp/none/p.db --time-limit 3s --max-restarts 5" "$tmp/out" &&
  ok || bad "--slurm-script: options: $(cat "$tmp/out") $(cat "$tmp/err")"
grep -qx "#SBATCH --partition=gpu" "$tmp/out" && grep -qx "#SBATCH --account=ml" "$tmp/out" && grep -qx "#SBATCH --qos=high" "$tmp/out" &&
  grep -qx "#SBATCH --mail-type=END" "$tmp/out" && ok || bad "--slurm-script: #SBATCH options: $(cat "$tmp/out")"
[ ! -e "$tmp/none" ] && ok || bad "--slurm-script created the store"
# An empty store: the job measures what can change the plan first (profile:
# auto), and its time limit counts it.
grep -Eq "^# saturn run for workload quickstart: 8 jobs, planned to take .* on 1 x 2 cpu(, after measuring [1-4] trial\(s\) \(about .*\))?\.$" "$tmp/out" &&
  grep -Eq "^#SBATCH --time=.*   # the plan's makespan( \+ measurement)? \+ 25% \+ 10 min$" "$tmp/out" &&
  ok || bad "--slurm-script: profiling: $(head -3 "$tmp/out")"
expect 64 "$saturn" run "$tmp/rel/workloads/quickstart.yaml" --dry-run --partition gpu
same "--partition: only with --slurm-script" "$tmp/err"
mkdir -p "$tmp/two/data" && cp "$src/workloads/data/corpus.txt" "$tmp/two/data/"
sed 's/^    - name: local$/    - name: local\n      replicas: 2/' "$src/workloads/quickstart.yaml" >"$tmp/two/two.yaml"
expect 64 "$saturn" run "$tmp/two/two.yaml" --slurm-script
same "--slurm-script: the workload lists 2 nodes; say \`cluster: slurm\` so the job plans on the nodes Slurm gives it" "$tmp/err"

# Warnings of what this machine lacks: one line each, and the dry run goes on.
cores=$(nproc)
mkdir -p "$tmp/warn/data" && cp "$src/workloads/data/corpus.txt" "$tmp/warn/data/"
sed "s/^        count: 2$/        count: $((cores + 1))/" "$src/workloads/quickstart.yaml" >"$tmp/warn/busy.yaml"
expect 0 "$saturn" run "$tmp/warn/busy.yaml" --dry-run
has "$tmp/err" "run: warning: the cluster's cpu devices use $((cores + 1)) threads ($((cores + 1)) devices) on this machine's $cores cores: jobs slow each other down and measured steps mislead the plan; lower devices.count or devices.threads"
[ "$(grep -c "run: warning" "$tmp/err")" = 1 ] && ok || bad "one warning expected: $(cat "$tmp/err")"
if [ ! -e /dev/nvidiactl ]; then
  sed -e 's/^        kind: cpu$/        kind: cuda\n        model: H100-80GB/' -e '/^        memory: 2GiB$/d' -e '/^        threads: 1$/d' \
    "$src/workloads/quickstart.yaml" >"$tmp/warn/gpu.yaml"
  expect 0 "$saturn" run "$tmp/warn/gpu.yaml" --dry-run
  has "$tmp/err" "run: warning: node local lists cuda devices and this machine has none: their jobs cannot start here (saturn plan plans for another machine; so does cluster: slurm)"
  expect 0 "$saturn" plan "$tmp/warn/gpu.yaml" --run-dir "$tmp/warn/plan"
  grep -q "warning" "$tmp/err" && bad "plan warned of this machine: $(cat "$tmp/err")" || ok
fi
expect 0 "$saturn" run "$src/workloads/quickstart.yaml" --dry-run --run-dir "$tmp/q-dry"
grep -q "warning" "$tmp/err" && bad "the quickstart warned: $(cat "$tmp/err")" || ok

# nothing was written next to the workloads
snapshot >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok || bad "files under workloads/ changed: $(diff "$tmp/before" "$tmp/after")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
