#!/usr/bin/env bash
# Fetch real Go programs that nobody here wrote, from Debian packages, into a cache directory,
# without installing anything system-wide. tests/realprogs.test traces them.
#
#   tests/real-programs.sh [--quiet] [PACKAGE...]   (default: prometheus etcd-server)
#
# Cache: $XGOTOP_REAL_CACHE, else $XDG_CACHE_HOME/xgotop/real, else ~/.cache/xgotop/real.
# Each package is unpacked at $CACHE/<package> (dpkg -x), with $CACHE/<package>/.version holding
# the Debian version; a package already there is not fetched again. Prints one line per package:
# "<package> <debian-version> <main binary>". Exits non-zero if any package is missing.
#
# The packages come from trixie, built with Go 1.24; their binaries need glibc >= 2.34 only, so
# they run on Debian 12 as they are. The archive URI comes from the machine's own apt sources.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=debian-archive.sh
. "$(dirname "${BASH_SOURCE[0]}")/debian-archive.sh"

quiet=0
if [ "${1:-}" = "--quiet" ]; then quiet=1; shift; fi
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(prometheus etcd-server)
suite=trixie

cache=${XGOTOP_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xgotop/real}
mkdir -p "$cache"

binary_of() {
	case "$1" in
	prometheus) echo usr/bin/prometheus ;;
	etcd-server) echo usr/bin/etcd ;;
	etcd-client) echo usr/bin/etcdctl ;;
	prometheus-node-exporter) echo usr/bin/prometheus-node-exporter ;;
	restic) echo usr/bin/restic ;;
	caddy) echo usr/bin/caddy ;;
	*) echo "real-programs: no main binary known for package $1" >&2; return 1 ;;
	esac
}

have() {
	local bin
	bin=$(binary_of "$1") || return 1
	[ -s "$cache/$1/.version" ] && [ -x "$cache/$1/$bin" ]
}

missing=()
for p in "${pkgs[@]}"; do
	binary_of "$p" >/dev/null
	have "$p" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	uri=$(debian_archive_uri real-programs)
	apt_dir="$cache/.apt"
	debian_apt_init "$apt_dir" "$uri" "$suite"
	[ $quiet = 1 ] || echo "real-programs: fetching ${missing[*]} from $uri $suite" >&2
	debian_apt_update || exit 1
	rm -rf "$apt_dir/dl"/*
	specs=()
	for p in "${missing[@]}"; do specs+=("$p/$suite"); done
	(cd "$apt_dir/dl" && debian_apt_get download "${specs[@]}" >"$apt_dir/download.log" 2>&1) ||
		{ cat "$apt_dir/download.log" >&2; echo "real-programs: cannot download ${missing[*]} from $suite" >&2; exit 1; }
	for p in "${missing[@]}"; do
		debs=("$apt_dir/dl/${p}_"*.deb)
		[ -f "${debs[0]}" ] || { echo "real-programs: $p: no .deb downloaded" >&2; exit 1; }
		tmp="$cache/.tmp-$p"
		rm -rf "$tmp" && mkdir -p "$tmp"
		dpkg -x "${debs[0]}" "$tmp"
		dpkg-deb -f "${debs[0]}" Version >"$tmp/.version"
		rm -rf "${cache:?}/$p" && mv "$tmp" "$cache/$p"
		have "$p" || { echo "real-programs: $p unpacked but $cache/$p/$(binary_of "$p") is missing" >&2; exit 1; }
	done
	rm -rf "$apt_dir/dl"/*
fi

rc=0
for p in "${pkgs[@]}"; do
	if have "$p"; then
		[ $quiet = 1 ] || echo "$p $(cat "$cache/$p/.version") $cache/$p/$(binary_of "$p")"
	else
		echo "real-programs: $p missing" >&2
		rc=1
	fi
done
exit $rc
