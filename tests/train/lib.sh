# Helpers for the training tests (sourced): checks counted into $pass and
# $fail, a worker run into $tmp/log, and loss comparisons over metrics.jsonl.
# Needs $saturn and $tmp set.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# worker ARGS...: runs a worker, stdout+stderr to $tmp/log; returns its exit code.
worker() { "$saturn" worker "$@" >"$tmp/log" 2>&1; }
metrics() { echo "$1/jobs/$2/metrics.jsonl"; }
# losses FILE: the training losses, one per line, as written.
losses() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d=json.loads(l)
    if "loss" in d: print(repr(d["loss"]))' "$1"; }
# decreases FILE: the last loss is below 80% of the first.
decreases() { python3 -c 'import json,sys
L=[json.loads(l)["loss"] for l in open(sys.argv[1]) if "\"loss\"" in l]
sys.exit(0 if len(L) > 2 and L[-1] < 0.8 * L[0] else 1)' "$1"; }
# close A B TOL: every loss of A within relative TOL of B's.
close() { python3 -c 'import json,sys
a=[json.loads(l)["loss"] for l in open(sys.argv[1]) if "\"loss\"" in l]
b=[json.loads(l)["loss"] for l in open(sys.argv[2]) if "\"loss\"" in l]
worst=max(abs(x-y)/abs(y) for x,y in zip(a,b))
print("  max relative loss difference %.3g over %d steps" % (worst, len(a)))
sys.exit(0 if len(a)==len(b) and len(a)>0 and worst <= float(sys.argv[3]) else 1)' "$1" "$2" "$3"; }
# wait_lines FILE N: until FILE has N lines (at most 60 s).
wait_lines() { for _ in $(seq 600); do [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0; sleep 0.1; done; return 1; }
# interrupt RUN_DIR METRICS LINES WORKER_ARGS...: a worker stopped by SIGTERM
# once its METRICS file has LINES lines, output in $tmp/cut.log; returns its
# exit code. It runs at low priority so this script keeps up with it; one that
# finished before the signal came (a busy machine) runs again in a fresh
# RUN_DIR, up to 3 times. Bug fixed: a small job could finish between
# wait_lines and the kill under load (exit 0, not 143).
interrupt() {
  local dir=$1 file=$2 lines=$3 code=0 pid
  shift 3
  for _ in 1 2 3; do
    rm -rf "$dir"
    nice -n 19 "$saturn" worker "$@" >"$tmp/cut.log" 2>&1 &
    pid=$!
    wait_lines "$file" "$lines"
    kill -TERM $pid
    wait $pid
    code=$?
    [ "$code" != 0 ] && break
  done
  return $code
}
