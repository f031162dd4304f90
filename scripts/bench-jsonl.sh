#!/usr/bin/env bash
# JSON Lines benchmark, in the same run, interleaved, median of RUNS: a
# generated file of MB megabytes of prompt/completion records
# (scripts/bench/make_jsonl.py) tokenized with the small Llama's tokenizer
# (workloads/finetune/tiny-llama), the prompts masked, and packed into
# sequences of 257 ids, by
#   saturn:    `saturn plan` of a one-job workload on it with an empty token
#              cache (read, render, tokenize, mask, split by record, pack,
#              write the cache; then plan), one thread;
#   reference: the datasets + tokenizers pipeline a Python user writes
#              (scripts/bench/jsonl_reference.py: load_dataset, map
#              tokenize, map group_texts), tokenizers on one thread;
# then saturn's cache hit: `saturn plan` again, the packed set found.
# Usage: scripts/bench-jsonl.sh [RUNS] [MB]     (defaults 3, 100)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mb=${2:-100}
. scripts/lib/env.sh
. scripts/lib/bench.sh
py=$saturn_python
scripts/build.sh >/dev/null
saturn=$PWD/build/bin/saturn
tokenizer=$PWD/workloads/finetune/tiny-llama/tokenizer.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "bench-jsonl: generating $mb MB of records ..." >&2
python3 scripts/bench/make_jsonl.py "$mb" "$tmp/data.jsonl"
cat >"$tmp/w.yaml" <<YAML
name: pack
cluster: {nodes: [{name: local, devices: {kind: cpu, count: 1, memory: 4GiB, threads: 1}}]}
data:
  train: {format: jsonl, path: $tmp/data.jsonl}
  tokenizer: $tokenizer
models: [{name: m, arch: llama, config: {layers: 1, width: 64, heads: 2, kv_heads: 2, vocab: 1024, seq_len: 256}}]
search: {grid: {lr: 1e-3, batch_size: 8}}
train: {epochs: 1}
YAML
now() { python3 -c 'import time; print(time.perf_counter())'; }
for i in $(seq "$runs"); do
  rm -rf "$tmp/cache" "$tmp/runs"
  t0=$(now)
  XDG_CACHE_HOME=$tmp/cache "$saturn" plan "$tmp/w.yaml" --store "$tmp/p.db" --threads 1 >/dev/null 2>&1
  t1=$(now)
  XDG_CACHE_HOME=$tmp/cache "$saturn" plan "$tmp/w.yaml" --store "$tmp/p.db" --threads 1 >/dev/null 2>&1
  t2=$(now)
  python3 -c 'import json,sys; print(json.dumps({"pack_s": float(sys.argv[2]) - float(sys.argv[1]), "hit_s": float(sys.argv[3]) - float(sys.argv[2])}))' "$t0" "$t1" "$t2" >>"$tmp/saturn"
  rm -rf "$tmp/hf"
  "$py" scripts/bench/jsonl_reference.py "$tmp/data.jsonl" "$tokenizer" 256 "$tmp/hf" 2>/dev/null >>"$tmp/reference"
done
s=$(col pack_s "$tmp/saturn") h=$(col hit_s "$tmp/saturn") r=$(col seconds "$tmp/reference")
tokens=$(col tokens "$tmp/reference")
meta=$(ls "$tmp"/cache/saturn/tokens/jsonl-*.json)
echo "| $mb MB of prompt/completion JSONL, 1 thread | saturn | reference | ratio |"
echo "|---|---|---|---|"
printf "| tokenize, mask and pack (s) | %.2f | %.2f (datasets + tokenizers) | %s faster |\n" "$s" "$r" "$(ratio "$r" "$s")"
printf "| throughput (MB/s) | %.1f | %.1f | |\n" "$(python3 -c "print($mb / $s)")" "$(python3 -c "print($mb / $r)")"
printf "| cache hit: saturn plan again (s) | %.2f | | |\n" "$h"
echo "(reference: $tokens ids; saturn: $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["train"]["tokens"] + m["valid"]["tokens"], "ids laid out,", m["train"]["samples"], "train and", m["valid"]["samples"], "valid samples")' "$meta"))"
