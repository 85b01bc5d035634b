"""Goroutine events of Go's execution tracer (runtime/trace), as `go tool trace` prints them.

    import gotracer
    text = gotracer.dump(goroot, minor, "trace.out")   # `go tool trace -d=...` of that toolchain
    for e in gotracer.parse(text): e.goid, e.frm, e.to, e.g, e.stack, e.tstack

Go 1.22 and 1.23 print parsed events with -d=1, Go 1.24 and later with -d=parsed (Go 1.21's
tracer is the older format, without stacks in its dump: not read here). Each event is one line,
then its stacks, each a "Stack=" or "TransitionStack=" line followed by frame pairs and a blank
line:

    M=11431 P=0 G=1 StateTransition Time=671404718656 GoID=10 NotExist->Runnable Reason=""
    TransitionStack=
    \tmain.recurse @ 0x500900
    \t\t/src/main.go:74
    (blank)
    Stack=
    \tmain.start @ 0x50103b
    \t\t/src/main.go:246

Go 1.22 to 1.26 write "Resource=Goroutine(10) Reason=\"\" GoID=10 NotExist->Runnable"; 1.27 moves
Reason last and drops Resource; both are read. G is the goroutine running when the event
happened (-1: none). Only goroutine state transitions are returned.

What the tracer records, from runtime/tracestack.go and the events themselves:
- a creation (NotExist->Runnable, or ->Waiting for a coroutine) by goroutine G: Stack is G's stack
  starting at the go statement; TransitionStack is one frame, the new goroutine's start function
  (a compiler wrapper resolved to the function it wraps).
- a block (Running->Waiting): Stack starts a few runtime frames above gopark (the tracer skips
  gopark and the frames that call it).
- Undetermined->X: the state of a goroutine that existed when tracing began; for a waiting one
  (Go 1.23+) Stack is its whole stack from runtime.gopark.
- every stack lacks runtime.goexit; goroutine 1's also lacks runtime.main. Inlined calls are
  expanded, wrappers elided, as runtime.CallersFrames does.
"""
import re
import subprocess

_EVENT = re.compile(r"^M=(-?\d+) P=(-?\d+) G=(-?\d+) (\w+) Time=(\d+)(.*)$")
_TRANS = re.compile(r"\bGoID=(\d+)\b.*?\b(\w+)->(\w+)\b")
_REASON = re.compile(r'\bReason="((?:[^"\\]|\\.)*)"')
_FRAME_FN = re.compile(r"^\t(\S.*) @ (0x[0-9a-f]+)$")
_FRAME_POS = re.compile(r"^\t\t(.*):(\d+)$")


class Frame:
    __slots__ = ("fn", "pc", "file", "line")

    def __init__(self, fn, pc):
        self.fn, self.pc, self.file, self.line = fn, pc, "", 0

    def key(self):
        return (self.fn, self.file, self.line)

    def __repr__(self):
        return f"{self.fn} {self.file}:{self.line}"


class Transition:
    """A goroutine state transition. time: trace clock (ns); g: running goroutine or -1;
    stack, tstack: lists of Frame (empty when the event has none)."""

    __slots__ = ("time", "g", "goid", "frm", "to", "reason", "stack", "tstack")

    def __repr__(self):
        return f"{self.time} G={self.g} goid={self.goid} {self.frm}->{self.to} {self.reason!r}"


def debug_flag(minor):
    """The -d value that prints parsed events with stacks, or None (Go 1.21)."""
    if minor >= 24:
        return "parsed"
    if minor >= 22:
        return "1"
    return None


def dump(goroot, minor, path, env=None, timeout=120):
    """Runs that toolchain's `go tool trace` on a trace file; returns its output."""
    flag = debug_flag(minor)
    if flag is None:
        raise ValueError(f"Go 1.{minor}'s go tool trace prints no parsed stacks")
    p = subprocess.run([f"{goroot}/bin/go", "tool", "trace", f"-d={flag}", path], capture_output=True,
                       text=True, env=env, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"go tool trace -d={flag} {path}: exit {p.returncode}: {p.stderr.strip()[-300:]}")
    return p.stdout


def parse(text):
    """Returns the goroutine state transitions in the order printed (time order)."""
    out = []
    cur = None  # the last transition, collecting stacks
    stack = None  # the list frames go to
    frame = None
    for line in text.splitlines():
        if line.startswith("M="):
            stack = frame = cur = None
            m = _EVENT.match(line)
            if not m or m.group(4) != "StateTransition":
                continue
            t = _TRANS.search(m.group(6))
            if not t:
                continue  # a proc transition
            cur = Transition()
            cur.time, cur.g = int(m.group(5)), int(m.group(3))
            cur.goid, cur.frm, cur.to = int(t.group(1)), t.group(2), t.group(3)
            r = _REASON.search(m.group(6))
            cur.reason = r.group(1) if r else ""
            cur.stack, cur.tstack = [], []
            out.append(cur)
            continue
        if cur is None:
            continue
        if line == "Stack=":
            stack = cur.stack
        elif line == "TransitionStack=":
            stack = cur.tstack
        elif line == "":
            stack = None
        elif stack is not None:
            m = _FRAME_FN.match(line)
            if m:
                frame = Frame(m.group(1), int(m.group(2), 16))
                stack.append(frame)
                continue
            m = _FRAME_POS.match(line)
            if m and frame is not None:
                frame.file, frame.line = m.group(1), int(m.group(2))
    return out


# --- xgotop's recording and Go's trace of one run, goroutine by goroutine ------------------------
#
# agree() imports Go's trace (`xgotop import`), reads it and xgotop's recording side by side with
# .output/trace-agree (tests/trace_agree.c, the format library) and holds them to: every
# goroutine known to both over the tracer's span, the same parent and start function for those
# created in it, and the same sequence of states once what one side writes and the other cannot
# see is taken out (EXPLAINED, GO_EXPLAINED: counted, and listed in README.md).

from viewer_util import RUNS_REASONS  # noqa: E402

EDGE_NS = 1_000_000  # a change this close to the span's end may fall on either side of it
# What xgotop sees that Go's tracer does not write:
EXPLAINED = {
    # the runtime's own stack copies (_Gcopystack): running -> copystack -> running
    "copystack": "stack copies (copystack)",
    # waits that are no block: the runtime marks a goroutine waiting while it runs on the system
    # stack (GC marking by a worker or an assist, stack scans, the tracer writing statuses), so
    # that its stack can be scanned (isWaitingForSuspendG, viewer_util.RUNS_REASONS); Go's
    # tracer keeps it running, as xgotop's model counts it
    "runs": "waits that are no block (GC marking, stack scans, the tracer's own work)",
    # a goroutine stopped for the GC to scan its stack (suspendG, preemptPark): _Gpreempted,
    # then waiting; the tracer writes Running -> Waiting (reason "preempted")
    "preempted": "stops for a stack scan (preempted)",
    # exitsyscall's slow path: syscall -> running -> runnable, where the tracer writes
    # GoSyscallEndBlocked, Syscall -> Runnable (found by aligning the two sequences)
    "syscall": "system call exits through running to runnable",
}
# What Go's tracer writes that the runtime's statuses never were: a system call whose P was
# taken (ProcSteal) ends in GoSyscallEndBlocked, Syscall -> Runnable, then GoStart, though
# exitsyscall found a P and the status went syscall -> running (found by aligning)
GO_EXPLAINED = {"stolen": "system calls Go writes as Syscall -> Runnable -> Running"}


def explain(states):
    """xgotop's [state, reason, at] list without the transitions the first three EXPLAINED
    rules take out, and how many each took out."""
    n = dict.fromkeys(EXPLAINED, 0)
    seq = []
    for st in states:
        if st[0] == "copystack":
            n["copystack"] += 1
            continue
        if st[0] == "preempted":
            n["preempted"] += 1
            st = ["waiting", "preempted", st[2]]
        if not seq or seq[-1][0] != st[0]:
            seq.append(st)
    out = []
    i = 0
    while i < len(seq):
        st = seq[i]
        nxt = seq[i + 1][0] if i + 1 < len(seq) else None
        prev = out[-1][0] if out else None
        if (st[0] == "waiting" and prev == "running" and nxt in ("running", None)
                and st[1] in RUNS_REASONS):  # (None: the window ends in it)
            n["runs"] += 1
            i += 2
            continue
        if not out or out[-1][0] != st[0]:
            out.append(st)
        i += 1
    return out, n


def align(want, got):
    """Go's and xgotop's state names aligned: (differences left, system call exits through
    running in xgotop's, Syscall -> Runnable -> Running in Go's)."""
    import difflib
    left, slow, stolen = [], 0, 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=want, b=got, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if (op == "insert" and got[j1:j2] == ["running"] and j1 > 0 and j2 < len(got)
                and got[j1 - 1] == "syscall" and got[j2] == "runnable"):
            slow += 1
        elif (op == "delete" and want[i1:i2] == ["runnable"] and i1 > 0 and i2 < len(want)
                and want[i1 - 1] == "syscall" and want[i2] == "running"):
            stolen += 1
        else:
            left.append((op, i1, i2, j1, j2))
    return left, slow, stolen


def agree(xgotop, trace_agree, gtrace, xgt, timeout=120):
    """Results [(ok, name, detail, lines)]: "agree-goroutines" and "agree-states" of Go's trace
    gtrace against xgotop's recording xgt of the same run."""
    import json
    import os
    g = os.path.splitext(xgt)[0] + ".go.xgt"
    p = subprocess.run([xgotop, "import", "-q", gtrace, "-o", g], capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode:
        return [(False, "agree", f"import: exit {p.returncode}: {p.stderr.strip()[-300:]}", [])]
    p = subprocess.run([trace_agree, g, xgt], capture_output=True, text=True, timeout=timeout)
    if p.returncode:
        return [(False, "agree", f"trace-agree: exit {p.returncode}: {p.stderr.strip()[-300:]}", [])]
    span = json.loads(subprocess.run([xgotop, "info", "--json", g], capture_output=True, text=True,
                                     timeout=timeout, check=True).stdout)["span_ns"]
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    only, created, bad, same, go_counts = [], 0, [], 0, 0
    counts = dict.fromkeys(EXPLAINED, 0)
    for r in rows:
        ref, oth = r["ref"], r["other"]
        if not ref or not oth:
            side = ref or oth
            only.append(f"g{r['goid']} only in {'Go' if ref else 'xgotop'}'s: {json.dumps(side)[:200]}")
            continue
        if ref["created"] or oth["created"]:
            created += 1
            a = (ref["created"], ref.get("parent"), ref.get("start_fn"))
            b = (oth["created"], oth.get("parent"), oth.get("start_fn"))
            if a != b:
                only.append(f"g{r['goid']} created: Go {a}, xgotop {b}")
        ref_seq = [st for st in ref["states"] if st[2] <= span - EDGE_NS]
        seq, n = explain([st for st in oth["states"] if st[2] <= span - EDGE_NS])
        want, got = [st[0] for st in ref_seq], [st[0] for st in seq]
        left, slow, stolen = align(want, got)
        n["syscall"] = slow
        for k in n:
            counts[k] += n[k]
        go_counts += stolen
        if not left:
            same += 1
            continue
        op, i1, i2, j1, j2 = left[0]
        bad.append(f"g{r['goid']} {ref.get('start_fn', '')}: {len(left)} differences; the first, {op} "
                   f"at #{i1}: Go {ref_seq[max(0, i1 - 1):i2 + 2]} xgotop {seq[max(0, j1 - 1):j2 + 2]}")
    return [
        (not only, "agree-goroutines",
         f"{len(rows)} goroutines known to both in the tracer's {span / 1e9:.2f} s, {created} created in "
         f"it with the same parent and start function" if not only else f"{len(only)} differ", only),
        (not bad, "agree-states",
         f"{same} of {len(rows)} goroutines with the same sequence of states once xgotop's "
         + ", ".join(f"{counts[k]} {EXPLAINED[k]}" for k in EXPLAINED) + " are taken out, and Go's "
         f"{go_counts} {GO_EXPLAINED['stolen']}" if not bad else f"{len(bad)} of {len(rows)} goroutines differ",
         bad),
    ]
