/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef XG_UTIL_UTF8_H
#define XG_UTIL_UTF8_H

#include <stddef.h>

/* Length (2 to 4) of the valid UTF-8 multi-byte sequence at p, reading at most n bytes; 0 when
 * it is not one (ASCII, overlong forms, surrogates, above U+10FFFF, truncated). */
size_t utf8_seq_len(const void *p, size_t n);

#endif /* XG_UTIL_UTF8_H */
