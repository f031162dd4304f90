#!/usr/bin/env bash
# Parallelism benchmark (issue 7): step time of every technique the engine
# runs (single, ddp, fsdp, pipeline with its micro-batch count autotuned,
# spill) against single-device training, on the quickstart models at 1 and
# 2 CPU devices, measured in one profiling run (median step of each trial);
# then the technique mix saturn's plan picks for the paper's TXT grid
# (workloads/saturn-txt.yaml, 8 x A100, from estimates).
#
# Usage: scripts/bench-techniques.sh [WORKLOAD (default workloads/quickstart.yaml)]
# Needs a build (scripts/build.sh). About a minute on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
workload=${1:-workloads/quickstart.yaml}
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-techniques: build first (scripts/build.sh)" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -E 's/^techniques: .*/techniques: [single, ddp, fsdp, pipeline, spill]/' "$workload" >"$tmp/all.yaml"
grep -q '^techniques:' "$tmp/all.yaml" || echo 'techniques: [single, ddp, fsdp, pipeline, spill]' >>"$tmp/all.yaml"
sed -i "s|path: data/|path: $(cd "$(dirname "$workload")" && pwd)/data/|" "$tmp/all.yaml"
"$saturn" profile "$tmp/all.yaml" --store "$tmp/p.db" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
tail -1 "$tmp/err" | sed 's/; store .*//'
"$saturn" profile "$tmp/all.yaml" --store "$tmp/p.db" --show --json >"$tmp/p.json"
python3 - "$tmp/p.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["profiles"]
single = {r["shape"]: r["step_time_s"] for r in rows if r["technique"] == "single" and r["feasible"]}
print(f"{'shape':<16} {'strategy':<24} {'step':>9} {'vs single':>9} {'peak RSS':>9}")
for r in rows:
    if not r["feasible"]:
        print(f"{r['shape']:<16} {r['technique'] + ' x' + str(r['devices']):<24} infeasible: {r['reason']}")
        continue
    name = f"{r['technique']} x{r['devices']}" + (f" ({r['knobs']})" if r["knobs"] else "")
    ratio = single[r["shape"]] / r["step_time_s"] if r["shape"] in single else float("nan")
    print(f"{r['shape']:<16} {name:<24} {1000 * r['step_time_s']:>7.1f}ms {ratio:>8.2f}x {r['peak_memory_bytes'] / 2**20:>7.1f}Mi")
PY
echo
echo "technique mix of saturn's plan for workloads/saturn-txt.yaml (8 x A100-40GB, estimates):"
"$saturn" plan workloads/saturn-txt.yaml --store "$tmp/empty.db" --run-dir "$tmp/txt" --json 2>/dev/null >"$tmp/txt.json"
python3 - "$tmp/txt.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
mix = collections.Counter()
for j in d["jobs"]:
    mix[(j["job"].split("/")[0], f"{j['technique']} x{j['devices']}")] += 1
for (model, strategy), n in sorted(mix.items()):
    print(f"  {model:<12} {strategy:<14} {n} job(s)")
print(f"  makespan {d['makespan_s'] / 3600:.2f} h, bound {d['bound_s'] / 3600:.2f} h")
PY
