#!/usr/bin/env bash
# Masked, packed jsonl data through the real binary (CPU): prompt/completion
# records (scripts/bench/make_jsonl.py) with the loss on the completions
# only. Every technique's losses agree with one device's (the mean over a
# batch's trained tokens, however it is cut), fused jobs with separate ones,
# LoRA too, and a run stopped by SIGTERM resumes bit-identically mid-epoch.
# Usage: tests/train/jsonl.sh SATURN_BINARY SOURCE_DIR
set -u
saturn=$1
src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME=$tmp/cache
python3 "$src/scripts/bench/make_jsonl.py" 0.3 "$tmp/pairs.jsonl"
wl=$tmp/pairs.yaml
cat >"$wl" <<YAML
name: pairs
cluster: {nodes: [{name: local, devices: {kind: cpu, count: 2, memory: 1GiB}}]}
data:
  train: {format: jsonl, path: $tmp/pairs.jsonl}
  tokenizer: $src/workloads/finetune/tiny-llama/tokenizer.json
  valid_fraction: 0.1
models:
  - name: llama
    arch: llama
    config: {layers: 2, width: 32, heads: 2, kv_heads: 1, vocab: 1024, seq_len: 64}
  - name: lora
    arch: llama
    config: {layers: 2, width: 32, heads: 2, kv_heads: 1, vocab: 1024, seq_len: 64}
    finetune: {method: lora, lora: {rank: 4}}
    grid: {lr: 3e-3, seed: 1}
search:
  grid:
    lr: [1e-3, 3e-3]
    seed: [1, 2]
    batch_size: 8
train:
  steps: 60
  log_every: 1
  eval_every: 20
  eval_batches: 2
  checkpoint_every: 20
YAML
job="llama/lr=1e-3,seed=1"
worker "$wl" --job "$job" --run-dir "$tmp/one"
check "one device: 60 steps on packed, masked data" [ $? = 0 ]
check "one device: the validation loss falls (steps 20 to 60)" python3 -c 'import json,sys
E=[json.loads(l)["eval_loss"] for l in open(sys.argv[1]) if "eval_loss" in l]
sys.exit(0 if len(E) == 3 and E[2] < E[0] < 6.93 else 1)' "$(metrics "$tmp/one" "$job")"
for t in "cpu,cpu" "cpu,cpu/fsdp" "cpu/spill" "cpu/--micro-batch=2" "cpu,cpu/--micro-batch=3" "cpu,cpu/pipeline"; do
  devices=${t%%/*}
  rest=${t#"$devices"}
  rest=${rest#/}
  args=(--devices "$devices")
  case $rest in --*) args+=("${rest%%=*}" "${rest#*=}") ;; "") ;; *) args+=(--technique "$rest") ;; esac
  tol=1e-5
  [ "$rest" = pipeline ] && tol=1e-4
  worker "$wl" --job "$job" --run-dir "$tmp/run-${t//\//_}" "${args[@]}"
  check "$t: exit 0" [ $? = 0 ]
  check "$t: losses within $tol of one device's" close "$(metrics "$tmp/run-${t//\//_}" "$job")" "$(metrics "$tmp/one" "$job")" $tol
done

# Fused: 4 jobs (two seeds, each drawing its own order) against each alone.
mapfile -t args < <(for p in "lr=1e-3,seed=1" "lr=1e-3,seed=2" "lr=3e-3,seed=1" "lr=3e-3,seed=2"; do printf -- '--job\nllama/%s\n' "$p"; done)
worker "$wl" "${args[@]}" --technique fused --run-dir "$tmp/fused"
check "fused: 4 jobs (exit 0)" [ $? = 0 ]
for p in "lr=1e-3,seed=2" "lr=3e-3,seed=1"; do
  worker "$wl" --job "llama/$p" --run-dir "$tmp/alone"
  check "fused llama/$p: losses within 1e-5 of the job alone" close "$(metrics "$tmp/fused" "llama/$p")" "$(metrics "$tmp/alone" "llama/$p")" 1e-5
done

# LoRA on the same data: two devices agree with one.
worker "$wl" --job lora --run-dir "$tmp/lora1"
check "lora: one device (exit 0)" [ $? = 0 ]
worker "$wl" --job lora --run-dir "$tmp/lora2" --devices cpu,cpu
check "lora: two devices (exit 0)" [ $? = 0 ]
check "lora: losses within 1e-5 of one device's" close "$(metrics "$tmp/lora2" lora)" "$(metrics "$tmp/lora1" lora)" 1e-5

# SIGTERM mid-epoch, then resume: the same losses bit for bit.
interrupt "$tmp/cut" "$(metrics "$tmp/cut" "$job")" 30 "$wl" --job "$job" --run-dir "$tmp/cut" --steps 400
code=$?
check "SIGTERM exits 143" [ "$code" = 143 ]
worker "$wl" --job "$job" --run-dir "$tmp/cut" --steps 400
check "resumed run exits 0" [ $? = 0 ]
check "resumed from the checkpoint" grep -q "resumed $job from step" "$tmp/log"
worker "$wl" --job "$job" --run-dir "$tmp/whole" --steps 400
check "losses bit-identical to an uninterrupted run" \
  cmp -s <(losses "$(metrics "$tmp/whole" "$job")") <(losses "$(metrics "$tmp/cut" "$job")")
check "the packed set was made once" [ "$(ls "$tmp/cache/saturn/tokens/"jsonl-*.json | wc -l)" = 1 ]
echo "jsonl: $pass passed, $fail failed"
[ "$fail" = 0 ]
