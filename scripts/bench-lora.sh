#!/usr/bin/env bash
# LoRA benchmark, in the same run, interleaved, median of RUNS (one thread):
# an AdamW training step of the small Llama of workloads/finetune.yaml
# (scripts/make-finetune-model.py) at its full context, and each process's
# peak RSS, for saturn full fine-tuning, saturn LoRA (rank RANK, alpha
# 2 RANK, every projection) and peft's LoRA of the same model in PyTorch
# eager. On CPU only (no GPU here; scripts/gpu/ runs saturn on one).
# Usage: scripts/bench-lora.sh [RUNS]     env: RANK (default 16), BATCH (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
rank=${RANK:-16}
batch=${BATCH:-8}
. scripts/lib/env.sh
. scripts/lib/bench.sh
py=$saturn_python
scripts/build.sh >/dev/null
cmake --build build --target saturn_bench_hf >/dev/null
bench=$PWD/build/bin/saturn_bench_hf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "bench-lora: making the small model ..." >&2
"$py" scripts/make-finetune-model.py "$tmp/small" >/dev/null 2>&1
for i in $(seq "$runs"); do
  "$bench" step "$tmp/small" "$batch" 10 >>"$tmp/full"
  "$bench" step "$tmp/small" "$batch" 10 "$rank" >>"$tmp/lora"
  "$py" scripts/bench/hf_reference.py step "$tmp/small" "$batch" 10 "$rank" 2>/dev/null >>"$tmp/peft"
done
f=$(col step_s "$tmp/full") l=$(col step_s "$tmp/lora") p=$(col step_s "$tmp/peft")
fm=$(col peak_rss_mb "$tmp/full") lm=$(col peak_rss_mb "$tmp/lora") pm=$(col peak_rss_mb "$tmp/peft")
echo "| benchmark (batch $batch x 256, 1 thread, rank $rank) | saturn | reference | ratio |"
echo "|---|---|---|---|"
printf "| AdamW step, LoRA vs full fine-tuning (s) | %.4f | %.4f (saturn full) | %s faster |\n" "$l" "$f" "$(ratio "$f" "$l")"
printf "| peak RSS, LoRA vs full fine-tuning (MB) | %.0f | %.0f (saturn full) | %s |\n" "$lm" "$fm" "$(ratio "$lm" "$fm")"
printf "| LoRA AdamW step, saturn vs peft (s) | %.4f | %.4f (peft, eager) | %s faster |\n" "$l" "$p" "$(ratio "$p" "$l")"
printf "| LoRA peak RSS, saturn vs peft (MB) | %.0f | %.0f (peft, eager) | %s |\n" "$lm" "$pm" "$(ratio "$lm" "$pm")"
