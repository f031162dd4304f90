#!/usr/bin/env bash
# Planner benchmark (issue 5): saturn plan on a fixed suite of instances
# built from the estimator (an empty profile store: raw estimates only), and
# every baseline on the same runtime table. Prints, per instance: jobs,
# devices, makespan, lower bound, gap, solve time (median of RUNS runs) and
# saturn's makespan against each baseline (how much lower).
#
# Usage: scripts/bench-plan.sh [RUNS (default 3)] [INSTANCE-FILTER (regex)]
# Needs a build (scripts/build.sh). Takes about 3 minutes per run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
filter=${2:-.}
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-plan: build first (scripts/build.sh)" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. scripts/lib/plan_instances.sh

for w in txt img; do
  with_nodes workloads/saturn-$w.yaml "$w-1x8" "$one8" > "$tmp/$w-1x8.yaml"
  with_nodes workloads/saturn-$w.yaml "$w-2x8" "$two8" > "$tmp/$w-2x8.yaml"
  with_nodes workloads/saturn-$w.yaml "$w-8p4" "$eight4" > "$tmp/$w-8p4.yaml"
done
mixed mixed-64 "$two8" "[0, 1]" > "$tmp/mixed-64.yaml"
mixed mixed-200 "$four8" "[0, 1, 2, 3, 4, 5, 6]" > "$tmp/mixed-200.yaml"   # 224 jobs
mixed mixed-1000 "$eight8" "[$(seq -s ', ' 0 31)]" > "$tmp/mixed-1000.yaml"  # 1024 jobs

instances="txt-1x8 txt-2x8 txt-8p4 img-1x8 img-2x8 img-8p4 mixed-64 mixed-200 mixed-1000"
for i in $instances; do
  [[ "$i" =~ $filter ]] || continue
  limit=10s
  case "$i" in mixed-200|mixed-1000) limit=60s ;; esac
  for r in $(seq 1 "$runs"); do
    "$saturn" plan "$tmp/$i.yaml" --store "$tmp/empty.db" --run-dir "$tmp/run-$i" --time-limit "$limit" \
      --compare --json > "$tmp/$i.$r.json" 2> "$tmp/$i.$r.log" || { cat "$tmp/$i.$r.log" >&2; exit 1; }
  done
  echo "$i $limit" >> "$tmp/done"
done

python3 - "$tmp" "$runs" <<'PY'
import json, statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
def dur(s):
    s = float(s)
    return f"{s/3600:.2f} h" if s >= 3600 else f"{s/60:.1f} min"
names = ["current practice", "optimus-greedy", "max-heuristic", "min-heuristic", "random"]
short = {"current practice": "vs current", "optimus-greedy": "vs optimus", "max-heuristic": "vs max",
         "min-heuristic": "vs min", "random": "vs random"}
head = ["instance", "jobs", "GPUs", "limit", "makespan", "bound", "gap", "solve s", "stop"] + [short[n] for n in names]
rows = []
for line in open(f"{tmp}/done"):
    inst, limit = line.split()
    docs = [json.load(open(f"{tmp}/{inst}.{r}.json")) for r in range(1, runs + 1)]
    docs.sort(key=lambda d: d["solve_s"])
    d = docs[len(docs) // 2]
    jobs = len(d["jobs"])
    gpus = sum(n["devices"] for n in d["nodes"])
    base = {b["name"]: b["makespan_s"] for b in d["baselines"]}
    row = [inst, str(jobs), str(gpus), limit, dur(d["makespan_s"]), dur(d["bound_s"]), f"{100*d['gap']:.1f}%",
           f"{statistics.median(x['solve_s'] for x in docs):.1f}", d["stop"].split(" (")[0]]
    row += [f"-{100*(1-d['makespan_s']/base[n]):.0f}%" for n in names]
    rows.append(row)
w = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
print("| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(head)) + " |")
print("|" + "|".join("-" * (x + 2) for x in w) + "|")
for r in rows:
    print("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |")
print(f"\nmakespan/bound/gap of the run with the median solve time over {runs} runs; vs X: how much lower saturn's "
      "makespan is than baseline X's on the same runtime table (raw estimates, empty profile store).")
PY
