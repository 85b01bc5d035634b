// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * .gopclntab, the runtime's own function table (runtime/symtab.go, cmd/link/internal/ld/pcln.go),
 * Go 1.20 and later (magic 0xfffffff1). Layout, all little-endian, offsets relative to the
 * pcHeader:
 *
 *   pcHeader  magic u32, pad u8 x2, minLC u8, ptrSize u8, then ptrSize words: nfunc, nfiles,
 *             textStart (0 from Go 1.26), funcnameOffset, cuOffset, filetabOffset,
 *             pctabOffset, pclnOffset
 *   funcnametab  NUL-terminated names                  [funcnameOffset, cuOffset)
 *   cutab        u32 file-table offsets per CU         [cuOffset, filetabOffset)
 *   filetab      NUL-terminated file names             [filetabOffset, pctabOffset)
 *   pctab        pc-value tables                       [pctabOffset, pclnOffset)
 *   functab      nfunc+1 x {entryOff u32, funcOff u32} at pclnOffset; the last entryOff is the
 *                end of text; _func records follow, at pclnOffset + funcOff
 *
 * The regions are checked to be in this order, so each lookup is bounded by its region.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gobin/internal.h"
#include "util/err.h"

#define MAX_NFUNC (1u << 26)

/* _func field offsets */
#define F_ENTRY	    0
#define F_NAME	    4
#define F_PCSP	    16
#define F_PCFILE    20
#define F_PCLN	    24
#define F_NPCDATA   28
#define F_CUOFF	    32
#define F_STARTLINE 36
#define F_FUNCID    40
#define F_FLAG	    41
#define F_NFUNCDATA 43

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int gobin_pcln__parse(struct gobin_pcln *p, const uint8_t *data, size_t size, uint64_t vaddr,
		      const char *what)
{
	uint64_t w[8], hdr;
	uint32_t magic;

	memset(p, 0, sizeof(*p));
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->data = data;
	p->size = size;
	p->vaddr = vaddr;
	if (size < 8)
		return xg_error(-EINVAL, "%s: truncated: %zu bytes", what, size);
	magic = le32(data);
	switch (magic) {
	case GOBIN_PCLN_MAGIC_120:
		break;
	case GOBIN_PCLN_MAGIC_118:
		return xg_error(
		    -EPROTONOSUPPORT,
		    "%s: table format of Go 1.18/1.19 (magic 0x%08x) is older than 1.21", what,
		    magic);
	case GOBIN_PCLN_MAGIC_116:
		return xg_error(
		    -EPROTONOSUPPORT,
		    "%s: table format of Go 1.16/1.17 (magic 0x%08x) is older than 1.21", what,
		    magic);
	case GOBIN_PCLN_MAGIC_12:
		return xg_error(-EPROTONOSUPPORT,
				"%s: table format of Go 1.2-1.15 (magic 0x%08x) is older than 1.21",
				what, magic);
	default:
		return xg_error(-EINVAL, "%s: bad magic 0x%08x", what, magic);
	}
	if (data[4] || data[5])
		return xg_error(-EINVAL, "%s: header padding is not zero", what);
	p->minlc = data[6];
	p->ptrsize = data[7];
	if (p->minlc != 1 && p->minlc != 2 && p->minlc != 4)
		return xg_error(-EINVAL, "%s: bad instruction size quantum %u", what, p->minlc);
	if (p->ptrsize != 4 && p->ptrsize != 8)
		return xg_error(-EINVAL, "%s: bad pointer size %u", what, p->ptrsize);
	hdr = 8 + 8ull * p->ptrsize;
	if (size < hdr)
		return xg_error(-EINVAL, "%s: truncated: %zu bytes, the header alone is %llu", what,
				size, (unsigned long long)hdr);
	for (int i = 0; i < 8; i++)
		w[i] = gobin_leword(data + 8 + i * p->ptrsize, p->ptrsize);
	p->nfunc = w[0];
	p->nfiles = w[1];
	p->hdr_text_start = w[2];
	p->funcname_off = w[3];
	p->cu_off = w[4];
	p->filetab_off = w[5];
	p->pctab_off = w[6];
	p->pcln_off = w[7];
	if (p->funcname_off < hdr || p->cu_off < p->funcname_off || p->filetab_off < p->cu_off ||
	    p->pctab_off < p->filetab_off || p->pcln_off < p->pctab_off || p->pcln_off > size)
		return xg_error(
		    -EINVAL,
		    "%s: header offsets out of order or past the table (size 0x%zx): funcname 0x%llx "
		    "cu 0x%llx filetab 0x%llx pctab 0x%llx functab 0x%llx",
		    what, size, (unsigned long long)p->funcname_off, (unsigned long long)p->cu_off,
		    (unsigned long long)p->filetab_off, (unsigned long long)p->pctab_off,
		    (unsigned long long)p->pcln_off);
	if (p->nfunc == 0 || p->nfunc > MAX_NFUNC)
		return xg_error(-EINVAL, "%s: implausible function count %llu", what,
				(unsigned long long)p->nfunc);
	if ((p->nfunc + 1) * 8 > size - p->pcln_off)
		return xg_error(-EINVAL,
				"%s: function table of %llu entries at offset 0x%llx runs past the "
				"table (size 0x%zx)",
				what, (unsigned long long)p->nfunc, (unsigned long long)p->pcln_off,
				size);
	p->end = size;
	return 0;
}

int gobin_pcln__func(const struct gobin_pcln *p, uint64_t i, struct gobin_pcln_func *f)
{
	const uint8_t *d = p->data;
	uint64_t base, fo, rec_end, nameoff, name_max;
	uint32_t funcoff, npcdata;
	const char *name;

	if (i >= p->nfunc)
		return xg_error(-EINVAL, "%s: function index %llu out of range (%llu functions)",
				p->what, (unsigned long long)i, (unsigned long long)p->nfunc);
	base = p->pcln_off + i * 8;
	f->entry_off = le32(d + base);
	funcoff = le32(d + base + 4);
	f->end_off = le32(d + base + 8);
	fo = p->pcln_off + funcoff;
	if (fo + GOBIN_FUNC_SIZE > p->end)
		return xg_error(
		    -EINVAL,
		    "%s: function table entry %llu at offset 0x%llx points past the table "
		    "(size 0x%llx)",
		    p->what, (unsigned long long)i, (unsigned long long)base,
		    (unsigned long long)p->end);
	if (f->end_off < f->entry_off)
		return xg_error(
		    -EINVAL,
		    "%s: function table entry %llu at offset 0x%llx: entry 0x%x is after "
		    "the next entry 0x%x",
		    p->what, (unsigned long long)i, (unsigned long long)base, f->entry_off,
		    f->end_off);
	if (le32(d + fo + F_ENTRY) != f->entry_off)
		return xg_error(
		    -EINVAL,
		    "%s: function table entry %llu at offset 0x%llx: its record at 0x%llx "
		    "has entry 0x%x, the table says 0x%x",
		    p->what, (unsigned long long)i, (unsigned long long)base,
		    (unsigned long long)fo, le32(d + fo + F_ENTRY), f->entry_off);
	npcdata = le32(d + fo + F_NPCDATA);
	rec_end = fo + GOBIN_FUNC_SIZE + 4ull * npcdata + 4ull * d[fo + F_NFUNCDATA];
	if (rec_end > p->end)
		return xg_error(
		    -EINVAL,
		    "%s: function record %llu at offset 0x%llx (%u pcdata) runs past the "
		    "table (size 0x%llx)",
		    p->what, (unsigned long long)i, (unsigned long long)fo, npcdata,
		    (unsigned long long)p->end);
	nameoff = le32(d + fo + F_NAME);
	name_max = p->cu_off - p->funcname_off;
	if (nameoff >= name_max)
		return xg_error(
		    -EINVAL,
		    "%s: function record %llu at offset 0x%llx: name offset 0x%llx is past "
		    "the name table (size 0x%llx)",
		    p->what, (unsigned long long)i, (unsigned long long)fo,
		    (unsigned long long)nameoff, (unsigned long long)name_max);
	name = (const char *)d + p->funcname_off + nameoff;
	if (!memchr(name, '\0', name_max - nameoff))
		return xg_error(-EINVAL,
				"%s: function record %llu at offset 0x%llx: name at 0x%llx is not "
				"terminated inside the name table",
				p->what, (unsigned long long)i, (unsigned long long)fo,
				(unsigned long long)p->funcname_off + nameoff);
	f->name = name;
	f->pcsp = le32(d + fo + F_PCSP);
	f->pcfile = le32(d + fo + F_PCFILE);
	f->pcln = le32(d + fo + F_PCLN);
	f->cu_off = le32(d + fo + F_CUOFF);
	f->start_line = (int32_t)le32(d + fo + F_STARTLINE);
	f->funcid = d[fo + F_FUNCID];
	f->flag = d[fo + F_FLAG];
	f->rec_off = fo;
	f->npcdata = npcdata;
	f->nfuncdata = d[fo + F_NFUNCDATA];
	return 0;
}

/* (gobin_pcln__func checked that the record's pcdata and funcdata offsets lie in the table) */
int gobin_pcln__pcdata(const struct gobin_pcln *p, const struct gobin_pcln_func *f, uint32_t table,
		       uint32_t target_off, int32_t *val)
{
	if (table >= f->npcdata)
		return -ENOENT;
	return gobin_pcln__pcvalue(p, le32(p->data + f->rec_off + GOBIN_FUNC_SIZE + 4ull * table),
				   f->entry_off, target_off, val);
}

int gobin_pcln__funcdata(const struct gobin_pcln *p, const struct gobin_pcln_func *f, uint32_t i,
			 uint32_t *off)
{
	if (i >= f->nfuncdata)
		return -ENOENT;
	*off = le32(p->data + f->rec_off + GOBIN_FUNC_SIZE + 4ull * f->npcdata + 4ull * i);
	return *off == UINT32_MAX ? -ENOENT : 0;
}

const char *gobin_pcln__name(const struct gobin_pcln *p, uint32_t nameoff)
{
	uint64_t max = p->cu_off - p->funcname_off;
	const char *name = (const char *)p->data + p->funcname_off + nameoff;

	if (nameoff >= max || !memchr(name, '\0', max - nameoff))
		return NULL;
	return name;
}

int gobin_pcln__validate(const struct gobin_pcln *p)
{
	struct gobin_pcln_func f;

	for (uint64_t i = 0; i < p->nfunc; i++) {
		int err = gobin_pcln__func(p, i, &f);

		if (err)
			return err;
	}
	return 0;
}

int gobin_pcln__find(const struct gobin_pcln *p, uint64_t off, uint64_t *idx)
{
	const uint8_t *ft = p->data + p->pcln_off;
	uint64_t lo = 0, hi = p->nfunc; /* entries [lo, hi) */

	if (off < le32(ft) || off >= le32(ft + p->nfunc * 8))
		return -ENOENT;
	/* the last entry whose entryOff <= off */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (le32(ft + mid * 8) <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (off < le32(ft + lo * 8) || off >= le32(ft + lo * 8 + 8))
		return -ENOENT;
	*idx = lo;
	return 0;
}

int gobin_pcln__pcvalue(const struct gobin_pcln *p, uint32_t table_off, uint32_t entry_off,
			uint32_t target_off, int32_t *val)
{
	uint64_t pos, end = p->pcln_off, pc = entry_off;
	uint32_t v = (uint32_t)-1;
	bool first = true;

	if (table_off == 0)
		return -ENOENT;
	pos = p->pctab_off + table_off;
	if (pos >= end)
		return xg_error(-EINVAL,
				"%s: pc-value table at 0x%llx is past the pc tables (end 0x%llx)",
				p->what, (unsigned long long)pos, (unsigned long long)end);
	for (;;) {
		uint64_t uvdelta, pcdelta;
		size_t n = gobin_uvarint(p->data + pos, end - pos, &uvdelta);

		if (!n)
			return xg_error(-EINVAL, "%s: pc-value table: bad value delta at 0x%llx",
					p->what, (unsigned long long)pos);
		if (uvdelta == 0 && !first)
			return -ENOENT; /* end of table: target is past the function */
		first = false;
		pos += n;
		n = gobin_uvarint(p->data + pos, end - pos, &pcdelta);
		if (!n)
			return xg_error(-EINVAL, "%s: pc-value table: bad pc delta at 0x%llx",
					p->what, (unsigned long long)pos);
		pos += n;
		/* zigzag: -(uv & 1) ^ (uv >> 1), in the runtime's uint32 arithmetic */
		v += (uint32_t)(-(uint32_t)(uvdelta & 1) ^ (uint32_t)(uvdelta >> 1));
		pc += (uint64_t)(uint32_t)pcdelta * p->minlc;
		if (target_off < pc) {
			*val = (int32_t)v;
			return 0;
		}
		if (pc > UINT32_MAX)
			return -ENOENT;
	}
}

int gobin_pcln__line(const struct gobin_pcln *p, const struct gobin_pcln_func *f,
		     uint32_t target_off, const char **file, uint32_t *line)
{
	int32_t fileno = -1, ln = 0;
	int err;

	*file = "";
	*line = 0;
	err = gobin_pcln__pcvalue(p, f->pcfile, f->entry_off, target_off, &fileno);
	if (err && err != -ENOENT)
		return err;
	if (!err && fileno >= 0) {
		uint64_t idx = (uint64_t)f->cu_off + (uint64_t)fileno;
		uint64_t pos = p->cu_off + idx * 4;

		if (pos + 4 <= p->filetab_off) {
			uint32_t foff = le32(p->data + pos);
			uint64_t fpos = p->filetab_off + foff;

			if (foff != UINT32_MAX && fpos < p->pctab_off &&
			    memchr(p->data + fpos, '\0', p->pctab_off - fpos))
				*file = (const char *)p->data + fpos;
		}
	}
	err = gobin_pcln__pcvalue(p, f->pcln, f->entry_off, target_off, &ln);
	if (err && err != -ENOENT)
		return err;
	if (!err && ln > 0)
		*line = (uint32_t)ln;
	return 0;
}
