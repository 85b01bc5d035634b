# xgotop: `make` builds ./xgotop. README.md has the two set-up commands (`make demo`, `make test`).
#
# Knobs: V=1 (show commands), SANITIZE=1 (ASan+UBSan, separate object dir), CI=true (-Werror),
# VMLINUX_H=path (instead of dumping /sys/kernel/btf/vmlinux), PREFIX, DESTDIR, GO_VERSIONS,
# ARCH=arm64 (cross-build into .output/arm64, for tests/arm64/vm).

.DELETE_ON_ERROR:
.SUFFIXES:
# module.mk rules may write $$(LIB_OBJS) in prerequisite lists: expanded after every module
# has added its generated sources
.SECONDEXPANSION:
# keep intermediate files (BPF objects, test objects): no "rm" after the test summary
.SECONDARY:
.DEFAULT_GOAL := all

OUTPUT   ?= .output
# the program; with OUTPUT=.output-x use BIN=.output-x/xgotop to keep builds apart
BIN      ?= xgotop
PREFIX   ?= /usr/local
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
# the Go versions the tests build and trace: tests/go/versions
GO_VERSIONS ?= $(shell cat tests/go/versions)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH      := $(HOST_ARCH)

# ARCH=arm64 on an x86 host cross-builds xgotop, the unit tests and the BPF objects into
# $(OUTPUT)/arm64 with clang and lld, against the Debian arm64 sysroot and with the vmlinux.h
# of the arm64 kernel that tests/arm64/fetch.sh caches (it prints their directory, fetching
# them the first time). tests/arm64/vm runs what it builds.
ifneq ($(ARCH),$(HOST_ARCH))
ifneq ($(ARCH)-$(HOST_ARCH),arm64-x86)
$(error ARCH=$(ARCH) on $(HOST_ARCH): only ARCH=arm64 on x86 cross-builds)
endif
ARM64_CACHE := $(shell tests/arm64/fetch.sh)
ifeq ($(wildcard $(ARM64_CACHE)/sysroot),)
$(error tests/arm64/fetch.sh failed: no arm64 sysroot)
endif
override OUTPUT := $(OUTPUT)/arm64
override BIN := $(OUTPUT)/xgotop
CC        := $(CLANG) --target=aarch64-linux-gnu --sysroot=$(ARM64_CACHE)/sysroot
VMLINUX_H := $(ARM64_CACHE)/vmlinux.h
override LDFLAGS += -fuse-ld=lld
endif

ifeq ($(SANITIZE),1)
OBJ      := $(OUTPUT)/obj-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
OBJ      := $(OUTPUT)/obj
SANFLAGS :=
endif

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wundef
ifeq ($(CI),true)
WARNINGS += -Werror
endif

CFLAGS   ?= -O2 -g
XCFLAGS  := -std=gnu11 $(CFLAGS) $(WARNINGS) $(SANFLAGS) -D_GNU_SOURCE -I. -I$(OUTPUT) -MMD -MP
LDFLAGS  ?=
# libbpf/libelf: BPF loading; zlib: compressed DWARF and gzip exports; zstd: trace chunks;
# libarchive: bug-report bundles; capstone: instruction decoding for probe placement;
# ncursesw: TUI; microhttpd: the web output's HTTP server.
LIBS     := -lbpf -lelf -lz -lzstd -larchive -lcapstone -lncursesw -lmicrohttpd \
	    -lpthread -lm

# Library code (everything but the command-line front end) is shared by ./xgotop, the unit
# tests and the fuzz harnesses.
LIB_SRCS  = $(sort $(wildcard util/*.c format/*.c gobin/*.c sink/*.c model/*.c record/*.c replay/*.c viewer/*.c offline/*.c) $(GEN_SRCS))
CLI_SRCS  = $(sort $(wildcard cli/*.c))
LIB_OBJS  = $(patsubst %.c,$(OBJ)/%.o,$(LIB_SRCS)) $(EXTRA_OBJS)
CLI_OBJS  = $(patsubst %.c,$(OBJ)/%.o,$(CLI_SRCS))
BPF_SRCS  = $(wildcard bpf/*.bpf.c)
BPF_OBJS  = $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     = $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

# Modules append to these from their module.mk.
GEN_SRCS   :=
EXTRA_OBJS :=
# extra targets `make test` needs (test drivers, web assets, ...)
TEST_DEPS  :=
DEB_PKGS   := gcc make clang llvm binutils pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev \
	      libzstd-dev libarchive-dev libcapstone-dev libncurses-dev \
	      libmicrohttpd-dev zstd python3 python3-zstandard tmux clang-format clang-tidy \
	      cppcheck libclang-rt-14-dev dpkg-dev
# tests/arm64: the emulated arm64 guest (qemu), packing its root (cpio, xz for its modules),
# linking for it (lld)
DEB_PKGS   += qemu-system-arm cpio xz-utils lld

-include $(sort $(wildcard */module.mk))

.PHONY: all
all: $(BIN)

$(BIN): $(CLI_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(OBJ)/%.o: %.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) -c -o $@ $<

# Generated C lives under $(OUTPUT)/gen and is compiled like any other source.
$(OBJ)/$(OUTPUT)/%.o: $(OUTPUT)/%.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) -c -o $@ $<

# --- version ---------------------------------------------------------------------------------

# The version string: `git describe` of this checkout, else XG_RELEASE (a tarball). Written into
# $(OUTPUT)/xgotop-version.h only when it changes: util/version.c alone includes it, so a new
# commit recompiles that one file.
XG_RELEASE := 0.1.0

$(OUTPUT)/xgotop-version.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)v=$$(test -e .git && git describe --always --dirty 2>/dev/null) || v=$(XG_RELEASE); \
	printf '#define XG_VERSION "%s"\n' "$$v" > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; echo "  VERSION  $$v"; fi

$(OBJ)/util/version.o $(FUZZ_OBJ)/util/version.o: $(OUTPUT)/xgotop-version.h

.PHONY: FORCE
FORCE:

# --- BPF -------------------------------------------------------------------------------------

$(OUTPUT)/vmlinux.h: $(VMLINUX_H)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
ifdef VMLINUX_H
	$(Q)cp $(VMLINUX_H) $@
else
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@
endif

# BPF objects build with one known compiler (the clang of DEB_PKGS): warnings are errors.
BPF_WARNINGS := -Wall -Wextra -Wshadow -Wundef -Werror

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -I. \
		$(BPF_WARNINGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

# The BPF programs compiled for arm64, nothing loaded: `make check-bpf-arm64
# VMLINUX_H_ARM64=path`, with a vmlinux.h dumped on an arm64 kernel (its own warnings are not
# ours: -isystem).
.PHONY: check-bpf-arm64
check-bpf-arm64:
	@test -n "$(VMLINUX_H_ARM64)" || { echo "usage: make check-bpf-arm64 VMLINUX_H_ARM64=<arm64 vmlinux.h>"; exit 2; }
	$(call msg,BPF,$(BPF_SRCS) for arm64)
	$(Q)mkdir -p $(OUTPUT)/arm64 && cp $(VMLINUX_H_ARM64) $(OUTPUT)/arm64/vmlinux.h
	$(Q)for f in $(BPF_SRCS); do \
		$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_arm64 -isystem $(OUTPUT)/arm64 -I. \
			$(BPF_WARNINGS) -c $$f -o /dev/null || exit 1; done

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# Everything under record/ may include a skeleton.
$(patsubst %.c,$(OBJ)/%.o,$(wildcard record/*.c)): $(SKELS)

# --- tests -----------------------------------------------------------------------------------

# Unit tests: tests/unit/*.c, self-contained (no Go toolchain, no root), run by `make unit`;
# tests/unit/go_*.c open the Go programs `make go-progs` builds and have their own runner.
TEST_SRCS  = $(sort $(wildcard tests/unit/*.c))
UNIT_GO_SRCS = $(filter tests/unit/go_%.c,$(TEST_SRCS))
TEST_OBJS  = $(patsubst %.c,$(OBJ)/%.o,$(filter-out $(UNIT_GO_SRCS),$(TEST_SRCS)))
UNIT_GO_OBJS = $(patsubst %.c,$(OBJ)/%.o,tests/unit/main.c $(UNIT_GO_SRCS))
FUZZ_SRCS  = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))

SAN_SUFFIX = $(if $(filter 1,$(SANITIZE)),-san)
UNIT_BIN   = $(OUTPUT)/unit-tests$(SAN_SUFFIX)
UNIT_GO_BIN = $(OUTPUT)/unit-go-tests$(SAN_SUFFIX)

$(UNIT_BIN): $(TEST_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(UNIT_GO_BIN): $(UNIT_GO_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

.PHONY: unit
unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

# Corpus replay: each harness linked with a plain main() that feeds it every file given.
FUZZ_REPLAY = $(OUTPUT)/fuzz-replay$(if $(filter 1,$(SANITIZE)),-san)
$(FUZZ_REPLAY)/%: $(OBJ)/tests/fuzz/fuzz_%.o $(OBJ)/tests/fuzz/replay_main.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# libFuzzer builds (clang), for `make fuzz FUZZ=name`; not part of `make test`.
FUZZ_OBJ   := $(OUTPUT)/obj-fuzz
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
$(FUZZ_OBJ)/%.o: %.c
	$(call msg,CC-FUZZ,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -std=gnu11 -O1 -g $(FUZZ_FLAGS) -D_GNU_SOURCE -I. -I$(OUTPUT) -MMD -MP -c -o $@ $<
$(FUZZ_OBJ)/$(OUTPUT)/%.o: $(OUTPUT)/%.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -std=gnu11 -O1 -g $(FUZZ_FLAGS) -D_GNU_SOURCE -I. -I$(OUTPUT) -c -o $@ $<
$(OUTPUT)/fuzz/%: $(FUZZ_OBJ)/tests/fuzz/fuzz_%.o \
		$(patsubst %.c,$(FUZZ_OBJ)/%.o,$(LIB_SRCS)) $(EXTRA_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

# `make fuzz` without FUZZ= (or with an unknown name) prints the harnesses and fails.
.PHONY: fuzz
ifneq ($(filter $(FUZZ),$(FUZZ_NAMES)),)
fuzz: $(OUTPUT)/fuzz/$(FUZZ)
	mkdir -p tests/fuzz/corpus/$(FUZZ)
	$(OUTPUT)/fuzz/$(FUZZ) -max_total_time=$${SECONDS_:-60} tests/fuzz/corpus/$(FUZZ)
else
fuzz:
	@echo "usage: make fuzz FUZZ=NAME [SECONDS_=60], NAME one of: $(FUZZ_NAMES)" >&2
	@exit 2
endif

.PHONY: go-toolchains go-progs
go-toolchains:
	$(Q)tests/go-toolchains.sh $(GO_VERSIONS)

# Go test programs, built with every toolchain in GO_VERSIONS (tests/go/build.sh).
go-progs:
	$(Q)tests/go/build.sh $(OUTPUT)/go $(GO_VERSIONS)

TEST_DEPS += $(BIN) $(UNIT_BIN) $(UNIT_GO_BIN) $(addprefix $(FUZZ_REPLAY)/,$(FUZZ_NAMES)) go-progs

# arm64, emulated, part of `make test` on an x86 host: tests/inspect.test, tests/offsets.test and
# the unit-go-arm64 suite read the Go programs cross-built for arm64 ($(OUTPUT)/arm64/go), and
# tests/arm64.test runs suites in an arm64 guest (tests/arm64/vm) with the ARCH=arm64 build.
# `make test-arm64` runs that part alone.
ifeq ($(ARCH)-$(HOST_ARCH),x86-x86)
.PHONY: go-progs-arm64 arm64-build test-arm64
go-progs-arm64:
	$(Q)GOARCH=arm64 tests/go/build.sh $(OUTPUT)/arm64/go $(GO_VERSIONS)

arm64-build:
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 all $(OUTPUT)/arm64/unit-tests $(OUTPUT)/arm64/xgt-gen

TEST_DEPS += go-progs-arm64 arm64-build

test-arm64: $(TEST_DEPS)
	$(Q)OUTPUT=$(OUTPUT) XGOTOP=$(abspath $(BIN)) GO_VERSIONS="$(GO_VERSIONS)" \
		tests/run arm64 inspect offsets unit-go-arm64
endif

# The unit tests run twice: plain and under ASan+UBSan. T=NAME runs the suites whose name
# contains NAME, T=unit/NAME the unit tests whose name contains NAME (tests/run NAME...).
.PHONY: test
test: $(TEST_DEPS)
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 $(OUTPUT)/unit-tests-san $(OUTPUT)/unit-go-tests-san
	$(Q)OUTPUT=$(OUTPUT) XGOTOP=$(abspath $(BIN)) GO_VERSIONS="$(GO_VERSIONS)" tests/run $(T)

.PHONY: bench
bench: $(BIN) $(OUTPUT)/unit-tests
	$(Q)OUTPUT=$(OUTPUT) XGOTOP=$(abspath $(BIN)) tests/bench/run

# --- checks, install, demo -------------------------------------------------------------------

HDRS = $(sort $(wildcard util/*.h format/*.h gobin/*.h sink/*.h model/*.h record/*.h replay/*.h viewer/*.h offline/*.h cli/*.h))
ALL_C = $(LIB_SRCS) $(CLI_SRCS) $(TEST_SRCS) $(FUZZ_SRCS)

.PHONY: check check-format check-headers check-cppcheck check-tidy
check: check-format check-headers check-cppcheck check-tidy

check-format:
	$(call msg,FORMAT,all sources)
	$(Q)clang-format --dry-run --Werror $(filter-out $(OUTPUT)/%,$(ALL_C)) $(HDRS) \
		$(wildcard bpf/*.c bpf/*.h tests/unit/*.h tests/fuzz/*.h)

# Every header compiles on its own.
check-headers: $(SKELS)
	$(call msg,HEADERS,$(words $(HDRS)) headers)
	$(Q)for h in $(HDRS); do \
		echo "#include \"$$h\"" | $(CC) $(filter-out -MMD -MP,$(XCFLAGS)) -Wno-unused-function -x c -fsyntax-only - \
			|| { echo "header $$h does not compile alone"; exit 1; }; done

check-cppcheck: $(OUTPUT)/xgotop-version.h
	$(call msg,CPPCHECK,sources)
	$(Q)cppcheck -q --error-exitcode=1 --std=c11 --inline-suppr -I. -I$(OUTPUT) \
		--enable=warning,portability --suppress=missingIncludeSystem \
		$(filter-out $(OUTPUT)/%,$(LIB_SRCS) $(CLI_SRCS))

# valist.Uninitialized misfires on va_start in clang-tidy 14; sizeof-expression flags
# sizeof(arr[0]) for arrays of pointers.
check-tidy: $(SKELS) $(OUTPUT)/xgotop-version.h
	$(call msg,TIDY,sources)
	$(Q)clang-tidy --quiet --warnings-as-errors='*' \
		--checks='-*,clang-analyzer-*,-clang-analyzer-valist.Uninitialized,-clang-analyzer-security.insecureAPI.*,bugprone-*,-bugprone-sizeof-expression,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-narrowing-conversions,-bugprone-assignment-in-if-condition,-bugprone-macro-parentheses,-bugprone-implicit-widening-of-multiplication-result,-bugprone-branch-clone' \
		$(filter-out $(OUTPUT)/%,$(LIB_SRCS) $(CLI_SRCS)) -- $(filter-out -MMD -MP,$(XCFLAGS)) 2>/dev/null

.PHONY: install
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/xgotop

# Installs the Debian packages that building and testing need; `apt-get update` only when
# something is missing and the first install attempt fails.
.PHONY: deps
deps:
	$(Q)missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; }; \
	fi

.PHONY: demo
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUTPUT=$(OUTPUT) XGOTOP=$(abspath $(BIN)) tests/demo.sh

.PHONY: clean
clean:
	rm -rf $(OUTPUT) $(BIN)

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
