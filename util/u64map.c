// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/u64map.h"

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	memset(m, 0, sizeof(*m));
}

void u64map_clear(struct u64map *m)
{
	if (m->used)
		memset(m->used, 0, m->cap);
	m->len = 0;
}

static size_t slot_of(const struct u64map *m, uint64_t key)
{
	return (size_t)u64_hash(key) & (m->cap - 1);
}

static int grow(struct u64map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct u64map n = {0};

	n.keys = malloc(ncap * sizeof(*n.keys));
	n.vals = malloc(ncap * sizeof(*n.vals));
	n.used = calloc(ncap, 1);
	if (!n.keys || !n.vals || !n.used) {
		u64map_free(&n);
		return -ENOMEM;
	}
	n.cap = ncap;
	for (size_t i = 0; i < m->cap; i++) {
		size_t s;

		if (!m->used[i])
			continue;
		s = slot_of(&n, m->keys[i]);
		while (n.used[s])
			s = (s + 1) & (ncap - 1);
		n.used[s] = 1;
		n.keys[s] = m->keys[i];
		n.vals[s] = m->vals[i];
	}
	n.len = m->len;
	u64map_free(m);
	*m = n;
	return 0;
}

int u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	size_t s;

	if ((m->len + 1) * 4 > m->cap * 3) {
		int err = grow(m);

		if (err)
			return err;
	}
	s = slot_of(m, key);
	while (m->used[s]) {
		if (m->keys[s] == key) {
			m->vals[s] = val;
			return 0;
		}
		s = (s + 1) & (m->cap - 1);
	}
	m->used[s] = 1;
	m->keys[s] = key;
	m->vals[s] = val;
	m->len++;
	return 0;
}

bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val)
{
	size_t s;

	if (!m->cap)
		return false;
	s = slot_of(m, key);
	while (m->used[s]) {
		if (m->keys[s] == key) {
			if (val)
				*val = m->vals[s];
			return true;
		}
		s = (s + 1) & (m->cap - 1);
	}
	return false;
}

bool u64map_del(struct u64map *m, uint64_t key)
{
	size_t s, j, mask = m->cap - 1;

	if (!m->cap)
		return false;
	s = slot_of(m, key);
	while (m->used[s] && m->keys[s] != key)
		s = (s + 1) & mask;
	if (!m->used[s])
		return false;
	/* backward-shift deletion keeps probe chains intact without tombstones */
	j = s;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!m->used[j])
			break;
		home = slot_of(m, m->keys[j]);
		/* move j into the hole s unless its home lies cyclically in (s, j] */
		if ((s < j) ? (home <= s || home > j) : (home <= s && home > j)) {
			m->keys[s] = m->keys[j];
			m->vals[s] = m->vals[j];
			s = j;
		}
	}
	m->used[s] = 0;
	m->len--;
	return true;
}

bool u64map_next(const struct u64map *m, size_t *it, uint64_t *key, uint64_t *val)
{
	while (*it < m->cap) {
		size_t i = (*it)++;

		if (m->used[i]) {
			if (key)
				*key = m->keys[i];
			if (val)
				*val = m->vals[i];
			return true;
		}
	}
	return false;
}
