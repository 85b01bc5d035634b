// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The BPF object (record/bpfobj.h). The ELF image comes from the bpftool skeleton
 * ($(OUTPUT)/xgotop.skel.h, which embeds it); programs and maps are found by name with plain
 * libbpf calls rather than the skeleton's generated open/load helpers, so the rest of record/
 * depends on names only.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "record/bpfobj.h"
#include "util/err.h"
#include "xgotop.skel.h"

static struct bpf_map *map(struct rec_bpf *b, const char *name, int *err)
{
	struct bpf_map *m = bpf_object__find_map_by_name(b->obj, name);

	if (!m && !*err)
		*err = xg_error(-ENOENT, "BPF object: no map %s", name);
	return m;
}

static void set_knobs(struct xgotop__rodata *ro, const struct rec_bpf_knobs *k)
{
	const struct go_offsets *o = k->off;

	ro->targ_tgid = k->tgid;
	ro->kinds = k->kinds;
	ro->stacks = k->stacks;
	ro->create_deferred = k->create_deferred;
	ro->wakeup_bytes = k->wakeup_bytes;
	ro->off_g_goid = o->g_goid;
	ro->off_g_waitreason = o->g_waitreason;
	ro->off_g_parent_goid = o->g_parent_goid;
	ro->off_g_gopc = o->g_gopc;
	ro->off_g_startpc = o->g_startpc;
	ro->off_g_m = o->g_m;
	ro->off_g_sched_pc = o->g_sched_pc;
	ro->off_g_sched_bp = o->g_sched_bp;
	ro->off_m_curg = o->m_curg;
	ro->off_gcc_heap_live = o->gcc_heap_live;
	ro->off_gcc_heap_goal = o->gcc_last_heap_goal;
	ro->off_gcc_total_alloc = o->gcc_total_alloc;
	ro->off_gcc_total_free = o->gcc_total_free;
}

int rec_bpf__open(struct rec_bpf *b, const struct rec_bpf_knobs *k)
{
	struct xgotop__rodata *rod;
	struct bpf_object_open_opts oo = {.sz = sizeof(oo), .object_name = "xgotop"};
	struct bpf_map *ro;
	const void *elf;
	size_t sz = 0;
	int err = 0;

	memset(b, 0, sizeof(*b));
	elf = xgotop__elf_bytes(&sz);
	/* libbpf copies the image */
	b->obj = bpf_object__open_mem(elf, sz, &oo);
	if (!b->obj) {
		err = -errno;
		b->obj = NULL;
		return xg_error(err, "BPF: cannot open the object: %s", strerror(-err));
	}
	ro = map(b, ".rodata", &err);
	b->events = map(b, "events", &err);
	b->lost = map(b, "lost", &err);
	b->sample = map(b, "sample", &err);
	b->sites = map(b, "sites", &err);
	for (int p = 0; p < REC_PROG_MAX && !err; p++) {
		b->progs[p] = bpf_object__find_program_by_name(b->obj, rec_prog_name(p));
		if (!b->progs[p])
			err = xg_error(-ENOENT, "BPF object: no program %s", rec_prog_name(p));
	}
	if (!err) {
		/* bpf_map__initial_value() is declared const in libbpf 1.1, but writing before
		 * load is what it is for */
		rod = (struct xgotop__rodata *)bpf_map__initial_value(ro, &sz);
		/* the map holds the variables; the struct may have tail padding */
		if (!rod || sz > sizeof(*rod) || sz + 8 <= sizeof(*rod))
			err = xg_error(-EINVAL, "BPF object: .rodata is %zu bytes, expected %zu",
				       sz, sizeof(*rod));
		else
			set_knobs(rod, k);
	}
	if (!err) {
		err = bpf_map__set_max_entries(b->events, (uint32_t)k->ringbuf_bytes);
		if (err)
			xg_error(err, "BPF: ring buffer size %zu: %s", k->ringbuf_bytes,
				 strerror(-err));
	}
	if (err)
		rec_bpf__close(b);
	return err;
}

int rec_bpf__load(struct rec_bpf *b)
{
	int err = bpf_object__load(b->obj);

	if (err)
		return xg_error(
		    err, "BPF: load failed: %s (run as root, or with CAP_BPF and CAP_PERFMON)",
		    strerror(-err));
	return 0;
}

void rec_bpf__close(struct rec_bpf *b)
{
	bpf_object__close(b->obj);
	memset(b, 0, sizeof(*b));
}
