#!/usr/bin/env bash
# End-to-end: the run report in a real browser. The quickstart's run (the
# shared fixture's) ends with a line that names RUN/report.html; headless
# Chromium loads the page from the file (no server, no network): its DOM
# has one leaderboard row per job, one training-loss curve per job and a
# Gantt bar per attempt on each of its devices; its script sorts and pages the leaderboard; its screenshot is the
# expected size and not blank. A second run with a worker killed (a
# restart), fused groups, and the runner stopped and resumed: its report
# shows the failed and the stopped attempts, fused stripes and both plans.
# `saturn report --svg` and `--json`, and bad input. Skips (77) with the
# reason where no Chromium can run.
# Usage: tests/e2e/report.sh SATURN_BINARY SOURCE_DIR
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME=$tmp/cache
export NO_COLOR=1
check=$src/tests/e2e/report_check.py

browser=""
for b in chromium chromium-browser google-chrome; do
  command -v "$b" >/dev/null && { browser=$b; break; }
done
[ -n "$browser" ] || { echo "SKIP: no Chromium here (scripts/setup.sh --test installs Debian's chromium)"; exit 77; }
chrome() {  # chrome ARGS... URL: headless, a profile of its own, no network needed
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --hide-scrollbars --user-data-dir="$tmp/chrome" "$@" 2>>"$tmp/chrome.log"
}
echo '<p id="x">saturn</p>' >"$tmp/probe.html"
chrome --dump-dom "file://$tmp/probe.html" | grep -q 'id="x"' ||
  { echo "SKIP: $browser cannot run here: $(tail -2 "$tmp/chrome.log")"; exit 77; }

# 1. The quickstart (the shared fixture's run, copied:
# tests/e2e/fixture_quickstart.sh): the last line names the report.
fx=$(quickstart_fixture)
[ "$(tail -1 "$fx/err")" = "run: report: $fx/run/report.html (open it in a browser)" ] && ok || bad "last line: $(tail -1 "$fx/err")"
q=$tmp/quickstart
cp -r "$fx/run" "$q"
page=$q/report.html
[ -s "$page" ] && ok || bad "no report.html"
# Self-contained: nothing to fetch (the SVG namespace is a name, not a fetch).
! grep -Eq '(src|href)=|url\(|@import' "$page" && ok || bad "the page fetches something: $(grep -Eo '(src|href)=.{0,40}|url\(.{0,40}' "$page" | head -3)"
[ "$(grep -o 'https\?://[^"]*' "$page" | sort -u)" = "http://www.w3.org/2000/svg" ] && ok || bad "addresses in the page: $(grep -o 'https\?://[^"]*' "$page" | sort -u)"
chrome --dump-dom "file://$page" >"$tmp/dom.html"
python3 "$check" dom "$tmp/dom.html" "$q/state.db" && ok || bad "quickstart DOM"
# The script: sort by validation loss (two clicks: descending), three rows a page.
sed 's/id="leaderboard-table" class="paged" data-page="50"/id="leaderboard-table" class="paged" data-page="3"/;
     s#</body>#<script>const th=[...document.querySelectorAll("\#leaderboard-table th")].find(t=>t.textContent==="valid loss");th.click();th.click();document.body.dataset.order=[...document.querySelectorAll("\#leaderboard-table tbody tr")].map(r=>r.dataset.job).join("|");</script></body>#' \
  "$page" >"$tmp/sorted.html"
chrome --dump-dom "file://$tmp/sorted.html" >"$tmp/sorted.dom"
python3 "$check" sorted "$tmp/sorted.dom" "$q/state.db" 3 && ok || bad "sorting and paging"
chrome --window-size=1280,2400 --screenshot="$tmp/shot.png" "file://$page" >/dev/null
python3 "$check" png "$tmp/shot.png" 1280 2400 && ok || bad "screenshot"
[ -n "${SATURN_REPORT_SHOT:-}" ] && cp "$tmp/shot.png" "$SATURN_REPORT_SHOT"

# 2. --svg and --json; the page again with --out; bad input.
expect 0 "$saturn" report "$q" --svg "$tmp/svg" --json
has "$tmp/err" "charts in $tmp/svg"
python3 - "$tmp/svg" "$tmp/out" <<'PY' && ok || bad "svg files or json"
import json, os, sys, xml.etree.ElementTree as ET
names = sorted(os.listdir(sys.argv[1]))
assert {"timeline.svg", "utilisation.svg", "makespan.svg", "events.svg"} <= set(names), names
assert sum(n.startswith("loss-") for n in names) == 8, names  # 2 models x 4 charts
for n in names:
    assert ET.parse(os.path.join(sys.argv[1], n)).getroot().tag == "{http://www.w3.org/2000/svg}svg", n
d = json.load(open(sys.argv[2]))
assert len(d["jobs"]) == 8 and d["jobs"][0]["rank"] == 1 and d["makespan_s"] > 0, d["jobs"][0]
assert all(j["curves"]["train_by_step"] for j in d["jobs"])
PY
[ ! -e "$tmp/svg/../report.html" ] && ok || bad "--svg wrote a page"
expect 0 "$saturn" report "$q" --out "$tmp/copy.html"
# (the page names its run's folder: the fixture's, where saturn run wrote it)
sed "s|$fx/run|$q|g" "$page" | cmp -s "$tmp/copy.html" - && ok || bad "--out differs from the page saturn run wrote"
expect 66 "$saturn" report "$tmp/nowhere"
one_line
has "$tmp/err" "$tmp/nowhere: no such run directory or workload file"
mkdir "$tmp/empty"
expect 66 "$saturn" report "$tmp/empty"
has "$tmp/err" "not a run directory (no state.db)"
[ ! -e "$tmp/empty/report.html" ] && ok || bad "a report in a folder that holds no run"

# 3. Restarts, fused groups, a stop and a resume.
cat >"$tmp/fz.yaml" <<YAML
name: fz
cluster:
  nodes:
    - name: local
      devices: {kind: cpu, count: 2, memory: 1GiB, threads: 1}
data:
  train: {format: text, path: $src/workloads/data/corpus.txt}
  valid_fraction: 0.1
models:
  - name: gpt
    arch: gpt
    config: {layers: 2, width: 16, heads: 2, seq_len: 16}
search:
  grid:
    lr: [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1]
    batch_size: 2
train: {steps: 1500, log_every: 50, eval_every: 500, checkpoint_every: 100}
techniques: [single, fused]
YAML
f=$tmp/fz
"$saturn" run "$tmp/fz.yaml" --run-dir "$f" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 600); do  # once a group has trained a little: kill one worker (a restart), then stop the runner
  [ -n "$(find "$f/jobs" -name metrics.jsonl -size +1k 2>/dev/null | head -1)" ] && break
  sleep 0.1
done
pkill -9 -f "saturn worker .*--run-dir $f" -n
sleep 2
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" = 143 ] && ok || bad "stopped run exited $rc: $(tail -3 "$tmp/err")"
has "$tmp/err" "run: report so far: $f/report.html"
expect 0 "$saturn" run "$tmp/fz.yaml" --run-dir "$f"
chrome --dump-dom "file://$f/report.html" >"$tmp/fz.dom"
python3 "$check" dom "$tmp/fz.dom" "$f/state.db" && ok || bad "restart/fused DOM"
[ "$(sql "$f" "select count(*) from attempts where technique='fused'")" -ge 2 ] && ok || bad "no fused group: $(sql "$f" "select job, technique from attempts")"
for kind in failed stopped done; do
  n=$(sql "$f" "select count(*) from attempts where outcome='$kind'")
  [ "$n" -ge 1 ] && ok || bad "no $kind attempt: $(sql "$f" "select job, outcome from attempts")"
  grep -q "class=\"bar $kind\" data-job=" "$tmp/fz.dom" && ok || bad "the report shows no $kind attempt"
done
grep -q 'data-job="[^"]*" data-kind="done" data-lane="local:[01]" data-attempt="[0-9]*" data-plan="[0-9]*" x="[0-9.]*" y="[0-9.]*" width="[0-9.]*" height="[0-8]\.' "$tmp/fz.dom" &&
  ok || bad "no fused stripes (bars thinner than a row)"
# The restarted jobs: their restarts counted across the stop (state.db counts this session's).
python3 - "$tmp/fz.dom" "$f/state.db" <<'PY' && ok || bad "restarts in the leaderboard"
import re, sqlite3, sys
dom, con = open(sys.argv[1]).read(), sqlite3.connect(sys.argv[2])
failed = dict(con.execute("select job, count(*) from attempts where outcome = 'failed' group by job"))
assert failed, "no failed attempt"
for job, n in failed.items():
    row = re.search(r'<tr class="job[^"]*" data-job="%s">(.*?)</tr>' % re.escape(job), dom).group(1)
    cells = re.findall(r'<td[^>]*>(.*?)</td>', row)
    assert cells[-5] == str(n), (job, n, cells)
PY

# 4. Dark mode: the page follows the browser's colour scheme.
chrome --force-dark-mode --window-size=800,600 --screenshot="$tmp/dark.png" "file://$page" >/dev/null
python3 - "$check" "$tmp/shot.png" "$tmp/dark.png" <<'PY' && ok || bad "dark mode"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("rc", sys.argv[1]); rc = importlib.util.module_from_spec(spec); spec.loader.exec_module(rc)
light, dark = (sum(rc.pixels(p)[3][2][:3]) for p in sys.argv[2:4])
assert light > 600 and dark < 150, (light, dark)
PY

# 5. A thousand jobs: the quickstart's state.db with 1,000 more jobs (two
# attempts each, 200 metrics lines): every row in the table, 50 shown a
# page; a curve per job, thinned; a page a browser loads.
b=$tmp/big
mkdir -p "$b" && cp -r "$q/state.db" "$q/plan.json" "$q/jobs" "$b/"
python3 - "$b" <<'PY' && ok || bad "could not make the big run"
import json, os, sqlite3, sys
d = sys.argv[1]
db = sqlite3.connect(os.path.join(d, "state.db"))
t0 = db.execute("select min(started) from attempts").fetchone()[0]
for k in range(1000):
    job = f"gpt-tiny/lr={1e-4 * (1 + k % 50):.4g},bs=8,seed={k}"
    loss = 3 + (k % 97) / 97
    db.execute("insert into jobs (id, status, steps_total, steps_done, restarts, final_loss, eval_loss, wall_s, strategy, message)"
               " values (?, 'done', 200, 200, 0, ?, ?, 2.0, 'single x1 on local', '')", (job, loss, loss + 0.1))
    start = t0 + (k // 2) * 2.0
    for n, (a, z, s0, s1, out) in enumerate([(start, start + 0.5, 0, 50, "failed"), (start + 0.5, start + 2, 0, 200, "done")]):
        db.execute("insert into attempts (job, number, plan_version, technique, devices, node, device_ids, pid, started, ended,"
                   " exit_code, outcome, step_start, step_end) values (?, ?, 1, 'single', 1, 'local', ?, 1, ?, ?, 0, ?, ?, ?)",
                   (job, n + 1, str(k % 2), a, z, out, s0, s1))
    m = os.path.join(d, "jobs", job)
    os.makedirs(m)
    with open(os.path.join(m, "metrics.jsonl"), "w") as f:
        for step in range(1, 201):
            f.write(json.dumps({"step": step, "loss": loss + 2 / step, "time": step * 0.0075}) + "\n")
            if step % 50 == 0:
                f.write(json.dumps({"eval_loss": loss + 2.1 / step, "step": step}) + "\n")
db.commit()
PY
start=$(date +%s.%N)
expect 0 "$saturn" report "$b"
echo "1,008 jobs: report in $(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$start" "$(date +%s.%N)") s, $(($(stat -c %s "$b/report.html") / 1024)) KiB"
[ "$(stat -c %s "$b/report.html")" -lt 30000000 ] && ok || bad "the 1,000-job page is $(stat -c %s "$b/report.html") bytes"
chrome --dump-dom "file://$b/report.html" >"$tmp/big.dom"
python3 "$check" dom "$tmp/big.dom" "$b/state.db" && ok || bad "1,000-job DOM"
[ "$(grep -o '<tr class="job' "$tmp/big.dom" | wc -l)" = 1008 ] && ok || bad "1,000-job rows"
[ "$(grep -o '<tr class="job[^"]*" data-job="[^"]*" hidden=' "$tmp/big.dom" | wc -l)" = 958 ] && ok || bad "not paged: $(grep -o '<tr class="job[^"]*" data-job="[^"]*" hidden=' "$tmp/big.dom" | wc -l) hidden"
python3 - "$b/report.html" <<'PY' && ok || bad "curves not thinned"
import re, sys
paths = re.findall(r'<path class="series[^"]*" data-name="(?!busy")[^"]*"[^>]* d="([^"]*)"', open(sys.argv[1]).read())
assert len(paths) >= 1000 * 3, len(paths)
assert max(p.count("L") + 1 for p in paths) <= 16, max(p.count("L") + 1 for p in paths)
PY

echo "e2e report: $pass passed, $fail failed"
[ "$fail" = 0 ]
