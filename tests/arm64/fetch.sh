#!/usr/bin/env bash
# Fetch what building for arm64 and running an emulated arm64 guest need, from Debian bookworm's
# arm64 packages, into a cache, without installing anything system-wide (a private apt state of
# arm64 only: no dpkg --add-architecture). `make ARCH=arm64` and tests/arm64/vm use it.
#
#   tests/arm64/fetch.sh [--refresh]      prints the directory below, fetching what is missing
#
# Cache: $XGOTOP_ARM64_CACHE, else $XDG_CACHE_HOME/xgotop/arm64, else ~/.cache/xgotop/arm64, with
# `current` naming the directory of the kernel in use, <kernel version>/:
#   sysroot/     libc, libgcc and the -dev packages of the libraries xgotop links (a --sysroot)
#   Image        the kernel, linux-image-6.12-arm64's image from bookworm-security, uncompressed
#   vmlinux.h    that kernel's types, from the .BTF section inside Image, for the BPF programs
#   initrd.zst   the guest's root, in RAM: tests/arm64/init as /init (busybox), bash, coreutils,
#                python3, the libraries xgotop links, the kernel's 9p modules
# A part is made again when its recipe changes (the kernel; the sysroot's packages; for the
# initrd, this script and the init): <part>.key holds the recipe it was made from. A warm run reads no network. The kernel is resolved once, through its
# metapackage (old images leave the archive); --refresh resolves it again.
# The archive URIs come from the machine's own apt sources.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../debian-archive.sh
. "$here/../debian-archive.sh"

refresh=0
if [ "${1:-}" = "--refresh" ]; then refresh=1; fi
cache=${XGOTOP_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xgotop/arm64}
kernel_meta=linux-image-6.12-arm64
# the -dev packages of the Makefile's LIBS
lib_devs=(libbpf-dev libelf-dev zlib1g-dev libzstd-dev libarchive-dev libcapstone-dev
	libncurses-dev libmicrohttpd-dev)
sysroot_pkgs=(libc6-dev libgcc-12-dev linux-libc-dev "${lib_devs[@]}")
guest_pkgs=(busybox-static bash dash coreutils diffutils grep sed gawk findutils procps util-linux
	tar zstd xz-utils python3 python3-zstandard)
# the kernel modules the guest loads (with what they depend on): the 9p share
guest_modules=(9p 9pnet_virtio)
log() { echo "arm64-fetch: $*" >&2; }

# The recipe of each part: what it is made from.
key_of() {
	case "$1" in
	sysroot) echo "${sysroot_pkgs[*]}" ;;
	Image | vmlinux.h) echo "$kver" ;;
	initrd.zst) echo "$kver $(cat "$here/fetch.sh" "$here/init" | sha256sum)" ;;
	esac
}
parts=(sysroot Image vmlinux.h initrd.zst)
fresh() { [ -e "$dir/$1" ] && [ "$(cat "$dir/$1.key" 2>/dev/null)" = "$(key_of "$1")" ]; }

# Warm: every part of the current kernel made from today's recipe.
warm() {
	[ $refresh = 0 ] && [ -L "$cache/current" ] || return 1
	kver=$(readlink "$cache/current")
	dir=$cache/$kver
	for p in "${parts[@]}"; do fresh "$p" || return 1; done
	echo "$dir"
}
warm && exit 0
# one fetch at a time; the one that waited may find it done
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
warm && exit 0

debian_apt_init --arch arm64 "$cache/.apt" "$(debian_archive_uri arm64-fetch)" bookworm bookworm-updates
debian_apt_source "$(debian_archive_uri arm64-fetch security)" bookworm-security
debian_apt_update || exit 1
dl=$debian_apt_dir/dl

# The kernel: the image package the metapackage depends on today.
kpkg=$(debian_apt_cache depends "$kernel_meta" | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[ -n "$kpkg" ] || { log "cannot resolve $kernel_meta"; exit 1; }
kver=${kpkg#linux-image-}
dir=$cache/$kver
mkdir -p "$dir"
stale=()
for p in "${parts[@]}"; do fresh "$p" || stale+=("$p"); done
log "kernel $kver; making ${stale[*]:-nothing} in $dir"

# Package closures (apt's own resolution, without recommends); the libraries' runtime packages
# are what their -dev packages depend on, but for other -dev packages.
closure() { debian_apt_get -s --no-install-recommends install "$@" | awk '/^Inst / { print $2 }'; }
lib_runtimes=$(debian_apt_cache depends --no-recommends --no-suggests "${lib_devs[@]}" |
	awk '$1 == "Depends:" && $2 !~ /-dev$/ && $2 ~ /^(lib|zlib)/ { print $2 }' | sort -u)
want=()
need() { [[ " ${stale[*]} " == *" $1 "* ]]; }
if need sysroot; then mapfile -t sysroot_debs < <(closure "${sysroot_pkgs[@]}"); want+=("${sysroot_debs[@]}"); fi
# shellcheck disable=SC2086 # one package a word
if need initrd.zst; then mapfile -t guest_debs < <(closure "${guest_pkgs[@]}" $lib_runtimes); want+=("${guest_debs[@]}"); fi
if need Image || need initrd.zst; then want+=("$kpkg"); fi
find "$dl" -name '*.deb' -delete
if [ ${#want[@]} -gt 0 ]; then
	mapfile -t want < <(printf '%s\n' "${want[@]}" | sort -u)
	log "downloading ${#want[@]} packages"
	(cd "$dl" && debian_apt_get download "${want[@]}" >"$debian_apt_dir/download.log" 2>&1) ||
		{ cat "$debian_apt_dir/download.log" >&2; log "download failed"; exit 1; }
fi

# unpack ROOT PKG...: the packages' files into ROOT, /bin, /sbin and /lib being /usr's (merged
# /usr, as in a bookworm install).
unpack() {
	local root=$1 p deb
	shift
	mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib"
	for p in bin sbin lib; do [ -e "$root/$p" ] || ln -s "usr/$p" "$root/$p"; done
	for p in "$@"; do
		deb=("$dl/${p}_"*.deb)
		[ -f "${deb[0]}" ] || { log "$p: no .deb downloaded"; return 1; }
		dpkg-deb --fsys-tarfile "${deb[0]}" | tar -x --keep-directory-symlink -C "$root"
	done
}
# done_part PART: the part at $dir/PART.new becomes $dir/PART, made from today's recipe.
done_part() {
	rm -rf "${dir:?}/$1"
	mv "$dir/$1.new" "$dir/$1"
	key_of "$1" >"$dir/$1.key"
}

if need sysroot; then
	rm -rf "$dir/sysroot.new"
	unpack "$dir/sysroot.new" "${sysroot_debs[@]}"
	done_part sysroot
fi

# The kernel package's image and the modules the guest may load (file systems, network).
kroot=$dir/.kernel
kmods=$kroot/lib/modules/$kver/kernel
if need Image || need initrd.zst; then
	rm -rf "$kroot"
	mkdir -p "$kroot"
	dpkg-deb --fsys-tarfile "$dl/${kpkg}_"*.deb | tar -x -C "$kroot" --wildcards \
		'./boot/vmlinuz-*' "./lib/modules/$kver/kernel/fs/*" "./lib/modules/$kver/kernel/net/*"
fi

if need Image; then
	vmlinuz=$kroot/boot/vmlinuz-$kver
	if [ "$(head -c 2 "$vmlinuz" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
		gzip -dc "$vmlinuz" >"$dir/Image.new"
	else
		cp "$vmlinuz" "$dir/Image.new"
	fi
	done_part Image
fi

# vmlinux.h: the largest well-formed BTF blob inside Image (header: magic 9f eb, version 1,
# flags, header length 24, then type and string offsets and lengths, u32 little-endian).
if need vmlinux.h; then
	best_off=0 best_len=0
	while IFS=: read -r off _; do
		read -r hl toff tlen soff slen < <(od -An -tu4 -w20 -j $((off + 4)) -N 20 "$dir/Image")
		[ "$hl" = 24 ] || continue
		len=$((hl + (toff + tlen > soff + slen ? toff + tlen : soff + slen)))
		if [ $len -gt $best_len ]; then best_off=$off best_len=$len; fi
	done < <(LC_ALL=C grep -obUaP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$dir/Image")
	[ $best_len -gt $((1 << 20)) ] || { log "no BTF blob over 1 MiB in $dir/Image"; exit 1; }
	dd if="$dir/Image" of="$dir/.btf" iflag=skip_bytes,count_bytes bs=1M skip="$best_off" count="$best_len" status=none
	bpftool btf dump file "$dir/.btf" format c >"$dir/vmlinux.h.new"
	rm -f "$dir/.btf"
	done_part vmlinux.h
fi

if need initrd.zst; then
	root=$dir/initrd.root
	rm -rf "$root"
	unpack "$root" "${guest_debs[@]}"
	# trimmed: what a test never reads
	rm -rf "$root"/usr/share/{doc,man,info,locale,i18n,lintian,bug,bash-completion,zsh,perl*} \
		"$root"/usr/lib/aarch64-linux-gnu/{gconv,perl*,libperl*} "$root"/usr/bin/perl* \
		"$root"/usr/include "$root"/var/cache/*
	# Python's bytecode, compiled here: the guest would compile it in each boot's RAM
	py=$(cd "$root/usr/lib" && echo python3.[0-9]*)
	if [ "$(python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')" = "$py" ]; then
		python3 -m compileall -q -j 2 --invalidation-mode unchecked-hash -s "$root" -p / \
			"$root/usr/lib/$py" "$root/usr/lib/python3/dist-packages" >/dev/null
	fi
	# the modules, uncompressed (for busybox insmod), each after those it depends on (its
	# .modinfo "depends=")
	: >"$root/lib/modules.load"
	add_module() {
		local ko dep
		grep -qx "$1.ko" "$root/lib/modules.load" && return 0
		ko=$(find "$kmods" -name "$1.ko*" | head -n 1)
		[ -n "$ko" ] || { log "module $1 is not under $kmods"; return 1; }
		xz -dc "$ko" >"$root/lib/$1.ko"
		for dep in $(tr '\0' '\n' <"$root/lib/$1.ko" | sed -n 's/^depends=//p' | tr , ' '); do
			add_module "$dep"
		done
		echo "$1.ko" >>"$root/lib/modules.load"
	}
	for m in "${guest_modules[@]}"; do add_module "$m"; done
	install -m 0755 "$here/init" "$root/init"
	mkdir -p "$root"/{proc,sys,dev,tmp,run,root,etc}
	echo 'root:x:0:0:root:/root:/bin/bash' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	# the links the packages' maintainer scripts would make
	[ -e "$root/bin/sh" ] || ln -s dash "$root/bin/sh"
	[ -e "$root/bin/awk" ] || ln -s gawk "$root/bin/awk"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		zstd -q -9 -T1 >"$dir/initrd.zst.new"
	rm -rf "$root"
	done_part initrd.zst
fi

rm -rf "$kroot"
find "$dl" -name '*.deb' -delete
ln -sfn "$kver" "$cache/current"
# the kernels before this one
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name .apt ! -name "$kver" -exec rm -rf {} +
echo "$dir"
