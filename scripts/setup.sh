#!/usr/bin/env bash
# Installs everything saturn needs to build and test. Idempotent: what is
# there already is skipped (a warm re-run takes well under a second); prints
# what it does.
#  1. Debian packages with apt-get (Debian 12): compilers, CMake, the C++
#     libraries, CBC, SQLite, Slurm (munge, slurmctld, slurmd, slurm-client:
#     a real local Slurm for the Slurm tests; nothing is started here), clang
#     for the fuzzer.
#  2. PyTorch and pyarrow, pinned in scripts/requirements.txt, with pip into
#     saturn's virtual environment (scripts/lib/env.sh: $SATURN_VENV, default
#     ~/.cache/saturn/venv). saturn builds against their C++ libraries:
#     LibTorch, with CUDA, and Arrow/Parquet (parquet and datasets data).
#     The first install downloads about 3 GB (the torch wheel brings its CUDA
#     libraries) and takes about 5.7 GB of disk. With SATURN_PYTHON set to a
#     python whose torch is 2.4 .. 2.15 and whose pyarrow is 26 or newer,
#     that one is used and nothing is installed into it for the build.
#  3. With --test: the test-only Python packages pinned in
#     scripts/requirements-test.txt (the Hugging Face libraries), into the
#     same environment, and Debian's chromium (the report's browser test).
# Usage: scripts/setup.sh [--test]        (as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh

with_test=0
for a in "$@"; do
  case $a in
    --test) with_test=1 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option $a (usage: scripts/setup.sh [--test])" >&2; exit 64 ;;
  esac
done

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libyaml-cpp-dev libcli11-dev libfmt-dev catch2 libsqlite3-dev sqlite3
  nlohmann-json3-dev coinor-libcbc-dev libicu-dev
  python3 python3-venv
  clang libclang-rt-14-dev
  munge slurmctld slurmd slurm-client
)
# The browser test of `saturn report` (headless Chromium).
[ $with_test = 1 ] && packages+=(chromium)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages already installed"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 69; }
    sudo="sudo"
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The `name==version` lines of a requirements file that $saturn_python does
# not have at that version (reads package metadata: imports nothing).
unmet() {
  "$saturn_python" - "$1" <<'PY'
import importlib.metadata as m, re, sys
for line in open(sys.argv[1]):
    spec = line.split("#")[0].strip()
    if not spec:
        continue
    name, want = re.split(r"==", spec, maxsplit=1)
    try:
        have = m.version(name)
    except m.PackageNotFoundError:
        have = None
    if have != want:
        print(spec)
PY
}

pip_install() {  # pip_install REQUIREMENTS_FILE WHAT
  local progress=()
  [ -t 1 ] || progress=(--progress-bar off)
  echo "setup: installing $2 into $("$saturn_python" -c 'import sys; print(sys.prefix)')"
  "$saturn_python" -m pip install --disable-pip-version-check --no-input "${progress[@]}" -r "$1"
}

if [ -n "${SATURN_PYTHON:-}" ]; then
  # A user's own environment: any torch in the supported range will do.
  v=$("$SATURN_PYTHON" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null) || {
    echo "setup: SATURN_PYTHON=$SATURN_PYTHON has no torch: install torch 2.4 .. 2.15 there, or unset SATURN_PYTHON" >&2
    exit 69
  }
  if ! "$SATURN_PYTHON" -c 'import sys; v=tuple(int(x) for x in sys.argv[1].split("+")[0].split(".")[:2]); sys.exit(0 if (2,4) <= v <= (2,15) else 1)' "$v"; then
    echo "setup: SATURN_PYTHON=$SATURN_PYTHON has torch $v; saturn supports 2.4 .. 2.15" >&2
    exit 69
  fi
  a=$("$SATURN_PYTHON" -c 'import importlib.metadata as m; print(m.version("pyarrow"))' 2>/dev/null) || {
    echo "setup: SATURN_PYTHON=$SATURN_PYTHON has no pyarrow (saturn reads parquet with its Arrow C++): install pyarrow 26 or newer there" >&2
    exit 69
  }
  if [ "${a%%.*}" -lt 26 ]; then
    echo "setup: SATURN_PYTHON=$SATURN_PYTHON has pyarrow $a; saturn needs 26 or newer" >&2
    exit 69
  fi
  echo "setup: torch $v and pyarrow $a from SATURN_PYTHON=$SATURN_PYTHON"
else
  if [ ! -x "$saturn_python" ]; then
    base=/usr/bin/python3
    [ -x "$base" ] || base=$(command -v python3)
    echo "setup: creating saturn's Python environment $saturn_venv (with $base)"
    mkdir -p "$(dirname "$saturn_venv")"
    "$base" -m venv "$saturn_venv" || { echo "setup: $base cannot make a virtual environment (install python3-venv)" >&2; exit 69; }
  fi
  need=$(unmet scripts/requirements.txt)
  if [ -n "$need" ]; then
    pip_install scripts/requirements.txt "$need (first time: about 3 GB to download)"
  else
    echo "setup: $(grep '==' scripts/requirements.txt | tr '\n' ' ')already in $saturn_venv"
  fi
fi

if [ $with_test = 1 ]; then
  need=$(unmet scripts/requirements-test.txt)
  if [ -n "$need" ]; then
    pip_install scripts/requirements-test.txt "the test packages: $(echo $need)"
  else
    echo "setup: the test packages are already installed"
  fi
fi
