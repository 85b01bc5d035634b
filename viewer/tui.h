/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The terminal UI (ncursesw): draws a struct gmodel, reads keys, steers the source through
 * struct sink_control. Runs entirely on the source's thread, from the sink's tick(): at most 10
 * redraws per second, each one writing only the cells that changed (ncurses' own diffing).
 */
#ifndef XG_VIEWER_TUI_H
#define XG_VIEWER_TUI_H

#include "sink/sink.h"
#include "model/model.h"

struct tui;

struct tui *tui__new(void);
/* Takes over the terminal. 0 or -errno. */
int tui__begin(struct tui *t, const struct gmodel *m, struct sink_control *ctl);
/* Reads keys and redraws when due. 1 when the user quit, else 0. */
int tui__tick(struct tui *t, const struct gmodel *m);
/* The source jumped: drop cached rows. */
void tui__reset(struct tui *t);
/* Final draw and gives the terminal back. */
void tui__end(struct tui *t, const struct gmodel *m);
void tui__free(struct tui *t);

#endif /* XG_VIEWER_TUI_H */
