#!/usr/bin/env bash
# Hugging Face benchmark, saturn against the reference libraries in the same
# run, interleaved, median of RUNS (one thread each where it matters):
#   load       a generated 1B-parameter Llama-shaped float32 checkpoint:
#              saturn's load (build + safetensors) vs transformers'
#              from_pretrained, and saturn's peak memory growth while loading
#              against the model's size;
#   tokenize   a 1.1 MB mixed-script corpus (tests/unit/tokenizer/reference.py)
#              with GPT-2- and Llama-3-style tokenizers: saturn vs tokenizers;
#   step       an AdamW training step of the small Llama of workloads/finetune.yaml
#              (scripts/make-finetune-model.py) at its full context: saturn vs
#              the same transformers model in PyTorch eager.
# Usage: scripts/bench-hf.sh [RUNS]     env: LAYERS (default 20: 1.07B parameters), BATCH (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
. scripts/lib/env.sh
. scripts/lib/bench.sh
py=$saturn_python
scripts/build.sh >/dev/null
cmake --build build --target saturn_bench_hf >/dev/null
bench=$PWD/build/bin/saturn_bench_hf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "bench-hf: generating the checkpoint, the corpus and the small model ..." >&2
"$py" scripts/bench/hf_reference.py make "$tmp/big" "${LAYERS:-20}" >"$tmp/big.json" 2>/dev/null
"$py" tests/unit/tokenizer/reference.py "$tmp/tok" >/dev/null 2>&1
"$py" scripts/make-finetune-model.py "$tmp/small" >/dev/null 2>&1
params=$(field parameters <"$tmp/big.json")

for i in $(seq "$runs"); do
  "$bench" load "$tmp/big" >>"$tmp/saturn-load"
  "$py" scripts/bench/hf_reference.py load "$tmp/big" 2>/dev/null >>"$tmp/hf-load"
  for style in gpt2 llama3; do
    "$bench" tokenize "$tmp/tok/$style/tokenizer.json" "$tmp/tok/corpus.txt" >>"$tmp/saturn-tok-$style"
    "$py" scripts/bench/hf_reference.py tokenize "$tmp/tok/$style/tokenizer.json" "$tmp/tok/corpus.txt" >>"$tmp/hf-tok-$style"
  done
  "$bench" step "$tmp/small" "${BATCH:-8}" 10 >>"$tmp/saturn-step"
  "$py" scripts/bench/hf_reference.py step "$tmp/small" "${BATCH:-8}" 10 2>/dev/null >>"$tmp/hf-step"
done

s_load=$(col seconds "$tmp/saturn-load") h_load=$(col seconds "$tmp/hf-load")
peak=$(col peak_rss_growth "$tmp/saturn-load") size=$(col model_bytes "$tmp/saturn-load")
echo "| benchmark | saturn | reference | saturn vs reference |"
echo "|---|---|---|---|"
printf "| load %s-parameter checkpoint (s) | %.2f | %.2f (from_pretrained) | %s faster |\n" "$params" "$s_load" "$h_load" "$(ratio "$h_load" "$s_load")"
printf "| peak memory while loading / model size | %s | | goal < 1.20x |\n" "$(ratio "$peak" "$size")"
for style in gpt2 llama3; do
  s=$(col mb_per_s "$tmp/saturn-tok-$style") h=$(col mb_per_s "$tmp/hf-tok-$style")
  printf "| tokenize 1.1 MB, %s style (MB/s, 1 thread) | %.2f | %.2f (tokenizers) | %s |\n" "$style" "$s" "$h" "$(ratio "$s" "$h")"
done
s=$(col step_s "$tmp/saturn-step") h=$(col step_s "$tmp/hf-step")
printf "| small llama AdamW step (s, batch %s x 256, 1 thread) | %.4f | %.4f (transformers eager) | %s faster |\n" \
  "${BATCH:-8}" "$s" "$h" "$(ratio "$h" "$s")"
