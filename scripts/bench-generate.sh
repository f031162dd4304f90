#!/usr/bin/env bash
# Generation benchmark, in the same run, interleaved, median of RUNS:
# `saturn generate --model` against transformers' generate
# (scripts/bench/generate_reference.py) on CPU, one thread, the small llama
# of workloads/finetune.yaml (workloads/finetune/tiny-llama, its weights
# made by scripts/make-finetune-model.py when missing), greedy, NEW new
# tokens, batch 1 and batch 8 (left-padded prompts from the corpus). Prints
# tokens/s of generation alone (saturn's own count and time on stderr;
# transformers' generate() call) and the wall time of the whole command
# (start, load, generate) against the Python script's; checks the ids are
# the same.
# Usage: scripts/bench-generate.sh [RUNS] [NEW]     (defaults 3, 128)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
new=${2:-128}
. scripts/lib/env.sh
. scripts/lib/bench.sh
py=$saturn_python
scripts/build.sh >/dev/null
saturn=$PWD/build/bin/saturn
model=$PWD/workloads/finetune/tiny-llama
[ -f "$model/model.safetensors" ] || "$py" scripts/make-finetune-model.py "$model" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" <<'PY'
import re, sys
text = open("workloads/data/corpus.txt", encoding="utf-8").read()
sentences = [" ".join(s.split()[:8]) for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 4]
open(sys.argv[1] + "/p1.txt", "w").write(sentences[3] + "\n")
open(sys.argv[1] + "/p8.txt", "w").write("\n".join(sentences[10:18]) + "\n")
PY
now() { python3 -c 'import time; print(time.perf_counter())'; }
for b in 1 8; do
  for i in $(seq "$runs"); do
    t0=$(now)
    "$saturn" generate --model "$model" --prompts "$tmp/p$b.txt" --max-new-tokens "$new" --threads 1 --json \
      >"$tmp/s$b.jsonl" 2>"$tmp/s$b.err"
    t1=$(now)
    python3 - "$tmp/s$b.err" "$t0" "$t1" >>"$tmp/saturn$b" <<'PY'
import json, re, sys
m = re.search(r"(\d+) new tokens in ([0-9.]+) s", open(sys.argv[1]).read())
print(json.dumps({"tokens": int(m.group(1)), "seconds": float(m.group(2)), "wall": float(sys.argv[3]) - float(sys.argv[2])}))
PY
    "$py" scripts/bench/generate_reference.py "$model" "$tmp/p$b.txt" "$new" "$tmp/r$b.jsonl" 2>/dev/null >>"$tmp/ref$b"
  done
  same=$(python3 - "$tmp/s$b.jsonl" "$tmp/r$b.jsonl" <<'PY'
import json, sys
ours = [json.loads(l)["ids"] for l in open(sys.argv[1])]
theirs = [json.loads(l) for l in open(sys.argv[2])]
print(sum(a == b for a, b in zip(ours, theirs)), "of", len(theirs))
PY
)
  echo "$b $same" >>"$tmp/same"
done
echo "| tiny llama (4 layers, width 128), $new new tokens, CPU, 1 thread | saturn | transformers | ratio |"
echo "|---|---|---|---|"
for b in 1 8; do
  st=$(col tokens "$tmp/saturn$b") ss=$(col seconds "$tmp/saturn$b") sw=$(col wall "$tmp/saturn$b")
  rt=$(col tokens "$tmp/ref$b") rs=$(col seconds "$tmp/ref$b") rw=$(col wall "$tmp/ref$b")
  s_rate=$(python3 -c "print($st / $ss)") r_rate=$(python3 -c "print($rt / $rs)")
  printf "| batch %d: generation (tokens/s) | %.0f | %.0f | %s |\n" "$b" "$s_rate" "$r_rate" "$(ratio "$s_rate" "$r_rate")"
  printf "| batch %d: the whole command (s) | %.2f | %.2f | %s faster |\n" "$b" "$sw" "$rw" "$(ratio "$rw" "$sw")"
done
echo "(the same ids, batch 1 and 8: $(tr '\n' ';' <"$tmp/same"))"
