#!/usr/bin/env bash
# Checkpoint overhead: what the default time-based checkpoints
# (train.checkpoint_every: 10m) cost in training time, for the quickstart's
# gpt-small, a GPT-2-small-shaped model (12 x 768) and a 1B-parameter-shaped
# GPT (20 x 2048) on one CPU device.
#
# Each model trains STEPS steps three times in one run (`saturn worker`,
# result.json's training time): checkpoint_every 0 (only at the end), the
# default (10m), and 1 (every step). A checkpoint's cost is (every step -
# only at the end) / (STEPS - 1); the default's overhead is that cost per 10
# minutes of training (or per 60 checkpoint times, when longer: the default
# keeps checkpoints under 2%), and the default's measured time against the
# end-only time is shown too (a run shorter than 10 minutes writes no extra one).
# Medians of RUNS rounds.
#
# Usage: scripts/bench-checkpoint.sh [RUNS (default 3)] [MODELS (default "small gpt2 1b")]
# Needs a build (scripts/build.sh), about 20 GB of memory for the 1B model
# and 3 x 12 GB of disk in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
models=${2:-small gpt2 1b}
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-checkpoint: build first (scripts/build.sh)" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name: config, batch, steps
declare -A config=(
  [small]="{layers: 4, width: 128, heads: 4, seq_len: 64}"
  [gpt2]="{layers: 12, width: 768, heads: 12, seq_len: 64}"
  [1b]="{layers: 20, width: 2048, heads: 16, seq_len: 32}"
)
declare -A batch=([small]=16 [gpt2]=8 [1b]=1)
declare -A steps=([small]=40 [gpt2]=8 [1b]=3)

workload() {  # NAME CHECKPOINT_EVERY
  cat <<EOF
name: ckpt-$1
cluster:
  nodes:
    - name: local
      devices: {kind: cpu, count: 1, memory: 24GiB, threads: 2}
data:
  train: {format: text, path: $PWD/workloads/data/corpus.txt}
  valid_fraction: 0.1
models:
  - name: m
    arch: gpt
    config: ${config[$1]}
search:
  grid:
    lr: 1e-4
    batch_size: ${batch[$1]}
train:
  steps: ${steps[$1]}
  eval_every: 0
  eval_batches: 1
  checkpoint_every: $2
techniques: [single]
EOF
}

for m in $models; do
  for c in 0 10m 1; do workload "$m" "$c" >"$tmp/$m-$c.yaml"; done
done
for run in $(seq "$runs"); do
  for m in $models; do
    for c in 0 10m 1; do
      out="$tmp/run-$m-$c-$run"
      /usr/bin/time -f "%M" -o "$out.rss" "$saturn" worker "$tmp/$m-$c.yaml" --job m \
        --run-dir "$out" --devices cpu --threads 2 >"$out.log" 2>&1 ||
        { echo "bench-checkpoint: $m checkpoint_every $c failed: $(tail -n 1 "$out.log")" >&2; exit 1; }
      du -sb "$out/jobs/m/ckpt/"*.pt | tail -n 1 | cut -f1 >"$out.bytes"
      python3 -c 'import json, sys; d=json.load(open(sys.argv[1])); print(d.get("train_s", d.get("wall_s")))' "$out/jobs/m/result.json" >"$out.wall"
      rm -rf "$out/jobs"  # the disk back for the next
    done
  done
done

python3 - "$tmp" "$runs" "$models" <<'PY'
import json, os, statistics, sys
tmp, runs, models = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
steps = {"small": 40, "gpt2": 8, "1b": 3}
def wall(m, c, r):  # result.json's train_s: the training time, checkpoints included
    return float(open(f"{tmp}/run-{m}-{c}-{r}.wall").read())
print(f"{'model':<6} {'checkpoint':>10} {'steps':>5} {'end only':>9} {'every step':>10} {'per ckpt':>9} "
      f"{'default 10m':>11} {'vs end only':>11} {'interval':>8} {'overhead':>8} {'peak RSS':>9}")
for m in models:
    med = lambda c: statistics.median(wall(m, c, r) for r in range(1, runs + 1))
    none, every, default = med("0"), med("1"), med("10m")
    size = int(open(f"{tmp}/run-{m}-1-1.bytes").read())
    per = (every - none) / (steps[m] - 1)
    interval = max(600, 60 * per)  # train.checkpoint_every 10m under the 2% rule (checkpoint_interval)
    rss = max(int(open(f"{tmp}/run-{m}-{c}-{r}.rss").read().split()[-1]) for c in ("0", "1", "10m")
              for r in range(1, runs + 1)) / 1024 / 1024
    print(f"{m:<6} {size / 1e6:>8.1f}MB {steps[m]:>5} {none:>8.2f}s {every:>9.2f}s {per:>8.3f}s "
          f"{default:>10.2f}s {default / none:>10.3f}x {interval:>7.0f}s {100 * per / interval:>7.2f}% {rss:>7.1f}GB")
PY
