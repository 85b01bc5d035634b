// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gobin/ parsers on synthetic input: varints, Go version strings, .go.buildinfo, a small
 * hand-built .gopclntab (lookups and every kind of corruption), and the instruction rules of
 * probe placement on hand-assembled x86-64 and arm64 code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/internal.h"
#include "tests/unit/test.h"
#include "util/err.h"

/* --- varints and versions -------------------------------------------------------------------- */

TEST(gobin_uvarint)
{
	static const uint8_t one[] = {0x01}, big[] = {0xac, 0x02}, trunc[] = {0x80, 0x80};
	static const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
	static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					 0x80, 0x80, 0x80, 0x80, 0x00};
	uint64_t v = 0;

	ASSERT_EQ(gobin_uvarint(one, 1, &v), 1u, "one");
	ASSERT_EQ(v, 1u, "one value");
	ASSERT_EQ(gobin_uvarint(big, 2, &v), 2u, "300");
	ASSERT_EQ(v, 300u, "300 value");
	ASSERT_EQ(gobin_uvarint(trunc, 2, &v), 0u, "truncated");
	ASSERT_EQ(gobin_uvarint(big, 1, &v), 0u, "cut by len");
	ASSERT_EQ(gobin_uvarint(max, sizeof(max), &v), 10u, "max");
	ASSERT_EQ(v, UINT64_MAX, "max value");
	ASSERT_EQ(gobin_uvarint(over, sizeof(over), &v), 0u, "overflow");
	ASSERT_EQ(gobin_uvarint(eleven, sizeof(eleven), &v), 0u, "more than 10 bytes");
	ASSERT_EQ(gobin_uvarint(one, 0, &v), 0u, "empty");
}

TEST(gobin_go_version)
{
	int maj = 0, min = 0, pat = 0;

	ASSERT_OK(gobin_parse_go_version("go1.26.11", &maj, &min, &pat), "plain");
	ASSERT_TRUE(maj == 1 && min == 26 && pat == 11, "1.26.11");
	ASSERT_OK(gobin_parse_go_version("go1.27rc1", &maj, &min, &pat), "rc");
	ASSERT_TRUE(min == 27 && pat == 0, "rc numbers");
	ASSERT_OK(gobin_parse_go_version("go1.26.11-X:sizespecializedmalloc", &maj, &min, &pat),
		  "experiment");
	ASSERT_TRUE(min == 26 && pat == 11, "experiment numbers");
	ASSERT_OK(gobin_parse_go_version("devel go1.28-abcdef Tue", &maj, &min, &pat), "devel");
	ASSERT_EQ(min, 28, "devel minor");
	ASSERT_ERR(gobin_parse_go_version("devel +abcdef", &maj, &min, &pat), "no version");
	ASSERT_ERR(gobin_parse_go_version("gox.y", &maj, &min, &pat), "garbage");
	ASSERT_ERR(gobin_parse_go_version("go1.", &maj, &min, &pat), "cut");
}

TEST(gobin_sanitize)
{
	char s[] = "ok\tt\x01x\xc3\xa9\xff\xe2\x82";

	gobin_sanitize((uint8_t *)s, strlen(s), false);
	ASSERT_STREQ(s, "ok?t?x\xc3\xa9???", "replaced");
	char t[] = "a\tb\nc\x7f";
	gobin_sanitize((uint8_t *)t, strlen(t), true);
	ASSERT_STREQ(t, "a\tb\nc?", "lines kept");
}

/* --- .go.buildinfo --------------------------------------------------------------------------- */

static const uint8_t sentinel_start[16] = {0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
					   0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6};
static const uint8_t sentinel_end[16] = {0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
					 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2};

static size_t put_uvarint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static size_t make_buildinfo(uint8_t *buf, const char *version, const char *mod)
{
	size_t n = 0, ml = strlen(mod);

	memcpy(buf, GOBIN_BUILDINFO_MAGIC, GOBIN_BUILDINFO_MAGIC_LEN);
	buf[14] = 8;
	buf[15] = 2;
	memset(buf + 16, 0, 16);
	n = 32;
	n += put_uvarint(buf + n, strlen(version));
	memcpy(buf + n, version, strlen(version));
	n += strlen(version);
	n += put_uvarint(buf + n, ml + 32);
	memcpy(buf + n, sentinel_start, 16);
	memcpy(buf + n + 16, mod, ml);
	memcpy(buf + n + 16 + ml, sentinel_end, 16);
	return n + 32 + ml;
}

TEST(gobin_buildinfo)
{
	static const char mod[] = "path\txgotop.test/hello\n"
				  "mod\txgotop.test/hello\t(devel)\t\n"
				  "build\t-buildmode=pie\n"
				  "build\tCGO_ENABLED=1\n"
				  "build\tGOARCH=arm64\n"
				  "build\tGOEXPERIMENT=sizespecializedmalloc\n";
	struct gobin_buildinfo bi;
	uint8_t buf[1024];
	size_t n = make_buildinfo(buf, "go1.26.11-X:sizespecializedmalloc", mod);

	if (!ASSERT_OK(gobin_buildinfo__parse(&bi, buf, n, "t", NULL, NULL), "parse"))
		return;
	ASSERT_STREQ(bi.version, "go1.26.11-X:sizespecializedmalloc", "version");
	ASSERT_TRUE(bi.major == 1 && bi.minor == 26 && bi.patch == 11, "numbers");
	ASSERT_STREQ(bi.path, "xgotop.test/hello", "path");
	ASSERT_STREQ(bi.module, "xgotop.test/hello", "module");
	ASSERT_STREQ(gobin_buildinfo__get(&bi, "-buildmode"), "pie", "buildmode");
	ASSERT_STREQ(gobin_buildinfo__get(&bi, "GOARCH"), "arm64", "goarch");
	ASSERT_STREQ(gobin_buildinfo__get(&bi, "GOEXPERIMENT"), "sizespecializedmalloc", "exp");
	ASSERT_NULL(gobin_buildinfo__get(&bi, "GOAMD64"), "absent");
	gobin_buildinfo__free(&bi);

	/* every truncation fails cleanly, with the name in the message */
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		int err;

		memcpy(copy, buf, cut);
		err = gobin_buildinfo__parse(&bi, copy, cut, "t", NULL, NULL);
		gobin_buildinfo__free(&bi);
		free(copy);
		if (!ASSERT_ERR(err, "truncated"))
			break;
		if (!ASSERT_HAS_SUBSTR(xg_errmsg(), "t: ", "message"))
			break;
	}
	buf[14] = 3;
	ASSERT_ERR(gobin_buildinfo__parse(&bi, buf, n, "t", NULL, NULL), "pointer size");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "pointer size 3", "pointer size message");
	gobin_buildinfo__free(&bi);
	buf[14] = 8;
	buf[15] = 3;
	ASSERT_EQ(gobin_buildinfo__parse(&bi, buf, n, "t", NULL, NULL), -EPROTONOSUPPORT,
		  "big endian");
	gobin_buildinfo__free(&bi);
	/* a varint length running past the end */
	buf[15] = 2;
	buf[32] = 0xff;
	buf[33] = 0x7f;
	ASSERT_ERR(gobin_buildinfo__parse(&bi, buf, n, "t", NULL, NULL), "long version");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "but only", "long version message");
	gobin_buildinfo__free(&bi);
}

/* the pre-1.18 format: pointers to {data, len} string headers, resolved by the callback */
static int old_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const uint8_t *img = ctx;

	if (addr < 0x1000 || addr - 0x1000 + len > 128)
		return -EFAULT;
	memcpy(buf, img + (addr - 0x1000), len);
	return 0;
}

TEST(gobin_buildinfo_old_format)
{
	uint8_t buf[128] = {0};
	struct gobin_buildinfo bi;
	uint64_t strp = 0x1000 + 64, hdr[2] = {0x1000 + 96, 8};

	memcpy(buf, GOBIN_BUILDINFO_MAGIC, GOBIN_BUILDINFO_MAGIC_LEN);
	buf[14] = 8;
	buf[15] = 0;
	memcpy(buf + 16, &strp, 8);
	memcpy(buf + 64, hdr, 16);
	memcpy(buf + 96, "go1.16.4", 8);
	if (ASSERT_OK(gobin_buildinfo__parse(&bi, buf, sizeof(buf), "t", old_read, buf), "parse"))
		ASSERT_EQ(bi.minor, 16, "old minor");
	gobin_buildinfo__free(&bi);
	strp = 0x9000;
	memcpy(buf + 16, &strp, 8);
	ASSERT_ERR(gobin_buildinfo__parse(&bi, buf, sizeof(buf), "t", old_read, buf), "bad ptr");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "outside the file", "bad ptr message");
	gobin_buildinfo__free(&bi);
}

/* --- .gopclntab ------------------------------------------------------------------------------ */

/* A table with three functions at text offsets 0, 0x40 and 0x60 (end 0x80):
 * main.a (lines 10/11 in /src/a.go), main.b (/src/b.go line 20), runtime.c (no tables). */
struct tbl {
	uint8_t b[1024];
	size_t n;
	size_t funcs;	/* offset of the first _func */
	size_t functab; /* pclnOffset */
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void make_pcln(struct tbl *t)
{
	static const char names[] = "\0main.a\0main.b\0runtime.c";
	static const char files[] = "/src/a.go\0/src/b.go";
	/* pctab: [0] unused; a.pcfile @1; a.pcln @4; b.pcfile @9; b.pcln @12 */
	static const uint8_t pctab[] = {0,		      /* */
					2,  0x40, 0,	      /* file 0 for 0x40 */
					22, 4,	  2, 0x3c, 0, /* line 10 x4, 11 x0x3c */
					4,  0x20, 0,	      /* file 1 (delta +2) */
					42, 0x20, 0};	      /* line 20 */
	static const uint32_t entries[] = {0, 0x40, 0x60, 0x80};
	size_t h = 72, names_off = h, cu_off, file_off, pc_off, ft_off;
	uint8_t *b = t->b;

	memset(t, 0, sizeof(*t));
	put32(b, GOBIN_PCLN_MAGIC_120);
	b[6] = 1;
	b[7] = 8;
	memcpy(b + names_off, names, sizeof(names));
	cu_off = names_off + sizeof(names);
	put32(b + cu_off, 0);
	put32(b + cu_off + 4, 10);
	file_off = cu_off + 8;
	memcpy(b + file_off, files, sizeof(files));
	pc_off = file_off + sizeof(files);
	memcpy(b + pc_off, pctab, sizeof(pctab));
	ft_off = (pc_off + sizeof(pctab) + 7) & ~(size_t)7;
	put64(b + 8, 3);
	put64(b + 16, 2);
	put64(b + 24, 0x401000);
	put64(b + 32, names_off);
	put64(b + 40, cu_off);
	put64(b + 48, file_off);
	put64(b + 56, pc_off);
	put64(b + 64, ft_off);
	t->functab = ft_off;
	t->funcs = ft_off + 4 * 8;
	for (int i = 0; i < 4; i++) {
		put32(b + ft_off + 8 * i, entries[i]);
		put32(b + ft_off + 8 * i + 4, i < 3 ? (uint32_t)(4 * 8 + 44 * i) : 0);
	}
	for (int i = 0; i < 3; i++) {
		uint8_t *f = b + t->funcs + 44 * i;
		static const uint32_t nameoff[] = {1, 8, 15};

		put32(f, entries[i]);
		put32(f + 4, nameoff[i]);
		put32(f + 20, i == 0 ? 1 : i == 1 ? 9 : 0);  /* pcfile */
		put32(f + 24, i == 0 ? 4 : i == 1 ? 12 : 0); /* pcln */
		put32(f + 32, 0);			     /* cuOffset */
	}
	t->n = t->funcs + 3 * 44;
}

TEST(gobin_pclntab_lookup)
{
	struct gobin_pcln p;
	struct gobin_pcln_func f;
	struct tbl t;
	const char *file;
	uint32_t line;
	uint64_t idx;

	make_pcln(&t);
	if (!ASSERT_OK(gobin_pcln__parse(&p, t.b, t.n, 0x500000, "t"), "parse") ||
	    !ASSERT_OK(gobin_pcln__validate(&p), "validate"))
		return;
	ASSERT_EQ(p.nfunc, 3u, "nfunc");
	ASSERT_EQ(p.hdr_text_start, 0x401000u, "text start");
	ASSERT_OK(gobin_pcln__find(&p, 0x45, &idx), "find");
	ASSERT_EQ(idx, 1u, "find index");
	ASSERT_OK(gobin_pcln__find(&p, 0x7f, &idx), "find last");
	ASSERT_EQ(idx, 2u, "last index");
	ASSERT_EQ(gobin_pcln__find(&p, 0x80, &idx), -ENOENT, "past the end");
	if (!ASSERT_OK(gobin_pcln__func(&p, 0, &f), "func 0"))
		return;
	ASSERT_STREQ(f.name, "main.a", "name");
	ASSERT_EQ(f.end_off, 0x40u, "end");
	ASSERT_OK(gobin_pcln__line(&p, &f, 2, &file, &line), "line 0");
	ASSERT_STREQ(file, "/src/a.go", "file");
	ASSERT_EQ(line, 10u, "line 10");
	ASSERT_OK(gobin_pcln__line(&p, &f, 0x10, &file, &line), "line 1");
	ASSERT_EQ(line, 11u, "line 11");
	ASSERT_OK(gobin_pcln__func(&p, 1, &f), "func 1");
	ASSERT_OK(gobin_pcln__line(&p, &f, 0x50, &file, &line), "line b");
	ASSERT_STREQ(file, "/src/b.go", "file b");
	ASSERT_EQ(line, 20u, "line 20");
	/* a function without tables: no file, no line, no error */
	ASSERT_OK(gobin_pcln__func(&p, 2, &f), "func 2");
	ASSERT_STREQ(f.name, "runtime.c", "name c");
	ASSERT_OK(gobin_pcln__line(&p, &f, 0x60, &file, &line), "line c");
	ASSERT_TRUE(!file[0] && line == 0, "unknown position");
}

/* Corrupts one thing in a fresh table; parse+validate must fail with msg in the message. */
static bool corrupt(void (*mutate)(struct tbl *t), int want_err, const char *msg)
{
	struct gobin_pcln p;
	struct tbl t;
	int err;

	make_pcln(&t);
	mutate(&t);
	err = gobin_pcln__parse(&p, t.b, t.n, 0x500000, "t");
	if (!err)
		err = gobin_pcln__validate(&p);
	if (!ASSERT_EQ(err, want_err, msg))
		return false;
	return ASSERT_HAS_SUBSTR(xg_errmsg(), msg, "message");
}

static void m_magic(struct tbl *t)
{
	put32(t->b, 0x12345678);
}
static void m_magic118(struct tbl *t)
{
	put32(t->b, GOBIN_PCLN_MAGIC_118);
}
static void m_magic12(struct tbl *t)
{
	put32(t->b, GOBIN_PCLN_MAGIC_12);
}
static void m_pad(struct tbl *t)
{
	t->b[4] = 1;
}
static void m_ptrsize(struct tbl *t)
{
	t->b[7] = 2;
}
static void m_order(struct tbl *t)
{
	put64(t->b + 40, 3); /* cuOffset before funcnameOffset */
}
static void m_nfunc(struct tbl *t)
{
	put64(t->b + 8, 1000);
}
static void m_nfunc0(struct tbl *t)
{
	put64(t->b + 8, 0);
}
static void m_funcoff(struct tbl *t)
{
	put32(t->b + t->functab + 8 + 4, 0x1000);
}
static void m_entry_order(struct tbl *t)
{
	put32(t->b + t->functab + 8, 0x70); /* entry 1 after entry 2 */
	put32(t->b + t->funcs + 44, 0x70);
}
static void m_entry_mismatch(struct tbl *t)
{
	put32(t->b + t->funcs + 44, 0x44);
}
static void m_name(struct tbl *t)
{
	put32(t->b + t->funcs + 4, 0x7fffffff);
}
static void m_name_unterminated(struct tbl *t)
{
	/* the last name runs into the cutab: make the table's last byte non-NUL */
	uint64_t cu;

	memcpy(&cu, t->b + 40, 8);
	t->b[cu - 1] = 'x';
	put32(t->b + t->funcs + 44 * 2 + 4, 15);
}
static void m_npcdata(struct tbl *t)
{
	put32(t->b + t->funcs + 44 * 2 + 28, 0x40000000);
}
static void m_truncated(struct tbl *t)
{
	t->n = 60;
}

TEST(gobin_pclntab_corrupt)
{
	corrupt(m_magic, -EINVAL, "bad magic 0x12345678");
	corrupt(m_magic118, -EPROTONOSUPPORT, "Go 1.18/1.19");
	corrupt(m_magic12, -EPROTONOSUPPORT, "older than 1.21");
	corrupt(m_pad, -EINVAL, "padding");
	corrupt(m_ptrsize, -EINVAL, "pointer size 2");
	corrupt(m_order, -EINVAL, "out of order");
	corrupt(m_nfunc, -EINVAL, "runs past the table");
	corrupt(m_nfunc0, -EINVAL, "implausible function count 0");
	corrupt(m_funcoff, -EINVAL, "function table entry 1 at offset");
	corrupt(m_funcoff, -EINVAL, "points past the table (size 0x");
	corrupt(m_entry_order, -EINVAL, "is after the next entry");
	corrupt(m_entry_mismatch, -EINVAL, "has entry 0x44, the table says 0x40");
	corrupt(m_name, -EINVAL, "is past the name table");
	corrupt(m_name_unterminated, -EINVAL, "not terminated");
	corrupt(m_npcdata, -EINVAL, "runs past the table");
	corrupt(m_truncated, -EINVAL, "truncated");
}

TEST(gobin_pclntab_bad_pcvalue)
{
	struct gobin_pcln p;
	struct gobin_pcln_func f;
	struct tbl t;
	const char *file;
	uint32_t line;
	int32_t v;
	uint64_t pc, ft;

	make_pcln(&t);
	if (!ASSERT_OK(gobin_pcln__parse(&p, t.b, t.n, 0x500000, "t"), "parse") ||
	    !ASSERT_OK(gobin_pcln__func(&p, 0, &f), "func"))
		return;
	/* a table offset past the pc tables */
	ASSERT_ERR(gobin_pcln__pcvalue(&p, 0x7fffffff, 0, 0, &v), "far table");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "past the pc tables", "far message");
	/* a varint running to the end of the pc tables */
	memcpy(&pc, t.b + 56, 8);
	memcpy(&ft, t.b + 64, 8);
	t.b[ft - 1] = 0x80;
	put32(t.b + t.funcs + 24, (uint32_t)(ft - 1 - pc));
	ASSERT_OK(gobin_pcln__func(&p, 0, &f), "func with a bad table");
	ASSERT_ERR(gobin_pcln__line(&p, &f, 0x10, &file, &line), "unterminated varint");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "bad", "varint message");
	/* a pc past the function's table: no value */
	ASSERT_EQ(gobin_pcln__pcvalue(&p, 1, 0, 0x41, &v), -ENOENT, "past the table");
	/* a file index outside the cutab: no file, no error */
	make_pcln(&t);
	ASSERT_OK(gobin_pcln__parse(&p, t.b, t.n, 0x500000, "t"), "reparse");
	t.b[pc + 1] = 40; /* file 19 */
	ASSERT_OK(gobin_pcln__func(&p, 0, &f), "func again");
	ASSERT_OK(gobin_pcln__line(&p, &f, 0x10, &file, &line), "bad file index");
	ASSERT_STREQ(file, "", "no file");
}

/* --- probe placement ---------------------------------------------------------------------------
 */

TEST(gobin_probe_site_x86)
{
	/* cmp rsp,[r14+0x10]; jbe +0x10; push rbp; mov rbp,rsp; mov eax,0xc3 (a 0xc3 byte that is
	 * not a RET); pop rbp; ret; call morestack; jmp entry; int3 padding */
	static const uint8_t go[] = {0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x0c, 0x00,
				     0x00, 0x00, 0x55, 0x48, 0x89, 0xe5, 0xb8, 0xc3,
				     0x00, 0x00, 0x00, 0x5d, 0xc3, 0xe8, 0x00, 0x00,
				     0x00, 0x00, 0xeb, 0xe4, 0xcc, 0xcc, 0xcc, 0xcc};
	/* nosplit: push rbp first */
	static const uint8_t nosplit[] = {0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3, 0x5d, 0xc3};
	/* frameless leaf with a stack check but no push: the jbe */
	static const uint8_t noframe[] = {0x49, 0x3b, 0x66, 0x10, 0x76, 0x01,
					  0xc3, 0xe9, 0x00, 0x00, 0x00, 0x00};
	/* a large frame: lea r12,[rsp-0x10]; cmp r12,[r14+0x10]; jbe; push rbp */
	static const uint8_t big[] = {0x4c, 0x8d, 0x64, 0x24, 0xf0, 0x4d, 0x3b, 0x66, 0x10,
				      0x0f, 0x86, 0x02, 0x00, 0x00, 0x00, 0x55, 0xc3};
	/* no prologue, a single-stepped first instruction */
	static const uint8_t plain[] = {0x48, 0x89, 0xc3, 0xc3};
	/* not an instruction */
	static const uint8_t bad[] = {0x55, 0x06}; /* push es: invalid in 64-bit mode */
	struct gobin_probe_site s;

	if (ASSERT_OK(gobin_disasm__probe_site(GOBIN_ARCH_X86_64, go, sizeof(go), "go", &s),
		      "go")) {
		ASSERT_EQ(s.probe_off, 10u, "probe at push");
		ASSERT_TRUE(s.emulated, "push emulated");
		ASSERT_STREQ(s.insn, "push rbp", "insn");
		ASSERT_EQ(s.nret, 1u, "one ret");
		ASSERT_EQ(s.ret_offs[0], 20u, "ret offset");
	}
	if (ASSERT_OK(
		gobin_disasm__probe_site(GOBIN_ARCH_X86_64, nosplit, sizeof(nosplit), "n", &s),
		"nosplit")) {
		ASSERT_EQ(s.probe_off, 0u, "entry");
		ASSERT_TRUE(s.emulated, "entry push emulated");
		ASSERT_EQ(s.nret, 2u, "two rets");
		ASSERT_EQ(s.ret_offs[1], 7u, "second ret");
	}
	if (ASSERT_OK(
		gobin_disasm__probe_site(GOBIN_ARCH_X86_64, noframe, sizeof(noframe), "f", &s),
		"noframe")) {
		ASSERT_EQ(s.probe_off, 4u, "the jbe");
		ASSERT_TRUE(s.emulated, "jbe emulated");
		ASSERT_TRUE(s.check_branch, "jbe taken to morestack: not a call");
	}
	if (ASSERT_OK(gobin_disasm__probe_site(GOBIN_ARCH_X86_64, big, sizeof(big), "b", &s),
		      "big frame"))
		ASSERT_EQ(s.probe_off, 15u, "push after lea/cmp/jbe");
	if (ASSERT_OK(gobin_disasm__probe_site(GOBIN_ARCH_X86_64, plain, sizeof(plain), "p", &s),
		      "plain")) {
		ASSERT_EQ(s.probe_off, 0u, "plain entry");
		ASSERT_FALSE(s.emulated, "mov single-stepped");
		ASSERT_EQ(s.nret, 1u, "c3 inside mov is not a ret");
	}
	ASSERT_EQ(gobin_disasm__probe_site(GOBIN_ARCH_X86_64, bad, sizeof(bad), "x", &s), -EBADMSG,
		  "undecodable");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "x: cannot decode the instruction at +0x1", "bad message");
	ASSERT_ERR(gobin_disasm__probe_site(GOBIN_ARCH_X86_64, go, 0, "e", &s), "empty");
}

TEST(gobin_probe_site_many_rets)
{
	uint8_t code[GOBIN_MAX_RETS + 10];
	struct gobin_probe_site s;

	memset(code, 0xc3, sizeof(code));
	if (ASSERT_OK(gobin_disasm__probe_site(GOBIN_ARCH_X86_64, code, sizeof(code), "r", &s),
		      "rets")) {
		ASSERT_EQ(s.nret, (uint32_t)GOBIN_MAX_RETS, "capped");
		ASSERT_TRUE(s.rets_truncated, "truncated flag");
	}
}

TEST(gobin_probe_site_arm64)
{
	/* ldr x16,[x28,#16]; cmp sp,x16; b.ls +0x10; str x30,[sp,#-32]!; casal w27,w2,[x5]
	 * (unknown to capstone 4); ldr x30,[sp],#32; ret */
	static const uint32_t go[] = {0xf9400b90, 0xeb3063ff, 0x54000089, 0xf81e0ffe,
				      0x88fbfca2, 0xf84207fe, 0xd65f03c0};
	/* a large frame (Go 1.22's mallocgc): ldr x16,[x28,#16]; sub x17,sp,#16; cmp x17,x16;
	 * b.ls; str x30,[sp,#-144]!; ret */
	static const uint32_t big[] = {0xf9400b90, 0xd10043f1, 0xeb10023f,
				       0x54000069, 0xf8170ffe, 0xd65f03c0};
	struct gobin_probe_site s;

	if (ASSERT_OK(gobin_disasm__probe_site(GOBIN_ARCH_ARM64, (const uint8_t *)go, sizeof(go),
					       "a", &s),
		      "arm64")) {
		ASSERT_EQ(s.probe_off, 8u, "b.ls");
		ASSERT_TRUE(s.emulated, "b.ls simulated");
		ASSERT_TRUE(s.check_branch, "taken to morestack: not a call");
		ASSERT_FALSE(s.framed, "before the frame");
		ASSERT_EQ(s.nret, 1u, "one ret");
		ASSERT_EQ(s.ret_offs[0], 24u, "ret offset");
	}
	if (ASSERT_OK(gobin_disasm__probe_site(GOBIN_ARCH_ARM64, (const uint8_t *)big, sizeof(big),
					       "b", &s),
		      "large frame")) {
		ASSERT_EQ(s.probe_off, 12u, "b.ls after ldr; sub; cmp");
		ASSERT_TRUE(s.emulated && s.check_branch, "simulated stack-check branch");
	}
}

TEST(gobin_probe_site_arm64_nosplit)
{
	/* casgstatus-like: str x30,[sp,#-112]!; stur x29,[sp,#-8]; sub x29,sp,#8;
	 * str x0,[sp,#120]; nop; tbnz w1,#12,+8; ldp x29,x30,[sp,#-8]; ret */
	static const uint32_t nosplit[] = {0xf8190ffe, 0xf81f83fd, 0xd10023fd, 0xf9003fe0,
					   0xd503201f, 0x37600041, 0xa97ffbfd, 0xd65f03c0};
	/* the same with `ldr x1, [x0]` before the tbnz: an argument register changes */
	static const uint32_t clobber[] = {0xf8190ffe, 0xf81f83fd, 0xd10023fd, 0xf9400001,
					   0x37600041, 0xa97ffbfd, 0xd65f03c0};
	/* the same as nosplit, and a `b` back to the tbnz at the end: it can run twice */
	static const uint32_t loop[] = {0xf8190ffe, 0xf81f83fd, 0xd10023fd, 0xf9003fe0, 0xd503201f,
					0x37600041, 0xa97ffbfd, 0xd65f03c0, 0x17fffffd};
	struct gobin_probe_site s;

	if (ASSERT_OK(gobin_disasm__probe_site(GOBIN_ARCH_ARM64, (const uint8_t *)nosplit,
					       sizeof(nosplit), "n", &s),
		      "nosplit")) {
		ASSERT_EQ(s.probe_off, 20u, "the tbnz after the frame setup and spill");
		ASSERT_TRUE(s.emulated && s.framed, "simulated, framed");
		ASSERT_FALSE(s.check_branch, "not a stack check");
	}
	if (ASSERT_OK(gobin_disasm__probe_site(GOBIN_ARCH_ARM64, (const uint8_t *)clobber,
					       sizeof(clobber), "c", &s),
		      "clobber")) {
		ASSERT_EQ(s.probe_off, 0u, "entry");
		ASSERT_FALSE(s.emulated || s.framed, "single-stepped at the entry");
	}
	if (ASSERT_OK(gobin_disasm__probe_site(GOBIN_ARCH_ARM64, (const uint8_t *)loop,
					       sizeof(loop), "l", &s),
		      "loop"))
		ASSERT_EQ(s.probe_off, 0u, "a branch back to the site: entry");
}

/* Go 1.27's casGToPreemptScan on arm64: `add x1, x0, #144` (&g.atomicstatus), then the casal
 * path and the ldaxr/stlxr loop, meeting at the tbz on the cset result. */
TEST(gobin_cas32_sites_arm64)
{
	static const uint32_t code[] = {
	    0x91024001, /* add x1, x0, #144 */
	    0xf0000adb, /* adrp x27, ... */
	    0x395f3362, /* ldrb w2, [x27, #1996] */
	    0x36000102, /* tbz w2, #0, +32: the loop */
	    0xb27f03e2, /* orr x2, xzr, #2 */
	    0xd2820123, /* mov x3, #4105 */
	    0x93407c5b, /* sxtw x27, w2 */
	    0x88fbfc23, /* casal w27, w3, [x1] */
	    0x6b02037f, /* cmp w27, w2 */
	    0x9a9f17e4, /* cset x4, eq */
	    0x14000009, /* b +36: the tbz */
	    0xb27f03e2, /* orr x2, xzr, #2 */
	    0xd2820123, /* mov x3, #4105 */
	    0x885ffc3b, /* ldaxr w27, [x1] */
	    0x6b02037f, /* cmp w27, w2 */
	    0x54000061, /* b.ne +12 */
	    0x881bfc23, /* stlxr w27, w3, [x1] */
	    0xb5ffff9b, /* cbnz x27, -16 */
	    0x9a9f17e4, /* cset x4, eq */
	    0x3607fd84, /* tbz w4, #0, -80 */
	    0xd65f03c0, /* ret */
	};
	struct gobin_cas_site cs[4];
	struct gobin_code d;
	int n;

	if (!ASSERT_OK(gobin_code__decode(&d, GOBIN_ARCH_ARM64, (const uint8_t *)code, sizeof(code),
					  0x55db8),
		       "decode"))
		return;
	n = gobin_code__cas32_sites(&d, 144, cs, 4);
	if (ASSERT_EQ(n, 1, "both paths share one site")) {
		ASSERT_EQ(cs[0].at, 19u, "the tbz on the cset result");
		ASSERT_EQ(cs[0].base, 0, "g in x0");
		ASSERT_EQ(cs[0].base_adj, 0u, "g itself");
		ASSERT_EQ(cs[0].old_reg, 2, "old status in x2");
		ASSERT_EQ(cs[0].new_reg, 3, "new status in x3");
		ASSERT_TRUE(cs[0].ok_zf, "ZF: exchanged");
	}
	ASSERT_EQ(gobin_code__cas32_sites(&d, 152, cs, 4), 0, "another offset");
	gobin_code__free(&d);
}

/* One piece of code on both architectures: the questions of gobin/disasm.h get one answer. */
struct arch_case {
	const char *name;
	enum gobin_arch arch;
	const uint8_t *code;
	size_t len;
	size_t n;				   /* instructions */
	size_t lea, call, load, jcc, ret, unknown; /* their indexes; unknown: n when none */
	uint64_t lea_addr, call_target, load_addr;
};

TEST(gobin_code_arch)
{
	/* at 0x400000: lea rax,[rip+0x1000]; call +0x100; mov rcx,[rip+0x20]; je +0; ret */
	static const uint8_t x86[] = {0x48, 0x8d, 0x05, 0x00, 0x10, 0x00, 0x00, 0xe8,
				      0x00, 0x01, 0x00, 0x00, 0x48, 0x8b, 0x0d, 0x20,
				      0x00, 0x00, 0x00, 0x74, 0x00, 0xc3};
	/* adrp x0,0x401000; add x0,x0,#0x160; bl +0x100; casal w27,w2,[x5] (unknown to
	 * capstone 4); adrp x2,0x401000; ldr x1,[x2,#0x18]; b.ls +8; ret */
	static const uint32_t arm64[] = {0xb0000000, 0x91058000, 0x94000040, 0x88fbfca2,
					 0xb0000002, 0xf9400c41, 0x54000049, 0xd65f03c0};
	const struct arch_case cases[] = {
	    {"x86-64", GOBIN_ARCH_X86_64, x86, sizeof(x86), 5, 0, 1, 2, 3, 4, 5, 0x401007, 0x40010c,
	     0x400033},
	    {"arm64", GOBIN_ARCH_ARM64, (const uint8_t *)arm64, sizeof(arm64), 8, 1, 2, 5, 6, 7, 3,
	     0x401160, 0x400108, 0x401018},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct arch_case *c = &cases[i];
		struct gobin_code d;
		unsigned int size = 0;
		uint64_t t = 0;

		if (!ASSERT_OK(gobin_code__decode(&d, c->arch, c->code, c->len, 0x400000), c->name))
			continue;
		ASSERT_EQ(d.n, c->n, c->name);
		ASSERT_EQ(d.swept, c->len, c->name);
		ASSERT_EQ(gobin_code__global_addr(&d, c->lea), c->lea_addr, c->name);
		ASSERT_EQ(gobin_code__dest_reg(&d, c->lea), 0, c->name);
		ASSERT_TRUE(gobin_code__call(&d, c->call, &t), c->name);
		ASSERT_EQ(t, c->call_target, c->name);
		ASSERT_TRUE(gobin_code__emulated(&d, c->call), c->name);
		ASSERT_EQ(gobin_code__global(&d, c->load, 1, &size), c->load_addr, c->name);
		ASSERT_EQ(size, 8u, c->name);
		ASSERT_TRUE(gobin_code__is_cond_branch(&d, c->jcc), c->name);
		ASSERT_FALSE(gobin_code__is_cond_branch(&d, c->call), c->name);
		ASSERT_TRUE(gobin_code__is_ret(&d, c->ret), c->name);
		ASSERT_FALSE(gobin_code__is_ret(&d, c->call), c->name);
		ASSERT_EQ(gobin_code__index(&d, d.insn[c->ret].address), (long)c->ret, c->name);
		ASSERT_EQ(gobin_code__x86(&d, 0) != NULL, c->arch == GOBIN_ARCH_X86_64, c->name);
		if (c->unknown < c->n) {
			ASSERT_STREQ(d.insn[c->unknown].mnemonic, ".word", c->name);
			ASSERT_FALSE(gobin_code__call(&d, c->unknown, &t), c->name);
			ASSERT_EQ(gobin_code__global(&d, c->unknown, 1, NULL), 0u, c->name);
		}
		gobin_code__free(&d);
	}
}

TEST(gobin_func_print_name)
{
	char b[128];

	gobin_func_print_name("main.Map[go.shape.int]", 21, b, sizeof(b));
	ASSERT_STREQ(b, "main.Map[...]", "generic function");
	gobin_func_print_name("main.(*Box[go.shape.string]).Run", 27, b, sizeof(b));
	ASSERT_STREQ(b, "main.(*Box[...]).Run", "method of a generic type");
	gobin_func_print_name("main.Map[go.shape.[]int].func1", 24, b, sizeof(b));
	ASSERT_STREQ(b, "main.Map[...].func1", "brackets inside the shape");
	gobin_func_print_name("p.T[go.shape.int].M[go.shape.bool]", 27, b, sizeof(b));
	ASSERT_STREQ(b, "p.T[...].M[...]", "1.27: generic method of a generic type");
	gobin_func_print_name("p.T[go.shape.int].M[go.shape.bool]", 26, b, sizeof(b));
	ASSERT_STREQ(b, "p.T[...]", "before 1.27: one [...] up to the last ]");
	gobin_func_print_name("main.main", 27, b, sizeof(b));
	ASSERT_STREQ(b, "main.main", "plain");
	gobin_func_print_name("weird[", 27, b, sizeof(b));
	ASSERT_STREQ(b, "weird[", "unbalanced");
}
