// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * .go.buildinfo: the Go version and the module information the go command embeds
 * (debug/buildinfo's format). Since Go 1.18 the header's flags have bit 1 set and two
 * varint-prefixed strings follow the 32-byte header: the version, then the module info framed
 * by 16-byte sentinels. Older binaries store two pointers to Go string headers instead; they are
 * read only to name the version in the "too old" error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/internal.h"
#include "util/err.h"
#include "util/utf8.h"

#define FLAG_BIG_ENDIAN 0x1
#define FLAG_INLINE	0x2
#define SENTINEL_LEN	16
#define MAX_SETTINGS	256

size_t gobin_uvarint(const uint8_t *p, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int shift = 0;

	for (size_t i = 0; i < len && i < 10; i++) {
		uint8_t c = p[i];

		if (i == 9 && c > 1)
			return 0; /* overflows 64 bits */
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return i + 1;
		}
		shift += 7;
	}
	return 0;
}

void gobin_sanitize(uint8_t *p, size_t n, bool keep_lines)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t len;

		if (c == 0 || (c >= 0x20 && c < 0x7f) || (keep_lines && (c == '\t' || c == '\n'))) {
			i++;
			continue;
		}
		if (c >= 0x80 && (len = utf8_seq_len(p + i, n - i))) {
			i += len;
			continue;
		}
		p[i++] = '?';
	}
}

int gobin_parse_go_version(const char *s, int *major, int *minor, int *patch)
{
	const char *p = s;

	/* "go1.N" anywhere: "go1.26.11", "devel go1.27-abc", "go1.26.11-X:exp" */
	while ((p = strstr(p, "go"))) {
		char *end;
		long maj, min, pat = 0;

		if (p[2] < '0' || p[2] > '9') {
			p += 2;
			continue;
		}
		maj = strtol(p + 2, &end, 10);
		if (*end != '.' || end[1] < '0' || end[1] > '9') {
			p += 2;
			continue;
		}
		min = strtol(end + 1, &end, 10);
		if (*end == '.' && end[1] >= '0' && end[1] <= '9')
			pat = strtol(end + 1, &end, 10);
		if (maj < 0 || maj > 1000 || min < 0 || min > 1000 || pat < 0 || pat > 100000) {
			p += 2;
			continue;
		}
		*major = (int)maj;
		*minor = (int)min;
		*patch = (int)pat;
		return 0;
	}
	return -EINVAL;
}

/* A varint-prefixed string at *pos; advances *pos. */
static int read_vstring(const uint8_t *data, size_t size, size_t *pos, const char *what,
			const char *field, const uint8_t **s, size_t *len)
{
	uint64_t n;
	size_t used = gobin_uvarint(data + *pos, size - *pos, &n);

	*s = data;
	*len = 0;
	if (!used)
		return xg_error(-EINVAL, "%s: %s length at offset 0x%zx is truncated or malformed",
				what, field, *pos);
	*pos += used;
	if (n > size - *pos)
		return xg_error(-EINVAL,
				"%s: %s at offset 0x%zx is %llu bytes long but only %zu remain",
				what, field, *pos, (unsigned long long)n, size - *pos);
	*s = data + *pos;
	*len = (size_t)n;
	*pos += (size_t)n;
	return 0;
}

/* The pre-1.18 format: two pointers to Go string headers {data, len}. Only the version is
 * needed (to say how old the binary is). */
static int read_old_version(struct gobin_buildinfo *bi, const uint8_t *data, uint8_t ptrsize,
			    const char *what, gobin_read_fn read, void *ctx)
{
	uint64_t strp = 0, hdr[2] = {0, 0};
	size_t n;

	memcpy(&strp, data + 16, ptrsize);
	if (!read)
		return xg_error(-EINVAL, "%s: old (pre Go 1.18) build information format", what);
	if (ptrsize == 8) {
		if (read(ctx, strp, hdr, 16))
			goto bad;
	} else {
		uint32_t h[2];

		if (read(ctx, strp, h, 8))
			goto bad;
		hdr[0] = h[0];
		hdr[1] = h[1];
	}
	n = hdr[1] < sizeof(bi->version) - 1 ? (size_t)hdr[1] : sizeof(bi->version) - 1;
	if (read(ctx, hdr[0], bi->version, n))
		goto bad;
	bi->version[n] = '\0';
	return 0;
bad:
	return xg_error(-EINVAL, "%s: old (pre Go 1.18) build information points outside the file",
			what);
}

static int parse_modinfo(struct gobin_buildinfo *bi, const char *what)
{
	char *line = bi->modinfo, *next;

	bi->keys = calloc(MAX_SETTINGS, sizeof(*bi->keys));
	bi->values = calloc(MAX_SETTINGS, sizeof(*bi->values));
	if (!bi->keys || !bi->values)
		return xg_error(-ENOMEM, "%s: out of memory", what);
	for (; line && *line; line = next) {
		char *tab;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab++ = '\0';
		if (!strcmp(line, "path")) {
			bi->path = tab;
		} else if (!strcmp(line, "mod")) {
			char *t = strchr(tab, '\t');

			if (t)
				*t = '\0';
			bi->module = tab;
		} else if (!strcmp(line, "build") && bi->nsettings < MAX_SETTINGS) {
			char *eq = strchr(tab, '=');

			if (!eq)
				continue;
			*eq = '\0';
			bi->keys[bi->nsettings] = tab;
			bi->values[bi->nsettings] = eq + 1;
			bi->nsettings++;
		}
	}
	return 0;
}

int gobin_buildinfo__parse(struct gobin_buildinfo *bi, const uint8_t *data, size_t size,
			   const char *what, gobin_read_fn read, void *ctx)
{
	const uint8_t *s = NULL;
	size_t pos = GOBIN_BUILDINFO_HDR, len = 0;
	uint8_t ptrsize, flags;
	int err;

	memset(bi, 0, sizeof(*bi));
	bi->major = bi->minor = bi->patch = -1;
	bi->path = bi->module = "";
	if (size < GOBIN_BUILDINFO_HDR)
		return xg_error(-EINVAL, "%s: truncated: %zu bytes, the header alone is %d", what,
				size, GOBIN_BUILDINFO_HDR);
	if (memcmp(data, GOBIN_BUILDINFO_MAGIC, GOBIN_BUILDINFO_MAGIC_LEN) != 0)
		return xg_error(-EINVAL, "%s: bad magic", what);
	ptrsize = data[14];
	flags = data[15];
	if (ptrsize != 4 && ptrsize != 8)
		return xg_error(-EINVAL, "%s: pointer size %u is neither 4 nor 8", what, ptrsize);
	if (flags & FLAG_BIG_ENDIAN)
		return xg_error(-EPROTONOSUPPORT, "%s: big-endian binaries are not supported",
				what);

	if (flags & FLAG_INLINE) {
		err = read_vstring(data, size, &pos, what, "version string", &s, &len);
		if (err)
			return err;
		if (len >= sizeof(bi->version))
			len = sizeof(bi->version) - 1;
		memcpy(bi->version, s, len);
		bi->version[len] = '\0';
		err = read_vstring(data, size, &pos, what, "module information", &s, &len);
		if (err)
			return err;
		/* strip the 16-byte sentinels around the text (debug/buildinfo's rule) */
		if (len >= 2 * SENTINEL_LEN + 1 && s[len - SENTINEL_LEN - 1] == '\n') {
			s += SENTINEL_LEN;
			len -= 2 * SENTINEL_LEN;
		} else {
			len = 0;
		}
		bi->modinfo = malloc(len + 1);
		if (!bi->modinfo)
			return xg_error(-ENOMEM, "%s: out of memory", what);
		memcpy(bi->modinfo, s, len);
		bi->modinfo[len] = '\0';
		/* an embedded NUL ends the text; the rest is ignored */
		gobin_sanitize((uint8_t *)bi->modinfo, len, true);
		err = parse_modinfo(bi, what);
		if (err)
			return err;
	} else {
		err = read_old_version(bi, data, ptrsize, what, read, ctx);
		if (err)
			return err;
		bi->modinfo = calloc(1, 1);
		if (!bi->modinfo)
			return xg_error(-ENOMEM, "%s: out of memory", what);
	}
	for (char *c = bi->version; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	if (gobin_parse_go_version(bi->version, &bi->major, &bi->minor, &bi->patch))
		return xg_error(-EINVAL, "%s: cannot read a Go version in \"%s\"", what,
				bi->version);
	return 0;
}

void gobin_buildinfo__free(struct gobin_buildinfo *bi)
{
	if (!bi)
		return;
	free(bi->modinfo);
	free(bi->keys);
	free(bi->values);
	memset(bi, 0, sizeof(*bi));
}

const char *gobin_buildinfo__get(const struct gobin_buildinfo *bi, const char *key)
{
	for (size_t i = 0; i < bi->nsettings; i++)
		if (!strcmp(bi->keys[i], key))
			return bi->values[i];
	return NULL;
}
