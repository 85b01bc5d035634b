# viewer/: the outputs (TUI, JSON lines, web page).
#
# The web page's assets (viewer/web/*: hand-written HTML, JS, CSS) are compiled into the binary:
# viewer/gen-assets.py turns them into $(OUTPUT)/gen/web_assets.c (a table of byte arrays that
# viewer/web.c serves by exact path; nothing is read from disk at run time).

WEB_ASSET_FILES := $(sort $(wildcard viewer/web/*))
GEN_SRCS += $(OUTPUT)/gen/web_assets.c

$(OUTPUT)/gen/web_assets.c: $(WEB_ASSET_FILES) viewer/gen-assets.py
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)python3 viewer/gen-assets.py $(WEB_ASSET_FILES) > $@.tmp && mv $@.tmp $@

# tests/web*.test drive the page in headless Chromium
DEB_PKGS += chromium

# Benchmark driver for tests/bench/replay.bench and viewer.bench, and the writer of the CPU-share
# trace tests/tui.test and tests/web.test use; it links only what the outputs depend on.
VIEWER_BENCH_OBJS = $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard util/*.c format/*.c sink/*.c model/*.c \
		    viewer/*.c))) $(OBJ)/$(OUTPUT)/gen/web_assets.o
$(OUTPUT)/viewer-bench: $(OBJ)/tests/bench/viewer_bench.o $(OBJ)/tests/fixtures/synth.o \
		$(VIEWER_BENCH_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
TEST_DEPS += $(OUTPUT)/viewer-bench
