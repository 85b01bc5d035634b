#!/usr/bin/env python3
"""Checks a recording of tests/go/gtruth against the truth the program wrote.

Used by tests/record.test; also runnable by hand:

    tests/record_check.py TRUTH.json EVENTS.jsonl [--attached] [--sample-alloc R] [--sample-state R]

EVENTS is the JSON-lines schema of `xgotop dump --json` (format/evjson.h). Each check returns
(ok, name, detail); the caller prints PASS/FAIL lines.
"""
import collections
import json
import math
import re
import sys

# Legal goroutine status changes (Go's _G* states without the scan bit), from every
# casgstatus call and every direct CAS of g.atomicstatus in runtime/*.go of Go 1.21-1.27.
LEGAL = {
    ("dead", "runnable"),  # newproc1
    ("dead", "waiting"),  # newproc1, parked (iter.Pull coroutines, 1.23+)
    ("dead", "syscall"),  # needm: cgo callback on an extra M
    ("runnable", "running"),  # execute
    ("runnable", "waiting"),  # newcoro (1.22)
    ("running", "runnable"),  # gosched, preemption, exitsyscall without a P
    ("running", "waiting"),  # park_m, GC waits, coroutine switch
    ("running", "syscall"),  # reentersyscall, entersyscallblock
    ("running", "dead"),  # gdestroy / goexit0
    ("running", "copystack"),  # newstack
    ("running", "preempted"),  # casGToPreemptScan
    ("waiting", "runnable"),  # ready
    ("waiting", "running"),  # back from a GC wait, coroutine switch
    ("waiting", "leaked"),  # goroutine leak detection (1.26+)
    ("syscall", "running"),  # exitsyscall
    ("syscall", "runnable"),  # exitsyscall0 / exitsyscallNoP
    ("syscall", "dead"),  # dropm
    ("copystack", "running"),  # newstack
    ("preempted", "waiting"),  # casGFromPreempted
    ("leaked", "waiting"),
}


def load_events(path):
    evs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                evs.append(json.loads(line))
    return evs


def binom_ok(k, n, p, sigmas=5.0):
    """k successes of n at rate p, within `sigmas` standard deviations (plus 1 for small n)."""
    mean = n * p
    sd = math.sqrt(n * p * (1 - p))
    return abs(k - mean) <= sigmas * sd + 1, mean, sd


def check(truth, evs, attached=False, sample_alloc=None, sample_state=None, events=None):
    """Yields (ok, name, detail)."""
    kinds = set(events) if events else {"go_create", "go_exit", "go_state", "alloc", "gc_start", "gc_end"}
    by_kind = collections.defaultdict(list)
    for e in evs:
        by_kind[e["kind"]].append(e)
    tg = {g["goid"]: g for g in truth["goroutines"]}
    created = {g: t for g, t in tg.items() if not t.get("not_created")}

    # timestamps never go back
    back = sum(1 for a, b in zip(evs, evs[1:]) if b["ts"] < a["ts"])
    yield back == 0, "ts-order", f"{back} events earlier than their predecessor"

    lost = sum(e.get("count", 0) for e in by_kind["lost"])
    yield lost == 0, "no-drops", f"{lost} events lost ({len(by_kind['lost'])} lost records)"

    if "go_create" in kinds:
        creates = {}
        dup = 0
        for e in by_kind["go_create"]:
            dup += e["goid"] in creates
            creates[e["goid"]] = e
        yield dup == 0, "create-unique", f"{dup} goroutines created twice"
        miss = [g for g in created if g not in creates]
        yield not miss, "create-all", f"no go_create for {miss}" if miss else f"{len(created)} goroutines"
        wrong = [
            (g, tg[g]["parent"], creates[g]["parent_goid"])
            for g in created
            if g in creates and creates[g]["parent_goid"] != tg[g]["parent"]
        ]
        yield not wrong, "create-parents", f"(goid, want, got) {wrong}" if wrong else "all parents right"
        wrongfn = [
            (g, tg[g]["fn"], creates[g].get("start_fn"))
            for g in created
            if g in creates and creates[g].get("start_fn") != tg[g]["fn"]
        ]
        yield not wrongfn, "create-start-fn", f"{wrongfn}" if wrongfn else "all start functions right"
        # exactly the program's goroutines start in package main
        mains = [e["goid"] for e in by_kind["go_create"] if e.get("start_fn", "").startswith("main.")]
        want = sorted(g for g in tg if tg[g]["fn"].startswith("main."))
        yield sorted(mains) == want, "create-count", f"{len(mains)} goroutines start in main., want {len(want)}"
        nocpc = [e["goid"] for e in by_kind["go_create"] if e["goid"] in tg and not e.get("create_fn", "").startswith("main.")
                 and tg[e["goid"]]["fn"].startswith("main.")]
        yield not nocpc, "create-pc", f"create_fn not in main for {nocpc}" if nocpc else "create_fn resolved"

    if "go_exit" in kinds:
        exits = collections.Counter(e["goid"] for e in by_kind["go_exit"])
        twice = [g for g, n in exits.items() if n > 1]
        yield not twice, "exit-unique", f"exited twice: {twice}"
        # a C thread's callback goroutine (an extra M's, not created by a go statement) goes back
        # to dead when the thread exits, as Go's tracer says with GoDestroySyscall: production's
        # polled exits report that when a walk had seen it, full mode has its go_state to dead
        want = {g for g in tg if tg[g]["exited"] and not tg[g].get("not_created")}
        got = {g for g in exits if g in tg and not tg[g].get("not_created")}
        yield got == want, "exit-set", (
            f"missing {sorted(want - got)}, unexpected {sorted(got - want)}" if got != want else f"{len(want)} exits"
        )
        leaked = [g for g in tg if tg[g].get("leaked") and g in exits]
        yield not leaked, "leaked-no-exit", f"leaked goroutines with an exit: {leaked}"

    if "go_state" in kinds:
        seq = collections.defaultdict(list)
        for e in by_kind["go_state"]:
            seq[e["goid"]].append(e)
        yield 0 not in seq, "no-goid-0", f"{len(seq.get(0, []))} state changes of goroutine 0"
        illegal, gaps, starts = [], [], []
        for g, s in seq.items():
            for a, b in zip(s, s[1:]):
                if a["to"] != b["from"]:
                    gaps.append((g, a["from"] + ">" + a["to"], b["from"] + ">" + b["to"]))
            for e in s:
                if (e["from"], e["to"]) not in LEGAL:
                    illegal.append((g, e["from"], e["to"]))
            if not attached and s[0]["from"] != "dead" and g in tg:
                starts.append((g, s[0]["from"]))
        yield not illegal, "state-legal", f"illegal transitions {illegal[:10]}" if illegal else f"{len(by_kind['go_state'])} transitions"
        yield not gaps, "state-consistent", f"{len(gaps)} breaks, e.g. {gaps[:5]}" if gaps else f"{len(seq)} goroutines"
        yield not starts, "state-starts-dead", f"{starts}" if starts else "every goroutine starts dead"

        if sample_state is None:
            # every goroutine of the program: complete life, and its wait reasons
            for g, t in tg.items():
                s = seq.get(g, [])
                if not s:
                    yield False, f"state-{t['role']}", f"goroutine {g}: no state changes"
                    continue
                reasons = {e.get("reason", "") for e in s if e["to"] == "waiting"}
                miss = [w for w in t.get("waits", []) if w not in reasons]
                ok = not miss
                if t["exited"] and not attached:
                    ok = ok and s[-1]["to"] == "dead"
                if t.get("leaked"):
                    ok = ok and s[-1]["to"] == "waiting"
                detail = f"goroutine {g}: waits {sorted(reasons)}, last {s[-1]['from']}>{s[-1]['to']}"
                if miss:
                    detail += f"; missing {miss}"
                yield ok, f"state-{t['role']}", detail
            for t in truth["goroutines"]:
                if t.get("callbacks"):
                    # one C thread: its extra M (and goroutine) is taken at the first callback
                    # (needm) and given back when the thread exits (dropm, Go 1.21+); each
                    # callback leaves the syscall state (to running, or runnable when it has to
                    # wait for a P) and re-enters it
                    c = collections.Counter((e["from"], e["to"]) for e in seq.get(t["goid"], []))
                    n = t["callbacks"]
                    out = c[("syscall", "running")] + c[("syscall", "runnable")]
                    ok = (c[("dead", "syscall")] == 1 and c[("syscall", "dead")] == 1
                          and out == n and c[("running", "syscall")] == n)
                    yield ok, "cgo-callbacks", (
                        f"goroutine {t['goid']}: needm {c[('dead', 'syscall')]}, dropm {c[('syscall', 'dead')]}, "
                        f"out of syscall {out}, into syscall {c[('running', 'syscall')]} for {n} callbacks")
                if t.get("syscalls"):
                    n = sum(1 for e in seq.get(t["goid"], []) if e["from"] == "running" and e["to"] == "syscall")
                    yield n == t["syscalls"], "syscalls", f"goroutine {t['goid']}: {n} running>syscall, want {t['syscalls']}"
        else:
            # whole goroutines are kept or dropped
            partial = []
            kept = 0
            for g, t in tg.items():
                s = seq.get(g, [])
                if s:
                    kept += 1
                    if not attached and (s[0]["from"] != "dead" or (t["exited"] and s[-1]["to"] != "dead")):
                        partial.append(g)
            yield not partial, "sample-state-whole", f"partial goroutines {partial}" if partial else f"{kept} of {len(tg)} goroutines kept whole"
            ok, mean, sd = binom_ok(kept, len(tg), sample_state)
            yield ok, "sample-state-rate", f"{kept} of {len(tg)} kept at rate {sample_state} (mean {mean:.1f}, sd {sd:.1f}, bound 5 sd + 1)"

    if "alloc" in kinds:
        got = collections.Counter()
        gbytes = collections.Counter()
        wrong_g = 0
        for e in by_kind["alloc"]:
            key = (e.get("type", ""), e["size"])
            got[key] += 1
            gbytes[key] += e["size"]
        owners = {a["goid"] for a in truth["allocs"]}
        for e in by_kind["alloc"]:
            if any(e.get("type", "") == a["type"] and e["size"] == a["size"] for a in truth["allocs"]):
                wrong_g += e["goid"] not in owners
        for a in truth["allocs"]:
            key = (a["type"], a["size"])
            n = got.get(key, 0)
            name = f"alloc-{a['type']}-{a['size']}"
            if sample_alloc is None:
                yield (n == a["count"] and gbytes.get(key, 0) == a["count"] * a["size"], name,
                       f"{n} allocations / {gbytes.get(key, 0)} bytes, want {a['count']} / {a['count'] * a['size']}")
            else:
                ok, mean, sd = binom_ok(n, a["count"], sample_alloc)
                yield ok, name, (f"{n} sampled of {a['count']} at rate {sample_alloc}: mean {mean:.1f}, sd {sd:.1f}, "
                                 f"scaled {n / sample_alloc:.0f} (bound 5 sd + 1)")
        yield wrong_g == 0, "alloc-goroutine", f"{wrong_g} allocations of the test types attributed to another goroutine"

    if "gc_start" in kinds and "gc_end" in kinds:
        starts = [e["gc"] for e in by_kind["gc_start"]]
        ends = [e["gc"] for e in by_kind["gc_end"]]
        ok = starts == list(range(starts[0], starts[0] + len(starts))) if starts else False
        ok = ok and ends == starts[: len(ends)] and len(starts) - len(ends) in (0, 1)
        yield ok, "gc-cycles", f"starts {starts}, ends {ends}"
        if not attached:
            yield len(ends) >= truth["num_gc"] and len(ends) >= truth["gc_calls"], "gc-count", (
                f"{len(ends)} gc_end, program saw NumGC {truth['num_gc']} after {truth['gc_calls']} runtime.GC()")
        figs = all(e.get("heap_live", 0) > 0 and e.get("total_alloc", 0) > 0 for e in by_kind["gc_end"])
        yield figs and ends, "gc-heap", "heap_live/total_alloc present at every gc_end" if figs else "missing heap figures"


TRAP_LINE = re.compile(r"the probes were hit (\d+) times; a trap costs ([0-9.]+) us here \(measured\), "
                       r"so the traps alone took about ([0-9.]+) ms of the target's CPU"
                       r"(?:, ([0-9.]+)% of the ([0-9.]+) s it used while recorded)?")


def check_traps(stderr, evs, trap_kinds, cpu_known=True):
    """record's summary line on what the probes cost: present, with at least one trap per event
    of trap_kinds (kinds that each come from a trap of their own), a trap price measured
    between 50 ns and 1 ms, traps x price as the time given, and the target's CPU time when
    the target was launched (known to the end)."""
    m = TRAP_LINE.search(stderr)
    if not m:
        return False, "trap-cost", "no trap line in: " + " | ".join(stderr.strip().splitlines()[-6:])
    hits, us, ms = int(m.group(1)), float(m.group(2)), float(m.group(3))
    need = sum(1 for e in evs if e["kind"] in trap_kinds)
    problems = []
    if hits < need:
        problems.append(f"{hits} hits < {need} events of {sorted(trap_kinds)}")
    if not 0.05 <= us <= 1000:
        problems.append(f"trap price {us} us")
    if abs(hits * us / 1e3 - ms) > max(0.1, 0.01 * ms):
        problems.append(f"{hits} x {us} us is not {ms} ms")
    if cpu_known and m.group(4) is None:
        problems.append("no share of the target's CPU")
    return not problems, "trap-cost", "; ".join(problems) or m.group(0)


def main():
    args = sys.argv[1:]
    opts = {}
    if "--attached" in args:
        args.remove("--attached")
        opts["attached"] = True
    for flag, key in (("--sample-alloc", "sample_alloc"), ("--sample-state", "sample_state")):
        if flag in args:
            i = args.index(flag)
            opts[key] = float(args[i + 1])
            del args[i : i + 2]
    truth = json.load(open(args[0]))
    evs = load_events(args[1])
    bad = 0
    for ok, name, detail in check(truth, evs, **opts):
        print(("PASS" if ok else "FAIL") + f": {name}: {detail}")
        bad += not ok
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
