#!/usr/bin/env bash
# Fetches the analytics engines' C libraries that tests/parquet.test reads Parquet back with,
# from npm packages, into a cache directory, without installing anything system-wide:
#
#   DuckDB 1.5.6      @duckdb/node-bindings-linux-x64@1.5.6-r.1  -> libduckdb.so  (70 MB)
#   ClickHouse 26.5   @chdb/lib-linux-x64-gnu@26.5.3             -> libchdb.so   (560 MB)
#
#   tests/engines/fetch.sh [--quiet] [duckdb|chdb...]   (default: both)
#
# Cache: $XGOTOP_ENGINES_CACHE, else $XDG_CACHE_HOME/xgotop/engines, else
# ~/.cache/xgotop/engines. Prints one line per engine: "NAME PATH-OF-THE-LIBRARY". Exits
# non-zero when one cannot be had. The registry is npm's as configured on the machine
# (`npm pack` asks it); nothing else is contacted. Both libraries are x86-64 Linux (glibc).
set -euo pipefail

quiet=0
if [ "${1:-}" = "--quiet" ]; then quiet=1; shift; fi
engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(duckdb chdb)

cache=${XGOTOP_ENGINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xgotop/engines}
mkdir -p "$cache"

spec_of() {
	case "$1" in
	duckdb) echo "@duckdb/node-bindings-linux-x64@1.5.6-r.1 libduckdb.so" ;;
	chdb) echo "@chdb/lib-linux-x64-gnu@26.5.3 libchdb.so" ;;
	*) return 1 ;;
	esac
}

rc=0
for e in "${engines[@]}"; do
	spec=$(spec_of "$e") || { echo "engines: unknown engine '$e' (duckdb, chdb)" >&2; exit 2; }
	pkg=${spec% *}
	lib=${spec#* }
	dir="$cache/$e"
	if [ ! -s "$dir/$lib" ]; then
		if ! command -v npm >/dev/null; then
			echo "engines: npm is needed to fetch $pkg (apt-get install npm)" >&2
			rc=1
			continue
		fi
		[ $quiet = 1 ] || echo "engines: fetching $pkg with npm pack" >&2
		tmp="$cache/.tmp-$e"
		rm -rf "$tmp" && mkdir -p "$tmp"
		if ! (cd "$tmp" && npm pack --silent "$pkg" >pack.log 2>&1); then
			cat "$tmp/pack.log" >&2
			echo "engines: npm pack $pkg failed" >&2
			rc=1
			continue
		fi
		tgz=$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)
		member=$(tar -tzf "$tgz" | grep -E "(^|/)$lib\$" | head -n 1) || true
		if [ -z "$member" ]; then
			echo "engines: $pkg has no $lib" >&2
			rc=1
			continue
		fi
		tar -xzf "$tgz" -C "$tmp" "$member"
		mkdir -p "$dir"
		mv -f "$tmp/$member" "$dir/$lib.tmp"
		mv -f "$dir/$lib.tmp" "$dir/$lib"
		echo "$pkg" >"$dir/PACKAGE"
		rm -rf "$tmp"
	fi
	echo "$e $dir/$lib"
done
exit $rc
