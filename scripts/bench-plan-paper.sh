#!/usr/bin/env bash
# Planner benchmark on paper-sized instances: the Saturn paper's TXT and IMG
# grids (12 jobs) and harder variants of each with 24 and 48 jobs (6 and 12
# learning rates), on 1x8, 2x8 and 8+4 A100-40GB, from raw estimates (an
# empty profile store). Each instance is planned RUNS times at each time
# limit in LIMITS. Prints, per instance: the median gap at each limit, the
# smallest limit whose median gap is within 2%, and the median makespan at
# the first limit against the best makespan any run found at the last.
#
# Usage: scripts/bench-plan-paper.sh [RUNS (default 3)] [INSTANCE-FILTER (regex)]
#        LIMITS="10 60" (seconds, ascending; default "10 60")
# Needs a build (scripts/build.sh). Takes RUNS x the sum of LIMITS per instance.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
filter=${2:-.}
limits=${LIMITS:-10 60}
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-plan-paper: build first (scripts/build.sh)" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. scripts/lib/plan_instances.sh

lrs24="1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3"
lrs48="1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2"
instances=()
for w in txt img; do
  for size in 12 24 48; do
    lrs=""
    [ "$size" = 24 ] && lrs=$lrs24
    [ "$size" = 48 ] && lrs=$lrs48
    for c in 1x8 2x8 8p4; do
      name="$w$size-$c"
      [[ "$name" =~ $filter ]] || continue
      case $c in 1x8) nodes=$one8 ;; 2x8) nodes=$two8 ;; 8p4) nodes=$eight4 ;; esac
      with_nodes "workloads/saturn-$w.yaml" "$name" "$nodes" "$lrs" > "$tmp/$name.yaml"
      instances+=("$name")
    done
  done
done

for i in "${instances[@]}"; do
  for limit in $limits; do
    for r in $(seq 1 "$runs"); do
      "$saturn" plan "$tmp/$i.yaml" --store "$tmp/empty.db" --run-dir "$tmp/run-$i" --time-limit "${limit}s" --json \
        > "$tmp/$i.$limit.$r.json" 2> "$tmp/$i.$limit.$r.log" || { cat "$tmp/$i.$limit.$r.log" >&2; exit 1; }
    done
  done
  echo "$i" >> "$tmp/done"
done

python3 - "$tmp" "$runs" $limits <<'PY'
import json, statistics, sys
tmp, runs, limits = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
head = ["instance", "jobs", "GPUs"] + [f"gap {l}s" for l in limits] + ["within 2%", f"{limits[0]}s plan vs best {limits[-1]}s", "bound " + limits[-1] + "s", "best plan"]
rows = []
for inst in open(f"{tmp}/done").read().split():
    docs = {l: [json.load(open(f"{tmp}/{inst}.{l}.{r}.json")) for r in range(1, runs + 1)] for l in limits}
    d0 = docs[limits[0]][0]
    gaps = {l: statistics.median(d["gap"] for d in docs[l]) for l in limits}
    within = next((l + " s" for l in limits if gaps[l] <= 0.02), "> " + limits[-1] + " s")
    best_last = min(d["makespan_s"] for d in docs[limits[-1]])
    first = statistics.median(d["makespan_s"] for d in docs[limits[0]])
    bound = max(d["bound_s"] for l in limits for d in docs[l])
    rows.append([inst, str(len(d0["jobs"])), str(sum(n["devices"] for n in d0["nodes"]))] +
                [f"{100 * gaps[l]:.1f}%" for l in limits] + [within, f"{100 * (first / best_last - 1):+.1f}%",
                 f"{bound / 3600:.3f} h", f"{min(d['makespan_s'] for l in limits for d in docs[l]) / 3600:.3f} h"])
w = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
print("| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(head)) + " |")
print("|" + "|".join("-" * (x + 2) for x in w) + "|")
for r in rows:
    print("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |")
print(f"\ngap: median over {runs} runs at each time limit; within 2%: the first limit whose median gap is at most 2%; "
      f"{limits[0]}s plan vs best: the median makespan at {limits[0]} s against the best any run found at {limits[-1]} s; "
      "bound and best plan: the best over every run (raw estimates, empty profile store).")
PY
