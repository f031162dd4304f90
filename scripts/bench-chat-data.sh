#!/usr/bin/env bash
# Chat data benchmark, in the same run, interleaved, median of RUNS: MB
# megabytes of chats (scripts/bench/make_chats.py, as JSON Lines; with
# FORMAT parquet, the same chats written as one parquet file by pyarrow,
# snappy, row groups of 10,000) read and rendered by a
# real chat template (Llama 3.2's, tests/unit/tokenizer/templates/) under the
# small chat model's tokenizer (workloads/finetune/tiny-chat), tokenized,
# the assistant turns masked, and packed into sequences of 257 ids, by
#   saturn:    `saturn plan` of a one-job workload on it with an empty token
#              cache (read, render in the Jinja interpreter, tokenize, mask,
#              split by record, pack, write the cache; then plan), one thread;
#   reference: datasets + apply_chat_template(tokenize=True) + group_texts
#              (scripts/bench/chat_reference.py), tokenizers on one thread
#              (no mask: transformers gives none without generation blocks);
# and checks the first 500 chats' ids are the same (saturn data --json).
# Usage: scripts/bench-chat-data.sh [RUNS] [MB] [FORMAT]   (defaults 3, 100, parquet; or jsonl)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mb=${2:-100}
format=${3:-parquet}
case $format in parquet | jsonl) ;; *) echo "bench-chat-data: FORMAT is parquet or jsonl, got $format" >&2; exit 64 ;; esac
. scripts/lib/env.sh
. scripts/lib/bench.sh
py=$saturn_python
scripts/build.sh >/dev/null
saturn=$PWD/build/bin/saturn
model=$PWD/workloads/finetune/tiny-chat
template=$PWD/tests/unit/tokenizer/templates/llama3.2.jinja
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "bench-chat-data: generating $mb MB of chats ..." >&2
python3 scripts/bench/make_chats.py "$mb" "$tmp/chats.jsonl"
data=$tmp/chats.jsonl
if [ "$format" = parquet ]; then
  data=$tmp/chats.parquet
  "$py" -c 'import sys, pyarrow.json as pj, pyarrow.parquet as pq; pq.write_table(pj.read_json(sys.argv[1]), sys.argv[2], row_group_size=10000)' \
    "$tmp/chats.jsonl" "$data"
  rm "$tmp/chats.jsonl"
fi
cat >"$tmp/w.yaml" <<YAML
name: chats
cluster: {nodes: [{name: local, devices: {kind: cpu, count: 1, memory: 4GiB, threads: 1}}]}
data:
  train: {path: $data, template: $template}
  tokenizer: $model/tokenizer.json
models: [{name: m, arch: llama, config: {layers: 1, width: 64, heads: 2, kv_heads: 2, vocab: 1024, seq_len: 256}}]
search: {grid: {lr: 1e-3, batch_size: 8}}
train: {epochs: 1}
YAML
now() { python3 -c 'import time; print(time.perf_counter())'; }
for i in $(seq "$runs"); do
  rm -rf "$tmp/cache"
  t0=$(now)
  XDG_CACHE_HOME=$tmp/cache "$saturn" plan "$tmp/w.yaml" --store "$tmp/p.db" --threads 1 >/dev/null 2>"$tmp/plan.err" ||
    { cat "$tmp/plan.err" >&2; exit 1; }
  t1=$(now)
  python3 -c 'import json,sys; print(json.dumps({"pack_s": float(sys.argv[2]) - float(sys.argv[1])}))' "$t0" "$t1" >>"$tmp/saturn"
  rm -rf "$tmp/hf"
  "$py" scripts/bench/chat_reference.py "$data" "$model" "$template" 256 "$tmp/hf" "$tmp/ref.ids" 500 2>/dev/null >>"$tmp/reference"
done
# The same ids: saturn data's first 500 examples against apply_chat_template's.
XDG_CACHE_HOME=$tmp/cache "$saturn" data "$tmp/w.yaml" --json --limit 500 >"$tmp/data.json"
same=$(python3 - "$tmp/data.json" "$tmp/ref.ids" <<'PY'
import json, sys
ours = [json.loads(l)["ids"] for l in open(sys.argv[1]) if '"ids"' in l]
theirs = [json.loads(l) for l in open(sys.argv[2])]
print(sum(a == b for a, b in zip(ours, theirs)), "of", len(theirs))
PY
)
s=$(col pack_s "$tmp/saturn") r=$(col seconds "$tmp/reference")
tokens=$(col tokens "$tmp/reference")
size=$(python3 -c "import os,sys; print(f'{os.path.getsize(sys.argv[1]) / 1e6:.0f}')" "$data")
echo "| $mb MB of chats ($format, $size MB), Llama 3.2's template, 1 thread | saturn | reference | ratio |"
echo "|---|---|---|---|"
printf "| render, tokenize, mask and pack (s) | %.2f | %.2f (datasets + apply_chat_template) | %s faster |\n" "$s" "$r" "$(ratio "$r" "$s")"
printf "| throughput (MB/s) | %.1f | %.1f | |\n" "$(python3 -c "print($mb / $s)")" "$(python3 -c "print($mb / $r)")"
echo "(reference: $tokens ids; the same ids for the first chats: $same)"
