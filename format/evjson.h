/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The public JSON-lines schema of events, shared by `record --json`, `replay --json` and
 * `dump --json` (documented in README.md). One object per line:
 *
 *   {"ts":123,"kind":"go_create","goid":7,"tid":4242,"cpu":1,"parent_goid":1,
 *    "start_fn":"main.worker","start_pc":"0x49a2c0","create_fn":"main.main",
 *    "create_pc":"0x49a3f1"}
 *
 * ts is ns since the trace's start. Fields are added over time, never renamed.
 */
#ifndef XG_FORMAT_EVJSON_H
#define XG_FORMAT_EVJSON_H

#include <stdio.h>

#include "format/event.h"
#include "format/tables.h"

/* Writes ev as one JSON object and a newline; ids resolve through names (may be NULL). */
void xg_event_write_json(FILE *f, const struct xg_event *ev, const struct tf_tables *names);

#endif /* XG_FORMAT_EVJSON_H */
