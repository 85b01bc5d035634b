// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/event.h"
#include "format/meta.h"
#include "util/array.h"

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
