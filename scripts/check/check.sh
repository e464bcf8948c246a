#!/bin/bash
# make check: the repo's own checks, then everything `make` does (tree,
# kernel, QEMU, the guest series' L2, selftests, boot + default set, which
# holds the QEMU series' qtest and the guest series' end-to-end test), the
# QEMU and guest series' checks, the rig's checks against a real
# guest (tests/rig-guest.sh), then one summary line:
# "N passed, N failed, N skipped". Exit status 1 on any failure.
. "$(dirname "$0")/../lib.sh"
RES=$OUT/results
mkdir -p "$RES"
rm -f "$RES"/*.counts
start=$SECONDS
fatal=""

times=()
timed() {	# NAME CMD...: run CMD, note its wall time for the summary
	local name=$1 t=$SECONDS rc=0; shift
	"$@" || rc=$?
	times+=("$name $((SECONDS - t)) s")
	return $rc
}
step() {
	local what=$1; shift
	if ! timed "$what" "$@"; then
		fatal="$what failed"
		echo "check: FAIL $what" >&2
		return 1
	fi
}
# The two legs at once: QEMU (single-threaded TCG) and Bochs each keep one
# core busy. The SVM leg's output is shown when both are done.
legs() {
	local svm_rc=0
	"$TOP/scripts/rig/run-leg.sh" svm check >"$RES/svm-check.out" 2>&1 & local pid=$!
	"$TOP/scripts/rig/run-leg.sh" vmx check || true
	wait $pid || svm_rc=$?
	cat "$RES/svm-check.out"
	return $svm_rc
}

timed static "$TOP/scripts/check/static-checks.sh" || true
step tree "$TOP/scripts/rig/prepare-tree.sh" &&
{ timed series "$TOP/scripts/check/run-tests.sh" series "$TOP/scripts/series/series-check.sh" || true; } &&
step kernel "$TOP/scripts/rig/build-kernel.sh" --rig "$OUT/linux" "$OUT/build" &&
step qemu "$TOP/scripts/rig/build-qemu.sh" &&
{ timed qemu-series "$TOP/scripts/check/run-tests.sh" qemu-series "$TOP/scripts/series/qemu-series-check.sh" || true; } &&
step guest "$TOP/scripts/rig/build-guest.sh" &&
{ timed guest-series "$TOP/scripts/check/run-tests.sh" guest-series "$TOP/scripts/series/guest-series-check.sh" || true; } &&
step selftests "$TOP/scripts/rig/build-selftests.sh" "$OUT/linux" "$OUT/build" "$OUT/kselftest" &&
{ timed "legs (svm and vmx at once)" legs || true; } &&
{ timed rig "$TOP/scripts/check/run-tests.sh" rig "$TOP/tests/rig-guest.sh" || true; }

np=0 nf=0 ns=0
echo "=== summary ($((SECONDS - start)) s) ==="
(IFS=,; echo "times: ${times[*]}" | sed 's/,/, /g')
for c in static series qemu-series guest-series svm-check vmx-check rig; do
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
