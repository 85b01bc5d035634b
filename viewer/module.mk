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
