#!/bin/bash
# The rig against a real guest (needs the kernel and selftests built): a test
# that crashes and one that hangs are reported as failed, the next test still
# runs; a printk flood cannot change the results (both emulators); a kernel
# that never reaches init is stopped and reported.
. "$(dirname "$0")/lib.sh"
OUT=${OUT:-$TOP/out}
[ -s "$OUT/build/arch/x86/boot/bzImage" ] && [ -s "$OUT/kselftest/kselftest-list.txt" ] || {
	fail "kernel and selftests are not built (make selftests)"; finish; exit 1; }

# An install dir with two misbehaving "tests" around a real one.
ks=$T/ks
mkdir -p "$ks/kvm"
cp -r "$OUT/kselftest/run_kselftest.sh" "$OUT/kselftest/kselftest" "$ks/"
cp "$OUT/kselftest/kvm/settings" "$OUT/kselftest/kvm/fix_hypercall_test" "$ks/kvm/"
for t in rig_crash rig_hang; do
	gcc -O2 -Wall -Werror -static -o "$ks/kvm/$t" "$TOP/tests/guest/$t.c" || fail "cannot build $t"
done
printf 'kvm:rig_crash\nkvm:rig_hang\nkvm:fix_hypercall_test\n' > "$ks/kselftest-list.txt"
printf 'rig_crash\nrig_hang\nfix_hypercall_test\n' > "$T/rigself"

start=$SECONDS
out=$(RIG_INSTALL=$ks RIG_TIMEOUT=5 OUT=$OUT "$TOP/scripts/rig/run-leg.sh" svm "$T/rigself" 2>&1); rc=$?
secs=$((SECONDS - start))
[ $rc = 1 ] && pass "guest: a run with a crashing and a hanging test fails" || fail "guest: run exit $rc" "$out"
grep -q 'svm: rig_crash .*FAIL (fail).*exit=139' <<<"$out" && pass "guest: crash reported (exit=139)" ||
	fail "guest: crash not reported" "$out"
grep -q 'svm: rig_hang .*FAIL (timeout).*TIMEOUT 5 seconds' <<<"$out" && pass "guest: hang timed out after 5 s" ||
	fail "guest: hang not reported" "$out"
grep -q 'svm: fix_hypercall_test .*PASS' <<<"$out" && pass "guest: the test after them still ran and passed" ||
	fail "guest: run did not go on" "$out"
grep -q 'svm: 1 passed, 2 failed, 0 skipped' <<<"$out" && pass "guest: counts" || fail "guest: counts" "$out"
[ $secs -lt 120 ] && pass "guest: all in ${secs} s" || fail "guest: took ${secs} s"

# The report channel against a printk flood, under each emulator: the guest's
# init floods the kernel log through /dev/kmsg (ignore_loglevel: every line
# reaches the console) while real tests print; the results must be exact,
# and the flood must really have run alongside the tests, on the console only.
printf 'shm_append_test\nfix_hypercall_test\nkvm_pv_test\nuserspace_io_test\n' > "$T/flood"
cp "$T/flood" "$T/flood-control"
flood_run() {	# LEG LIST [EXTRA-CMDLINE]: sets out, rc, during (flood lines on the console
		# while the tests ran) and onreport (flood lines on the report channel)
	local leg=$1 res=$OUT/results/$1-${2##*/} t0 t1
	out=$(RIG_CMDLINE="rig.flood ignore_loglevel ${3:-}" OUT=$OUT "$TOP/scripts/rig/run-leg.sh" "$leg" "$2" 2>&1); rc=$?
	t0=$(sed -n 's/^\[host *\([0-9.]*\)\] # selftests: kvm: shm_append_test$/\1/p' "$res.log" | head -n1)
	t1=$(sed -n 's/^\[host *\([0-9.]*\)\] RIG: tests done.*/\1/p' "$res.log" | head -n1)
	during=$(awk -v a="${t0:-1e9}" -v b="${t1:-0}" '/rig-flood [0-9]+:/ {
		t = $2; sub(/\]$/, "", t); if (t + 0 >= a && t + 0 <= b) n++ } END {print n + 0}' "$res.console.log")
	onreport=$(grep -c 'rig-flood' "$res.log")
}
for leg in svm vmx; do
	start=$SECONDS
	flood_run $leg "$T/flood"
	# (shm_append_test counts case by case: selftests/nested-ktap.txt)
	[ $rc = 0 ] && grep -Eq "^$leg: [0-9]+ passed, 0 failed, 0 skipped" <<<"$out" &&
		[ "$(grep -Ec "^$leg: (fix_hypercall_test|kvm_pv_test|userspace_io_test) +PASS" <<<"$out")" = 3 ] &&
		grep -Eq "^$leg: shm_append_test +[0-9]+ cases, counted above" <<<"$out" &&
		pass "$leg: exact results under a printk flood ($((SECONDS - start)) s)" || fail "$leg: printk flood" "$out"
	[ "$during" -ge 100 ] && pass "$leg: $during kernel flood lines reached the console while the tests ran" ||
		fail "$leg: the flood did not run alongside the tests ($during lines)"
	[ "$onreport" = 0 ] && pass "$leg: no kernel line on the report channel" ||
		fail "$leg: $onreport flood lines on the report channel"
done
# The control: a kernel console also on the report channel's port (what a
# shared console was) puts the flood into the report, and the check says so.
flood_run svm "$T/flood-control" "console=uart8250,io,0x2f8,115200"
[ "$onreport" -gt 0 ] && [ $rc = 1 ] && grep -q 'kernel line(s) on the report channel' <<<"$out" &&
	pass "svm: a kernel console on the report port fails the run ($onreport flood lines there)" ||
	fail "svm: a kernel console on the report channel went unnoticed ($onreport flood lines there, exit $rc)" "$out"

# A kernel that panics before init, under each emulator.
for leg in svm vmx; do
	start=$SECONDS
	out=$(RIG_INSTALL=$ks RIG_CMDLINE="rdinit=/nonexistent init=/nonexistent" INIT_TIMEOUT=60 OUT=$OUT \
		"$TOP/scripts/rig/run-leg.sh" $leg "$T/rigself" 2>&1); rc=$?
	[ $rc = 1 ] && grep -q 'never reached init' <<<"$out" && grep -q 'Kernel panic' <<<"$out" &&
		pass "$leg: a kernel that panics before init is reported ($((SECONDS - start)) s)" ||
		fail "$leg: panic before init" "$out"
done

# --- the Bochs VMX leg: bad input ends with a clear message, never a hang ---
start=$SECONDS
out=$(RIG_INSTALL=$ks RIG_BOCHS_ROM=/nonexistent/BIOS OUT=$OUT "$TOP/scripts/rig/run-leg.sh" vmx "$T/rigself" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "vmx: FAIL run stopped: Bochs panicked: ROM: couldn't open ROM image file '/nonexistent/BIOS'" <<<"$out" &&
	pass "vmx: Bochs panicking is reported ($((SECONDS - start)) s)" || fail "vmx: Bochs panic" "$out"
out=$(CACHE_DIR=$T/cache DEBIAN_MIRROR=http://127.0.0.1:9/debian RIG_INSTALL=$ks OUT=$OUT \
	"$TOP/scripts/rig/run-leg.sh" vmx "$T/rigself" 2>&1); rc=$?
[ $rc != 0 ] && grep -q 'cannot reach the Debian archive' <<<"$out" && grep -q 'no Bochs to run the vmx leg' <<<"$out" &&
	pass "vmx: no Bochs (source unreachable) is a clear error" || fail "vmx: no Bochs" "$out"
finish
