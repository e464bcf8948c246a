#!/bin/bash
# Build the Bochs the VMX leg runs, once, into the cache, and print its path.
# Source: Debian's bochs source package, its orig tarball fetched from the
# archive with a private apt configuration (deb-src of sid and trixie) and
# verified against the Sources index's SHA-256. Versions on offer are tried
# newest first: the archive's pool does not always hold every file its
# indexes list. On top: the rig's patches in scripts/rig/bochs/*.patch (Bochs
# bugs that KVM runs into). Configured with no GUI, no debugger, no
# show-ips (its SIGALRM handler deadlocked mid-run). Debian's own patches
# only concern docs, BIOS builds and paths, none of which this build uses.
# Cached in $CACHE_DIR/bochs/<version>-<hash of patches + flags>/bochs.
. "$(dirname "$0")/../lib.sh"

CONFIGURE_FLAGS=(--enable-x86-64 --enable-vmx=2 --enable-avx --enable-evex --enable-cpu-level=6
	--enable-long-phy-address --enable-all-optimizations --enable-repeat-speedups
	--enable-handlers-chaining --enable-trace-linking --enable-configurable-msrs
	--disable-show-ips --disable-debugger --disable-plugins --with-nogui --without-x11
	--without-wx --without-sdl2 --without-term --enable-pci --enable-cdrom)
SUITES=${BOCHS_SUITES:-sid trixie}

patches=("$TOP"/scripts/rig/bochs/*.patch)
key=$( { cat "${patches[@]}"; echo "${CONFIGURE_FLAGS[*]}"; } | sha256sum | cut -c1-12)
for b in "$CACHE_DIR"/bochs/*-"$key"/bochs; do
	[ -x "$b" ] && { echo "$b"; exit 0; }
done

need_pkgs g++ make curl xz-utils ccache apt patch
APTDIR=$CACHE_DIR/apt-bochs
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$CACHE_DIR/bochs/src"
mirror=${DEBIAN_MIRROR:-$(system_mirror)} ||
	die "no Debian mirror found in /etc/apt/sources*; set DEBIAN_MIRROR=<url of a Debian archive>"
for s in $SUITES; do
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main"
done > "$APTDIR/sources.list"
log "updating a private apt source index ($SUITES at $mirror)"
apt_private --error-on=any update >"$APTDIR/update.log" 2>&1 || {
	tail -n 5 "$APTDIR/update.log" >&2
	die "cannot reach the Debian archive at $mirror for bochs sources; see $APTDIR/update.log"
}

# "version directory sha256 size file" for each orig tarball of bochs.
offers=$(for f in "$APTDIR"/lists/*_source_Sources*; do
	/usr/lib/apt/apt-helper cat-file "$f"
done | awk '
	/^Package: / { pkg = $2; ver = dir = ""; in_sha = 0 }
	pkg == "bochs" && /^Version: / { ver = $2 }
	pkg == "bochs" && /^Directory: / { dir = $2 }
	/^Checksums-Sha256:/ { in_sha = 1; n = 0; next }
	in_sha && /^ / { if (pkg == "bochs") { sha[n] = $1; size[n] = $2; file[n++] = $3 }; next }
	{ in_sha = 0 }
	/^$/ && pkg == "bochs" { for (i = 0; i < n; i++) if (file[i] ~ /\.orig\.tar\./)
		print ver, dir, sha[i], size[i], file[i]; pkg = "" }
	END { if (pkg == "bochs") for (i = 0; i < n; i++) if (file[i] ~ /\.orig\.tar\./)
		print ver, dir, sha[i], size[i], file[i] }' | sort -u -k1,1Vr)
[ -n "$offers" ] || die "the Debian archive ($SUITES) lists no bochs source"

tried=()
while read -r ver dir sha size file; do
	tarball=$CACHE_DIR/bochs/src/$file
	if [ ! -s "$tarball" ] || [ "$(sha256sum < "$tarball" | cut -d' ' -f1)" != "$sha" ]; then
		log "fetching $file ($size bytes)"
		if ! curl -fsS --retry 2 -o "$tarball.part" "$mirror/$dir/$file" 2>"$tarball.err"; then
			tried+=("$ver: $(tr -d '\n' < "$tarball.err")"); rm -f "$tarball.part" "$tarball.err"; continue
		fi
		rm -f "$tarball.err"
		got=$(sha256sum < "$tarball.part" | cut -d' ' -f1)
		if [ "$got" != "$sha" ]; then
			tried+=("$ver: SHA-256 $got, the index says $sha"); rm -f "$tarball.part"; continue
		fi
		mv "$tarball.part" "$tarball"
	fi
	break
done <<<"$offers"
[ -s "$tarball" ] && [ "$(sha256sum < "$tarball" | cut -d' ' -f1)" = "$sha" ] ||
	die "no bochs source could be fetched: $(printf '%s; ' "${tried[@]}")"
[ ${#tried[@]} = 0 ] || warn "skipped bochs versions: $(printf '%s; ' "${tried[@]}")"

dest=$CACHE_DIR/bochs/${ver//[:+~]/_}-$key
# A fixed build path and CCACHE_BASEDIR, so that a rebuild hits ccache.
work=$CACHE_DIR/bochs/.build
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
tar -xf "$tarball" -C "$work" || die "cannot extract $tarball"
srcdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
for p in "${patches[@]}"; do
	patch -s -d "$srcdir" -p1 --fuzz=0 < "$p" ||
		die "${p##*/} does not apply to bochs $ver: port it to this version"
done
log "building bochs $ver (no GUI, no debugger) with ${#patches[@]} rig patch(es)"
start=$SECONDS
export CCACHE_DIR=$CACHE_DIR/ccache CCACHE_BASEDIR=$work CCACHE_NOHASHDIR=1
(cd "$srcdir" && ./configure "${CONFIGURE_FLAGS[@]}" >"$work/configure.log" 2>&1) || {
	tail -n 20 "$work/configure.log" >&2; die "bochs configure failed"; }
make -s -C "$srcdir" -j"${JOBS:-$(nproc)}" CC="ccache gcc" CXX="ccache g++" >"$work/make.log" 2>&1 || {
	grep -E 'error' "$work/make.log" | head -n 20 >&2; die "bochs build failed"; }
mkdir -p "$dest"
strip -o "$dest/bochs.part" "$srcdir/bochs" && mv "$dest/bochs.part" "$dest/bochs"
echo "$ver" > "$dest/VERSION"
log "built bochs $ver in $((SECONDS - start)) s: $dest/bochs"
echo "$dest/bochs"
