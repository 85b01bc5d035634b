/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Go execution traces (runtime/trace, `go test -trace`, /debug/pprof/trace, the flight
 * recorder; Go 1.22 and later) into trace files: `xgotop import`, and every reading command
 * handed a Go trace (offline/open.c imports it on the fly). format/gotrace.h reads and orders
 * Go's events; this module maps them onto xgotop's kinds (SPEC.md section 21):
 *
 *   goroutine NotExist->Runnable/Waiting   go_create (parent, creation stack, start function)
 *   goroutine NotExist->Syscall            go_state dead->syscall (a C thread's callback)
 *   goroutine Undetermined->X              snapshot (a goroutine alive when tracing began)
 *   goroutine X->NotExist                  go_exit; from Syscall: go_state syscall->dead
 *   goroutine X->Y                         go_state with Go's reason and stack
 *   range "GC concurrent mark phase"       gc_start, gc_end
 *   metrics heap objects / heap goal       heap
 *   stack sample                           cpu_sample
 *
 * What has no counterpart (procs, other ranges, labels, tasks, regions, logs, experimental
 * events) is counted by name in the metadata key `go_trace.unmapped`, never dropped silently.
 * Trace time 0 is the first event; ts keeps Go's ns. The trace's identity is a hash of the
 * events read, so the same Go trace imported twice is the same trace (pushes add it once).
 *
 * Damage: the events before the damage are written (whole generations, as Go's reader keeps
 * them) and the input's error is returned in the result, not as the call's error.
 */
#ifndef XG_OFFLINE_GOIMPORT_H
#define XG_OFFLINE_GOIMPORT_H

#include <stddef.h>
#include <stdint.h>

struct goimport_result {
	int version;	      /* the Go trace's format version: 22, 23, 25, 26 */
	uint64_t go_events;   /* events read from the Go trace */
	uint64_t events;      /* events written */
	uint64_t generations; /* generations read whole */
	uint64_t in_bytes;    /* bytes of the Go trace read */
	/* 0, or -errno of the damage that ended the reading (what came before is written) */
	int damage;
	char damage_msg[512];
};

/*
 * Reads a Go execution trace from in_fd (a file or a pipe; not closed) and writes it as a trace
 * file to out_fd (closed, also on error); in_name names the input in messages and metadata,
 * out_name the output. 0, also for damaged input (res->damage); -errno with a message when the
 * input is not a Go trace of a version this reader reads, or the output cannot be written.
 */
int goimport__fd(int in_fd, const char *in_name, int out_fd, const char *out_name,
		 struct goimport_result *res);

/* Whether the first len bytes at buf start a Go execution trace this reader reads. */
int goimport__probe(const void *buf, size_t len);
/* 1 when the file at path starts like a Go execution trace of any version ("go 1."), 0 when
 * not, -errno when it cannot be read. */
int goimport__is_go_trace(const char *path);

/*
 * Imports the Go trace at path into an anonymous file (memfd): its descriptor (the caller
 * closes it; read it as /proc/self/fd/N), or -errno with a message. Damage is in res.
 */
int goimport__to_memfd(const char *path, struct goimport_result *res);

#endif /* XG_OFFLINE_GOIMPORT_H */
