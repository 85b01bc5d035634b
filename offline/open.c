// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/tables.h"
#include "gobin/gobin.h"
#include "offline/bundle.h"
#include "offline/goimport.h"
#include "offline/open.h"
#include "offline/symtab.h"
#include "util/err.h"

/* Splits "BUNDLE:NAME" when path itself is not a file but BUNDLE is. *file is malloc'ed. */
static int split_path(const char *path, char **file, const char **select)
{
	const char *colon = strrchr(path, ':');
	struct stat st;

	*select = NULL;
	if (colon && colon[1] && stat(path, &st)) {
		char *f = strndup(path, (size_t)(colon - path));

		if (!f)
			return -ENOMEM;
		if (!stat(f, &st) && S_ISREG(st.st_mode)) {
			*file = f;
			*select = colon + 1;
			return 0;
		}
		free(f);
	}
	*file = strdup(path);
	return *file ? 0 : -ENOMEM;
}

/* A Go execution trace, imported into an anonymous file and read from there; damage is a
 * warning (what came before it is read). */
static struct tf_reader *open_go_trace(const char *path, const struct tf_reader_opts *opts)
{
	struct goimport_result res;
	struct tf_reader *r;
	char self[64];
	int fd, err;

	fd = goimport__to_memfd(path, &res);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (res.damage && opts && opts->warn)
		opts->warn(opts->warn_ctx, res.damage_msg);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	r = tf_reader__open(self, opts);
	err = errno;
	close(fd);
	errno = err;
	return r;
}

/* Opens the bundle or the trace; *bundle is set for a bundle, whose trace the reader owns from
 * then on (b->trace_data is NULL). */
static struct tf_reader *open_any(const char *path, const struct tf_reader_opts *opts,
				  struct bundle **bundle, char **name)
{
	struct tf_reader *r = NULL;
	struct bundle *b = NULL;
	const char *select;
	char *file = NULL;
	int err, kind;

	*bundle = NULL;
	*name = NULL;
	err = split_path(path, &file, &select);
	if (err) {
		errno = -err;
		return NULL;
	}
	if (!select && goimport__is_go_trace(file) > 0) {
		r = open_go_trace(file, opts);
		if (r)
			*name = strdup(path);
		goto out;
	}
	kind = bundle_input_kind(file);
	if (kind == BUNDLE_INPUT_TRACE && select) {
		xg_error(-EINVAL, "%s: a trace file, not a bundle: ':%s' names a trace in a bundle",
			 file, select);
		errno = EINVAL;
		goto out;
	}
	if (kind != BUNDLE_INPUT_BUNDLE) {
		/* a trace, or unreadable: the trace reader says what is wrong */
		xg_error_clear();
		r = tf_reader__open(path, opts);
		if (r)
			*name = strdup(path);
		goto out;
	}
	b = bundle__open(file, select);
	if (!b)
		goto out;
	if (asprintf(name, "%s:%s", file, b->trace_name) < 0) {
		*name = NULL;
		errno = ENOMEM;
		goto out;
	}
	r = tf_reader__open_mem_owned(b->trace_data, b->trace_len, *name, opts);
	b->trace_data = NULL;
	b->trace_len = 0;
out:
	err = errno;
	if (r && !*name) {
		tf_reader__close(r);
		r = NULL;
		err = ENOMEM;
	}
	if (!r) {
		bundle__close(b);
		free(*name);
		*name = NULL;
		b = NULL;
	}
	*bundle = b;
	free(file);
	errno = err;
	return r;
}

struct tf_reader *trace__open_reader(const char *path, const struct tf_reader_opts *opts)
{
	struct bundle *b;
	struct tf_reader *r;
	char *name;

	r = open_any(path, opts, &b, &name);
	free(name);
	bundle__close(b);
	return r;
}

struct trace *trace__open(const char *path, const struct tf_reader_opts *opts)
{
	struct trace *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return NULL;
	t->r = open_any(path, opts, &t->bundle, &t->name);
	if (!t->r) {
		err = errno;
		free(t);
		errno = err;
		return NULL;
	}
	if (t->bundle && t->bundle->symbols) {
		t->syms = symtab__parse(t->bundle->symbols, t->bundle->symbols_len,
					t->bundle->m[t->bundle->trace].name);
		if (!t->syms) {
			err = errno;
			trace__close(t);
			errno = err;
			return NULL;
		}
	}
	return t;
}

void trace__close(struct trace *t)
{
	if (!t)
		return;
	tf_reader__close(t->r);
	bundle__close(t->bundle);
	symtab__free(t->syms);
	gobin__close(t->bin);
	tf_tables__free(t->names);
	free(t->name);
	free(t);
}

/* The traced binary, when it is still there and the same as when recorded. */
static struct gobin *binary(struct trace *t)
{
	const struct tf_meta *m = tf_reader__meta(t->r);
	const char *path = tf_meta__str(m, TF_KEY_BINARY_PATH);
	const char *id = tf_meta__str(m, TF_KEY_BINARY_BUILD_ID);

	if (t->bin_tried)
		return t->bin;
	t->bin_tried = true;
	if (t->bundle || !path || !*path)
		return NULL;
	t->bin = gobin__open(path);
	xg_error_clear();
	if (t->bin && id && *id && strcmp(gobin__info(t->bin)->build_id, id) != 0) {
		gobin__close(t->bin);
		t->bin = NULL;
	}
	return t->bin;
}

bool trace__pc_where(struct trace *t, uint64_t pc, bool ret, struct trace_where *w)
{
	const struct symtab_sym *s;
	struct gobin_pcinfo pi;
	struct gobin *b;

	memset(w, 0, sizeof(*w));
	w->fn = w->file = "";
	if (!pc)
		return false;
	s = symtab__lookup(t->syms, pc);
	if (s) {
		w->fn = s->fn;
		w->file = s->file;
		w->line = s->line;
		return true;
	}
	b = binary(t);
	if (!b || gobin__pc_lookup(b, ret ? pc - 1 : pc, &pi))
		return false;
	if (!t->names)
		t->names = tf_tables__new();
	if (t->names && pi.fn) {
		char name[1024];
		uint32_t id;

		gobin_func_print_name(pi.fn, gobin__info(b)->go_minor, name, sizeof(name));
		id = tf_tables__intern(t->names, name, strlen(name));
		pi.fn = id ? tf_tables__str(t->names, id) : pi.fn;
	}
	w->fn = pi.fn ? pi.fn : "";
	w->file = pi.file ? pi.file : "";
	w->line = pi.line;
	return true;
}
