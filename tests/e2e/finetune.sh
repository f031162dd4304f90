#!/usr/bin/env bash
# End-to-end: workloads/finetune.yaml as a user runs it. A Llama-shaped
# Hugging Face folder with its BPE tokenizer (scripts/make-finetune-model.py)
# is fine-tuned by `saturn run` (the corpus tokenized once for the whole
# grid), `saturn export` writes the best job as a folder that transformers
# and its tokenizer load as they are; bad tokenizers and weight files are one
# line and their exit code.
# The shipped folder has config.json and the tokenizer; its weights are made
# here from the seed, as a user makes them.
# Usage: tests/e2e/finetune.sh SATURN_BINARY SOURCE_DIR     env: SATURN_PYTHON (the test Python)
. "$(dirname "$0")/lib.sh"
py=${SATURN_PYTHON:-python3}
export XDG_CACHE_HOME=$tmp/cache
mkdir -p "$tmp/w" && cp -r "$src/workloads/data" "$src/workloads/finetune" "$tmp/w/"
cp "$src/workloads/finetune.yaml" "$tmp/w/"
model_fixture tiny-llama "$tmp/w/finetune/tiny-llama"  # as a user makes it: scripts/make-finetune-model.py

expect 0 "$saturn" validate --canonical "$tmp/w/finetune.yaml"
cp "$tmp/out" "$tmp/w/canonical.yaml"
expect 0 "$saturn" validate --canonical "$tmp/w/canonical.yaml"
cmp -s "$tmp/out" "$tmp/w/canonical.yaml" && ok || bad "the canonical form of finetune.yaml is not a fixed point"
# Checks and dry runs write nothing: no run directory, no store, no token cache.
expect 0 "$saturn" validate "$tmp/w/finetune.yaml"
expect 0 "$saturn" run "$tmp/w/finetune.yaml" --run-dir "$tmp/run" --dry-run
has "$tmp/out" "tiny-llama/"
expect 0 "$saturn" run "$tmp/w/finetune.yaml" --run-dir "$tmp/run" --slurm-script
expect 0 "$saturn" profile "$tmp/w/finetune.yaml" --show
[ ! -e "$tmp/run" ] && [ ! -e "$tmp/cache" ] && ok || bad "a check or dry run wrote: $(find "$tmp/run" "$tmp/cache" 2>/dev/null)"
expect 0 "$saturn" run "$tmp/w/finetune.yaml" --run-dir "$tmp/run" --json
python3 - "$tmp/out" <<'PY' && ok || bad "run: not 4 done jobs: $(head -c 800 "$tmp/out")"
import json, sys
board = json.load(open(sys.argv[1]))["leaderboard"]
assert len(board) == 4 and all(j["status"] == "done" for j in board), board
assert all(j["eval_loss"] < 6.9 for j in board), board  # below a uniform guess over 1024 ids: it learned
PY
[ "$(ls "$tmp/cache/saturn/tokens/"*.u32 | wc -l)" = 1 ] && ok || bad "the corpus was not tokenized exactly once: $(ls "$tmp/cache/saturn/tokens/")"

expect 0 "$saturn" export "$tmp/run" --out "$tmp/tuned"
has "$tmp/out" 'from_pretrained("'"$tmp/tuned"'")'
"$py" - "$tmp/tuned" "$tmp/w/data/corpus.txt" >"$tmp/py.out" 2>"$tmp/py.err" <<'PY' && ok || bad "transformers cannot use the export: $(tail -5 "$tmp/py.err")"
import sys, torch, transformers
folder, corpus = sys.argv[1:3]
model = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
tok = transformers.AutoTokenizer.from_pretrained(folder)
assert type(model).__name__ == "LlamaForCausalLM", type(model)
text = open(corpus, encoding="utf-8").read()[:2000]
ids = tok(text, return_tensors="pt", add_special_tokens=False).input_ids[:, :64]
assert tok.decode(tok(text, add_special_tokens=False).input_ids) == text
with torch.no_grad():
    loss = model(ids, labels=ids).loss.item()
assert loss < 6.9, loss  # the tuned weights, not the random ones
print(loss)
PY
# saturn generate: the best job's greedy continuation, from the run and from
# the exported folder, is transformers' generate(do_sample=False) on the export.
expect 0 "$saturn" generate "$tmp/run" --prompt "saturn trains" --prompt "The planner" --max-new-tokens 12 --json
cp "$tmp/out" "$tmp/gen-run.json"
expect 0 "$saturn" generate --model "$tmp/tuned" --prompt "saturn trains" --prompt "The planner" --max-new-tokens 12 --json
cmp -s "$tmp/out" "$tmp/gen-run.json" && ok || bad "generate from the run and from its export differ: $(cat "$tmp/gen-run.json" "$tmp/out")"
printf 'saturn trains\n\nThe planner\n' >"$tmp/prompts.txt"
printf '{"prompt": "saturn trains"}\n{"prompt": "The planner"}\n' >"$tmp/prompts.jsonl"
for f in prompts.txt prompts.jsonl; do
  expect 0 "$saturn" generate "$tmp/run" --prompts "$tmp/$f" --max-new-tokens 12 --json
  cmp -s "$tmp/out" "$tmp/gen-run.json" && ok || bad "generate --prompts $f: not the --prompt ids"
done
"$py" - "$tmp/tuned" "$tmp/gen-run.json" >"$tmp/py.out" 2>"$tmp/py.err" <<'PY' && ok || bad "generate: not transformers' ids: $(tail -5 "$tmp/py.err")"
import json, sys, torch, transformers
folder, ours = sys.argv[1:3]
ours = [json.loads(l) for l in open(ours)]
model = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
tok = transformers.AutoTokenizer.from_pretrained(folder)
tok.padding_side = "left"
eos = tok.convert_tokens_to_ids(tok.eos_token) if tok.eos_token else None
if tok.pad_token is None:
    tok.pad_token = tok.eos_token
pad = tok.pad_token_id
enc = tok([o["prompt"] for o in ours], return_tensors="pt", padding=True, add_special_tokens=False)
with torch.no_grad():
    out = model.generate(**enc, do_sample=False, max_new_tokens=12, eos_token_id=eos, pad_token_id=pad)
for o, row in zip(ours, out[:, enc.input_ids.shape[1]:].tolist()):
    want = row[: row.index(eos) + 1] if eos in row else row
    assert o["ids"] == want, (o["ids"], want)
    assert o["prompt_tokens"] == len(tok(o["prompt"], add_special_tokens=False).input_ids)
    assert o["text"] == tok.decode([i for i in o["ids"] if i != eos]), o
PY
expect 0 "$saturn" generate "$tmp/run" --prompt "saturn trains" --max-new-tokens 6 --temperature 0.9 --seed 4 --json
cp "$tmp/out" "$tmp/sampled.json"
expect 0 "$saturn" generate "$tmp/run" --prompt "saturn trains" --max-new-tokens 6 --temperature 0.9 --seed 4 --json
cmp -s "$tmp/out" "$tmp/sampled.json" && ok || bad "seeded sampling differs between two runs"
expect 64 "$saturn" generate "$tmp/run" --max-new-tokens 6
has "$tmp/err" "give --prompt TEXT (one or more) or --prompts FILE"
expect 64 "$saturn" generate "$tmp/run" --prompt x --top-p 0
has "$tmp/err" "--top-p: expected a number in (0, 1]"
expect 66 "$saturn" generate --model "$tmp/nope" --prompt x
has "$tmp/err" "$tmp/nope: no such folder (a model or adapter folder)"
expect 65 "$saturn" generate "$tmp/run" --chat --prompt x
has "$tmp/err" "--chat needs a chat template"

# --dtype bf16: half the bytes, loaded by transformers as bfloat16, its
# logits within bfloat16 rounding of the float32 export's (auto: the base
# folder's, float32 here).
expect 0 "$saturn" export "$tmp/run" --dtype bf16 --out "$tmp/tuned-bf16"
has "$tmp/out" ", bfloat16) to $tmp/tuned-bf16"
"$py" - "$tmp/tuned" "$tmp/tuned-bf16" "$tmp/w/data/corpus.txt" >"$tmp/py.out" 2>"$tmp/py.err" <<'PY' && ok || bad "the bf16 export: $(tail -5 "$tmp/py.err")"
import json, os, sys, torch, transformers
f32, b16, corpus = sys.argv[1:4]
assert json.load(open(f32 + "/config.json"))["torch_dtype"] == "float32"
assert json.load(open(b16 + "/config.json"))["torch_dtype"] == "bfloat16"
size = lambda d: os.path.getsize(d + "/model.safetensors")
assert size(b16) < 0.55 * size(f32), (size(b16), size(f32))
a = transformers.AutoModelForCausalLM.from_pretrained(f32).eval()
b = transformers.AutoModelForCausalLM.from_pretrained(b16).eval()
assert a.dtype == torch.float32 and b.dtype == torch.bfloat16, (a.dtype, b.dtype)
tok = transformers.AutoTokenizer.from_pretrained(f32)
ids = tok(open(corpus, encoding="utf-8").read()[:2000], return_tensors="pt", add_special_tokens=False).input_ids[:, :64]
with torch.no_grad():
    la, lb = a(ids).logits, b(ids).logits.float()
    # Each weight rounded to bfloat16 (8 bits of mantissa) before the same float32 forward: within rounding.
    for p in a.parameters():
        p.copy_(p.to(torch.bfloat16).float())
    lr = a(ids).logits
err, scale = (lb - la).abs().max().item(), la.abs().max().item()
assert err < 0.05 * scale, (err, scale)
assert (lr - la).abs().max().item() < 0.05 * scale
print(err, scale)
PY
expect 64 "$saturn" export "$tmp/run" --dtype int8 --out "$tmp/t3"
has "$tmp/err" "--dtype: expected auto, bf16, fp16 or fp32, got \"int8\""
[ ! -e "$tmp/t3" ] && ok || bad "a refused export wrote its folder"
expect 64 "$saturn" export "$tmp/run" --out "$tmp/tuned"
has "$tmp/err" "$tmp/tuned: exists and is not an empty folder (export writes a new one)"
expect 64 "$saturn" export "$tmp/run" nope --out "$tmp/t2"
has "$tmp/err" "nope: no such job in $tmp/run (see saturn status $tmp/run)"
[ ! -e "$tmp/t2" ] && ok || bad "a refused export wrote its folder"

# Bad input: each one line and its exit code.
bad_folder() {  # bad_folder NAME: a copy of the model folder and a workload using it
  cp -r "$tmp/w/finetune/tiny-llama" "$tmp/w/finetune/$1"
  sed "s|from: finetune/tiny-llama|from: finetune/$1|" "$tmp/w/finetune.yaml" >"$tmp/w/$1.yaml"
}
bad_folder broken-tok
head -c 5000 "$tmp/w/finetune/tiny-llama/tokenizer.json" >"$tmp/w/finetune/broken-tok/tokenizer.json"
expect 65 "$saturn" validate "$tmp/w/broken-tok.yaml"
has "$tmp/err" "finetune/broken-tok/tokenizer.json: not a JSON object"
one_line
bad_folder small-vocab
python3 -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); c["vocab_size"]=512; json.dump(c, open(p,"w"))' \
  "$tmp/w/finetune/small-vocab/config.json"
expect 65 "$saturn" validate "$tmp/w/small-vocab.yaml"
has "$tmp/err" "models[0] tiny-llama: the tokenizer finetune/small-vocab/tokenizer.json has 1024 ids, more than its vocab (512)"
one_line
bad_folder flipped
python3 - "$tmp/w/finetune/flipped/model.safetensors" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b'"data_offsets":[') + 16
b[i] ^= 0x02  # one bit of the first tensor's begin offset
open(p, "wb").write(bytes(b))
PY
expect 65 "$saturn" worker "$tmp/w/flipped.yaml" --job "tiny-llama/lr=3e-4,bs=8" --run-dir "$tmp/rf" --devices cpu --technique single
has "$tmp/err" "finetune/flipped/model.safetensors: tensor"
one_line
# Chats (workloads/chat.yaml): jsonl records in the folder's chat format, the
# loss on the assistant's turns; packed once; bad lines one line each.
cp "$src/workloads/chat.yaml" "$tmp/w/" && cp -r "$src/workloads/finetune/tiny-chat" "$tmp/w/finetune/"
model_fixture tiny-chat "$tmp/w/finetune/tiny-chat"
rm -rf "$tmp/cache"
expect 0 "$saturn" validate "$tmp/w/chat.yaml"
expect 0 "$saturn" run "$tmp/w/chat.yaml" --run-dir "$tmp/chat" --dry-run
[ ! -e "$tmp/chat" ] && [ ! -e "$tmp/cache" ] && ok || bad "a chat dry run wrote: $(find "$tmp/chat" "$tmp/cache" 2>/dev/null)"
# saturn data: the examples as the model sees them (the trained spans in
# [[...]]), the totals; --json one object per example; nothing written.
expect 0 "$saturn" data "$tmp/w/chat.yaml" --limit 2
has "$tmp/out" "model tiny-chat, $tmp/w/data/chat.jsonl:1: "
has "$tmp/out" "<|start_header_id|>assistant<|end_header_id|>"$'\n\n'"[["
has "$tmp/out" "<|eot_id|>]]"
grep -Eq "^model tiny-chat: 110 records in data/chat.jsonl; [0-9]+ tokens, [0-9]+ trained \([0-9.]+%\); [0-9]+ sequences of 128 tokens for training; [0-9]+ steps of 8 are [0-9.]+ epochs$" "$tmp/out" &&
  ok || bad "saturn data: totals: $(tail -2 "$tmp/out")"
expect 0 "$saturn" data "$tmp/w/chat.yaml" --json --limit 3
python3 - "$tmp/out" <<'PY' && ok || bad "saturn data --json: $(head -c 600 "$tmp/out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
examples, totals = lines[:-1], lines[-1]
assert len(examples) == 3 and [e["where"].rsplit(":", 1)[1] for e in examples] == ["1", "2", "3"], examples
for e in examples:
    assert len(e["ids"]) == len(e["trained"]) == e["tokens"] and set(e["trained"]) <= {0, 1}, e
    assert 0 < e["trained_tokens"] == sum(e["trained"]) < e["tokens"], e
t = totals["totals"]
assert totals["model"] == "tiny-chat" and t["records"] == 110 and t["skipped"] == 0 and t["seq_len"] == 128, totals
assert 0 < t["trained_tokens"] < t["tokens"] and t["epochs"] > 0, totals
PY
[ ! -e "$tmp/cache" ] && ok || bad "saturn data wrote: $(find "$tmp/cache")"
expect 64 "$saturn" data "$tmp/w/chat.yaml" --model nope
has "$tmp/err" "--model: no model named \"nope\" (models: tiny-chat)"
one_line
expect 0 "$saturn" run "$tmp/w/chat.yaml" --run-dir "$tmp/chat" --json
python3 - "$tmp/out" <<'PY' && ok || bad "chat run: $(head -c 800 "$tmp/out")"
import json, sys
board = json.load(open(sys.argv[1]))["leaderboard"]
assert len(board) == 2 and all(j["status"] == "done" for j in board), board
assert all(j["eval_loss"] < 6.9 for j in board), board
# Trained tokens: the assistants' only, fewer than the steps' batches hold (8 x 128 each).
assert all(0 < j["tokens"] < 0.8 * j["steps"] * 8 * 128 for j in board), board
PY
[ "$(ls "$tmp/cache/saturn/tokens/"jsonl-*.json | wc -l)" = 1 ] && ok || bad "the chats were not packed exactly once: $(ls "$tmp/cache/saturn/tokens/")"
# --chat: the prompt as a user's turn of the folder's template with its
# generation prompt, ending at the end-of-turn marker: transformers'
# apply_chat_template(add_generation_prompt=True) + generate on the export.
expect 0 "$saturn" export "$tmp/chat" --out "$tmp/chat-tuned"
expect 0 "$saturn" generate "$tmp/chat" --chat --prompt "What comes after: SATURN(1)" --prompt "And then?" --max-new-tokens 24 --json
"$py" - "$tmp/chat-tuned" "$tmp/out" >"$tmp/py.out" 2>"$tmp/py.err" <<'PY' && ok || bad "generate --chat: not transformers' ids: $(tail -5 "$tmp/py.err")"
import json, sys, torch, transformers
folder, ours = sys.argv[1:3]
ours = [json.loads(l) for l in open(ours)]
model = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
tok = transformers.AutoTokenizer.from_pretrained(folder)
stop = [tok.convert_tokens_to_ids("<|end_of_text|>"), tok.convert_tokens_to_ids("<|eot_id|>")]
for o in ours:
    ids = tok.apply_chat_template([{"role": "user", "content": o["prompt"]}], add_generation_prompt=True, tokenize=True,
                                  return_dict=True, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, do_sample=False, max_new_tokens=24, eos_token_id=stop, pad_token_id=stop[0])
    row = out[0, ids["input_ids"].shape[1]:].tolist()
    assert o["prompt_tokens"] == ids["input_ids"].shape[1], (o["prompt_tokens"], ids["input_ids"].shape)
    assert o["ids"] == row, (o["ids"], row)
PY
# The same chats as ShareGPT in two parquet shards (pyarrow), named by a glob
# with no format: detected, rendered by the folder's template, the same ids
# as the JSON Lines; a short run fine-tunes on them.
mkdir -p "$tmp/w/data/sharegpt"
"$SATURN_PYTHON" - "$tmp/w/data" <<'PY'
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
d = sys.argv[1]
names = {"user": "human", "assistant": "gpt", "system": "system"}
rows = [{"conversations": [{"from": names[m["role"]], "value": m["content"]} for m in json.loads(l)["messages"]]}
        for l in open(d + "/chat.jsonl")]
pq.write_table(pa.Table.from_pylist(rows[:60]), d + "/sharegpt/train-00000-of-00002.parquet", row_group_size=16)
pq.write_table(pa.Table.from_pylist(rows[60:]), d + "/sharegpt/train-00001-of-00002.parquet", row_group_size=16)
PY
sed -e 's|train: {format: jsonl, path: data/chat.jsonl}|train: {path: "data/sharegpt/train-*.parquet"}|' \
    -e 's|epochs: 3|steps: 6|' -e 's|eval_every: 20|eval_every: 3|' "$tmp/w/chat.yaml" >"$tmp/w/chat-parquet.yaml"
expect 0 "$saturn" data "$tmp/w/chat.yaml" --json --limit 200
cp "$tmp/out" "$tmp/jsonl-view"
cached_before=$(ls "$tmp/cache/saturn/tokens" | wc -l)
expect 0 "$saturn" data "$tmp/w/chat-parquet.yaml" --json --limit 200
python3 - "$tmp/jsonl-view" "$tmp/out" <<'PY' && ok || bad "parquet shards: not the JSON Lines' ids: $(head -c 600 "$tmp/out")"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])][:-1]
b = [json.loads(l) for l in open(sys.argv[2])][:-1]
assert len(a) == len(b) == 110, (len(a), len(b))
assert [x["ids"] for x in a] == [x["ids"] for x in b] and [x["trained"] for x in a] == [x["trained"] for x in b]
assert b[0]["where"].endswith("train-00000-of-00002.parquet: row 1") and b[60]["where"].endswith("train-00001-of-00002.parquet: row 1"), b[60]["where"]
PY
[ "$(ls "$tmp/cache/saturn/tokens" | wc -l)" = "$cached_before" ] && ok || bad "saturn data wrote into the token cache"
# Eval tasks on the same run: a generate task (the chats' first answers) and a
# choice task, scored at steps 3 and 6 into metrics.jsonl and the checkpoints.
python3 - "$tmp/w/data" <<'PY'
import json, sys
d = sys.argv[1]
chats = [json.loads(l)["messages"] for l in open(d + "/chat.jsonl")][:8]
with open(d + "/answers.jsonl", "w") as f:
    for c in chats:
        u = next(m["content"] for m in c if m["role"] == "user")
        a = next(m["content"] for m in c if m["role"] == "assistant")
        f.write(json.dumps({"prompt": u, "answer": a.split()[0]}) + "\n")
with open(d + "/quiz.jsonl", "w") as f:
    for i, c in enumerate(chats):
        u = next(m["content"] for m in c if m["role"] == "user")
        f.write(json.dumps({"prompt": u, "choices": ["saturn", "the planner", "a device"], "answer": i % 3}) + "\n")
PY
cat >>"$tmp/w/chat-parquet.yaml" <<'YAML'
eval:
  - {name: first, data: data/answers.jsonl, kind: generate, metric: contains, normalize: [strip, lower], max_new_tokens: 6}
  - {name: quiz, data: data/quiz.jsonl, kind: choice, metric: accuracy_norm}
YAML
expect 0 "$saturn" run "$tmp/w/chat-parquet.yaml" --run-dir "$tmp/chat-parquet" --json
python3 - "$tmp/out" <<'PY' && ok || bad "parquet chat run: $(head -c 800 "$tmp/out")"
import json, sys
board = json.load(open(sys.argv[1]))["leaderboard"]
assert len(board) == 2 and all(j["status"] == "done" and j["steps"] == 6 for j in board), board
PY
python3 - "$tmp/chat-parquet" <<'PY' && ok || bad "eval tasks: not in metrics.jsonl and the checkpoints at steps 3 and 6"
import glob, json, sys
jobs = [m[: -len("metrics.jsonl")] for m in glob.glob(sys.argv[1] + "/jobs/**/metrics.jsonl", recursive=True)]
assert len(jobs) == 2, jobs
for job in jobs:
    lines = [json.loads(l) for l in open(job + "metrics.jsonl")]
    scored = {l["step"]: l for l in lines if "eval.first.contains" in l}
    assert sorted(scored) == [3, 6], (job, lines)
    for l in scored.values():
        assert 0 <= l["eval.first.contains"] <= 1 and 0 <= l["eval.quiz.accuracy_norm"] <= 1, l
    meta = json.load(open(job + "ckpt/step-0000000006.json"))["meta"]
    assert meta["eval.quiz.accuracy_norm"] == scored[6]["eval.quiz.accuracy_norm"], meta
PY
# ASHA on a task metric (rungs at steps 2 and 4, eta 2: the better of the two
# continues) and the leaderboard, export and generate ranked by it (select).
sed -e 's|    batch_size: 8|    batch_size: 8\n  early_stopping: {rule: asha, metric: eval.quiz.accuracy_norm, min_steps: 2, eta: 2}|' \
    "$tmp/w/chat-parquet.yaml" >"$tmp/w/chat-asha.yaml"
echo "select: eval.quiz.accuracy_norm" >>"$tmp/w/chat-asha.yaml"
expect 0 "$saturn" run "$tmp/w/chat-asha.yaml" --run-dir "$tmp/chat-asha" --json
cp "$tmp/out" "$tmp/asha.json"
python3 - "$tmp/asha.json" "$tmp/chat-asha" <<'PY' && ok || bad "asha on eval.quiz.accuracy_norm: $(head -c 900 "$tmp/asha.json")"
import json, sqlite3, sys
board = json.load(open(sys.argv[1]))["leaderboard"]
rungs = list(sqlite3.connect(sys.argv[2] + "/state.db").execute(
    "SELECT job, rung, metric, stop FROM rungs WHERE rung = 0 ORDER BY seq"))
assert len(rungs) == 2, rungs
first, second = rungs
kept, stopped = (first, second) if second[3] else (second, first)
assert stopped[3] == 1 and kept[3] == 0, rungs
# The task metric is maximised: the one stopped scored no higher (a tie: the first to arrive stays).
assert stopped[2] < kept[2] or (stopped[2] == kept[2] and stopped is second), rungs
status = {j["job"]: j for j in board}
assert status[kept[0]]["status"] == "done" and status[stopped[0]]["status"] == "stopped", board
assert board[0]["job"] == kept[0] and "eval.quiz.accuracy_norm" in board[0]["eval"], board
PY
expect 0 "$saturn" export "$tmp/chat-asha" --out "$tmp/asha-best"
best=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["leaderboard"][0]["job"])' "$tmp/asha.json")
has "$tmp/out" "exported $best ("
expect 0 "$saturn" run "$tmp/w/chat-asha.yaml" --run-dir "$tmp/chat-asha"  # done: the leaderboard again
has "$tmp/out" "quiz.accuracy_norm"
# A bad eval record is one line before any work.
cp "$tmp/w/data/quiz.jsonl" "$tmp/w/data/quiz.good"
echo '{"prompt": "x", "choices": ["a", "b"], "answer": 5}' >>"$tmp/w/data/quiz.jsonl"
expect 65 "$saturn" validate "$tmp/w/chat-parquet.yaml"
has "$tmp/err" "data/quiz.jsonl:9: answer: 5 is not the index of a choice (0 .. 1)"
mv "$tmp/w/data/quiz.good" "$tmp/w/data/quiz.jsonl"
# The time chat templates read is the run's, recorded at its first start.
chat_time=$(sql "$tmp/chat-parquet" "SELECT value FROM meta WHERE key = 'chat_time'")
[ "$chat_time" -gt 1700000000 ] 2>/dev/null && [ "$chat_time" -le "$(date +%s)" ] && ok || bad "state.db meta chat_time: '$chat_time'"
cp "$tmp/w/data/chat.jsonl" "$tmp/w/data/chat.good"
echo '{"messages": [{"role": "user", "content": 7}]}' >>"$tmp/w/data/chat.jsonl"
expect 65 "$saturn" validate "$tmp/w/chat.yaml"
has "$tmp/err" "data/chat.jsonl:111: messages[0].content: expected a string or a list of parts, got a number"
one_line
sed 's|path: data/chat.jsonl}|path: data/chat.jsonl, skip_bad_lines: true}|' "$tmp/w/chat.yaml" >"$tmp/w/chat-skip.yaml"
expect 0 "$saturn" run "$tmp/w/chat-skip.yaml" --dry-run
has "$tmp/err" "run: warning: data/chat.jsonl: skipped 1 bad line (skip_bad_lines); the first: $tmp/w/data/chat.jsonl:111: messages[0].content: expected a string or a list of parts, got a number"
: >"$tmp/w/data/chat.jsonl"
expect 65 "$saturn" validate "$tmp/w/chat.yaml"
has "$tmp/err" "data/chat.jsonl: no records (an empty file)"
mv "$tmp/w/data/chat.good" "$tmp/w/data/chat.jsonl"

echo "finetune: $pass passed, $fail failed"
[ "$fail" = 0 ]
