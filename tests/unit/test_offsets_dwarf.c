// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The C DWARF reader (gobin/dwarf.c) on crafted inputs: DWARF 4 and 5, 32- and 64-bit units,
 * the string and constant forms, typedefs, DWARF 2 style member locations, compressed ELF
 * sections; and truncated or corrupted inputs, which must fail cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gobin/dwarf.h"
#include "gobin/offsets.h"
#include "tests/unit/test.h"
#include "util/err.h"

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n <= sizeof(b->b)) {
		memcpy(b->b + b->n, p, n);
	}
	b->n += n;
}

static void u8(struct buf *b, uint64_t v)
{
	uint8_t x = (uint8_t)v;

	put(b, &x, 1);
}

static void le(struct buf *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		u8(b, v >> (8 * i));
}

static void uleb(struct buf *b, uint64_t v)
{
	do {
		uint8_t x = v & 0x7f;

		v >>= 7;
		u8(b, x | (v ? 0x80 : 0));
	} while (v);
}

static void sleb(struct buf *b, int64_t v)
{
	for (;;) {
		uint8_t x = v & 0x7f;

		v >>= 7;
		if ((v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40))) {
			u8(b, x);
			return;
		}
		u8(b, x | 0x80);
	}
}

static void cstr(struct buf *b, const char *s)
{
	put(b, s, strlen(s) + 1);
}

/* tags, attributes, forms */
enum {
	TAG_cu = 0x11,
	TAG_struct = 0x13,
	TAG_member = 0x0d,
	TAG_base = 0x24,
	TAG_const = 0x27,
	TAG_typedef = 0x16,
	AT_name = 0x03,
	AT_byte_size = 0x0b,
	AT_const_value = 0x1c,
	AT_loc = 0x38,
	AT_type = 0x49,
	AT_producer = 0x25,
	AT_str_offsets_base = 0x72,
	FORM_string = 0x08,
	FORM_block1 = 0x0a,
	FORM_data1 = 0x0b,
	FORM_udata = 0x0f,
	FORM_sdata = 0x0d,
	FORM_strp = 0x0e,
	FORM_ref_addr = 0x10,
	FORM_ref4 = 0x13,
	FORM_sec_offset = 0x17,
	FORM_exprloc = 0x18,
	FORM_strx1 = 0x25,
	FORM_data16 = 0x1e,
	FORM_line_strp = 0x1f,
	FORM_implicit_const = 0x21,
};

/* abbreviation codes */
enum { A_CU = 1, A_STRUCT, A_MEMBER, A_BASE, A_CONST, A_TYPEDEF, A_MEMBER_BLOCK, A_MEMBER_IMPL };

struct dw {
	struct buf info, abbrev, str, line_str, str_offsets;
	int version, off_size;
	bool v5_strings; /* names through .debug_str / strx */
	size_t unit_start, len_pos;
	/* DIE offsets for references */
	uint64_t d_gstruct, d_stack, d_gobuf, d_gobuf_td, d_u64, d_wr, d_other;
};

static void abbrev_entry(struct buf *a, int code, int tag, int children, const int *attrs)
{
	uleb(a, code);
	uleb(a, tag);
	u8(a, children);
	for (; attrs[0]; attrs += 2) {
		uleb(a, attrs[0]);
		uleb(a, attrs[1]);
		if (attrs[1] == FORM_implicit_const)
			sleb(a, 48); /* the only implicit value used: gobuf.bp at 48 */
	}
	u8(a, 0);
	u8(a, 0);
}

static void build_abbrevs(struct dw *d)
{
	int name = d->v5_strings ? FORM_strx1 : FORM_string;
	int ref = d->version >= 5 ? FORM_ref4 : FORM_ref_addr;
	int cu4[] = {AT_name, FORM_string, AT_producer, FORM_strp, 0, 0};
	int cu5[] = {AT_name,
		     FORM_line_strp,
		     AT_str_offsets_base,
		     FORM_sec_offset,
		     0x3a /* decl_file */,
		     FORM_data16,
		     0,
		     0};
	int st[] = {AT_name, name, AT_byte_size, FORM_udata, 0, 0};
	int mem[] = {AT_name, name, AT_loc, FORM_udata, AT_type, ref, 0x3b, FORM_exprloc, 0, 0};
	int base[] = {AT_name, name, AT_byte_size, FORM_data1, 0, 0};
	int cst[] = {AT_name, FORM_string, AT_type, ref, AT_const_value, FORM_sdata, 0, 0};
	int td[] = {AT_name, name, AT_type, ref, 0, 0};
	int memb[] = {AT_name, name, AT_loc, FORM_block1, AT_type, ref, 0, 0};
	int memi[] = {AT_name, name, AT_loc, FORM_implicit_const, AT_type, ref, 0, 0};

	abbrev_entry(&d->abbrev, A_CU, TAG_cu, 1, d->version >= 5 ? cu5 : cu4);
	abbrev_entry(&d->abbrev, A_STRUCT, TAG_struct, 1, st);
	abbrev_entry(&d->abbrev, A_MEMBER, TAG_member, 0, mem);
	abbrev_entry(&d->abbrev, A_BASE, TAG_base, 0, base);
	abbrev_entry(&d->abbrev, A_CONST, TAG_const, 0, cst);
	abbrev_entry(&d->abbrev, A_TYPEDEF, TAG_typedef, 0, td);
	abbrev_entry(&d->abbrev, A_MEMBER_BLOCK, TAG_member, 0, memb);
	abbrev_entry(&d->abbrev, A_MEMBER_IMPL, TAG_member, 0, memi);
	u8(&d->abbrev, 0);
}

static void name(struct dw *d, const char *s)
{
	if (!d->v5_strings) {
		cstr(&d->info, s);
		return;
	}
	/* index into .debug_str_offsets (after its 8-byte header), which points into .debug_str */
	u8(&d->info, (d->str_offsets.n - 8) / 4);
	le(&d->str_offsets, d->str.n, 4);
	cstr(&d->str, s);
}

static void ref(struct dw *d, uint64_t target)
{
	if (d->version >= 5)
		le(&d->info, target - d->unit_start, 4); /* ref4: unit-relative */
	else
		le(&d->info, target, d->off_size); /* ref_addr: absolute */
}

static void member(struct dw *d, const char *n, uint64_t loc, uint64_t type)
{
	uleb(&d->info, A_MEMBER);
	name(d, n);
	uleb(&d->info, loc);
	ref(d, type);
	u8(&d->info, 1); /* an exprloc the reader skips: one DW_OP_nop */
	u8(&d->info, 0x96);
}

/* Forward references are patched: the unit is laid out twice, the first pass learns offsets. */
static void build_unit(struct dw *d)
{
	struct buf *b = &d->info;

	d->unit_start = b->n;
	if (d->off_size == 8) {
		le(b, 0xffffffff, 4);
		d->len_pos = b->n;
		le(b, 0, 8);
	} else {
		d->len_pos = b->n;
		le(b, 0, 4);
	}
	le(b, d->version, 2);
	if (d->version >= 5) {
		u8(b, 1); /* DW_UT_compile */
		u8(b, 8);
		le(b, 0, d->off_size);
	} else {
		le(b, 0, d->off_size);
		u8(b, 8);
	}
	uleb(b, A_CU);
	if (d->version >= 5) {
		le(b, d->line_str.n, d->off_size);
		cstr(&d->line_str, "runtime");
		le(b, 8, d->off_size); /* str_offsets_base */
		for (int i = 0; i < 16; i++)
			u8(b, i);
	} else {
		cstr(b, "runtime");
		le(b, d->str.n, d->off_size);
		cstr(&d->str, "Go cmd/compile go1.99");
	}

	d->d_u64 = b->n;
	uleb(b, A_BASE);
	name(d, "uint64");
	u8(b, 8);

	d->d_stack = b->n;
	uleb(b, A_STRUCT);
	name(d, "runtime.stack");
	uleb(b, 16);
	member(d, "lo", 0, d->d_u64);
	member(d, "hi", 8, d->d_u64);
	u8(b, 0);

	d->d_gobuf = b->n;
	uleb(b, A_STRUCT);
	name(d, "runtime.gobuf");
	uleb(b, 56);
	member(d, "sp", 0, d->d_u64);
	/* pc with a DWARF 2 style location: DW_OP_plus_uconst 8 */
	uleb(b, A_MEMBER_BLOCK);
	name(d, "pc");
	u8(b, 2);
	u8(b, 0x23);
	u8(b, 8);
	ref(d, d->d_u64);
	uleb(b, A_MEMBER_IMPL); /* bp at the implicit constant 48 */
	name(d, "bp");
	ref(d, d->d_u64);
	u8(b, 0);

	d->d_gobuf_td = b->n;
	uleb(b, A_TYPEDEF);
	name(d, "runtime.gobufAlias");
	ref(d, d->d_gobuf);

	d->d_gstruct = b->n;
	uleb(b, A_STRUCT);
	name(d, "runtime.g");
	uleb(b, 440);
	member(d, "stack", 0, d->d_stack);
	member(d, "m", 48, d->d_u64);
	member(d, "sched", 56, d->d_gobuf_td);
	member(d, "atomicstatus", 144, d->d_u64);
	member(d, "goid", 152, d->d_u64);
	member(d, "waitreason", 176, d->d_u64);
	u8(b, 0);

	d->d_wr = b->n;
	uleb(b, A_BASE);
	name(d, "runtime.waitReason");
	u8(b, 1);
	d->d_other = b->n;
	uleb(b, A_BASE);
	name(d, "runtime.other");
	u8(b, 1);

	uleb(b, A_CONST);
	cstr(b, "runtime.waitReasonZero");
	ref(d, d->d_wr);
	sleb(b, 0);
	uleb(b, A_CONST);
	cstr(b, "runtime.waitReasonSelect");
	ref(d, d->d_wr);
	sleb(b, 9);
	uleb(b, A_CONST); /* right prefix, wrong type: ignored */
	cstr(b, "runtime.waitReasonDecoy");
	ref(d, d->d_other);
	sleb(b, 3);
	uleb(b, A_CONST); /* out of range: counted as skipped */
	cstr(b, "runtime.waitReasonHuge");
	ref(d, d->d_wr);
	sleb(b, 1000);

	u8(b, 0); /* end of the CU's children */
	le(b, 0, 0);
	{
		uint64_t len = b->n - d->len_pos - (uint64_t)d->off_size;

		for (int i = 0; i < d->off_size; i++)
			b->b[d->len_pos + i] = (uint8_t)(len >> (8 * i));
	}
}

static void build(struct dw *d, int version, int off_size, bool v5_strings)
{
	memset(d, 0, sizeof(*d));
	d->version = version;
	d->off_size = off_size;
	d->v5_strings = v5_strings;
	le(&d->str_offsets, 0, 8); /* DWARF 5 table header (not read) */
	build_abbrevs(d);
	build_unit(d);
}

static struct gobin_dwarf_sections sections(const struct dw *d)
{
	struct gobin_dwarf_sections s = {
	    .info = d->info.b,
	    .info_len = d->info.n,
	    .abbrev = d->abbrev.b,
	    .abbrev_len = d->abbrev.n,
	    .str = d->str.n ? d->str.b : NULL,
	    .str_len = d->str.n,
	    .line_str = d->line_str.n ? d->line_str.b : NULL,
	    .line_str_len = d->line_str.n,
	    .str_offsets = d->str_offsets.n > 8 ? d->str_offsets.b : NULL,
	    .str_offsets_len = d->str_offsets.n,
	};
	return s;
}

/* With XGOTOP_DWARF_SEEDS=dir, writes the input as a seed for tests/fuzz/fuzz_dwarf.c. */
static void write_seed(const struct dw *d, const char *tag)
{
	const char *dir = getenv("XGOTOP_DWARF_SEEDS");
	const struct buf *parts[] = {&d->abbrev, &d->str, &d->str_offsets, &d->info};
	char path[512];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, tag);
	f = fopen(path, "wb");
	if (!f)
		return;
	for (int i = 0; i < 3; i++) {
		uint8_t len[2] = {(uint8_t)parts[i]->n, (uint8_t)(parts[i]->n >> 8)};

		fwrite(len, 1, 2, f);
	}
	for (int i = 0; i < 4; i++)
		fwrite(parts[i]->b, 1, parts[i]->n, f);
	fclose(f);
}

/* The reader asked for the fields of struct go_offsets, as gobin__offsets() asks. */
static int read_mem(const struct gobin_dwarf_sections *s, const char *what,
		    struct gobin_dwarf_result *r)
{
	return gobin_dwarf__read_mem(s, what, go_offsets__dwarf_wants(), GO_OFF_NFIELDS, r);
}

static bool check_result(const struct gobin_dwarf_result *r, int version)
{
	struct go_offsets o;
	bool ok = true;

	go_offsets__init(&o);
	go_offsets__set_fields(&o, r->off);
	ok &= ASSERT_EQ(r->version, version, "version");
	ok &= ASSERT_EQ(r->nunits, 1u, "units");
	ok &= ASSERT_EQ(o.g_stack_lo, 0, "stack.lo");
	ok &= ASSERT_EQ(o.g_stack_hi, 8, "stack.hi");
	ok &= ASSERT_EQ(o.g_m, 48, "m");
	ok &= ASSERT_EQ(o.g_sched_sp, 56, "sched.sp");
	ok &= ASSERT_EQ(o.g_sched_pc, 64, "sched.pc (DW_OP_plus_uconst)");
	ok &= ASSERT_EQ(o.g_sched_bp, 104, "sched.bp (implicit_const)");
	ok &= ASSERT_EQ(o.g_sched_lr, GO_OFF_UNKNOWN, "sched.lr absent");
	ok &= ASSERT_EQ(o.g_atomicstatus, 144, "atomicstatus");
	ok &= ASSERT_EQ(o.g_goid, 152, "goid");
	ok &= ASSERT_EQ(o.g_waitreason, 176, "waitreason");
	ok &= ASSERT_EQ(o.g_size, 440, "sizeof(g)");
	ok &= ASSERT_EQ(o.g_coroarg, GO_OFF_UNKNOWN, "coroarg absent");
	ok &= ASSERT_EQ(o.m_curg, GO_OFF_UNKNOWN, "no runtime.m");
	if (!ASSERT_EQ(r->nconsts, 2u, "constants"))
		return false;
	ok &= ASSERT_STREQ(r->consts[0].name, "waitReasonZero", "const 0");
	ok &= ASSERT_EQ(r->consts[0].value, 0, "const 0 value");
	ok &= ASSERT_STREQ(r->consts[1].name, "waitReasonSelect", "const 1");
	ok &= ASSERT_EQ(r->consts[1].value, 9, "const 1 value");
	ok &= ASSERT_EQ(r->consts_skipped, 1u, "skipped");
	return ok;
}

TEST(dwarf_v4)
{
	struct gobin_dwarf_result r;
	struct dw d;
	struct gobin_dwarf_sections s;

	build(&d, 4, 4, false);
	write_seed(&d, "v4");
	s = sections(&d);
	if (!ASSERT_OK(read_mem(&s, "v4", &r), "read"))
		return;
	check_result(&r, 4);
}

TEST(dwarf_v4_64bit)
{
	struct gobin_dwarf_result r;
	struct dw d;
	struct gobin_dwarf_sections s;

	build(&d, 4, 8, false);
	write_seed(&d, "v4-64");
	s = sections(&d);
	if (!ASSERT_OK(read_mem(&s, "v4-64", &r), "read"))
		return;
	check_result(&r, 4);
}

TEST(dwarf_v5_strx)
{
	struct gobin_dwarf_result r;
	struct dw d;
	struct gobin_dwarf_sections s;

	build(&d, 5, 4, true);
	write_seed(&d, "v5");
	s = sections(&d);
	if (!ASSERT_OK(read_mem(&s, "v5", &r), "read"))
		return;
	check_result(&r, 5);
}

/* Every truncation of .debug_info and .debug_abbrev, and every byte of .debug_info set to a
 * few values: an error or a result, never a crash or a read out of bounds (ASan build). */
TEST(dwarf_truncated_and_corrupted)
{
	static const int versions[][3] = {{4, 4, 0}, {4, 8, 0}, {5, 4, 1}};
	struct gobin_dwarf_result r;
	struct dw d;
	int errors = 0;

	for (unsigned int v = 0; v < 3; v++) {
		struct gobin_dwarf_sections s;
		uint8_t *copy;

		build(&d, versions[v][0], versions[v][1], versions[v][2]);
		s = sections(&d);
		for (size_t n = 0; n < d.info.n; n++) {
			/* exact-size heap copies so ASan sees any over-read */
			copy = malloc(n ? n : 1);
			memcpy(copy, d.info.b, n);
			s.info = copy;
			s.info_len = n;
			if (read_mem(&s, "t", &r) < 0)
				errors++;
			free(copy);
		}
		s = sections(&d);
		for (size_t n = 0; n < d.abbrev.n; n++) {
			copy = malloc(n ? n : 1);
			memcpy(copy, d.abbrev.b, n);
			s.abbrev = copy;
			s.abbrev_len = n;
			if (read_mem(&s, "t", &r) < 0)
				errors++;
			free(copy);
		}
		s = sections(&d);
		copy = malloc(d.info.n);
		for (size_t i = 0; i < d.info.n; i++) {
			static const uint8_t vals[] = {0x00, 0x7f, 0x80, 0xff};

			for (unsigned int j = 0; j < sizeof(vals); j++) {
				memcpy(copy, d.info.b, d.info.n);
				copy[i] = vals[j];
				s.info = copy;
				(void)read_mem(&s, "t", &r);
			}
		}
		free(copy);
	}
	/* nearly every truncation must fail (a cut inside the trailing padding may not) */
	ASSERT_GT(errors, 100, "truncations fail");
}

TEST(dwarf_errors)
{
	struct gobin_dwarf_result r;
	struct gobin_dwarf_sections s;
	struct dw d;

	build(&d, 4, 4, false);
	s = sections(&d);
	s.info_len -= 10;
	ASSERT_EQ(read_mem(&s, "cut.bin", &r), -EINVAL, "cut unit");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "cut.bin: .debug_info at offset 0x0: unit length", "msg");

	s = sections(&d);
	d.info.b[4] = 9; /* version */
	ASSERT_EQ(read_mem(&s, "v9", &r), -EINVAL, "version");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "unsupported DWARF version 9", "msg");

	build(&d, 4, 4, false);
	s = sections(&d);
	d.abbrev.b[4] = 0x7e; /* first attribute form of the CU abbreviation */
	ASSERT_EQ(read_mem(&s, "form", &r), -EINVAL, "form");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "unknown attribute form 0x7e", "msg");

	build(&d, 5, 4, true);
	s = sections(&d);
	s.str = NULL;
	s.str_len = 0;
	ASSERT_EQ(read_mem(&s, "nostr", &r), -EINVAL, "strx without .debug_str");
	ASSERT_HAS_SUBSTR(xg_errmsg(), ".debug_str", "msg");

	s = sections(&d);
	s.info = NULL;
	ASSERT_EQ(read_mem(&s, "none", &r), -ENODATA, "no info");
}

TEST(dwarf_no_runtime_g)
{
	struct gobin_dwarf_result r;
	struct gobin_dwarf_sections s;
	struct dw d;
	uint8_t *p;

	build(&d, 4, 4, false);
	p = memmem(d.info.b, d.info.n, "runtime.g\0", 10);
	if (!ASSERT_TRUE(p != NULL, "find name"))
		return;
	p[8] = 'x';
	s = sections(&d);
	ASSERT_EQ(read_mem(&s, "nog", &r), -ENOENT, "no runtime.g");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "no runtime.g", "msg");
}

/* Writes an ELF file with the crafted sections, compressed by libelf (SHF_COMPRESSED, zlib)
 * or as a legacy .zdebug section, and reads it back through gobin_dwarf__read_elf(). */
static int write_elf(const char *path, const struct dw *d, int mode)
{
	static const char shstr[] = "\0.shstrtab\0.debug_info\0.debug_abbrev\0.debug_str\0"
				    ".zdebug_info\0";
	struct {
		const char *name;
		size_t name_off;
		const uint8_t *data;
		size_t len;
	} secs[3] = {
	    {".debug_info", 11, d->info.b, d->info.n},
	    {".debug_abbrev", 23, d->abbrev.b, d->abbrev.n},
	    {".debug_str", 37, d->str.b, d->str.n},
	};
	uint8_t zbuf[8192];
	Elf *e = NULL;
	Elf_Scn *scn;
	GElf_Ehdr eh;
	int fd, err = -1;

	if (mode == 3) { /* SHF_COMPRESSED with a header claiming 512 MiB from 40 bytes */
		memset(zbuf, 0, 64);
		zbuf[0] = ELFCOMPRESS_ZLIB;
		zbuf[8 + 3] = 0x20; /* ch_size = 0x20000000 */
		zbuf[16] = 1;	    /* ch_addralign */
		secs[0].data = zbuf;
		secs[0].len = 64;
	}
	if (mode == 2) { /* .zdebug_info: "ZLIB", big-endian size, zlib stream */
		uLongf zlen = sizeof(zbuf) - 12;

		memcpy(zbuf, "ZLIB", 4);
		for (int i = 0; i < 8; i++)
			zbuf[4 + i] = (uint8_t)(d->info.n >> (8 * (7 - i)));
		if (compress(zbuf + 12, &zlen, d->info.b, d->info.n) != Z_OK)
			return -1;
		secs[0].name_off = 48;
		secs[0].data = zbuf;
		secs[0].len = zlen + 12;
	}
	elf_version(EV_CURRENT);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	e = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!e || !gelf_newehdr(e, ELFCLASS64) || !gelf_getehdr(e, &eh))
		goto out;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_machine = EM_X86_64;
	eh.e_type = ET_EXEC;
	eh.e_version = EV_CURRENT;
	if (!gelf_update_ehdr(e, &eh)) /* elf_compress() needs the encoding */
		goto out;
	for (int i = 0; i < 4; i++) {
		Elf_Data *data;
		GElf_Shdr sh;

		scn = elf_newscn(e);
		data = scn ? elf_newdata(scn) : NULL;
		if (!data || !gelf_getshdr(scn, &sh))
			goto out;
		data->d_align = 1;
		data->d_type = ELF_T_BYTE;
		if (i == 3) {
			data->d_buf = (void *)shstr;
			data->d_size = sizeof(shstr);
			sh.sh_name = 1;
			sh.sh_type = SHT_STRTAB;
			eh.e_shstrndx = elf_ndxscn(scn);
		} else {
			data->d_buf = (void *)secs[i].data;
			data->d_size = secs[i].len;
			sh.sh_name = secs[i].name_off;
			sh.sh_type = SHT_PROGBITS;
			if (mode == 3 && i == 0)
				sh.sh_flags |= SHF_COMPRESSED;
		}
		if (!gelf_update_shdr(scn, &sh))
			goto out;
		if (mode == 1 && i < 3 && elf_compress(scn, ELFCOMPRESS_ZLIB, ELF_CHF_FORCE) != 1) {
			fprintf(stderr, "elf_compress: %s\n", elf_errmsg(-1));
			goto out;
		}
	}
	if (!gelf_update_ehdr(e, &eh) || elf_update(e, ELF_C_WRITE) < 0)
		goto out;
	err = 0;
out:
	elf_end(e);
	close(fd);
	return err;
}

static void read_elf_mode(int mode)
{
	struct gobin_dwarf_result r;
	char path[512];
	Elf *e = NULL;
	struct dw d;
	int fd;

	build(&d, 4, 4, false);
	snprintf(path, sizeof(path), "%s/dwarf%d.elf", test__tmpdir(), mode);
	if (!ASSERT_OK(write_elf(path, &d, mode), "write elf"))
		return;
	fd = open(path, O_RDONLY);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (ASSERT_TRUE(e != NULL, "elf_begin") &&
	    ASSERT_OK(gobin_dwarf__read_elf(e, path, go_offsets__dwarf_wants(), GO_OFF_NFIELDS, &r),
		      "read_elf"))
		check_result(&r, 4);
	elf_end(e);
	close(fd);
}

TEST(dwarf_elf_plain)
{
	read_elf_mode(0);
}

TEST(dwarf_elf_compressed)
{
	read_elf_mode(1);
}

TEST(dwarf_elf_zdebug)
{
	read_elf_mode(2);
}

TEST(dwarf_elf_bad_compressed_size)
{
	struct gobin_dwarf_result r;
	char path[512];
	Elf *e = NULL;
	struct dw d;
	int fd;

	build(&d, 4, 4, false);
	snprintf(path, sizeof(path), "%s/dwarf3.elf", test__tmpdir());
	if (!ASSERT_OK(write_elf(path, &d, 3), "write elf"))
		return;
	fd = open(path, O_RDONLY);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (ASSERT_TRUE(e != NULL, "elf_begin")) {
		ASSERT_EQ(
		    gobin_dwarf__read_elf(e, path, go_offsets__dwarf_wants(), GO_OFF_NFIELDS, &r),
		    -EINVAL, "refused");
		ASSERT_HAS_SUBSTR(xg_errmsg(), ".debug_info: 0x28 compressed bytes cannot inflate",
				  "msg");
	}
	elf_end(e);
	close(fd);
}
