// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "format/event.h"

static const char *const kind_names[XG_EV_KIND_MAX] = {
    [XG_EV_GO_CREATE] = "go_create",
    [XG_EV_GO_EXIT] = "go_exit",
    [XG_EV_GO_STATE] = "go_state",
    [XG_EV_ALLOC] = "alloc",
    [XG_EV_GC_START] = "gc_start",
    [XG_EV_GC_END] = "gc_end",
    [XG_EV_LOST] = "lost",
    [XG_EV_CPU_SAMPLE] = "cpu_sample",
    [XG_EV_ALLOC_SAMPLE] = "alloc_sample",
    [XG_EV_HEAP] = "heap",
    [XG_EV_SNAPSHOT] = "snapshot",
};

static const char *const state_names[XG_G_STATE_MAX] = {
    [XG_G_IDLE] = "idle",	    [XG_G_RUNNABLE] = "runnable",   [XG_G_RUNNING] = "running",
    [XG_G_SYSCALL] = "syscall",	    [XG_G_WAITING] = "waiting",	    [XG_G_DEAD] = "dead",
    [XG_G_COPYSTACK] = "copystack", [XG_G_PREEMPTED] = "preempted", [XG_G_LEAKED] = "leaked",
};

const char *xg_kind_name(unsigned int kind)
{
	return kind < XG_EV_KIND_MAX ? kind_names[kind] : NULL;
}

int xg_kind_parse(const char *name)
{
	for (int k = 0; k < XG_EV_KIND_MAX; k++)
		if (kind_names[k] && !strcmp(kind_names[k], name))
			return k;
	return -1;
}

const char *xg_gstate_name(unsigned int state)
{
	return state < XG_G_STATE_MAX ? state_names[state] : NULL;
}

int xg_gstate_parse(const char *name)
{
	for (int s = 0; s < XG_G_STATE_MAX; s++)
		if (state_names[s] && !strcmp(state_names[s], name))
			return s;
	return -1;
}
