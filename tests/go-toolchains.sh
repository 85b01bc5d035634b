#!/usr/bin/env bash
# Fetch the Go toolchains the tests build with, from Debian packages, into a cache
# directory, without installing anything system-wide.
#
#   tests/go-toolchains.sh [--quiet] [VERSION...]   (default: 1.21 ... 1.27)
#
# Cache: $XGOTOP_GO_CACHE, else $XDG_CACHE_HOME/xgotop/go, else ~/.cache/xgotop/go.
# Each version ends up at $CACHE/1.XX/usr/lib/go-1.XX (a GOROOT). Prints one line per
# version: "1.XX <GOROOT> <go version output>". Exits non-zero if any version is missing.
# The archive URI comes from the machine's own apt sources.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=debian-archive.sh
. "$(dirname "${BASH_SOURCE[0]}")/debian-archive.sh"

quiet=0
if [ "${1:-}" = "--quiet" ]; then quiet=1; shift; fi
versions=("$@")
[ ${#versions[@]} -gt 0 ] || read -ra versions <"$(dirname "${BASH_SOURCE[0]}")/go/versions"

cache=${XGOTOP_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xgotop/go}
mkdir -p "$cache"

suite_of() {
	case "$1" in
	1.21 | 1.22 | 1.23) echo bookworm-backports ;;
	1.24) echo trixie ;;
	*) echo trixie-backports ;;
	esac
}

have() { [ -x "$cache/$1/usr/lib/go-$1/bin/go" ] && [ -d "$cache/$1/usr/lib/go-$1/src/runtime" ]; }

missing=()
for v in "${versions[@]}"; do have "$v" || missing+=("$v"); done

if [ ${#missing[@]} -gt 0 ]; then
	uri=$(debian_archive_uri go-toolchains)
	apt_dir="$cache/.apt"
	debian_apt_init "$apt_dir" "$uri" bookworm-backports trixie trixie-backports
	[ $quiet = 1 ] || echo "go-toolchains: fetching ${missing[*]} from $uri" >&2
	debian_apt_update || exit 1
	for v in "${missing[@]}"; do
		suite=$(suite_of "$v")
		rm -rf "$apt_dir/dl"/*
		(cd "$apt_dir/dl" && debian_apt_get -t "$suite" download \
			"golang-$v-go/$suite" "golang-$v-src/$suite" >"$apt_dir/download.log" 2>&1) ||
			{ cat "$apt_dir/download.log" >&2; echo "go-toolchains: cannot download Go $v from $suite" >&2; exit 1; }
		tmp="$cache/.tmp-$v"
		rm -rf "$tmp" && mkdir -p "$tmp"
		for deb in "$apt_dir/dl"/*.deb; do dpkg -x "$deb" "$tmp"; done
		rm -rf "${cache:?}/$v" && mv "$tmp" "$cache/$v"
		have "$v" || { echo "go-toolchains: Go $v unpacked but $cache/$v/usr/lib/go-$v/bin/go is missing" >&2; exit 1; }
	done
fi

rc=0
for v in "${versions[@]}"; do
	root="$cache/$v/usr/lib/go-$v"
	if have "$v"; then
		[ $quiet = 1 ] || echo "$v $root $(GOROOT=$root GOTOOLCHAIN=local "$root/bin/go" version)"
	else
		echo "go-toolchains: Go $v missing" >&2
		rc=1
	fi
done
exit $rc
