# offline/: bug-report bundles, exports (Perfetto, Chrome JSON, pprof), check and diff.
#
# protobuf-compiler: tests decode the Perfetto and pprof exports with `protoc --decode_raw`.
# The fixture generator (tests/fixtures/offline_gen.c) writes the check/diff/export fixtures
# with the format library's writer; tests/offline.test checks the committed ones still decode
# as freshly generated ones do.

DEB_PKGS += protobuf-compiler

OFFLINE_GEN = $(OUTPUT)/offline-gen$(if $(filter 1,$(SANITIZE)),-san)

$(OFFLINE_GEN): $(OBJ)/tests/fixtures/offline_gen.o $$(FORMAT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ -lzstd -lpthread -lm

TEST_DEPS += $(OFFLINE_GEN)

# The analytics engines tests/parquet.test reads the Parquet exports back with: DuckDB and chdb
# (ClickHouse), C libraries from npm packages (tests/engines/fetch.sh caches them with `npm
# pack`), loaded at run time by a small driver that runs SQL on either. npm: Debian's package
# when the machine has no npm of its own (a Node.js install that ships one).
ifeq ($(shell command -v npm),)
DEB_PKGS += npm
endif

ENGINE_SQL = $(OUTPUT)/engine-sql

$(ENGINE_SQL): tests/engines/sql.c
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XCFLAGS) $(LDFLAGS) -o $@ $< -ldl

TEST_DEPS += $(ENGINE_SQL)
