/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The program's version, one string for `xgotop --version`, the "xgotop.version" metadata and
 * bundles: `git describe --always --dirty` of the checkout it was built from, or the release
 * number when built outside a git checkout (a tarball). The Makefile writes it into
 * $(OUTPUT)/xgotop-version.h, which only util/version.c includes.
 */
#ifndef XG_UTIL_VERSION_H
#define XG_UTIL_VERSION_H

extern const char xg_version[];

#endif /* XG_UTIL_VERSION_H */
