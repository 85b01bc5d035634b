// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "format/event.h"

#define KIND_NAME(arg, num, id, name, fields, flags) [num] = name,
static const char *const kind_names[XG_EV_KIND_MAX] = {XG_EVENT_KINDS(KIND_NAME, 0)};
#undef KIND_NAME

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

bool xg_wait_reason_runs(const char *reason)
{
	/* Go's waitReasonStrings of the reasons in isWaitingForSuspendG (runtime2.go; named
	 * isWaitingForGC in Go 1.23 and 1.24; Go 1.21 and 1.22 set the same through
	 * casGToWaiting without a table) */
	static const char *const runs[] = {
	    "stopping the world",      "GC mark termination",	 "garbage collection",
	    "garbage collection scan", "trace goroutine status", "trace proc status",
	    "page trace flush",	       "GC assist marking",	 "GC worker (active)",
	    "flushing proc caches",
	};

	if (!reason || !*reason)
		return false;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (!strcmp(reason, runs[i]))
			return true;
	return false;
}

int xg_gstate_parse(const char *name)
{
	for (int s = 0; s < XG_G_STATE_MAX; s++)
		if (state_names[s] && !strcmp(state_names[s], name))
			return s;
	return -1;
}
