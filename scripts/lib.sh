# shellcheck shell=bash
# Common helpers for the rig scripts. Sourced, never run.

set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
OUT=${OUT:-$TOP/out}
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-shm-append}

log()  { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "${0##*/}" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# The patches of the series, in order, as absolute paths: kernel/series, or
# the file SERIES names; a relative path there is taken from the repo root.
series_patches() {
	local line file=${SERIES:-$TOP/kernel/series}
	[ -f "$file" ] || die "series file $file does not exist"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		line=$(printf '%s' "$line" | tr -d '[:space:]')
		[ -n "$line" ] || continue
		case "$line" in /*) ;; *) line=$TOP/$line ;; esac
		[ -f "$line" ] || die "${file#$TOP/} lists '$line', which does not exist"
		printf '%s\n' "$line"
	done < "$file"
}

# Load the series into the array PATCHES (exits on a bad series file).
# shellcheck disable=SC2034 # PATCHES is used by the scripts that source this
load_series() {
	local txt
	txt=$(series_patches) || exit 1
	PATCHES=()
	[ -z "$txt" ] || mapfile -t PATCHES <<<"$txt"
}

# Identity of the series (the list and every patch), after load_series.
series_id() {
	{ cat "${SERIES:-$TOP/kernel/series}"; [ ${#PATCHES[@]} = 0 ] || cat "${PATCHES[@]}"; } |
		sha256sum | cut -c1-16
}

# Kernel version of a tree as "VERSION.PATCHLEVEL".
tree_version() {
	local mk=$1/Makefile v p
	[ -f "$mk" ] || return 1
	v=$(sed -n 's/^VERSION *= *//p' "$mk" | head -n1)
	p=$(sed -n 's/^PATCHLEVEL *= *//p' "$mk" | head -n1)
	[ -n "$v" ] && [ -n "$p" ] || return 1
	printf '%s.%s\n' "$v" "$p"
}

# Fail unless $1 is a Linux 7.3 source tree.
require_73_tree() {
	local t=$1 ver
	[ -d "$t" ] || die "kernel tree '$t' does not exist"
	[ -f "$t/Makefile" ] && [ -d "$t/arch/x86/kvm" ] ||
		die "'$t' is not a Linux source tree (no Makefile or arch/x86/kvm)"
	ver=$(tree_version "$t") || die "'$t': cannot read VERSION/PATCHLEVEL from its Makefile"
	[ "$ver" = "7.3" ] || die "'$t' is Linux $ver; this series is for Linux 7.3"
}

# The test names of list files (sets, known failures): first word of each
# line that is not blank or a comment.
list_names() { grep -hv '^[[:space:]]*\(#\|$\)' "$@" | awk '{print $1}'; }

# The kernel command line every rig boot uses.
# shellcheck disable=SC2034 # used by the scripts that source this
RIG_BASE_CMDLINE="console=ttyS0,115200 printk.time=1 panic=-1 mitigations=off kvm.force_emulation_prefix=1"

# The SVM leg's emulator: QEMU TCG, -cpu max (AMD SVM with nested paging),
# single-threaded (multi-threaded TCG raced with the kernel's text patching).
# The QEMU is the rig's own (scripts/rig/build-qemu.sh: 10.2.2 with the
# rig's fix for nested SVM interrupts), with Debian's SeaBIOS and option
# ROMs (its +ds source has no firmware blobs).
#   qemu_svm KERNEL INITRD CMDLINE  -> sets the array EMU
# shellcheck disable=SC2034,SC2054 # EMU is used by callers; commas are QEMU syntax
qemu_svm() {
	[ -x "$OUT/qemu-build/qemu-system-x86_64" ] ||
		die "no QEMU in $OUT/qemu-build for the svm leg: run 'make qemu' first"
	EMU=("$OUT/qemu-build/qemu-system-x86_64" -L /usr/share/seabios -L /usr/share/qemu
	     -accel tcg,thread=single,tb-size=512 -cpu max
	     -m "${RIG_MEM:-4G}" -smp 2 -display none -nodefaults -no-reboot
	     -device isa-debug-exit,iobase=0xf4,iosize=0x04
	     -kernel "$1" -initrd "$2" -append "$3")
}

# The VMX leg's emulator: Bochs (scripts/rig/build-bochs.sh), Skylake-X with VMX,
# EPT, VPID, unrestricted guest, booting an isolinux ISO. Headless: the first
# serial port (the kernel console) goes to stdout, the second (the guest's
# report channel) to the file REPORT, Bochs' own log to a file; a panic is
# fatal (exit), no debugger prompt. `clock: sync=none`: guest time is
# emulated instruction time, so the TSC must be told its real rate
# (tsc_early_khz = ips / 1000).
#   bochs_vmx BOCHS ISO RCFILE LOGFILE REPORT  -> writes RCFILE, sets the array EMU
BOCHS_IPS=${BOCHS_IPS:-100000000}
# Bochs reports a wrong XSAVES size for AVX-512 state (the kernel oopses at
# boot); PML under Bochs stalls dirty logging.
# shellcheck disable=SC2034 # used by the scripts that source this
BOCHS_CMDLINE="clearcpuid=avx512f tsc_early_khz=$((BOCHS_IPS / 1000)) kvm_intel.pml=0"
# shellcheck disable=SC2034 # EMU is used by callers
bochs_vmx() {
	cat > "$3" <<-EOF
	megs: ${RIG_BOCHS_MEGS:-2048}
	cpu: model=corei7_skylake_x, count=1, ips=$BOCHS_IPS, reset_on_triple_fault=0
	romimage: file=${RIG_BOCHS_ROM:-/usr/share/bochs/BIOS-bochs-latest}
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	ata0-master: type=cdrom, path="$2", status=inserted
	boot: cdrom
	com1: enabled=1, mode=file, dev=/dev/stdout
	com2: enabled=1, mode=file, dev="$5"
	display_library: nogui
	clock: sync=none, time0=1767225600
	log: $4
	panic: action=fatal
	error: action=report, cpu0=ignore
	info: action=ignore
	debug: action=ignore
	EOF
	EMU=("$1" -q -f "$3")
}

# Run a command with the Debian packages it needs installed (as root).
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] ||
		die "missing Debian packages: ${missing[*]} (run as root, or install them)"
	log "installing ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
		apt-get update -q >&2 ||
			die "apt-get update failed: cannot install ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
			die "apt-get install ${missing[*]} failed"
	fi
}

# The Debian mirror the system's apt already uses (DEBIAN_MIRROR overrides).
system_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}' "$f")
		[ -n "$uri" ] && { echo "${uri%/}"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) {print $i; exit}}' "$f")
		[ -n "$uri" ] && { echo "${uri%/}"; return 0; }
	done
	return 1
}

# apt-get with the private configuration in $APTDIR (sources.list, lists,
# cache): the system's apt sources are read, never written.
apt_private() {
	apt-get -q \
		-o Dir::Etc::sourcelist="$APTDIR/sources.list" \
		-o Dir::Etc::sourceparts=/dev/null \
		-o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" \
		-o Dir::State::status=/var/lib/dpkg/status \
		-o APT::Sandbox::User=root \
		-o Acquire::Retries=2 \
		-o Acquire::http::Timeout=30 \
		"$@"
}

# Fetch the orig tarball of Debian source package PKG from the deb-src of
# SUITES (e.g. "sid trixie") with a private apt configuration, verified
# against the Sources index's SHA-256, into DIR (a cache: a verified tarball
# there is not fetched again). Versions on offer are tried newest first: the
# archive's pool does not always hold every file its indexes list.
# Optional, in the environment: DEB_SRC_PIN=VERSION is tried first, and
# DEB_SRC_PREFIX=10.2. limits the fallback to versions that start with it
# (a warning says when the pin was not taken); DEB_SRC_DEBIAN=1 also fetches
# the version's debian.tar.* (DEB_SRC_DEBIAN_TARBALL).
#   fetch_debian_orig PKG SUITES DIR  -> sets DEB_SRC_VERSION, DEB_SRC_TARBALL
fetch_debian_orig() {
	local pkg=$1 suites=$2 dir=$3 mirror s offers ver vdir sha size file tarball got
	local APTDIR=$CACHE_DIR/apt-$pkg tried=() v files f ok pin=${DEB_SRC_PIN:-}
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$dir"
	mirror=${DEBIAN_MIRROR:-$(system_mirror)} ||
		die "no Debian mirror found in /etc/apt/sources*; set DEBIAN_MIRROR=<url of a Debian archive>"
	for s in $suites; do
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main"
	done > "$APTDIR/sources.list"
	log "updating a private apt source index ($suites at $mirror)"
	apt_private --error-on=any update >"$APTDIR/update.log" 2>&1 || {
		tail -n 5 "$APTDIR/update.log" >&2
		die "cannot reach the Debian archive at $mirror for $pkg sources; see $APTDIR/update.log"
	}
	# "version directory sha256 size file" for each orig (and debian)
	# tarball of PKG.
	offers=$(for f in "$APTDIR"/lists/*_source_Sources*; do
		/usr/lib/apt/apt-helper cat-file "$f"
	done | awk -v want="$pkg" '
		function out() { for (i = 0; i < n; i++) if (file[i] ~ /\.(orig|debian)\.tar\./)
			print ver, dir, sha[i], size[i], file[i]; pkg = "" }
		/^Package: / { pkg = $2; ver = dir = ""; in_sha = 0 }
		pkg == want && /^Version: / { ver = $2 }
		pkg == want && /^Directory: / { dir = $2 }
		/^Checksums-Sha256:/ { in_sha = 1; n = 0; next }
		in_sha && /^ / { if (pkg == want) { sha[n] = $1; size[n] = $2; file[n++] = $3 }; next }
		{ in_sha = 0 }
		/^$/ && pkg == want { out() }
		END { if (pkg == want) out() }' | sort -u | sort -s -k1,1Vr)
	[ -n "$offers" ] || die "the Debian archive ($suites) lists no $pkg source"
	# Versions in the order they are tried: the pin, then newest first.
	local versions
	versions=$(awk '{print $1}' <<<"$offers" | uniq)
	if [ -n "${DEB_SRC_PREFIX:-}" ]; then
		versions=$(awk -v p="$DEB_SRC_PREFIX" '{v = $1; sub(/^[0-9]+:/, "", v)} index(v, p) == 1' <<<"$versions")
		[ -n "$versions" ] || die "the Debian archive ($suites) lists no $pkg $DEB_SRC_PREFIX* source"
	fi
	if [ -n "$pin" ]; then
		grep -qxF "$pin" <<<"$versions" || tried+=("$pin: not listed")
		versions=$( { grep -xF "$pin" <<<"$versions"; grep -vxF "$pin" <<<"$versions"; } || true)
	fi
	ok=
	for v in $versions; do
		files=$(awk -v v="$v" '$1 == v && ($5 ~ /\.orig\.tar\./ || ENVIRON["DEB_SRC_DEBIAN"] == 1)' <<<"$offers")
		grep -q '\.orig\.tar\.' <<<"$files" || continue
		ok=1
		while read -r ver vdir sha size file; do
			tarball=$dir/$file
			[ -s "$tarball" ] && [ "$(sha256sum < "$tarball" | cut -d' ' -f1)" = "$sha" ] && continue
			log "fetching $file ($size bytes)"
			if ! curl -fsS --retry 2 -o "$tarball.part" "$mirror/$vdir/$file" 2>"$tarball.err"; then
				tried+=("$v: $(tr -d '\n' < "$tarball.err")"); rm -f "$tarball.part" "$tarball.err"; ok=; break
			fi
			rm -f "$tarball.err"
			got=$(sha256sum < "$tarball.part" | cut -d' ' -f1)
			if [ "$got" != "$sha" ]; then
				tried+=("$v: $file has SHA-256 $got, the index says $sha"); rm -f "$tarball.part"; ok=; break
			fi
			mv "$tarball.part" "$tarball"
		done <<<"$files"
		[ -n "$ok" ] && break
	done
	[ -n "$ok" ] || die "no $pkg source could be fetched: $(printf '%s; ' "${tried[@]}")"
	[ ${#tried[@]} = 0 ] || warn "skipped $pkg versions: $(printf '%s; ' "${tried[@]}")${pin:+ (pinned: $pin; using $v)}"
	# shellcheck disable=SC2034 # for the caller
	DEB_SRC_VERSION=$v
	# shellcheck disable=SC2034 # for the caller
	DEB_SRC_TARBALL=$dir/$(awk -v v="$v" '$1 == v && $5 ~ /\.orig\.tar\./ {print $5; exit}' <<<"$offers")
	# shellcheck disable=SC2034 # for the caller
	DEB_SRC_DEBIAN_TARBALL=$dir/$(awk -v v="$v" '$1 == v && $5 ~ /\.debian\.tar\./ {print $5; exit}' <<<"$offers")
}

# Keep DIR a git tree of a base (commit tagged rig-base) with the patches of
# the array PATCHES applied on top, one commit each (git am). BASE_ID names
# the base, SID the series (series_id); POPULATE is a command that fills an
# empty DIR with the base's files. Reused while the base is the same: when
# only the series changed, the tree is reset to rig-base and the series
# re-applied, so only the files it touches change. Work done in the tree
# (edits, commits not from the series) is never thrown away.
#   git_tree_sync DIR BASE_ID SID POPULATE...
git_tree_sync() {
	local dir=$1 base_id=$2 sid=$3 err p
	shift 3
	g() { git -C "$dir" "$@"; }
	export GIT_AUTHOR_NAME=rig GIT_AUTHOR_EMAIL=rig@localhost
	export GIT_COMMITTER_NAME=rig GIT_COMMITTER_EMAIL=rig@localhost
	export GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' GIT_AUTHOR_DATE='2026-01-01T00:00:00Z'
	if [ -d "$dir/.git" ] && [ "$(g config rig.base || true)" = "$base_id" ]; then
		[ "$(g config rig.series || true)" = "$sid" ] && return 0
		if [ -n "$(g status --porcelain)" ] || [ "$(g rev-parse HEAD)" != "$(g config rig.head)" ]; then
			die "$dir has edits or commits that are not in the series; export them first, or remove $dir to drop them"
		fi
		log "series changed: resetting $dir to rig-base"
		g reset -q --hard rig-base
		g clean -q -fdx
	else
		if [ -d "$dir/.git" ] && { [ -n "$(g status --porcelain)" ] ||
			[ "$(g rev-parse HEAD)" != "$(g config rig.head || true)" ]; }; then
			die "$dir has edits or commits that are not in the series, and its base changed; export them first, or remove $dir to drop them"
		fi
		log "making $dir from $base_id"
		rm -rf "$dir"; mkdir -p "$dir"
		"$@" || { rm -rf "$dir"; die "cannot make the base tree in $dir"; }
		g init -q
		g add -f -A .
		g commit -q --no-verify -m "base: $base_id"
		g tag -f rig-base >/dev/null
		g config rig.base "$base_id"
	fi
	if [ ${#PATCHES[@]} -gt 0 ] && g apply -R --check "${PATCHES[0]}" 2>/dev/null; then
		die "the base tree ($base_id) already carries the series (${PATCHES[0]#"$TOP"/} applies in reverse)"
	fi
	for p in "${PATCHES[@]}"; do
		if ! err=$(g am -q --whitespace=error-all "$p" 2>&1); then
			g am --abort >/dev/null 2>&1 || true
			g reset -q --hard rig-base
			printf '%s\n' "$err" | sed 's/^/    /' >&2
			die "patch ${p#"$TOP"/} does not apply to $base_id; $dir was reset to the base"
		fi
	done
	g config rig.series "$sid"
	g config rig.head "$(g rev-parse HEAD)"
	log "$dir: $base_id + ${#PATCHES[@]} patch(es)"
}

# Run one guest-side script, installed as the test NAME in the copy of the
# selftests INSTALL, alone in one boot of the SVM leg (long timeout), and
# set GUEST_LOG to its report log. The caller removes "$GUEST_LOG"'s
# results afterwards (rm -rf "${GUEST_LOG%.log}".*).
#   guest_run INSTALL NAME
guest_run() {
	local install=$1 name=$2 list
	echo "kvm:$name" >> "$install/kselftest-list.txt"
	echo "timeout=1800" > "$install/kvm/settings"
	list=$(mktemp); echo "$name" > "$list"
	RIG_INSTALL=$install "$TOP/scripts/rig/run-leg.sh" svm "$list" >/dev/null 2>&1 || true
	GUEST_LOG=$OUT/results/svm-${list##*/}.log
	rm -f "$list"
	[ -s "$GUEST_LOG" ] || die "no guest log $GUEST_LOG"
}
