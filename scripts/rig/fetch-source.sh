#!/bin/bash
# Fetch Debian's linux-source-7.3 .deb from trixie-backports with a private apt
# configuration (the system's apt sources are read, never written), cache it
# outside the checkout and print the path of the cached kernel tarball.
#
# Pinned version: KDEB_VERSION (default below). If the archive no longer carries
# it, the newest 7.3 upload of trixie-backports is taken instead, with a warning.
# KDEB_STRICT=1 turns that fallback into an error.
. "$(dirname "$0")/../lib.sh"

KDEB_PKG=linux-source-7.3
KDEB_VERSION=${KDEB_VERSION:-7.3.4-1~bpo13+1}
KDEB_SUITE=${KDEB_SUITE:-trixie-backports}
KDEB_STRICT=${KDEB_STRICT:-0}

APTDIR=$CACHE_DIR/apt
DEBDIR=$CACHE_DIR/debs
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$DEBDIR"

deb_for() { echo "$DEBDIR/${KDEB_PKG}_${1//:/%3a}_all.deb"; }

version=$KDEB_VERSION
deb=$(deb_for "$version")

if [ ! -s "$deb" ]; then
	mirror=${DEBIAN_MIRROR:-$(system_mirror)} ||
		die "no Debian mirror found in /etc/apt/sources*; set DEBIAN_MIRROR=<url of a Debian archive>"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $KDEB_SUITE main" \
		> "$APTDIR/sources.list"
	log "updating a private apt index for $KDEB_SUITE ($mirror)"
	apt_private --error-on=any update >"$APTDIR/update.log" 2>&1 || {
		tail -n 5 "$APTDIR/update.log" >&2
		die "cannot reach the Debian archive at $mirror ($KDEB_SUITE); see $APTDIR/update.log"
	}
	avail=$(apt-cache -o Dir::Etc::sourcelist="$APTDIR/sources.list" \
		-o Dir::Etc::sourceparts=/dev/null -o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" madison "$KDEB_PKG" 2>/dev/null | awk '{print $3}')
	[ -n "$avail" ] ||
		die "$KDEB_SUITE carries no $KDEB_PKG any more; use KSRC=/path/to/linux-7.3"
	if ! grep -qxF "$version" <<<"$avail"; then
		[ "$KDEB_STRICT" = 1 ] &&
			die "$KDEB_PKG $version is gone from $KDEB_SUITE (on offer: $(echo $avail)); KDEB_STRICT=1 forbids the fallback"
		newest=$(sort -V <<<"$avail" | grep '^7\.3\.' | tail -n1) ||
			die "$KDEB_SUITE offers no 7.3 version of $KDEB_PKG (on offer: $(echo $avail))"
		warn "pinned $KDEB_PKG $version is gone from $KDEB_SUITE; falling back to the newest 7.3: $newest"
		version=$newest
		deb=$(deb_for "$version")
	fi
	if [ ! -s "$deb" ]; then
		log "downloading $KDEB_PKG=$version (~170 MB)"
		(cd "$DEBDIR" && apt_private download "$KDEB_PKG=$version") >&2 ||
			die "download of $KDEB_PKG=$version failed"
		[ -s "$deb" ] || die "apt-get download produced no $deb"
	fi
fi

# Extract the tarball once per version, next to the .deb.
tarball=$CACHE_DIR/src/$version/linux-source-7.3.tar.xz
if [ ! -s "$tarball" ]; then
	tmp=$CACHE_DIR/src/.extract.$$
	rm -rf "$tmp"; mkdir -p "$tmp"
	dpkg-deb -x "$deb" "$tmp" || { rm -rf "$tmp"; die "$deb is not a valid .deb (delete it and retry)"; }
	[ -s "$tmp/usr/src/linux-source-7.3.tar.xz" ] ||
		{ rm -rf "$tmp"; die "$deb holds no usr/src/linux-source-7.3.tar.xz"; }
	mkdir -p "${tarball%/*}"
	mv "$tmp/usr/src/linux-source-7.3.tar.xz" "$tarball"
	rm -rf "$tmp"
fi
echo "$version" > "${tarball%/*}/VERSION"
echo "$tarball"
