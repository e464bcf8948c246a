#!/bin/bash
# Build the sparse that series-check runs (C=2) on arch/x86/kvm/, once, into
# the cache, and print its path. Linux 7.3 needs a sparse that parses
# __typeof_unqual__ (scripts/checker-valid.sh): Debian 12's 0.6.4 and
# trixie's 0.6.4-5 do not, sid's 0.6.5~rc1 does, but its binary needs a
# newer glibc. So: Debian's sparse source (deb-src of SPARSE_SUITES, newest
# version that downloads, verified against the Sources index), built here.
# Cached in $CACHE_DIR/sparse/<version>/sparse.
. "$(dirname "$0")/../lib.sh"

SUITES=${SPARSE_SUITES:-sid}
# The newest one built (a version that the kernel refuses makes
# series-check stop, naming it).
b=$({ find "$CACHE_DIR/sparse" -mindepth 2 -maxdepth 2 -name sparse -type f -perm -u+x 2>/dev/null || true; } | sort -V | tail -n1)
[ -z "$b" ] || { echo "$b"; exit 0; }

need_pkgs gcc make curl apt xz-utils
fetch_debian_orig sparse "$SUITES" "$CACHE_DIR/sparse/src"
ver=$DEB_SRC_VERSION
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xf "$DEB_SRC_TARBALL" -C "$work" || die "cannot extract $DEB_SRC_TARBALL"
srcdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
make -s -C "$srcdir" -j"${JOBS:-$(nproc)}" sparse >"$work/make.log" 2>&1 || {
	grep -E 'error' "$work/make.log" | head -n 20 >&2; die "sparse $ver build failed"; }
dest=$CACHE_DIR/sparse/${ver//[:+~]/_}
mkdir -p "$dest"
cp "$srcdir/sparse" "$dest/sparse.part" && mv "$dest/sparse.part" "$dest/sparse"
log "built sparse $ver: $dest/sparse"
echo "$dest/sparse"
