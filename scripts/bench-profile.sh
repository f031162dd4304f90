#!/usr/bin/env bash
# Profiler benchmark on a workload (default the quickstart), measured in one
# run: (1) predicted job runtimes from the profile against the real jobs
# trained to the end with `saturn worker` on one cpu device (median absolute
# error; goal <= 10%); (2) profiling wall time as a fraction of the
# workload's makespan (until the planner lands: its lower bound, the larger
# of total best device-seconds / devices and the longest job); (3) trials run
# against the naive count (jobs x techniques x device counts).
# Usage: scripts/bench-profile.sh [WORKLOAD]
set -euo pipefail
cd "$(dirname "$0")/.."
workload=${1:-workloads/quickstart.yaml}
scripts/build.sh >/dev/null
saturn=$PWD/build/bin/saturn
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s.%N)
"$saturn" profile "$workload" --store "$tmp/p.db" >/dev/null 2>"$tmp/profile.err"
end=$(date +%s.%N)
summary=$(grep '^profile: .* measured' "$tmp/profile.err")
"$saturn" profile "$workload" --store "$tmp/p.db" --show --json >"$tmp/profiles.json"
"$saturn" jobs "$workload" --json >"$tmp/jobs.json"

# Every job trained for real on one device, one at a time.
python3 -c 'import json,sys; [print(j["id"]) for j in json.load(open(sys.argv[1]))["jobs"]]' "$tmp/jobs.json" >"$tmp/ids"
while read -r id; do
  "$saturn" worker "$workload" --job "$id" --run-dir "$tmp/run" --devices cpu --no-resume 2>/dev/null
done <"$tmp/ids"

python3 - "$tmp" "$workload" "$(python3 -c "print($end - $start)")" "$summary" <<'PY'
import json, os, statistics, sys
tmp, workload, profile_s, summary = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
jobs = json.load(open(f"{tmp}/jobs.json"))
prof = json.load(open(f"{tmp}/profiles.json"))["profiles"]
by_shape = {}
for p in prof:
    if p["feasible"]:
        by_shape.setdefault(p["shape"], []).append(p)
shape_of = {s["hash"]: s["id"] for s in jobs["shapes"]}
print(f"workload: {workload}")
print(f"{'job':32} {'predicted':>10} {'measured':>10} {'error':>7}")
errors, best_dev_s, longest = [], 0.0, 0.0
devices = None
for j in jobs["jobs"]:
    shape = shape_of[j["shape_hash"]] if "shape_hash" in j else j["shape"]
    single = [p for p in by_shape.get(shape, []) if p["technique"] == "single"][0]
    res = json.load(open(f"{tmp}/run/jobs/{j['id']}/result.json"))
    pred, meas = single["job_runtime_s"], res["wall_s"]
    err = abs(pred - meas) / meas
    errors.append(err)
    print(f"{j['id']:32} {pred:9.2f}s {meas:9.2f}s {100*err:6.1f}%")
    best = min(by_shape[shape], key=lambda p: p["job_runtime_s"] * p["devices"])
    best_dev_s += best["job_runtime_s"] * best["devices"]
    longest = max(longest, min(p["job_runtime_s"] for p in by_shape[shape]))
devices = max(p["devices"] for p in prof)
bound = max(best_dev_s / devices, longest)
print(f"median absolute error of predicted job runtimes: {100*statistics.median(errors):.1f}% (goal <= 10%)")
print(f"profiling wall time {profile_s:.1f}s; makespan lower bound {bound:.1f}s; ratio {profile_s/bound:.2f}")
print(summary)
PY
