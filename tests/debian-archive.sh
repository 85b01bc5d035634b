# shellcheck shell=bash
# Debian's archive for the scripts that fetch packages into a cache of their own without
# installing anything system-wide (tests/go-toolchains.sh, tests/real-programs.sh). Sourced:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/debian-archive.sh"
#   uri=$(debian_archive_uri go-toolchains)            # "go-toolchains: ..." on failure
#   debian_apt_init "$cache/.apt" "$uri" trixie trixie-backports
#   debian_apt_update || exit 1
#   (cd "$debian_apt_dir/dl" && debian_apt_get -t trixie download golang-1.24-go/trixie)
#
# debian_apt_init makes an apt state of its own under DIR ($debian_apt_dir: sources.list with
# the suites' main, lists/, cache/, an empty dl/ for downloads); debian_apt_get runs apt-get on
# it, quiet, with the machine's dpkg status.

# First Debian archive URI from the machine's deb822 or one-line sources; errors start with $1.
debian_archive_uri() {
	local f uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || { echo "$1: no Debian archive URI in /etc/apt/sources.list{,.d}" >&2; return 1; }
	echo "$uri"
}

# debian_apt_init DIR URI SUITE...
debian_apt_init() {
	debian_apt_dir=$1
	local uri=$2 s
	shift 2
	mkdir -p "$debian_apt_dir/lists/partial" "$debian_apt_dir/cache/archives/partial" "$debian_apt_dir/dl"
	: >"$debian_apt_dir/sources.list"
	for s in "$@"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $s main" >>"$debian_apt_dir/sources.list"
	done
}

debian_apt_get() {
	apt-get -o "Dir::Etc::SourceList=$debian_apt_dir/sources.list" -o "Dir::Etc::SourceParts=-" \
		-o "Dir::State::Lists=$debian_apt_dir/lists" -o "Dir::Cache=$debian_apt_dir/cache" \
		-o "Dir::State::Status=/var/lib/dpkg/status" -o "APT::Get::List-Cleanup=0" -q "$@"
}

# apt-get update, its output in $debian_apt_dir/update.log, shown on stderr when it fails.
debian_apt_update() {
	debian_apt_get update >"$debian_apt_dir/update.log" 2>&1 ||
		{ cat "$debian_apt_dir/update.log" >&2; return 1; }
}
