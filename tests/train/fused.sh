#!/usr/bin/env bash
# Fusion tests through the real binary (CPU): K=4 jobs trained as one fused
# model against the same 4 trained separately, for every fusable
# architecture; checkpoints crossing between fused and unfused training;
# SIGTERM and resume; bad groups refused.
# Usage: tests/train/fused.sh SATURN_BINARY SOURCE_DIR
set -u
saturn=$1
src=$(cd "$2" && pwd)
wl=$src/tests/train/workloads/fused.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
# group MODEL: the --job arguments of the model's 4 grid points.
group() { local m=$1; for p in "lr=1e-3,seed=1" "lr=1e-3,seed=2" "lr=3e-3,seed=1" "lr=3e-3,seed=2"; do printf -- '--job\n%s\n' "$m/$p"; done; }
mapfile_group() { mapfile -t args < <(group "$1"); }

# --- fused K=4 equals 4 separate runs, per model, over 50 steps ---------------
for model in mlp vit gpt gpt-untied llama llama-mha; do
  mapfile_group "$model"
  worker "$wl" "${args[@]}" --technique fused --run-dir "$tmp/fused"
  check "$model: 4 jobs fused (exit 0)" [ $? = 0 ]
  for ((i = 1; i < ${#args[@]}; i += 2)); do
    job=${args[$i]}
    worker "$wl" --job "$job" --run-dir "$tmp/separate"
    check "$job: trained alone (exit 0)" [ $? = 0 ]
    check "$job: fused losses within 1e-5 of the separate run" \
      close "$(metrics "$tmp/fused" "$job")" "$(metrics "$tmp/separate" "$job")" 1e-5
    check "$job: fused validation loss within 1e-5 too" python3 -c 'import json,sys
a, b = (json.load(open(f))["eval_loss"] for f in sys.argv[1:])
sys.exit(0 if abs(a - b) <= 1e-5 * abs(b) else 1)' "$tmp/fused/jobs/$job/result.json" "$tmp/separate/jobs/$job/result.json"
  done
done
job="mlp/lr=1e-3,seed=1"
check "a fused job's checkpoint has the single-job format" cmp -s \
  <(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))["meta"]))' "$tmp/separate/jobs/$job/ckpt/step-0000000050.json" | tr -d "'") \
  <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["meta"]; m.pop("fused"); print(sorted(m))' "$tmp/fused/jobs/$job/ckpt/step-0000000050.json" | tr -d "'")
worker "$wl" "${args[@]}" --technique fused --run-dir "$tmp/fused"
check "rerun: every fused job is already done" [ "$(grep -c "is already done" "$tmp/log")" = 4 ]

# --- checkpoints cross between fused and unfused ---------------------------------
# Fused for a while, stopped by SIGTERM: every job checkpoints (exit 143).
mapfile_group gpt
interrupt "$tmp/cut" "$(metrics "$tmp/cut" "${args[1]}")" 40 "$wl" "${args[@]}" --technique fused --run-dir "$tmp/cut" --steps 300
check "fused, SIGTERM: exit 143" [ $? = 143 ]
check "fused, SIGTERM: every job stopped with a checkpoint" [ "$(grep -c "stopped gpt/.* at step" "$tmp/cut.log")" = 4 ]
cp -r "$tmp/cut" "$tmp/cut2"
# Continued fused: bit-identical to an uninterrupted fused run.
worker "$wl" "${args[@]}" --technique fused --run-dir "$tmp/whole" --steps 300
worker "$wl" "${args[@]}" --technique fused --run-dir "$tmp/cut" --steps 300
check "fused resume: exit 0" [ $? = 0 ]
check "fused resume: every job resumed" [ "$(grep -c "resumed gpt/.* from step" "$tmp/log")" = 4 ]
for ((i = 1; i < ${#args[@]}; i += 2)); do
  check "fused resume: ${args[$i]} bit-identical to the uninterrupted fused run" \
    cmp -s <(losses "$(metrics "$tmp/whole" "${args[$i]}")") <(losses "$(metrics "$tmp/cut" "${args[$i]}")")
done
# One model extracted and continued alone: the same losses as continuing fused.
job=${args[1]}
worker "$wl" --job "$job" --run-dir "$tmp/cut2" --steps 300
check "fused checkpoint continued unfused: exit 0" [ $? = 0 ]
check "fused checkpoint continued unfused: resumed" grep -q "resumed $job from step" "$tmp/log"
check "fused checkpoint continued unfused: losses within 1e-5 of continuing fused" \
  close "$(metrics "$tmp/cut2" "$job")" "$(metrics "$tmp/cut" "$job")" 1e-5
# The other way: a job trained alone for a while joins a fused group at its
# own step; the others start from 0; all match their separate runs (within
# 1e-4 over these 300 steps: rounding differences grow as the losses fall
# to ~0.1; the 50-step bound above is 1e-5).
mapfile_group mlp
job=${args[1]}
interrupt "$tmp/join" "$(metrics "$tmp/join" "$job")" 60 "$wl" --job "$job" --run-dir "$tmp/join" --steps 300
check "alone, SIGTERM: exit 143" [ $? = 143 ]
worker "$wl" "${args[@]}" --technique fused --run-dir "$tmp/join" --steps 300
check "unfused checkpoint joins a fused group: exit 0" [ $? = 0 ]
check "unfused checkpoint joins a fused group: resumed" grep -q "resumed $job from step" "$tmp/log"
for ((i = 1; i < ${#args[@]}; i += 2)); do
  worker "$wl" --job "${args[$i]}" --run-dir "$tmp/alone" --steps 300
  check "joined group: ${args[$i]} within 1e-4 of its separate run" \
    close "$(metrics "$tmp/join" "${args[$i]}")" "$(metrics "$tmp/alone" "${args[$i]}")" 1e-4
done

# --- refused, one line each -------------------------------------------------------
worker "$wl" --job mlp/lr=1e-3,seed=1 --job vit/lr=1e-3,seed=1 --technique fused --run-dir "$tmp/bad"
check "different models: exit 64" [ $? = 64 ]
check "different models: says so" [ "$(cat "$tmp/log")" = "--technique fused: vit/lr=1e-3,seed=1 and mlp/lr=1e-3,seed=1 are different models; fused jobs share one" ]
worker "$wl" --job mlp/lr=1e-3,seed=1 --job mlp/lr=1e-3,seed=2 --run-dir "$tmp/bad"
check "several jobs unfused: exit 64" [ $? = 64 ]
check "several jobs unfused: says so" [ "$(cat "$tmp/log")" = "--job: given 2 times; only --technique fused trains several jobs" ]
worker "$wl" --job mlp/lr=1e-3,seed=1 --job mlp/lr=1e-3,seed=1 --technique fused --run-dir "$tmp/bad"
check "a job twice: exit 64" [ $? = 64 ]
worker "$wl" --job mlp/lr=1e-3,seed=1 --technique fused --devices cpu,cpu --run-dir "$tmp/bad"
check "fused on 2 devices: exit 64" [ $? = 64 ]
# A fused trial times K copies of one job.
worker "$wl" --job mlp/lr=1e-3,seed=1 --technique fused --copies 4 --trial --run-dir "$tmp/trial"
check "fused trial of 4 copies: exit 0" [ $? = 0 ]
check "fused trial: a step time" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["feasible"] and d["step_time"] > 0 else 1)' "$tmp/trial/trial/rank-0.json"
check "fused trial: nothing else written" [ ! -e "$tmp/trial/jobs" ]

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
