#!/usr/bin/env bash
# Fuzzes the workload loader, the safetensors header parser, the tokenizers
# and the Jinja chat-template interpreter with
# libFuzzer, SECONDS each (default 60), built with clang, ASan and UBSan into
# build-fuzz/. The corpora grow in fuzz-corpus/<target>/ (git-ignored),
# seeded from workloads/ and two small safetensors files. Exits non-zero and
# keeps the crashing input (crash-*) when a target crashes or misbehaves.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=build-fuzz
command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/setup.sh installs it)" >&2; exit 69; }
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DSATURN_FUZZ=ON -DSATURN_TESTS=OFF \
    -DSATURN_WITH_TORCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
fi
cmake --build "$build" --target fuzz_workload fuzz_safetensors fuzz_tokenizer fuzz_jinja
# fuzz TARGET CORPUS DICT: one libFuzzer run of SECONDS; the status is the worst of them.
status=0
fuzz() {
  local target=$1 corpus=$2 dict=$3 log=$build/$1.log st=0
  mkdir -p "$corpus"
  echo "fuzz: running $target for ${seconds}s"
  "$build/bin/$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -dict="$dict" -print_final_stats=1 \
    -artifact_prefix=./ "$corpus" >"$log" 2>&1 || st=$?
  grep -E 'stat::number_of_executed_units|SUMMARY|Test unit written' "$log" || true
  if [ "$st" = 0 ]; then
    echo "fuzz: $target: no crash"
  else
    grep -E '^==[0-9]+==|^    #[0-9] ' "$log" | head -20 >&2
    echo "fuzz: $target FAILED (exit $st); the input is in crash-*, the log in $log" >&2
    status=$st
  fi
}
mkdir -p fuzz-corpus/workload
cp workloads/*.yaml fuzz-corpus/workload/
fuzz fuzz_workload fuzz-corpus/workload tests/fuzz/workload.dict
# The safetensors seed: a valid file of two tensors, and one with metadata.
mkdir -p fuzz-corpus/safetensors
python3 - fuzz-corpus/safetensors <<'PY'
import json, struct, sys
def f(name, header, data):
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    open(sys.argv[1] + "/" + name, "wb").write(struct.pack("<Q", len(h)) + h + data)
f("two", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
          "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [8, 12]}}, bytes(12))
f("meta", {"__metadata__": {"format": "pt"}, "x": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]}}, bytes(8))
PY
fuzz fuzz_safetensors fuzz-corpus/safetensors tests/fuzz/safetensors.dict
# The tokenizer seeds: mixed text (odd first byte) and a small tokenizer.json (even).
mkdir -p fuzz-corpus/tokenizer
printf '\001Hello, w\303\266rld! 12345 \r\n\t  <|eot|> they'"'"'RE\n\n  x' >fuzz-corpus/tokenizer/text
printf '\000{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}, "pre_tokenizer": {"type": "ByteLevel"}, "added_tokens": [{"id": 3, "content": "<s>", "lstrip": true}]}' >fuzz-corpus/tokenizer/json
fuzz fuzz_tokenizer fuzz-corpus/tokenizer tests/fuzz/tokenizer.dict
# The chat-template seeds: the real templates the tests keep.
mkdir -p fuzz-corpus/jinja
cp tests/unit/tokenizer/templates/*.jinja fuzz-corpus/jinja/
fuzz fuzz_jinja fuzz-corpus/jinja tests/fuzz/jinja.dict
exit "$status"
