#!/bin/bash
# make check: the repo's own checks, then everything `make` does (tree,
# kernel, selftests, boot + default set), the rig's checks against a real
# guest (tests/rig-guest.sh), then one summary line:
# "N passed, N failed, N skipped". Exit status 1 on any failure.
. "$(dirname "$0")/../lib.sh"
RES=$OUT/results
mkdir -p "$RES"
rm -f "$RES"/*.counts
start=$SECONDS
fatal=""

"$TOP/scripts/check/static-checks.sh" || true

step() {
	local what=$1; shift
	if ! "$@"; then
		fatal="$what failed"
		echo "check: FAIL $what" >&2
		return 1
	fi
}
step "kernel tree" "$TOP/scripts/rig/prepare-tree.sh" &&
{ "$TOP/scripts/check/run-tests.sh" series "$TOP/scripts/series/series-check.sh" || true; } &&
step "kernel build" "$TOP/scripts/rig/build-kernel.sh" --rig "$OUT/linux" "$OUT/build" &&
step "selftests build" "$TOP/scripts/rig/build-selftests.sh" "$OUT/linux" "$OUT/build" "$OUT/kselftest" &&
{ "$TOP/scripts/rig/run-leg.sh" svm check || true; } &&
{ "$TOP/scripts/rig/run-leg.sh" vmx check || true; } &&
{ "$TOP/scripts/check/run-tests.sh" rig "$TOP/tests/rig-guest.sh" || true; }

np=0 nf=0 ns=0
echo "=== summary ($((SECONDS - start)) s) ==="
for c in static series svm-check vmx-check rig; do
	if [ -f "$RES/$c.counts" ]; then
		read -r p f s _ < "$RES/$c.counts"
		echo "${c%-check}: $p passed, $f failed, $s skipped"
	else
		p=0 f=1 s=0
		echo "${c%-check}: did not run (${fatal:-no results})"
	fi
	np=$((np + p)) nf=$((nf + f)) ns=$((ns + s))
done
echo "$np passed, $nf failed, $ns skipped"
[ "$nf" = 0 ]
