/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An open-addressing hash map from u64 keys to u64 values (linear probing, power-of-two
 * capacity, backward-shift deletion). Keys are any u64 (goids, addresses, hashes); values are
 * typically indices into an array owned by the caller.
 */
#ifndef XG_UTIL_U64MAP_H
#define XG_UTIL_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;
	uint64_t *vals;
	uint8_t *used;
	size_t cap; /* power of two, or 0 before the first insert */
	size_t len;
};

/* An all-zero struct u64map is a valid empty map. */
void u64map_free(struct u64map *m);
void u64map_clear(struct u64map *m);
/* Inserts or replaces. 0, or -ENOMEM. */
int u64map_put(struct u64map *m, uint64_t key, uint64_t val);
/* true and *val set when key is present (val may be NULL). */
bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val);
/* true when key was present. */
bool u64map_del(struct u64map *m, uint64_t key);

/* Iteration: for (size_t it = 0; u64map_next(m, &it, &k, &v);) ... (no inserts meanwhile). */
bool u64map_next(const struct u64map *m, size_t *it, uint64_t *key, uint64_t *val);

static inline uint64_t u64_hash(uint64_t x)
{
	/* splitmix64 finalizer */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#endif /* XG_UTIL_U64MAP_H */
