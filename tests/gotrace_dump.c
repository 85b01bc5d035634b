// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gotrace-dump: prints the events of a Go execution trace (format/gotrace.h) one per line, as
 * `go tool trace -d=parsed FILE` prints them, so that the two can be compared byte for byte.
 *
 *   gotrace-dump [--count] FILE|-
 *
 * --count prints nothing but "EVENTS events BYTES bytes" at the end. Exit 0; 1 with the error
 * on stderr after the events read before it (as go tool trace does); 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "format/gotrace.h"
#include "util/err.h"

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	static char obuf[1 << 16];
	struct gotrace *gt = NULL;
	struct gotrace_event ev;
	bool count = false;
	uint64_t n = 0;
	int fd = -1, err, ret = 1;
	const char *path;

	if (argc == 3 && strcmp(argv[1], "--count") == 0)
		count = true;
	else if (argc != 2) {
		fprintf(stderr, "usage: gotrace-dump [--count] FILE|-\n");
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
