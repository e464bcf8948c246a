#!/bin/bash
# The series' quality bar, as TAP lines ("ok - ..." / "not ok - ..."):
#  - scripts/checkpatch.pl --strict on every patch of kernel/series: no
#    output, except FILE_PATH_CHANGES ("does MAINTAINERS need updating?")
#    for a patch that adds files, accepted only if get_maintainer.pl shows
#    an existing MAINTAINERS entry (with a mailing list) for every added file;
#  - `make apply` on a pristine copy of the base gives the files `git am` made;
#  - every patch builds (bisectable): each commit rig-base..HEAD of
#    $OUT/linux, checked out in turn (HEAD restored after), compiles
#    arch/x86/kvm/ with KVM_INTEL=m KVM_AMD=m KVM_WERROR=y and TDX/SEV on
#    (kernel/config/modules.config, in $OUT/build-mod), and with the rig's
#    built-in config (kernel/config/rig.config, in the rig's $OUT/build);
#  - no patch adds a warning: at the base and at every commit, arch/x86/kvm/
#    is built with W=1 and sparse (C=2; scripts/rig/build-sparse.sh) in
#    $OUT/build-w1, and each commit's diagnostics are compared with the
#    base's (scripts/series/new-warnings.py: per file and message, without
#    line numbers);
#  - Documentation/virt builds with Sphinx (make SPHINXDIRS=virt htmldocs)
#    at the base and with the series, with no new warning, and the built
#    api.html documents KVM_EXIT_SHM_APPEND.
# Needs the tree (make tree).
. "$(dirname "$0")/../lib.sh"

LINUX=$OUT/linux
[ -d "$LINUX/.git" ] || die "no $LINUX: run 'make tree' first"
need_pkgs python3-ply python3-git git python3-sphinx python3-yaml
sparse=$("$TOP/scripts/rig/build-sparse.sh") || die "no sparse to check the series with (see above)"
load_series
[ ${#PATCHES[@]} -gt 0 ] || { echo "ok - series is empty: nothing to check"; exit 0; }
bad=0
pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; bad=1; }

# checkpatch.pl runs spdxcheck.py with the python3 in PATH: the system's has ply.
export PATH=/usr/bin:/bin:$PATH
for p in "${PATCHES[@]}"; do
	name=${p##*/}
	out=$(cd "$LINUX" && scripts/checkpatch.pl --strict --quiet --show-types "$p" 2>&1) || true
	types=$(sed -n 's/^\(WARNING\|ERROR\|CHECK\):\([A-Z_]*\):.*/\2/p' <<<"$out" | sort -u)
	if [ -z "$out" ]; then
		pass "checkpatch --strict: $name"
	elif [ "$types" = FILE_PATH_CHANGES ] && ! grep -qv '^\(WARNING:FILE_PATH_CHANGES\|#\|+\|total\|$\|new file mode\|NOTE\)' <<<"$out"; then
		added=$(awk '/^diff --git/ {f=$4; sub("^b/", "", f)} /^new file mode/ {print f}' "$p")
		unowned=""
		for f in $added; do
			(cd "$LINUX" && scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
				--no-tree -f "$f" 2>/dev/null) | grep -q '^kvm@vger.kernel.org' || unowned+=" $f"
		done
		if [ -z "$unowned" ]; then
			pass "checkpatch --strict: $name (FILE_PATH_CHANGES only; every added file is already covered by MAINTAINERS: $(echo $added))"
		else
			fail "checkpatch --strict: $name adds files no MAINTAINERS entry covers:$unowned"
		fi
	else
		printf '%s\n' "$out" | sed 's/^/# /'
		fail "checkpatch --strict: $name"
	fi
done

commits=$(git -C "$LINUX" rev-list --reverse rig-base..HEAD)
[ "$(wc -w <<<"$commits")" = ${#PATCHES[@]} ] ||
	die "$LINUX carries $(wc -w <<<"$commits") commits over rig-base, kernel/series ${#PATCHES[@]}: run 'make tree'"

# make apply on a pristine copy of the base must give exactly the files that
# git am made. The copy holds just what apply-series.sh reads: the Makefile
# (version check) and the files the series touches.
mapfile -t touched < <(git -C "$LINUX" diff --name-only rig-base HEAD)
base=$(mktemp -d)
trap 'rm -rf "$base"' EXIT
mapfile -t existing < <(git -C "$LINUX" ls-tree -r --name-only rig-base -- Makefile "${touched[@]}")
git -C "$LINUX" archive rig-base -- "${existing[@]}" | tar -x -C "$base" || die "git archive of the base failed"
if "$TOP/scripts/series/apply-series.sh" "$base" >"$OUT/series-apply.log" 2>&1; then
	diffs=()
	for f in "${touched[@]}"; do
		git -C "$LINUX" show "HEAD:$f" 2>/dev/null | cmp -s - "$base/$f" || diffs+=("$f")
	done
	if [ ${#diffs[@]} = 0 ]; then
		pass "make apply on a pristine base gives the files git am made (${#touched[@]} files)"
	else
		fail "make apply on a pristine base differs from git am in: ${diffs[*]}"
	fi
else
	sed 's/^/# /' "$OUT/series-apply.log"
	fail "make apply on a pristine base"
fi

# Bisectability: check out each commit in $OUT/linux itself and compile
# arch/x86/kvm/ in $OUT/build-mod (modules config) and in the rig's own
# $OUT/build (so the main build later only redoes what the last patches
# touched). HEAD is restored on the way out, whatever happens.
orig=$(git -C "$LINUX" symbolic-ref -q --short HEAD || git -C "$LINUX" rev-parse HEAD)
trap 'git -C "$LINUX" checkout -q "$orig"; rm -rf "$base"' EXIT
W=$OUT/series-warnings
rm -rf "$W"; mkdir -p "$W"
# W=1 + sparse on arch/x86/kvm/ at the commit checked out, into $W/$1.log.
warnings() {
	"$TOP/scripts/rig/build-kernel.sh" --rig "$LINUX" "$OUT/build-w1" -- W=1 C=2 CHECK="$sparse" \
		arch/x86/kvm/ >"$W/$1.log" 2>&1 || return 1
	! grep -q 'is not available or not up to date' "$W/$1.log" ||
		die "the kernel refuses $sparse as its checker (scripts/checker-valid.sh)"
}
# Sphinx on Documentation/virt at the commit checked out, into $W/docs-$1.log.
docs() {
	rm -rf "$OUT/docs"; mkdir -p "$OUT/docs"
	make -C "$LINUX" O="$OUT/docs" SPHINXDIRS=virt htmldocs >"$W/docs-$1.log" 2>&1
}
new_warnings() {	# WHAT BASE-LOG LOG: pass/fail line
	local out
	if out=$("$TOP/scripts/series/new-warnings.py" --strip "$LINUX" --strip "$OUT/build-w1" --strip "$OUT/docs" "$2" "$3"); then
		pass "$1"
	else
		printf '%s\n' "$out" | sed 's/^/# /'
		fail "$1"
	fi
}
git -C "$LINUX" checkout -q --detach rig-base || die "checkout of rig-base failed"
# The base's diagnostics must be complete: every file compiled (ccache keeps it cheap).
[ ! -d "$OUT/build-w1/arch/x86/kvm" ] || find "$OUT/build-w1/arch/x86/kvm" -name '*.o' -delete
warnings base || die "arch/x86/kvm/ does not build with W=1 C=2 at the base; see $W/base.log"
docs base || { tail -n 20 "$W/docs-base.log" | sed 's/^/# /'; die "htmldocs fails at the base; see $W/docs-base.log"; }
nbase=$({ "$TOP/scripts/series/new-warnings.py" /dev/null "$W/base.log" || true; } | wc -l)	# distinct ones

i=0
for c in $commits; do
	i=$((i + 1))
	git -C "$LINUX" checkout -q --detach "$c" || die "checkout of $c failed"
	subj=$(git -C "$LINUX" log -1 --format=%s)
	if warnings "$i"; then
		new_warnings "patch $i adds no W=1 or sparse warning in arch/x86/kvm/ (the base has $nbase distinct): $subj" \
			"$W/base.log" "$W/$i.log"
	else
		{ grep -E 'error' "$W/$i.log" || true; } | head -n 20 | sed 's/^/# /' || true
		fail "patch $i builds arch/x86/kvm/ with W=1 C=2: $subj"
	fi
	for cfg in modules:build-mod rig:build; do
		if [ "${cfg%%:*}" = modules ]; then
			args=(--no-selftests-config "$LINUX" "$OUT/${cfg#*:}" "$TOP/kernel/config/modules.config")
		else
			args=(--rig "$LINUX" "$OUT/${cfg#*:}")
		fi
		if "$TOP/scripts/rig/build-kernel.sh" "${args[@]}" -- arch/x86/kvm/ \
			>"$OUT/series-${cfg%%:*}.log" 2>&1; then
			pass "patch $i builds arch/x86/kvm/ (${cfg%%:*} config): $subj"
		else
			{ grep -E 'error|warning' "$OUT/series-${cfg%%:*}.log" || true; } | head -n 20 | sed 's/^/# /' || true
			fail "patch $i builds arch/x86/kvm/ (${cfg%%:*} config): $subj"
		fi
	done
done

# The series' docs, as built by Sphinx at its last commit.
if docs series; then
	new_warnings "htmldocs (Documentation/virt): the series adds no Sphinx warning" "$W/docs-base.log" "$W/docs-series.log"
	grep -q 'KVM_EXIT_SHM_APPEND' "$OUT/docs/Documentation/output/virt/kvm/api.html" 2>/dev/null &&
		pass "htmldocs: the built api.html documents KVM_EXIT_SHM_APPEND" ||
		fail "htmldocs: KVM_EXIT_SHM_APPEND is not in the built api.html"
else
	tail -n 20 "$W/docs-series.log" | sed 's/^/# /'
	fail "htmldocs (Documentation/virt) builds with the series"
fi
exit $bad
