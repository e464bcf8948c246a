#!/bin/bash
# Boot reliability of a Linux L2 inside the rig's L1, in each leg: the
# end-to-end test's L2 (make guest) booted N times in a row (default 20,
# each within 120 s) by scripts/rig/guest/l2_boots, one L1 boot per leg.
# Prints each leg's boots and the distribution of their times (L1's clock).
# Not part of `make check` (which boots 5 as the test l2_boots).
#   l2-boots.sh [N]      LEGS="svm vmx" by default
. "$(dirname "$0")/../lib.sh"

n=${1:-${L2_BOOTS:-20}}
[[ $n =~ ^[1-9][0-9]*$ ]] || die "the number of boots must be a positive integer, not '$n'"
INSTALL=$OUT/kselftest-l2boots
[ -x "$OUT/kselftest/kvm/l2_boots" ] || die "no l2_boots installed: run 'make selftests' first"
rm -rf "$INSTALL"
cp -a "$OUT/kselftest" "$INSTALL"
name=l2_boots_$n
printf '#!/bin/sh\nexec "$(dirname "$0")/l2_boots" %s 120\n' "$n" > "$INSTALL/kvm/$name"
chmod +x "$INSTALL/kvm/$name"
cp "$INSTALL/kvm/l2_boots.deps" "$INSTALL/kvm/$name.deps"
echo l2_boots >> "$INSTALL/kvm/$name.deps"
echo "kvm:$name" >> "$INSTALL/kselftest-list.txt"
echo "timeout=$((n * 130 + 60))" > "$INSTALL/kvm/settings"
list=$(mktemp); echo "$name" > "$list"
rc=0
for leg in ${LEGS:-svm vmx}; do
	RIG_INSTALL=$INSTALL "$TOP/scripts/rig/run-leg.sh" "$leg" "$list" >/dev/null 2>&1 || rc=1
	log=$OUT/results/$leg-${list##*/}.log
	echo "$leg:"
	grep -a '^\[host *[0-9.]*\] # \(ok\|not ok\|#\) ' "$log" | sed 's/^\[host *[0-9.]*\] # /    /' || {
		echo "    no result (see $log)"; rc=1; }
done
rm -f "$list"
exit $rc
