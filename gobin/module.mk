# gobin/: reading Go binaries. libelf for ELF structure, capstone for instruction decoding
# (probe placement and RET offsets), zlib for compressed DWARF sections.
DEB_PKGS += libelf-dev libcapstone-dev zlib1g-dev

# --- offsets and DWARF (gobin/dwarf.c, gobin/offsets*.c) ----------------------------------------
# offsets-dump prints offsets from the C DWARF reader, the built-in table, or gobin__offsets(),
# for tests/offsets.test. Prerequisites expand when this file is read, before later modules add
# generated sources, so it depends on $(BIN) (which needs every library object) and names
# $(LIB_OBJS) only in the recipe.
$(OUTPUT)/offsets-dump: $(OBJ)/tests/offsets_dump.o $(BIN)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(OBJ)/tests/offsets_dump.o $(LIB_OBJS) $(LIBS)

TEST_DEPS += $(OUTPUT)/offsets-dump

# Regenerates gobin/offsets_table.c with every Go toolchain (scripts/gen-offsets.sh).
.PHONY: gen-offsets
gen-offsets:
	$(Q)OUTPUT=$(OUTPUT) scripts/gen-offsets.sh
