// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/tables.h"
#include "util/array.h"
#include "util/u64map.h"

/* Strings and frames live in blocks that are never reallocated, so pointers handed out stay
 * valid; only the id -> pointer index grows. */
#define BLOCK_SIZE  (64 * 1024)
#define MAX_ENTRIES (1u << 30)

struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(8) char data[];
};

struct str_ent {
	const char *s;
	uint32_t len;
};

struct stack_ent {
	const struct xg_frame *frames;
	uint32_t n;
};

struct tf_tables {
	struct block *blocks;
	struct str_ent *strs; /* strs[id], id 0 unused */
	uint32_t nstr, str_cap;
	struct stack_ent *stacks;
	uint32_t nstack, stack_cap;
	struct u64map str_by_hash;   /* hash (probed on collision) -> id */
	struct u64map stack_by_hash; /* same for stacks */
};

static uint64_t hash_bytes(const void *p, size_t len)
{
	/* FNV-1a, finished with a mixer */
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return u64_hash(h ^ len);
}

static void *arena_alloc(struct tf_tables *t, size_t len)
{
	struct block *b = t->blocks;
	size_t off;

	if (b) {
		off = (b->used + 7) & ~(size_t)7;
		if (off + len <= b->cap) {
			b->used = off + len;
			return b->data + off;
		}
	}
	{
		size_t cap = len > BLOCK_SIZE ? len : BLOCK_SIZE;
		struct block *nb = malloc(sizeof(*nb) + cap);

		if (!nb)
			return NULL;
		nb->cap = cap;
		nb->used = len;
		/* keep the fuller block at the head only if the new one is a one-off */
		if (b && len > BLOCK_SIZE) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			t->blocks = nb;
		}
		return nb->data;
	}
}

struct tf_tables *tf_tables__new(void)
{
	struct tf_tables *t = calloc(1, sizeof(*t));

	return t;
}

void tf_tables__free(struct tf_tables *t)
{
	struct block *b, *next;

	if (!t)
		return;
	for (b = t->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(t->strs);
	free(t->stacks);
	u64map_free(&t->str_by_hash);
	u64map_free(&t->stack_by_hash);
	free(t);
}

static int grow_index(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	size_t c = *cap;
	int err;

	if (need >= MAX_ENTRIES)
		return -E2BIG;
	err = xg_array_grow_zeroed(arr, &c, (size_t)need + 1, elem);
	if (!err)
		*cap = (uint32_t)c;
	return err;
}

static int append_str(struct tf_tables *t, const char *s, size_t len, uint64_t h)
{
	uint32_t id = t->nstr + 1;
	char *copy;
	int err;

	if (len >= UINT32_MAX)
		return -E2BIG;
	err = grow_index((void **)&t->strs, &t->str_cap, id, sizeof(*t->strs));
	if (err)
		return err;
	copy = arena_alloc(t, len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	/* the first string with a given content owns its hash slot */
	while (u64map_get(&t->str_by_hash, h, NULL))
		h++;
	err = u64map_put(&t->str_by_hash, h, id);
	if (err)
		return err;
	t->strs[id].s = copy;
	t->strs[id].len = (uint32_t)len;
	t->nstr = id;
	return 0;
}

uint32_t tf_tables__intern(struct tf_tables *t, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len), id;
	int err;

	while (u64map_get(&t->str_by_hash, h, &id)) {
		if (t->strs[id].len == len && !memcmp(t->strs[id].s, s, len))
			return (uint32_t)id;
		h++;
	}
	err = append_str(t, s, len, h);
	if (err) {
		errno = -err;
		return 0;
	}
	return t->nstr;
}

int tf_tables__add_str(struct tf_tables *t, uint32_t id, const char *s, size_t len)
{
	if (id != t->nstr + 1)
		return -EINVAL;
	return append_str(t, s, len, hash_bytes(s, len));
}

const char *tf_tables__str(const struct tf_tables *t, uint32_t id)
{
	if (!t || id == 0 || id > t->nstr)
		return "";
	return t->strs[id].s;
}

size_t tf_tables__str_len(const struct tf_tables *t, uint32_t id)
{
	if (!t || id == 0 || id > t->nstr)
		return 0;
	return t->strs[id].len;
}

uint32_t tf_tables__str_count(const struct tf_tables *t)
{
	return t ? t->nstr : 0;
}

static int append_stack(struct tf_tables *t, const struct xg_frame *frames, uint32_t n, uint64_t h)
{
	uint32_t id = t->nstack + 1;
	struct xg_frame *copy;
	int err;

	if (n > MAX_ENTRIES / sizeof(*frames))
		return -E2BIG;
	err = grow_index((void **)&t->stacks, &t->stack_cap, id, sizeof(*t->stacks));
	if (err)
		return err;
	copy = arena_alloc(t, (size_t)n * sizeof(*frames));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, frames, (size_t)n * sizeof(*frames));
	while (u64map_get(&t->stack_by_hash, h, NULL))
		h++;
	err = u64map_put(&t->stack_by_hash, h, id);
	if (err)
		return err;
	t->stacks[id].frames = copy;
	t->stacks[id].n = n;
	t->nstack = id;
	return 0;
}

uint32_t tf_tables__intern_stack(struct tf_tables *t, const struct xg_frame *frames, uint32_t n)
{
	uint64_t h, id;
	int err;

	if (n == 0)
		return 0;
	h = hash_bytes(frames, (size_t)n * sizeof(*frames));
	while (u64map_get(&t->stack_by_hash, h, &id)) {
		if (t->stacks[id].n == n &&
		    !memcmp(t->stacks[id].frames, frames, (size_t)n * sizeof(*frames)))
			return (uint32_t)id;
		h++;
	}
	err = append_stack(t, frames, n, h);
	if (err) {
		errno = -err;
		return 0;
	}
	return t->nstack;
}

int tf_tables__add_stack(struct tf_tables *t, uint32_t id, const struct xg_frame *frames,
			 uint32_t n)
{
	if (id != t->nstack + 1 || n == 0)
		return -EINVAL;
	return append_stack(t, frames, n, hash_bytes(frames, (size_t)n * sizeof(*frames)));
}

const struct xg_frame *tf_tables__stack(const struct tf_tables *t, uint32_t id, uint32_t *n)
{
	if (!t || id == 0 || id > t->nstack) {
		*n = 0;
		return NULL;
	}
	*n = t->stacks[id].n;
	return t->stacks[id].frames;
}

uint32_t tf_tables__stack_count(const struct tf_tables *t)
{
	return t ? t->nstack : 0;
}

bool tf_frame_shown_by_go(const char *fn, bool first)
{
	const char *name, *dot;

	if (!strchr(fn, '.'))
		return false;
	if (strncmp(fn, "runtime.", 8) != 0)
		return true;
	if (!strcmp(fn, "runtime.gopanic"))
		return !first;
	/* shown by their funcID since Go 1.25: the goroutines that run finalizers and cleanups */
	if (!strcmp(fn, "runtime.runFinalizers") || !strcmp(fn, "runtime.runCleanups"))
		return true;
	/* exported: "runtime.Gosched", or a method of an exported type "runtime.(*Func).Name" */
	name = fn + 8;
	dot = strrchr(name, '.');
	if (dot) {
		const char *rcvr = name;

		if (rcvr[0] == '(' && rcvr[1] == '*')
			rcvr += 2;
		if (!(*rcvr >= 'A' && *rcvr <= 'Z'))
			return false;
		name = dot + 1;
	}
	return *name >= 'A' && *name <= 'Z';
}

uint32_t tf_tables__stack_top(const struct tf_tables *t, uint32_t id)
{
	uint32_t n;
	const struct xg_frame *fr = tf_tables__stack(t, id, &n);

	for (uint32_t i = 0; i < n; i++)
		if (tf_frame_shown_by_go(tf_tables__str(t, fr[i].fn), true)) /* none shown yet */
			return i;
	return 0;
}

const char *tf_func_short(const char *fn)
{
	size_t end = strcspn(fn, "[(");
	const char *slash = NULL, *prev = NULL;

	for (const char *p = fn; p < fn + end; p++) {
		if (*p == '/') {
			prev = slash;
			slash = p;
		} else if (*p == '.' && slash) {
			break; /* the package path ends at the first dot after a slash */
		}
	}
	if (!slash)
		return fn;
	/* ".../v2.": a major version is no package name */
	if (slash[1] == 'v' && slash[2] >= '0' && slash[2] <= '9') {
		const char *q = slash + 2;

		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == '.')
			return prev ? prev + 1 : fn;
	}
	return slash + 1;
}
