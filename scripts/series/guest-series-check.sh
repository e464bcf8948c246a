#!/bin/bash
# The guest series' quality bar (kernel/guest/), as TAP lines, the way
# series-check.sh checks the host series:
#  - scripts/checkpatch.pl --strict on every patch: no output (a patch that
#    adds files must cover them in MAINTAINERS, or they must already be);
#  - every patch builds (objects; make guest links the last one): each
#    commit of $OUT/linux-guest over the host series,
#    checked out in turn (HEAD restored after), compiles what the series
#    touches (arch/x86/coco/tdx/, arch/x86/kernel/kvm.o, drivers/virt/) with
#    W=1 and sparse (C=2), with the CoCo guests on (guest.config +
#    guest-coco.config, in $OUT/build-guest-w1) and off (guest.config, in
#    $OUT/build-guest-nococo), and adds no warning over the host series'
#    HEAD (scripts/series/new-warnings.py);
#  - CONFIG_UAPI_HEADER_TEST: the uapi headers compile on their own (usr/);
#  - the kselftest builds (TARGETS=kvmshm) without a warning;
#  - Documentation/virt and Documentation/userspace-api build with Sphinx
#    with no new warning, and the built pages have the driver's.
# Needs the guest tree (make guest).
. "$(dirname "$0")/../lib.sh"

G=$OUT/linux-guest
[ -e "$G/.git" ] || die "no $G: run 'make guest' first"
need_pkgs python3-ply python3-git git python3-sphinx python3-yaml
sparse=$("$TOP/scripts/rig/build-sparse.sh") || die "no sparse to check the series with (see above)"
export SERIES=$TOP/kernel/guest/series
load_series
[ ${#PATCHES[@]} -gt 0 ] || { echo "ok - the guest series is empty: nothing to check"; exit 0; }
bad=0
pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; bad=1; }
host=$(git -C "$G" config rig.guestbase) || die "$G has no rig.guestbase: run 'make guest'"

export PATH=/usr/bin:/bin:$PATH
for p in "${PATCHES[@]}"; do
	name=${p##*/}
	out=$(cd "$G" && scripts/checkpatch.pl --strict --quiet --show-types "$p" 2>&1) || true
	if [ -z "$out" ]; then
		pass "checkpatch --strict: $name"
	else
		printf '%s\n' "$out" | sed 's/^/# /'
		fail "checkpatch --strict: $name"
	fi
	added=$(awk '/^diff --git/ {f=$4; sub("^b/", "", f)} /^new file mode/ {print f}' "$p")
	unowned=""
	# (asked of the series' HEAD, which the worktree has checked out here)
	for f in $added; do
		(cd "$G" && scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats --no-tree \
			-f "$f" 2>/dev/null) | grep -q '@vger.kernel.org' || unowned+=" $f"
	done
	if [ -z "$added" ]; then
		:
	elif [ -z "$unowned" ]; then
		pass "MAINTAINERS covers the files $name adds"
	else
		fail "no MAINTAINERS entry with a list for the files $name adds:$unowned"
	fi
done

commits=$(git -C "$G" rev-list --reverse "$host..HEAD")
[ "$(wc -w <<<"$commits")" = ${#PATCHES[@]} ] ||
	die "$G carries $(wc -w <<<"$commits") commits over the host series, kernel/guest/series ${#PATCHES[@]}: run 'make guest'"

orig=$(git -C "$G" symbolic-ref -q --short HEAD || git -C "$G" rev-parse HEAD)
trap 'git -C "$G" checkout -q "$orig"' EXIT
W=$OUT/guest-series-warnings
rm -rf "$W"; mkdir -p "$W"
targets=(arch/x86/coco/tdx/ arch/x86/kernel/kvm.o drivers/virt/)
# (objects only: modpost needs vmlinux; make guest links the series' HEAD,
# bzImage and kvmshm.ko, so an unexported symbol shows there)
coco_targets=("${targets[@]}" usr/)
# W=1 + sparse on the targets at the commit checked out, both configs: $W/$1-{coco,nococo}.log
# (the driver's fragment once the driver exists)
warnings() {
	local tag=$1 rc=0 c=$TOP/kernel/config frags=("$TOP/kernel/config/guest.config")
	[ ! -f "$G/drivers/virt/kvmshm/Kconfig" ] || frags+=("$c/guest-kvmshm.config")
	"$TOP/scripts/rig/build-kernel.sh" --base allnoconfig --no-selftests-config "$G" "$OUT/build-guest-w1" \
		"${frags[@]}" "$c/guest-coco.config" "$c/guest-check.config" -- \
		W=1 C=2 CHECK="$sparse" "${coco_targets[@]}" >"$W/$tag-coco.log" 2>&1 || rc=1
	"$TOP/scripts/rig/build-kernel.sh" --base allnoconfig --no-selftests-config "$G" "$OUT/build-guest-nococo" \
		"${frags[@]}" -- W=1 C=2 CHECK="$sparse" "${targets[@]}" >"$W/$tag-nococo.log" 2>&1 || rc=1
	return $rc
}
docs() {
	rm -rf "$OUT/guest-docs"; mkdir -p "$OUT/guest-docs"
	make -C "$G" O="$OUT/guest-docs" SPHINXDIRS="virt userspace-api" htmldocs >"$W/docs-$1.log" 2>&1
}
new_warnings() {	# WHAT BASE-LOG LOG
	local out
	if out=$("$TOP/scripts/series/new-warnings.py" --strip "$G" --strip "$OUT/build-guest-w1" \
		--strip "$OUT/build-guest-nococo" --strip "$OUT/guest-docs" "$2" "$3"); then
		pass "$1"
	else
		printf '%s\n' "$out" | sed 's/^/# /'
		fail "$1"
	fi
}

git -C "$G" checkout -q --detach "$host" || die "checkout of the host series' HEAD failed"
for d in "$OUT/build-guest-w1" "$OUT/build-guest-nococo"; do
	for t in arch/x86/coco/tdx arch/x86/kernel drivers/virt; do
		[ ! -d "$d/$t" ] || find "$d/$t" -name '*.o' -delete
	done
done
warnings base || { tail -n 20 "$W/base-coco.log" "$W/base-nococo.log" | sed 's/^/# /'; die "the host series' HEAD does not build with W=1 C=2 (guest configs)"; }
docs base || { tail -n 20 "$W/docs-base.log" | sed 's/^/# /'; die "htmldocs fails at the host series' HEAD"; }
cat "$W/base-coco.log" "$W/base-nococo.log" > "$W/base.log"

i=0
for c in $commits; do
	i=$((i + 1))
	git -C "$G" checkout -q --detach "$c" || die "checkout of $c failed"
	subj=$(git -C "$G" log -1 --format=%s)
	if warnings "$i"; then
		pass "patch $i builds with W=1 C=2, CoCo guests on and off: $subj"
		cat "$W/$i-coco.log" "$W/$i-nococo.log" > "$W/$i.log"
		new_warnings "patch $i adds no W=1, sparse or uapi-header warning: $subj" "$W/base.log" "$W/$i.log"
	else
		{ grep -hE 'error' "$W/$i-coco.log" "$W/$i-nococo.log" || true; } | head -n 20 | sed 's/^/# /'
		fail "patch $i builds with W=1 C=2, CoCo guests on and off: $subj"
	fi
done
git -C "$G" checkout -q "$orig"
if [ -f "$OUT/build-guest-w1/usr/include/linux/kvmshm.hdrtest" ]; then
	pass "CONFIG_UAPI_HEADER_TEST compiled include/uapi/linux/kvmshm.h on its own"
else
	fail "CONFIG_UAPI_HEADER_TEST did not compile linux/kvmshm.h"
fi

# The kselftest, at the series' HEAD, with -Wall -Wextra.
rm -rf "$OUT/guest-ksft"
if make -s -C "$G/tools/testing/selftests" O="$OUT/build-guest" TARGETS=kvmshm \
	EXTRA_CFLAGS="-Wextra -Werror" TMPOUT="$OUT/build-guest/kselftest/.tmp/" \
	KSFT_INSTALL_PATH="$OUT/guest-ksft" install >"$W/kselftest.log" 2>&1; then
	pass "the kvmshm kselftest builds with -Wall -Wextra -Werror"
else
	sed 's/^/# /' "$W/kselftest.log" | tail -n 20
	fail "the kvmshm kselftest builds with -Wall -Wextra -Werror"
fi

if docs series; then
	new_warnings "htmldocs (virt, userspace-api): the guest series adds no Sphinx warning" "$W/docs-base.log" "$W/docs-series.log"
	if grep -q 'KVMSHM_REQUEST' "$OUT/guest-docs/Documentation/output/virt/kvmshm.html" 2>/dev/null &&
	   grep -q 'kvmshm.h' "$OUT/guest-docs/Documentation/output/userspace-api/ioctl/ioctl-number.html" 2>/dev/null; then
		pass "htmldocs: virt/kvmshm.html and the ioctl-number table are built"
	else
		fail "htmldocs: no virt/kvmshm.html, or kvmshm.h not in ioctl-number.html"
	fi
else
	tail -n 20 "$W/docs-series.log" | sed 's/^/# /'
	fail "htmldocs (virt, userspace-api) builds with the guest series"
fi
exit $bad
