#!/usr/bin/env bash
# Configure-time checks of cmake/Torch.cmake: a python without torch, a torch
# outside 2.4 .. 2.15 and a torch with the old std::string ABI each stop
# CMake with one line naming the problem, and a supported torch is accepted
# up to its version check. The "pythons" are scripts that print what
# cmake/torch-probe.py prints; nothing else is needed.
# Usage: tests/e2e/torch_config.sh SATURN_BINARY SOURCE_DIR
. "$(dirname "$0")/lib.sh"

fake_python() {  # fake_python NAME VERSION ABI: a python whose probe says so
  cat >"$tmp/$1" <<EOF2
#!/bin/sh
[ "\$2" = "" ] || exit 2
printf 'version=%s\nfull_version=%s+cpu\ncxx11_abi=%s\ncmake_prefix=$tmp/none\nroot=$tmp/none\ncuda=\nnccl=\n' "$2" "$2" "$3"
EOF2
  chmod +x "$tmp/$1"
}
configure() {  # configure PYTHON: cmake's exit code; its output in $tmp/log
  rm -rf "$tmp/build"
  cmake -S "$src" -B "$tmp/build" -DSATURN_PYTHON="$1" -DSATURN_TESTS=OFF >"$tmp/raw" 2>&1
  local rc=$?
  tr -s ' \n' ' ' <"$tmp/raw" >"$tmp/log"  # CMake wraps long messages
  return $rc
}
refused() {  # refused WHAT PYTHON TEXT: configuring with PYTHON fails and prints TEXT
  configure "$2"
  local rc=$?
  if [ "$rc" != 0 ] && grep -qF "$3" "$tmp/log"; then ok; else bad "$1: exit $rc, expected a failure saying: $3; got: $(grep -A3 'CMake Error' "$tmp/raw" | head -8)"; fi
}
cat >"$tmp/notorch" <<'EOF2'
#!/bin/sh
echo "cannot import torch with /fake/python: No module named 'torch'" >&2
exit 1
EOF2
chmod +x "$tmp/notorch"
refused "no torch" "$tmp/notorch" "saturn: no usable PyTorch: cannot import torch with /fake/python: No module named 'torch'; run scripts/setup.sh"
refused "no python" "$tmp/missing-python" "saturn: no usable PyTorch:"
fake_python old 2.3.1 1
refused "torch 2.3" "$tmp/old" "saturn: torch 2.3.1+cpu ($tmp/old) is outside the supported range 2.4 .. 2.15"
fake_python new 2.16.0 1
refused "torch 2.16" "$tmp/new" "saturn: torch 2.16.0+cpu ($tmp/new) is outside the supported range 2.4 .. 2.15"
fake_python abi 2.6.0 0
refused "old ABI" "$tmp/abi" "saturn: torch 2.6.0+cpu ($tmp/abi) uses the old std::string ABI"

# In range with the right ABI: the version checks pass and CMake goes on to
# look for the LibTorch files (which a fake does not have).
fake_python ok 2.4.0 1
configure "$tmp/ok"; rc=$?
if grep -q "outside the supported range\|old std::string ABI\|no usable PyTorch" "$tmp/log"; then
  bad "torch 2.4.0 was refused: $(grep -A2 'CMake Error' "$tmp/raw" | head -4)"
else
  ok
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
