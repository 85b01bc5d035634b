// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model's figures as short text for tables: 1.2MB, 350ms, 12k, a code site, a bounded time. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"

char *gm_text_bytes(char *buf, int len, double v)
{
	static const char *const u[] = {"B", "KB", "MB", "GB", "TB", "PB"};
	int i = 0;

	while (v >= 1000 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, (size_t)len, "%.0f B", v);
	else
		snprintf(buf, (size_t)len, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, u[i]);
	return buf;
}

char *gm_text_dur(char *buf, int len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, (size_t)len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, (size_t)len, "%.0fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, (size_t)len, "%.0fms", (double)ns / 1e6);
	else if (ns < 60ULL * 1000000000)
		snprintf(buf, (size_t)len, "%.2fs", (double)ns / 1e9);
	else if (ns < 3600ULL * 1000000000)
		snprintf(buf, (size_t)len, "%um%02us", (unsigned int)(ns / 60000000000ULL),
			 (unsigned int)(ns / 1000000000 % 60));
	else
		snprintf(buf, (size_t)len, "%uh%02um", (unsigned int)(ns / 3600000000000ULL),
			 (unsigned int)(ns / 60000000000ULL % 60));
	return buf;
}

char *gm_text_site(char *buf, int len, const struct gmodel *m, uint32_t fn, uint32_t file,
		   uint32_t line)
{
	const char *path = gmodel__str(m, file), *slash = strrchr(path, '/');

	snprintf(buf, (size_t)len, "%s %s:%u", tf_func_short(gmodel__str(m, fn)),
		 slash ? slash + 1 : path, line);
	return buf;
}

const char *gm_bound_name(enum gm_bound b)
{
	static const char *const n[] = {[GM_KNOWN] = "measured",
					[GM_AT_LEAST] = "at_least",
					[GM_ABOUT] = "about",
					[GM_UNKNOWN] = "unknown"};

	return b <= GM_UNKNOWN ? n[b] : "unknown";
}

char *gm_text_time(char *buf, int len, struct gm_time t)
{
	static const char *const pre[] = {[GM_KNOWN] = "", [GM_AT_LEAST] = ">=", [GM_ABOUT] = "~"};
	char d[24];

	if (t.bound == GM_UNKNOWN || t.bound > GM_ABOUT) {
		snprintf(buf, (size_t)len, "-");
		return buf;
	}
	snprintf(buf, (size_t)len, "%s%s", pre[t.bound], gm_text_dur(d, sizeof(d), t.ns));
	return buf;
}

char *gm_text_count(char *buf, int len, double v)
{
	if (v < 1000)
		snprintf(buf, (size_t)len, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, (size_t)len, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(buf, (size_t)len, "%.1fM", v / 1e6);
	else
		snprintf(buf, (size_t)len, "%.1fG", v / 1e9);
	return buf;
}
