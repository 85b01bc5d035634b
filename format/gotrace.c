// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Go execution trace reader: see gotrace.h. */
#include "format/gotrace.h"

#include <errno.h>
#include <stdlib.h>

#include "util/err.h"

struct gotrace {
	int version;
	uint64_t off;
};

struct gotrace *gotrace__open_fd(int fd)
{
	(void)fd;
	errno = ENOSYS;
	return NULL;
}

struct gotrace *gotrace__open_file(FILE *f)
{
	(void)f;
	errno = ENOSYS;
	return NULL;
}

struct gotrace *gotrace__open_mem(const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	errno = ENOSYS;
	return NULL;
}

void gotrace__close(struct gotrace *gt)
{
	free(gt);
}

int gotrace__next(struct gotrace *gt, struct gotrace_event *ev)
{
	(void)gt;
	(void)ev;
	return xg_error(-ENOSYS, "go trace: not implemented");
}

int gotrace__version(const struct gotrace *gt)
{
	return gt->version;
}

uint64_t gotrace__offset(const struct gotrace *gt)
{
	return gt->off;
}

int gotrace__probe(const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return 0;
}

const char *gotrace__kind_name(enum gotrace_kind kind)
{
	(void)kind;
	return "Bad";
}

const char *gotrace__gstate_name(enum gotrace_gstate s)
{
	(void)s;
	return "Bad";
}

const char *gotrace__pstate_name(enum gotrace_pstate s)
{
	(void)s;
	return "Bad";
}

int gotrace_event__print(const struct gotrace_event *ev, FILE *f)
{
	(void)ev;
	(void)f;
	return -ENOSYS;
}
