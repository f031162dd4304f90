#!/usr/bin/env bash
# Training tests through the real binary: real processes, real shared-memory collectives, CPU.
# Usage: tests/train/train.sh SATURN_BINARY SOURCE_DIR
set -u
saturn=$1
src=$(cd "$2" && pwd)
wl=$src/tests/train/workloads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# --- every model learns -------------------------------------------------------
for job in gpt gpt-dropout; do
  worker "$wl/tiny-gpt.yaml" --job "$job" --run-dir "$tmp/learn" --no-resume
  check "$job trains (exit 0)" [ $? = 0 ]
  check "$job: loss decreases" decreases "$(metrics "$tmp/learn" "$job")"
done
for job in mlp vit; do
  worker "$wl/images.yaml" --job "$job" --run-dir "$tmp/learn" --no-resume
  check "$job trains (exit 0)" [ $? = 0 ]
  check "$job: loss decreases" decreases "$(metrics "$tmp/learn" "$job")"
done
check "result.json written" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["steps"]==40 and d["eval_loss"] is not None else 1)' "$tmp/learn/jobs/vit/result.json"

# --- DDP on 2 ranks equals one device at the same global batch ----------------
worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/one" --steps 50
check "single device, 50 steps" [ $? = 0 ]
worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/ddp" --steps 50 --devices cpu,cpu
check "ddp on 2 ranks, 50 steps" [ $? = 0 ]
check "ddp losses within 1e-5 of single device" close "$(metrics "$tmp/ddp" gpt)" "$(metrics "$tmp/one" gpt)" 1e-5
worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/fsdp" --steps 50 --devices cpu,cpu --technique fsdp
check "fsdp on 2 ranks, 50 steps" [ $? = 0 ]
check "fsdp losses within 1e-4 of single device" close "$(metrics "$tmp/fsdp" gpt)" "$(metrics "$tmp/one" gpt)" 1e-4
check "fsdp checkpoint has the single-device format" cmp -s <(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))["meta"]))' "$tmp/one/jobs/gpt/ckpt/step-0000000050.json") \
  <(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))["meta"]))' "$tmp/fsdp/jobs/gpt/ckpt/step-0000000050.json")
# FSDP's knobs: activations kept instead of recomputed, shards and optimizer
# state offloaded to the host; spilling without recompute; a pipeline on the
# GPipe schedule (the default is 1F1B).
for variant in "fsdp-keep:--devices cpu,cpu --technique fsdp --no-recompute" \
               "fsdp-keep2:--devices cpu,cpu --technique fsdp --no-recompute --group-blocks 2" \
               "fsdp-offload:--devices cpu,cpu --technique fsdp --offload" \
               "spill-keep:--technique spill --no-recompute --group-blocks 2" \
               "pipeline-gpipe:--devices cpu,cpu,cpu --technique pipeline --gpipe --micro-batches 4"; do
  name=${variant%%:*}
  read -r -a args <<<"${variant#*:}"
  worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/$name" --steps 50 "${args[@]}"
  check "$name, 50 steps" [ $? = 0 ]
  check "$name: losses within 1e-4 of single device" close "$(metrics "$tmp/$name" gpt)" "$(metrics "$tmp/one" gpt)" 1e-4
done
worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/bad" --steps 5 --offload
check "--offload without fsdp: exit 64" [ $? = 64 ]
check "--offload without fsdp: one line" [ "$(cat "$tmp/log")" = "--offload: only with --technique fsdp" ]
for stages in 2 3; do
  devs=$(printf 'cpu,%.0s' $(seq $stages)); devs=${devs%,}
  worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/pipe$stages" --steps 50 --devices "$devs" --technique pipeline
  check "pipeline of $stages stages, 50 steps" [ $? = 0 ]
  check "pipeline ($stages stages) losses within 1e-4 of single device" close "$(metrics "$tmp/pipe$stages" gpt)" "$(metrics "$tmp/one" gpt)" 1e-4
  check "pipeline ($stages stages) validation loss within 1e-4 of single device" python3 -c 'import json,sys
a, b = (json.load(open(f))["eval_loss"] for f in sys.argv[1:])
sys.exit(0 if abs(a - b) <= 1e-4 * abs(b) else 1)' "$tmp/pipe$stages/jobs/gpt/result.json" "$tmp/one/jobs/gpt/result.json"
done
for group in 1 3; do
  worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/spill$group" --steps 50 --technique spill --group-blocks $group
  check "spill, $group block(s) per group, 50 steps" [ $? = 0 ]
  check "spill ($group per group) losses within 1e-4 of single device" close "$(metrics "$tmp/spill$group" gpt)" "$(metrics "$tmp/one" gpt)" 1e-4
done
worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/accum" --steps 50 --micro-batch 2
check "gradient accumulation (micro-batch 2)" [ $? = 0 ]
check "accumulated losses within 1e-5 of single device" close "$(metrics "$tmp/accum" gpt)" "$(metrics "$tmp/one" gpt)" 1e-5

# --- SIGTERM: checkpoint, exit 143, resume bit-identical ----------------------
for job in gpt gpt-dropout; do
  for devices in cpu cpu,cpu cpu,cpu/fsdp cpu,cpu/pipeline cpu/spill cpu,cpu/fsdp/--no-recompute; do
    knob=""
    case $devices in */*/*) knob=${devices##*/}; devices=${devices%/*} ;; esac
    technique=${devices#*/}
    [ "$technique" = "$devices" ] && technique="" || devices=${devices%/*}
    name="$job on $devices${technique:+ ($technique${knob:+ $knob})}"
    args=(--devices "$devices" ${technique:+--technique "$technique"} $knob)
    dir=$job-$devices$technique$knob
    worker "$wl/tiny-gpt.yaml" --job "$job" --run-dir "$tmp/whole-$dir" --steps 300 "${args[@]}"
    interrupt "$tmp/cut-$dir" "$(metrics "$tmp/cut-$dir" "$job")" 40 \
      "$wl/tiny-gpt.yaml" --job "$job" --run-dir "$tmp/cut-$dir" --steps 300 "${args[@]}"
    code=$?
    check "$name: SIGTERM exits 143" [ "$code" = 143 ]
    check "$name: stopped with a checkpoint" grep -q "stopped $job at step" "$tmp/cut.log"
    worker "$wl/tiny-gpt.yaml" --job "$job" --run-dir "$tmp/cut-$dir" --steps 300 "${args[@]}"
    check "$name: resumed run exits 0" [ $? = 0 ]
    check "$name: resumed from the checkpoint" grep -q "resumed $job from step" "$tmp/log"
    check "$name: losses bit-identical to an uninterrupted run" \
      cmp -s <(losses "$(metrics "$tmp/whole-$dir" "$job")") <(losses "$(metrics "$tmp/cut-$dir" "$job")")
  done
done
# A pipeline keeps its stage cuts (balanced on times measured at its first
# start) for its resumes: each stage draws its own dropout masks, so a resume
# that cut elsewhere (times measured under other load) drew other masks.
# Bug fixed: resumed runs measured again and could cut elsewhere.
cuts=$tmp/cut-gpt-dropout-cpu,cpupipeline/jobs/gpt-dropout/pipeline-stages.json
check "pipeline: the stage cuts are kept in the job's folder" [ -f "$cuts" ]
other=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); c=j["cuts"]; c[1]=1 if c[1]!=1 else 2; print(json.dumps({"blocks": j["blocks"], "cuts": c}))' "$cuts")
rm -rf "$tmp/recut" && mkdir -p "$tmp/recut/jobs/gpt-dropout" && echo "$other" >"$tmp/recut/jobs/gpt-dropout/pipeline-stages.json"
worker "$wl/tiny-gpt.yaml" --job gpt-dropout --run-dir "$tmp/recut" --steps 300 --devices cpu,cpu --technique pipeline
check "pipeline: a run cuts where its folder says" [ "$(cat "$tmp/recut/jobs/gpt-dropout/pipeline-stages.json")" = "$other" ]
differ() { ! cmp -s "$1" "$2"; }
check "pipeline: another cut draws other dropout masks (why the cuts are kept)" \
  differ <(losses "$(metrics "$tmp/recut" gpt-dropout)") <(losses "$(metrics "$tmp/whole-gpt-dropout-cpu,cpupipeline" gpt-dropout)")

# A checkpoint moves between techniques: stopped as fsdp, resumed on one device.
interrupt "$tmp/switch" "$(metrics "$tmp/switch" gpt)" 40 \
  "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/switch" --steps 300 --devices cpu,cpu --technique fsdp
worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/switch" --steps 300
check "fsdp checkpoint resumed on one device" grep -q "resumed gpt from step" "$tmp/log"
check "fsdp -> single: losses within 1e-4 of single device throughout" \
  close "$(metrics "$tmp/switch" gpt)" "$(metrics "$tmp/whole-gpt-cpu" gpt)" 1e-4

# --- a corrupted or truncated newest checkpoint: the previous one is used ------
worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/ref" --steps 30
ck=$tmp/ref/jobs/gpt/ckpt
check "two checkpoints kept (20, 30)" [ "$(ls "$ck" | tr '\n' ' ')" = "step-0000000020.json step-0000000020.pt step-0000000030.json step-0000000030.pt " ]
cp -r "$tmp/ref" "$tmp/trunc"
truncate -s 1000 "$tmp/trunc/jobs/gpt/ckpt/step-0000000030.pt"
rm "$tmp/trunc/jobs/gpt/result.json"
worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/trunc" --steps 30
check "truncated checkpoint: exit 0" [ $? = 0 ]
check "truncated checkpoint: reported" grep -q "step-0000000030.pt: 1000 bytes, expected .* (truncated); trying an older checkpoint" "$tmp/log"
check "truncated checkpoint: resumed from step 20" grep -q "resumed gpt from step 20" "$tmp/log"
check "truncated checkpoint: same losses as without the fault" \
  cmp -s <(losses "$(metrics "$tmp/ref" gpt)") <(losses "$(metrics "$tmp/trunc" gpt)")
cp -r "$tmp/ref" "$tmp/flip"
python3 - "$tmp/flip/jobs/gpt/ckpt/step-0000000030.pt" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xFF; open(p, "wb").write(b)
PY
rm "$tmp/flip/jobs/gpt/result.json"
worker "$wl/tiny-gpt.yaml" --job gpt --run-dir "$tmp/flip" --steps 30
check "corrupted checkpoint: reported" grep -q "step-0000000030.pt: checksum mismatch (corrupted); trying an older checkpoint" "$tmp/log"
check "corrupted checkpoint: same losses as without the fault" \
  cmp -s <(losses "$(metrics "$tmp/ref" gpt)") <(losses "$(metrics "$tmp/flip" gpt)")

# --- bad inputs -------------------------------------------------------------------
sed 's|path: ../../../workloads/data/corpus.txt|path: no-such-corpus.txt|' "$wl/tiny-gpt.yaml" >"$wl/.missing-$$.yaml"
worker "$wl/.missing-$$.yaml" --job gpt --run-dir "$tmp/bad"
code=$?
rm -f "$wl/.missing-$$.yaml"
check "missing data file: exit 66" [ "$code" = 66 ]
check "missing data file: names the path" grep -q "file not found: \"$wl/no-such-corpus.txt\"" "$tmp/log"
worker "$wl/short-text.yaml" --job gpt --run-dir "$tmp/bad"
check "text shorter than a sequence: exit 65" [ $? = 65 ]
check "text shorter than a sequence: says what is needed" \
  grep -q "short.txt: 25 tokens is shorter than one sequence: seq_len 64 needs at least 65 tokens" "$tmp/log"
worker "$wl/tiny-gpt.yaml" --job gtp --run-dir "$tmp/bad"
check "unknown job: exit 64" [ $? = 64 ]
check "unknown job: suggests one" grep -q 'no job "gtp" in the workload, did you mean "gpt"?' "$tmp/log"
[ ! -e "$tmp/bad" ] && ok "bad inputs wrote nothing" || bad "bad inputs wrote $(find "$tmp/bad")"

# --- TorchScript: a module saved by PyTorch trains in saturn ------------------------
# SATURN_PYTHON: the python whose torch saturn was built against (ctest sets it).
py=${SATURN_PYTHON:-}
if [ -z "$py" ] || ! "$py" -c 'import torch' >/dev/null 2>&1; then
  bad "torchscript: SATURN_PYTHON (${py:-unset}) cannot import torch: run through ctest, or set it"
else
  # torch.jit.script reads the class's source: it must live in a file.
  cat >"$tmp/save_lm.py" <<'PY'
import sys, torch
class LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(256, 32)
        self.mix = torch.nn.Linear(32, 32)
        self.out = torch.nn.Linear(32, 256)
    def forward(self, x):
        return self.out(torch.tanh(self.mix(self.emb(x))))
torch.manual_seed(0)
torch.jit.script(LM()).save(sys.argv[1])
PY
  "$py" "$tmp/save_lm.py" "$tmp/lm.pt"
  cat >"$tmp/ts.yaml" <<EOF2
name: ts
cluster: {nodes: [{name: local, devices: {kind: cpu, count: 1}}]}
data: {train: {format: text, path: $src/workloads/data/corpus.txt}}
models: [{name: lm, arch: torchscript, path: lm.pt, config: {seq_len: 32}}]
search: {grid: {lr: 1e-2, batch_size: 8}}
train: {steps: 40, log_every: 1}
EOF2
  worker "$tmp/ts.yaml" --job lm --run-dir "$tmp/ts"
  check "torchscript module trains (exit 0)" [ $? = 0 ]
  check "torchscript: loss decreases" decreases "$(metrics "$tmp/ts" lm)"
  worker "$tmp/ts.yaml" --job lm --run-dir "$tmp/ts-pipe" --devices cpu,cpu --technique pipeline
  check "torchscript pipeline: exit 64" [ $? = 64 ]
  check "torchscript pipeline: says why" [ "$(cat "$tmp/log")" = "--technique pipeline: a torchscript module is one block: it cannot be cut into pipeline stages" ]
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
