#!/usr/bin/env python3
"""Fault-injection soak of `saturn run` (called by scripts/soak.sh).

For each workload (the quickstart, a fused learning-rate sweep, and the
quickstart on DDP and pipelines only): an
undisturbed reference run, then the same plan run again while faults are
injected at random times: kill -9 of the runner, kill -9 of one rank of a
worker group (of a DDP or pipeline group when one runs), kill -STOP of a
worker, a full file system (the run directory is a small tmpfs; skipped with
the reason where it cannot be mounted), and a corrupted newest checkpoint.
After each fault the same command is run again until it ends. At the end
every job must be done with final and validation losses bit-identical to the
reference's, and every fault must have been noticed and survived.
Prints the fault table and the comparison; exits 0 when all of it holds.
"""
import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

KINDS = ["runner", "rank", "stop", "full", "corrupt"]
KIND_TEXT = {
    "runner": "kill -9 the runner",
    "rank": "kill -9 one rank",
    "stop": "kill -STOP a worker",
    "full": "fill the file system",
    "corrupt": "corrupt the newest checkpoint",
}
CHECKPOINT_EVERY = 2.0  # seconds: train.checkpoint_every in the soak workloads
STALL_FLOOR = 5.0       # seconds: train.stall_floor


def sh(*args, **kw):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def query(db, sql, args=()):
    """Rows of a read-only query on a state.db being written (WAL)."""
    for _ in range(50):
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                return con.execute(sql, args).fetchall()
            finally:
                con.close()
        except sqlite3.Error:
            time.sleep(0.1)
    return []


def patch_workload(src, dst, steps, ddp=False):
    """The workload with `steps` steps, a 2 s checkpoint cadence, a 5 s
    stall floor, no re-plans (and, ddp: only multi-rank techniques)."""
    out = []
    for line in open(src):
        if line.startswith("  steps: "):
            line = f"  steps: {steps}\n"
        if ddp and line.startswith("techniques:"):
            line = "techniques: [ddp, pipeline]\n"
        out.append(line)
        if line.rstrip() == "train:":
            out.append(f"  checkpoint_every: {CHECKPOINT_EVERY:g}s\n  stall_floor: {STALL_FLOOR:g}s\n")
        if line.rstrip() == "planner:":
            out.append("  introspection: {interval: 0s}\n")
    text = "".join(out)
    if "introspection" not in text:
        text += "planner:\n  introspection: {interval: 0s}\n"
    open(dst, "w").write(text)


def proc_args(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[:-1]
    except OSError:
        return []


def proc_ppid(pid):
    try:
        stat = open(f"/proc/{pid}/stat").read()
        return int(stat[stat.rfind(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def proc_state(pid):
    try:
        stat = open(f"/proc/{pid}/stat").read()
        return stat[stat.rfind(")") + 2]
    except (OSError, IndexError):
        return ""


def workers(run_dir):
    """Worker processes of this run: {pid: (ppid, job, technique)}."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        a = [x.decode(errors="replace") for x in proc_args(int(name))]
        if "worker" not in a or "--run-dir" not in a:
            continue
        i = a.index("--run-dir")
        if i + 1 >= len(a) or os.path.abspath(a[i + 1]) != os.path.abspath(run_dir):
            continue
        if proc_state(int(name)) in ("Z", ""):
            continue
        job = a[a.index("--job") + 1] if "--job" in a else "?"
        tech = a[a.index("--technique") + 1] if "--technique" in a else "?"
        out[int(name)] = (proc_ppid(int(name)), job, tech)
    return out


class Soak:
    def __init__(self, args, name, workload, store, work):
        self.args, self.name, self.workload, self.store, self.work = args, name, workload, store, work
        self.rng = random.Random(f"{args.seed}-{name}")
        self.run_dir = os.path.join(work, "run-" + name)
        self.db = os.path.join(self.run_dir, "state.db")
        self.runner = None
        self.runs = 0
        self.rows = []          # the fault table
        self.ok = True
        self.tmpfs = None       # None: not mounted; else the reason it is not
        self.log = open(os.path.join(work, name + "-runner.log"), "a")
        self.lost = []          # (seconds of training redone, intervals allowed) per crash
        self.pending = []       # (row, log, line): checked at the end, where a later run had to see it

    # -- the runner ---------------------------------------------------------
    def command(self, run_dir):
        return [self.args.saturn, "run", self.workload, "--store", self.store, "--no-profile", "--run-dir", run_dir]

    def start(self):
        self.runs += 1
        self.log.write(f"== run {self.runs} ==\n")
        self.log.flush()
        self.runner = subprocess.Popen(self.command(self.run_dir), stdout=self.log, stderr=subprocess.PIPE, text=True,
                                       cwd=self.work)
        self.t0 = getattr(self, "t0", time.time())

    def finish(self, timeout=None):
        """Waits for the runner; its exit code and last stderr line."""
        if getattr(self.runner, "finished", None) is not None:
            return self.runner.finished
        try:
            _, err = self.runner.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, ""
        self.log.write(err)
        self.log.flush()
        lines = [x for x in err.splitlines() if x.strip()]
        self.runner.finished = (self.runner.returncode, (lines[-1] if lines else ""))
        return self.runner.finished

    def running(self):
        return self.runner is not None and self.runner.poll() is None

    def events(self, since, kind, job=None):
        rows = query(self.db, "SELECT time, job, message FROM events WHERE kind = ? AND time >= ? ORDER BY id", (kind, since))
        return [r for r in rows if job is None or r[1] == job]

    def wait_event(self, since, kind, job=None, timeout=90):
        end = time.time() + timeout
        while time.time() < end:
            ev = self.events(since, kind, job)
            if ev:
                return ev[0]
            if not self.running():
                return None
            time.sleep(0.25)
        return None

    def heartbeat_step(self, job):
        try:
            import json
            return json.load(open(os.path.join(self.run_dir, "jobs", job, "heartbeat.json")))["step"]
        except Exception:
            return None

    def lost_text(self, job, steps, intervals):
        """Steps redone after a crash, in seconds of training (the undisturbed
        run's step time), against what the checkpoint cadence allows: one
        interval, two when the newest checkpoint was the one lost."""
        row = query(self.ref, "SELECT wall_s, steps_total FROM jobs WHERE id = ?", (job,))
        steps = max(0, steps)
        if not row or not row[0][1]:
            return f"{steps} steps redone"
        secs = steps * row[0][0] / row[0][1]
        self.lost.append((secs, intervals))
        return f"{steps} steps ({secs:.1f} s) redone, at most {intervals * CHECKPOINT_EVERY:g} s allowed"

    # -- the faults ---------------------------------------------------------
    def pick_group(self, pred=lambda job: True, timeout=15):
        """A running worker group's leader (pid, job, technique) whose job passes pred."""
        end = time.time() + timeout
        while time.time() < end and self.running():
            w = workers(self.run_dir)
            leaders = [(p, v[1], v[2]) for p, v in w.items() if v[0] == self.runner.pid and pred(v[1])]
            if leaders:
                return self.rng.choice(sorted(leaders)), w
            time.sleep(0.2)
        return None, {}

    def resumed_from(self, since, job):
        ev = self.wait_event(since, "start", job, timeout=90)
        if not ev or "from step " not in ev[2]:
            return 0 if ev else None
        return int(ev[2].split("from step ")[1].split(",")[0].split()[0])

    def fault_runner(self, t):
        self.runner.kill()
        code, _ = self.finish()
        self.start()  # at once: the new runner must end what the old one left
        lost = self.wait_event(t, "lost", timeout=60)
        left = len([e for e in self.events(t, "lost") if "were still there" in e[2]])
        code = f"signal {-code}" if code < 0 else f"exit {code}"
        if not lost:
            return "runner", code, False, "no attempt was marked lost"
        return "runner", code, True, f"resumed; {left} leftover worker group(s) stopped first"

    def fault_rank(self, t):
        (leader, job, tech), w = self.pick_group()
        if leader is None:
            return "-", "", False, "no worker group ran"
        multi = sorted(p for p in w if w[p][0] == self.runner.pid and any(v[0] == p for v in w.values()))
        if multi:  # a rank of a DDP or pipeline group when one runs
            leader = self.rng.choice(multi)
            job, tech = w[leader][1], w[leader][2]
        ranks = [p for p, v in w.items() if v[0] == leader]
        victim = self.rng.choice(sorted(ranks)) if ranks else leader
        step = self.heartbeat_step(job)
        os.kill(victim, signal.SIGKILL)
        what = f"{job} ({tech}, rank pid {victim}" + (" of " + str(len(ranks) + 1) + " ranks)" if ranks else ", its only rank)")
        ev = self.wait_event(t, "restart", job) or self.wait_event(t, "failed", job, timeout=5)
        if not ev:
            return what, "", False, "no restart"
        if ev[2].find("after") >= 0 and not self.events(t, "restart", job):
            return what, "", True, "no restart left: failed; the next run of the command retried it"
        frm = self.resumed_from(t, job)
        lost = "" if step is None or frm is None else "; " + self.lost_text(job, step - frm, 1)
        return what, "", True, f"restarted from step {frm}{lost}"

    def fault_stop(self, t):
        (leader, job, tech), w = self.pick_group()
        if leader is None:
            return "-", "", False, "no worker group ran"
        ranks = [leader] + [p for p, v in w.items() if v[0] == leader]
        victim = self.rng.choice(sorted(ranks))
        os.kill(victim, signal.SIGSTOP)
        ev = self.wait_event(t, "stalled", job, timeout=STALL_FLOOR + 60)
        if not ev:
            os.kill(victim, signal.SIGCONT)
            return f"{job} (pid {victim})", "", False, "no stalled event"
        frm = self.resumed_from(t, job)
        again = f"restarted from step {frm}" if frm is not None else "restarted by the next run of the command"
        return f"{job} (pid {victim})", "", True, f"stalled after {ev[0] - t:.0f} s ({ev[2].split(' (')[0]}); {again}"

    def fault_full(self, t):
        if self.tmpfs is not None:
            return "-", "", True, "skipped: " + self.tmpfs
        ballast = os.path.join(self.run_dir, "ballast")
        st = os.statvfs(self.run_dir)
        try:
            # unbuffered: a buffered file would flush what the full file
            # system refused once more when it closes, and raise there
            with open(ballast, "wb", buffering=0) as f:
                try:
                    os.posix_fallocate(f.fileno(), 0, st.f_bavail * st.f_frsize)
                except OSError:
                    pass
                try:  # whatever is left, to the last block
                    while True:
                        f.write(b"\0" * (1 << 16))
                except OSError:
                    pass
        except OSError:
            pass  # not even the ballast's name fits: the file system is full already
        code, line = None, ""
        end = time.time() + 20
        while time.time() < end and self.running():
            time.sleep(0.25)
        if not self.running():
            code, line = self.finish()
        if os.path.exists(ballast):
            os.remove(ballast)
        failed_writes = 0
        logs = os.path.join(self.run_dir, "logs")
        for name in os.listdir(logs) if os.path.isdir(logs) else []:
            failed_writes += open(os.path.join(logs, name), errors="replace").read().count("No space left on device")
        if code is not None:
            self.start()
            good = code == 75 and "No space left on device" in line and "run the same command" in line
            return "run dir (tmpfs)", f"exit {code}", good, line[:150]
        return "run dir (tmpfs)", "", True, f"held 20 s, run went on; {failed_writes} failed write(s) reported in logs"

    def fault_corrupt(self, t):
        def has_ckpt(job):
            d = os.path.join(self.run_dir, "jobs", job, "ckpt")
            return os.path.isdir(d) and any(n.endswith(".json") for n in os.listdir(d))
        (leader, job, tech), _ = self.pick_group(has_ckpt, timeout=20)
        if leader is None:
            return "-", "", False, "no running job had a checkpoint"
        d = os.path.join(self.run_dir, "jobs", job, "ckpt")
        newest = sorted(n for n in os.listdir(d) if n.endswith(".json"))[-1][:-5] + ".pt"
        path = os.path.join(d, newest)
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.seek(size // 2)
            f.write(bytes(self.rng.randrange(256) for _ in range(256)))
        step = self.heartbeat_step(job)
        os.kill(leader, signal.SIGKILL)  # so that it resumes from there
        log = os.path.join(self.run_dir, "logs", job.replace("/", "_") + ".log")
        ev = self.wait_event(t, "restart", job) or self.wait_event(t, "failed", job, timeout=5)
        if not ev:
            return f"{job} {newest}", "", False, "no restart"
        if not self.events(t, "restart", job):  # no restart left: the next run resumes it, and must skip the file
            self.pending.append((len(self.rows), log, f"{newest}: checksum mismatch (corrupted)"))
            return f"{job} {newest}", "", True, "no restart left: failed; the next run of the command retried it"
        end, seen = time.time() + 30, False
        while time.time() < end and not seen:
            seen = os.path.exists(log) and "checksum mismatch (corrupted)" in open(log, errors="replace").read()
            time.sleep(0.25)
        # Where the worker really resumed: the runner's view is the newest manifest.
        text = open(log, errors="replace").read() if os.path.exists(log) else ""
        after = text[text.rfind("checksum mismatch (corrupted)"):]
        key = f"resumed {job} from step "
        frm = int(after[after.find(key) + len(key):].split()[0]) if key in after else 0
        lost = "" if step is None else "; " + self.lost_text(job, step - frm, 2)
        return f"{job} {newest}", "", seen, (f"skipped it (checksum), resumed from step {frm}{lost}" if seen
                                             else "the worker did not report the corrupted checkpoint")

    # -- the soak -----------------------------------------------------------
    def mount(self):
        os.makedirs(self.run_dir, exist_ok=True)
        r = sh("mount", "-t", "tmpfs", "-o", f"size={self.args.tmpfs_mb}m", "tmpfs", self.run_dir)
        if r.returncode != 0:
            self.tmpfs = "cannot mount a tmpfs here (" + (r.stderr.strip().splitlines() or ["mount failed"])[-1] + ")"

    def unmount(self):
        if self.tmpfs is None and not getattr(self, "unmounted", False):
            sh("umount", "-l", self.run_dir)
            self.unmounted = True

    def go(self):
        self.mount()
        kinds = []
        while len(kinds) < self.args.faults:
            cycle = KINDS[:]
            self.rng.shuffle(cycle)
            kinds += cycle
        kinds = kinds[: self.args.faults]
        self.start()
        for i, kind in enumerate(kinds):
            time.sleep(self.rng.uniform(1.0, 3.0))
            if not self.running():
                code, line = self.finish()
                if code == 0:
                    self.rows.append((i + 1, "-", KIND_TEXT[kind], "-", "", True, "not injected: the run had ended"))
                    continue
                self.start()
                time.sleep(1.0)
            t = time.time()
            target, exit_text, good, effect = getattr(self, "fault_" + kind)(t)
            self.rows.append((i + 1, f"{t - self.t0:.0f}", KIND_TEXT[kind], target, exit_text, good, effect))
            self.ok &= good
        for _ in range(10):  # the same command until it ends
            code, line = self.finish(timeout=1800)
            if code == 0:
                break
            self.start()
        self.code = code
        self.result, self.plan = jobs_of(self.db), strategies(self.db)  # before the tmpfs goes
        for row, log, line in self.pending:
            seen = os.path.exists(log) and line in open(log, errors="replace").read()
            r = self.rows[row]
            self.rows[row] = r[:5] + (seen, r[6] + ("; it skipped the file (checksum)" if seen else "; NOT reported by the worker"))
            self.ok &= seen


def jobs_of(db):
    return {r[0]: r[1:] for r in query(db, "SELECT id, status, final_loss, eval_loss FROM jobs")}


def strategies(db):
    import json
    rows = query(db, "SELECT json FROM plans ORDER BY version LIMIT 1")
    if not rows:
        return {}
    return {j["job"]: (j["technique"], j["devices"], j.get("knobs", "")) for j in json.loads(rows[0][0])["jobs"]}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description="Fault-injection soak of saturn run")
    ap.add_argument("faults", nargs="?", type=int, default=5, help="faults per workload (default 5: one of each kind)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the fault order and times (default 1)")
    ap.add_argument("--saturn", default=os.path.join(root, "build", "bin", "saturn"))
    ap.add_argument("--workloads", default="quickstart,fused,ddp",
                    help="of quickstart, fused (lr-sweep), ddp (the quickstart on ddp and pipeline only); default all")
    ap.add_argument("--tmpfs-mb", type=int, default=256, help="size of the tmpfs run directory (default 256)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="saturn-soak-")
    shutil.copytree(os.path.join(root, "workloads", "data"), os.path.join(work, "data"))
    # (workload, steps): long enough for faults a few seconds apart
    sources = {"quickstart": ("quickstart.yaml", 200), "fused": ("lr-sweep.yaml", 1000), "ddp": ("quickstart.yaml", 200)}
    store = os.path.join(work, "profiles.db")
    soaks, failed = [], False
    try:
        for name in args.workloads.split(","):
            wl = os.path.join(work, name + ".yaml")
            if name not in sources:
                print(f"soak: no workload {name!r} (quickstart, fused, ddp)")
                return 2
            # Longer runs for more faults: every 5 faults, the workload's steps again.
            steps = sources[name][1] * max(1, -(-args.faults // 5))
            patch_workload(os.path.join(root, "workloads", sources[name][0]), wl, steps, ddp=name == "ddp")
            prof = sh(args.saturn, "profile", wl, "--store", store, cwd=work)
            ref_dir = os.path.join(work, "ref-" + name)
            t = time.time()
            ref = sh(args.saturn, "run", wl, "--store", store, "--no-profile", "--run-dir", ref_dir, cwd=work)
            if prof.returncode != 0 or ref.returncode != 0:
                print(f"{name}: the undisturbed run failed: {(prof.stderr + ref.stderr).strip()[-400:]}")
                return 1
            print(f"{name}: undisturbed run {time.time() - t:.1f} s")
            s = Soak(args, name, wl, store, work)
            s.ref = os.path.join(ref_dir, "state.db")  # read by lost_text during the soak
            soaks.append(s)
            try:
                s.go()
            finally:
                if s.running():
                    s.runner.kill()
                s.unmount()
        print()
        print(f"{'workload':<11} {'#':>2} {'at':>4}  {'fault':<30} {'target':<42} {'survived':<8} how")
        for s in soaks:
            for (i, at, kind, target, exit_text, good, effect) in s.rows:
                how = (exit_text + ": " if exit_text else "") + effect
                print(f"{s.name:<11} {i:>2} {at:>3}s  {kind:<30} {target[:42]:<42} {'yes' if good else 'NO':<8} {how}")
        print()
        for s in soaks:
            ref, got = jobs_of(s.ref), s.result
            same_plan = strategies(s.ref) == s.plan
            done = sum(1 for v in got.values() if v[0] == "done")
            identical = sum(1 for j, v in ref.items() if j in got and got[j][1:] == v[1:] and got[j][0] == "done")
            print(f"{s.name}: {len(s.rows)} faults, {sum(1 for r in s.rows if r[5])} survived; {s.runs} runs of the same "
                  f"command; {done}/{len(ref)} jobs done; final and validation losses bit-identical to the undisturbed "
                  f"run: {identical}/{len(ref)}; same plan: {'yes' if same_plan else 'NO'}")
            if s.lost:
                print(f"  work lost per crash: at most {max(x[0] for x in s.lost):.1f} s of training "
                      f"(checkpoint interval {CHECKPOINT_EVERY:g} s; a corrupted newest checkpoint may cost two)")
                # A step in flight and the check's granularity: a step's time of slack.
                failed |= any(secs > n * CHECKPOINT_EVERY + 1.0 for secs, n in s.lost)
            for j, v in sorted(ref.items()):
                if got.get(j, (None,))[1:] != v[1:]:
                    print(f"  {j}: undisturbed {v[1]!r} / {v[2]!r}, soaked {got.get(j)}")
            failed |= not (s.ok and s.code == 0 and done == len(ref) and identical == len(ref) and same_plan)
    finally:
        for s in soaks:
            s.unmount()
        if args.keep:
            print("work folder:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("soak: " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
