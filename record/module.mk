# record/: live capture (xgotop record). The BPF programs are bpf/*.bpf.c; the top Makefile
# builds their skeletons ($(OUTPUT)/<name>.skel.h) before anything under record/ compiles.
DEB_PKGS += libbpf-dev bpftool clang libcapstone-dev

# Benchmark driver for tests/bench/record.bench: the synthetic-producer ingest benchmark and
# the trap-cost runs (bpf/bench.bpf.c). Links the library code like the unit tests do.
$(OBJ)/tests/bench/record_bench.o: $(SKELS)
$(OUTPUT)/record-bench: $(OBJ)/tests/bench/record_bench.o $$(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
