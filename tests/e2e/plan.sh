#!/usr/bin/env bash
# End-to-end: `saturn plan` on estimates (an empty profile store): plan.json
# that passes an independent check, determinism, --compare, --svg, --json,
# heterogeneous nodes, and bad input refused with one line and nothing written.
# Usage: tests/e2e/plan.sh SATURN_BINARY SOURCE_DIR
. "$(dirname "$0")/lib.sh"
# check_plan PLAN.JSON: every job once, devices on their node and not shared
# in time, durations positive, makespan = latest end, bound <= makespan.
check_plan() {
  if python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
nodes = {n["name"]: n["devices"] for n in d["nodes"]}
seen, held, latest = set(), {}, 0.0
for j in d["jobs"]:
    assert j["job"] not in seen, "job twice: " + j["job"]
    seen.add(j["job"])
    assert j["node"] in nodes, j
    assert len(j["device_ids"]) == j["devices"] == len(set(j["device_ids"])), j
    assert all(0 <= x < nodes[j["node"]] for x in j["device_ids"]), j
    assert j["end_s"] > j["start_s"] >= 0, j
    latest = max(latest, j["end_s"])
    if j["fused_with"]:
        continue
    for x in j["device_ids"]:
        held.setdefault((j["node"], x), []).append((j["start_s"], j["end_s"]))
for spans in held.values():
    spans.sort()
    for a, b in zip(spans, spans[1:]):
        assert b[0] >= a[1] - 1e-6, ("overlap", a, b)
assert abs(latest - d["makespan_s"]) < 1e-6, (latest, d["makespan_s"])
assert 0 <= d["bound_s"] <= d["makespan_s"] + 1e-6
assert d["stop"] and d["method"]
for b in d.get("baselines", []):
    assert b["makespan_s"] >= d["makespan_s"] - 1e-6, b
    assert b["makespan_s"] >= d["bound_s"] - 1e-6, b
print(len(seen))
PY
  then ok; else bad "plan check failed for $1"; fi
}

mkdir -p "$tmp/w/data" && cp "$src/workloads/data/corpus.txt" "$tmp/w/data/"
cp "$src/workloads/quickstart.yaml" "$tmp/w/quickstart.yaml"
store=$tmp/empty.db

# 1. The quickstart: 8 jobs on 2 cpu devices, plan.json in the run folder.
expect 0 "$saturn" plan "$tmp/w/quickstart.yaml" --store "$store" --run-dir "$tmp/run"
check_plan "$tmp/run/plan.json"
has "$tmp/err" "plan: 8 jobs on 2 devices (1 node): makespan "
has "$tmp/out" "gpt-small/lr=3e-3,bs=16"
has "$tmp/out" "local:0 |"
# The store is empty: the plan says what `saturn run` measures first (profile:
# auto: what can change the plan, within 5% of the makespan), and the time end
# to end (plan.json too, with each estimated strategy's verdict).
grep -Eq "^plan: end to end about $dur: (measure $dur \([0-9]+ trials?, profile: auto\)|nothing to measure \(profile: auto\)), then a makespan of $dur$" "$tmp/err" &&
  ok || bad "plan: end-to-end line: $(cat "$tmp/err")"
python3 - "$tmp/run/plan.json" <<'PY' && ok || bad "plan.json: profiling"
import json, sys
d = json.load(open(sys.argv[1]))
p = d["profiling"]
assert p["mode"] == "auto" and 0 <= p["trials"] <= 4, p
assert abs(d["end_to_end_s"] - (p["seconds"] + d["makespan_s"])) < 1e-6, d["end_to_end_s"]
s = p["strategies"]
assert len(s) >= 8 and sum(x["measure"] for x in s) == len([x for x in s if x["why"].startswith("measure:")]), s
assert all(x["band"] > 0 and x["why"] for x in s), s
PY
sed 's/^train:/profile: full\ntrain:/' "$tmp/w/quickstart.yaml" >"$tmp/w/full.yaml"
expect 0 "$saturn" plan "$tmp/w/full.yaml" --store "$store" --run-dir "$tmp/run-full"
grep -Eq "^plan: end to end about $dur: measure $dur \(8 trials, profile: full\), then a makespan of $dur$" "$tmp/err" &&
  ok || bad "plan: full: $(cat "$tmp/err")"
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["jobs"]))' "$tmp/run/plan.json")" = 8 ] && ok || bad "8 jobs expected in plan.json"

# 2. Deterministic: the same plan again.
expect 0 "$saturn" plan "$tmp/w/quickstart.yaml" --store "$store" --run-dir "$tmp/run2"
python3 - "$tmp/run/plan.json" "$tmp/run2/plan.json" <<'PY' && ok || bad "plans differ between runs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["jobs"] == b["jobs"] and a["makespan_s"] == b["makespan_s"]
PY

# 3. --compare, --json, --svg, --time-limit: the paper's TXT grid on 8 A100s.
expect 0 "$saturn" plan "$src/workloads/saturn-txt.yaml" --store "$store" --run-dir "$tmp/txt" --compare --json \
  --svg "$tmp/txt.svg" --time-limit 5s
check_plan "$tmp/out"
python3 - "$tmp/out" <<'PY' && ok || bad "--json: baselines and fields expected"
import json, sys
d = json.load(open(sys.argv[1]))
assert [b["name"] for b in d["baselines"]] == ["current practice", "optimus-greedy", "max-heuristic", "min-heuristic", "random"]
assert d["workload"] == "saturn-txt" and d["time_limit_s"] == 5 and d["version"] == 1
assert all(j["source"] == "raw estimate" and j["step_time_s"] > 0 for j in d["jobs"])
PY
cmp -s "$tmp/out" "$tmp/txt/plan.json" && ok || bad "--json prints what plan.json holds"
head -c 4 "$tmp/txt.svg" | grep -q "<svg" && ok || bad "--svg: not an SVG"
has "$tmp/txt.svg" "gpt-j-6b/lr=1e-5,bs=16"
expect 0 "$saturn" plan "$src/workloads/saturn-txt.yaml" --store "$store" --run-dir "$tmp/txt" --compare --time-limit 5s
has "$tmp/out" "current practice"
has "$tmp/out" "saturn is"

# 4. Heterogeneous nodes: 8 + 4 A100s; each job stays on one node (CBC on 2 threads).
python3 - "$src/workloads/saturn-img.yaml" "$tmp/w/img-8p4.yaml" <<'PY'
import sys
t = open(sys.argv[1]).read()
t = t.replace("      devices: {kind: cuda, count: 8, model: A100-40GB}",
              "      devices: {kind: cuda, count: 8, model: A100-40GB}\n    - name: small\n      devices: {kind: cuda, count: 4, model: A100-40GB}")
open(sys.argv[2], "w").write(t)
PY
expect 0 "$saturn" plan "$tmp/w/img-8p4.yaml" --store "$store" --run-dir "$tmp/img" --time-limit 3s --compare --threads 2
check_plan "$tmp/img/plan.json"
has "$tmp/err" "plan: 12 jobs on 12 devices (2 nodes)"
# --threads 2 with --json: standard output is the plan alone (CBC's parallel
# mode once printed its log there), and the milp line says one thread searched.
python3 - "$src/workloads/saturn-txt.yaml" "$tmp/w/txt24.yaml" <<'PY'
import re, sys
t = re.sub(r'(?m)^(    lr: )\[.*\]$', r'\g<1>[1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3]', open(sys.argv[1]).read(), count=1)
open(sys.argv[2], "w").write(t)
PY
expect 0 "$saturn" plan "$tmp/w/txt24.yaml" --store "$store" --run-dir "$tmp/txt2" --time-limit 4s --threads 2 --json
cmp -s "$tmp/out" "$tmp/txt2/plan.json" && ok || bad "--threads 2 --json: stdout is not plan.json: $(head -c 200 "$tmp/out")"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["milp"]; assert "one thread of the 2 allowed" in m, m' "$tmp/txt2/plan.json" &&
  ok || bad "--threads 2: the milp line does not say one thread searched"

# 5. Bad input: one line, an exit code, nothing written.
expect 64 "$saturn" plan "$tmp/w/quickstart.yaml" --store "$store" --run-dir "$tmp/bad1" --time-limit fast
has "$tmp/err" '--time-limit: expected a positive duration like 10s or 2m, got "fast"'
[ ! -e "$tmp/bad1" ] && ok || bad "nothing may be written for a bad --time-limit"
expect 66 "$saturn" plan "$tmp/w/missing.yaml" --store "$store" --run-dir "$tmp/bad2"
[ ! -e "$tmp/bad2" ] && ok || bad "nothing may be written for a missing workload"
sed 's/memory: 2GiB/memory: 1MiB/' "$tmp/w/quickstart.yaml" >"$tmp/w/tiny.yaml"
expect 65 "$saturn" plan "$tmp/w/tiny.yaml" --store "$store" --run-dir "$tmp/bad3"
has "$tmp/err" "quickstart: job gpt-tiny/lr=1e-3,bs=8: no strategy fits any node"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "one line expected: $(cat "$tmp/err")"
[ ! -e "$tmp/bad3" ] && ok || bad "nothing may be written when no strategy fits"

# 6. Real open-source models from their config.json files alone (no
#    weights): every job planned on the 8 H100s, near the bound, in seconds.
expect 0 "$saturn" plan "$src/workloads/hf-plan.yaml" --store "$tmp/hf.db" --run-dir "$tmp/hf" --json
python3 - "$tmp/out" <<'PY' && ok || bad "hf-plan: $(head -c 600 "$tmp/out")"
import json, sys
d = json.load(open(sys.argv[1]))
jobs = {j["job"] for j in d["jobs"]}
assert len(jobs) == 8 and any(j.startswith("qwen2.5-7b/") for j in jobs), jobs
assert d["makespan_s"] > 0 and d["bound_s"] >= 0.95 * d["makespan_s"], (d["makespan_s"], d["bound_s"])
PY
expect 0 "$saturn" jobs "$src/workloads/hf-plan.yaml" --json
python3 - "$tmp/out" <<'PY' && ok || bad "hf-plan jobs: $(head -c 600 "$tmp/out")"
import json, sys
d = json.load(open(sys.argv[1]))
m = {j["id"].split("/")[0]: j for j in d["jobs"]}
assert m["llama-3-8b"]["arch"] == "llama" and m["llama-3-8b"]["config"]["kv_heads"] == 8
assert m["mistral-7b"]["config"]["sliding_window"] == 4096 and m["mistral-7b"]["config"]["seq_len"] == 2048
assert m["qwen2.5-7b"]["config"]["qkv_bias"] is True and m["qwen2.5-7b"]["config"]["rope_theta"] == 1e6
PY

# 7. The same models with LoRA (rank 16): the 7-8B jobs need less GPU time
#    (no weight gradients for the frozen base, no optimizer state for it,
#    adapter-sized all-reduces) and the workload finishes far sooner.
mkdir -p "$tmp/hfl" && cp -r "$src/workloads/hf" "$tmp/hfl/"
{ cat "$src/workloads/hf-plan.yaml"; printf 'finetune: {method: lora, lora: {rank: 16, alpha: 32}}\n'; } >"$tmp/hfl/lora.yaml"
expect 0 "$saturn" plan "$tmp/hfl/lora.yaml" --store "$tmp/hf.db" --run-dir "$tmp/hfl/run" --json
cp "$tmp/out" "$tmp/hfl/lora.json"
expect 0 "$saturn" plan "$src/workloads/hf-plan.yaml" --store "$tmp/hf.db" --run-dir "$tmp/hf2" --json
python3 - "$tmp/out" "$tmp/hfl/lora.json" <<'PY' && ok || bad "hf-plan LoRA vs full: $(head -c 900 "$tmp/hfl/lora.json")"
import json, sys
full, lora = (json.load(open(p)) for p in sys.argv[1:3])
def gpu_seconds(plan):
    return sum(j["devices"] * (j["end_s"] - j["start_s"]) for j in plan["jobs"] if not j["job"].startswith("gpt2-xl/"))
assert len(lora["jobs"]) == 8, lora["jobs"]
assert gpu_seconds(lora) < 0.7 * gpu_seconds(full), (gpu_seconds(lora), gpu_seconds(full))
assert lora["makespan_s"] < 0.7 * full["makespan_s"], (lora["makespan_s"], full["makespan_s"])
PY

echo "plan: $pass passed, $fail failed"
[ "$fail" = 0 ]
