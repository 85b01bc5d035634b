#!/usr/bin/env bash
# A real ClickHouse server for the tests, from Debian 12's package (clickhouse-server 18.16),
# run as a plain process: nothing installed system-wide.
#
#   tests/engines/clickhouse-server.sh fetch              prints the server binary's path
#   tests/engines/clickhouse-server.sh start DIR PORT     a server with its data under DIR,
#                                                         HTTP on 127.0.0.1:PORT; prints its pid
#   tests/engines/clickhouse-server.sh stop DIR           stops the server started in DIR
#
# Cache: $XGOTOP_ENGINES_CACHE, else $XDG_CACHE_HOME/xgotop/engines, else ~/.cache/xgotop/engines;
# the packages the machine lacks (the server, its libraries: about 30 .debs, 16 MB) are unpacked
# with dpkg -x into $CACHE/clickhouse-18. The archive URI comes from the machine's own apt
# sources. The server's user "default" has no password and answers on 127.0.0.1 only.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../debian-archive.sh
. "$(dirname "${BASH_SOURCE[0]}")/../debian-archive.sh"

cache=${XGOTOP_ENGINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xgotop/engines}
root=$cache/clickhouse-18
bin=$root/usr/sbin/clickhouse-server
libs=$root/usr/lib/x86_64-linux-gnu

die() { echo "clickhouse-server: $*" >&2; exit 1; }

# The server's answer to GET /ping on 127.0.0.1:PORT ("Ok." when up), without curl.
ping() (
	exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	printf 'GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
	reply=$(timeout 2 cat <&3)
	[[ $reply == *$'\r\n\r\nOk.'* ]]
)

fetch() {
	if [ -x "$bin" ] && [ -f "$root/.done" ]; then
		echo "$bin"
		return
	fi
	local uri apt pkgs=() p
	uri=$(debian_archive_uri clickhouse-server)
	apt=$cache/.apt-bookworm
	debian_apt_init "$apt" "$uri" bookworm
	debian_apt_update || die "apt-get update failed"
	# the server and every package it needs that this machine does not have
	while read -r p; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
	done < <(debian_apt_cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances clickhouse-server | grep -v '^[ <]' | sort -u)
	rm -rf "$apt/dl" "$root"
	mkdir -p "$apt/dl" "$root"
	(cd "$apt/dl" && debian_apt_get download "${pkgs[@]}" >"$apt/download.log" 2>&1) ||
		{ tail -n 5 "$apt/download.log" >&2; die "downloading ${pkgs[*]} failed"; }
	for p in "$apt"/dl/*.deb; do dpkg -x "$p" "$root"; done
	[ -x "$bin" ] || die "no $bin in the packages"
	if LD_LIBRARY_PATH=$libs ldd "$bin" | grep -q "not found"; then
		die "libraries missing: $(LD_LIBRARY_PATH=$libs ldd "$bin" | grep "not found" | tr '\n' ' ')"
	fi
	touch "$root/.done"
	echo "$bin"
}

start() {
	local dir=$1 port=$2 pid
	[ -n "$dir" ] && [ -n "$port" ] || die "usage: start DIR PORT"
	fetch >/dev/null
	mkdir -p "$dir/data" "$dir/tmp" "$dir/log"
	dir=$(cd "$dir" && pwd)
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$port</http_port>
  <tcp_port>$((port + 1))</tcp_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
</yandex>
XML
	cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
XML
	LD_LIBRARY_PATH=$libs setsid "$bin" --config-file="$dir/config.xml" \
		>"$dir/log/stdout.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir/pid"
	for _ in $(seq 1 150); do
		if ping "$port" 2>/dev/null; then
			echo "$pid"
			return
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$dir/log/stdout.log" "$dir/log/error.log" >&2 2>/dev/null || true
	kill "$pid" 2>/dev/null || true
	die "the server did not answer on 127.0.0.1:$port"
}

stop() {
	local dir=$1 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$dir/pid"; return 0; }
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/pid"
}

case ${1:-} in
fetch) fetch ;;
start) start "${2:-}" "${3:-}" ;;
stop) stop "${2:-}" ;;
*) die "usage: $0 fetch | start DIR PORT | stop DIR" ;;
esac
