"""Go's own goroutine dump, parsed: /debug/pprof/goroutine?debug=2 (runtime.Stack(buf, true)).

    import pprof_goroutines
    gs = pprof_goroutines.parse(text)          # goid -> Goroutine
    g = gs[42]; g.status, g.frames[0].fn, g.created_by

Written from the Go runtime's printing code (runtime/traceback.go: goroutineheader, traceback2,
printcreatedby1, printFuncName), Go 1.21 to 1.27:

    goroutine 42 [chan receive, 3 minutes, locked to thread]:
    main.worker(0xc000010000, {0x5a1c40?, 0xc0000a4000})
    	/src/main.go:17 +0x45
    main.inlined(...)
    	/src/main.go:9
    ...12 frames elided...
    created by main.main in goroutine 1
    	/src/main.go:30 +0x1d

Also the header forms "goroutine N gp=0x.. m=N mp=0x.. [..]" (GOTRACEBACK=system and up),
" (scan)", " (leaked)", " (durable)" after the status, ", synctest group/bubble N", and Go
1.27's " {key: value}" labels after the bracket. runtime.gopanic is printed as "panic"; it is
given back its real name here. Also showframe(), Go's rule for which frames a traceback shows,
so that a full stack (runtime frames included) can be compared with a dump.
"""
import re

HEADER = re.compile(r"^goroutine (\d+)(?: gp=\S+ m=(?:nil|\S+ mp=\S+))? \[([^\]]*)\](?: \{.*\})?:$")
FILELINE = re.compile(r"^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=\S+ sp=\S+ pc=\S+)?$")
CREATED = re.compile(r"^created by (.+?)(?: in goroutine (\d+))?$")
ELIDED = re.compile(r"^\.\.\.(\d+|additional) frames elided\.\.\.$")


class Frame:
    __slots__ = ("fn", "file", "line")

    def __init__(self, fn, file, line):
        self.fn, self.file, self.line = fn, file, line

    def key(self):
        return (self.fn, self.file, self.line)

    def __repr__(self):
        return f"{self.fn} {self.file}:{self.line}"


class Goroutine:
    """status: the wait reason for a waiting goroutine ("chan receive", "IO wait"), else Go's
    state word ("running", "runnable", "syscall", "waiting" when no reason). frames: innermost
    first, only those Go printed. elided_at: index into frames where "...N frames elided..."
    stood (None when nothing was elided), elided: N (-1 for "additional"). created_by: a Frame
    (fn, file, line of the go statement) or None; parent: the creator's goid or None."""

    def __init__(self, goid, bracket):
        self.goid = goid
        parts = bracket.split(", ")
        status = parts[0]
        self.scan = self.leaked = self.durable = False
        for suffix in (" (durable)", " (scan)", " (leaked)"):
            # printed in the order leaked, scan, durable: stripped from the end
            if status.endswith(suffix):
                status = status[: -len(suffix)]
                setattr(self, suffix.strip(" ()"), True)
        self.status = status
        self.minutes = 0
        self.locked = False
        for p in parts[1:]:
            if p.endswith(" minutes"):
                self.minutes = int(p.split()[0])
            elif p == "locked to thread":
                self.locked = True
        self.frames = []
        self.elided_at = None
        self.elided = 0
        self.created_by = None
        self.parent = None

    def __repr__(self):
        return f"goroutine {self.goid} [{self.status}] {len(self.frames)} frames"


class ParseError(Exception):
    pass


def parse(text):
    """goid -> Goroutine for every goroutine in a debug=2 dump. Raises ParseError with the line
    number on a line that fits none of the forms above."""
    gs = {}
    g = None
    pending = None  # ("frame", fn) or ("created", fn, parent) awaiting its file:line line
    for n, line in enumerate(text.splitlines(), 1):
        if pending is not None:
            m = FILELINE.match(line)
            if not m:
                raise ParseError(f"line {n}: expected a tab, file:line after {pending[1]!r}: {line!r}")
            fr = Frame(pending[1], m.group(1), int(m.group(2)))
            if pending[0] == "frame":
                g.frames.append(fr)
            else:
                g.created_by = fr
                g.parent = pending[2]
            pending = None
            continue
        if not line:
            g = None
            continue
        m = HEADER.match(line)
        if m:
            g = Goroutine(int(m.group(1)), m.group(2))
            if g.goid in gs:
                raise ParseError(f"line {n}: goroutine {g.goid} listed twice")
            gs[g.goid] = g
            continue
        if g is None:
            raise ParseError(f"line {n}: outside a goroutine: {line!r}")
        m = ELIDED.match(line)
        if m:
            g.elided_at = len(g.frames)
            g.elided = -1 if m.group(1) == "additional" else int(m.group(1))
            continue
        m = CREATED.match(line)
        if m:
            fn = "runtime.gopanic" if m.group(1) == "panic" else m.group(1)
            pending = ("created", fn, int(m.group(2)) if m.group(2) else None)
            continue
        if line.endswith(")") and "(" in line:
            # the arguments are the last parenthesised group; they hold no parentheses
            fn = line[: line.rindex("(")]
            if fn == "panic":
                fn = "runtime.gopanic"
            pending = ("frame", fn)
            continue
        raise ParseError(f"line {n}: not a frame, elision or created-by line: {line!r}")
    if pending is not None:
        raise ParseError(f"end of text: no file:line after {pending[1]!r}")
    return gs


def _exported_runtime(name):
    """runtime.isExportedRuntime (Go 1.23+): exported functions, and exported methods on exported
    types, of package runtime."""
    if not name.startswith("runtime."):
        return False
    name = name[len("runtime."):]
    rcvr = ""
    i = name.rfind(".")
    if i >= 0:
        rcvr, name = name[:i], name[i + 1:]
        if len(rcvr) >= 3 and rcvr.startswith("(*") and rcvr.endswith(")"):
            rcvr = rcvr[2:-1]
    return bool(name) and name[0].isupper() and name[0].isascii() and (
        not rcvr or (rcvr[0].isupper() and rcvr[0].isascii()))


def showframe(name, first, go_minor):
    """Go's showfuncinfo at the default GOTRACEBACK (single/all) for a frame named name, first
    when nothing has been printed before it, for a program built by Go 1.<go_minor>. Wrapper
    frames are not judged here (a stack in the JSON contract has them elided already)."""
    if go_minor >= 25 and name in ("runtime.runFinalizers", "runtime.runCleanups"):
        return True
    if name == "runtime.gopanic" and not first:
        return True
    if "." not in name:
        return False
    if not name.startswith("runtime."):
        return True
    if go_minor >= 23:
        return _exported_runtime(name)
    return len(name) > len("runtime.") and "A" <= name[len("runtime.")] <= "Z"


def filter_frames(frames, go_minor, fn=lambda f: f.fn):
    """The frames a Go traceback would print of a full stack (innermost first): those showframe
    keeps, or all of them when it keeps none (traceback1 then prints runtime frames too)."""
    kept = []
    for f in frames:
        if showframe(fn(f), not kept, go_minor):
            kept.append(f)
    return kept if kept else list(frames)
