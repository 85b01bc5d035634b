/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The traced process: launched by us (stopped right after its exec, so probes can be attached
 * before its first instruction) or an existing one. Its end is watched through a pidfd.
 */
#ifndef XG_RECORD_TARGET_H
#define XG_RECORD_TARGET_H

#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct rec_target {
	pid_t pid;
	int pidfd;		 /* readable once the process has exited; -1 before start */
	bool launched;		 /* our child */
	bool stopped;		 /* launched and still held at its exec */
	bool exited;		 /* it has exited (and, when launched, been reaped) */
	int status;		 /* waitpid() status when launched and exited */
	int64_t cpu_ns;		 /* launched and exited: its user + system CPU time in all, from
				  * the kernel's rusage (exact, where /proc counts clock ticks);
				  * -1 otherwise */
	char exe[PATH_MAX];	 /* the executable: the resolved path, or /proc/PID/exe */
	char exe_path[PATH_MAX]; /* its path as the kernel names it (for metadata and bundles) */
	char cmdline[1024];	 /* argv joined by spaces (from /proc/PID/cmdline when attached) */
	char comm[64];		 /* basename of the program, for the default file name */
};

/*
 * Resolves argv[0] like execvp (PATH search when it has no '/') into t->exe. Does not start
 * anything. 0 or -errno (ENOENT, EACCES) with a message.
 */
int rec_target__resolve(struct rec_target *t, char *const argv[]);

/*
 * Starts t->exe with argv as a traced child and returns once it has exec'd and stopped before
 * its first instruction. Its signal mask and dispositions are the defaults. With out_fd >= 0
 * its stdout and stderr are both that file (one file description: what the two streams write
 * lands in the order written); else they are ours. 0 or -errno; when the exec itself fails
 * the message names the errno the child got.
 */
int rec_target__launch(struct rec_target *t, char *const argv[], int out_fd);

/* Lets a launched, stopped child run (detaching ptrace). 0 or -errno. */
int rec_target__resume(struct rec_target *t);

/* Watches an existing process. 0 or -errno (ESRCH: no such process). */
int rec_target__attach(struct rec_target *t, pid_t pid);

/* After t->pidfd became readable: collects the exit status of a launched child. true when the
 * process is gone. */
bool rec_target__poll_exit(struct rec_target *t);

/* Ends a launched child that is still running: SIGTERM, then SIGKILL after grace_ms, and
 * reaps it. Leaves an attached process alone. */
void rec_target__stop(struct rec_target *t, int grace_ms);

/* "exited with status 0", "was killed by SIGSEGV", "is still running", ... */
const char *rec_target__describe(const struct rec_target *t, char *buf, size_t len);

void rec_target__close(struct rec_target *t);

#endif /* XG_RECORD_TARGET_H */
