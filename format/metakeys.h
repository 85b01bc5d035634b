/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The standard metadata keys (SPEC.md section 6), each named once: writers and readers use
 * these names, never the strings. Every key is optional in a file; unknown keys are kept and
 * shown. "str" and "int" are the value's type in the META record (format/meta.h); "decimal"
 * means a string holding a number, which readers also take as an int.
 *
 * The runtime struct offsets (offsets.<struct>.<field>, offsets.source) have their keys in
 * the offsets list of gobin/.
 */
#ifndef XG_FORMAT_METAKEYS_H
#define XG_FORMAT_METAKEYS_H

#include <stddef.h>

/* --- the recording ---------------------------------------------------------------------- */

/* str: version of the xgotop that recorded (util/version.h) */
#define TF_KEY_XGOTOP_VERSION "xgotop.version"
/* str: the clock event timestamps come from: "CLOCK_MONOTONIC" (BPF's bpf_ktime_get_ns) */
#define TF_KEY_CLOCK "clock"
/* int: that clock's reading, in ns, at trace time 0 */
#define TF_KEY_CLOCK_START_NS "clock.start_ns"
/* int: CLOCK_REALTIME, ns since the Unix epoch, at trace time 0; wall time = this + ts */
#define TF_KEY_WALL_START_NS "wall.start_ns"
/* str: host name */
#define TF_KEY_HOST "host"
/* str: the recording's identity, 32 lowercase hex digits (128 random bits), format 1.5; read
 * with tf_meta__trace_id(), which derives one for files without it */
#define TF_KEY_TRACE_ID "trace.id"
/* str: kernel release (uname -r) */
#define TF_KEY_KERNEL "kernel"
/* str: "full" or "production" */
#define TF_KEY_MODE "mode"
/* str: comma-separated kinds that were captured ("go_create,go_state,..."); a file without
 * it is taken as recording what it has */
#define TF_KEY_EVENTS "events"
/* str: "off", or how stacks were taken and for which kinds */
#define TF_KEY_STACKS "stacks"
/* str: what was traced, in words ("this process and all its threads; not its children") */
#define TF_KEY_TRACED "traced"
/* str: what could not be recorded for this binary, and why */
#define TF_KEY_UNAVAILABLE "unavailable"

/* --- the target ------------------------------------------------------------------------- */

/* int: process id of the target */
#define TF_KEY_TARGET_PID "target.pid"
/* str: its command line, arguments separated by spaces */
#define TF_KEY_TARGET_CMDLINE "target.cmdline"
/* str: "launched" (traced from its first instruction) or "attached" */
#define TF_KEY_TARGET_STARTED "target.started"
/* decimal: the MemProfileRate xgotop wrote into the target (--mem-profile-rate) */
#define TF_KEY_TARGET_WRITTEN_MEMPROFILERATE "target.written.MemProfileRate"
/* str: path of the traced executable */
#define TF_KEY_BINARY_PATH "binary.path"
/* str: its GNU build id (hex), or the Go build id */
#define TF_KEY_BINARY_BUILD_ID "binary.build_id"
/* int: where a PIE was loaded (0 otherwise); event PCs are link-time addresses */
#define TF_KEY_BINARY_LOAD_BIAS "binary.load_bias"
/* str: Go version of the target, as "go1.22.12" */
#define TF_KEY_GO_VERSION "go.version"
/* str: GOARCH */
#define TF_KEY_GO_ARCH "go.arch"

/* --- sampling --------------------------------------------------------------------------- */

/* str: "sample.<kind>" (tf_meta_key_sample): the fraction of that kind kept, as a decimal
 * ("1", "0.01"); counts of the kind scale by its inverse. Written for the kinds without
 * XG_KIND_SAMPLES (format/event.h). */
#define TF_KEY_SAMPLE_PREFIX "sample."
/* str: how each kind was sampled, in words, for people */
#define TF_KEY_SAMPLE_BY "sample.by"
/* string (SPEC.md 1.4): the probe budget and a trap's measured price, in words; absent: none */
#define TF_KEY_BUDGET "budget"
/* decimal (SPEC.md: int): production: CPU samples per second per CPU; one sample stands for
 * 1/hz s of one CPU */
#define TF_KEY_SAMPLE_CPU_HZ "sample.cpu_sample.hz"
/* decimal (SPEC.md: int): the same, under its older name */
#define TF_KEY_CPU_HZ "cpu.hz"
/* decimal (SPEC.md: int): production: the runtime's MemProfileRate during recording (0: no
 * samples); an alloc_sample carries its own weight */
#define TF_KEY_SAMPLE_ALLOC_BYTES "sample.alloc_sample.bytes"
/* decimal (SPEC.md: int): production: how often heap figures, goroutine statuses and exits
 * were read from the target's memory, in ms */
#define TF_KEY_SAMPLE_HEAP_MS	  "sample.heap.interval_ms"
#define TF_KEY_SAMPLE_SNAPSHOT_MS "sample.snapshot.interval_ms"
#define TF_KEY_SAMPLE_GO_EXIT_MS  "sample.go_exit.interval_ms"

/* --- how it was recorded ---------------------------------------------------------------- */

/* str: comma-separated probe sites ("runtime.casgstatus+0x0,...") */
#define TF_KEY_PROBES "probes"
/* int: number of probes attached */
#define TF_KEY_PROBES_COUNT "probes.count"
/* str: what placing the probes warned about, in words */
#define TF_KEY_PROBES_WARNINGS "probes.warnings"
/* str: which allocation functions were probed ("mallocgc", "split+size-specialized") */
#define TF_KEY_ALLOC_MODE "alloc.mode"
/* str: production: how creations and exits were observed */
#define TF_KEY_CREATION "creation"
#define TF_KEY_EXITS	"exits"
/* str: production: "globals.<name>" (TF_KEY_GLOBALS "gcController"): the address of a runtime
 * variable read from memory and where it was found ("0x5c23e0 (symtab)") */
#define TF_KEY_GLOBALS "globals."
/* int: production: offset of the g pointer from the thread pointer */
#define TF_KEY_TLS_G_OFFSET "tls.g_offset"

/* --- GC --------------------------------------------------------------------------------- */

/* str: what the gc field counts: the runtime's own cycle numbers (memstats.numgc), or, when
 * the target's count cannot be found, cycles since the probes were attached */
#define TF_KEY_GC_NUMBERING "gc.numbering"
/* str: attached: when the last GC cycles before the recording ended (up to 256, from the
 * runtime's memstats.pause_end), in trace ns, so negative, oldest first, comma-separated;
 * with the gc_end events, what turns a snapshot's waited_ns into a proven wait */
#define TF_KEY_GC_ENDS "gc.ends"

/* --- imported from a Go execution trace (offline/goimport.h, SPEC.md section 21) ---------- */

/* str: the Go trace's format, as its header says ("go 1.23 trace") */
#define TF_KEY_GO_TRACE_FORMAT "go_trace.format"
/* str: the file it was imported from ("-": standard input) */
#define TF_KEY_GO_TRACE_FILE "go_trace.file"
/* int: the generations read whole */
#define TF_KEY_GO_TRACE_GENERATIONS "go_trace.generations"
/* str: what the Go trace held that has no xgotop kind, with counts ("ProcTransition 812,
 * RangeBegin(GC incremental sweep) 4") */
#define TF_KEY_GO_TRACE_UNMAPPED "go_trace.unmapped"
/* str: the damage that ended the import (what came before it is in the file) */
#define TF_KEY_GO_TRACE_DAMAGE "go_trace.damage"

/* Room for any "sample.<kind>" key. */
#define TF_KEY_SAMPLE_MAX 32

/* "sample.<kind name>" in buf (at least TF_KEY_SAMPLE_MAX bytes), "" for a number that is
 * not a kind; returns buf. */
const char *tf_meta_key_sample(char *buf, size_t size, unsigned int kind);

#endif /* XG_FORMAT_METAKEYS_H */
