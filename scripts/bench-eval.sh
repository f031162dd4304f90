#!/usr/bin/env bash
# Task evaluation's share of a run, median of RUNS: workloads/chat.yaml (the
# small chat model, its weights made here from the seed) run to the end
# with an eval: generate task (the first answers of 32 chats, 16 new tokens,
# scored at every eval point: steps 20, 40, ... and the end) and without,
# interleaved; prints each run's wall time, the seconds the workers spent
# scoring (metrics.jsonl eval_s) and their share of the jobs' training time
# (state.db wall_s).
# Usage: scripts/bench-eval.sh [RUNS]     (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
. scripts/lib/env.sh
. scripts/lib/bench.sh
py=$saturn_python
scripts/build.sh >/dev/null
saturn=$PWD/build/bin/saturn
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
mkdir -p "$tmp/w/finetune"
cp -r workloads/data "$tmp/w/" && cp -r workloads/finetune/tiny-chat "$tmp/w/finetune/"
rm -f "$tmp/w/finetune/tiny-chat/model.safetensors"
"$py" scripts/make-finetune-model.py "$tmp/w/finetune/tiny-chat" >/dev/null 2>&1
cp workloads/chat.yaml "$tmp/w/plain.yaml"
python3 - "$tmp/w/data" <<'PY'
import json, sys
d = sys.argv[1]
with open(d + "/answers.jsonl", "w") as f:
    for line in list(open(d + "/chat.jsonl"))[:32]:
        c = json.loads(line)["messages"]
        u = next(m["content"] for m in c if m["role"] == "user")
        a = next(m["content"] for m in c if m["role"] == "assistant")
        f.write(json.dumps({"prompt": u, "answer": " ".join(a.split()[:3])}) + "\n")
PY
cp "$tmp/w/plain.yaml" "$tmp/w/eval.yaml"
cat >>"$tmp/w/eval.yaml" <<'YAML'
eval:
  - {name: answer, data: data/answers.jsonl, kind: generate, metric: contains, normalize: [strip, lower], max_new_tokens: 16}
YAML
now() { python3 -c 'import time; print(time.perf_counter())'; }
for i in $(seq "$runs"); do
  for kind in plain eval; do
    rm -rf "$tmp/run-$kind"
    t0=$(now)
    "$saturn" run "$tmp/w/$kind.yaml" --run-dir "$tmp/run-$kind" --no-profile >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    t1=$(now)
    python3 - "$tmp/run-$kind" "$t0" "$t1" >>"$tmp/$kind" <<'PY'
import glob, json, sqlite3, sys
run, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
eval_s = sum(json.loads(l).get("eval_s", 0) for m in glob.glob(run + "/jobs/**/metrics.jsonl", recursive=True) for l in open(m))
train_s = sum(r[0] for r in sqlite3.connect(run + "/state.db").execute("SELECT wall_s FROM jobs"))
print(json.dumps({"wall": t1 - t0, "eval_s": eval_s, "train_s": train_s, "share": eval_s / train_s}))
PY
  done
done
pw=$(col wall "$tmp/plain") ew=$(col wall "$tmp/eval") es=$(col eval_s "$tmp/eval") sh=$(col share "$tmp/eval")
echo "| workloads/chat.yaml, 2 jobs, CPU | without eval | with eval (32 prompts x 16 tokens per point) |"
echo "|---|---|---|"
printf "| run wall time (s) | %.1f | %.1f |\n" "$pw" "$ew"
printf "| scoring, all jobs (s) | - | %.1f |\n" "$es"
printf "| scoring's share of the jobs' training time | - | %.1f%% |\n" "$(python3 -c "print($sh * 100)")"
