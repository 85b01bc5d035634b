// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reading bundles (offline/bundle.h): one pass over the archive, which may be compressed and
 * so cannot be seeked; every header is checked before anything is allocated for it.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/xgt.h"
#include "offline/bundle.h"
#include "util/err.h"

int bundle_input_kind(const char *path)
{
	static const uint8_t zstd[] = {0x28, 0xb5, 0x2f, 0xfd}, gz[] = {0x1f, 0x8b},
			     xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
	uint8_t b[512];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return xg_error(-errno, "%s: %s", path, strerror(errno));
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n < 0)
		return xg_error(-errno, "%s: %s", path, strerror(errno));
	if (n >= TF_MAGIC_LEN && !memcmp(b, TF_MAGIC, TF_MAGIC_LEN))
		return BUNDLE_INPUT_TRACE;
	if ((n >= (ssize_t)sizeof(zstd) && !memcmp(b, zstd, sizeof(zstd))) ||
	    (n >= (ssize_t)sizeof(gz) && !memcmp(b, gz, sizeof(gz))) ||
	    (n >= (ssize_t)sizeof(xz) && !memcmp(b, xz, sizeof(xz))) ||
	    (n == (ssize_t)sizeof(b) && !memcmp(b + 257, "ustar", 5)))
		return BUNDLE_INPUT_BUNDLE;
	return BUNDLE_INPUT_TRACE;
}

const char *bundle__trace_name(const char *member)
{
	const char *base = strrchr(member, '/');
	size_t len;

	base = base ? base + 1 : member;
	len = strlen(base);
	if (len < 5 || strcmp(base + len - 4, ".xgt") != 0)
		return NULL;
	return base;
}

/* Absolute, or a ".." component: refused (a bundle is never extracted by us, but a name like
 * that means someone crafted the archive to write outside the directory it is extracted in). */
static bool unsafe_name(const char *name)
{
	const char *p = name;

	if (!*name || *name == '/' || strlen(name) > 1024)
		return true;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == 2 && !strncmp(p, "..", 2))
			return true;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == '\\')
				return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

void bundle__close(struct bundle *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->m[i].name);
	free(b->m);
	free(b->path);
	free(b->trace_name);
	free(b->trace_data);
	free(b->symbols);
	free(b);
}

/* Reads the current member's size bytes into a new buffer (plus a NUL). */
static int read_member(struct archive *a, const char *path, const char *name, uint64_t size,
		       void **out)
{
	char *buf = malloc((size_t)size + 1);
	size_t done = 0;

	if (!buf)
		return xg_error(-ENOMEM, "%s: member %s: %" PRIu64 " bytes: out of memory", path,
				name, size);
	while (done < size) {
		la_ssize_t n = archive_read_data(a, buf + done, (size_t)size - done);

		if (n < 0) {
			free(buf);
			return xg_error(-EINVAL, "%s: member %s: %s", path, name,
					archive_error_string(a));
		}
		if (n == 0) {
			free(buf);
			return xg_error(
			    -EINVAL, "%s: member %s: truncated: %zu of %" PRIu64 " bytes present",
			    path, name, done, size);
		}
		done += (size_t)n;
	}
	buf[size] = '\0';
	*out = buf;
	return 0;
}

/* What libarchive says went wrong, and where. */
static int archive_error(struct archive *a, const char *path, const struct bundle *b)
{
	const char *msg = archive_error_string(a);

	if (!msg)
		msg = "unknown error";
	/* ARCHIVE_ERRNO_FILE_FORMAT is EILSEQ on Linux (libarchive's archive_platform.h) */
	if (archive_errno(a) == EILSEQ && !b->n)
		return xg_error(-EINVAL, "%s: not an xgotop bundle (not a tar archive): %s", path,
				msg);
	if (!b->n)
		return xg_error(-EINVAL, "%s: damaged or truncated bundle: %s", path, msg);
	return xg_error(-EINVAL, "%s: damaged or truncated bundle after member %zu (%s): %s", path,
			b->n, b->m[b->n - 1].name, msg);
}

static bool is_symbols_of(const char *member, const char *trace)
{
	const char *base = strrchr(member, '/');
	size_t tl = strlen(trace) - 4; /* without ".xgt" */

	base = base ? base + 1 : member;
	return (size_t)(base - member) >= 8 && !strncmp(base - 8, "symbols/", 8) &&
	       !strncmp(base, trace, tl) && !strcmp(base + tl, ".tsv");
}

static bool selected(const char *member, const char *select)
{
	const char *base = bundle__trace_name(member);

	if (!base)
		return false;
	return !select || !strcmp(select, base) || !strcmp(select, member);
}

struct bundle *bundle__open(const char *path, const char *select)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	struct bundle *b;
	/* symbol tables met before the trace was picked: kept until it is */
	struct kept {
		char *name;
		void *data;
		size_t len;
	} *kept = NULL, *k;
	size_t nkept = 0;
	uint64_t kept_bytes = 0;
	bool have_trace = false;
	int err = 0, r;

	b = calloc(1, sizeof(*b));
	if (!b || !(b->path = strdup(path))) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	a = archive_read_new();
	if (!a) {
		err = -ENOMEM;
		goto out;
	}
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		err = archive_error(a, path, b);
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		struct bundle_member *m;
		const char *name;
		uint64_t size;
		void *data = NULL;

		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			err = archive_error(a, path, b);
			goto out;
		}
		name = archive_entry_pathname(e);
		if (!name)
			name = "";
		if (unsafe_name(name)) {
			err = xg_error(-EINVAL,
				       "%s: member %zu has an unsafe name '%.64s' (absolute, '..', "
				       "control characters or too long): refusing the bundle",
				       path, b->n + 1, name);
			goto out;
		}
		if (b->n == BUNDLE_MAX_MEMBERS) {
			err =
			    xg_error(-E2BIG, "%s: more than %d members", path, BUNDLE_MAX_MEMBERS);
			goto out;
		}
		m = realloc(b->m, (b->n + 1) * sizeof(*m));
		if (!m) {
			err = -ENOMEM;
			goto out;
		}
		b->m = m;
		m = &b->m[b->n];
		m->size = archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
		m->regular = archive_entry_filetype(e) == AE_IFREG;
		m->name = strdup(name);
		if (!m->name) {
			err = -ENOMEM;
			goto out;
		}
		b->n++;
		size = m->size;
		if (!m->regular)
			continue;
		if (bundle__trace_name(name)) {
			b->ntraces++;
			if (size > BUNDLE_MAX_TRACE_BYTES) {
				err = xg_error(-EFBIG,
					       "%s: member %s is %" PRIu64
					       " bytes, more than the %llu a trace may have",
					       path, name, size, BUNDLE_MAX_TRACE_BYTES);
				goto out;
			}
			if (have_trace || !selected(name, select))
				continue;
			err = read_member(a, path, name, size, &data);
			if (err)
				goto out;
			b->trace_data = data;
			b->trace_len = (size_t)size;
			b->trace = b->n - 1;
			b->trace_name = strdup(bundle__trace_name(name));
			if (!b->trace_name) {
				err = -ENOMEM;
				goto out;
			}
			have_trace = true;
			continue;
		}
		if (size > BUNDLE_MAX_FILE_BYTES) {
			err = xg_error(-EFBIG,
				       "%s: member %s is %" PRIu64
				       " bytes, more than the %llu allowed",
				       path, name, size, BUNDLE_MAX_FILE_BYTES);
			goto out;
		}
		if (!strstr(name, "symbols/") || strlen(name) < 5 ||
		    strcmp(name + strlen(name) - 4, ".tsv") != 0)
			continue;
		if (have_trace) {
			if (b->symbols || !is_symbols_of(name, b->trace_name))
				continue;
			err = read_member(a, path, name, size, &data);
			if (err)
				goto out;
			b->symbols = data;
			b->symbols_len = (size_t)size;
			continue;
		}
		/* before the trace was picked: kept in case it is the trace's table */
		if (kept_bytes + size > BUNDLE_MAX_FILE_BYTES) {
			err = xg_error(-EFBIG,
				       "%s: symbol tables before the traces exceed %llu bytes",
				       path, BUNDLE_MAX_FILE_BYTES);
			goto out;
		}
		k = realloc(kept, (nkept + 1) * sizeof(*k));
		if (!k) {
			err = -ENOMEM;
			goto out;
		}
		kept = k;
		k = &kept[nkept];
		memset(k, 0, sizeof(*k));
		nkept++;
		k->name = strdup(name);
		if (!k->name) {
			err = -ENOMEM;
			goto out;
		}
		err = read_member(a, path, name, size, &data);
		if (err)
			goto out;
		k->data = data;
		k->len = (size_t)size;
		kept_bytes += size;
	}
	if (!b->ntraces) {
		err = xg_error(-ENOENT, "%s: the bundle holds no trace (no *.xgt member)", path);
		goto out;
	}
	if (!have_trace) {
		err = xg_error(-ENOENT, "%s: no trace named '%s' in the bundle (it has %zu)", path,
			       select ? select : "", b->ntraces);
		goto out;
	}
	for (size_t i = 0; i < nkept && !b->symbols; i++) {
		if (!is_symbols_of(kept[i].name, b->trace_name))
			continue;
		b->symbols = kept[i].data;
		b->symbols_len = kept[i].len;
		kept[i].data = NULL;
	}
out:
	for (size_t i = 0; i < nkept; i++) {
		free(kept[i].name);
		free(kept[i].data);
	}
	free(kept);
	archive_read_free(a);
	if (err) {
		bundle__close(b);
		errno = -err;
		return NULL;
	}
	return b;
}
