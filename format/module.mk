# format/: trace file format. Test helpers built from tests/ sources: the fixture generator
# (tests/fixtures/gen.c) and the format benchmark driver (tests/bench/format_bench.c), both on
# the synthesized HTTP-server event stream (tests/fixtures/synth.c). They link only format/ and
# util/, which depend on nothing else in the tree.

FORMAT_OBJS = $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard format/*.c util/*.c)))

XGT_GEN = $(OUTPUT)/xgt-gen$(if $(filter 1,$(SANITIZE)),-san)

$(XGT_GEN): $(OBJ)/tests/fixtures/gen.o $(OBJ)/tests/fixtures/synth.o $(FORMAT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ -lzstd -lpthread -lm

$(OUTPUT)/format-bench$(if $(filter 1,$(SANITIZE)),-san): $(OBJ)/tests/bench/format_bench.o $(OBJ)/tests/fixtures/synth.o \
		$(FORMAT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ -lzstd -lpthread -lm

TEST_DEPS += $(XGT_GEN)

# trace-agree: two traces of one run side by side per goroutine (tests/gotrace.test).
TRACE_AGREE = $(OUTPUT)/trace-agree

$(TRACE_AGREE): $(OBJ)/tests/trace_agree.o $(FORMAT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ -lzstd -lpthread -lm

TEST_DEPS += $(TRACE_AGREE)

# gotrace-dump prints a Go execution trace as `go tool trace -d=parsed` does (tests/gotrace_parse.test).
GOTRACE_DUMP = $(OUTPUT)/gotrace-dump$(if $(filter 1,$(SANITIZE)),-san)

$(GOTRACE_DUMP): $(OBJ)/tests/gotrace_dump.o $(FORMAT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ -lzstd -lpthread -lm

TEST_DEPS += $(GOTRACE_DUMP)

# The damage tests of tests/gotrace_parse.test run the reader under ASan+UBSan.
ifneq ($(SANITIZE),1)
.PHONY: gotrace-dump-san
gotrace-dump-san:
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 $(OUTPUT)/gotrace-dump-san

TEST_DEPS += gotrace-dump-san
endif
