#!/usr/bin/env bash
# Configure-time checks of cmake/Torch.cmake and cmake/Arrow.cmake: a python
# without torch, a torch outside 2.4 .. 2.15, a torch with the old
# std::string ABI, a python without pyarrow and a pyarrow older than 26 each
# stop CMake with one line naming the problem, and a supported torch is
# accepted up to its version check. The "pythons" are scripts that print
# what cmake/torch-probe.py (or Arrow.cmake's probe) prints.
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
configure() {  # configure PYTHON [CMAKE ARGS]: cmake's exit code; its output in $tmp/log
  rm -rf "$tmp/build"
  local p=$1; shift
  cmake -S "$src" -B "$tmp/build" -DSATURN_PYTHON="$p" -DSATURN_TESTS=OFF "$@" >"$tmp/raw" 2>&1
  local rc=$?
  tr -s ' \n' ' ' <"$tmp/raw" >"$tmp/log"  # CMake wraps long messages
  return $rc
}
refused() {  # refused WHAT PYTHON TEXT [CMAKE ARGS]: configuring with PYTHON fails and prints TEXT
  configure "$2" "${@:4}"
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

# Arrow (the build without torch checks it alone): no pyarrow, an old one.
cat >"$tmp/noarrow" <<'EOF2'
#!/bin/sh
echo "Traceback (most recent call last):" >&2
echo "ModuleNotFoundError: No module named 'pyarrow'" >&2
exit 1
EOF2
chmod +x "$tmp/noarrow"
refused "no pyarrow" "$tmp/noarrow" "saturn: no pyarrow in $tmp/noarrow (ModuleNotFoundError: No module named 'pyarrow'): saturn reads parquet and Arrow data with its C++ libraries; run scripts/setup.sh, or pip install 'pyarrow>=26' there" -DSATURN_WITH_TORCH=OFF
cat >"$tmp/oldarrow" <<EOF2
#!/bin/sh
printf '25.0.0\n$tmp/inc\n$tmp/lib\n'
EOF2
chmod +x "$tmp/oldarrow"
refused "pyarrow 25" "$tmp/oldarrow" "saturn: pyarrow 25.0.0 ($tmp/oldarrow) is older than 26; run scripts/setup.sh for the pinned one" -DSATURN_WITH_TORCH=OFF

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
