// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The target's CPU time, for the share of it the probes cost (recorder__stats) and the probe
 * budget: from its CPU-time clock (to the ns), else from /proc (to the clock tick, 10 ms).
 */
#include "record/recorder_internal.h"

uint64_t rec__clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t rec__process_cpu_ns(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long tck = sysconf(_SC_CLK_TCK);
	struct timespec ts;
	clockid_t clk;
	ssize_t n;
	int fd;

	if (!clock_getcpuclockid(pid, &clk) && !clock_gettime(clk, &ts))
		return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || tck <= 0)
		return -1;
	buf[n] = 0;
	/* the command name may hold spaces and parentheses: fields go on after the last ')' */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (int64_t)((ut + st) * (1000000000ull / (unsigned long long)tck));
}

void rec__sample_cpu(struct recorder *r)
{
	int64_t v = rec__process_cpu_ns(r->t.pid);

	if (v >= 0)
		r->cpu_last_ns = v;
}
