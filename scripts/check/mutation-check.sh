#!/bin/bash
# Show that x86/shm_append_test notices when a check of the series goes
# missing: build the kernel with tests/mutations/shm_append.patch (several
# checks disabled at once, each covered by a different subtest), run the
# test in the SVM leg and compare each subtest's outcome with
# tests/mutations/shm_append.expect. The tree is restored afterwards; the
# next `make kernel` rebuilds the touched file.
. "$(dirname "$0")/../lib.sh"

LINUX=$OUT/linux
MUT=$TOP/tests/mutations/shm_append.patch
EXPECT=$TOP/tests/mutations/shm_append.expect
[ -d "$LINUX/.git" ] || die "no $LINUX: run 'make kernel selftests' first"
[ -z "$(git -C "$LINUX" status --porcelain)" ] || die "$LINUX has uncommitted changes"
[ -s "$OUT/kselftest/kvm/shm_append_test" ] || die "no shm_append_test built: run 'make selftests' first"

need_pkgs patch
files=$(sed -n 's|^+++ b/||p' "$MUT")
restore() { git -C "$LINUX" checkout -q -- $files; }
trap restore EXIT
patch -s -d "$LINUX" -p1 < "$MUT" || die "$MUT does not apply to $LINUX"

"$TOP/scripts/rig/build-kernel.sh" --rig "$LINUX" "$OUT/build"
list=$(mktemp); echo shm_append_test > "$list"
"$TOP/scripts/rig/run-leg.sh" svm "$list" >/dev/null 2>&1 || true
rm -f "$list"
log=$OUT/results/svm-${list##*/}.log
[ -s "$log" ] || die "no guest log $log"

bad=0
while read -r want name _; do
	case $want in fail|pass) ;; *) continue ;; esac
	if grep -aq "# ok [0-9]* global\.$name\$" "$log"; then got=pass
	elif grep -aq "# not ok [0-9]* global\.$name\$" "$log"; then got=fail
	else got=missing; fi
	if [ "$got" = "$want" ]; then echo "ok - $name: $got as expected"
	else echo "not ok - $name: expected $want, got $got"; bad=1; fi
done < "$EXPECT"
rm -rf "$OUT/results/svm-${list##*/}".*
exit $bad
