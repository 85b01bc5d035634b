# shellcheck shell=bash
# Debian's archive for the scripts that fetch packages into a cache of their own without
# installing anything system-wide (tests/go-toolchains.sh, tests/real-programs.sh,
# tests/arm64/fetch.sh). Sourced:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/debian-archive.sh"
#   uri=$(debian_archive_uri go-toolchains)            # "go-toolchains: ..." on failure
#   debian_apt_init "$cache/.apt" "$uri" trixie trixie-backports
#   debian_apt_update || exit 1
#   (cd "$debian_apt_dir/dl" && debian_apt_get -t trixie download golang-1.24-go/trixie)
#
# debian_apt_init makes an apt state of its own under DIR ($debian_apt_dir: sources.list with
# the suites' main, lists/, cache/, an empty dl/ for downloads); debian_apt_source adds suites
# from another URI (the security archive). debian_apt_get runs apt-get on it (quiet),
# debian_apt_cache apt-cache, with the machine's dpkg status; after `debian_apt_init --arch
# ARCH` they see ARCH's packages only and an empty dpkg status of their own (nothing
# installed), for a root of another architecture:
#
#   debian_apt_init --arch arm64 "$cache/.apt" "$uri" bookworm
#   debian_apt_source "$(debian_archive_uri fetch security)" bookworm-security

# First Debian archive URI from the machine's deb822 or one-line sources (with "security", the
# first security archive's); errors start with $1.
debian_archive_uri() {
	local f uri="" sec=${2:-}
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk -v sec="$sec" '/^URIs:/ { for (i = 2; i <= NF; i++) if (($i ~ /security/) == (sec != "")) { print $i; exit } }' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk -v sec="$sec" '$1 == "deb" && (($0 ~ /security/) == (sec != "")) { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || { echo "$1: no Debian ${sec:+security }archive URI in /etc/apt/sources.list{,.d}" >&2; return 1; }
	echo "$uri"
}

# debian_apt_init [--arch ARCH] DIR URI SUITE...
debian_apt_init() {
	debian_apt_arch=""
	if [ "$1" = --arch ]; then debian_apt_arch=$2; shift 2; fi
	debian_apt_dir=$1
	shift
	mkdir -p "$debian_apt_dir/lists/partial" "$debian_apt_dir/cache/archives/partial" "$debian_apt_dir/dl"
	: >"$debian_apt_dir/sources.list"
	: >"$debian_apt_dir/status"
	debian_apt_source "$@"
}

# debian_apt_source URI SUITE...
debian_apt_source() {
	local uri=$1 s
	shift
	for s in "$@"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $s main" >>"$debian_apt_dir/sources.list"
	done
}

# debian_apt_get ARGS: apt-get on the state; debian_apt_cache ARGS: apt-cache on it.
debian_apt_get() { debian_apt apt-get -q "$@"; }
debian_apt_cache() { debian_apt apt-cache "$@"; }

debian_apt() {
	local tool=$1 arch=() status=/var/lib/dpkg/status
	shift
	if [ -n "$debian_apt_arch" ]; then
		arch=(-o "APT::Architecture=$debian_apt_arch" -o "APT::Architectures::=$debian_apt_arch")
		status=$debian_apt_dir/status
	fi
	"$tool" -o "Dir::Etc::SourceList=$debian_apt_dir/sources.list" -o "Dir::Etc::SourceParts=-" \
		-o "Dir::State::Lists=$debian_apt_dir/lists" -o "Dir::Cache=$debian_apt_dir/cache" \
		-o "Dir::State::Status=$status" -o "APT::Get::List-Cleanup=0" "${arch[@]}" "$@"
}

# apt-get update, its output in $debian_apt_dir/update.log, shown on stderr when it fails.
debian_apt_update() {
	debian_apt_get update >"$debian_apt_dir/update.log" 2>&1 ||
		{ cat "$debian_apt_dir/update.log" >&2; return 1; }
}
