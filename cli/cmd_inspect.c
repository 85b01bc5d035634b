// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop inspect: what recording relies on in a Go binary.
 *
 *   xgotop inspect BINARY [--json] [--func NAME]... [--pc ADDR]... [--type ADDR]...
 *   xgotop inspect --pid PID [--json] [--func NAME]... [--pc ADDR]... [--type ADDR]...
 *
 * Without --func/--pc it prints the binary's Go version and build settings, how it was linked,
 * where the text start comes from, every runtime function xgotop hooks (now or later) with its
 * address, file offset (what a uprobe attaches to), size, RET offsets and the probe offset with
 * the instruction there, then the runtime struct offsets and wait reasons. --func NAME lists
 * only the named functions; --pc ADDR (hex, "0x" optional) maps an address to function and
 * file:line; with --pid, ADDR is an address in that process and the load bias is subtracted.
 * --type ADDR names the type descriptor (internal/abi.Type) at ADDR, as mallocgc receives it.
 *
 * Exit status: 0 ok; 1 a run-time failure (e.g. the process vanished); 2 bad usage or bad
 * input (not ELF, not Go, truncated, Go older than 1.21, newer than known without DWARF).
 *
 * JSON (--json): one object on one line. Errors are {"error": "<message>"} instead.
 *
 *   file                string   the path read (/proc/PID/exe with --pid)
 *   pid, exe            number, string      only with --pid (exe: readlink of /proc/PID/exe)
 *   load_bias           "0x.."   only with --pid: runtime address - link-time address
 *   go_version          string   as recorded, e.g. "go1.27.4" or "go1.26.1-X:exp"
 *   go_major, go_minor, go_patch   numbers
 *   goarch, path, module, buildmode, goexperiment   strings ("" when absent)
 *   cgo                 bool     CGO_ENABLED=1
 *   build_settings      object   every "build" line: {"-buildmode": "exe", "GOARCH": ...}
 *   pie, stripped, dwarf  bool   ET_DYN; no .symtab; .debug_info present
 *   build_id, build_id_kind   string, "gnu" | "go" | ""
 *   text_start          "0x.."   base of the pclntab entry offsets (runtime.text)
 *   text_start_from     string   "symtab runtime.text" | "pclntab header" | "moduledata ..."
 *   functions_from      string   "symtab" | "pclntab"
 *   size_specialized_malloc  bool   runtime.mallocgc*SC* functions exist (1.27, experiment)
 *   warning             string   only when there is one
 *   functions           array    (absent when only --pc/--type are given) of
 *       {"name": s, "present": false}, or
 *       {"name": s, "present": true, "addr": "0x..", "file_off": "0x..", "size": n,
 *        "probe_off": n, "probe_insn": s, "probe_emulated": b, "ret_offs": [n, ...],
 *        "rets_truncated": b}   offsets are from the function's entry; a function that cannot
 *        be decoded has "error": s instead of the probe fields
 *   pcs                 array    only with --pc:
 *       {"pc": "0x..", "found": false} or {"pc": "0x..", "found": true, "func": s,
 *        "entry": "0x..", "offset": n, "file": s, "line": n}   (link-time addresses)
 *   offsets             object   without --func/--pc/--type: {"source": "dwarf" | "table go1.NN",
 *                                "warning": s (when any), "<struct>.<field>": n | null, ...}
 *                                e.g. "runtime.g.goid": 152, "runtime.m.curg": 184 (null:
 *                                unknown); the fields of gobin/offsets_fields.h
 *   waitreasons         array    with offsets: the string of each wait reason, by number
 *   offsets_error       string   instead of offsets/waitreasons when they cannot be had
 *                                (exit status 2)
 *   types               array    only with --type: {"addr": "0x..", "found": false} or
 *       {"addr": "0x..", "found": true, "name": s}   (link-time addresses)
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "gobin/gobin.h"
#include "util/err.h"
#include "util/jsonw.h"

#define MAX_QUERIES 256
#define MAX_FUNCS   512

/* Runtime functions xgotop hooks now or later; every runtime.mallocgc* function is listed
 * after runtime.mallocgc. */
static const char *const hooked[] = {
    "runtime.newproc1",
    "runtime.newproc",
    "runtime.newproc.func1",
    "runtime.runqput",
    "runtime.gdestroy",
    "runtime.goexit0",
    "runtime.goexit1",
    "runtime.casgstatus",
    "runtime.casGToPreemptScan",
    "runtime.casGFromPreempted",
    "runtime.reentersyscall",
    "runtime.entersyscall",
    "runtime.entersyscallblock",
    "runtime.exitsyscall",
    "runtime.coroswitch_m",
    "runtime.mallocgc",
    "runtime.(*mcache).refill",
    "runtime.profilealloc",
    "runtime.gcStart",
    "runtime.gcBgMarkStartWorkers",
    "runtime.gcMarkTermination",
    "runtime.(*gcControllerState).startCycle",
    "runtime.(*gcControllerState).endCycle",
};

/* The name inspect shows for offset field f within its Go struct: "sched.sp", "size". */
static const char *field_label(const struct gobin_off_field *f)
{
	return f->path[0] ? f->path : "size";
}

struct opts {
	bool json;
	int pid;
	const char *funcs[MAX_QUERIES];
	int nfuncs;
	uint64_t pcs[MAX_QUERIES];
	int npcs;
	uint64_t types[MAX_QUERIES];
	int ntypes;
};

/* one row of the function table */
struct row {
	const char *name;
	bool present;
	struct gobin_func f;
	struct gobin_probe_site site;
	int err;
	char errmsg[512];
};

static void usage(FILE *f)
{
	fputs(
	    "usage: xgotop inspect BINARY [--json] [--func NAME]... [--pc ADDR]... [--type ADDR]...\n"
	    "       xgotop inspect --pid PID [OPTIONS]\n\n"
	    "Shows what xgotop relies on in a Go binary: version, build settings, the runtime\n"
	    "functions it hooks (address, file offset, RET offsets, probe offset), struct\n"
	    "offsets and wait reasons.\n\n"
	    "  -j, --json         one JSON object (schema in cli/cmd_inspect.c)\n"
	    "  -f, --func NAME    only this function (repeatable), e.g. runtime.casgstatus\n"
	    "  -p, --pc ADDR      function and file:line of ADDR (hex; repeatable)\n"
	    "  -t, --type ADDR    name of the type descriptor at ADDR (hex; repeatable)\n"
	    "  -P, --pid PID      the executable of a running process; ADDRs are its addresses\n"
	    "  -h, --help         this text\n",
	    f);
}

static int parse_hex(const char *s, uint64_t *v)
{
	char *end;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	if (!*s)
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 16);
	return errno || *end ? -EINVAL : 0;
}

static void add_row(struct row *rows, int *n, const struct gobin *b, const char *name)
{
	struct row *r;

	for (int i = 0; i < *n; i++)
		if (!strcmp(rows[i].name, name))
			return;
	if (*n >= MAX_FUNCS)
		return;
	r = &rows[(*n)++];
	memset(r, 0, sizeof(*r));
	r->name = name;
	if (gobin__func(b, name, &r->f))
		return;
	r->present = true;
	r->err = gobin__probe_site(b, &r->f, &r->site);
	if (r->err)
		snprintf(r->errmsg, sizeof(r->errmsg), "%s", xg_errmsg());
}

struct family {
	const char *names[MAX_FUNCS];
	int n;
};

static int collect_family(const struct gobin_func *f, void *ctx)
{
	struct family *fam = ctx;

	if (fam->n < MAX_FUNCS)
		fam->names[fam->n++] = f->name;
	return 0;
}

static int cmp_version_str(const void *a, const void *b)
{
	return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

static int build_rows(const struct gobin *b, const struct opts *o, struct row *rows)
{
	struct family fam = {.n = 0};
	int n = 0;

	if (o->nfuncs) {
		for (int i = 0; i < o->nfuncs; i++)
			add_row(rows, &n, b, o->funcs[i]);
		return n;
	}
	gobin__for_each_func(b, "runtime.mallocgc", collect_family, &fam);
	qsort(fam.names, (size_t)fam.n, sizeof(fam.names[0]), cmp_version_str);
	for (size_t i = 0; i < sizeof(hooked) / sizeof(hooked[0]); i++) {
		add_row(rows, &n, b, hooked[i]);
		if (!strcmp(hooked[i], "runtime.mallocgc"))
			for (int k = 0; k < fam.n; k++)
				add_row(rows, &n, b, fam.names[k]);
	}
	return n;
}

/* --- the header: one description, two emitters ---------------------------------------------- */

enum hval {
	HV_NONE,
	HV_STR,
	HV_INT,
	HV_BOOL,
	HV_HEX,
	HV_SETTINGS, /* the build settings: "build k=v ..." (but DefaultGODEBUG), a JSON object */
};

/* One entry of the header: a text line "label text", a JSON field "key": value, or both, in
 * the order of both outputs. */
struct hitem {
	const char *label; /* the text line's label; NULL: JSON only */
	const char *key;   /* the JSON field; NULL: text only */
	enum hval type;	   /* the JSON value */
	const char *s;	   /* HV_STR */
	int64_t i;	   /* HV_INT, HV_BOOL */
	uint64_t x;	   /* HV_HEX */
	const char *text;  /* the text line's value: s unless set */
	char *owned;	   /* text, when formatted */
};

#define MAX_HITEMS 40

struct header {
	const struct gobin *b;
	struct hitem it[MAX_HITEMS];
	int n;
};

static struct hitem *hitem(struct header *h, const char *label, const char *key, enum hval type)
{
	struct hitem *it = &h->it[h->n++];

	memset(it, 0, sizeof(*it));
	it->label = label;
	it->key = key;
	it->type = type;
	return it;
}

static struct hitem *hstr(struct header *h, const char *label, const char *key, const char *s)
{
	struct hitem *it = hitem(h, label, key, HV_STR);

	it->s = it->text = s;
	return it;
}

static void hint(struct header *h, const char *key, int64_t v, enum hval type)
{
	hitem(h, NULL, key, type)->i = v;
}

/* Sets the text of it. 0 or -ENOMEM. */
__attribute__((format(printf, 2, 3))) static int htext(struct hitem *it, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&it->owned, fmt, ap);
	va_end(ap);
	if (n < 0) {
		it->owned = NULL;
		return -ENOMEM;
	}
	it->text = it->owned;
	return 0;
}

static void header__free(struct header *h)
{
	for (int i = 0; h && i < h->n; i++)
		free(h->it[i].owned);
	free(h);
}

/* What inspect says about the binary before the functions. NULL on out of memory. */
static struct header *header__new(const struct gobin *b, const struct opts *o, const char *exe,
				  uint64_t bias)
{
	const struct gobin_info *in = gobin__info(b);
	struct header *h = calloc(1, sizeof(*h));
	const char *k, *v, *godebug = NULL;
	struct hitem *it;
	int err = 0;

	if (!h)
		return NULL;
	h->b = b;
	for (size_t i = 0; gobin__build_setting_at(b, i, &k, &v); i++)
		if (!strcmp(k, "DefaultGODEBUG"))
			godebug = v;
	hstr(h, "file", "file", gobin__path(b));
	if (o->pid) {
		it = hitem(h, "pid", "pid", HV_INT);
		it->i = o->pid;
		err = err ?: htext(it, "%d (%s)", o->pid, exe);
		hstr(h, NULL, "exe", exe);
		it = hitem(h, "load bias", "load_bias", HV_HEX);
		it->x = bias;
		err = err ?: htext(it, "0x%" PRIx64, bias);
	}
	it = hstr(h, "go", "go_version", in->go_version);
	err = err ?: htext(it, "%s %s", in->go_version, in->goarch);
	hint(h, "go_major", in->go_major, HV_INT);
	hint(h, "go_minor", in->go_minor, HV_INT);
	hint(h, "go_patch", in->go_patch, HV_INT);
	hstr(h, NULL, "goarch", in->goarch);
	if (in->warning[0])
		hstr(h, "warning", NULL, in->warning); /* JSON has it last */
	hstr(h, "path", "path", in->path)->text = in->path[0] ? in->path : "-";
	hstr(h, "module", "module", in->module)->text = in->module[0] ? in->module : "-";
	hstr(h, NULL, "buildmode", in->buildmode);
	hstr(h, NULL, "goexperiment", in->goexperiment);
	hint(h, "cgo", in->cgo, HV_BOOL);
	hitem(h, "build", "build_settings", HV_SETTINGS);
	if (godebug)
		hstr(h, "godebug", NULL, godebug);
	it = hitem(h, "binary", "pie", HV_BOOL);
	it->i = in->pie;
	err = err
		  ?: htext(it, "%s, %s, %s", in->pie ? "PIE" : "not PIE",
			   in->has_symtab ? "not stripped" : "stripped (no .symtab)",
			   in->has_dwarf ? "DWARF" : "no DWARF");
	hint(h, "stripped", !in->has_symtab, HV_BOOL);
	hint(h, "dwarf", in->has_dwarf, HV_BOOL);
	it = hstr(h, "build id", "build_id", in->build_id);
	err = err
		  ?: htext(it, "%s%s%s%s", in->build_id[0] ? in->build_id : "-",
			   in->build_id_kind[0] ? " (" : "", in->build_id_kind,
			   in->build_id_kind[0] ? ")" : "");
	hstr(h, NULL, "build_id_kind", in->build_id_kind);
	it = hitem(h, "text start", "text_start", HV_HEX);
	it->x = in->text_start;
	err = err ?: htext(it, "0x%" PRIx64 " (from %s)", in->text_start, in->text_start_from);
	hstr(h, NULL, "text_start_from", in->text_start_from);
	hstr(h, "functions", "functions_from", in->has_symtab ? "symtab" : "pclntab")->text =
	    in->has_symtab ? "from .symtab (sizes and lines from .gopclntab)" : "from .gopclntab";
	it = hitem(h, "mallocgc", "size_specialized_malloc", HV_BOOL);
	it->i = in->size_specialized_malloc;
	it->text = in->size_specialized_malloc
		       ? "size-specialized (runtime.mallocgc*SC* bypass mallocgc for small sizes)"
		       : "one entry point (runtime.mallocgc)";
	if (in->warning[0])
		hstr(h, NULL, "warning", in->warning);
	if (err) {
		header__free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

static void header__print(const struct header *h)
{
	const char *k, *v;

	for (int i = 0; i < h->n; i++) {
		const struct hitem *it = &h->it[i];

		if (!it->label)
			continue;
		if (it->type != HV_SETTINGS) {
			printf("%-12s %s\n", it->label, it->text);
			continue;
		}
		printf("%-12s", it->label);
		for (size_t j = 0; gobin__build_setting_at(h->b, j, &k, &v); j++)
			if (strcmp(k, "DefaultGODEBUG") != 0)
				printf(" %s=%s", k, v);
		printf("\n");
	}
}

static void header__json(const struct header *h, struct jsonw *w)
{
	const char *k, *v;

	for (int i = 0; i < h->n; i++) {
		const struct hitem *it = &h->it[i];

		switch (it->key ? it->type : HV_NONE) {
		case HV_NONE:
			break;
		case HV_STR:
			jsonw_string_field(w, it->key, it->s);
			break;
		case HV_INT:
			jsonw_int_field(w, it->key, it->i);
			break;
		case HV_BOOL:
			jsonw_bool_field(w, it->key, it->i != 0);
			break;
		case HV_HEX:
			jsonw_hex_field(w, it->key, it->x);
			break;
		case HV_SETTINGS:
			jsonw_name(w, it->key);
			jsonw_start_object(w);
			for (size_t j = 0; gobin__build_setting_at(h->b, j, &k, &v); j++)
				jsonw_string_field(w, k, v);
			jsonw_end_object(w);
			break;
		}
	}
}

/* --- --pc and --type: one description each, two emitters ------------------------------------ */

/* What inspect says about a --pc address. */
struct pc_desc {
	uint64_t pc; /* link-time address */
	bool found;  /* a function holds pc; pi describes it */
	struct gobin_pcinfo pi;
	/* the frames pc stands for, innermost first, as Go prints them: the functions inlined
	 * there, then the one holding the code; names[k] is fr[k]'s function as Go prints it */
	int nframes;
	struct gobin_frame fr[GOBIN_MAX_PC_FRAMES];
	char names[GOBIN_MAX_PC_FRAMES][512];
};

static void pc_describe(const struct gobin *b, uint64_t pc, struct pc_desc *d)
{
	int n;

	d->pc = pc;
	d->nframes = 0;
	d->found = !gobin__pc_lookup(b, pc, &d->pi);
	if (!d->found)
		return;
	n = gobin__pc_frames(b, pc, false, d->fr, GOBIN_MAX_PC_FRAMES);
	d->nframes = n > 0 ? n : 0;
	for (int k = 0; k < d->nframes; k++)
		gobin_func_print_name(d->fr[k].fn, gobin__info(b)->go_minor, d->names[k],
				      sizeof(d->names[k]));
}

/* What inspect says about a --type address. */
struct type_desc {
	uint64_t addr; /* link-time address */
	bool found;    /* a type descriptor is there, named name; else errmsg says why not */
	char name[512];
	char errmsg[512];
};

static void type_describe(const struct gobin *b, uint64_t addr, struct type_desc *d)
{
	d->addr = addr;
	d->found = !gobin__type_name(b, addr, d->name, sizeof(d->name));
	if (!d->found)
		snprintf(d->errmsg, sizeof(d->errmsg), "%s", xg_errmsg());
}

/* --- human output --------------------------------------------------------------------------- */

static void print_offsets(const struct go_offsets *off, int err, const char *errmsg)
{
	const char *st = NULL;
	int col = 0;

	if (err) {
		printf("\nstruct offsets: error: %s\n", errmsg);
		return;
	}
	printf("\nstruct offsets (from %s)\n", off->source ? off->source : "?");
	if (off->warning[0])
		printf("  warning: %s\n", off->warning);
	for (size_t i = 0; i < GO_OFF_NFIELDS; i++) {
		const struct gobin_off_field *f = &gobin_off_fields[i];
		int32_t v = gobin_off_field__get(off, f);
		char cell[64];

		if (!st || strcmp(st, f->gotype) != 0) {
			st = f->gotype;
			printf("%s%s\n", col ? "\n" : "", st);
			col = 0;
		}
		if (v == GO_OFF_UNKNOWN)
			snprintf(cell, sizeof(cell), "%s -", field_label(f));
		else
			snprintf(cell, sizeof(cell), "%s %d", field_label(f), v);
		/* pad only when another cell follows on this line */
		if (col < 3 && i + 1 < GO_OFF_NFIELDS &&
		    !strcmp(gobin_off_fields[i + 1].gotype, st))
			printf("  %-24s", cell);
		else
			printf("  %s", cell);
		if (++col == 4) {
			printf("\n");
			col = 0;
		}
	}
	if (col)
		printf("\n");
	printf("\nwait reasons (%u)\n", off->nwaitreasons);
	col = 0;
	for (uint32_t i = 0; i < off->nwaitreasons && i < GO_MAX_WAITREASONS; i++) {
		char cell[64];

		snprintf(cell, sizeof(cell), "%2u %s", i,
			 off->waitreason[i][0] ? off->waitreason[i] : "\"\"");
		if (col < 2 && i + 1 < off->nwaitreasons && i + 1 < GO_MAX_WAITREASONS)
			printf("  %-34s", cell);
		else
			printf("  %s", cell);
		if (++col == 3) {
			printf("\n");
			col = 0;
		}
	}
	if (col)
		printf("\n");
}

static void format_rets(const struct gobin_probe_site *s, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < s->nret && pos < len; i++)
		pos +=
		    (size_t)snprintf(buf + pos, len - pos, "%s+0x%x", i ? " " : "", s->ret_offs[i]);
	if (s->rets_truncated && pos < len)
		snprintf(buf + pos, len - pos, " ...");
	if (!s->nret)
		snprintf(buf, len, "none");
}

static void print_rows(const struct row *rows, int n)
{
	char rets[GOBIN_MAX_RETS * 10], probe[96];

	printf("\n%-44s %-10s %-9s %6s  %-22s %-4s %s\n", "FUNCTION", "ADDRESS", "FILE OFF", "SIZE",
	       "PROBE", "EMU", "RET OFFSETS");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (!r->present) {
			printf("%-44s absent\n", r->name);
			continue;
		}
		printf("%-44s 0x%-8" PRIx64 " 0x%-7" PRIx64 " %6" PRIu64 "  ", r->name, r->f.addr,
		       r->f.file_off, r->f.size);
		if (r->err) {
			printf("error: %s\n", r->errmsg);
			continue;
		}
		snprintf(probe, sizeof(probe), "+0x%x %s", r->site.probe_off, r->site.insn);
		format_rets(&r->site, rets, sizeof(rets));
		printf("%-22s %-4s %s\n", probe, r->site.emulated ? "yes" : "no", rets);
	}
	printf("(file offsets are what uprobes attach to; EMU: the kernel emulates the probed\n"
	       " instruction, one trap instead of two)\n");
}

static void print_types(const struct gobin *b, const struct opts *o, uint64_t bias)
{
	struct type_desc d;

	printf("\n");
	for (int i = 0; i < o->ntypes; i++) {
		type_describe(b, o->types[i] - bias, &d);
		if (!d.found)
			printf("0x%" PRIx64 "  not a type: %s\n", d.addr, d.errmsg);
		else
			printf("0x%" PRIx64 "  type %s\n", d.addr, d.name);
	}
}

static void print_pcs(const struct gobin *b, const struct opts *o, uint64_t bias)
{
	struct pc_desc *d = calloc(1, sizeof(*d));

	printf("\n");
	for (int i = 0; d && i < o->npcs; i++) {
		pc_describe(b, o->pcs[i] - bias, d);
		if (!d->nframes) {
			printf("0x%" PRIx64 "  not in any function\n", d->pc);
			continue;
		}
		for (int k = 0; k < d->nframes; k++) {
			const struct gobin_frame *f = &d->fr[k];
			char at[24];
			int w;

			w = snprintf(at, sizeof(at), "0x%" PRIx64, d->pc);
			printf("%-*s  ", w, k ? "" : at);
			if (f->inlined)
				printf("%s(...)", d->names[k]);
			else
				printf("%s+0x%" PRIx64, d->names[k], d->pc - d->pi.entry);
			printf("  %s:%u\n", f->file[0] ? f->file : "?", f->line);
		}
	}
	free(d);
}

/* --- JSON output ---------------------------------------------------------------------------- */

static void json_rows(struct jsonw *w, const struct row *rows, int n)
{
	jsonw_name(w, "functions");
	jsonw_start_array(w);
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "name", r->name);
		jsonw_bool_field(w, "present", r->present);
		if (r->present) {
			jsonw_hex_field(w, "addr", r->f.addr);
			jsonw_hex_field(w, "file_off", r->f.file_off);
			jsonw_uint_field(w, "size", r->f.size);
			if (r->err) {
				jsonw_string_field(w, "error", r->errmsg);
			} else {
				jsonw_uint_field(w, "probe_off", r->site.probe_off);
				jsonw_string_field(w, "probe_insn", r->site.insn);
				jsonw_bool_field(w, "probe_emulated", r->site.emulated);
				jsonw_name(w, "ret_offs");
				jsonw_start_array(w);
				for (uint32_t k = 0; k < r->site.nret; k++)
					jsonw_uint(w, r->site.ret_offs[k]);
				jsonw_end_array(w);
				jsonw_bool_field(w, "rets_truncated", r->site.rets_truncated);
			}
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void json_pcs(struct jsonw *w, const struct gobin *b, const struct opts *o, uint64_t bias)
{
	struct pc_desc *d = calloc(1, sizeof(*d));

	jsonw_name(w, "pcs");
	jsonw_start_array(w);
	for (int i = 0; d && i < o->npcs; i++) {
		pc_describe(b, o->pcs[i] - bias, d);
		jsonw_start_object(w);
		jsonw_hex_field(w, "pc", d->pc);
		jsonw_bool_field(w, "found", d->found);
		if (d->found) {
			/* func: the function holding the code; file:line: the pc's own position
			 * (objdump's), which is the innermost inlined call's; frames: all of them
			 */
			jsonw_string_field(w, "func", d->pi.fn);
			jsonw_hex_field(w, "entry", d->pi.entry);
			jsonw_uint_field(w, "offset", d->pc - d->pi.entry);
			jsonw_string_field(w, "file", d->pi.file);
			jsonw_uint_field(w, "line", d->pi.line);
			jsonw_name(w, "frames");
			jsonw_start_array(w);
			for (int k = 0; k < d->nframes; k++) {
				jsonw_start_object(w);
				jsonw_string_field(w, "func", d->names[k]);
				jsonw_string_field(w, "file", d->fr[k].file);
				jsonw_uint_field(w, "line", d->fr[k].line);
				jsonw_bool_field(w, "inlined", d->fr[k].inlined);
				jsonw_end_object(w);
			}
			jsonw_end_array(w);
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	free(d);
}

static void json_offsets(struct jsonw *w, const struct go_offsets *off, int err, const char *errmsg)
{
	char key[96];

	if (err) {
		jsonw_string_field(w, "offsets_error", errmsg);
		return;
	}
	jsonw_name(w, "offsets");
	jsonw_start_object(w);
	jsonw_string_field(w, "source", off->source ? off->source : "");
	if (off->warning[0])
		jsonw_string_field(w, "warning", off->warning);
	for (size_t i = 0; i < GO_OFF_NFIELDS; i++) {
		const struct gobin_off_field *f = &gobin_off_fields[i];
		int32_t v = gobin_off_field__get(off, f);

		snprintf(key, sizeof(key), "%s.%s", f->gotype, field_label(f));
		jsonw_name(w, key);
		if (v == GO_OFF_UNKNOWN)
			jsonw_null(w);
		else
			jsonw_int(w, v);
	}
	jsonw_end_object(w);
	jsonw_name(w, "waitreasons");
	jsonw_start_array(w);
	for (uint32_t i = 0; i < off->nwaitreasons && i < GO_MAX_WAITREASONS; i++)
		jsonw_string_len(w, off->waitreason[i],
				 strnlen(off->waitreason[i], GO_WAITREASON_LEN));
	jsonw_end_array(w);
}

static void json_types(struct jsonw *w, const struct gobin *b, const struct opts *o, uint64_t bias)
{
	struct type_desc d;

	jsonw_name(w, "types");
	jsonw_start_array(w);
	for (int i = 0; i < o->ntypes; i++) {
		type_describe(b, o->types[i] - bias, &d);
		jsonw_start_object(w);
		jsonw_hex_field(w, "addr", d.addr);
		jsonw_bool_field(w, "found", d.found);
		if (d.found)
			jsonw_string_field(w, "name", d.name);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

/* --- the command ---------------------------------------------------------------------------- */

static int cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"func", required_argument, NULL, 'f'},
	    {"pc", required_argument, NULL, 'p'},
	    {"type", required_argument, NULL, 't'},
	    {"pid", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {.json = false};
	char procexe[64], exe[PATH_MAX] = "";
	const char *path;
	struct gobin *b = NULL;
	struct row *rows = NULL;
	struct jsonw *w = NULL;
	struct go_offsets *off = NULL;
	struct header *h = NULL;
	char offmsg[1024] = "";
	bool full;
	int offerr = 0;
	uint64_t bias = 0;
	int c, nrows = 0, ret = XG_EXIT_OK, err;

	/* --json anywhere makes even option errors JSON */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			o.json = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":jf:p:t:P:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			break;
		case 'f':
			if (o.nfuncs < MAX_QUERIES)
				o.funcs[o.nfuncs++] = optarg;
			break;
		case 'p':
			if (o.npcs >= MAX_QUERIES)
				break;
			if (parse_hex(optarg, &o.pcs[o.npcs])) {
				xg_report_error(o.json, "inspect", "--pc %s: not a hex address",
						optarg);
				return XG_EXIT_USAGE;
			}
			o.npcs++;
			break;
		case 't':
			if (o.ntypes >= MAX_QUERIES)
				break;
			if (parse_hex(optarg, &o.types[o.ntypes])) {
				xg_report_error(o.json, "inspect", "--type %s: not a hex address",
						optarg);
				return XG_EXIT_USAGE;
			}
			o.ntypes++;
			break;
		case 'P': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v <= 0 || v > INT_MAX) {
				xg_report_error(o.json, "inspect", "--pid %s: not a process id",
						optarg);
				return XG_EXIT_USAGE;
			}
			o.pid = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return XG_EXIT_OK;
		case ':':
			xg_report_error(o.json, "inspect", "option %s needs an argument",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		default:
			xg_report_error(o.json, "inspect", "unknown option %s; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		}
	}
	if (o.pid && optind == argc) {
		ssize_t n;

		snprintf(procexe, sizeof(procexe), "/proc/%d/exe", o.pid);
		n = readlink(procexe, exe, sizeof(exe) - 1);
		if (n < 0) {
			xg_report_error(o.json, "inspect", "process %d: %s", o.pid,
					strerror(errno));
			return XG_EXIT_FAIL;
		}
		exe[n] = '\0';
		path = procexe;
	} else if (!o.pid && optind == argc - 1) {
		path = argv[optind];
	} else {
		if (!o.json)
			usage(stderr);
		else
			xg_report_error(true, "inspect", "expected one BINARY or --pid PID");
		return XG_EXIT_USAGE;
	}

	b = gobin__open(path);
	if (!b) {
		int e = errno;

		xg_report_error(o.json, "inspect", "%s", xg_errmsg());
		/* a process that vanished or is not ours is a run-time failure, not bad input */
		if (o.pid && (e == ENOENT || e == ESRCH || e == EACCES || e == EPERM))
			return XG_EXIT_FAIL;
		return XG_EXIT_USAGE;
	}
	if (gobin__info(b)->warning[0] && !o.json)
		fprintf(stderr, "xgotop inspect: warning: %s: %s\n", path, gobin__info(b)->warning);
	if (o.pid) {
		err = gobin__load_bias(b, o.pid, &bias);
		if (err) {
			xg_report_error(o.json, "inspect", "%s", xg_errmsg());
			ret = XG_EXIT_FAIL;
			goto out;
		}
	}
	rows = calloc(MAX_FUNCS, sizeof(*rows));
	h = header__new(b, &o, exe, bias);
	if (!rows || !h) {
		xg_report_error(o.json, "inspect", "out of memory");
		ret = XG_EXIT_FAIL;
		goto out;
	}
	full = !o.nfuncs && !o.npcs && !o.ntypes;
	if (o.nfuncs || full)
		nrows = build_rows(b, &o, rows);
	if (full) {
		off = calloc(1, sizeof(*off));
		if (!off) {
			xg_report_error(o.json, "inspect", "out of memory");
			ret = XG_EXIT_FAIL;
			goto out;
		}
		offerr = gobin__offsets(b, off);
		if (offerr) {
			snprintf(offmsg, sizeof(offmsg), "%s", xg_errmsg());
			ret = XG_EXIT_USAGE; /* recording would fail on this binary */
		}
	}
	for (int i = 0; i < nrows; i++)
		if (rows[i].err)
			ret = XG_EXIT_USAGE; /* a hooked function that does not decode: bad input */

	if (o.json) {
		w = jsonw_new(stdout);
		if (!w) {
			xg_report_error(true, "inspect", "out of memory");
			ret = XG_EXIT_FAIL;
			goto out;
		}
		jsonw_start_object(w);
		header__json(h, w);
		if (o.nfuncs || full)
			json_rows(w, rows, nrows);
		if (o.npcs)
			json_pcs(w, b, &o, bias);
		if (o.ntypes)
			json_types(w, b, &o, bias);
		if (full)
			json_offsets(w, off, offerr, offmsg);
		jsonw_end_object(w);
		jsonw_newline(w);
	} else {
		header__print(h);
		if (o.nfuncs || full)
			print_rows(rows, nrows);
		if (o.npcs)
			print_pcs(b, &o, bias);
		if (o.ntypes)
			print_types(b, &o, bias);
		if (full)
			print_offsets(off, offerr, offmsg);
		for (int i = 0; i < nrows; i++) {
			if (rows[i].err) {
				xg_report_error(false, "inspect", "%s", rows[i].errmsg);
				break;
			}
		}
		if (offerr)
			xg_report_error(false, "inspect", "%s", offmsg);
	}
out:
	jsonw_free(w);
	header__free(h);
	free(off);
	free(rows);
	gobin__close(b);
	return ret;
}
XG_COMMAND("inspect", cmd_inspect, "show what xgotop relies on in a Go binary");
