# gobin/: reading Go binaries. libelf for ELF structure, capstone for instruction decoding
# (probe placement and RET offsets), zlib for compressed DWARF sections.
DEB_PKGS += libelf-dev libcapstone-dev zlib1g-dev
