// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What a binary says about its build (gobin/internal.h): the build id from its notes (GNU
 * first, else Go's), and the Go build information (.go.buildinfo, parsed by buildinfo.c) with
 * the gobin_info fields taken from it.
 */
#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "gobin/internal.h"
#include "util/err.h"

#define NT_GNU_BUILD_ID_     3
#define NT_GO_BUILDID	     4
#define BUILDINFO_SCAN_ALIGN 16

static int read_cb(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return gobin__read_vaddr(ctx, addr, buf, len);
}

/* --- notes (build id) ----------------------------------------------------------------------- */

static void scan_notes(struct gobin *b, const uint8_t *p, size_t len, char *gnu, size_t gnulen,
		       char *go, size_t golen)
{
	size_t pos = 0;

	while (len - pos >= 12) {
		uint32_t namesz = (uint32_t)gobin_leword(p + pos, 4),
			 descsz = (uint32_t)gobin_leword(p + pos + 4, 4);
		uint32_t type = (uint32_t)gobin_leword(p + pos + 8, 4);
		uint64_t name_off = pos + 12,
			 desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
		uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
		const uint8_t *name = p + name_off, *desc = p + desc_off;

		if (desc_off > len || descsz > len - desc_off)
			break;
		if (namesz == 4 && !memcmp(name, "GNU", 4) && type == NT_GNU_BUILD_ID_ && !gnu[0]) {
			for (uint32_t i = 0; i < descsz && 2 * i + 2 < gnulen; i++)
				snprintf(gnu + 2 * i, 3, "%02x", desc[i]);
		} else if (namesz == 4 && !memcmp(name, "Go\0", 4) && type == NT_GO_BUILDID &&
			   !go[0]) {
			size_t n = descsz < golen - 1 ? descsz : golen - 1;

			for (size_t i = 0; i < n; i++)
				go[i] = desc[i] >= 0x20 && desc[i] < 0x7f ? (char)desc[i] : '?';
			go[n] = '\0';
		}
		if (next > len)
			break;
		pos = (size_t)next;
	}
	(void)b;
}

void gobin_load_build_id(struct gobin *b)
{
	char gnu[sizeof(b->info.build_id)] = "", go[sizeof(b->info.build_id)] = "";

	for (size_t i = 0;; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(b->elf, (int)i, &ph))
			break;
		if (ph.p_type != PT_NOTE || ph.p_offset > b->img_size ||
		    ph.p_filesz > b->img_size - ph.p_offset)
			continue;
		scan_notes(b, b->img + ph.p_offset, ph.p_filesz, gnu, sizeof(gnu), go, sizeof(go));
	}
	if (b->has_shdrs) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;

		while ((scn = elf_nextscn(b->elf, scn))) {
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
			    sh.sh_offset > b->img_size || sh.sh_size > b->img_size - sh.sh_offset)
				continue;
			scan_notes(b, b->img + sh.sh_offset, sh.sh_size, gnu, sizeof(gnu), go,
				   sizeof(go));
		}
	}
	if (gnu[0]) {
		snprintf(b->info.build_id, sizeof(b->info.build_id), "%s", gnu);
		snprintf(b->info.build_id_kind, sizeof(b->info.build_id_kind), "gnu");
	} else if (go[0]) {
		snprintf(b->info.build_id, sizeof(b->info.build_id), "%s", go);
		snprintf(b->info.build_id_kind, sizeof(b->info.build_id_kind), "go");
	}
}

/* --- .go.buildinfo -------------------------------------------------------------------------- */

int gobin_load_buildinfo(struct gobin *b)
{
	char what[PATH_MAX + 64];
	const uint8_t *p = NULL;
	size_t len = 0;
	GElf_Shdr sh;
	int err;

	if (gobin_find_section(b, ".go.buildinfo", &sh)) {
		err = gobin_section_bytes(b, ".go.buildinfo", &sh, &p, &len);
		if (err)
			return err;
		snprintf(what, sizeof(what), "%s: .go.buildinfo", b->path);
	} else {
		/* no section headers: debug/buildinfo's scan of writable data at 16-byte alignment
		 */
		for (size_t i = 0; i < b->nsegs && !p; i++) {
			const struct gobin_seg *s = &b->segs[i];
			uint64_t start = (BUILDINFO_SCAN_ALIGN - s->vaddr % BUILDINFO_SCAN_ALIGN) %
					 BUILDINFO_SCAN_ALIGN;

			if ((s->flags & (PF_W | PF_X)) != PF_W)
				continue;
			for (uint64_t o = start; o + GOBIN_BUILDINFO_HDR <= s->filesz;
			     o += BUILDINFO_SCAN_ALIGN) {
				const uint8_t *c = b->img + s->off + o;

				if (!memcmp(c, GOBIN_BUILDINFO_MAGIC, GOBIN_BUILDINFO_MAGIC_LEN)) {
					p = c;
					len = (size_t)(s->filesz - o);
					snprintf(what, sizeof(what),
						 "%s: Go build information at 0x%llx", b->path,
						 (unsigned long long)s->vaddr + o);
					break;
				}
			}
		}
		if (!p)
			return xg_error(
			    -EINVAL,
			    "%s: not a Go binary: no .go.buildinfo section and no Go build "
			    "information in its writable segments",
			    b->path);
	}
	return gobin_buildinfo__parse(&b->bi, p, len, what, read_cb, b);
}

void gobin_fill_info_from_buildinfo(struct gobin *b)
{
	struct gobin_info *in = &b->info;
	const char *v;

	snprintf(in->go_version, sizeof(in->go_version), "%s", b->bi.version);
	in->go_major = b->bi.major;
	in->go_minor = b->bi.minor;
	in->go_patch = b->bi.patch;
	v = gobin_buildinfo__get(&b->bi, "GOARCH");
	if (!v)
		v = b->arch == GOBIN_ARCH_ARM64 ? "arm64" : "amd64";
	snprintf(in->goarch, sizeof(in->goarch), "%s", v);
	snprintf(in->path, sizeof(in->path), "%s", b->bi.path);
	snprintf(in->module, sizeof(in->module), "%s", b->bi.module);
	v = gobin_buildinfo__get(&b->bi, "-buildmode");
	snprintf(in->buildmode, sizeof(in->buildmode), "%s", v ? v : "exe");
	v = gobin_buildinfo__get(&b->bi, "GOEXPERIMENT");
	snprintf(in->goexperiment, sizeof(in->goexperiment), "%s", v ? v : "");
	v = gobin_buildinfo__get(&b->bi, "CGO_ENABLED");
	in->cgo = v && !strcmp(v, "1");
}
