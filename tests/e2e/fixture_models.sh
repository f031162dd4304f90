#!/usr/bin/env bash
# A test fixture shared by the e2e suites (ctest's FIXTURES_SETUP "models";
# tests/e2e/lib.sh's model_fixture): the weights of the repository's model
# folders workloads/finetune/tiny-llama and tiny-chat, made once by
# scripts/make-finetune-model.py (about 5 s each). Writes OUT/tiny-llama and
# OUT/tiny-chat (each a whole folder), then OUT/ok; the suites copy them.
# Usage: tests/e2e/fixture_models.sh SOURCE_DIR OUT     env: SATURN_PYTHON (the test Python)
set -euo pipefail
src=$(cd "$1" && pwd)
out=$2
py=${SATURN_PYTHON:-python3}
rm -rf "$out"
mkdir -p "$out"
for m in tiny-llama tiny-chat; do
  cp -r "$src/workloads/finetune/$m" "$out/"
  rm -f "$out/$m/model.safetensors"
  "$py" "$src/scripts/make-finetune-model.py" "$out/$m" >/dev/null 2>"$out/$m.err" ||
    { echo "the $m fixture failed:"; cat "$out/$m.err"; exit 1; }
  rm -f "$out/$m.err"
done
touch "$out/ok"
