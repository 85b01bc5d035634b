// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * From a PC to what Go's tracebacks print (gobin/gobin.h): the function holding it (.gopclntab,
 * or .symtab for C code of a cgo binary), its frames through the inlining tree, the stack
 * pointer delta, and the function a goroutine starts in behind the compiler's wrappers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gobin/gobin.h"
#include "gobin/internal.h"

#define PCDATA_INLTREEINDEX 2  /* internal/abi.PCDATA_InlTreeIndex */
#define FUNCDATA_INLTREE    3  /* internal/abi.FUNCDATA_InlTree */
#define FUNCDATA_WRAPINFO   7  /* internal/abi.FUNCDATA_WrapInfo: the text offset of the callee */
#define INLINED_CALL_SIZE   16 /* runtime.inlinedCall (runtime/symtabinl.go) */
#define MAX_INLINE_DEPTH    64 /* bound on the parent chain of an inlined call */
#define MAX_WRAPPER_CALLS   16
#define FUNCFLAG_TOPFRAME   1 /* internal/abi.FuncFlagTopFrame */

/* The Go function (pclntab entry) holding link-time pc: 0, -ENOENT when none does, or -EINVAL
 * for a damaged entry. */
static int pcln_func_at(const struct gobin *b, uint64_t pc, struct gobin_pcln_func *f)
{
	uint64_t idx;

	if (pc < b->info.text_start || pc - b->info.text_start > UINT32_MAX ||
	    gobin_pcln__find(&b->pcln, pc - b->info.text_start, &idx))
		return -ENOENT;
	return gobin_pcln__func(&b->pcln, idx, f);
}

int gobin__pc_lookup(const struct gobin *b, uint64_t pc, struct gobin_pcinfo *out)
{
	struct gobin_pcln_func f;
	int err = pcln_func_at(b, pc, &f);

	if (err != -ENOENT) {
		if (err)
			return err;
		out->fn = f.name;
		out->entry = b->info.text_start + f.entry_off;
		return gobin_pcln__line(&b->pcln, &f, (uint32_t)(pc - b->info.text_start),
					&out->file, &out->line);
	}
	/* not Go code: a C function from .symtab (cgo binaries) */
	if (b->nfuncs) {
		size_t lo = 0, hi = b->nfuncs;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (b->funcs[mid]->addr <= pc)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && pc - b->funcs[lo - 1]->addr < b->funcs[lo - 1]->size) {
			out->fn = b->funcs[lo - 1]->name;
			out->entry = b->funcs[lo - 1]->addr;
			out->file = "";
			out->line = 0;
			return 0;
		}
	}
	return -ENOENT;
}

int gobin__pc_spdelta(const struct gobin *b, uint64_t pc, int32_t *delta)
{
	struct gobin_pcln_func f;
	int err = pcln_func_at(b, pc, &f);

	if (err)
		return err;
	return gobin_pcln__pcvalue(&b->pcln, f.pcsp, f.entry_off,
				   (uint32_t)(pc - b->info.text_start), delta);
}

/* internal/abi.FuncIDWrapper: always the last FuncID, so it moved as runtime functions got
 * ids of their own */
static uint8_t funcid_wrapper(const struct gobin *b)
{
	if (b->info.go_minor <= 21)
		return 21;
	return b->info.go_minor <= 24 ? 22 : 23;
}

/* The inlining tree entry idx of f (whose tree is at tree): 0 or -errno. */
static int inl_entry(const struct gobin *b, uint64_t tree, int32_t idx, uint8_t *funcid,
		     const char **name, int32_t *parent_pc)
{
	uint8_t rec[INLINED_CALL_SIZE];

	if (idx < 0 ||
	    gobin__read_vaddr(b, tree + (uint64_t)idx * INLINED_CALL_SIZE, rec, sizeof(rec)))
		return -EFAULT;
	*funcid = rec[0];
	*name = gobin_pcln__name(&b->pcln, (uint32_t)gobin_leword(rec + 4, 4));
	*parent_pc = (int32_t)gobin_leword(rec + 8, 4);
	return *name ? 0 : -EINVAL;
}

/* The inlining tree of f, or 0 when it has none. */
static uint64_t inl_tree(const struct gobin *b, const struct gobin_pcln_func *f)
{
	uint32_t off;
	uint64_t base;

	if (gobin_pcln__funcdata(&b->pcln, f, FUNCDATA_INLTREE, &off))
		return 0;
	base = gobin_gofunc_base((struct gobin *)b); /* lazily found, like the moduledata */
	return base ? base + off : 0;
}

int gobin__pc_frames(const struct gobin *b, uint64_t pc, bool ret, struct gobin_frame *out,
		     size_t max)
{
	struct gobin_pcln_func f;
	struct gobin_pcinfo pi;
	uint64_t tree;
	uint32_t off;
	size_t n = 0;
	int32_t inl = -1;
	int err;

	if (!max)
		return -EINVAL;
	if (ret && pc)
		pc--;
	err = pcln_func_at(b, pc, &f);
	if (err == -ENOENT) {
		/* not Go code: a C function from .symtab (cgo binaries) */
		err = gobin__pc_lookup(b, pc, &pi);
		if (err)
			return err;
		out[0] = (struct gobin_frame){.fn = pi.fn, .file = pi.file, .line = pi.line};
		return 1;
	}
	if (err)
		return err;
	off = (uint32_t)(pc - b->info.text_start);
	tree = inl_tree(b, &f);
	if (tree && gobin_pcln__pcdata(&b->pcln, &f, PCDATA_INLTREEINDEX, off, &inl))
		inl = -1;
	/* runtime/symtabinl.go: each inlined call's position is the pc's own, its caller's the
	 * position of the call (parentPc), up to the function that holds the code */
	for (int depth = 0; inl >= 0 && n + 1 < max && depth < MAX_INLINE_DEPTH; depth++) {
		struct gobin_frame *fr = &out[n];
		int32_t parent_pc;
		uint8_t funcid;

		if (inl_entry(b, tree, inl, &funcid, &fr->fn, &parent_pc) || parent_pc < 0)
			break;
		err = gobin_pcln__line(&b->pcln, &f, off, &fr->file, &fr->line);
		if (err)
			return err;
		fr->inlined = true;
		fr->wrapper = funcid == funcid_wrapper(b);
		n++;
		off = f.entry_off + (uint32_t)parent_pc;
		if (gobin_pcln__pcdata(&b->pcln, &f, PCDATA_INLTREEINDEX, off, &inl))
			inl = -1;
	}
	out[n] = (struct gobin_frame){.fn = f.name,
				      .wrapper = f.funcid == funcid_wrapper(b),
				      /* a cgo callback's goroutine stack begins at cgocallback:
				       * what precedes it is the C caller's, on another stack */
				      .top = (f.flag & FUNCFLAG_TOPFRAME) ||
					     !strcmp(f.name, "runtime.cgocallback")};
	err = gobin_pcln__line(&b->pcln, &f, off, &out[n].file, &out[n].line);
	return err ? err : (int)(n + 1);
}

/* Calls a wrapper makes besides its target: the stack growth at its end, the panics. */
static bool wrapper_helper(const char *fn)
{
	return !strncmp(fn, "runtime.morestack", 17) || !strncmp(fn, "runtime.panic", 13) ||
	       !strcmp(fn, "runtime.gopanic") || !strncmp(fn, "runtime.race", 12);
}

/* The function a wrapper hands over to: the one its FUNCDATA_WrapInfo names (what Go's tracer
 * uses, runtime.startPCForTrace; a `go f(x)` wrapper of a named function has it), else the
 * outermost call it inlined, else its first direct call that is not to the runtime's stack
 * growth or panics. NULL when it calls through a function value or an interface. */
static const char *wrapper_target(const struct gobin *b, const struct gobin_pcln_func *f)
{
	uint64_t tree = inl_tree(b, f), calls[MAX_WRAPPER_CALLS];
	uint64_t entry = b->info.text_start + f->entry_off, base;
	struct gobin_pcinfo pi;
	uint8_t wbuf[4];
	uint32_t wi;
	size_t avail;
	const uint8_t *code;
	int n;

	if (!gobin_pcln__funcdata(&b->pcln, f, FUNCDATA_WRAPINFO, &wi)) {
		base = gobin_gofunc_base((struct gobin *)b);
		if (base && !gobin__read_vaddr(b, base + wi, wbuf, sizeof(wbuf))) {
			uint64_t target = b->info.text_start + gobin_leword(wbuf, 4);

			if (!gobin__pc_lookup(b, target, &pi) && pi.entry == target)
				return pi.fn;
		}
	}

	if (tree) {
		/* the first pc in inlined code: the outermost of its inlined calls is the one the
		 * wrapper made (its frames end with it, then the wrapper's own) */
		for (uint32_t off = f->entry_off; off < f->end_off; off++) {
			struct gobin_frame fr[GOBIN_MAX_PC_FRAMES];
			int32_t inl;

			if (gobin_pcln__pcdata(&b->pcln, f, PCDATA_INLTREEINDEX, off, &inl) ||
			    inl < 0)
				continue;
			n = gobin__pc_frames(b, b->info.text_start + off, false, fr,
					     GOBIN_MAX_PC_FRAMES);
			if (n >= 2)
				return fr[n - 2].wrapper ? NULL : fr[n - 2].fn;
			break;
		}
	}
	code = gobin_vaddr_ptr(b, entry, &avail);
	if (!code || avail < (uint64_t)f->end_off - f->entry_off)
		return NULL;
	n = gobin_disasm__calls(b->arch, code, (size_t)(f->end_off - f->entry_off), entry, calls,
				MAX_WRAPPER_CALLS);
	for (int i = 0; i < n; i++) {
		if (!gobin__pc_lookup(b, calls[i], &pi) && pi.entry == calls[i] &&
		    !wrapper_helper(pi.fn))
			return pi.fn;
	}
	return NULL;
}

int gobin__start_func(const struct gobin *b, uint64_t start_pc, const char **fn,
		      const char **wrapper)
{
	struct gobin_pcln_func f;
	int err;

	*fn = NULL;
	*wrapper = NULL;
	err = pcln_func_at(b, start_pc, &f);
	if (err)
		return err;
	*fn = f.name;
	/* a wrapper of a wrapper (a method value's -fm called from a gowrap) is followed too */
	for (int depth = 0; depth < 4 && f.funcid == funcid_wrapper(b); depth++) {
		const char *target = wrapper_target(b, &f);
		struct gobin_func tf;

		if (!target)
			break;
		if (!*wrapper)
			*wrapper = f.name;
		*fn = target;
		if (gobin__func(b, target, &tf) || pcln_func_at(b, tf.addr, &f))
			break;
	}
	return 0;
}

void gobin_func_print_name(const char *name, int go_minor, char *buf, size_t len)
{
	const char *i = strchr(name, '['), *j;
	const char *rbr = NULL, *lbr = NULL;
	int depth = 1;

	if (!len)
		return;
	j = i ? strrchr(name, ']') : NULL;
	if (!i || !j || j <= i) {
		snprintf(buf, len, "%s", name);
		return;
	}
	/* runtime.funcNamePiecesForPrint: "[...]" for the shape arguments; from Go 1.27 a
	 * generic method of a generic type keeps the text between its two argument lists */
	if (go_minor < 27 || !memchr(i + 1, '[', (size_t)(j - i - 1))) {
		snprintf(buf, len, "%.*s[...]%s", (int)(i - name), name, j + 1);
		return;
	}
	for (const char *k = i + 1; k < j; k++) {
		if (*k == '[') {
			if (++depth != 1)
				continue;
			lbr = k;
			break;
		}
		if (*k == ']') {
			if (--depth < 0)
				break;
			if (!depth)
				rbr = k;
		}
	}
	if (depth == 1 && rbr && lbr > rbr)
		snprintf(buf, len, "%.*s[...]%.*s[...]%s", (int)(i - name), name,
			 (int)(lbr - rbr - 1), rbr + 1, j + 1);
	else if (depth == 1 && !rbr && !lbr)
		snprintf(buf, len, "%.*s[...]%s", (int)(i - name), name, j + 1);
	else
		snprintf(buf, len, "%s", name);
}

int gobin__for_each_indirect_wrapper(const struct gobin *b,
				     int (*fn)(uint64_t entry, const struct gobin_wrapper_call *c,
					       void *ctx),
				     void *ctx)
{
	uint8_t wrapper = funcid_wrapper(b);

	for (uint64_t i = 0; i < b->pcln.nfunc; i++) {
		struct gobin_wrapper_call call;
		struct gobin_pcln_func f;
		uint64_t entry;
		const uint8_t *code;
		size_t avail;
		int ret;

		if (gobin_pcln__func(&b->pcln, i, &f) || f.funcid != wrapper)
			continue;
		entry = b->info.text_start + f.entry_off;
		code = gobin_vaddr_ptr(b, entry, &avail);
		/* the decoding first: it rules out most wrappers (a direct call comes first) far
		 * more cheaply than looking for a callee they name */
		if (!code || avail < (uint64_t)f.end_off - f.entry_off ||
		    gobin_disasm__closure_call(b->arch, code, (size_t)(f.end_off - f.entry_off),
					       &call) ||
		    wrapper_target(b, &f))
			continue;
		ret = fn(entry, &call, ctx);
		if (ret)
			return ret;
	}
	return 0;
}
