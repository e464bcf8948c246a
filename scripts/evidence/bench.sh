#!/bin/bash
# make bench: run selftests/evidence/shm_append_bench in each leg (one L1 boot
# per leg) on the patched kernel, write $OUT/bench/LEG.tsv and print the
# figures, and plot the append figures ($OUT/bench/append.png). A
# benchmark: it never fails on a number, only when it cannot run.
#   bench.sh [ITERS [ROUNDS [NREGIONS]]]     LEGS="svm vmx" by default
. "$(dirname "$0")/../lib.sh"

iters=${1:-2000} rounds=${2:-5} nregions=${3:-30000}
INSTALL=$OUT/kselftest-bench
[ -s "$OUT/kselftest/kselftest-list.txt" ] || die "no selftests installed: run 'make selftests' first"
rm -rf "$INSTALL"
cp -a "$OUT/kselftest" "$INSTALL"
"$TOP/scripts/rig/build-libkvm-prog.sh" "$TOP/selftests/evidence/shm_append_bench.c" "$INSTALL/kvm/shm_append_bench"
printf '#!/bin/sh\nexec "$(dirname "$0")/shm_append_bench" %s %s %s\n' "$iters" "$rounds" "$nregions" > "$INSTALL/kvm/bench"
chmod +x "$INSTALL/kvm/bench"
echo shm_append_bench > "$INSTALL/kvm/bench.deps"
echo "kvm:bench" >> "$INSTALL/kselftest-list.txt"
echo "timeout=1800" > "$INSTALL/kvm/settings"
mkdir -p "$OUT/bench"
list=$(mktemp); echo bench > "$list"
rc=0
for leg in ${LEGS:-svm vmx}; do
	RIG_INSTALL=$INSTALL "$TOP/scripts/rig/run-leg.sh" "$leg" "$list" >/dev/null 2>&1 || true
	log=$OUT/results/$leg-${list##*/}.log
	# The report channel prefixes the test's lines with "# ".
	sed -n 's/^\[host *[0-9.]*\] # \(\(roundtrip\|append\|size\|vcpus\)\t.*\)$/\1/p' "$log" > "$OUT/bench/$leg.tsv"
	echo "$leg ($([ "$leg" = vmx ] && echo "Bochs: instruction time, deterministic" || echo "QEMU TCG: wall time")):"
	if [ -s "$OUT/bench/$leg.tsv" ]; then
		# All but the append buckets, of which the first and the last.
		grep -a '^\[host *[0-9.]*\] # \(roundtrip\|size\|vcpus\|# \)' "$log" | sed 's/^\[host *[0-9.]*\] # /    /'
		for way in memslot window; do
			awk -F'\t' -v w="$way" '$1 == "append" && $2 == w { if (!f) f = $0; l = $0; r1 = r1 ? r1 : $4; rn = $4 }
				END { if (f) printf "    %s\n    %s\n    # append %s: last/first %.3f (target <= 1.5 at 30,000)\n", f, l, w, rn / r1 }' \
				"$OUT/bench/$leg.tsv"
		done
	else
		echo "    no figures (see $log)"; rc=1
	fi
done
rm -f "$list"
"$TOP/scripts/evidence/plot.sh" || rc=1
exit $rc
