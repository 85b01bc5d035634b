"""Go's own goroutine tracebacks, read as Go prints them, and Go's rule for which frames it prints.

    import gotraceback
    gs = gotraceback.parse(open("go.txt").read())     # runtime.Stack(buf, true) output
    g = gs[7]                                          # by goid
    g.reason, g.frames[0].fn, g.created_by.fn, g.parent
    shown = [f for f in stack if gotraceback.showframe(f["fn"], (1, 27), first)]

parse() reads the format of runtime.Stack(buf, true), of a crash's GOTRACEBACK=all dump and of
`go test` timeouts, Go 1.21 and later:

    goroutine 7 [chan receive, 2 minutes, locked to thread]:
    main.recvOn(...)                                   an inlined frame: "(...)" for arguments
    \t/src/main.go:67                                  no "+0x.." for an inlined frame
    main.recurse(0x0?, 0x0?)
    \t/src/main.go:76 +0x87
    ...12 frames elided...                             (Go prints 50 inner and 50 outer frames)
    created by main.start in goroutine 1
    \t/src/main.go:246 +0xbc
    (blank line)

At GOTRACEBACK=system and above the header carries "gp=0x.. m=.. mp=0x.." before the bracket
and file lines carry " fp=0x.. sp=0x.. pc=0x.."; both are accepted. A frame Go prints as
"panic(...)" is runtime.gopanic. Lines that are none of these ("goroutine running on other thread;
stack unavailable", ancestors' "[originating from goroutine N]:" sections) are skipped.
"""
import re

_HEADER = re.compile(r"^goroutine (\d+)(?: [^\[]*)? \[(.*)\]:$")
_FILELINE = re.compile(r"^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=.*)?$")
_CREATED = re.compile(r"^created by (.+?)(?: in goroutine (\d+))?$")
_ELIDED = re.compile(r"^\.\.\.(?:additional frames elided|(\d+) frames elided)\.\.\.$")


class Frame:
    __slots__ = ("fn", "file", "line", "inlined")

    def __init__(self, fn, file="", line=0, inlined=False):
        self.fn, self.file, self.line, self.inlined = fn, file, line, inlined

    def key(self):
        return (self.fn, self.file, self.line)

    def __repr__(self):
        return f"{self.fn} {self.file}:{self.line}" + (" (inlined)" if self.inlined else "")


class Goroutine:
    """One goroutine of a traceback. frames: innermost first, as printed; elided_at: index in
    frames where Go left frames out (None if it printed them all); created_by: a Frame, or None
    (goroutine 1, cgo callbacks, runtime-created ones); parent: the "in goroutine N" goid or None."""

    def __init__(self, goid, state):
        self.goid = goid
        parts = [p.strip() for p in state.split(",")]
        self.reason = parts[0]  # "running", "chan receive", "IO wait", ...
        self.extra = parts[1:]  # "2 minutes", "locked to thread", ...
        self.frames = []
        self.elided_at = None
        self.created_by = None
        self.parent = None

    def __repr__(self):
        return f"goroutine {self.goid} [{self.reason}] {len(self.frames)} frames"


def _func_name(call):
    """'main.(*T).M(0x1, {0x2, 0x3})' -> 'main.(*T).M'; the argument list is the last balanced
    parenthesised group."""
    if not call.endswith(")"):
        return call, False
    depth = 0
    for i in range(len(call) - 1, -1, -1):
        c = call[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                name, args = call[:i], call[i + 1:-1]
                return ("runtime.gopanic" if name == "panic" else name), args == "..."
    return call, False


def parse(text):
    """Returns {goid: Goroutine} for every goroutine in a traceback dump."""
    gs = {}
    g = None
    pending = None  # a function line waiting for its file line
    created = False
    for line in text.splitlines():
        m = _HEADER.match(line)
        if m:
            g = Goroutine(int(m.group(1)), m.group(2))
            gs[g.goid] = g
            pending, created = None, False
            continue
        if g is None:
            continue
        if line == "":
            g, pending = None, None
            continue
        m = _FILELINE.match(line)
        if m and pending is not None:
            pending.file, pending.line = m.group(1), int(m.group(2))
            if created:
                g.created_by = pending
            else:
                g.frames.append(pending)
            pending = None
            continue
        m = _CREATED.match(line)
        if m:
            pending = Frame(m.group(1))
            g.parent = int(m.group(2)) if m.group(2) else None
            created = True
            continue
        if _ELIDED.match(line):
            g.elided_at = len(g.frames)
            continue
        if line.startswith("\t") or line.startswith("["):
            continue
        name, inlined = _func_name(line)
        pending = Frame(name, inlined=inlined)
    return gs


def _exported_runtime(name, version):
    """runtime's isExportedRuntime: Go 1.23 added exported methods on exported types."""
    if not name.startswith("runtime."):
        return False
    rest = name[len("runtime."):]
    if version < (1, 23):
        return rest[:1].isupper() and rest[:1].isascii()
    rcvr = ""
    i = rest.rfind(".")
    if i >= 0:
        rcvr, rest = rest[:i], rest[i + 1:]
        if len(rcvr) >= 3 and rcvr.startswith("(*") and rcvr.endswith(")"):
            rcvr = rcvr[2:-1]
    up = lambda s: s[:1].isascii() and s[:1].isupper()  # noqa: E731
    return up(rest) and (rcvr == "" or up(rcvr))


def showframe(name, version, first=False):
    """Whether a Go traceback at the default GOTRACEBACK=single prints a frame of function name
    (runtime's showfuncinfo; version is (1, minor)). Compiler wrappers, which Go also hides, are
    not recognised by name: a stack in Go's form has none."""
    if version >= (1, 25) and name in ("runtime.runFinalizers", "runtime.runCleanups"):
        return True
    if name == "runtime.gopanic" and not first:
        return True
    return "." in name and (not name.startswith("runtime.") or _exported_runtime(name, version))


def shown(frames, version):
    """The frames of a stack (dicts with "fn") that Go would print, in order."""
    out = []
    for f in frames:
        if showframe(f.get("fn", ""), version, first=not out):
            out.append(f)
    return out
