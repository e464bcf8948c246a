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
fetch_debian_orig bochs "$SUITES" "$CACHE_DIR/bochs/src"
ver=$DEB_SRC_VERSION tarball=$DEB_SRC_TARBALL

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
