"""Go's own goroutine tracebacks, read as Go prints them, and Go's rule for which frames it prints.

    import gotraceback
    gs = gotraceback.parse(text)                   # goid -> Goroutine; ParseError if malformed
    g = gs[7]
    g.status, g.frames[0].fn, g.created_by.fn, g.parent
    kept = gotraceback.shown(event["stack"], (1, 27))   # the JSON frames Go would print
    gotraceback.compare(kept, event.get("stack_truncated", False), g)  # None when the same

parse() reads runtime.Stack(buf, true) output, which is also /debug/pprof/goroutine?debug=2,
Go 1.21 to 1.27, as the runtime prints it (runtime/traceback.go: goroutineheader, traceback2,
printcreatedby1, printFuncName, printAncestorTraceback):

    goroutine 7 [chan receive, 2 minutes, locked to thread]:
    main.recvOn(...)                               an inlined frame: "(...)" for arguments
    \t/src/main.go:67                              no "+0x.." for an inlined frame
    main.recurse(0x0?, {0x5a1c40?, 0xc0000a4000})
    \t/src/main.go:76 +0x87
    ...12 frames elided...                         (Go prints 50 inner and 50 outer frames)
    created by main.start in goroutine 1
    \t/src/main.go:246 +0xbc
    (blank line)

Also accepted: the header forms "goroutine N gp=0x.. m=N mp=0x.. [..]" (GOTRACEBACK=system and
up, whose file lines end in " fp=0x.. sp=0x.. pc=0x.."), " (leaked)", " (scan)", " (durable)"
after the status, ", synctest group/bubble N" in the bracket, Go 1.27's " {key: value}" labels
after it; "\tgoroutine running on other thread; stack unavailable" instead of frames; and the
"[originating from goroutine N]:" sections of GODEBUG=tracebackancestors, read into
Goroutine.ancestors. A frame Go prints as "panic(...)" is runtime.gopanic. Any other line is a
ParseError that names the line.
"""
import re

_HEADER = re.compile(r"^goroutine (\d+)(?: gp=\S+ m=(?:nil|\S+ mp=\S+))? \[([^\]]*)\](?: \{.*\})?:$")
_FILELINE = re.compile(r"^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=\S+ sp=\S+ pc=\S+)?$")
_CREATED = re.compile(r"^created by (.+?)(?: in goroutine (\d+))?$")
_ELIDED = re.compile(r"^\.\.\.(\d+|additional) frames elided\.\.\.$")
_ANCESTOR = re.compile(r"^\[originating from goroutine (\d+)\]:$")
_UNAVAILABLE = "\tgoroutine running on other thread; stack unavailable"


class ParseError(Exception):
    pass


class Frame:
    """fn as Go prints it (runtime.gopanic for "panic"); inlined: Go printed "(...)" for the
    arguments, the frame is inlined into the next (outer) one."""
    __slots__ = ("fn", "file", "line", "inlined")

    def __init__(self, fn, file="", line=0, inlined=False):
        self.fn, self.file, self.line, self.inlined = fn, file, line, inlined

    def key(self):
        return (self.fn, self.file, self.line)

    def __repr__(self):
        return f"{self.fn} {self.file}:{self.line}" + (" (inlined)" if self.inlined else "")


class Goroutine:
    """status: the wait reason of a waiting goroutine ("chan receive", "IO wait"), else Go's state
    word ("running", "runnable", "syscall", "waiting" when no reason); leaked, scan, durable: the
    suffixes printed after it; minutes: the ", N minutes" blocked (0 when not printed); locked:
    ", locked to thread". frames: innermost first, only those Go printed. elided_at: index in
    frames where "...N frames elided..." stood (None when nothing was elided), elided: N (-1 for
    "...additional frames elided...", which only an ancestor's section has). created_by: a Frame
    (the function with the go statement, at its file:line) or None (goroutine 1, runtime-made
    ones); parent: the "in goroutine N" goid or None. ancestors: the goroutines it descends from,
    each a Goroutine with status None whose frames are the creator's stack at the go statement
    (Go prints "(...)" for all of them: inlined is not known there)."""

    def __init__(self, goid, bracket=None):
        self.goid = goid
        self.status = None
        self.leaked = self.scan = self.durable = False
        self.minutes = 0
        self.locked = False
        if bracket is not None:
            parts = bracket.split(", ")
            status = parts[0]
            for suffix in (" (durable)", " (scan)", " (leaked)"):
                # printed in the order leaked, scan, durable: stripped from the end
                if status.endswith(suffix):
                    status = status[: -len(suffix)]
                    setattr(self, suffix.strip(" ()"), True)
            self.status = status
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
        self.ancestors = []

    def __repr__(self):
        return f"goroutine {self.goid} [{self.status}] {len(self.frames)} frames"


def parse(text):
    """goid -> Goroutine for every goroutine in a traceback of all goroutines. Raises ParseError
    with the line number on a line that fits none of the forms above."""
    gs = {}
    g = None  # the goroutine being read
    sect = None  # where frames go: g, or its ancestor being read
    pending = None  # ("frame", Frame) or ("created", Frame, parent) awaiting its file:line line
    for n, line in enumerate(text.splitlines(), 1):
        if pending is not None:
            m = _FILELINE.match(line)
            if not m:
                raise ParseError(f"line {n}: expected a tab, file:line after {pending[1].fn!r}: {line!r}")
            fr = pending[1]
            fr.file, fr.line = m.group(1), int(m.group(2))
            if pending[0] == "frame":
                sect.frames.append(fr)
            else:
                sect.created_by, sect.parent = fr, pending[2]
            pending = None
            continue
        if not line:
            g = sect = None
            continue
        m = _HEADER.match(line)
        if m:
            g = sect = Goroutine(int(m.group(1)), m.group(2))
            if g.goid in gs:
                raise ParseError(f"line {n}: goroutine {g.goid} listed twice")
            gs[g.goid] = g
            continue
        if g is None:
            raise ParseError(f"line {n}: outside a goroutine: {line!r}")
        m = _ANCESTOR.match(line)
        if m:
            sect = Goroutine(int(m.group(1)))
            g.ancestors.append(sect)
            continue
        if line == _UNAVAILABLE:
            continue
        m = _ELIDED.match(line)
        if m:
            sect.elided_at = len(sect.frames)
            sect.elided = -1 if m.group(1) == "additional" else int(m.group(1))
            continue
        m = _CREATED.match(line)
        if m:
            pending = ("created", Frame(_real_name(m.group(1))), int(m.group(2)) if m.group(2) else None)
            continue
        if line.endswith(")") and "(" in line:
            # the arguments are the last parenthesised group: they hold no parentheses
            i = line.rindex("(")
            inlined = line[i:] == "(...)" and sect is g
            pending = ("frame", Frame(_real_name(line[:i]), inlined=inlined))
            continue
        raise ParseError(f"line {n}: not a frame, elision or created-by line: {line!r}")
    if pending is not None:
        raise ParseError(f"end of text: no file:line after {pending[1].fn!r}")
    return gs


def _real_name(printed):
    return "runtime.gopanic" if printed == "panic" else printed


def _upper(s):
    return s[:1].isascii() and s[:1].isupper()


def _exported_runtime(name, version):
    """runtime's isExportedRuntime: exported functions of package runtime and, from Go 1.23,
    exported methods on its exported types (runtime.(*Func).Name)."""
    if not name.startswith("runtime."):
        return False
    name = name[len("runtime."):]
    if version < (1, 23):
        return _upper(name)
    rcvr = ""
    i = name.rfind(".")
    if i >= 0:
        rcvr, name = name[:i], name[i + 1:]
        if len(rcvr) >= 3 and rcvr.startswith("(*") and rcvr.endswith(")"):
            rcvr = rcvr[2:-1]
    return _upper(name) and (not rcvr or _upper(rcvr))


def showframe(name, version, first=False):
    """Whether a traceback at the default GOTRACEBACK (single, all) prints a frame of function
    name (runtime's showfuncinfo), first when nothing was printed before it, for a program built
    by Go version (1, minor). Compiler wrappers, which Go also hides, are not recognised by name:
    a stack in Go's form (the JSON contract's) has none."""
    if version >= (1, 25) and name in ("runtime.runFinalizers", "runtime.runCleanups"):
        return True
    if name == "runtime.gopanic" and not first:
        return True
    return "." in name and (not name.startswith("runtime.") or _exported_runtime(name, version))


def shown(frames, version):
    """The frames of a full stack of JSON frames (dicts with "fn", innermost first) that Go's
    traceback prints: those showframe keeps, or all of them when it keeps none (traceback1 then
    prints the runtime frames too)."""
    kept = []
    for f in frames:
        if showframe(f.get("fn") or "", version, first=not kept):
            kept.append(f)
    return kept if kept else list(frames)


def compare(xs, truncated, g):
    """xs: xgotop's JSON frames as Go would print them (shown()); truncated: xgotop's capture was
    cut short (its "stack_truncated"); g: Go's Goroutine. None when xs are Go's frames (function,
    file, line), in order, where Go elided the middle of a long stack: the same count in between.
    Else (index, xgotop frame or None, Go's Frame or None) at the first difference."""
    ds = g.frames
    pairs = []
    if g.elided_at is not None and g.elided > 0:
        top, bottom = ds[: g.elided_at], ds[g.elided_at:]
        pairs = list(_zip_pad(xs[: len(top)], top, 0))
        if not truncated:
            n = len(top) + g.elided + len(bottom)
            if len(xs) < n:  # shorter than the whole stack: report Go's bottom frame
                return (len(xs), None, ds[-1])
            if len(xs) > n:
                return (n, xs[n], None)
            pairs += list(_zip_pad(xs[len(xs) - len(bottom):], bottom, len(xs) - len(bottom)))
    elif truncated:
        n = min(len(xs), len(ds))
        pairs = list(_zip_pad(xs[:n], ds[:n], 0))
    else:
        pairs = list(_zip_pad(xs, ds, 0))
    for i, x, d in pairs:
        if x is None or d is None or (x.get("fn"), x.get("file"), x.get("line")) != d.key():
            return (i, x, d)
    return None


def _zip_pad(xs, ds, base):
    for i in range(max(len(xs), len(ds))):
        yield (base + i, xs[i] if i < len(xs) else None, ds[i] if i < len(ds) else None)
