// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where a running process mapped its executable: the load bias of a PIE, from /proc/PID/maps.
 * The executable's mappings are recognized by device and inode of /proc/PID/exe (which also
 * works for a deleted or replaced file and across mount namespaces).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "gobin/gobin.h"
#include "gobin/internal.h"
#include "util/err.h"

int gobin__load_bias(const struct gobin *b, int pid, uint64_t *bias)
{
	char path[64], line[4096];
	struct stat st;
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st))
		return xg_error(-errno, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return xg_error(-errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end, off, ino, vaddr = 0;
		unsigned int maj, min;
		char perms[8];

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64, &start,
			   &end, perms, &off, &maj, &min, &ino) != 7)
			continue;
		if (ino != st.st_ino || maj != major(st.st_dev) || min != minor(st.st_dev))
			continue;
		if (gobin_file_off_vaddr(b, off, &vaddr))
			continue;
		*bias = start - vaddr;
		err = 0;
		break;
	}
	fclose(f);
	if (err)
		return xg_error(err, "/proc/%d/maps: %s is not mapped", pid, gobin__path(b));
	return 0;
}
