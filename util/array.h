/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef XG_UTIL_ARRAY_H
#define XG_UTIL_ARRAY_H

#include <stddef.h>

/*
 * Makes *arr (elements of elem bytes, *cap of them allocated) hold at least need elements,
 * doubling from 64. 0, -ENOMEM (also when the size would overflow) or -EINVAL (elem 0);
 * *arr is unchanged on error.
 */
int xg_array_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* xg_array_grow, and the elements it adds are zeroed. */
int xg_array_grow_zeroed(void **arr, size_t *cap, size_t need, size_t elem);

#endif /* XG_UTIL_ARRAY_H */
