"""Shared by tests/replay.test, tests/tui.test, tests/web.test, tests/timing.test and the viewer
benchmarks."""
import http.client as http_client
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.environ.get("OUTPUT", ".output")
XGOTOP = os.environ.get("XGOTOP", os.path.join(ROOT, "xgotop"))
# relative to the checkout (tests/run runs from there), so screens do not depend on where it is
FIXTURE = os.environ.get("XGOTOP_FIXTURE", "tests/fixtures/http-mix.xgt")
os.chdir(ROOT)

# seconds: how long a wait for a condition may take before the test gives up; a guard against
# hanging, never a speed limit (speeds are measured by `make bench`)
HANG = 120

failures = 0


def check(name, ok, why=""):
    global failures
    if ok:
        print("PASS: %s" % name, flush=True)
    else:
        failures += 1
        print("FAIL: %s: %s" % (name, why), flush=True)
    return ok


def finish():
    sys.exit(1 if failures else 0)


def replay_json(path, *args, timeout=120):
    """Events of `xgotop replay --max --json` as (raw lines, parsed dicts)."""
    r = subprocess.run([XGOTOP, "replay", path, "--max", "--json", *args], capture_output=True,
                       timeout=timeout, text=True)
    if r.returncode != 0:
        raise RuntimeError("replay %s %s: exit %d: %s" % (path, " ".join(args), r.returncode,
                                                          r.stderr.strip()))
    lines = r.stdout.splitlines()
    return lines, [json.loads(l) for l in lines]


def web_replay(path, args):
    """Starts `xgotop replay PATH --no-tui --web 0 ARGS...`; returns (process, port)."""
    p = subprocess.Popen([XGOTOP, "replay", path, "--no-tui", "--web", "0", *args],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        p.kill()
        p.wait()
        raise RuntimeError("no URL from the web output: %r" % line)
    return p, int(m.group(1))


def http(port, path, method="GET", timeout=10):
    """(status, body bytes) of a request to the web output."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def read_frame(port, timeout=5):
    """The first frame of a fresh /api/stream (http.client undoes the chunked encoding)."""
    c = http_client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", "/api/stream")
        r = c.getresponse()
        deadline = time.monotonic() + timeout
        event = None
        while time.monotonic() < deadline:
            line = r.readline()
            if not line:
                return None
            line = line.rstrip(b"\r\n")
            if line.startswith(b"event: "):
                event = line[7:]
            elif line.startswith(b"data: ") and event == b"frame":
                return json.loads(line[6:])
    finally:
        c.close()
    return None


def wait_frame(port, pred, timeout=HANG):
    """Reads fresh frames until pred(frame) holds: returns that frame, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        f = read_frame(port)
        if f and pred(f):
            return f
        time.sleep(0.1)
    return None


def held_frame(port, timeout=HANG):
    """Waits until a replay is held paused at its end (or --to): returns that frame, or None."""
    return wait_frame(port, lambda f: f.get("paused"), timeout)


# Waits that are no block: the goroutine runs on the system stack, waiting only so that its
# stack can be scanned (Go's isWaitingForSuspendG); the model counts them as running.
RUNS_REASONS = {"stopping the world", "GC mark termination", "garbage collection",
                "garbage collection scan", "trace goroutine status", "trace proc status",
                "page trace flush", "GC assist marking", "GC worker (active)",
                "flushing proc caches"}


def model_truth(events, until_ns=None):
    """What the viewer model should show after the events up to until_ns: live goroutines (seen
    in a goroutine event and not exited) and their count per state (a wait that is no block,
    RUNS_REASONS, as running)."""
    state = {}
    exited = set()
    for e in events:
        if until_ns is not None and e["ts"] > until_ns:
            break
        g = e.get("goid", 0)
        k = e["kind"]
        if not g or g in exited:
            continue
        if k == "go_create":
            state.setdefault(g, "runnable")
        elif k == "go_state":
            if e["to"] == "dead":
                exited.add(g)
                state.pop(g, None)
            else:
                state[g] = ("running" if e["to"] == "waiting" and e.get("reason") in RUNS_REASONS
                            else e["to"])
        elif k == "snapshot":
            if e["state"] == "dead":
                exited.add(g)
                state.pop(g, None)
            else:
                state[g] = ("running" if e["state"] == "waiting" and e.get("reason") in RUNS_REASONS
                            else e["state"])
        elif k == "go_exit":
            exited.add(g)
            state.pop(g, None)
        elif k in ("alloc", "alloc_sample", "cpu_sample"):
            state.setdefault(g, None)
    counts = {}
    for s in state.values():
        if s:
            counts[s] = counts.get(s, 0) + 1
    return len(state), counts


def fmt_dur(ns):
    """gm_fmt_dur() in Python, to find trace times on screens."""
    if ns < 1000:
        return "%dns" % ns
    if ns < 1000000:
        return "%.0fus" % (ns / 1e3)
    if ns < 1000000000:
        return "%.0fms" % (ns / 1e6)
    if ns < 60 * 1000000000:
        return "%.2fs" % (ns / 1e9)
    return "%dm%02ds" % (ns // 60000000000, ns // 1000000000 % 60)


# --- the terminal UI in tmux ------------------------------------------------------------------


def tmux(*args, check=True):
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=check).stdout


class Tmux:
    """One tmux session running `xgotop ARGS` in a terminal of w x h; after xgotop exits the
    pane shows "EXIT=<status>"."""

    def __init__(self, session):
        self.session = session

    def start(self, args, w=160, h=50):
        cmd = "%s %s; echo EXIT=$?; sleep 600" % (shlex.quote(XGOTOP), " ".join(map(shlex.quote, args)))
        self.kill()
        # killing the last session ends the tmux server, and a new session started while it
        # exits can meet the dying server ("server exited unexpectedly"): try again
        for attempt in range(10):
            p = subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", str(w), "-y", str(h),
                                "-c", ROOT, "env TERM=xterm-256color LANG=C.UTF-8 bash -c %s" % shlex.quote(cmd)],
                               capture_output=True, text=True)
            if p.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"tmux new-session {self.session}: exit {p.returncode}: {p.stderr.strip()}")

    def screen(self):
        return tmux("capture-pane", "-t", self.session, "-p")

    def keys(self, *k):
        tmux("send-keys", "-t", self.session, *k)

    def wait_screen(self, pred, timeout=HANG, stable=False):
        """Polls the pane until pred(screen) holds (and, with stable, the screen stops changing)."""
        deadline = time.monotonic() + timeout
        prev = None
        while time.monotonic() < deadline:
            s = self.screen()
            if pred(s) and (not stable or s == prev):
                return s
            prev = s if pred(s) else None
            time.sleep(0.25)
        return None

    def kill(self):
        tmux("kill-session", "-t", self.session, check=False)


def tui_rows(s):
    """The goroutine table's rows: lines after the GOID header that start with a goid."""
    lines = s.splitlines()
    out = []
    for i, l in enumerate(lines):
        if "GOID" in l and "STATE" in l:
            for r in lines[i + 1:]:
                if not re.match(r"^ +\d+ ", r):
                    break
                out.append(r)
            break
    return out
