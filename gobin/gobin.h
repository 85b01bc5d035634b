/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading a Go ELF binary: version and build settings (.go.buildinfo), functions and PC lookup
 * (.symtab when present, else .gopclntab), instruction analysis for probe placement (capstone),
 * and runtime struct offsets (DWARF when present, else a per-version table).
 *
 * Everything read from the file is untrusted: lengths are bounded by what remains, and a bad
 * input gives an error naming the file, the structure and the offset (util/err.h).
 */
#ifndef XG_GOBIN_GOBIN_H
#define XG_GOBIN_GOBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin/offsets.h"

struct gobin;

/* Go versions this xgotop reads: 1.21 and later. A version newer than GOBIN_GO_NEWEST_MINOR
 * opens only when the binary has DWARF (its layout is then read from there), with
 * gobin_info.warning set. */
#define GOBIN_GO_OLDEST_MINOR 21
#define GOBIN_GO_NEWEST_MINOR 27

struct gobin_info {
	char go_version[64];	      /* "go1.27.4", as in buildinfo (may carry "-X:exp") */
	int go_major;		      /* 1 */
	int go_minor;		      /* 27 */
	int go_patch;		      /* 4; 0 for rc/devel */
	char goarch[16];	      /* "amd64", "arm64" */
	char path[256];		      /* main package path ("path" line of modinfo) */
	char module[256];	      /* main module path ("mod" line), "" when absent */
	char buildmode[16];	      /* "exe", "pie", ... (-buildmode; "exe" when not recorded) */
	char goexperiment[128];	      /* non-default experiments, "" when none */
	bool cgo;		      /* CGO_ENABLED=1 */
	bool pie;		      /* ET_DYN */
	bool has_symtab;	      /* .symtab present (not stripped) */
	bool has_dwarf;		      /* .debug_info present */
	bool size_specialized_malloc; /* runtime.mallocgc*SC* functions exist */
	char build_id[128];	      /* GNU build id in hex, else Go build id, else "" */
	uint64_t text_start;	      /* runtime.text: base of pclntab entry offsets */
	const char *text_start_from; /* "symtab runtime.text", "pclntab header", "moduledata ..." */
	char build_id_kind[8];	     /* "gnu", "go", or "" */
	char warning[160];	     /* non-fatal: e.g. a Go version newer than the tables */
};

/* A function's location. addr is the link-time virtual address; file_off is what a uprobe
 * attaches to (addr - PT_LOAD.p_vaddr + PT_LOAD.p_offset). */
struct gobin_func {
	const char *name; /* valid until gobin__close() */
	uint64_t addr;
	uint64_t size; /* up to the next function (includes INT3 padding) */
	uint64_t file_off;
};

/* PC to source position. */
struct gobin_pcinfo {
	const char *fn;	  /* function name, valid until gobin__close() */
	const char *file; /* source file, "" when unknown */
	uint32_t line;	  /* 0 when unknown */
	uint64_t entry;	  /* function entry address */
};

/* One frame as Go's tracebacks print it. A PC in code the compiler inlined stands for several
 * frames: the inlined calls, innermost first, then the function that holds the code. */
struct gobin_frame {
	const char *fn;	  /* as in the binary (gobin_func_print_name() gives Go's printed form);
			   * valid until gobin__close() */
	const char *file; /* source file, "" when unknown */
	uint32_t line;	  /* 0 when unknown */
	bool inlined;	  /* inlined into the next frame (both stand for the same PC) */
	bool wrapper;	  /* compiler-generated (funcID wrapper): Go's tracebacks, pprof and
			   * runtime.CallersFrames leave it out unless it called a panic */
	bool top;	  /* the outermost frame of any stack (FuncFlagTopFrame: runtime.goexit,
			   * mstart, rt0_go; and runtime.cgocallback): Go's unwinder stops here */
};

/* Frames one PC can expand to: the inlining depth Go allows is far lower. */
#define GOBIN_MAX_PC_FRAMES 64

#define GOBIN_MAX_RETS	    64

/* Where xgotop will put its probe in a function, and what is there. */
struct gobin_probe_site {
	uint32_t probe_off; /* offset from the function's entry */
	bool emulated;	    /* the instruction there is one the kernel emulates (cheap) */
	bool framed;	    /* the function's frame record is set up there (arm64 nosplit
			     * functions): a stack walk starts at the frame pointer, the
			     * return address is not at the stack top */
	bool check_branch;  /* the stack check's conditional branch (arm64 b.ls, or a jbe with
			     * no push rbp after it): when taken, the function grows its stack
			     * and starts over, so a probe there ignores that hit */
	char insn[64];	    /* e.g. "push rbp" */
	uint32_t nret;	    /* number of RET instructions */
	uint32_t ret_offs[GOBIN_MAX_RETS]; /* their offsets from the entry */
	bool rets_truncated;		   /* more than GOBIN_MAX_RETS */
};

/* Opens path. NULL with errno set and xg_errmsg() naming the file and the reason:
 * not ELF, not a Go binary, truncated, Go older than 1.21 (errno EPROTONOSUPPORT), ... */
struct gobin *gobin__open(const char *path);
void gobin__close(struct gobin *b);

/* gobin__open_flags() flags */
#define GOBIN_OPEN_NO_SYMTAB 0x1 /* ignore .symtab: functions from .gopclntab only (tests) */

struct gobin *gobin__open_flags(const char *path, unsigned int flags);
/* Opens a copy of the file image data[0..size); name is used in messages (tests, fuzzing). */
struct gobin *gobin__open_mem(const void *data, size_t size, const char *name, unsigned int flags);

/* The value of a build setting the go command recorded ("-buildmode", "CGO_ENABLED",
 * "GOEXPERIMENT", "DefaultGODEBUG", ...), or NULL. Valid until gobin__close(). */
const char *gobin__build_setting(const struct gobin *b, const char *key);
/* The i-th recorded build setting; false past the last. */
bool gobin__build_setting_at(const struct gobin *b, size_t i, const char **key, const char **value);

/* The load bias of b mapped as the main executable of process pid: runtime address minus
 * link-time address (0 for a non-PIE), from /proc/PID/maps. 0 or -errno. */
int gobin__load_bias(const struct gobin *b, int pid, uint64_t *bias);

const struct gobin_info *gobin__info(const struct gobin *b);

/* The libelf handle of the opened file (for the DWARF reader); owned by b. */
typedef struct Elf Elf;
Elf *gobin__elf(const struct gobin *b);
/* The path b was opened from. */
const char *gobin__path(const struct gobin *b);

/* The function named name (exact Go symbol name, e.g. "runtime.casgstatus" or
 * "runtime.(*mcache).refill"); ABI0 wrappers are skipped in favor of the real body.
 * 0, -ENOENT when absent, or another -errno. */
int gobin__func(const struct gobin *b, const char *name, struct gobin_func *out);

/* Calls fn for every function whose name starts with prefix, in address order. Stops early
 * and returns fn's value when non-zero. Returns 0 or -errno. */
int gobin__for_each_func(const struct gobin *b, const char *prefix,
			 int (*fn)(const struct gobin_func *f, void *ctx), void *ctx);

/* Address of a data symbol (from .symtab only; -ENOENT when stripped or absent). */
int gobin__symbol(const struct gobin *b, const char *name, uint64_t *addr);

/* pc is a link-time address. 0, or -ENOENT when no function contains it. */
int gobin__pc_lookup(const struct gobin *b, uint64_t pc, struct gobin_pcinfo *out);

/* Expands pc (link-time; ret: a return address, so the call before it is what is looked up)
 * through the inlining tree (FUNCDATA_InlTree, PCDATA_InlTreeIndex) into at most max frames,
 * innermost first, each with its own file and line, as runtime/symtabinl.go does. A C function
 * of a cgo binary is one frame from .symtab. The number of frames (>= 1), -ENOENT when no
 * function holds pc, or -errno. */
int gobin__pc_frames(const struct gobin *b, uint64_t pc, bool ret, struct gobin_frame *out,
		     size_t max);

/* How far the stack pointer at link-time pc is below its value at the entry of the Go function
 * holding pc (the runtime's funcspdelta: what the function has pushed and reserved, the return
 * address not counted), from the function's pcsp table. It finds a frame whose frame pointer
 * was not saved: on amd64 that frame's frame pointer is sp + delta - 8. 0, -ENOENT when no Go
 * function holds pc, or -errno. */
int gobin__pc_spdelta(const struct gobin *b, uint64_t pc, int32_t *delta);

/* The function a goroutine that starts at start_pc runs, as the bottom frame of Go's
 * tracebacks names it. Since Go 1.21 `go f(x)`, `go v.M(x)` and method values start the
 * goroutine in a compiler wrapper (main.main.gowrap1, pkg.(*T).M-fm); *fn is then the function
 * the wrapper calls (the call it inlined, else its direct call) and *wrapper the wrapper's
 * name; otherwise *fn is start_pc's function and *wrapper NULL. A wrapper that calls through a
 * function value names only itself (*fn == *wrapper's function, *wrapper NULL). Names are as in
 * the binary, valid until gobin__close(). 0, -ENOENT when no Go function holds start_pc. */
int gobin__start_func(const struct gobin *b, uint64_t start_pc, const char **fn,
		      const char **wrapper);

/* A compiler wrapper that starts goroutines and calls through a function value or an interface
 * (`go fv(x)`, `go iface.M(x)`): which function it calls is known only when the goroutine is
 * created, from its closure (g.sched.ctxt until the goroutine first runs): v = the closure;
 * then v = *(v + off[i]) for each i < nloads; v is the PC of the function called. */
#define GOBIN_WRAPPER_LOADS 3
struct gobin_wrapper_call {
	int32_t off[GOBIN_WRAPPER_LOADS];
	uint32_t nloads; /* 1 .. GOBIN_WRAPPER_LOADS */
};

/* Calls fn for each such wrapper of b (link-time entry address and how its callee is found),
 * stopping early on a non-zero return, which it returns. 0, or -errno. */
int gobin__for_each_indirect_wrapper(const struct gobin *b,
				     int (*fn)(uint64_t entry, const struct gobin_wrapper_call *c,
					       void *ctx),
				     void *ctx);

/* Writes Go function name `name` as the runtime of Go 1.go_minor prints it
 * (runtime.funcNameForPrint): the type arguments of a generic function shown as "[...]"
 * (main.Map[go.shape.int] -> main.Map[...]). At most len bytes with the NUL. */
void gobin_func_print_name(const char *name, int go_minor, char *buf, size_t len);

/* Decodes f with capstone (linear sweep over f->size bytes), lists every RET and chooses the
 * probe offset: the `push rbp` right after the stack-check prologue (`cmp rsp,[r14+0x10]; jbe`),
 * else that prologue's conditional jump (also emulated, same registers as at entry), else the
 * entry. emulated says whether the kernel emulates the instruction there (push, call rel32,
 * jmp, jcc, nop: one trap) or single-steps it (two traps, ~10x dearer). 0 or -errno. */
int gobin__probe_site(const struct gobin *b, const struct gobin_func *f,
		      struct gobin_probe_site *out);

/* Struct offsets and wait reason names for this binary: from its DWARF when present, else
 * from the built-in table for its Go minor version. 0 or -errno (-EPROTONOSUPPORT for a
 * version newer than the table without DWARF). */
int gobin__offsets(const struct gobin *b, struct go_offsets *out);

/* The name of the type descriptor at link-time address type_addr (an internal/abi.Type in the
 * binary's read-only data), e.g. "main.result" or "[]uint8". Writes at most len bytes with a
 * NUL. 0 or -errno. */
int gobin__type_name(const struct gobin *b, uint64_t type_addr, char *buf, size_t len);

/* Reads len bytes at link-time virtual address addr from the file's PT_LOAD segments.
 * 0, or -EFAULT when any byte lies outside file-backed segment data. */
int gobin__read_vaddr(const struct gobin *b, uint64_t addr, void *buf, size_t len);

#endif /* XG_GOBIN_GOBIN_H */
