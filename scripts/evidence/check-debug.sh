#!/bin/bash
# make check-debug: the rig's kernel plus kernel/config/debug.config (KASAN,
# PROVE_LOCKING, PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_LIST, UBSAN, KMEMLEAK)
# built in $OUT/build-debug, booted in each leg with the series' tests
# (shm_append_test, shm_vmm, the trace test), the fuzz (FUZZ_N requests,
# default 20,000), the teardown test (TEARDOWN_N rounds, default 100), the
# ENOMEM test (slab fault injection: the grant's error path), then a
# kmemleak scan. The leg fails on a failed test, a suspected leak, or any
# KASAN, UBSAN, lockdep, RCU or WARN/BUG line on the console
# (scripts/rig/report.py). Prints each leg's report and its time.
. "$(dirname "$0")/../lib.sh"

fuzz_n=${FUZZ_N:-20000} teardown_n=${TEARDOWN_N:-100}
BUILD=$OUT/build-debug INSTALL=$OUT/kselftest-debug D=$OUT/check-debug
[ -s "$OUT/kselftest/kvm/shm_append_fuzz" ] || die "no selftests built: run 'make selftests' first"
start=$SECONDS
"$TOP/scripts/rig/build-kernel.sh" --base allnoconfig "$OUT/linux" "$BUILD" \
	"$TOP/kernel/config/rig.config" "$TOP/kernel/config/debug.config"
build_s=$((SECONDS - start))

rm -rf "$INSTALL" "$D"; mkdir -p "$D"
cp -a "$OUT/kselftest" "$INSTALL"
for t in kmemleak_start kmemleak_scan; do
	cp "$TOP/scripts/rig/guest/$t" "$INSTALL/kvm/"
	echo "kvm:$t" >> "$INSTALL/kselftest-list.txt"
done
printf '%s\n' kmemleak_start shm_append_test shm_vmm shm_append_trace shm_append_fuzz \
	shm_append_teardown shm_append_enomem kmemleak_scan > "$D/debug"
{ grep -v '^shm_append_\(fuzz\|teardown\) ' "$TOP/selftests/test-args.txt"
  echo "shm_append_fuzz -n $fuzz_n -s 13"
  echo "shm_append_teardown -n $teardown_n"; } > "$D/test-args.txt"

rc=0 np=0 nf=0
for leg in ${LEGS:-svm vmx}; do
	t0=$SECONDS
	RIG_BUILD=$BUILD RIG_INSTALL=$INSTALL RIG_TEST_ARGS=$D/test-args.txt RIG_TIMEOUT=900 \
		"$TOP/scripts/rig/run-leg.sh" "$leg" "$D/debug" > "$D/$leg.txt" 2>&1 || rc=1
	{ sed -n "s/^$leg: //p" "$D/$leg.txt" | grep -v '^\[' || true; } | sed "s/^/$leg: /"
	{ grep -a '# kmemleak:\|# # fuzz:' "$OUT/results/$leg-debug.log" 2>/dev/null || true; } |
		sed "s/^\[host *[0-9.]*\] # \(# \)\?/$leg:   /"
	echo "$leg: $((SECONDS - t0)) s (debug kernel built in ${build_s} s)"
	read -r p f _ < "$OUT/results/$leg-debug.counts" 2>/dev/null || { p=0 f=1; }
	np=$((np + p)) nf=$((nf + f))
done
[ $rc = 0 ] || [ $nf -gt 0 ] || nf=1
echo "check-debug: $np passed, $nf failed"
exit $rc
