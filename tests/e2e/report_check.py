"""Checks of a saturn report as a browser loaded it (used by tests/e2e/report.sh).

  report_check.py dom DUMP STATE_DB     the DOM Chromium dumped (--dump-dom):
      one leaderboard row per job, one training-loss curve per job, a Gantt
      bar per attempt on each of its devices (the jobs and attempts of
      STATE_DB), a plan row per plan version; prints "ok" or what differs.
  report_check.py sorted DUMP STATE_DB ROWS   after the injected script sorted the
      leaderboard by validation loss, descending: the order, and ROWS rows shown.
  report_check.py png FILE WIDTH HEIGHT  the screenshot: that size, not blank.
"""
import html.parser
import sqlite3
import struct
import sys
import zlib


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []  # (tag, attrs) of open elements
        self.rows = []  # leaderboard rows' (data-job, hidden)
        self.curves = []  # (figure id, path data-name)
        self.bars = []  # (figure id, group class, data-job, data-attempt, data-kind, data-lane)
        self.plan_rows = 0
        self.body = {}
        self.texts = []

    def inside(self, tag, **want):
        for t, a in self.stack:
            if t == tag and all(a.get(k) == v for k, v in want.items()):
                return a
        return None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        void = tag in ("meta", "rect", "path", "line", "circle", "br", "img", "input", "link")
        if tag == "body":
            self.body = a
        table = self.inside("table")
        if tag == "tr" and table and table.get("id") == "leaderboard-table" and "job" in a.get("class", "").split():
            self.rows.append((a.get("data-job"), "hidden" in a))
        if tag == "tr" and table and table.get("id") == "plans-table" and self.inside("tbody") is not None:
            self.plan_rows += 1
        fig = self.inside("figure")
        if tag == "path" and fig and "series" in a.get("class", "").split():
            self.curves.append((fig.get("id"), a.get("data-name")))
        if tag == "rect" and fig and "bar" in a.get("class", "").split() and a.get("data-kind"):
            g = self.inside("g")
            self.bars.append((fig.get("id"), g.get("class") if g is not None else "", a.get("data-job"), a.get("data-attempt"),
                              a.get("data-kind"), a.get("data-lane")))
        if not void:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.inside("nav"):
            self.texts.append(data)


def parse(path):
    d = Dom()
    d.feed(open(path, encoding="utf-8").read())
    return d


def differ(what, got, want):
    """One line: how two lists differ (counts and a few of each side's extras)."""
    extra, missing = sorted(set(got) - set(want))[:3], sorted(set(want) - set(got))[:3]
    return f"{what}: {len(got)} against {len(want)} expected; extra {extra}, missing {missing}"


def check_dom(dump, db):
    d, con, errors = parse(dump), sqlite3.connect(db), []
    jobs = [r[0] for r in con.execute("select id from jobs")]
    if sorted(j for j, _ in d.rows) != sorted(jobs):
        errors.append(differ("leaderboard rows", [j for j, _ in d.rows], jobs))
    curves = [n for f, n in d.curves if f and f.endswith("-train-step")]
    if sorted(curves) != sorted(jobs):
        errors.append(differ("training curves", curves, jobs))
    want = sorted((job, str(num), f"{node}:{dev}") for job, num, node, ids in
                  con.execute("select job, number, node, device_ids from attempts") for dev in ids.split(","))
    got = sorted((job, att, lane) for f, g, job, att, kind, lane in d.bars if f == "chart-timeline" and g == "ran" and kind != "measure")
    if got != want:
        errors.append(differ("Gantt bars", got, want))
    plans = con.execute("select count(*) from plans").fetchone()[0]
    if d.plan_rows != plans:
        errors.append(f"{d.plan_rows} plan rows, {plans} plans")
    return errors


def check_sorted(dump, db, shown):
    d, con, errors = parse(dump), sqlite3.connect(db), []
    want = [r[0] for r in con.execute("select id from jobs order by eval_loss desc")]
    got = d.body.get("data-order", "").split("|")
    if got != want:
        errors.append(f"sorted by validation loss, descending: {got[:5]}..., expected {want[:5]}...")
    visible = [j for j, hidden in d.rows if not hidden]
    if len(visible) != shown:
        errors.append(f"{len(visible)} rows shown, expected {shown} (the first page)")
    if not any("page 1 of" in t for t in d.texts):
        errors.append(f"no pager: {d.texts}")
    return errors


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
    if depth != 8 or ctype not in (2, 6):
        raise SystemExit(f"{path}: colour type {ctype}, depth {depth}: not read here")
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev, rows, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for x in range(stride):
                line[x] = (line[x] + ((line[x - bpp] if x >= bpp else 0) + prev[x]) // 2) & 255
        elif f == 4:
            for x in range(stride):
                a, b, c = (line[x - bpp] if x >= bpp else 0), prev[x], (prev[x - bpp] if x >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def check_png(path, width, height):
    w, h, bpp, rows = pixels(path)
    if (w, h) != (width, height):
        return [f"screenshot {w}x{h}, expected {width}x{height}"]
    counts = {}
    for line in rows[::4]:
        for x in range(0, len(line), 4 * bpp):
            px = bytes(line[x:x + 3])
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    background = max(counts.values())
    errors = []
    if len(counts) < 16:
        errors.append(f"screenshot has {len(counts)} colours: blank")
    if (total - background) / total < 0.03:
        errors.append(f"screenshot is {100 * background / total:.1f}% one colour: blank")
    return errors


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "dom":
        errs = check_dom(sys.argv[2], sys.argv[3])
    elif what == "sorted":
        errs = check_sorted(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        errs = check_png(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    if errs:
        print("\n".join(errs))
    sys.exit(1 if errs else 0)
