#!/bin/bash
# The series' quality bar, as TAP lines ("ok - ..." / "not ok - ..."):
#  - scripts/checkpatch.pl --strict on every patch of kernel/series: no
#    output, except FILE_PATH_CHANGES ("does MAINTAINERS need updating?")
#    for a patch that adds files, accepted only if get_maintainer.pl shows
#    an existing MAINTAINERS entry (with a mailing list) for every added file;
#  - `make apply` on a pristine copy of the base gives the tree `git am` made;
#  - every patch builds (bisectable): in a git worktree of $OUT/linux, each
#    commit rig-base..HEAD compiles arch/x86/kvm/ with KVM_INTEL=m KVM_AMD=m
#    KVM_WERROR=y and TDX/SEV on (kernel/config/modules.config), and with the
#    rig's built-in config (kernel/config/rig.config).
# Needs the tree (make tree). Build dirs: $OUT/build-{mod,kvm}, worktree
# $OUT/series-wt.
. "$(dirname "$0")/lib.sh"

LINUX=$OUT/linux WT=$OUT/series-wt
[ -d "$LINUX/.git" ] || die "no $LINUX: run 'make tree' first"
need_pkgs python3-ply python3-git git
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

# Bisectability: build each commit in a worktree, so $OUT/linux stays untouched.
commits=$(git -C "$LINUX" rev-list --reverse rig-base..HEAD)
[ "$(wc -w <<<"$commits")" = ${#PATCHES[@]} ] ||
	die "$LINUX carries $(wc -w <<<"$commits") commits over rig-base, kernel/series ${#PATCHES[@]}: run 'make tree'"
if [ ! -d "$WT/.git" ] && [ ! -f "$WT/.git" ]; then
	rm -rf "$WT"
	git -C "$LINUX" worktree prune
	git -C "$LINUX" worktree add -q --detach "$WT" rig-base || die "git worktree add failed"
fi

# make apply on a pristine copy of the base (the worktree at rig-base) must
# give exactly the tree that git am made.
git -C "$WT" checkout -q -f --detach rig-base
added=$(git -C "$LINUX" diff --name-only --diff-filter=A rig-base HEAD)
mapfile -t touched < <(git -C "$LINUX" diff --name-only rig-base HEAD)
# shellcheck disable=SC2086 # one path a word
[ -z "$added" ] || (cd "$WT" && rm -f $added)
if "$TOP/scripts/apply-series.sh" "$WT" >"$OUT/series-apply.log" 2>&1 &&
   git -C "$WT" add -A -f -- "${touched[@]}" &&
   git -C "$WT" diff --cached --quiet "$(git -C "$LINUX" rev-parse HEAD)"; then
	pass "make apply on a pristine base gives the same tree as git am ($(git -C "$WT" diff --cached --stat rig-base | tail -n1 | sed 's/^ *//'))"
else
	sed 's/^/# /' "$OUT/series-apply.log"
	fail "make apply on a pristine base"
fi
git -C "$WT" reset -q --hard

i=0
for c in $commits; do
	i=$((i + 1))
	git -C "$WT" checkout -q --detach "$c" || die "checkout of $c failed"
	subj=$(git -C "$WT" log -1 --format=%s)
	for cfg in modules:build-mod rig:build-kvm; do
		frag=$TOP/kernel/config/${cfg%%:*}.config
		opt=(); [ "${cfg%%:*}" = modules ] && opt=(--no-selftests-config)
		if "$TOP/scripts/build-kernel.sh" "${opt[@]}" "$WT" "$OUT/${cfg#*:}" "$frag" -- arch/x86/kvm/ \
			>"$OUT/${cfg#*:}.log" 2>&1; then
			pass "patch $i builds arch/x86/kvm/ (${cfg%%:*} config): $subj"
		else
			grep -E 'error|warning' "$OUT/${cfg#*:}.log" | head -n 20 | sed 's/^/# /'
			fail "patch $i builds arch/x86/kvm/ (${cfg%%:*} config): $subj"
		fi
	done
done
exit $bad
