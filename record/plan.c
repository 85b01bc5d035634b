// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The probe plan (record/plan.h). Which runtime functions carry which program, and why:
 *
 *   runtime.casgstatus             every status change; creation is its _Gdead -> _Grunnable
 *                                  (_Gwaiting for a parked coroutine, 1.23+) and exit its
 *                                  _Grunning -> _Gdead, which only gdestroy/goexit0 perform
 *   direct CASes on atomicstatus   casGToPreemptScan, casGFromPreempted, coroswitch_m and the
 *                                  Go 1.26+ syscall fast path in reentersyscall/exitsyscall
 *                                  change a status without casgstatus: each compare-and-swap
 *                                  on g.atomicstatus in them gets a probe where its outcome
 *                                  shows (gobin_code__cas32_sites)
 *   runtime.newproc.func1          Go 1.21-1.23 set the new goid after casgstatus; the `call
 *                                  runqput` that follows newproc1 has the new g in its second
 *                                  argument register
 *   runtime.gdestroy / goexit0     exits, only when casgstatus is not probed anyway
 *   allocation functions           mallocgc up to 1.23; from 1.24 mallocgc only dispatches, so
 *                                  the functions it dispatches to, plus (1.27, or 1.26 with the
 *                                  experiment) the size-specialized entry points the compiler
 *                                  calls directly: every allocation passes exactly one of them
 *   startCycle / gcSweep           GC start, and the end of mark termination
 *
 * Every site is chosen by gobin__probe_site(): after the stack-check prologue, so it is
 * emulated (x86-64 `push rbp`, arm64 `b.ls`) and cannot fire twice when a function restarts
 * after growing its stack; on arm64, a function without one (casgstatus) is probed at its first
 * simulated instruction after the frame is set up, when the arguments are still in place.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/goabi.h"
#include "format/event.h"
#include "gobin/disasm.h"
#include "record/plan.h"
#include "util/err.h"

static const char *const prog_names[REC_PROG_MAX] = {
#define PROG_NAME(e, name) [REC_PROG_##e] = #name,
    REC_PROGS(PROG_NAME)
#undef PROG_NAME
};

const char *rec_prog_name(enum rec_prog p)
{
	return p < REC_PROG_MAX ? prog_names[p] : "?";
}

static void warn(struct rec_plan *p, const char *msg)
{
	size_t len = strlen(p->warnings);

	snprintf(p->warnings + len, sizeof(p->warnings) - len, "%s%s", len ? "; " : "", msg);
}

static struct rec_probe *add_probe(struct rec_plan *p)
{
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 32;
		struct rec_probe *np = realloc(p->probes, cap * sizeof(*np));

		if (!np)
			return NULL;
		p->probes = np;
		p->cap = cap;
	}
	memset(&p->probes[p->n], 0, sizeof(p->probes[0]));
	return &p->probes[p->n++];
}

/* A probe at the site gobin__probe_site() picks in f (after the stack-check prologue). */
static int probe_func(struct rec_plan *p, const struct gobin *b, const struct gobin_func *f,
		      enum rec_prog prog)
{
	struct gobin_probe_site site;
	struct rec_probe *pr;
	int err;

	err = gobin__probe_site(b, f, &site);
	if (err)
		return err;
	pr = add_probe(p);
	if (!pr)
		return -ENOMEM;
	pr->prog = prog;
	pr->func = f->name;
	pr->off = site.probe_off;
	pr->addr = f->addr + site.probe_off;
	pr->file_off = f->file_off + site.probe_off;
	pr->emulated = site.emulated;
	if (site.framed)
		pr->cookie |= XGB_COOKIE_FRAMED;
	if (site.check_branch)
		pr->cookie |= XGB_COOKIE_CHECK;
	snprintf(pr->insn, sizeof(pr->insn), "%s", site.insn);
	return 0;
}

/* probe_func() by name; -ENOENT when the binary has no such function. */
static int probe_named(struct rec_plan *p, const struct gobin *b, const char *name,
		       enum rec_prog prog)
{
	struct gobin_func f;
	int err = gobin__func(b, name, &f);

	return err ? err : probe_func(p, b, &f, prog);
}

/* --- instruction patterns (gobin/disasm.h) ------------------------------------------------- */

/* A probe on the decoded instruction in. */
static struct rec_probe *probe_insn(struct rec_plan *p, const struct gobin_func *f,
				    const cs_insn *in, enum rec_prog prog, bool emulated)
{
	struct rec_probe *pr = add_probe(p);

	if (!pr)
		return NULL;
	pr->prog = prog;
	pr->func = f->name;
	pr->addr = in->address;
	pr->off = (uint32_t)(in->address - f->addr);
	pr->file_off = f->file_off + pr->off;
	pr->emulated = emulated;
	snprintf(pr->insn, sizeof(pr->insn), "%.15s %.47s", in->mnemonic, in->op_str);
	return pr;
}

/*
 * Plans a probe at each compare-and-swap of g.atomicstatus in f, where its outcome is still
 * visible (gobin_code__cas32_sites). Returns the number of sites, or -errno.
 */
static int plan_cas_sites(struct rec_plan *p, const struct gobin *b, const struct gobin_func *f,
			  int32_t status_off)
{
	struct gobin_cas_site cs[XGB_MAX_SITES];
	struct gobin_code d;
	int err = 0, n;

	err = gobin_code__decode_func(&d, b, f);
	if (err)
		return err;
	n = gobin_code__cas32_sites(&d, status_off, cs, XGB_MAX_SITES);
	for (int k = 0; k < n; k++) {
		struct xgb_site s = {
		    .kind = XGB_SITE_CAS,
		    .base = (__u8)cs[k].base,
		    .old_reg = (__u8)cs[k].old_reg,
		    .new_reg = cs[k].new_reg < 0 ? XGB_REG_NONE : (__u8)cs[k].new_reg,
		    .ok_how = cs[k].ok_zf ? XGB_OK_ZF : XGB_OK_NZF,
		    .status_off = (__u32)status_off,
		    .base_adj = cs[k].base_adj,
		};
		struct rec_probe *pr;

		if (p->nsites >= XGB_MAX_SITES) {
			err =
			    xg_error(-E2BIG, "more than %d compare-and-swap sites", XGB_MAX_SITES);
			break;
		}
		pr = probe_insn(p, f, &d.insn[cs[k].at], REC_PROG_CAS_SITE,
				gobin_code__emulated(&d, cs[k].at));
		if (!pr) {
			err = -ENOMEM;
			break;
		}
		pr->cookie = p->nsites;
		p->sites[p->nsites++] = s;
	}
	gobin_code__free(&d);
	return err ? err : n;
}

/* The `call callee` instructions in f; returns how many were planned, or -errno. */
static int plan_call_sites(struct rec_plan *p, const struct gobin *b, const struct gobin_func *f,
			   uint64_t callee, enum rec_prog prog)
{
	struct gobin_code d;
	uint64_t target;
	int err, found = 0;

	err = gobin_code__decode_func(&d, b, f);
	if (err)
		return err;
	for (size_t i = 0; i < d.n; i++) {
		if (!gobin_code__call(&d, i, &target) || target != callee)
			continue;
		/* a direct call is emulated (x86-64 call rel32, arm64 bl) */
		if (!probe_insn(p, f, &d.insn[i], prog, gobin_code__emulated(&d, i))) {
			err = -ENOMEM;
			break;
		}
		found++;
	}
	gobin_code__free(&d);
	return err ? err : found;
}

/* --- what to probe ------------------------------------------------------------------------- */

static const char *const cas_funcs[] = {
    "runtime.casGToPreemptScan", /* running -> _Gscan|_Gpreempted (async preemption) */
    "runtime.casGFromPreempted", /* preempted -> waiting */
    "runtime.coroswitch_m",	 /* coroutine switches, 1.22+ (only if the program uses them) */
    "runtime.reentersyscall",	 /* running -> syscall fast path, 1.26+ */
    "runtime.exitsyscall",	 /* syscall -> running fast path, 1.26+ */
};

static int plan_goroutines(struct rec_plan *p, const struct gobin *b, const struct go_offsets *off,
			   uint32_t kinds)
{
	const struct gobin_info *info = gobin__info(b);
	bool cas = kinds & (XGB_KIND_BIT(XG_EV_GO_STATE) | XGB_KIND_BIT(XG_EV_GO_CREATE));
	int err;

	if (cas) {
		err = probe_named(p, b, "runtime.casgstatus", REC_PROG_CASGSTATUS);
		if (err)
			return xg_error(err, "runtime.casgstatus: %s",
					err == -ENOENT ? "not found" : xg_errmsg());
		p->exit_from_casgstatus = true;

		for (size_t i = 0; i < sizeof(cas_funcs) / sizeof(cas_funcs[0]); i++) {
			struct gobin_func f;

			if (gobin__func(b, cas_funcs[i], &f))
				continue; /* not linked in (coroswitch_m) */
			err = plan_cas_sites(p, b, &f, off->g_atomicstatus);
			if (err < 0)
				return err;
		}

		/* Go 1.21-1.23: newproc1 assigns the goid after casgstatus(_Gdead, _Grunnable) */
		p->create_deferred = info->go_major == 1 && info->go_minor <= 23;
		if (p->create_deferred) {
			struct gobin_func f, rq;

			if (gobin__func(b, "runtime.newproc.func1", &f) ||
			    gobin__func(b, "runtime.runqput", &rq) ||
			    plan_call_sites(p, b, &f, rq.addr, REC_PROG_NEWG_CALL) <= 0)
				warn(
				    p,
				    "no `call runqput` in runtime.newproc.func1: new goroutines are "
				    "reported at their first run");
		}
	} else if (kinds & XGB_KIND_BIT(XG_EV_GO_EXIT)) {
		err = probe_named(p, b, "runtime.gdestroy", REC_PROG_GDESTROY);
		if (err == -ENOENT) /* Go 1.21 */
			err = probe_named(p, b, "runtime.goexit0", REC_PROG_GDESTROY);
		if (err)
			return xg_error(err, "runtime.gdestroy/goexit0: %s",
					err == -ENOENT ? "not found" : xg_errmsg());
	}
	return 0;
}

/*
 * A size-specialized allocation entry point: runtime.mallocgc<Kind><n>, e.g.
 * mallocgcSmallScanNoHeaderSC3, mallocgcTinySize5 (1.26 with GOEXPERIMENT=sizespecializedmalloc),
 * mallocgcTinySC2 (1.27). Not the slow paths they tail-call, not closures (mallocgc.func1).
 */
static bool size_specialized(const char *name)
{
	static const char prefix[] = "runtime.mallocgc";
	const char *s = name + sizeof(prefix) - 1;

	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0 || strstr(name, "SlowPath"))
		return false;
	if (!isalpha((unsigned char)*s))
		return false;
	while (isalpha((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	return *s == '\0';
}

struct alloc_ctx {
	struct rec_plan *p;
	const struct gobin *b;
	int n;
};

static int alloc_sc(const struct gobin_func *f, void *arg)
{
	struct alloc_ctx *c = arg;
	int err;

	if (!size_specialized(f->name))
		return 0;
	err = probe_func(c->p, c->b, f, REC_PROG_ALLOC);
	if (!err)
		c->n++;
	return err;
}

static const char *const split_funcs[] = {
    "runtime.mallocgcTiny",
    "runtime.mallocgcSmallNoscan",
    "runtime.mallocgcSmallScanNoHeader",
    "runtime.mallocgcSmallScanHeader",
    "runtime.mallocgcLarge",
};

static int plan_allocs(struct rec_plan *p, const struct gobin *b)
{
	struct alloc_ctx c = {.p = p, .b = b};
	struct gobin_func f;
	int err, n = 0;

	if (gobin__func(b, "runtime.mallocgcLarge", &f)) {
		/* 1.21-1.23: one function does everything */
		err = probe_named(p, b, "runtime.mallocgc", REC_PROG_ALLOC);
		if (err)
			return xg_error(err, "runtime.mallocgc: %s",
					err == -ENOENT ? "not found" : xg_errmsg());
		p->alloc_mode = "mallocgc";
		return 0;
	}
	/* 1.24+: mallocgc returns early for size 0 and otherwise calls one of these (or, with
	 * size-specialized malloc, one of the SC functions) exactly once */
	for (size_t i = 0; i < sizeof(split_funcs) / sizeof(split_funcs[0]); i++) {
		err = probe_named(p, b, split_funcs[i], REC_PROG_ALLOC);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		n++;
	}
	err = gobin__for_each_func(b, "runtime.mallocgc", alloc_sc, &c);
	if (err)
		return err;
	if (!n && !c.n)
		return xg_error(-ENOENT, "no allocation function found (runtime.mallocgc*)");
	p->alloc_mode = c.n ? "split+size-specialized" : "split";
	return 0;
}

static int plan_gc(struct rec_plan *p, const struct gobin *b, uint32_t kinds)
{
	int err;

	if (kinds & XGB_KIND_BIT(XG_EV_GC_START)) {
		err =
		    probe_named(p, b, "runtime.(*gcControllerState).startCycle", REC_PROG_GC_START);
		if (err)
			warn(p, "no runtime.(*gcControllerState).startCycle: no gc_start");
	}
	if (kinds & XGB_KIND_BIT(XG_EV_GC_END)) {
		err = probe_named(p, b, "runtime.gcSweep", REC_PROG_GC_END);
		if (err)
			warn(p, "no runtime.gcSweep: no gc_end");
	}
	return 0;
}

int rec_plan__build(struct rec_plan *p, const struct gobin *b, const struct go_offsets *off,
		    uint32_t kinds)
{
	const struct gobin_info *info = gobin__info(b);
	int err;

	memset(p, 0, sizeof(*p));
	if (strcmp(info->goarch, "amd64") != 0 && strcmp(info->goarch, "arm64") != 0)
		return xg_error(-EPROTONOSUPPORT,
				"%s: GOARCH=%s: recording supports amd64 and arm64 only",
				gobin__path(b), info->goarch);
	if (off->g_goid < 0 || off->g_atomicstatus < 0)
		return xg_error(-EPROTONOSUPPORT, "%s: runtime.g layout unknown", gobin__path(b));

	err = plan_goroutines(p, b, off, kinds);
	if (!err && (kinds & XGB_KIND_BIT(XG_EV_ALLOC)))
		err = plan_allocs(p, b);
	if (!err)
		err = plan_gc(p, b, kinds);
	if (err) {
		xg_error_prefix("%s", gobin__path(b));
		rec_plan__free(p);
	}
	return err;
}

/* --- production mode ------------------------------------------------------------------------ */

/*
 * Where a Go thread keeps its g: runtime.stackcheck starts by loading it, `mov rax, fs:[off]`,
 * or in a PIE `mov rcx, off; mov rax, fs:[rcx]` (GO_TLS_G_OFF_DEFAULT in every build checked;
 * some static binaries elsewhere use -80, as the OpenTelemetry profiler notes). Falls back to
 * GO_TLS_G_OFF_DEFAULT.
 */
#define TLS_DEFAULT_STR_(x) #x
#define TLS_DEFAULT_STR(x)  TLS_DEFAULT_STR_(x) /* the expanded text, parentheses included */

static void plan_tls(struct rec_plan *p, const struct gobin *b)
{
	int64_t imm[16] = {0};
	bool known[16] = {false};
	struct gobin_func f;
	struct gobin_code d;

	p->tls_g_off = GO_TLS_G_OFF_DEFAULT;
	p->tls_from = "default " TLS_DEFAULT_STR(GO_TLS_G_OFF_DEFAULT);
	if (gobin__arch(b) == GOBIN_ARCH_ARM64) {
		p->g_in_reg = true; /* bpf/goabi.h GO_G_IN_TLS */
		p->tls_from = "not used";
		return;
	}
	if (gobin__func(b, "runtime.stackcheck", &f) || gobin_code__decode_func(&d, b, &f))
		return;
	for (size_t i = 0; i < d.n && i < 4; i++) {
		const cs_x86 *x = gobin_code__x86(&d, i);
		const cs_x86_op *m;
		int r;

		if (!x || d.insn[i].id != X86_INS_MOV || x->op_count != 2 ||
		    x->operands[0].type != X86_OP_REG)
			continue;
		m = &x->operands[1];
		r = gobin_code__regnum(&d, x->operands[0].reg);
		if (m->type == X86_OP_IMM && r >= 0) {
			imm[r] = m->imm;
			known[r] = true;
			continue;
		}
		if (m->type != X86_OP_MEM || m->mem.segment != X86_REG_FS ||
		    m->mem.index != X86_REG_INVALID)
			continue;
		if (m->mem.base == X86_REG_INVALID) {
			p->tls_g_off = (int32_t)m->mem.disp;
		} else {
			int br = gobin_code__regnum(&d, m->mem.base);

			if (br < 0 || !known[br])
				continue;
			p->tls_g_off = (int32_t)(imm[br] + m->mem.disp);
		}
		p->tls_from = "runtime.stackcheck";
		break;
	}
	gobin_code__free(&d);
}

static int plan_creations(struct rec_plan *p, const struct gobin *b)
{
	struct gobin_func f, rq;
	int n, err;

	if (gobin__func(b, "runtime.newproc.func1", &f) || gobin__func(b, "runtime.runqput", &rq))
		return xg_error(-ENOENT, "runtime.newproc.func1 or runtime.runqput not found");
	n = plan_call_sites(p, b, &f, rq.addr, REC_PROG_GO_NEW);
	if (n < 0)
		return n;
	if (!n)
		return xg_error(-ENOENT, "no `call runqput` in runtime.newproc.func1");
	for (uint32_t i = p->n - (uint32_t)n; i < p->n; i++)
		p->probes[i].cookie = XGB_NEWG_ARG2;
	p->create_mode = "call runqput after newproc1";
	/* iter.Pull coroutines (Go 1.23+; linked only when used) never pass runqput */
	err = probe_named(p, b, "runtime.corostart", REC_PROG_GO_NEW);
	if (!err) {
		p->probes[p->n - 1].cookie |= XGB_NEWG_G;
		p->create_mode = "call runqput after newproc1; coroutines at runtime.corostart";
	} else if (err != -ENOENT) {
		return err;
	}
	return 0;
}

/* Whether the function d spilled its second argument (typ) to its spill slot on every path to
 * instruction site. */
static bool typ_spilled_before(const struct gobin_code *d, int64_t frame, size_t site)
{
	for (size_t i = 0; i < site; i++)
		if (gobin_code__spills_arg(d, i, frame, 1) &&
		    gobin_code__entry_reg_stored_before(d, i, gobin_code__arg_reg(d, 1), site))
			return true;
	return false;
}

struct typ_ctx {
	struct rec_plan *p;
	const struct gobin *b;
	uint64_t profilealloc;
};

static bool is_alloc_func(const struct gobin *b, uint64_t addr)
{
	struct gobin_pcinfo pi;

	return !gobin__pc_lookup(b, addr, &pi) && pi.entry == addr &&
	       !strncmp(pi.fn, "runtime.mallocgc", 16) && strcmp(pi.fn, "runtime.mallocgc") != 0;
}

/* In one allocation function: its calls to profilealloc (level 0) and, in mallocgc, its
 * calls to the functions it dispatches to (level 1). */
static int typ_sites_in(const struct gobin_func *f, void *arg)
{
	struct typ_ctx *c = arg;
	struct rec_plan *p = c->p;
	bool top = !strcmp(f->name, "runtime.mallocgc");
	struct gobin_code d;
	int64_t frame;

	if (strchr(f->name, '.') != strrchr(f->name, '.') || gobin_code__decode_func(&d, c->b, f))
		return 0; /* closures (runtime.mallocgc.func1) have no typ argument */
	frame = gobin_code__frame_size(&d);
	for (size_t i = 0; i < d.n && frame >= 0; i++) {
		const cs_insn *in = &d.insn[i];
		uint64_t t;
		bool pa;

		if (!gobin_code__call(&d, i, &t))
			continue;
		pa = t == c->profilealloc;
		if (!pa && !(top && is_alloc_func(c->b, t)))
			continue;
		p->typ_calls += pa;
		if (p->ntyp >= REC_MAX_TYPSITES || !typ_spilled_before(&d, frame, i))
			continue;
		p->typ_ret[p->ntyp] = in->address + in->size;
		p->typ_level[p->ntyp++] = pa ? 0 : 1;
	}
	gobin_code__free(&d);
	return 0;
}

/* Where alloc_sample can read the allocation's type (rec_plan.typ_ret). */
static int plan_sample_types(struct rec_plan *p, const struct gobin *b)
{
	struct gobin_func f;
	struct typ_ctx c = {.p = p, .b = b};

	if (gobin__func(b, "runtime.profilealloc", &f))
		return 0;
	c.profilealloc = f.addr;
	return gobin__for_each_func(b, "runtime.mallocgc", typ_sites_in, &c);
}

int rec_plan__build_production(struct rec_plan *p, const struct gobin *b,
			       const struct go_offsets *off, uint32_t kinds)
{
	const struct gobin_info *info = gobin__info(b);
	struct gobin_func f;
	int err = 0;

	memset(p, 0, sizeof(*p));
	p->production = true;
	if (strcmp(info->goarch, "amd64") != 0 && strcmp(info->goarch, "arm64") != 0)
		return xg_error(-EPROTONOSUPPORT,
				"%s: GOARCH=%s: recording supports amd64 and arm64 only",
				gobin__path(b), info->goarch);
	if (off->g_goid < 0 || off->g_atomicstatus < 0)
		return xg_error(-EPROTONOSUPPORT, "%s: runtime.g layout unknown", gobin__path(b));
	if (kinds & ~(uint32_t)REC_PRODUCTION_KINDS)
		return xg_error(-EINVAL, "%s: production mode does not record %s", gobin__path(b),
				kinds & XGB_KIND_BIT(XG_EV_GO_STATE) ? "go_state (use --mode full)"
								     : "some of these kinds");

	if (kinds & XGB_KIND_BIT(XG_EV_GO_CREATE))
		err = plan_creations(p, b);
	if (!err && (kinds & XGB_KIND_BIT(XG_EV_GO_EXIT))) {
		err = probe_named(p, b, "runtime.gdestroy", REC_PROG_GDESTROY);
		if (err == -ENOENT) /* Go 1.21 */
			err = probe_named(p, b, "runtime.goexit0", REC_PROG_GDESTROY);
		if (err)
			err = xg_error(err, "runtime.gdestroy/goexit0: %s",
				       err == -ENOENT ? "not found" : xg_errmsg());
	}
	if (!err && (kinds & XGB_KIND_BIT(XG_EV_ALLOC_SAMPLE))) {
		err = probe_named(p, b, "runtime.profilealloc", REC_PROG_ALLOC_SAMPLE);
		if (err)
			err = xg_error(err, "runtime.profilealloc: %s",
				       err == -ENOENT ? "not found" : xg_errmsg());
		else
			err = plan_sample_types(p, b);
	}
	if (!err && (kinds & XGB_KIND_BIT(XG_EV_ALLOC))) {
		if (gobin__func(b, "runtime.mallocgcLarge", &f)) {
			warn(p, "large allocations need Go 1.24+ (runtime.mallocgcLarge): none "
				"recorded exactly, alloc_sample still samples them");
		} else {
			err = probe_func(p, b, &f, REC_PROG_ALLOC);
			p->alloc_mode = "large only (runtime.mallocgcLarge)";
			p->large_lo = f.addr;
			p->large_hi = f.addr + f.size;
		}
	}
	if (!err)
		err = plan_gc(p, b, kinds);
	if (!err && (kinds & XGB_KIND_BIT(XG_EV_CPU_SAMPLE)))
		plan_tls(p, b);
	if (err) {
		xg_error_prefix("%s", gobin__path(b));
		rec_plan__free(p);
	}
	return err;
}

void rec_plan__free(struct rec_plan *p)
{
	if (!p)
		return;
	free(p->probes);
	p->probes = NULL;
	p->n = p->cap = 0;
}
