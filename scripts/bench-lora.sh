#!/usr/bin/env bash
# LoRA benchmark, in the same run, interleaved, median of RUNS (one thread):
# an AdamW training step of the small Llama of workloads/finetune.yaml
# (scripts/make-finetune-model.py) at its full context, and each process's
# peak RSS, for saturn full fine-tuning, saturn LoRA (rank RANK, alpha
# 2 RANK, every projection) and peft's LoRA of the same model in PyTorch
# eager. Then fusion: K LoRA jobs of that model (K = 2, 4) fused on one
# shared base against the K jobs one after another: samples per second and
# peak memory of profiling trials (`saturn worker --trial --technique fused
# --copies K`, median step after warm-up). On CPU only (no GPU here;
# scripts/gpu/ runs saturn on one).
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

# --- fusion: K LoRA jobs on one base -----------------------------------------
cat >"$tmp/fused.yaml" <<YAML
name: bench-lora-fused
cluster: {nodes: [{name: local, devices: {kind: cpu, count: 1, threads: 1}}]}
data: {train: {format: synthetic, samples: 4096, seed: 1}}
models: [{name: m, from: $tmp/small}]
finetune: {method: lora, lora: {rank: $rank, alpha: $((2 * rank))}}
search: {grid: {lr: 1e-3, batch_size: $batch}}
train: {steps: 1000, optimizer: adamw}
YAML
saturn=$PWD/build/bin/saturn
for i in $(seq "$runs"); do
  for k in 1 2 4; do
    "$saturn" worker "$tmp/fused.yaml" --job m --run-dir "$tmp/f$k-$i" --trial --threads 1 \
      $([ "$k" -gt 1 ] && echo --technique fused --copies "$k") >/dev/null 2>"$tmp/f.err" ||
      { echo "bench-lora: fused trial K=$k failed: $(tail -1 "$tmp/f.err")" >&2; exit 1; }
    python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$tmp/f$k-$i/trial/rank-0.json" >>"$tmp/fused-$k"
  done
done
s1=$(col step_time "$tmp/fused-1") m1=$(col peak_memory "$tmp/fused-1")
echo
echo "| fused LoRA (batch $batch x 256 per job, 1 thread, rank $rank) | fused step (s) | samples/s fused vs one after another | peak memory fused vs K jobs side by side (MB) |"
echo "|---|---|---|---|"
for k in 2 4; do
  sk=$(col step_time "$tmp/fused-$k") mk=$(col peak_memory "$tmp/fused-$k")
  printf "| K = %d | %.4f (alone %.4f) | %.1f vs %.1f: %s | %.0f vs %.0f: %s |\n" "$k" "$sk" "$s1" \
    "$(python3 -c "print($k * $batch / $sk)")" "$(python3 -c "print($batch / $s1)")" "$(ratio "$(python3 -c "print($k / $sk)")" "$(python3 -c "print(1 / $s1)")")" \
    "$(python3 -c "print($mk / 2**20)")" "$(python3 -c "print($k * $m1 / 2**20)")" "$(ratio "$mk" "$(python3 -c "print($k * $m1)")")"
done
