#!/usr/bin/env bash
# End-to-end: LoRA fine-tuning (finetune.method: lora). The workload schema
# and its errors; a transformers llama folder (tests/train/hf/reference.py)
# under single, DDP x2, FSDP x2, pipeline x2 and spill gives the same
# losses, with checkpoints a fraction of the base's size that resume
# bit-identically after SIGTERM; 4 jobs fused on one shared base give the
# losses each gives alone; then workloads/finetune-lora.yaml (lr x rank) as
# a user runs it, and `saturn export` writes adapters PEFT loads
# onto the base and, with --merge, a model transformers loads.
# Usage: tests/e2e/lora.sh SATURN_BINARY SOURCE_DIR     env: SATURN_PYTHON (the test Python)
. "$(dirname "$0")/lib.sh"
py=${SATURN_PYTHON:-python3}
export XDG_CACHE_HOME=$tmp/cache
"$py" "$src/tests/train/hf/reference.py" llama-gqa "$tmp/m" >/dev/null 2>"$tmp/ref.err" || { cat "$tmp/ref.err"; exit 1; }

workload() {  # workload FILE FINETUNE [MODEL LINES] [GRID LINES]
  cat >"$1" <<YAML
name: lora
cluster:
  nodes:
    - name: local
      devices: {kind: cpu, count: 2, threads: 1}
data:
  train: {format: synthetic, samples: 64, seed: 3}
models:
  - name: m
    from: m
    config: {seq_len: 16}
${3:-}
finetune: $2
search:
  grid:
    lr: [3e-3]
    batch_size: [4]
${4:-}
train:
  steps: 6
  log_every: 1
  eval_every: 0
  optimizer: adamw
YAML
}

# --- schema ---------------------------------------------------------------
workload "$tmp/w.yaml" "{method: lora, lora: {rank: 4, alpha: 8}}"
expect 0 "$saturn" jobs "$tmp/w.yaml" --json
python3 - "$tmp/out" <<'PY' && ok || bad "jobs --json: $(head -c 800 "$tmp/out")"
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]["finetune"]
assert j == {"method": "lora", "lora": {"rank": 4, "alpha": 8.0, "dropout": 0.0, "train_embeddings": False,
             "targets": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}}, j
PY
workload "$tmp/grid.yaml" "{method: lora}" "" "    lora.rank: [4, 8]
    lora.alpha: [8, 16]"
expect 0 "$saturn" jobs "$tmp/grid.yaml" --json
python3 - "$tmp/out" <<'PY' && ok || bad "a rank x alpha grid: $(head -c 800 "$tmp/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert [j["id"] for j in d["jobs"]] == ["m/r=4,alpha=8", "m/r=4,alpha=16", "m/r=8,alpha=8", "m/r=8,alpha=16"], d["jobs"]
assert len(d["shapes"]) == 2, d["shapes"]  # rank changes a step's cost, alpha does not
PY
expect 0 "$saturn" validate --canonical "$tmp/grid.yaml"
cp "$tmp/out" "$tmp/canonical.yaml"
expect 0 "$saturn" validate --canonical "$tmp/canonical.yaml"
cmp -s "$tmp/out" "$tmp/canonical.yaml" && ok || bad "the canonical form is not a fixed point: $(diff "$tmp/out" "$tmp/canonical.yaml")"
has "$tmp/out" "method: lora"

workload "$tmp/bad1.yaml" "{method: lora, lora: {targets: [q_proj, c_attn]}}"
expect 65 "$saturn" validate "$tmp/bad1.yaml"
has "$tmp/err" "finetune: lora target \"c_attn\" is not a projection of model \"m\" (arch llama: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)"
one_line
workload "$tmp/bad2.yaml" "{method: full}" "" "    lora.rank: [4, 8]"
expect 65 "$saturn" validate "$tmp/bad2.yaml"
has "$tmp/err" "search.grid.\"lora.rank\": model \"m\" fine-tunes in full; lora.rank is searched with finetune.method: lora"
workload "$tmp/bad3.yaml" "{method: lora, lora: {rank: 0}}"
expect 65 "$saturn" validate "$tmp/bad3.yaml"
has "$tmp/err" "finetune.lora.rank: expected a whole number from 1 to 65536"
workload "$tmp/bad4.yaml" "{method: adapters}"
expect 65 "$saturn" validate "$tmp/bad4.yaml"
has "$tmp/err" "finetune.method"
cat >"$tmp/mlp.yaml" <<'YAML'
name: lora-mlp
cluster: {nodes: [{name: local, devices: {kind: cpu, count: 1}}]}
data: {train: {format: synthetic, samples: 16}}
models: [{name: small, arch: mlp}]
finetune: {method: lora}
train: {steps: 2}
YAML
expect 65 "$saturn" validate "$tmp/mlp.yaml"
has "$tmp/err" "finetune: method lora applies to gpt and llama models; model \"small\" is mlp"
one_line
workload "$tmp/emb.yaml" "{method: lora, lora: {rank: 4, train_embeddings: true}}"
expect 64 "$saturn" worker "$tmp/emb.yaml" --job m --run-dir "$tmp/emb" --devices cpu --technique fused
has "$tmp/err" "--technique fused: LoRA jobs with train_embeddings are not fused (each trains its own embedding)"
one_line
[ ! -e "$tmp/emb" ] && ok || bad "a refused worker wrote its run folder"

# --- every technique, checkpoints, resume ---------------------------------
losses() { python3 -c 'import json,sys; print(" ".join("%.6f" % json.loads(l)["loss"] for l in open(sys.argv[1]) if "loss" in json.loads(l)))' "$1"; }
for t in single:cpu ddp:cpu,cpu fsdp:cpu,cpu pipeline:cpu,cpu spill:cpu; do
  tech=${t%%:*} devs=${t#*:}
  expect 0 "$saturn" worker "$tmp/w.yaml" --job m --run-dir "$tmp/r-$tech" --devices "$devs" --technique "$tech"
  losses "$tmp/r-$tech/jobs/m/metrics.jsonl" >"$tmp/$tech.losses"
done
python3 - "$tmp" <<'PY' && ok || bad "LoRA losses differ across techniques: $(cat "$tmp"/*.losses)"
import sys
t = sys.argv[1]
base = [float(x) for x in open(f"{t}/single.losses").read().split()]
assert len(base) == 6 and base[-1] < base[0], base  # it learns
for tech in ["ddp", "fsdp", "pipeline", "spill"]:
    other = [float(x) for x in open(f"{t}/{tech}.losses").read().split()]
    assert len(other) == 6 and all(abs(a - b) <= 1e-4 * max(1, abs(a)) for a, b in zip(base, other)), (tech, base, other)
PY
# A full fine-tuning run of the same job learns otherwise (the base trains too).
workload "$tmp/full.yaml" "{method: full}"
expect 0 "$saturn" worker "$tmp/full.yaml" --job m --run-dir "$tmp/r-full" --devices cpu --technique single
[ "$(losses "$tmp/r-full/jobs/m/metrics.jsonl")" != "$(cat "$tmp/single.losses")" ] && ok || bad "LoRA trained as full fine-tuning"
# A LoRA checkpoint holds adapters and their state (train_tests "lora:*"
# check it holds no base weight): a fraction of a full one.
ckpt=$(ls "$tmp/r-single/jobs/m/ckpt/"*.pt | tail -1)
full_ckpt=$(ls "$tmp/r-full/jobs/m/ckpt/"*.pt | tail -1)
python3 -c 'import os,sys; a,b,m=(os.path.getsize(p) for p in sys.argv[1:4]); sys.exit(0 if a * 4 < b else 1)' \
  "$ckpt" "$full_ckpt" "$tmp/m/model.safetensors" && ok ||
  bad "LoRA checkpoint $(stat -c %s "$ckpt") bytes vs full $(stat -c %s "$full_ckpt") and base $(stat -c %s "$tmp/m/model.safetensors")"
# SIGTERM and resume: bit-identical to the uninterrupted run.
sed -e 's/steps: 6/steps: 200/' "$tmp/w.yaml" >"$tmp/long.yaml"
for t in single:cpu fsdp:cpu,cpu spill:cpu; do
  tech=${t%%:*} devs=${t#*:}
  expect 0 "$saturn" worker "$tmp/long.yaml" --job m --run-dir "$tmp/whole-$tech" --devices "$devs" --technique "$tech"
  "$saturn" worker "$tmp/long.yaml" --job m --run-dir "$tmp/cut-$tech" --devices "$devs" --technique "$tech" >"$tmp/cut.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    [ -f "$tmp/cut-$tech/jobs/m/metrics.jsonl" ] && [ "$(wc -l <"$tmp/cut-$tech/jobs/m/metrics.jsonl")" -ge 40 ] && break
    sleep 0.1
  done
  kill -TERM $pid
  wait $pid
  [ $? = 143 ] && ok || bad "$tech: SIGTERM did not exit 143: $(cat "$tmp/cut.log")"
  expect 0 "$saturn" worker "$tmp/long.yaml" --job m --run-dir "$tmp/cut-$tech" --devices "$devs" --technique "$tech"
  has "$tmp/err" "resumed m from step"
  cmp -s <(losses "$tmp/whole-$tech/jobs/m/metrics.jsonl") <(losses "$tmp/cut-$tech/jobs/m/metrics.jsonl") && ok ||
    bad "$tech: resumed LoRA losses differ from the uninterrupted run"
done

# --- fused: 4 LoRA jobs (alpha x seed) share one base ----------------------
workload "$tmp/fz.yaml" "{method: lora, lora: {rank: 4}}" "" "    lora.alpha: [8, 16]
    seed: [1, 2]"
expect 0 "$saturn" jobs "$tmp/fz.yaml" --json
mapfile -t ids < <(python3 -c 'import json,sys; [print(j["id"]) for j in json.load(open(sys.argv[1]))["jobs"]]' "$tmp/out")
[ "${#ids[@]}" = 4 ] && ok || bad "fused grid: ${ids[*]}"
args=()
for id in "${ids[@]}"; do args+=(--job "$id"); done
expect 0 "$saturn" worker "$tmp/fz.yaml" "${args[@]}" --run-dir "$tmp/fz" --devices cpu --technique fused
close() {  # close A B: two loss lists agree within 1e-5 (relative), both 6 long
  python3 -c 'import sys
a, b = ([float(x) for x in s.split()] for s in sys.argv[1:3])
sys.exit(0 if len(a) == len(b) == int(sys.argv[3]) and all(abs(x - y) <= 1e-5 * max(1, abs(y)) for x, y in zip(a, b)) else 1)' "$1" "$2" "$3"
}
for id in "${ids[@]}"; do
  expect 0 "$saturn" worker "$tmp/fz.yaml" --job "$id" --run-dir "$tmp/alone" --devices cpu --technique single
  close "$(losses "$tmp/fz/jobs/$id/metrics.jsonl")" "$(losses "$tmp/alone/jobs/$id/metrics.jsonl")" 6 && ok ||
    bad "$id: fused LoRA losses differ from its run alone: $(losses "$tmp/fz/jobs/$id/metrics.jsonl") vs $(losses "$tmp/alone/jobs/$id/metrics.jsonl")"
done
# A fused job's checkpoint (its adapters) continues alone as its own does.
for dir in fz alone; do
  expect 0 "$saturn" worker "$tmp/fz.yaml" --job "${ids[3]}" --run-dir "$tmp/$dir" --devices cpu --steps 10
  has "$tmp/err" "resumed ${ids[3]} from step 6"
done
close "$(losses "$tmp/fz/jobs/${ids[3]}/metrics.jsonl")" "$(losses "$tmp/alone/jobs/${ids[3]}/metrics.jsonl")" 10 && ok ||
  bad "a fused LoRA checkpoint continued alone differs from the job's own"
# A random base is drawn from a job's seed: jobs of two seeds share none.
sed -e 's/^    from: m$/    arch: llama/' -e 's/config: {seq_len: 16}/config: {layers: 1, width: 16, heads: 2, intermediate: 32, seq_len: 16, vocab: 64}/' \
  "$tmp/fz.yaml" >"$tmp/rand.yaml"
expect 64 "$saturn" worker "$tmp/rand.yaml" "${args[@]}" --run-dir "$tmp/rand" --devices cpu --technique fused
has "$tmp/err" "--technique fused: ${ids[1]} and ${ids[0]} draw their random bases from different seeds; a fused LoRA group shares one base"
one_line
[ ! -e "$tmp/rand" ] && ok || bad "a refused fused group wrote its run folder"

# --- workloads/finetune-lora.yaml as a user runs it -----------------------
mkdir -p "$tmp/w" && cp -r "$src/workloads/data" "$src/workloads/finetune" "$tmp/w/"
cp "$src/workloads/finetune-lora.yaml" "$tmp/w/"
model_fixture tiny-llama "$tmp/w/finetune/tiny-llama"
expect 0 "$saturn" run "$tmp/w/finetune-lora.yaml" --run-dir "$tmp/run" --json
python3 - "$tmp/out" <<'PY' && ok || bad "run: not 4 done jobs: $(head -c 800 "$tmp/out")"
import json, sys
board = json.load(open(sys.argv[1]))["leaderboard"]
assert len(board) == 4 and all(j["status"] == "done" for j in board), board
assert all(j["eval_loss"] < 6.9 for j in board), board  # below a uniform guess over 1024 ids: it learned
PY
expect 0 "$saturn" export "$tmp/run" --out "$tmp/adapter"
has "$tmp/out" "peft.PeftModel.from_pretrained("
[ -f "$tmp/adapter/adapter_config.json" ] && [ -f "$tmp/adapter/adapter_model.safetensors" ] && ok || bad "no PEFT files: $(ls "$tmp/adapter")"
expect 0 "$saturn" export "$tmp/run" --merge --out "$tmp/merged"
"$py" - "$tmp/w/finetune/tiny-llama" "$tmp/adapter" "$tmp/merged" "$tmp/w/data/corpus.txt" >"$tmp/py.out" 2>"$tmp/py.err" <<'PY' && ok || bad "PEFT cannot use the export: $(tail -5 "$tmp/py.err")"
import sys, torch, transformers, peft
base, adapter, merged, corpus = sys.argv[1:5]
tok = transformers.AutoTokenizer.from_pretrained(adapter)
text = open(corpus, encoding="utf-8").read()[:40000]
ids = tok(text, return_tensors="pt", add_special_tokens=False).input_ids[:, :16 * 64].reshape(16, 64)
model = peft.PeftModel.from_pretrained(transformers.AutoModelForCausalLM.from_pretrained(base), adapter).eval()
plain = transformers.AutoModelForCausalLM.from_pretrained(base).eval()
full = transformers.AutoModelForCausalLM.from_pretrained(merged).eval()
with torch.no_grad():
    tuned, untuned, folded = (m(ids, labels=ids).loss.item() for m in (model, plain, full))
assert tuned < untuned - 0.05, (tuned, untuned)  # the adapters learned (a random base: slowly)
assert abs(folded - tuned) < 1e-4, (folded, tuned)  # merged = base + adapters
print(tuned, untuned, folded)
PY
echo "lora: $pass passed, $fail failed"
[ "$fail" = 0 ]
