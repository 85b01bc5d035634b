#!/usr/bin/env bash
# Regenerates gobin/offsets_table.c: builds scripts/gen-offsets/probe with every Go toolchain of
# tests/go-toolchains.sh (1.21 ... 1.27) for GOARCH=amd64 and arm64 (cross-compiled, no cgo),
# then scripts/gen-offsets (Go: debug/dwarf + debug/elf) reads each probe's DWARF and symbol
# table for the fields listed in gobin/offsets_fields.h and writes the table.
#
#   scripts/gen-offsets.sh [OUTFILE]    (default: gobin/offsets_table.c)
#
# Probe builds and the generator are cached under $OUTPUT/gen-offsets (OUTPUT defaults to
# .output) and rebuilt only when their sources change. No network: GOPROXY=off.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
outfile=${1:-$repo/gobin/offsets_table.c}
work=${OUTPUT:-.output}/gen-offsets
mkdir -p "$work"
work=$(cd "$work" && pwd)
arches=(amd64 arm64)

roots=$("$repo/tests/go-toolchains.sh") || exit 1
cache=${XGOTOP_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xgotop/go}
export GOCACHE=$cache/.gocache GOMODCACHE=$cache/.gomodcache GOPATH=$cache/.gopath
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOENV=off GOTELEMETRY=off GOWORK=off

# up to date: target exists and no file under dir is newer
fresh() { [ -x "$1" ] && [ -z "$(find "$2" -type f -newer "$1" 2>/dev/null | head -n 1)" ]; }

build_probe() { # version goroot goarch
	local target=$work/$1-$3/probe
	fresh "$target" "$here/gen-offsets/probe" && return 0
	mkdir -p "$(dirname "$target")"
	(cd "$here/gen-offsets/probe" && GOROOT=$2 GOARCH=$3 CGO_ENABLED=0 "$2/bin/go" build \
		-o "$target.tmp" .) || { echo "gen-offsets: Go $1 $3: probe build failed" >&2; return 1; }
	mv "$target.tmp" "$target"
}
export -f build_probe fresh
export here work

jobs=() probes=() newest=""
while read -r v root _; do
	for a in "${arches[@]}"; do
		jobs+=("$v $root $a")
		probes+=("$work/$v-$a/probe")
	done
	newest=$root
done <<<"$roots"
printf '%s\n' "${jobs[@]}" | xargs -P "$(nproc)" -L 1 bash -c 'build_probe $0 $1 $2'

# The generator, built with the newest toolchain.
gen=$work/genoffsets
if ! fresh "$gen" "$here/gen-offsets/main.go" || ! fresh "$gen" "$here/gen-offsets/go.mod"; then
	(cd "$here/gen-offsets" && GOROOT=$newest CGO_ENABLED=0 "$newest/bin/go" build -o "$gen.tmp" .)
	mv "$gen.tmp" "$gen"
fi
"$gen" -fields "$repo/gobin/offsets_fields.h" -o "$outfile.tmp" "${probes[@]}"
mv "$outfile.tmp" "$outfile"
