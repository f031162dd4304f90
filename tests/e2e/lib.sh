# Shared by the e2e scripts (sourced): arguments, a temporary folder removed
# on exit, pass/fail counters and the checks.
# Sets: saturn (the binary), src (the source dir), tmp.
set -u
saturn=$1
src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# dur: an extended regular expression for a duration as saturn prints it
# (human_duration: 815 ms, 26.4 s, 1m 01s, 2h 07m); a loaded machine may
# push any of them past a minute.
dur='([0-9.]+ [mu]?s|[0-9]+m [0-9]{2}s|[0-9]+h [0-9]{2}m)'

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# has FILE TEXT: FILE contains TEXT.
has() {
  if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks <$2>: $(head -c 600 "$1")"; fi
}

# one_line: $tmp/err is one line (a refusal says one thing).
one_line() { [ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "more than one line: $(cat "$tmp/err")"; }

# expect CODE CMD...: runs CMD, checks its exit code; stdout in $tmp/out, stderr in $tmp/err.
expect() {
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$* exited $got, expected $want; stderr: $(cat "$tmp/err")"; fi
}

# sql RUN_DIR QUERY: the rows of QUERY on RUN_DIR/state.db, one per line.
sql() {
  python3 - "$1/state.db" "$2" <<'PY'
import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print(*row)
PY
}

# quickstart_fixture: prints the folder of one finished quickstart run measured
# in full (run/, profiles.db, out, err: tests/e2e/fixture_quickstart.sh).
# Under ctest the suites share one (SATURN_FIXTURES); a script run by hand
# makes its own in $tmp. Read it, never write it: copy what a test changes.
quickstart_fixture() {
  local d=${SATURN_FIXTURES:-}/quickstart
  if [ -z "${SATURN_FIXTURES:-}" ] || [ ! -e "$d/ok" ]; then
    d=$tmp/fixture-quickstart
    [ -e "$d/ok" ] || "$src/tests/e2e/fixture_quickstart.sh" "$saturn" "$src" "$d" >&2 || exit 1
  fi
  echo "$d"
}

# model_fixture NAME DEST: copies the weights of workloads/finetune/NAME
# (tiny-llama, tiny-chat) into the folder DEST (tests/e2e/fixture_models.sh):
# shared under ctest (SATURN_FIXTURES), else made here.
model_fixture() {
  local d=${SATURN_FIXTURES:-}/models
  if [ -z "${SATURN_FIXTURES:-}" ] || [ ! -e "$d/ok" ]; then
    d=$tmp/fixture-models
    [ -e "$d/ok" ] || "$src/tests/e2e/fixture_models.sh" "$src" "$d" >&2 || exit 1
  fi
  cp "$d/$1/model.safetensors" "$2/"
}
