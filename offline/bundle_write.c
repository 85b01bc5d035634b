// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Writing bundles (offline/bundle.h). For each trace: its bytes, a PC table built from the
 * trace's own stack tables and, when the traced binary is still there with the same build id,
 * from the binary's pclntab; `xgotop inspect --json` of that binary; then host facts, a
 * manifest and a README for the person who receives the bundle.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format/reader.h"
#include "gobin/gobin.h"
#include "offline/analyze.h"
#include "offline/bundle.h"
#include "offline/goimport.h"
#include "offline/symtab.h"
#include "util/err.h"
#include "util/jsonw.h"
#include "util/u64map.h"
#include "util/version.h"

#define INSPECT_MAX_BYTES (64u << 20)

extern char **environ;

/* What was found out about one trace, for the manifest and the README. */
struct item {
	const char *src;     /* the path given */
	char read_from[64];  /* a Go trace's import (/proc/self/fd/N); "": src itself */
	int go_fd;	     /* that import's anonymous file, or -1 */
	char name[256];	     /* "t.xgt" in the bundle */
	char stem[256];	     /* "t" */
	uint64_t bytes;	     /* bytes bundled */
	struct tf_info info; /* after a full read */
	uint64_t warnings;   /* damaged parts */
	char first_warning[256];
	const char *host, *kernel, *cmdline, *go_version, *go_arch, *build_id;
	int64_t pid;
	char binary[4096];  /* path looked at, "" when the trace names none */
	char bin_note[512]; /* what became of the binary */
	bool bin_used;	    /* symbols came from it */
	char *inspect;	    /* inspect --json output, NULL when not run */
	size_t inspect_len;
	struct symtab *syms;
	uint64_t pcs, resolved; /* PCs in the trace, and how many the table names */
};

static void note(const struct bundle_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The file the trace's bytes are read from. */
static const char *item_path(const struct item *it)
{
	return it->read_from[0] ? it->read_from : it->src;
}

/* A Go execution trace is bundled as the trace file it imports to. */
static int import_go_trace(struct item *it, const struct bundle_opts *o)
{
	struct goimport_result res;
	int fd = goimport__to_memfd(it->src, &res);

	if (fd < 0)
		return fd;
	it->go_fd = fd;
	snprintf(it->read_from, sizeof(it->read_from), "/proc/self/fd/%d", fd);
	if (res.damage)
		note(o, "%s", res.damage_msg);
	return 0;
}

static void note(const struct bundle_opts *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!o->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->note(o->note_ctx, msg);
}

static void count_warning(void *ctx, const char *msg)
{
	struct item *it = ctx;

	if (!it->warnings++)
		snprintf(it->first_warning, sizeof(it->first_warning), "%s", msg);
}

/* Runs `exe inspect --json path`, its stdout into *out. 0 or -errno; the command's own failure
 * (its {"error": ...}) is output too, with *status set. */
static int run_inspect(const char *exe, const char *path, char **out, size_t *len, int *status)
{
	char *argv[] = {(char *)exe, "inspect", "--json", (char *)path, NULL};
	posix_spawn_file_actions_t fa;
	int fd = -1, devnull = -1, err = 0, ws;
	pid_t pid;
	off_t size;
	char *buf = NULL;

	*out = NULL;
	*len = 0;
	fd = memfd_create("xgotop-inspect", MFD_CLOEXEC);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || devnull < 0) {
		err = -errno;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	err = -posix_spawn(&pid, exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		goto out;
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			goto out;
		}
	}
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0 || size > INSPECT_MAX_BYTES) {
		err = size < 0 ? -errno : -EFBIG;
		goto out;
	}
	buf = malloc((size_t)size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	if (pread(fd, buf, (size_t)size, 0) != size) {
		err = -EIO;
		goto out;
	}
	buf[size] = '\0';
	*out = buf;
	*len = (size_t)size;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	if (devnull >= 0)
		close(devnull);
	return err;
}

/* Adds a row for a PC from the trace's stack tables or names; the binary's rows come first. */
static int add_pc(struct item *it, struct gobin *bin, uint64_t pc, bool ret, const char *fn,
		  const char *file, uint32_t line)
{
	struct gobin_pcinfo pi;

	if (!pc || symtab__lookup(it->syms, pc))
		return 0;
	it->pcs++;
	if (bin && !gobin__pc_lookup(bin, ret ? pc - 1 : pc, &pi)) {
		char name[1024];

		/* as Go prints it, like the names in the trace's own tables */
		gobin_func_print_name(pi.fn, gobin__info(bin)->go_minor, name, sizeof(name));
		it->resolved++;
		return symtab__add(it->syms, pc, name, pi.file, pi.line, "binary");
	}
	if (fn && *fn) {
		it->resolved++;
		return symtab__add(it->syms, pc, fn, file, line, "trace");
	}
	return symtab__add(it->syms, pc, "", "", 0, "unknown");
}

/* The binary of a trace: opened when present and of the same build. */
static struct gobin *open_binary(struct item *it, const struct bundle_opts *o,
				 const struct tf_meta *meta)
{
	const char *path = o->binary ? o->binary : tf_meta__str(meta, TF_KEY_BINARY_PATH);
	const char *id = tf_meta__str(meta, TF_KEY_BINARY_BUILD_ID);
	struct gobin *b;
	struct stat st;

	if (!path || !*path) {
		snprintf(it->bin_note, sizeof(it->bin_note), "the trace names no binary");
		return NULL;
	}
	snprintf(it->binary, sizeof(it->binary), "%s", path);
	if (stat(path, &st)) {
		snprintf(it->bin_note, sizeof(it->bin_note), "%s: %s when bundling", path,
			 strerror(errno));
		return NULL;
	}
	b = gobin__open(path);
	if (!b) {
		snprintf(it->bin_note, sizeof(it->bin_note), "%s", xg_errmsg());
		return NULL;
	}
	if (id && *id && strcmp(gobin__info(b)->build_id, id) != 0) {
		snprintf(it->bin_note, sizeof(it->bin_note),
			 "%s has build id %s, not the recorded %s: rebuilt since the recording, "
			 "so its symbols were not used",
			 path, gobin__info(b)->build_id[0] ? gobin__info(b)->build_id : "(none)",
			 id);
		gobin__close(b);
		return NULL;
	}
	return b;
}

/* Reads the trace through: facts, PCs, symbols; runs inspect on its binary. */
static int study(struct item *it, const struct bundle_opts *o)
{
	TF_READER_OPTS(ro, .warn = count_warning, .warn_ctx = it);
	struct tf_reader *r;
	const struct tf_tables *t;
	const struct tf_meta *m;
	struct gobin *bin = NULL;
	struct xg_event ev;
	struct stat st;
	int err = 0, rc = 0;

	r = tf_reader__open(item_path(it), &ro);
	if (!r)
		return -(errno ? errno : EINVAL);
	if (stat(item_path(it), &st)) {
		err = xg_error(-errno, "%s: %s", it->src, strerror(errno));
		goto out;
	}
	it->bytes = (uint64_t)st.st_size;
	m = tf_reader__meta(r);
	t = tf_reader__tables(r);
	it->syms = symtab__new();
	if (!it->syms) {
		err = -ENOMEM;
		goto out;
	}
	bin = open_binary(it, o, m);
	if (it->binary[0] && !access(it->binary, R_OK)) {
		int status = 0;
		const char *exe = o->self_exe ? o->self_exe : "/proc/self/exe";

		err = run_inspect(exe, it->binary, &it->inspect, &it->inspect_len, &status);
		if (err) {
			note(o, "%s: running `xgotop inspect --json %s`: %s", it->src, it->binary,
			     strerror(-err));
			err = 0;
		} else if (status) {
			note(o,
			     "%s: `xgotop inspect --json %s` failed (exit status %d); its output "
			     "is bundled",
			     it->src, it->binary, status);
		}
	}
	if (it->bin_note[0])
		note(o, "%s: binary: %s", it->src, it->bin_note);
	it->bin_used = bin != NULL;
	/* every frame of every stack */
	for (uint32_t id = 1; id <= tf_tables__stack_count(t) && !err; id++) {
		uint32_t n;
		const struct xg_frame *fr = tf_tables__stack(t, id, &n);

		for (uint32_t i = 0; i < n && !err; i++)
			err = add_pc(it, bin, fr[i].pc, i > 0, tf_tables__str(t, fr[i].fn),
				     tf_tables__str(t, fr[i].file), fr[i].line);
	}
	/* creation and start PCs */
	while (!err && (rc = tf_reader__next(r, &ev)) > 0) {
		const struct xg_frame *fr;
		uint32_t n;

		if (ev.kind != XG_EV_GO_CREATE && ev.kind != XG_EV_SNAPSHOT)
			continue;
		fr = analysis_create_frames(t, ev.stack, ev.create_pc, 0, &n);
		if (fr && n && fr[0].pc == ev.create_pc)
			err = add_pc(it, bin, ev.create_pc, true, tf_tables__str(t, fr[0].fn),
				     tf_tables__str(t, fr[0].file), fr[0].line);
		else
			err = add_pc(it, bin, ev.create_pc, true, tf_tables__str(t, ev.create_fn),
				     "", 0);
		err = err
			  ?: add_pc(it, bin, ev.start_pc, false, tf_tables__str(t, ev.start_fn), "",
				    0);
	}
	if (!err && rc < 0)
		err = rc;
	if (err)
		goto out;
	err = tf_reader__info(r, &it->info);
	if (err)
		goto out;
	it->host = tf_meta__str(m, TF_KEY_HOST);
	it->kernel = tf_meta__str(m, TF_KEY_KERNEL);
	it->cmdline = tf_meta__str(m, TF_KEY_TARGET_CMDLINE);
	it->go_version = tf_meta__str(m, TF_KEY_GO_VERSION);
	it->go_arch = tf_meta__str(m, TF_KEY_GO_ARCH);
	it->build_id = tf_meta__str(m, TF_KEY_BINARY_BUILD_ID);
	tf_meta__int(m, TF_KEY_TARGET_PID, &it->pid);
	/* copies: the reader goes away */
	it->host = it->host ? strdup(it->host) : NULL;
	it->kernel = it->kernel ? strdup(it->kernel) : NULL;
	it->cmdline = it->cmdline ? strdup(it->cmdline) : NULL;
	it->go_version = it->go_version ? strdup(it->go_version) : NULL;
	it->go_arch = it->go_arch ? strdup(it->go_arch) : NULL;
	it->build_id = it->build_id ? strdup(it->build_id) : NULL;
out:
	gobin__close(bin);
	tf_reader__close(r);
	return err;
}

static void item_free(struct item *it)
{
	free((char *)it->host);
	free((char *)it->kernel);
	free((char *)it->cmdline);
	free((char *)it->go_version);
	free((char *)it->go_arch);
	free((char *)it->build_id);
	free(it->inspect);
	symtab__free(it->syms);
	if (it->go_fd >= 0)
		close(it->go_fd);
}

/* Bundle names: the base name, made unique, ending in .xgt. */
static void name_items(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *src = items[i].src ? items[i].src : "trace";
		const char *base = strrchr(src, '/');
		char stem[200];
		size_t len;

		base = base ? base + 1 : src;
		snprintf(stem, sizeof(stem), "%s", *base ? base : "trace");
		len = strlen(stem);
		if (len > 4 && !strcmp(stem + len - 4, ".xgt"))
			stem[len - 4] = '\0';
		for (char *p = stem; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == '\\' || *p == ':')
				*p = '_';
		snprintf(items[i].stem, sizeof(items[i].stem), "%s", stem);
		for (unsigned int k = 2;; k++) {
			bool taken = false;

			for (size_t j = 0; j < i; j++)
				taken |= !strcmp(items[j].stem, items[i].stem);
			if (!taken)
				break;
			snprintf(items[i].stem, sizeof(items[i].stem), "%s-%u", stem, k);
		}
		snprintf(items[i].name, sizeof(items[i].name), "%s.xgt", items[i].stem);
	}
}

static void iso_time(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The first line of a file with "KEY=" stripped, or the whole first line. */
static void read_line(const char *path, const char *key, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[512];
	size_t kl = key ? strlen(key) : 0;

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = line;

		if (key && strncmp(line, key, kl) != 0)
			continue;
		v += kl;
		if (*v == '"')
			v++;
		v[strcspn(v, "\"\n")] = '\0';
		snprintf(buf, len, "%s", v);
		break;
	}
	fclose(f);
}

static void host_json(FILE *f, time_t now)
{
	struct jsonw *w = jsonw_new(f);
	struct utsname un;
	char buf[512], host[256] = "";

	if (!w)
		return;
	uname(&un);
	gethostname(host, sizeof(host) - 1);
	jsonw_pretty(w, true);
	jsonw_start_object(w);
	iso_time(buf, sizeof(buf), now);
	jsonw_string_field(w, "bundled_at", buf);
	jsonw_string_field(w, "xgotop_version", xg_version);
	jsonw_string_field(w, "hostname", host);
	jsonw_string_field(w, "sysname", un.sysname);
	jsonw_string_field(w, "kernel_release", un.release);
	jsonw_string_field(w, "kernel_version", un.version);
	jsonw_string_field(w, "machine", un.machine);
	read_line("/etc/os-release", "PRETTY_NAME=", buf, sizeof(buf));
	jsonw_string_field(w, "os", buf);
	jsonw_int_field(w, "cpus_online", sysconf(_SC_NPROCESSORS_ONLN));
	jsonw_uint_field(w, "memory_bytes",
			 (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE));
	jsonw_bool_field(w, "btf", !access("/sys/kernel/btf/vmlinux", R_OK));
	read_line("/proc/sys/kernel/perf_event_paranoid", NULL, buf, sizeof(buf));
	jsonw_string_field(w, "perf_event_paranoid", buf);
	read_line("/proc/sys/kernel/unprivileged_bpf_disabled", NULL, buf, sizeof(buf));
	jsonw_string_field(w, "unprivileged_bpf_disabled", buf);
	read_line("/sys/kernel/mm/transparent_hugepage/enabled", NULL, buf, sizeof(buf));
	jsonw_string_field(w, "transparent_hugepage", buf);
	read_line("/proc/sys/kernel/randomize_va_space", NULL, buf, sizeof(buf));
	jsonw_string_field(w, "randomize_va_space", buf);
	jsonw_end_object(w);
	jsonw_newline(w);
	jsonw_free(w);
}

static void manifest_json(FILE *f, const struct item *items, size_t n, time_t now)
{
	struct jsonw *w = jsonw_new(f);
	char buf[64];

	if (!w)
		return;
	jsonw_pretty(w, true);
	jsonw_start_object(w);
	jsonw_string_field(w, "format", "xgotop-bundle");
	jsonw_uint_field(w, "version", BUNDLE_VERSION);
	jsonw_string_field(w, "xgotop_version", xg_version);
	iso_time(buf, sizeof(buf), now);
	jsonw_string_field(w, "created", buf);
	jsonw_string_field(w, "readme", BUNDLE_ROOT "README.txt");
	jsonw_string_field(w, "host", BUNDLE_ROOT "host.json");
	jsonw_name(w, "traces");
	jsonw_start_array(w);
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];
		char member[512];

		jsonw_start_object(w);
		jsonw_string_field(w, "name", it->name);
		snprintf(member, sizeof(member), BUNDLE_ROOT "traces/%s", it->name);
		jsonw_string_field(w, "member", member);
		jsonw_string_field(w, "source", it->src);
		jsonw_uint_field(w, "bytes", it->bytes);
		jsonw_uint_field(w, "events", it->info.events);
		jsonw_uint_field(w, "duration_ns", it->info.span_ns);
		jsonw_bool_field(w, "clean", it->info.clean);
		jsonw_uint_field(w, "damaged_parts", it->warnings);
		snprintf(member, sizeof(member), BUNDLE_ROOT "symbols/%s.tsv", it->stem);
		jsonw_string_field(w, "symbols", member);
		jsonw_uint_field(w, "pcs", it->pcs);
		jsonw_uint_field(w, "pcs_resolved", it->resolved);
		jsonw_name(w, "binary");
		jsonw_start_object(w);
		jsonw_string_field(w, "path", it->binary);
		jsonw_string_field(w, "build_id", it->build_id ? it->build_id : "");
		jsonw_bool_field(w, "symbols_from_binary", it->bin_used);
		if (it->inspect) {
			snprintf(member, sizeof(member), BUNDLE_ROOT "inspect/%s.json", it->stem);
			jsonw_string_field(w, "inspect", member);
		} else {
			jsonw_name(w, "inspect");
			jsonw_null(w);
		}
		if (it->bin_note[0])
			jsonw_string_field(w, "note", it->bin_note);
		jsonw_end_object(w);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_newline(w);
	jsonw_free(w);
}

static void readme(FILE *f, const char *out, const struct item *items, size_t n, time_t now)
{
	const char *base = strrchr(out, '/');
	char when[64], host[256] = "";
	struct utsname un;

	base = base ? base + 1 : out;
	iso_time(when, sizeof(when), now);
	gethostname(host, sizeof(host) - 1);
	uname(&un);
	fprintf(
	    f,
	    "xgotop bug-report bundle\n"
	    "========================\n\n"
	    "Made %s by xgotop %s on %s (%s %s).\n\n"
	    "xgotop records what the Go runtime of a program did (goroutines created, their\n"
	    "states, allocations, GC cycles) into trace files. This bundle holds %zu trace%s and\n"
	    "what is needed to read %s without the machine or the binary that recorded %s.\n\n",
	    when, xg_version, host, un.sysname, un.release, n, n == 1 ? "" : "s",
	    n == 1 ? "it" : "them", n == 1 ? "it" : "them");
	fprintf(f, "Traces\n------\n");
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];

		fprintf(f, "%s: %" PRIu64 " events over %.3f s, %" PRIu64 " bytes\n", it->name,
			it->info.events, (double)it->info.span_ns / 1e9, it->bytes);
		fprintf(f, "  recorded on %s (%s), pid %" PRId64 " `%s`, %s %s\n",
			it->host ? it->host : "?", it->kernel ? it->kernel : "?", it->pid,
			it->cmdline ? it->cmdline : "?", it->go_version ? it->go_version : "?",
			it->go_arch ? it->go_arch : "");
		if (it->info.clean)
			fprintf(f, "  closed cleanly\n");
		else
			fprintf(f, "  NOT closed cleanly: %s\n", it->info.recovery);
		if (it->warnings)
			fprintf(f, "  %" PRIu64 " damaged part%s skipped when reading, first: %s\n",
				it->warnings, it->warnings == 1 ? "" : "s", it->first_warning);
		if (it->bin_used)
			fprintf(
			    f,
			    "  binary %s: found, same build id; symbols/%s.tsv resolves %" PRIu64
			    " of %" PRIu64 " PCs from it\n",
			    it->binary, it->stem, it->resolved, it->pcs);
		else
			fprintf(f,
				"  binary: %s\n"
				"  symbols/%s.tsv: %" PRIu64 " of %" PRIu64
				" PCs named from the trace's own tables\n",
				it->bin_note, it->stem, it->resolved, it->pcs);
		if (it->inspect)
			fprintf(f, "  inspect/%s.json: `xgotop inspect --json` of the binary\n",
				it->stem);
		else
			fprintf(f, "  (no inspect output: the binary was not there)\n");
		fputc('\n', f);
	}
	fprintf(f,
		"Reading it\n----------\n"
		"xgotop opens the bundle directly (its first trace; %s:NAME.xgt for another):\n\n"
		"  xgotop info %s\n"
		"  xgotop dump %s | less\n"
		"  xgotop replay %s            (terminal UI; --web 8080 for a browser)\n"
		"  xgotop export %s --format perfetto -o out.pftrace   (open in ui.perfetto.dev)\n"
		"  xgotop export %s --format pprof -o allocs.pb.gz     (go tool pprof)\n"
		"  xgotop check %s --no-leaks\n\n"
		"Or unpack it: tar --zstd -xf %s\n\n"
		"Members\n-------\n"
		"  README.txt         this text\n"
		"  MANIFEST.json      the members, machine-readable\n"
		"  host.json          host and kernel facts of the machine that made the bundle\n"
		"  traces/*.xgt       the traces (xgotop trace format v1, SPEC.md)\n"
		"  symbols/*.tsv      pc, function, file, line, source: every PC of each trace\n"
		"  inspect/*.json     `xgotop inspect --json` of each traced binary (when found)\n",
		base, base, base, base, base, base, base, base);
}

static int add_member(struct archive *a, const char *name, const void *data, size_t len, time_t now)
{
	struct archive_entry *e = archive_entry_new();
	int err = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, now, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		err = xg_error(-EIO, "%s: %s", name, archive_error_string(a));
	archive_entry_free(e);
	return err;
}

/* Copies exactly it->bytes of the trace (it may still grow: a recording in progress). */
static int add_trace(struct archive *a, const struct item *it, time_t now)
{
	struct archive_entry *e = archive_entry_new();
	char name[512], *buf = NULL;
	uint64_t done = 0;
	int fd = -1, err = 0;

	if (!e)
		return -ENOMEM;
	snprintf(name, sizeof(name), BUNDLE_ROOT "traces/%s", it->name);
	buf = malloc(1 << 20);
	fd = open(item_path(it), O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0) {
		err = buf ? xg_error(-errno, "%s: %s", it->src, strerror(errno)) : -ENOMEM;
		goto out;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)it->bytes);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, now, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		err = xg_error(-EIO, "%s: %s", name, archive_error_string(a));
		goto out;
	}
	while (done < it->bytes) {
		size_t want = it->bytes - done < (1 << 20) ? (size_t)(it->bytes - done) : (1 << 20);
		ssize_t n = read(fd, buf, want);

		if (n <= 0) {
			err = xg_error(n < 0 ? -errno : -EIO, "%s: %s", it->src,
				       n < 0 ? strerror(errno) : "shrank while being bundled");
			goto out;
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			err = xg_error(-EIO, "%s: %s", name, archive_error_string(a));
			goto out;
		}
		done += (uint64_t)n;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	archive_entry_free(e);
	return err;
}

/* Writes a memstream's text as a member. */
static int add_text(struct archive *a, const char *name, void (*fill)(FILE *f, void *ctx),
		    void *ctx, time_t now)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return -ENOMEM;
	fill(f, ctx);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	err = add_member(a, name, buf, len, now);
	free(buf);
	return err;
}

struct fill_ctx {
	const char *out;
	const struct item *items;
	size_t n;
	time_t now;
	struct symtab *syms;
};

static void fill_readme(FILE *f, void *ctx)
{
	struct fill_ctx *c = ctx;

	readme(f, c->out, c->items, c->n, c->now);
}

static void fill_manifest(FILE *f, void *ctx)
{
	struct fill_ctx *c = ctx;

	manifest_json(f, c->items, c->n, c->now);
}

static void fill_host(FILE *f, void *ctx)
{
	struct fill_ctx *c = ctx;

	host_json(f, c->now);
}

static void fill_syms(FILE *f, void *ctx)
{
	struct fill_ctx *c = ctx;

	symtab__write(c->syms, f);
}

int bundle__write(const char *out, const char *const *traces, size_t n, const struct bundle_opts *o)
{
	struct item *items = calloc(n ? n : 1, sizeof(*items));
	struct archive *a = NULL;
	struct fill_ctx fc;
	char *tmp = NULL, level[16];
	time_t now = time(NULL);
	int err = 0;

	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		items[i].go_fd = -1;
	if (!n) {
		err = xg_error(-EINVAL, "no trace to bundle");
		goto out;
	}
	for (size_t i = 0; i < n && !err; i++) {
		int kind = bundle_input_kind(traces[i]);

		if (kind < 0) {
			err = kind;
			break;
		}
		if (kind == BUNDLE_INPUT_BUNDLE) {
			err = xg_error(-EINVAL, "%s: already a bundle (give its traces instead)",
				       traces[i]);
			break;
		}
		items[i].src = traces[i];
		if (goimport__is_go_trace(traces[i]) > 0)
			err = import_go_trace(&items[i], o);
		err = err ?: study(&items[i], o);
	}
	if (err)
		goto out;
	name_items(items, n);
	if (asprintf(&tmp, "%s.tmp.%d", out, (int)getpid()) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto out;
	}
	a = archive_write_new();
	if (!a) {
		err = -ENOMEM;
		goto out;
	}
	snprintf(level, sizeof(level), "%d",
		 o->zstd_level > 0 ? o->zstd_level : BUNDLE_DEFAULT_LEVEL);
	if (archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "zstd", "compression-level", level) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		err = xg_error(-EIO, "%s: %s", out, archive_error_string(a));
		goto out;
	}
	fc = (struct fill_ctx){.out = out, .items = items, .n = n, .now = now};
	err = add_text(a, BUNDLE_ROOT "README.txt", fill_readme, &fc, now);
	err = err ?: add_text(a, BUNDLE_ROOT "MANIFEST.json", fill_manifest, &fc, now);
	err = err ?: add_text(a, BUNDLE_ROOT "host.json", fill_host, &fc, now);
	for (size_t i = 0; i < n && !err; i++) {
		char name[512];

		err = add_trace(a, &items[i], now);
		if (err)
			break;
		fc.syms = items[i].syms;
		snprintf(name, sizeof(name), BUNDLE_ROOT "symbols/%s.tsv", items[i].stem);
		err = add_text(a, name, fill_syms, &fc, now);
		if (err || !items[i].inspect)
			continue;
		snprintf(name, sizeof(name), BUNDLE_ROOT "inspect/%s.json", items[i].stem);
		err = add_member(a, name, items[i].inspect, items[i].inspect_len, now);
	}
	if (err)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		err = xg_error(-EIO, "%s: %s", out, archive_error_string(a));
		goto out;
	}
	if (rename(tmp, out)) {
		err = xg_error(-errno, "%s: %s", out, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
out:
	if (a)
		archive_write_free(a);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	for (size_t i = 0; i < n; i++)
		item_free(&items[i]);
	free(items);
	return err;
}
