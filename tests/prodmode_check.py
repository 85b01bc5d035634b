#!/usr/bin/env python3
"""Checks a production-mode recording of tests/go/prodtruth against the truth it wrote.

Used by tests/prodmode.test and tests/bench/prodmode.bench; also runnable by hand:

    tests/prodmode_check.py TRUTH.json EVENTS.jsonl INFO.json

EVENTS is `xgotop dump --json`, INFO is `xgotop info --json` (for the metadata: clock.start_ns
turns the program's CLOCK_MONOTONIC times into trace times; sample.cpu_sample.hz). Each check
yields (ok, name, detail).

- cpu: each spinning goroutine's CPU share from its cpu_sample events (the CPU time each
  stands for, its weight, or 1/Hz s without one; over the CPU phase's length) within 5
  percentage points of its thread's measured CPU time over that length.
- heap: the bytes allocated between the program's two ReadMemStats calls, from heap events read
  in the quiet periods after each, within 5% of runtime.MemStats.TotalAlloc's difference.
- alloc-sample: samples of the allocations made for the allocating functions (the first frame
  outside the runtime's allocator) name their type or none (never another);
  their weights add up to TotalAlloc's difference within 4 standard deviations of the sampling
  (sd = sqrt(bytes x MemProfileRate)).
- snapshot: the last snapshot of each goroutine blocked for good shows it waiting, with the wait
  reason runtime.Stack gave for it; no snapshot event repeats its goroutine's previous one (they
  go out on changes only).
"""
import collections
import json
import math
import sys

CPU_PP = 5.0
HEAP_PCT = 5.0
EDGE_NS = 20_000_000  # heap reads this close to a quiet period's ends are not used


def meta_of(info):
    return info.get("meta", {})


def cpu_ns(e, hz):
    """The CPU time a cpu_sample stands for: its weight, or one period (traces before 1.5)."""
    return e.get("weight") or 1e9 / hz


def cpu_shares(truth, evs, hz):
    """[(goid, duty, est %, truth %)] for the spinners."""
    ns = collections.Counter()
    for e in evs:
        if e["kind"] == "cpu_sample":
            ns[e["goid"]] += cpu_ns(e, hz)
    wall_ns = truth["cpu_wall_ns"]
    return [(s["goid"], s["duty"], 100.0 * ns[s["goid"]] / wall_ns, 100.0 * s["cpu_ns"] / wall_ns)
            for s in truth["spinners"]]


def heap_delta(truth, evs, start_ns):
    """(delta from heap events, the two events used) or (None, why)."""
    heaps = [e for e in evs if e["kind"] == "heap"]

    def quiet(mono):
        t = mono - start_ns
        return [h for h in heaps if t + EDGE_NS <= h["ts"] <= t + truth["quiet_ns"] - EDGE_NS]

    a, b = quiet(truth["mem_t0_mono"]), quiet(truth["mem_t1_mono"])
    if not a or not b:
        return None, f"no heap read in a quiet period ({len(a)} after the first ReadMemStats, {len(b)} after the second)"
    return b[0]["total_alloc"] - a[0]["total_alloc"], (a[0], b[0])


# the runtime's allocator, between a sample's top frame and the function that allocates
ALLOCATOR = ("runtime.profilealloc", "runtime.newobject", "runtime.newarray", "runtime.makeslice",
             "runtime.makeslicecopy", "runtime.growslice")


def allocation_site(e):
    """The function a sampled allocation was made for: the first frame outside the runtime's
    allocator. An allocation the runtime makes for itself while serving another (a GC assist
    parking on a semaphore allocates a runtime.sudog) stops at its own caller in the runtime,
    not at the function whose allocation it served."""
    for f in e.get("stack", []):
        fn = f.get("fn", "")
        if fn not in ALLOCATOR and not fn.startswith("runtime.mallocgc"):
            return fn
    return None


def sample_types(samples, fn_type):
    """Samples of allocations made for one of the allocating functions (fn -> type it
    allocates) name that type, or none: never another."""
    wrong, typed, n = [], 0, 0
    for e in samples:
        want = fn_type.get(allocation_site(e))
        if want is None:
            continue
        n += 1
        ty = e.get("type", "")
        typed += ty != ""
        if ty and ty != want:
            wrong.append((want, ty))
    yield not wrong and n > 0, "alloc-sample-types", (
        f"{typed} of {n} samples in the allocating functions typed, wrong (want, got): {collections.Counter(wrong)}")


def check(truth, evs, info):
    meta = meta_of(info)
    start = int(meta["clock.start_ns"])
    hz = float(meta.get("sample.cpu_sample.hz", 99))
    by_kind = collections.defaultdict(list)
    for e in evs:
        by_kind[e["kind"]].append(e)

    lost = sum(e.get("count", 0) for e in by_kind["lost"])
    yield lost == 0, "no-drops", f"{lost} events lost"
    yield meta.get("mode") == "production", "meta-mode", f"mode {meta.get('mode')!r}"
    want = {"sample.cpu_sample.hz", "sample.alloc_sample.bytes", "sample.heap.interval_ms",
            "sample.snapshot.interval_ms", "sample.by"}
    miss = sorted(want - set(meta))
    yield not miss, "meta-rates", f"missing {miss}" if miss else meta["sample.by"][:100] + "..."

    for goid, duty, est, tru in cpu_shares(truth, evs, hz):
        yield abs(est - tru) <= CPU_PP, f"cpu-share-{int(duty * 100)}", (
            f"goroutine {goid} aiming at {duty * 100:.0f}%: {est:.1f}% from {hz:g} Hz samples' weights, "
            f"{tru:.1f}% by its thread's CPU time (bound {CPU_PP} pp)")
    # a launched program's first samples can come before Go's runtime ran: a PIE's dynamic
    # loader (100 ms and more under emulation) has no Go frame to show
    main = [e["ts"] for e in by_kind["go_create"] if e.get("start_fn") == "runtime.main"]
    since = [e for e in by_kind["cpu_sample"] if not main or e["ts"] >= main[0]]
    before = len(by_kind["cpu_sample"]) - len(since)
    others = sum(1 for e in since if e["goid"] == 0)
    stacks = sum(1 for e in since if e.get("stack"))
    yield stacks >= 0.95 * len(since) > 0, "cpu-stacks", (
        f"{stacks} of {len(since)} CPU samples with a stack ({others} outside any goroutine; "
        f"{before} before runtime.main was created, not counted)")
    spin = {s["goid"] for s in truth["spinners"]}
    inspin = [e for e in by_kind["cpu_sample"] if e["goid"] in spin]
    good = sum(1 for e in inspin if any(f.get("fn") == "main.spin" for f in e.get("stack", [])))
    yield good >= 0.9 * len(inspin) > 0, "cpu-stack-spin", f"{good} of {len(inspin)} spinner samples in main.spin"

    d, used = heap_delta(truth, evs, start)
    want_d = truth["total_alloc_delta"]
    if d is None:
        yield False, "heap-total-alloc", used
    else:
        err = 100.0 * (d - want_d) / want_d
        yield abs(err) <= HEAP_PCT, "heap-total-alloc", (
            f"{d} bytes from heap events, MemStats.TotalAlloc delta {want_d} ({err:+.3f}%, bound {HEAP_PCT}%)")

    rate = truth["mem_profile_rate"]
    t0, t1 = truth["mem_t0_mono"] - start, truth["mem_t1_mono"] - start
    win = [e for e in by_kind["alloc_sample"] if t0 <= e["ts"] <= t1]
    est = sum(e["weight"] for e in win)
    sd = math.sqrt(want_d * rate)
    yield abs(est - want_d) <= 4 * sd + rate, "alloc-sample-bytes", (
        f"{len(win)} samples weigh {est} bytes, MemStats.TotalAlloc delta {want_d} "
        f"({100.0 * (est - want_d) / want_d:+.1f}%, bound 4 sd = {400.0 * sd / want_d:.1f}%)")
    owners = {a["goid"]: a for a in truth["allocators"]}
    yield from sample_types(by_kind["alloc_sample"], {a["fn"]: a["type"] for a in truth["allocators"]})
    fns = [e for e in by_kind["alloc_sample"] if e["goid"] in owners]
    nostack = sum(1 for e in fns if not any(f.get("fn", "").startswith("main.allocPhase") for f in e.get("stack", [])))
    yield nostack == 0 and fns, "alloc-sample-stacks", f"{nostack} of {len(fns)} without main.allocPhase in their stack"

    walk_marks = [e for e in by_kind["snapshot"] if not e["goid"]]
    by_kind["snapshot"] = [e for e in by_kind["snapshot"] if e["goid"]]
    snap_ts = {e["ts"] for e in by_kind["snapshot"]}
    unmarked = sorted(snap_ts - {e["ts"] for e in walk_marks} - {min(snap_ts, default=0)})
    yield walk_marks and not unmarked and all(e.get("walk") for e in walk_marks), "snapshot-walk-marks", (
        f"{len(walk_marks)} walks marked" if not unmarked else f"walks without a mark at ts {unmarked[:3]}")
    last = {}
    for e in by_kind["snapshot"]:
        last[e["goid"]] = e
    bad = []
    for b in truth["blocked"]:
        s = last.get(b["goid"])
        if not s or s.get("state") != "waiting" or s.get("reason") != b["reason"]:
            bad.append((b["role"], b["reason"], s and (s.get("state"), s.get("reason"))))
    yield not bad, "snapshot-reasons", (f"(role, want, got) {bad}" if bad else
                                        f"{len(truth['blocked'])} blocked goroutines with their wait reasons")
    prev, repeats = {}, []
    for e in by_kind["snapshot"]:
        # the runtime's waitsince, behind waited_ns, is part of what a snapshot says, and so is
        # the stack a blocked goroutine waits in (another place, or the stack a walk put off)
        key = (e.get("state"), e.get("reason", ""), e["ts"] - e["waited_ns"] if e.get("waited_ns") else 0,
               tuple((f.get("fn"), f.get("line")) for f in e.get("stack", [])))
        if prev.get(e["goid"]) == key:
            repeats.append((e["goid"], key))
        prev[e["goid"]] = key
    walks = int(info["meta"].get("sample.snapshot.interval_ms", "1000"))
    yield not repeats, "snapshot-changes-only", (
        f"{len(repeats)} snapshot events repeat the goroutine's last one, e.g. {repeats[:3]}" if repeats else
        f"{len(by_kind['snapshot'])} snapshot events, none repeating the last of its goroutine "
        f"(walks every {walks} ms)")
    nofn = [e["goid"] for e in last.values() if not e.get("start_fn")]
    yield not nofn, "snapshot-start-fn", f"no start_fn for {nofn}" if nofn else f"{len(last)} goroutines named"


def main():
    truth = json.load(open(sys.argv[1]))
    evs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    info = json.load(open(sys.argv[3]))
    bad = 0
    for ok, name, detail in check(truth, evs, info):
        print(f"{'PASS' if ok else 'FAIL'}: {name}: {detail}")
        bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
