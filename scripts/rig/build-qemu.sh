#!/bin/bash
# Make $OUT/qemu and build the rig's QEMU in $OUT/qemu-build.
#
# $OUT/qemu: Debian's QEMU source (orig tarball from the deb-src of sid and
# trixie, private apt configuration, verified against the Sources index) with
# three of Debian's build patches (the +ds tarball lacks the blobs and pycotap)
# and the rig's own files and patches (scripts/rig/qemu/) as the base commit,
# tagged rig-base; on top, the QEMU series of qemu-glue/qemu/series, one commit
# per patch. Pinned: QEMU_VERSION (default below); if the archive cannot
# deliver it, the newest 10.2.x that it can, with a warning.
#
# $OUT/qemu-build: one static x86_64 binary with KVM and TCG and the devices
# of scripts/rig/qemu/rig.mak (it is the SVM leg's L0 and the VMM inside L1;
# rig-base.mak is the same without the series' device, for the commits of the
# series before it: scripts/series/qemu-series-check.sh),
# and the qtest of the series. QEMU >= 9.2 needs meson >= 1.5: trixie's meson
# (a .deb of arch all) is fetched into the cache and put on PYTHONPATH.
# A second run with nothing changed only asks ninja, which finds nothing to do.
. "$(dirname "$0")/../lib.sh"

QEMU_VERSION=${QEMU_VERSION:-1:10.2.2+ds-1}
QEMU_PREFIX=${QEMU_PREFIX:-10.2.}
DEBIAN_PATCHES=(disable-pycotap.patch skip-unpack-edk2-blobs.patch skip-install-dtb.patch)
QEMU=$OUT/qemu QBUILD=$OUT/qemu-build
CONFIGURE_FLAGS=(--target-list=x86_64-softmmu --enable-kvm --enable-tcg --static
	--without-default-features --without-default-devices --with-devices-x86_64=rig
	--disable-docs --disable-download --disable-install-blobs --disable-werror
	--enable-trace-backends=nop)

need_pkgs gcc make ninja-build pkg-config libglib2.0-dev zlib1g-dev python3-venv \
	curl xz-utils apt git ccache patch

# The source.
DEB_SRC_PIN=$QEMU_VERSION DEB_SRC_PREFIX=$QEMU_PREFIX DEB_SRC_DEBIAN=1 \
	fetch_debian_orig qemu "${QEMU_SUITES:-sid trixie}" "$CACHE_DIR/qemu/src"
ver=$DEB_SRC_VERSION

# meson from trixie, verified by apt against the signed index.
meson_dir=$CACHE_DIR/meson
if [ ! -f "$meson_dir/usr/lib/python3/dist-packages/mesonbuild/__init__.py" ]; then
	APTDIR=$CACHE_DIR/apt-meson
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$CACHE_DIR/debs"
	mirror=${DEBIAN_MIRROR:-$(system_mirror)} ||
		die "no Debian mirror found in /etc/apt/sources*; set DEBIAN_MIRROR=<url of a Debian archive>"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$APTDIR/sources.list"
	apt_private --error-on=any update >"$APTDIR/update.log" 2>&1 ||
		die "cannot reach the Debian archive at $mirror (trixie) for meson; see $APTDIR/update.log"
	(cd "$CACHE_DIR/debs" && apt_private download meson) >&2 || die "cannot download trixie's meson"
	deb=$(find "$CACHE_DIR/debs" -name 'meson_*_all.deb' | sort -V | tail -n1)
	rm -rf "$meson_dir.part"
	dpkg-deb -x "$deb" "$meson_dir.part" || die "$deb is not a valid .deb (delete it and retry)"
	rm -rf "$meson_dir"; mv "$meson_dir.part" "$meson_dir"
fi
export PYTHONPATH=$meson_dir/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
/usr/bin/python3 -c 'import mesonbuild.mesonmain' || die "the meson in $meson_dir does not import"

# The tree.
rig_files=("$TOP"/scripts/rig/qemu/*)
base_id="deb:$ver rig:$(cat "${rig_files[@]}" | sha256sum | cut -c1-12)"
populate() {
	local p
	tar --no-same-owner -xf "$DEB_SRC_TARBALL" --strip-components=1 -C "$QEMU" || die "cannot extract $DEB_SRC_TARBALL"
	tar --no-same-owner -xf "$DEB_SRC_DEBIAN_TARBALL" -C "$QEMU" debian/patches || die "cannot extract $DEB_SRC_DEBIAN_TARBALL"
	for p in "${DEBIAN_PATCHES[@]}"; do
		patch -s -d "$QEMU" -p1 --fuzz=0 < "$QEMU/debian/patches/$p" ||
			die "Debian's $p does not apply to qemu $ver"
	done
	rm -rf "$QEMU/debian"
	for p in "$TOP"/scripts/rig/qemu/*.patch; do
		patch -s -d "$QEMU" -p1 --fuzz=0 < "$p" ||
			die "${p##*/} does not apply to qemu $ver: port it to this version"
	done
	cp "$TOP"/scripts/rig/qemu/rig*.mak "$QEMU/configs/devices/x86_64-softmmu/"
}
SERIES=$TOP/qemu-glue/qemu/series load_series
git_tree_sync "$QEMU" "$base_id" "$(SERIES=$TOP/qemu-glue/qemu/series series_id)" populate

# The build: configure again only when the flags or the base changed.
key=$(echo "$base_id ${CONFIGURE_FLAGS[*]}" | sha256sum | cut -c1-16)
export CCACHE_DIR=$CACHE_DIR/ccache CCACHE_BASEDIR=$OUT CCACHE_NOHASHDIR=1
if [ "$(cat "$QBUILD/.rig-config" 2>/dev/null)" != "$key" ]; then
	log "configuring qemu $ver"
	rm -rf "$QBUILD"; mkdir -p "$QBUILD"
	(cd "$QBUILD" && "$QEMU/configure" "${CONFIGURE_FLAGS[@]}" --cc="ccache gcc" \
		--python=/usr/bin/python3 >"$QBUILD/configure.log" 2>&1) || {
		tail -n 20 "$QBUILD/configure.log" >&2; die "qemu configure failed (log: $QBUILD/configure.log)"; }
	echo "$key" > "$QBUILD/.rig-config"
fi
# The binary, and the series' qtest once the series has it.
TARGETS=(qemu-system-x86_64)
[ ! -f "$QEMU/tests/qtest/shm-append-test.c" ] || TARGETS+=(tests/qtest/shm-append-test)
start=$SECONDS
ninja -C "$QBUILD" -j"${JOBS:-$(nproc)}" "${TARGETS[@]}" >"$QBUILD/ninja.log" 2>&1 || {
	grep -E -A5 'error|FAILED' "$QBUILD/ninja.log" | head -n 40 >&2; die "qemu build failed (log: $QBUILD/ninja.log)"; }
log "qemu $ver + $(( ${#PATCHES[@]} )) patch(es) built in $((SECONDS - start)) s: $QBUILD/qemu-system-x86_64"
