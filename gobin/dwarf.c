// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A bounded DWARF 2-5 reader for Go runtime structure offsets (gobin/dwarf.h).
 *
 * One linear pass over .debug_info records the units and, at any depth, the first structure
 * type with each wanted name and every runtime.waitReason constant. Then each wanted offset
 * is resolved by walking the members of its structure, following DW_AT_type
 * (through typedefs) for nested paths such as sched.sp. Only the attributes needed are
 * decoded; everything else is skipped by its form. Every read is bounded by its section.
 */
#include <errno.h>
#include <gelf.h>
#include <stdarg.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "gobin/dwarf.h"
#include "util/err.h"

/* tags, attributes and forms used here (DWARF 5, section 7.5) */
enum {
	DW_TAG_member = 0x0d,
	DW_TAG_structure_type = 0x13,
	DW_TAG_typedef = 0x16,
	DW_TAG_compile_unit = 0x11,
	DW_TAG_constant = 0x27,

	DW_AT_name = 0x03,
	DW_AT_byte_size = 0x0b,
	DW_AT_const_value = 0x1c,
	DW_AT_data_member_location = 0x38,
	DW_AT_type = 0x49,
	DW_AT_str_offsets_base = 0x72,

	DW_FORM_addr = 0x01,
	DW_FORM_block2 = 0x03,
	DW_FORM_block4 = 0x04,
	DW_FORM_data2 = 0x05,
	DW_FORM_data4 = 0x06,
	DW_FORM_data8 = 0x07,
	DW_FORM_string = 0x08,
	DW_FORM_block = 0x09,
	DW_FORM_block1 = 0x0a,
	DW_FORM_data1 = 0x0b,
	DW_FORM_flag = 0x0c,
	DW_FORM_sdata = 0x0d,
	DW_FORM_strp = 0x0e,
	DW_FORM_udata = 0x0f,
	DW_FORM_ref_addr = 0x10,
	DW_FORM_ref1 = 0x11,
	DW_FORM_ref2 = 0x12,
	DW_FORM_ref4 = 0x13,
	DW_FORM_ref8 = 0x14,
	DW_FORM_ref_udata = 0x15,
	DW_FORM_indirect = 0x16,
	DW_FORM_sec_offset = 0x17,
	DW_FORM_exprloc = 0x18,
	DW_FORM_flag_present = 0x19,
	DW_FORM_strx = 0x1a,
	DW_FORM_addrx = 0x1b,
	DW_FORM_ref_sup4 = 0x1c,
	DW_FORM_strp_sup = 0x1d,
	DW_FORM_data16 = 0x1e,
	DW_FORM_line_strp = 0x1f,
	DW_FORM_ref_sig8 = 0x20,
	DW_FORM_implicit_const = 0x21,
	DW_FORM_loclistx = 0x22,
	DW_FORM_rnglistx = 0x23,
	DW_FORM_ref_sup8 = 0x24,
	DW_FORM_strx1 = 0x25,
	DW_FORM_strx2 = 0x26,
	DW_FORM_strx3 = 0x27,
	DW_FORM_strx4 = 0x28,
	DW_FORM_addrx1 = 0x29,
	DW_FORM_addrx2 = 0x2a,
	DW_FORM_addrx3 = 0x2b,
	DW_FORM_addrx4 = 0x2c,
	DW_FORM_GNU_addr_index = 0x1f01,
	DW_FORM_GNU_str_index = 0x1f02,
	DW_FORM_GNU_ref_alt = 0x1f20,
	DW_FORM_GNU_strp_alt = 0x1f21,

	DW_OP_constu = 0x10,
	DW_OP_plus_uconst = 0x23,

	DW_UT_compile = 0x01,
	DW_UT_type = 0x02,
	DW_UT_partial = 0x03,
	DW_UT_skeleton = 0x04,
	DW_UT_split_compile = 0x05,
	DW_UT_split_type = 0x06,
};

#define MAX_SECTION_SIZE  (1ULL << 30) /* decompressed debug section */
#define MAX_TYPEDEF_HOPS  8
#define MAX_PATH_PARTS	  4
#define MAX_ABBREV_CACHE  4
#define WAITREASON_PREFIX "runtime.waitReason"
#define WAITREASON_TYPE	  "runtime.waitReason"

/* A bounded cursor over one section. */
struct cur {
	const uint8_t *p, *end;
	const uint8_t *base; /* section start, for offsets in messages */
	const char *sec;     /* section name */
};

struct attr_spec {
	uint64_t at, form;
	int64_t implicit; /* DW_FORM_implicit_const */
};

struct abbrev {
	uint64_t code, tag;
	bool children;
	uint32_t first, nattrs; /* into abbrev_table.specs */
};

struct abbrev_table {
	uint64_t off; /* in .debug_abbrev */
	bool valid;
	struct abbrev *abbrevs;
	uint32_t nabbrevs, cap;
	struct attr_spec *specs;
	uint32_t nspecs, spec_cap;
	uint64_t *dense; /* dense[code] = index + 1, for small codes */
	uint32_t ndense;
};

struct unit {
	uint64_t start, end; /* [start, end) in .debug_info: the whole unit with its header */
	uint64_t die_start;  /* first DIE */
	uint64_t abbrev_off;
	uint64_t str_offsets_base;
	int version;
	uint8_t addr_size, off_size;
};

/* What the reader keeps of one DIE. */
struct die {
	uint64_t off, next; /* this DIE and the one after it (its first child, if any) */
	uint64_t tag;
	bool children, null;
	const char *name; /* NUL-terminated inside a section, or NULL */
	bool has_type, has_size, has_loc, has_const;
	uint64_t type; /* absolute .debug_info offset */
	uint64_t size;
	int64_t loc, cval;
};

/* A structure type some want is in. */
struct wanted_type {
	const char *name;
	uint64_t die; /* 0 = not found (no DIE is at offset 0: a unit header is there) */
};

struct pending {
	const char *name; /* in a section */
	int64_t value;
	uint64_t type;
};

struct ctx {
	const struct gobin_dwarf_sections *s;
	const char *what;
	struct unit *units;
	uint32_t nunits, ucap;
	struct abbrev_table tabs[MAX_ABBREV_CACHE];
	uint32_t next_tab; /* round-robin replacement */
	struct wanted_type types[16];
	uint32_t ntypes;
	struct pending *pend; /* runtime.waitReason* constants whose type is still to check */
	uint32_t npend, pcap;
};

static int bad(struct ctx *c, const char *sec, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(struct ctx *c, const char *sec, uint64_t off, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xg_error(-EINVAL, "%s: %s at offset 0x%llx: %s", c->what, sec, (unsigned long long)off,
		 msg);
	return -EINVAL;
}

static uint64_t cur_off(const struct cur *k)
{
	return (uint64_t)(k->p - k->base);
}

static int need(struct ctx *c, struct cur *k, uint64_t n)
{
	if ((uint64_t)(k->end - k->p) < n)
		return bad(c, k->sec, cur_off(k), "needs %llu bytes, %zu left",
			   (unsigned long long)n, (size_t)(k->end - k->p));
	return 0;
}

static int rd_fixed(struct ctx *c, struct cur *k, unsigned int n, uint64_t *v)
{
	int err;

	*v = 0;
	if ((err = need(c, k, n)))
		return err;
	for (unsigned int i = 0; i < n; i++)
		*v |= (uint64_t)k->p[i] << (8 * i);
	k->p += n;
	return 0;
}

static int rd_uleb(struct ctx *c, struct cur *k, uint64_t *v)
{
	uint64_t r = 0;
	unsigned int shift = 0;
	const uint8_t *start = k->p;

	*v = 0;
	while (k->p < k->end) {
		uint8_t b = *k->p++;

		if (shift < 64)
			r |= (uint64_t)(b & 0x7f) << shift;
		else if (b & 0x7f)
			return bad(c, k->sec, (uint64_t)(start - k->base),
				   "LEB128 overflows 64 bits");
		shift += 7;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return bad(c, k->sec, (uint64_t)(start - k->base), "LEB128 runs past the end");
}

static int rd_sleb(struct ctx *c, struct cur *k, int64_t *v)
{
	uint64_t r = 0;
	unsigned int shift = 0;
	const uint8_t *start = k->p;

	*v = 0;
	while (k->p < k->end) {
		uint8_t b = *k->p++;

		if (shift < 64)
			r |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				r |= ~0ULL << shift;
			*v = (int64_t)r;
			return 0;
		}
	}
	return bad(c, k->sec, (uint64_t)(start - k->base), "LEB128 runs past the end");
}

static int skip(struct ctx *c, struct cur *k, uint64_t n)
{
	int err = need(c, k, n);

	if (!err)
		k->p += n;
	return err;
}

/* A NUL-terminated string at off in a section, or NULL with an error. */
static const char *sec_str(struct ctx *c, const uint8_t *sec, size_t len, const char *name,
			   uint64_t off, int *err)
{
	if (!sec) {
		*err = bad(c, name, off, "string referenced but the section is missing");
		return NULL;
	}
	if (off >= len || !memchr(sec + off, 0, len - off)) {
		*err = bad(c, name, off,
			   "string offset out of bounds or not terminated (size 0x%zx)", len);
		return NULL;
	}
	return (const char *)sec + off;
}

/* --- abbreviations ------------------------------------------------------------------------ */

static void abbrev_table__clear(struct abbrev_table *t)
{
	free(t->abbrevs);
	free(t->specs);
	free(t->dense);
	memset(t, 0, sizeof(*t));
}

static int abbrev_table__parse(struct ctx *c, uint64_t off, struct abbrev_table *t)
{
	struct cur k = {c->s->abbrev, c->s->abbrev + c->s->abbrev_len, c->s->abbrev,
			".debug_abbrev"};
	uint64_t max_code = 0;
	int err;

	abbrev_table__clear(t);
	if (off >= c->s->abbrev_len)
		return bad(c, ".debug_abbrev", off, "table offset beyond the section (size 0x%zx)",
			   c->s->abbrev_len);
	k.p += off;
	for (;;) {
		struct abbrev a = {0};
		uint64_t children;

		if ((err = rd_uleb(c, &k, &a.code)))
			goto fail;
		if (a.code == 0)
			break;
		if ((err = rd_uleb(c, &k, &a.tag)) || (err = rd_fixed(c, &k, 1, &children)))
			goto fail;
		a.children = children != 0;
		a.first = t->nspecs;
		for (;;) {
			struct attr_spec sp = {0};

			if ((err = rd_uleb(c, &k, &sp.at)) || (err = rd_uleb(c, &k, &sp.form)))
				goto fail;
			if (sp.at == 0 && sp.form == 0)
				break;
			if (sp.form == DW_FORM_implicit_const &&
			    (err = rd_sleb(c, &k, &sp.implicit)))
				goto fail;
			if (t->nspecs == t->spec_cap) {
				uint32_t ncap = t->spec_cap ? t->spec_cap * 2 : 256;
				struct attr_spec *n = realloc(t->specs, ncap * sizeof(*n));

				if (!n) {
					err = xg_error(-ENOMEM, "%s: out of memory", c->what);
					goto fail;
				}
				t->specs = n;
				t->spec_cap = ncap;
			}
			t->specs[t->nspecs++] = sp;
			a.nattrs++;
		}
		if (t->nabbrevs == t->cap) {
			uint32_t ncap = t->cap ? t->cap * 2 : 64;
			struct abbrev *n = realloc(t->abbrevs, ncap * sizeof(*n));

			if (!n) {
				err = xg_error(-ENOMEM, "%s: out of memory", c->what);
				goto fail;
			}
			t->abbrevs = n;
			t->cap = ncap;
		}
		t->abbrevs[t->nabbrevs++] = a;
		if (a.code > max_code)
			max_code = a.code;
	}
	/* codes are usually 1..n: index them directly when that is compact */
	if (max_code <= 4ULL * t->nabbrevs + 16) {
		t->ndense = (uint32_t)max_code + 1;
		t->dense = calloc(t->ndense, sizeof(*t->dense));
		if (!t->dense) {
			err = xg_error(-ENOMEM, "%s: out of memory", c->what);
			goto fail;
		}
		for (uint32_t i = t->nabbrevs; i-- > 0;)
			t->dense[t->abbrevs[i].code] = i + 1;
	}
	t->off = off;
	t->valid = true;
	return 0;
fail:
	abbrev_table__clear(t);
	return err;
}

static const struct abbrev *abbrev_table__find(const struct abbrev_table *t, uint64_t code)
{
	if (t->dense) {
		if (code < t->ndense && t->dense[code])
			return &t->abbrevs[t->dense[code] - 1];
		return NULL;
	}
	for (uint32_t i = 0; i < t->nabbrevs; i++)
		if (t->abbrevs[i].code == code)
			return &t->abbrevs[i];
	return NULL;
}

static int abbrevs_for(struct ctx *c, uint64_t off, const struct abbrev_table **out)
{
	struct abbrev_table *t;
	int err;

	for (uint32_t i = 0; i < MAX_ABBREV_CACHE; i++) {
		if (c->tabs[i].valid && c->tabs[i].off == off) {
			*out = &c->tabs[i];
			return 0;
		}
	}
	t = &c->tabs[c->next_tab];
	c->next_tab = (c->next_tab + 1) % MAX_ABBREV_CACHE;
	if ((err = abbrev_table__parse(c, off, t)))
		return err;
	*out = t;
	return 0;
}

/* --- DIEs --------------------------------------------------------------------------------- */

static int form_value(struct ctx *c, const struct unit *u, struct cur *k, uint64_t form,
		      int64_t implicit, uint64_t *uval, int64_t *sval, const uint8_t **blk,
		      uint64_t *blen);

/* Reads the value of an attribute. For constants uval/sval; for references uval is an absolute
 * .debug_info offset; strings/blocks come back as blk/blen; offsets into other sections in
 * uval. */
static int form_value(struct ctx *c, const struct unit *u, struct cur *k, uint64_t form,
		      int64_t implicit, uint64_t *uval, int64_t *sval, const uint8_t **blk,
		      uint64_t *blen)
{
	uint64_t v = 0, n = 0;
	int64_t s = 0;
	int err = 0;

	*uval = 0;
	*sval = 0;
	*blk = NULL;
	*blen = 0;
	switch (form) {
	case DW_FORM_addr:
		err = rd_fixed(c, k, u->addr_size, &v);
		break;
	case DW_FORM_data1:
	case DW_FORM_ref1:
	case DW_FORM_flag:
	case DW_FORM_strx1:
	case DW_FORM_addrx1:
		err = rd_fixed(c, k, 1, &v);
		s = (int64_t)v;
		break;
	case DW_FORM_data2:
	case DW_FORM_ref2:
	case DW_FORM_strx2:
	case DW_FORM_addrx2:
		err = rd_fixed(c, k, 2, &v);
		s = (int64_t)v;
		break;
	case DW_FORM_strx3:
	case DW_FORM_addrx3:
		err = rd_fixed(c, k, 3, &v);
		break;
	case DW_FORM_data4:
	case DW_FORM_ref4:
	case DW_FORM_ref_sup4:
	case DW_FORM_strx4:
	case DW_FORM_addrx4:
		err = rd_fixed(c, k, 4, &v);
		s = (int64_t)v;
		break;
	case DW_FORM_data8:
	case DW_FORM_ref8:
	case DW_FORM_ref_sig8:
	case DW_FORM_ref_sup8:
		err = rd_fixed(c, k, 8, &v);
		s = (int64_t)v;
		break;
	case DW_FORM_data16:
		*blk = k->p;
		*blen = 16;
		err = skip(c, k, 16);
		break;
	case DW_FORM_sdata:
		err = rd_sleb(c, k, &s);
		v = (uint64_t)s;
		break;
	case DW_FORM_udata:
	case DW_FORM_ref_udata:
	case DW_FORM_strx:
	case DW_FORM_addrx:
	case DW_FORM_loclistx:
	case DW_FORM_rnglistx:
	case DW_FORM_GNU_addr_index:
	case DW_FORM_GNU_str_index:
		err = rd_uleb(c, k, &v);
		s = (int64_t)v;
		break;
	case DW_FORM_implicit_const:
		s = implicit;
		v = (uint64_t)implicit;
		break;
	case DW_FORM_flag_present:
		v = 1;
		break;
	case DW_FORM_strp:
	case DW_FORM_line_strp:
	case DW_FORM_sec_offset:
	case DW_FORM_strp_sup:
	case DW_FORM_GNU_ref_alt:
	case DW_FORM_GNU_strp_alt:
		err = rd_fixed(c, k, u->off_size, &v);
		break;
	case DW_FORM_ref_addr:
		err = rd_fixed(c, k, u->version <= 2 ? u->addr_size : u->off_size, &v);
		break;
	case DW_FORM_string: {
		const uint8_t *nul = memchr(k->p, 0, (size_t)(k->end - k->p));

		if (!nul)
			return bad(c, k->sec, cur_off(k), "string runs past the end");
		*blk = k->p;
		*blen = (uint64_t)(nul - k->p);
		k->p = nul + 1;
		break;
	}
	case DW_FORM_block1:
	case DW_FORM_block2:
	case DW_FORM_block4:
	case DW_FORM_block:
	case DW_FORM_exprloc:
		if (form == DW_FORM_block1)
			err = rd_fixed(c, k, 1, &n);
		else if (form == DW_FORM_block2)
			err = rd_fixed(c, k, 2, &n);
		else if (form == DW_FORM_block4)
			err = rd_fixed(c, k, 4, &n);
		else
			err = rd_uleb(c, k, &n);
		if (err)
			return err;
		*blk = k->p;
		*blen = n;
		err = skip(c, k, n);
		break;
	case DW_FORM_indirect: {
		uint64_t f = 0;

		if ((err = rd_uleb(c, k, &f)))
			return err;
		if (f == DW_FORM_indirect || f == DW_FORM_implicit_const)
			return bad(c, k->sec, cur_off(k), "DW_FORM_indirect to form 0x%llx",
				   (unsigned long long)f);
		return form_value(c, u, k, f, 0, uval, sval, blk, blen);
	}
	default:
		return bad(c, k->sec, cur_off(k), "unknown attribute form 0x%llx",
			   (unsigned long long)form);
	}
	if (err)
		return err;
	/* unit-relative references become absolute */
	if (form == DW_FORM_ref1 || form == DW_FORM_ref2 || form == DW_FORM_ref4 ||
	    form == DW_FORM_ref8 || form == DW_FORM_ref_udata) {
		if (v >= u->end - u->start)
			return bad(c, k->sec, cur_off(k), "reference 0x%llx outside its unit",
				   (unsigned long long)v);
		v += u->start;
	}
	*uval = v;
	*sval = s;
	return 0;
}

static bool form_is_ref(uint64_t form)
{
	return form == DW_FORM_ref1 || form == DW_FORM_ref2 || form == DW_FORM_ref4 ||
	       form == DW_FORM_ref8 || form == DW_FORM_ref_udata || form == DW_FORM_ref_addr;
}

static bool form_is_const(uint64_t form)
{
	return form == DW_FORM_data1 || form == DW_FORM_data2 || form == DW_FORM_data4 ||
	       form == DW_FORM_data8 || form == DW_FORM_sdata || form == DW_FORM_udata ||
	       form == DW_FORM_implicit_const;
}

static int string_attr(struct ctx *c, const struct unit *u, struct cur *k, uint64_t form,
		       uint64_t v, const uint8_t *blk, const char **out)
{
	const struct gobin_dwarf_sections *s = c->s;
	int err = 0;

	switch (form) {
	case DW_FORM_string:
		*out = (const char *)blk;
		return 0;
	case DW_FORM_strp:
		*out = sec_str(c, s->str, s->str_len, ".debug_str", v, &err);
		return err;
	case DW_FORM_line_strp:
		*out = sec_str(c, s->line_str, s->line_str_len, ".debug_line_str", v, &err);
		return err;
	case DW_FORM_strx:
	case DW_FORM_strx1:
	case DW_FORM_strx2:
	case DW_FORM_strx3:
	case DW_FORM_strx4:
	case DW_FORM_GNU_str_index: {
		uint64_t pos, soff = 0;
		struct cur so = {s->str_offsets, s->str_offsets + s->str_offsets_len,
				 s->str_offsets, ".debug_str_offsets"};

		if (!s->str_offsets)
			return bad(c, k->sec, cur_off(k),
				   "string index without .debug_str_offsets");
		if (v > (s->str_offsets_len / u->off_size))
			return bad(c, ".debug_str_offsets", u->str_offsets_base,
				   "string index %llu out of bounds", (unsigned long long)v);
		pos = u->str_offsets_base + v * u->off_size;
		if (pos > s->str_offsets_len)
			return bad(c, ".debug_str_offsets", pos, "beyond the section");
		so.p += pos;
		if ((err = rd_fixed(c, &so, u->off_size, &soff)))
			return err;
		*out = sec_str(c, s->str, s->str_len, ".debug_str", soff, &err);
		return err;
	}
	default:
		/* not a string form: ignore the attribute */
		*out = NULL;
		return 0;
	}
}

/* Location of a member: a constant, or a DWARF 2 style expression DW_OP_plus_uconst N. */
static bool member_location(uint64_t form, uint64_t v, int64_t sv, const uint8_t *blk,
			    uint64_t blen, int64_t *loc)
{
	if (form_is_const(form)) {
		*loc = form == DW_FORM_sdata || form == DW_FORM_implicit_const ? sv : (int64_t)v;
		return true;
	}
	if (blk && blen >= 2 && (blk[0] == DW_OP_plus_uconst || blk[0] == DW_OP_constu)) {
		uint64_t r = 0;
		unsigned int shift = 0;

		for (uint64_t i = 1; i < blen && shift < 64; i++, shift += 7) {
			r |= (uint64_t)(blk[i] & 0x7f) << shift;
			if (!(blk[i] & 0x80)) {
				if (i + 1 != blen)
					return false;
				*loc = (int64_t)r;
				return true;
			}
		}
	}
	return false;
}

static const struct unit *unit_of(const struct ctx *c, uint64_t off)
{
	uint32_t lo = 0, hi = c->nunits;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (off < c->units[mid].start)
			hi = mid;
		else if (off >= c->units[mid].end)
			lo = mid + 1;
		else
			return &c->units[mid];
	}
	return NULL;
}

/* Decodes the DIE at off (absolute) of unit u. */
static int die_read(struct ctx *c, const struct unit *u, uint64_t off, struct die *d)
{
	struct cur k = {c->s->info + off, c->s->info + u->end, c->s->info, ".debug_info"};
	const struct abbrev_table *t;
	const struct abbrev *a;
	uint64_t code;
	int err;

	memset(d, 0, sizeof(*d));
	d->off = off;
	if (off < u->die_start || off >= u->end)
		return bad(c, ".debug_info", off, "DIE outside its unit");
	if ((err = rd_uleb(c, &k, &code)))
		return err;
	if (code == 0) {
		d->null = true;
		d->next = cur_off(&k);
		return 0;
	}
	if ((err = abbrevs_for(c, u->abbrev_off, &t)))
		return err;
	a = abbrev_table__find(t, code);
	if (!a)
		return bad(c, ".debug_info", off,
			   "abbreviation code %llu not in the table at 0x%llx",
			   (unsigned long long)code, (unsigned long long)u->abbrev_off);
	d->tag = a->tag;
	d->children = a->children;
	for (uint32_t i = 0; i < a->nattrs; i++) {
		const struct attr_spec *sp = &t->specs[a->first + i];
		const uint8_t *blk = NULL;
		uint64_t v = 0, blen = 0;
		int64_t sv = 0;

		if ((err = form_value(c, u, &k, sp->form, sp->implicit, &v, &sv, &blk, &blen)))
			return err;
		switch (sp->at) {
		case DW_AT_name:
			if ((err = string_attr(c, u, &k, sp->form, v, blk, &d->name)))
				return err;
			break;
		case DW_AT_type:
			if (form_is_ref(sp->form)) {
				d->has_type = true;
				d->type = v;
			}
			break;
		case DW_AT_byte_size:
			if (form_is_const(sp->form)) {
				d->has_size = true;
				d->size = v;
			}
			break;
		case DW_AT_data_member_location:
			d->has_loc = member_location(sp->form, v, sv, blk, blen, &d->loc);
			break;
		case DW_AT_const_value:
			if (form_is_const(sp->form)) {
				d->has_const = true;
				d->cval =
				    sp->form == DW_FORM_sdata || sp->form == DW_FORM_implicit_const
					? sv
					: (int64_t)v;
			}
			break;
		default:
			break;
		}
	}
	d->next = cur_off(&k);
	return 0;
}

/* --- units -------------------------------------------------------------------------------- */

static int add_unit(struct ctx *c, const struct unit *u)
{
	if (c->nunits == c->ucap) {
		uint32_t ncap = c->ucap ? c->ucap * 2 : 64;
		struct unit *n = realloc(c->units, ncap * sizeof(*n));

		if (!n)
			return xg_error(-ENOMEM, "%s: out of memory", c->what);
		c->units = n;
		c->ucap = ncap;
	}
	c->units[c->nunits++] = *u;
	return 0;
}

static int parse_unit_header(struct ctx *c, uint64_t off, struct unit *u)
{
	struct cur k = {c->s->info + off, c->s->info + c->s->info_len, c->s->info, ".debug_info"};
	uint64_t len, ver, v, utype = DW_UT_compile;
	int err;

	memset(u, 0, sizeof(*u));
	u->start = off;
	u->off_size = 4;
	if ((err = rd_fixed(c, &k, 4, &len)))
		return err;
	if (len == 0xffffffff) {
		u->off_size = 8;
		if ((err = rd_fixed(c, &k, 8, &len)))
			return err;
	} else if (len >= 0xfffffff0) {
		return bad(c, ".debug_info", off, "reserved unit length 0x%llx",
			   (unsigned long long)len);
	}
	if (len > (uint64_t)(k.end - k.p))
		return bad(c, ".debug_info", off,
			   "unit length 0x%llx exceeds the section (0x%llx bytes left)",
			   (unsigned long long)len, (unsigned long long)(k.end - k.p));
	u->end = cur_off(&k) + len;
	k.end = k.p + len;
	if ((err = rd_fixed(c, &k, 2, &ver)))
		return err;
	if (ver < 2 || ver > 5)
		return bad(c, ".debug_info", off, "unsupported DWARF version %llu",
			   (unsigned long long)ver);
	u->version = (int)ver;
	if (ver >= 5) {
		if ((err = rd_fixed(c, &k, 1, &utype)) || (err = rd_fixed(c, &k, 1, &v)))
			return err;
		u->addr_size = (uint8_t)v;
		if ((err = rd_fixed(c, &k, u->off_size, &u->abbrev_off)))
			return err;
		switch (utype) {
		case DW_UT_compile:
		case DW_UT_partial:
			break;
		case DW_UT_skeleton:
		case DW_UT_split_compile:
			err = skip(c, &k, 8); /* dwo_id */
			break;
		case DW_UT_type:
		case DW_UT_split_type:
			err = skip(c, &k, 8 + (uint64_t)u->off_size); /* signature, type_offset */
			break;
		default:
			return bad(c, ".debug_info", off, "unknown unit type 0x%llx",
				   (unsigned long long)utype);
		}
		if (err)
			return err;
	} else {
		if ((err = rd_fixed(c, &k, u->off_size, &u->abbrev_off)) ||
		    (err = rd_fixed(c, &k, 1, &v)))
			return err;
		u->addr_size = (uint8_t)v;
	}
	if (u->addr_size != 4 && u->addr_size != 8)
		return bad(c, ".debug_info", off, "unsupported address size %u", u->addr_size);
	u->die_start = cur_off(&k);
	/* DWARF 5 without DW_AT_str_offsets_base: the first entry after the table header */
	u->str_offsets_base = u->off_size == 8 ? 16 : 8;
	return 0;
}

/* DW_AT_str_offsets_base of the unit DIE, read without the string attributes that need it. */
static int unit_str_offsets_base(struct ctx *c, struct unit *u)
{
	struct cur k = {c->s->info + u->die_start, c->s->info + u->end, c->s->info, ".debug_info"};
	const struct abbrev_table *t;
	const struct abbrev *a;
	uint64_t code;
	int err;

	if (u->die_start >= u->end)
		return 0;
	if ((err = rd_uleb(c, &k, &code)) || code == 0)
		return err;
	if ((err = abbrevs_for(c, u->abbrev_off, &t)))
		return err;
	if (!(a = abbrev_table__find(t, code)))
		return 0; /* reported when the DIE is read */
	for (uint32_t i = 0; i < a->nattrs; i++) {
		const struct attr_spec *sp = &t->specs[a->first + i];
		const uint8_t *blk = NULL;
		uint64_t v = 0, blen = 0;
		int64_t sv = 0;

		if ((err = form_value(c, u, &k, sp->form, sp->implicit, &v, &sv, &blk, &blen)))
			return err;
		if (sp->at == DW_AT_str_offsets_base)
			u->str_offsets_base = v;
	}
	return 0;
}

/* --- the walk ----------------------------------------------------------------------------- */

static struct wanted_type *wanted_type(struct ctx *c, const char *name)
{
	for (uint32_t i = 0; i < c->ntypes; i++)
		if (strcmp(c->types[i].name, name) == 0)
			return &c->types[i];
	return NULL;
}

static void add_const(struct gobin_dwarf_result *res, const char *name, int64_t value)
{
	struct gobin_dwarf_const *k;
	size_t len = strlen(name);

	if (value < 0 || value >= GOBIN_DWARF_MAX_CONSTS ||
	    res->nconsts == GOBIN_DWARF_MAX_CONSTS || len >= GOBIN_DWARF_NAME_LEN) {
		res->consts_skipped++;
		return;
	}
	for (uint32_t i = 0; i < res->nconsts; i++)
		if (strcmp(res->consts[i].name, name) == 0)
			return; /* the same constant seen again (another unit) */
	k = &res->consts[res->nconsts++];
	memcpy(k->name, name, len + 1);
	k->value = value;
}

static int add_pending(struct ctx *c, const struct die *d)
{
	if (c->npend == c->pcap) {
		uint32_t ncap = c->pcap ? c->pcap * 2 : 64;
		struct pending *n = realloc(c->pend, ncap * sizeof(*n));

		if (!n)
			return xg_error(-ENOMEM, "%s: out of memory", c->what);
		c->pend = n;
		c->pcap = ncap;
	}
	c->pend[c->npend++] = (struct pending){d->name, d->cval, d->type};
	return 0;
}

/* Keeps the pending constants whose type is runtime.waitReason. */
static int check_pending(struct ctx *c, struct gobin_dwarf_result *res)
{
	for (uint32_t i = 0; i < c->npend; i++) {
		const struct pending *p = &c->pend[i];
		const struct unit *u = unit_of(c, p->type);
		struct die t;
		int err;

		if (!u || p->type < u->die_start)
			continue; /* a dangling reference: not ours */
		if ((err = die_read(c, u, p->type, &t)))
			return err;
		if (t.name && strcmp(t.name, WAITREASON_TYPE) == 0)
			add_const(res, p->name + strlen("runtime."), p->value);
	}
	return 0;
}

/* The type a DW_AT_type leads to, through typedefs. */
static int resolve_type(struct ctx *c, uint64_t off, struct die *d)
{
	for (int hop = 0; hop < MAX_TYPEDEF_HOPS; hop++) {
		const struct unit *u = unit_of(c, off);
		int err;

		if (!u)
			return bad(c, ".debug_info", off, "type reference outside every unit");
		if ((err = die_read(c, u, off, d)))
			return err;
		if (d->tag != DW_TAG_typedef)
			return 0;
		if (!d->has_type)
			return bad(c, ".debug_info", off, "typedef without a type");
		off = d->type;
	}
	return bad(c, ".debug_info", off, "more than %d typedefs in a row", MAX_TYPEDEF_HOPS);
}

/* Finds member name among the children of the structure DIE st. 1 found, 0 not, or -errno. */
static int find_member(struct ctx *c, const struct die *st, const char *name, struct die *m)
{
	const struct unit *u = unit_of(c, st->off);
	uint64_t off = st->next;
	int depth = 0, err;

	if (!st->children || !u)
		return 0;
	while (off < u->end) {
		if ((err = die_read(c, u, off, m)))
			return err;
		if (m->next <= off)
			return bad(c, ".debug_info", off, "DIE does not advance");
		off = m->next;
		if (m->null) {
			if (depth-- == 0)
				return 0;
			continue;
		}
		if (depth == 0 && m->tag == DW_TAG_member && m->name && strcmp(m->name, name) == 0)
			return 1;
		if (m->children)
			depth++;
	}
	return 0; /* unit ended without the null entry: treat as the end of the children */
}

/* The offset of path (e.g. "sched.sp") in the structure at st_off; "" is its size.
 * 1 with *out set, 0 when absent, or -errno. */
static int field_offset(struct ctx *c, uint64_t st_off, const char *path, int64_t *out)
{
	char buf[64], *parts[MAX_PATH_PARTS], *save = NULL, *tok;
	struct die st = {0}, m = {0};
	int64_t base = 0;
	int n = 0, err;

	if ((err = resolve_type(c, st_off, &st)))
		return err;
	if (st.tag != DW_TAG_structure_type)
		return 0;
	if (!path[0]) {
		if (!st.has_size || st.size > INT32_MAX)
			return 0;
		*out = (int64_t)st.size;
		return 1;
	}
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && n < MAX_PATH_PARTS;
	     tok = strtok_r(NULL, ".", &save))
		parts[n++] = tok;
	for (int i = 0; i < n; i++) {
		err = find_member(c, &st, parts[i], &m);
		if (err <= 0)
			return err;
		if (!m.has_loc || m.loc < 0 || m.loc > INT32_MAX)
			return 0;
		base += m.loc;
		if (base > INT32_MAX)
			return 0;
		if (i == n - 1) {
			*out = base;
			return 1;
		}
		if (!m.has_type)
			return 0;
		if ((err = resolve_type(c, m.type, &st)))
			return err;
		if (st.tag != DW_TAG_structure_type)
			return 0;
	}
	return 0;
}

/* Pass one: units, wanted structures, wait reason constants. */
static int scan(struct ctx *c, struct gobin_dwarf_result *res)
{
	uint64_t off = 0;
	int err;

	while (off < c->s->info_len) {
		struct unit u;
		uint64_t p;

		if ((err = parse_unit_header(c, off, &u)))
			return err;
		if ((err = unit_str_offsets_base(c, &u)) || (err = add_unit(c, &u)))
			return err;
		if (!res->version)
			res->version = u.version;
		for (p = u.die_start; p < u.end;) {
			struct die d;
			struct wanted_type *w;

			if ((err = die_read(c, &u, p, &d)))
				return err;
			if (d.next <= p)
				return bad(c, ".debug_info", p, "DIE does not advance");
			p = d.next;
			if (d.null || !d.name)
				continue;
			if (d.tag == DW_TAG_structure_type) {
				w = wanted_type(c, d.name);
				if (w && !w->die) {
					w->die = d.off;
					res->nstructs++;
				}
			} else if (d.tag == DW_TAG_constant && d.has_const && d.has_type &&
				   strncmp(d.name, WAITREASON_PREFIX, strlen(WAITREASON_PREFIX)) ==
				       0) {
				/* its type may be in a later unit: checked after the walk */
				if ((err = add_pending(c, &d)))
					return err;
			}
		}
		off = u.end;
		res->nunits++;
	}
	return 0;
}

/* Every offset unknown, the rest zero. */
static void result__init(struct gobin_dwarf_result *res)
{
	memset(res, 0, sizeof(*res));
	for (unsigned int i = 0; i < GOBIN_DWARF_MAX_WANTS; i++)
		res->off[i] = GOBIN_DWARF_UNKNOWN;
}

int gobin_dwarf__read_mem(const struct gobin_dwarf_sections *s, const char *what,
			  const struct gobin_dwarf_want *wants, unsigned int nwants,
			  struct gobin_dwarf_result *res)
{
	struct ctx c = {.s = s, .what = what ? what : "(memory)"};
	const struct wanted_type *g;
	int err = 0;

	result__init(res);
	if (!s->info || !s->abbrev || !s->info_len)
		return xg_error(-ENODATA, "%s: no .debug_info/.debug_abbrev", c.what);
	if (nwants > GOBIN_DWARF_MAX_WANTS)
		return xg_error(-EINVAL, "gobin_dwarf: %u offsets wanted, at most %d", nwants,
				GOBIN_DWARF_MAX_WANTS);
	for (unsigned int i = 0; i < nwants; i++) {
		if (wanted_type(&c, wants[i].type))
			continue;
		if (c.ntypes == sizeof(c.types) / sizeof(c.types[0])) {
			err = xg_error(-EINVAL, "gobin_dwarf: too many structure types");
			goto out;
		}
		c.types[c.ntypes++].name = wants[i].type;
	}
	if ((err = scan(&c, res)) || (err = check_pending(&c, res)))
		goto out;
	g = wanted_type(&c, "runtime.g");
	if (!g || !g->die) {
		err = xg_error(-ENOENT, "%s: DWARF has no runtime.g structure (not a Go binary?)",
			       c.what);
		goto out;
	}
	for (unsigned int i = 0; i < nwants; i++) {
		const struct wanted_type *w = wanted_type(&c, wants[i].type);
		int64_t v = 0;
		int r;

		if (!w->die)
			continue;
		r = field_offset(&c, w->die, wants[i].path, &v);
		if (r < 0) {
			err = r;
			goto out;
		}
		if (r == 1)
			res->off[i] = (int32_t)v;
	}
out:
	for (uint32_t i = 0; i < MAX_ABBREV_CACHE; i++)
		abbrev_table__clear(&c.tabs[i]);
	free(c.units);
	free(c.pend);
	return err;
}

/* --- ELF sections ------------------------------------------------------------------------- */

struct sec_buf {
	const uint8_t *data;
	size_t len;
	uint8_t *owned; /* decompressed copy, or NULL */
	bool found;
};

static int inflate_zlib(const char *path, const char *name, const uint8_t *src, size_t srclen,
			uint64_t size, struct sec_buf *out)
{
	uLongf dlen = (uLongf)size;
	uint8_t *buf;
	int zerr;

	/* deflate cannot expand more than ~1032:1: refuse before allocating for a bad header */
	if (size / 1032 > srclen + 64)
		return xg_error(-EINVAL, "%s: %s: 0x%zx compressed bytes cannot inflate to 0x%llx",
				path, name, srclen, (unsigned long long)size);
	buf = malloc(size ? size : 1);
	if (!buf)
		return xg_error(-ENOMEM, "%s: %s: out of memory for 0x%llx bytes", path, name,
				(unsigned long long)size);
	zerr = uncompress(buf, &dlen, src, (uLong)srclen);
	if (zerr != Z_OK || dlen != size) {
		free(buf);
		return xg_error(-EINVAL, "%s: %s: zlib data does not inflate to 0x%llx bytes (%s)",
				path, name, (unsigned long long)size,
				zerr == Z_OK ? "size differs" : zError(zerr));
	}
	out->data = out->owned = buf;
	out->len = size;
	return 0;
}

static int inflate_zstd(const char *path, const char *name, const uint8_t *src, size_t srclen,
			uint64_t size, struct sec_buf *out)
{
	unsigned long long fsize = ZSTD_getFrameContentSize(src, srclen);
	uint8_t *buf;
	size_t r;

	if (fsize != ZSTD_CONTENTSIZE_UNKNOWN && fsize != size)
		return xg_error(-EINVAL,
				"%s: %s: zstd frame holds 0x%llx bytes, header says 0x%llx", path,
				name, fsize, (unsigned long long)size);
	buf = malloc(size ? size : 1);
	if (!buf)
		return xg_error(-ENOMEM, "%s: %s: out of memory for 0x%llx bytes", path, name,
				(unsigned long long)size);
	r = ZSTD_decompress(buf, size, src, srclen);
	if (ZSTD_isError(r) || r != size) {
		free(buf);
		return xg_error(-EINVAL,
				"%s: %s: zstd data does not decompress to 0x%llx bytes (%s)", path,
				name, (unsigned long long)size,
				ZSTD_isError(r) ? ZSTD_getErrorName(r) : "size differs");
	}
	out->data = out->owned = buf;
	out->len = size;
	return 0;
}

static uint64_t get_le_be(const uint8_t *p, unsigned int n, bool be)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
	return v;
}

/* The contents of a section, decompressed when SHF_COMPRESSED or .zdebug_*. */
static int section_data(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *path,
			const char *name, bool zdebug, struct sec_buf *out)
{
	const unsigned char *ident = (const unsigned char *)elf_getident(elf, NULL);
	bool be = ident && ident[EI_DATA] == ELFDATA2MSB;
	bool is64 = ident && ident[EI_CLASS] == ELFCLASS64;
	Elf_Data *d;
	const uint8_t *p;
	size_t len;
	uint64_t type, size;

	out->data = NULL;
	out->len = 0;
	if (sh->sh_type == SHT_NOBITS)
		return 0;
	d = elf_rawdata(scn, NULL);
	if (!d || !d->d_buf) {
		int err = 0;

		if (sh->sh_size != 0)
			err = xg_error(-EINVAL, "%s: %s: cannot read section data (%s)", path, name,
				       elf_errmsg(-1));
		return err;
	}
	p = d->d_buf;
	len = d->d_size;
	if (sh->sh_flags & SHF_COMPRESSED) {
		size_t hdr = is64 ? 24 : 12;

		if (len < hdr)
			return xg_error(-EINVAL,
					"%s: %s: compressed section shorter than its header", path,
					name);
		type = get_le_be(p, 4, be);
		size = is64 ? get_le_be(p + 8, 8, be) : get_le_be(p + 4, 4, be);
		if (size > MAX_SECTION_SIZE)
			return xg_error(-EFBIG, "%s: %s: decompressed size 0x%llx too large", path,
					name, (unsigned long long)size);
		if (type == ELFCOMPRESS_ZLIB)
			return inflate_zlib(path, name, p + hdr, len - hdr, size, out);
		if (type == 2 /* ELFCOMPRESS_ZSTD */)
			return inflate_zstd(path, name, p + hdr, len - hdr, size, out);
		return xg_error(-EINVAL, "%s: %s: unknown compression type %llu", path, name,
				(unsigned long long)type);
	}
	if (zdebug && len >= 12 && memcmp(p, "ZLIB", 4) == 0) {
		size = get_le_be(p + 4, 8, true); /* always big-endian */
		if (size > MAX_SECTION_SIZE)
			return xg_error(-EFBIG, "%s: %s: decompressed size 0x%llx too large", path,
					name, (unsigned long long)size);
		return inflate_zlib(path, name, p + 12, len - 12, size, out);
	}
	out->data = p;
	out->len = len;
	return 0;
}

int gobin_dwarf__read_elf(Elf *elf, const char *path, const struct gobin_dwarf_want *wants,
			  unsigned int nwants, struct gobin_dwarf_result *res)
{
	static const char *const names[] = {"info", "abbrev", "str", "line_str", "str_offsets"};
	struct sec_buf bufs[5] = {0};
	struct gobin_dwarf_sections s = {0};
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int err = 0;

	result__init(res);
	if (elf_getshdrstrndx(elf, &shstrndx))
		return xg_error(-EINVAL, "%s: no section name table (%s)", path, elf_errmsg(-1));
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name, *n;
		bool zdebug;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (strncmp(name, ".debug_", 7) == 0)
			n = name + 7, zdebug = false;
		else if (strncmp(name, ".zdebug_", 8) == 0)
			n = name + 8, zdebug = true;
		else
			continue;
		for (unsigned int i = 0; i < 5; i++) {
			if (strcmp(n, names[i]) != 0 || bufs[i].found)
				continue;
			bufs[i].found = true;
			if ((err = section_data(elf, scn, &sh, path, name, zdebug, &bufs[i])))
				goto out;
		}
	}
	if (!bufs[0].data || !bufs[1].data) {
		err = xg_error(-ENODATA, "%s: no DWARF (.debug_info/.debug_abbrev)", path);
		goto out;
	}
	s.info = bufs[0].data, s.info_len = bufs[0].len;
	s.abbrev = bufs[1].data, s.abbrev_len = bufs[1].len;
	s.str = bufs[2].data, s.str_len = bufs[2].len;
	s.line_str = bufs[3].data, s.line_str_len = bufs[3].len;
	s.str_offsets = bufs[4].data, s.str_offsets_len = bufs[4].len;
	err = gobin_dwarf__read_mem(&s, path, wants, nwants, res);
out:
	for (unsigned int i = 0; i < 5; i++)
		free(bufs[i].owned);
	return err;
}
