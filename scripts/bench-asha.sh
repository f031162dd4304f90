#!/usr/bin/env bash
# Early-stopping benchmark (issue 22): workloads/asha.yaml (16 learning rates
# log-uniform over 1e-4..3e-1, one GPT, two CPU devices) on a corpus of
# Debian's license texts, three ways, one profile store measured once:
#   grid   the full search, every job to its end (early_stopping removed);
#   fixed  ASHA with the first plan kept (--rung-plan fixed): a stopped job's
#          devices stay idle for its planned remainder, until the next
#          re-plan, as under a scheduler that does not plan on its decisions;
#   joint  ASHA planned jointly: every decision re-plans the jobs left.
# Each round runs the three in turn (so noise hits all alike); the table has
# the median wall time (first launch to last exit, from `run --json`) and
# the best final validation loss, with ratios against the grid.
#
# Usage: scripts/bench-asha.sh [ROUNDS (default 3)]
# Needs a build (scripts/build.sh). About 50 s a round on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
saturn=${SATURN:-build/bin/saturn}
[ -x "$saturn" ] || { echo "bench-asha: build first (scripts/build.sh)" >&2; exit 66; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data"
for f in Apache-2.0 Artistic BSD CC0-1.0 GFDL-1.3 GPL-2 GPL-3 LGPL-2.1 LGPL-3 MPL-1.1 MPL-2.0; do
  cat "/usr/share/common-licenses/$f"
done >"$tmp/data/licenses.txt"
sed 's#data/corpus.txt#data/licenses.txt#' workloads/asha.yaml >"$tmp/asha.yaml"
sed '/early_stopping:/,/min_steps:/d' "$tmp/asha.yaml" >"$tmp/grid.yaml"
store=(--store "$tmp/profiles.db")
"$saturn" profile "$tmp/asha.yaml" "${store[@]}" >/dev/null 2>&1 || { echo "bench-asha: profile failed" >&2; exit 1; }
for r in $(seq "$rounds"); do
  for mode in grid fixed joint; do
    w=$tmp/asha.yaml extra=(--rung-plan "$mode")
    [ "$mode" = grid ] && w=$tmp/grid.yaml extra=()
    "$saturn" run "$w" "${store[@]}" --no-profile --run-dir "$tmp/$mode-$r" "${extra[@]}" --json \
      >"$tmp/$mode-$r.json" 2>"$tmp/$mode-$r.err" || { echo "bench-asha: $mode run $r failed: $(tail -3 "$tmp/$mode-$r.err")" >&2; exit 1; }
  done
done
python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
rows = {}
for mode in ("grid", "fixed", "joint"):
    walls, losses, bests, stopped = [], [], [], []
    for r in range(1, rounds + 1):
        d = json.load(open(f"{tmp}/{mode}-{r}.json"))
        walls.append(d["makespan_s"])
        done = [j for j in d["leaderboard"] if j["status"] == "done"]
        b = min(done, key=lambda j: j["eval_loss"])
        losses.append(b["eval_loss"])
        bests.append(b["job"])
        stopped.append(sum(j["status"] == "stopped" for j in d["leaderboard"]))
    rows[mode] = (statistics.median(walls), statistics.median(losses), max(set(bests), key=bests.count),
                  statistics.median(stopped), walls)
gw, gl = rows["grid"][0], rows["grid"][1]
print(f"{'search':<7} {'wall (median)':>13} {'vs grid':>8} {'best valid loss':>16} {'vs grid':>8} {'stopped':>8}  best job; walls")
for mode, (w, l, b, s, walls) in rows.items():
    print(f"{mode:<7} {w:>11.2f} s {w / gw:>7.2f}x {l:>16.4f} {100 * (l - gl) / gl:>+7.2f}% {s:>8.0f}  {b}; "
          + " ".join(f"{x:.1f}" for x in walls))
print(f"joint vs fixed: {rows['joint'][0] / rows['fixed'][0]:.2f}x wall time")
PY
