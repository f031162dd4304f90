#!/usr/bin/env bash
# End-to-end: a Hugging Face model folder (made by transformers:
# tests/train/hf/reference.py) as a workload's `models[].from`: validation
# reads config.json and every weight file's header (their parameters counted
# against the config), bad folders are one line with the right exit code,
# and `saturn worker` starts from its weights (not a random model's first
# loss; train_tests "hf:*" check transformers' losses) under single, DDP x2,
# FSDP x2, pipeline x2 and spill, with the same losses (llama with GQA, qwen2,
# llama3 rope scaling, mistral and gpt2; gpt2 also fused).
# Usage: tests/e2e/hf.sh SATURN_BINARY SOURCE_DIR     env: SATURN_PYTHON (the test Python)
. "$(dirname "$0")/lib.sh"
py=${SATURN_PYTHON:-python3}
"$py" "$src/tests/train/hf/reference.py" llama-gqa "$tmp/m" >/dev/null 2>"$tmp/ref.err" || { cat "$tmp/ref.err"; exit 1; }

workload() {  # workload FILE [extra model lines]
  cat >"$1" <<YAML
name: hf
cluster:
  nodes:
    - name: local
      devices: {kind: cpu, count: 2, threads: 1}
data:
  train: {format: synthetic, samples: 64, seed: 3}
models:
  - name: tiny-llama
    from: m
$2
search:
  grid:
    lr: [1e-3]
    batch_size: [4]
train:
  steps: 6
  log_every: 1
  eval_every: 0
  optimizer: adamw
YAML
}
workload "$tmp/w.yaml" "    config: {seq_len: 16}"
expect 0 "$saturn" validate "$tmp/w.yaml"
expect 0 "$saturn" jobs "$tmp/w.yaml" --json
has "$tmp/out" '"arch": "llama"'
has "$tmp/out" '"kv_heads": 2'

# Bad input: each one line and its exit code, nothing trained.
workload "$tmp/bad1.yaml" "    config: {width: 128}"
expect 65 "$saturn" validate "$tmp/bad1.yaml"
has "$tmp/err" "models[0].config.width: 128 differs from 64 in m/config.json (a pretrained model keeps its shape)"
workload "$tmp/bad2.yaml" "    config: {seq_len: 128}"
expect 65 "$saturn" validate "$tmp/bad2.yaml"
has "$tmp/err" "128 differs from 64 in m/config.json (seq_len may only be shorter)"
sed 's/from: m/from: nowhere/' "$tmp/w.yaml" >"$tmp/bad3.yaml"
expect 66 "$saturn" validate "$tmp/bad3.yaml"
has "$tmp/err" "nowhere/config.json: no such file (a Hugging Face model folder has config.json)"
mkdir -p "$tmp/g" && echo '{"model_type": "gpt_neox", "hidden_size": 8}' >"$tmp/g/config.json"
sed 's/from: m/from: g/' "$tmp/w.yaml" >"$tmp/bad4.yaml"
expect 65 "$saturn" validate "$tmp/bad4.yaml"
has "$tmp/err" "g/config.json: model_type: \"gpt_neox\"; saturn reads gpt2, llama, mistral and qwen2"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "more than one line: $(cat "$tmp/err")"
cp -r "$tmp/m" "$tmp/t" && head -c 3000 "$tmp/m/model.safetensors" >"$tmp/t/model.safetensors"
sed 's/from: m/from: t/' "$tmp/w.yaml" >"$tmp/trunc.yaml"
job=tiny-llama
truncated="t/model.safetensors: tensor \"model.embed_tokens.weight\": data_offsets end at byte 24576, past the 944 bytes of data (truncated?)"
expect 65 "$saturn" worker "$tmp/trunc.yaml" --job "$job" --run-dir "$tmp/rt" --devices cpu --technique single
has "$tmp/err" "$truncated"
# ... which validate finds first, and run before any work: nothing written.
expect 65 "$saturn" validate "$tmp/trunc.yaml"
has "$tmp/err" "$truncated"
one_line
expect 65 "$saturn" run "$tmp/trunc.yaml" --run-dir "$tmp/run-trunc" --store "$tmp/trunc.db"
has "$tmp/err" "$truncated"
[ ! -e "$tmp/run-trunc" ] && ok || bad "a run on truncated weights wrote $(find "$tmp/run-trunc")"
# A missing weight file, a damaged header, a config the weights are not.
cp -r "$tmp/m" "$tmp/nw" && rm "$tmp/nw/model.safetensors"
sed 's/from: m/from: nw/' "$tmp/w.yaml" >"$tmp/nw.yaml"
# (a folder of config.json alone plans, for a machine elsewhere; training here needs the weights)
expect 0 "$saturn" validate "$tmp/nw.yaml"
has "$tmp/err" "validate: warning: "
has "$tmp/err" ": planning works from config.json, training needs the weights"
expect 66 "$saturn" run "$tmp/nw.yaml" --run-dir "$tmp/run-nw" --store "$tmp/nw.db"
one_line
[ ! -e "$tmp/run-nw" ] && ok || bad "a run without weights wrote its run directory"
cp -r "$tmp/m" "$tmp/dh" && printf '\x10\x00\x00\x00\x00\x00\x00\x00{"not": json....}' >"$tmp/dh/model.safetensors"
sed 's/from: m/from: dh/' "$tmp/w.yaml" >"$tmp/dh.yaml"
expect 65 "$saturn" validate "$tmp/dh.yaml"
has "$tmp/err" "dh/model.safetensors"
one_line
cp -r "$tmp/m" "$tmp/ws" && python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["intermediate_size"] += 32; json.dump(c, open(sys.argv[1], "w"))' "$tmp/ws/config.json"
sed 's/from: m/from: ws/' "$tmp/w.yaml" >"$tmp/ws.yaml"
expect 65 "$saturn" validate "$tmp/ws.yaml"
has "$tmp/err" "ws: the weight files hold "
has "$tmp/err" " parameters where config.json implies "
one_line

# Training from the folder's weights, every technique to the same losses.
losses() { python3 -c 'import json,sys; print(" ".join("%.6f" % json.loads(l)["loss"] for l in open(sys.argv[1]) if "loss" in json.loads(l)))' "$1"; }
same_losses() {  # same_losses NAME TECH... : TMP/NAME-TECH.losses equal TMP/NAME-single.losses
  local name=$1; shift
  python3 - "$tmp" "$name" "$@" <<'PY' && ok || bad "$name: losses differ across techniques: $(cat "$tmp/$name"-*.losses)"
import sys
t, name, techs = sys.argv[1], sys.argv[2], sys.argv[3:]
base = [float(x) for x in open(f"{t}/{name}-single.losses").read().split()]
assert len(base) == 6, base
for tech in techs:
    other = [float(x) for x in open(f"{t}/{name}-{tech}.losses").read().split()]
    assert len(other) == 6 and all(abs(a - b) <= 1e-4 * max(1, abs(a)) for a, b in zip(base, other)), (tech, base, other)
PY
}
every_technique() {  # every_technique NAME WORKLOAD JOB: TMP/NAME-TECH.losses for each technique but fused
  local t tech devs
  for t in single:cpu ddp:cpu,cpu fsdp:cpu,cpu pipeline:cpu,cpu spill:cpu; do
    tech=${t%%:*} devs=${t#*:}
    expect 0 "$saturn" worker "$2" --job "$3" --run-dir "$tmp/$1-r-$tech" --devices "$devs" --technique "$tech"
    losses "$tmp/$1-r-$tech/jobs/$3/metrics.jsonl" >"$tmp/$1-$tech.losses"
  done
}
every_technique llama "$tmp/w.yaml" "$job"
same_losses llama ddp fsdp pipeline spill
# Qwen2 (q/k/v biases, a tied head), Llama with llama3 rope scaling and
# Mistral the same.
for family in qwen2 llama3-rope mistral; do
  "$py" "$src/tests/train/hf/reference.py" "$family" "$tmp/$family" >/dev/null 2>"$tmp/ref.err" || { cat "$tmp/ref.err"; exit 1; }
  sed "s/from: m/from: $family/" "$tmp/w.yaml" >"$tmp/$family.yaml"
  expect 0 "$saturn" validate "$tmp/$family.yaml"  # its weights are its config's
  every_technique "$family" "$tmp/$family.yaml" "$job"
  same_losses "$family" ddp fsdp pipeline spill
done

# GPT-2 from its folder: the same under every technique, fused included
# (two learning rates in one fused group, each as its own single run).
"$py" "$src/tests/train/hf/reference.py" gpt2 "$tmp/g2" >/dev/null 2>"$tmp/ref.err" || { cat "$tmp/ref.err"; exit 1; }
sed -e 's/from: m/from: g2/' -e 's/name: tiny-llama/name: tiny-gpt2/' -e 's/lr: \[1e-3\]/lr: [1e-3, 3e-3]/' "$tmp/w.yaml" >"$tmp/g2.yaml"
expect 0 "$saturn" validate "$tmp/g2.yaml"
expect 0 "$saturn" jobs "$tmp/g2.yaml" --json
has "$tmp/out" '"gelu_tanh": true'
j1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0]["id"])' "$tmp/out")
j2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][1]["id"])' "$tmp/out")
every_technique gpt2 "$tmp/g2.yaml" "$j1"
expect 0 "$saturn" worker "$tmp/g2.yaml" --job "$j2" --run-dir "$tmp/g-single2" --devices cpu --technique single
losses "$tmp/g-single2/jobs/$j2/metrics.jsonl" >"$tmp/gpt2b-single.losses"
expect 0 "$saturn" worker "$tmp/g2.yaml" --job "$j1" --job "$j2" --run-dir "$tmp/g-fused" --devices cpu --technique fused
losses "$tmp/g-fused/jobs/$j1/metrics.jsonl" >"$tmp/gpt2-fused.losses"
losses "$tmp/g-fused/jobs/$j2/metrics.jsonl" >"$tmp/gpt2b-fused.losses"
same_losses gpt2 ddp fsdp pipeline spill fused
same_losses gpt2b fused

# The weights are the folder's: the same model from its seed alone (arch
# and config restated, no from) starts at another loss.
cfg=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print("{layers: %d, width: %d, heads: %d, kv_heads: %d, intermediate: %d, vocab: %d, seq_len: 16, rms_eps: %g, tied_head: %s}" % (c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["intermediate_size"], c["vocab_size"], c["rms_norm_eps"], str(c["tie_word_embeddings"]).lower()))' "$tmp/m/config.json")
workload "$tmp/random.yaml" "    arch: llama
    config: $cfg"
sed -i '/from: m/d' "$tmp/random.yaml"
expect 0 "$saturn" worker "$tmp/random.yaml" --job "$job" --run-dir "$tmp/r-random" --devices cpu --technique single
losses "$tmp/r-random/jobs/$job/metrics.jsonl" >"$tmp/random.losses"
[ "$(cut -d' ' -f1 "$tmp/random.losses")" != "$(cut -d' ' -f1 "$tmp/llama-single.losses")" ] && ok ||
  bad "the first loss from the folder equals a random model's: $(cat "$tmp/random.losses")"
echo "hf: $pass passed, $fail failed"
[ "$fail" = 0 ]
