#!/usr/bin/env bash
# Builds every Go test program under tests/go/<prog>/ with every requested toolchain, in
# parallel, into OUTDIR/<version>/<prog>.<variant>.
#
#   tests/go/build.sh OUTDIR VERSION...
#   GOARCH=arm64 tests/go/build.sh OUTDIR VERSION...     cross-built for arm64 (Makefile: into
#                                                        .output/arm64/go, for tests/arm64/vm)
#
# tests/go/<prog>/variants lists the variants to build (default: "default"):
#   default      CGO_ENABLED=0, internal linking
#   stripped     -ldflags="-s -w"
#   pie          -buildmode=pie
#   strippedpie  -buildmode=pie -ldflags="-s -w"
#   cgo          CGO_ENABLED=1 -ldflags=-linkmode=external
#   cgostripped  cgo, and -s -w
#   cgopie       cgo, external linking, -buildmode=pie
#   cgopiestripped  cgopie, and -s -w
# and, as OUTDIR/<newest version>/pprof, Go's own pprof (cmd/pprof: tests/prodmode.test reads
# profiles with it, in the arm64 guest too, where there is no Go toolchain).
# A target newer than its sources is not rebuilt. Toolchains come from tests/go-toolchains.sh.
# GOARCH: the host's unless set. Cross-built cgo variants link with clang and lld against the
# Debian sysroot of that architecture (arm64: tests/arm64/fetch.sh's, fetched when missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
shift
versions=("$@")
mkdir -p "$out"
out=$(cd "$out" && pwd)

roots=$("$here/../go-toolchains.sh" "${versions[@]}") || exit 1
cache=${XGOTOP_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xgotop/go}
export GOCACHE=$cache/.gocache GOMODCACHE=$cache/.gomodcache GOPATH=$cache/.gopath
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOENV=off GOTELEMETRY=off GOWORK=off

host_arch=$(uname -m | sed -e 's/x86_64/amd64/' -e 's/aarch64/arm64/')
export GOARCH=${GOARCH:-$host_arch}
cross_cc=""
if [ "$GOARCH" != "$host_arch" ]; then
	case $GOARCH-$host_arch in
	arm64-amd64) sysroot=$("$here/../arm64/fetch.sh")/sysroot || exit 1
		cross_cc="clang --target=aarch64-linux-gnu --sysroot=$sysroot" ;;
	*) echo "build.sh: GOARCH=$GOARCH on $host_arch: only arm64 on amd64 cross-builds" >&2; exit 1 ;;
	esac
fi

jobs=()
while read -r v root _; do
	for dir in "$here"/*/; do
		prog=$(basename "$dir")
		[ -f "$dir/main.go" ] || continue
		variants=default
		[ -f "$dir/variants" ] && variants=$(grep -v '^#' "$dir/variants" | tr '\n' ' ')
		for var in $variants; do
			jobs+=("$v $root $prog $var")
		done
	done
	last="$v $root"
done <<<"$roots"
jobs+=("$last pprof tool")

build_one() {
	set -euo pipefail
	local v=$1 root=$2 prog=$3 var=$4 dir=$here/$3
	local target=$out/$v/$prog.$var pkg=.
	local newest
	if [ "$var" = tool ]; then
		target=$out/$v/$prog pkg=cmd/$prog dir=$here
		newest=""
	else
		newest=$(find "$dir" -type f -newer "$target" 2>/dev/null | head -n 1 || true)
	fi
	if [ -x "$target" ] && [ -z "$newest" ]; then
		return 0
	fi
	mkdir -p "$out/$v"
	local cgo=0 flags=()
	case $var in
	default | tool) ;;
	stripped) flags=(-ldflags=-s\ -w) ;;
	pie) flags=(-buildmode=pie) ;;
	strippedpie) flags=(-buildmode=pie -ldflags=-s\ -w) ;;
	cgo) cgo=1 flags=(-ldflags=-linkmode=external) ;;
	cgostripped) cgo=1 flags=(-ldflags=-linkmode=external\ -s\ -w) ;;
	cgopie) cgo=1 flags=(-buildmode=pie -ldflags=-linkmode=external) ;;
	cgopiestripped) cgo=1 flags=(-buildmode=pie -ldflags=-linkmode=external\ -s\ -w) ;;
	*) echo "build.sh: $prog: unknown variant $var" >&2; return 1 ;;
	esac
	local env=()
	# lld in the link flags, not in CC: cgo's compiler check rejects an unused -fuse-ld
	[ -z "$cross_cc" ] || env=(CC="$cross_cc" CGO_LDFLAGS=-fuse-ld=lld)
	(cd "$dir" && env "${env[@]}" GOROOT="$root" CGO_ENABLED=$cgo "$root/bin/go" build \
		"${flags[@]}" -o "$target.tmp" "$pkg" ) ||
		{ echo "build.sh: Go $v $GOARCH: $prog.$var failed" >&2; return 1; }
	mv "$target.tmp" "$target"
}
export -f build_one
export here out cross_cc

printf '%s\n' "${jobs[@]}" | xargs -P "$(nproc)" -L 1 bash -c 'build_one $0 $1 $2 $3'
