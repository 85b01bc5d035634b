// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gotrace-dump: prints the events of a Go execution trace (format/gotrace.h) one per line, as
 * `go tool trace -d=parsed FILE` prints them, so that the two can be compared byte for byte.
 *
 *   gotrace-dump [--count] FILE|-
 *   gotrace-dump --cuts STEP FILE
 *   gotrace-dump --corrupt ROUNDS SEED FILE
 *
 * --count prints nothing but "EVENTS events BYTES bytes" at the end. Exit 0; 1 with the error
 * on stderr after the events read before it (as go tool trace does); 2 on bad usage.
 *
 * The damage modes read FILE into memory and parse damaged copies in this process, one line
 * each: "LEN EVENTS ok" or "LEN EVENTS error: MESSAGE". --cuts parses every prefix of FILE whose
 * length is a multiple of STEP; --corrupt parses ROUNDS copies with 1 to 4 bytes set to random
 * values (xorshift64 from SEED, so a failure can be replayed). Exit 0 once all were parsed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/gotrace.h"
#include "util/err.h"

int main(int argc, char **argv);

/* Parses len bytes at buf to the end or the first error; prints the result line. */
static void parse_damaged(const uint8_t *buf, size_t len, uint64_t label)
{
	struct gotrace *gt = gotrace__open_mem(buf, len);
	struct gotrace_event ev;
	uint64_t n = 0;
	int err = gt ? 0 : -errno;

	while (gt && (err = gotrace__next(gt, &ev)) > 0)
		n++;
	if (err < 0)
		printf("%" PRIu64 " %" PRIu64 " error: %s\n", label, n, xg_errmsg());
	else
		printf("%" PRIu64 " %" PRIu64 " ok\n", label, n);
	gotrace__close(gt);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || !(buf = malloc((size_t)st.st_size + 1)) ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		fprintf(stderr, "gotrace-dump: %s: %s\n", path, strerror(errno ? errno : EIO));
		free(buf);
		buf = NULL;
	}
	*len = buf ? (size_t)st.st_size : 0;
	if (fd >= 0)
		close(fd);
	return buf;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int damage(int argc, char **argv)
{
	size_t len;
	uint8_t *orig = read_all(argv[argc - 1], &len), *copy;

	if (!orig)
		return 1;
	copy = malloc(len + 1);
	if (!copy) {
		free(orig);
		return 1;
	}
	if (strcmp(argv[1], "--cuts") == 0) {
		size_t step = strtoul(argv[2], NULL, 10);

		for (size_t cut = 0; cut <= len; cut += step ? step : 1) {
			/* a copy of exactly cut bytes, so that ASan sees any read past it */
			uint8_t *p = malloc(cut ? cut : 1);

			if (!p)
				break;
			memcpy(p, orig, cut);
			parse_damaged(p, cut, cut);
			free(p);
		}
	} else {
		unsigned long rounds = strtoul(argv[2], NULL, 10);
		uint64_t seed = strtoull(argv[3], NULL, 10) | 1;

		for (unsigned long r = 0; r < rounds && len; r++) {
			int flips = 1 + (int)(xorshift(&seed) % 4);

			memcpy(copy, orig, len);
			for (int i = 0; i < flips; i++)
				copy[xorshift(&seed) % len] = (uint8_t)xorshift(&seed);
			parse_damaged(copy, len, r);
		}
	}
	free(copy);
	free(orig);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static char obuf[1 << 16];
	struct gotrace *gt = NULL;
	struct gotrace_event ev;
	bool count = false;
	uint64_t n = 0;
	int fd = -1, err, ret = 1;
	const char *path;

	if ((argc == 4 && strcmp(argv[1], "--cuts") == 0) ||
	    (argc == 5 && strcmp(argv[1], "--corrupt") == 0))
		return damage(argc, argv);
	if (argc == 3 && strcmp(argv[1], "--count") == 0)
		count = true;
	else if (argc != 2) {
		fprintf(stderr, "usage: gotrace-dump [--count] FILE|-\n"
				"       gotrace-dump --cuts STEP FILE\n"
				"       gotrace-dump --corrupt ROUNDS SEED FILE\n");
		return 2;
	}
	path = argv[argc - 1];
	fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "gotrace-dump: %s: %s\n", path, strerror(errno));
		return 1;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	gt = gotrace__open_fd(fd);
	if (!gt) {
		fprintf(stderr, "%s\n", xg_errmsg());
		goto out;
	}
	while ((err = gotrace__next(gt, &ev)) > 0) {
		n++;
		if (!count && gotrace_event__print(&ev, stdout)) {
			fprintf(stderr, "gotrace-dump: write error\n");
			goto out;
		}
	}
	if (err < 0) {
		fflush(stdout);
		fprintf(stderr, "%s\n", xg_errmsg());
		goto out;
	}
	if (count)
		printf("%" PRIu64 " events %" PRIu64 " bytes\n", n, gotrace__offset(gt));
	ret = 0;
out:
	gotrace__close(gt);
	if (fd > 0)
		close(fd);
	if (fflush(stdout))
		ret = 1;
	return ret;
}
