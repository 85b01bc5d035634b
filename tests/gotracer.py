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
