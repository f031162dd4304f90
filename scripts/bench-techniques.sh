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
# Pipeline schedules: the same job, 2 stages, 8 micro-batches, as trials
# (median step, peak RSS per stage), 3 runs each, alternating.
job="gpt-small/lr=1e-3,bs=16"
echo "pipeline schedule, $job, 2 stages x 8 micro-batches (median of 3 trials):"
for run in 1 2 3; do
  for s in 1f1b gpipe; do
    "$saturn" worker "$tmp/all.yaml" --job "$job" --run-dir "$tmp/sched-$s-$run" --devices cpu,cpu --technique pipeline \
      --micro-batches 8 --trial $([ $s = gpipe ] && echo --gpipe) >/dev/null 2>&1 || { echo "trial failed" >&2; exit 1; }
  done
done
python3 - "$tmp" <<'PY'
import glob, json, statistics, sys
res = {}
for s in ("1f1b", "gpipe"):
    steps, peaks = [], {0: [], 1: []}
    for run in (1, 2, 3):
        for r in (0, 1):
            d = json.load(open(f"{sys.argv[1]}/sched-{s}-{run}/trial/rank-{r}.json"))
            peaks[r].append(d["peak_memory"])
            if r == 0: steps.append(d["step_time"])
    res[s] = (statistics.median(steps), [statistics.median(peaks[r]) / 2**20 for r in (0, 1)])
print(f"  {'schedule':<9} {'step':>9} {'stage 0 RSS':>12} {'stage 1 RSS':>12}")
for s, (st, (p0, p1)) in res.items():
    print(f"  {s:<9} {1000 * st:>7.1f}ms {p0:>10.1f}Mi {p1:>10.1f}Mi")
g, o = res["gpipe"][1], res["1f1b"][1]
print(f"  1f1b / gpipe peak RSS: stage 0 {o[0] / g[0]:.2f}, stage 1 {o[1] / g[1]:.2f}")
PY
echo
echo "technique mix of saturn's plan for workloads/saturn-txt.yaml (8 x A100-40GB, estimates):"
"$saturn" plan workloads/saturn-txt.yaml --store "$tmp/empty.db" --run-dir "$tmp/txt" --json 2>/dev/null >"$tmp/txt.json"
"$saturn" profile workloads/saturn-txt.yaml --store "$tmp/empty.db" --show --json 2>/dev/null >"$tmp/txt-profile.json"
python3 - "$tmp/txt.json" "$tmp/txt-profile.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
rows = json.load(open(sys.argv[2]))["profiles"]
mix = collections.Counter()
for j in d["jobs"]:
    mix[(j["job"].split("/")[0], f"{j['technique']} x{j['devices']}")] += 1
for (model, strategy), n in sorted(mix.items()):
    print(f"  {model:<12} {strategy:<14} {n} job(s)")
print(f"  makespan {d['makespan_s'] / 3600:.2f} h, bound {d['bound_s'] / 3600:.2f} h")
# Why: for each shape, each technique's fastest option and its cheapest in
# device-hours (runtime x devices); the plan packs 12 jobs on 8 devices, so a
# strategy's device-hours weigh as much as its runtime.
print()
print("  why: per shape, each technique's fastest feasible option and the most device-efficient one")
print(f"  {'shape':<16} {'technique':<9} {'fastest':<26} {'job':>7} {'dev-h':>6}   {'most efficient':<26} {'job':>7} {'dev-h':>6}")
by = collections.defaultdict(list)
for r in rows:
    if r["feasible"]:
        by[(r["shape"], r["technique"])].append(r)
def name(r):
    return f"x{r['devices']}" + (f" ({r['knobs']})" if r["knobs"] else "")
for (shape, tech), rs in sorted(by.items()):
    fast = min(rs, key=lambda r: r["job_runtime_s"])
    eff = min(rs, key=lambda r: r["job_runtime_s"] * r["devices"])
    cols = lambda r: f"{name(r):<26} {r['job_runtime_s'] / 3600:>6.2f}h {r['job_runtime_s'] * r['devices'] / 3600:>6.2f}"
    print(f"  {shape:<16} {tech:<9} {cols(fast)}   {cols(eff)}")
PY
