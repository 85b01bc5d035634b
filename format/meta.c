// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/event.h"
#include "format/meta.h"
#include "util/array.h"
#include "util/jsonw.h"

struct meta_ent {
	char *key;
	char *sval;
	int64_t ival;
	enum tf_meta_type type;
};

struct tf_meta {
	struct meta_ent *ents;
	size_t n, cap;
};

struct tf_meta *tf_meta__new(void)
{
	return calloc(1, sizeof(struct tf_meta));
}

void tf_meta__free(struct tf_meta *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->ents[i].key);
		free(m->ents[i].sval);
	}
	free(m->ents);
	free(m);
}

static struct meta_ent *find(const struct tf_meta *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->ents[i].key, key))
			return &m->ents[i];
	return NULL;
}

/* The entry for key, created empty at the end if absent. */
static struct meta_ent *slot(struct tf_meta *m, const char *key)
{
	struct meta_ent *e = find(m, key);

	if (e)
		return e;
	if (xg_array_grow((void **)&m->ents, &m->cap, m->n + 1, sizeof(*m->ents)))
		return NULL;
	e = &m->ents[m->n];
	memset(e, 0, sizeof(*e));
	e->key = strdup(key);
	if (!e->key)
		return NULL;
	m->n++;
	return e;
}

int tf_meta__set_str(struct tf_meta *m, const char *key, const char *val)
{
	char *copy = strdup(val ? val : "");
	struct meta_ent *e;

	if (!copy)
		return -ENOMEM;
	e = slot(m, key);
	if (!e) {
		free(copy);
		return -ENOMEM;
	}
	free(e->sval);
	e->sval = copy;
	e->type = TF_META_STR;
	return 0;
}

int tf_meta__set_int(struct tf_meta *m, const char *key, int64_t val)
{
	struct meta_ent *e = slot(m, key);

	if (!e)
		return -ENOMEM;
	free(e->sval);
	e->sval = NULL;
	e->ival = val;
	e->type = TF_META_INT;
	return 0;
}

const char *tf_meta__str(const struct tf_meta *m, const char *key)
{
	const struct meta_ent *e = m ? find(m, key) : NULL;

	return e && e->type == TF_META_STR ? e->sval : NULL;
}

bool tf_meta__int(const struct tf_meta *m, const char *key, int64_t *val)
{
	const struct meta_ent *e = m ? find(m, key) : NULL;

	if (!e || e->type != TF_META_INT)
		return false;
	*val = e->ival;
	return true;
}

bool tf_meta__num(const struct tf_meta *m, const char *key, double *val)
{
	const struct meta_ent *e = m ? find(m, key) : NULL;
	char *end;
	double v;

	if (!e)
		return false;
	if (e->type == TF_META_INT) {
		*val = (double)e->ival;
		return true;
	}
	if (e->type != TF_META_STR || !e->sval[0])
		return false;
	errno = 0;
	v = strtod(e->sval, &end);
	if (*end || errno || v != v)
		return false;
	*val = v;
	return true;
}

size_t tf_meta__count(const struct tf_meta *m)
{
	return m ? m->n : 0;
}

enum tf_meta_type tf_meta__at(const struct tf_meta *m, size_t i, const char **key,
			      const char **sval, int64_t *ival)
{
	const struct meta_ent *e;

	if (!m || i >= m->n)
		return 0;
	e = &m->ents[i];
	*key = e->key;
	if (e->type == TF_META_STR)
		*sval = e->sval;
	else
		*ival = e->ival;
	return e->type;
}

struct tf_meta *tf_meta__dup(const struct tf_meta *m)
{
	struct tf_meta *c = tf_meta__new();

	if (!c)
		return NULL;
	for (size_t i = 0; m && i < m->n; i++) {
		const struct meta_ent *e = &m->ents[i];
		int err = e->type == TF_META_STR ? tf_meta__set_str(c, e->key, e->sval)
						 : tf_meta__set_int(c, e->key, e->ival);

		if (err) {
			tf_meta__free(c);
			errno = -err;
			return NULL;
		}
	}
	return c;
}

const char *tf_meta_key_sample(char *buf, size_t size, unsigned int kind)
{
	const char *name = xg_kind_name(kind);

	snprintf(buf, size, "%s%s", name ? TF_KEY_SAMPLE_PREFIX : "", name ? name : "");
	return buf;
}

void tf_meta__write_json(const struct tf_meta *m, struct jsonw *j)
{
	jsonw_start_object(j);
	for (size_t i = 0; m && i < m->n; i++) {
		const struct meta_ent *e = &m->ents[i];

		if (e->type == TF_META_STR)
			jsonw_string_field(j, e->key, e->sval);
		else
			jsonw_int_field(j, e->key, e->ival);
	}
	jsonw_end_object(j);
}

/* FNV-1a over bytes, continuing from h. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static bool hex_id(const char *s)
{
	size_t n = 0;

	for (; s && s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == TF_TRACE_ID_LEN;
}

void tf_meta__trace_id(const struct tf_meta *m, char out[TF_TRACE_ID_LEN + 1])
{
	const char *id = tf_meta__str(m, TF_KEY_TRACE_ID);
	/* two FNV-1a streams from different offsets over every entry: key, type, value (integers
	 * in decimal), each string with its NUL */
	uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};

	if (hex_id(id)) {
		memcpy(out, id, TF_TRACE_ID_LEN + 1);
		return;
	}
	for (size_t i = 0; m && i < m->n; i++) {
		const struct meta_ent *e = &m->ents[i];
		unsigned char t = (unsigned char)e->type;
		char num[24];
		const char *v = e->sval;

		if (e->type != TF_META_STR) {
			snprintf(num, sizeof(num), "%lld", (long long)e->ival);
			v = num;
		}
		for (int j = 0; j < 2; j++) {
			h[j] = fnv1a(h[j], e->key, strlen(e->key) + 1);
			h[j] = fnv1a(h[j], &t, 1);
			h[j] = fnv1a(h[j], v, strlen(v) + 1);
		}
	}
	snprintf(out, TF_TRACE_ID_LEN + 1, "%016llx%016llx", (unsigned long long)h[0],
		 (unsigned long long)h[1]);
}
