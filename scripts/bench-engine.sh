#!/usr/bin/env bash
# Engine benchmark: single-device training steps/s of saturn's `gpt` against
# the same architecture in PyTorch Python, eager and under torch.compile
# (scripts/bench/gpt_reference.py), with the same torch saturn links (its
# Python environment, scripts/lib/env.sh), threads, batch and sequence
# length, measured in one run, interleaved, median of RUNS.
# Usage: scripts/bench-engine.sh [RUNS]      env: THREADS (default 1), SIZES (names, default all)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh
runs=${1:-3}
threads=${THREADS:-1}
scripts/build.sh >/dev/null
saturn=$PWD/build/bin/saturn
py=$saturn_python
"$py" -c 'import torch' 2>/dev/null || { echo "bench-engine: $py cannot import torch (run scripts/setup.sh)" >&2; exit 69; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name layers width heads seq_len batch steps
sizes=(
  "tiny 2 128 4 64 8 200"
  "small 4 256 8 128 4 60"
  "medium 6 384 6 128 2 40"
)
warmup=5
vocab=256

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

{
  echo "name: bench-engine"
  echo "cluster: {nodes: [{name: local, devices: {kind: cpu, count: 1, threads: $threads}}]}"
  echo "data: {train: {format: synthetic, samples: 100000}}"
  echo "models:"
  for s in "${sizes[@]}"; do
    read -r name layers width heads seq batch steps <<<"$s"
    echo "  - {name: $name, arch: gpt, config: {layers: $layers, width: $width, heads: $heads, seq_len: $seq, vocab: $vocab}, grid: {batch_size: $batch}}"
  done
  echo "search: {grid: {lr: 1e-3}}"
  echo "train: {steps: 1000, log_every: 1, eval_batches: 1}"
} >"$tmp/w.yaml"

echo "torch: $("$py" -c 'import torch; print(torch.__version__, [l for l in torch.__config__.parallel_info().splitlines() if "backend" in l][0].strip())' 2>/dev/null); threads: $threads; runs: $runs"
printf '%-8s %6s %6s %5s %4s  %11s %11s %11s  %8s %8s\n' size params seq batch thr "saturn st/s" "eager st/s" "compile st/s" "/eager" "/compile"
for s in "${sizes[@]}"; do
  read -r name layers width heads seq batch steps <<<"$s"
  if [ -n "${SIZES:-}" ] && ! grep -qw "$name" <<<"$SIZES"; then continue; fi
  ours=() theirs=() compiled=()
  for run in $(seq "$runs"); do
    rm -rf "$tmp/run"
    "$saturn" worker "$tmp/w.yaml" --job "$name" --run-dir "$tmp/run" --steps "$steps" --threads "$threads" 2>/dev/null
    ours+=("$(python3 -c 'import json,sys
L=[json.loads(l) for l in open(sys.argv[1]) if "\"loss\"" in l]
w=int(sys.argv[2]); print("%.4f" % ((L[-1]["step"]-L[w-1]["step"])/(L[-1]["time"]-L[w-1]["time"])))' \
      "$tmp/run/jobs/$name/metrics.jsonl" "$warmup")")
    theirs+=("$("$py" scripts/bench/gpt_reference.py "$layers" "$width" "$heads" "$seq" "$vocab" "$batch" "$steps" "$warmup" "$threads" eager 2>/dev/null)")
    compiled+=("$("$py" scripts/bench/gpt_reference.py "$layers" "$width" "$heads" "$seq" "$vocab" "$batch" "$steps" "$warmup" "$threads" compile 2>/dev/null)")
  done
  a=$(printf '%s\n' "${ours[@]}" | median)
  b=$(printf '%s\n' "${theirs[@]}" | median)
  c=$(printf '%s\n' "${compiled[@]}" | median)
  params=$(python3 -c "L,W,V,T=$layers,$width,$vocab,$seq; print('%.1fM' % ((12*W*W+13*W)*L/1e6 + (V+T)*W/1e6 + 2*W/1e6))")
  printf '%-8s %6s %6s %5s %4s  %11.2f %11.2f %11.2f  %7.2fx %7.2fx\n' "$name" "$params" "$seq" "$batch" "$threads" "$a" "$b" "$c" \
    "$(python3 -c "print($a/$b)")" "$(python3 -c "print($a/$c)")"
done
echo "(median of $runs runs each; steps/s after $warmup warm-up steps, which hold torch.compile's compilation; ratios = saturn / PyTorch)"
