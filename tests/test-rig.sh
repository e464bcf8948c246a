#!/bin/bash
# The rig's host side without an emulator: console.py deadlines against fake
# "emulators", report.py verdicts on made-up console logs, and the guest's
# timeout helper on the host.
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts/rig

# --- the guest's timeout helper (built exactly as for the initramfs) ---
gcc -O2 -Wall -Wextra -Werror -static -o "$T/timeout" "$S/guest/timeout.c" || fail "timeout.c does not build"
# A sleep no other process on the machine runs (pgrep sees them all).
hang="sleep 300.$$"
"$T/timeout" --foreground 2 /usr/bin/timeout 2 sh -c "$hang & $hang"; rc=$?
[ $rc = 124 ] && pass "timeout: a hanging test ends with 124" || fail "timeout: hang gave $rc"
pgrep -fx "$hang" >/dev/null && fail "timeout: the hung test's children survived" || pass "timeout: whole session killed"
"$T/timeout" 5 sh -c 'kill -SEGV $$'; rc=$?
[ $rc = 139 ] && pass "timeout: a crashing test reports 128+SIGSEGV" || fail "timeout: crash gave $rc"
"$T/timeout" 5 sh -c 'exit 4'; rc=$?
[ $rc = 4 ] && pass "timeout: exit status passed through" || fail "timeout: exit status $rc"
"$T/timeout" 5 sh -c 'trap "" TERM; sleep 30' & tp=$!
sleep 0.2; kill -ALRM $tp 2>/dev/null; wait $tp; rc=$?
[ $rc = 124 ] && pass "timeout: SIGTERM-proof test killed by SIGKILL" || fail "timeout: TERM-proof test gave $rc"
"$T/timeout" 5 /nonexistent; rc=$?
[ $rc = 127 ] && pass "timeout: missing binary gives 127" || fail "timeout: missing binary gave $rc"

# --- console.py deadlines, with shell scripts standing in for QEMU: their
# stdout is the kernel console, "$RIG_REPORT" the guest's report channel ---
run_console() {
	"$S/console.py" --log "$T/log" --console-log "$T/clog" --report-fifo "$T/fifo" --status "$T/status" "$@"
}
status_has() { python3 -c "import json,sys; s=json.load(open('$T/status')); sys.exit(0 if $1 else 1)"; }

start=$SECONDS
run_console --init-timeout 2 --silence 60 --total 60 -- sh -c 'echo booting; sleep 100' 2>/dev/null
if status_has "'never reached init' in (s['killed'] or '')" && [ $((SECONDS - start)) -lt 15 ]; then
	pass "console: a guest that never reaches init is stopped"
else fail "console: init deadline" "$(cat "$T/status")"; fi
run_console --init-timeout 2 --silence 60 --total 60 -- sh -c 'echo "RIG: init reached"; sleep 100' 2>/dev/null
status_has "'never reached init' in (s['killed'] or '')" &&
	pass "console: 'init reached' on the kernel console does not count (only the report channel)" ||
	fail "console: init marker taken from the wrong channel" "$(cat "$T/status")"
run_console --init-timeout 5 --silence 2 --total 60 -- sh -c 'echo "RIG: init reached" >"$RIG_REPORT"; sleep 100' 2>/dev/null
status_has "'no output on the report channel' in (s['killed'] or '')" && pass "console: a silent guest is stopped" ||
	fail "console: silence deadline" "$(cat "$T/status")"
run_console --init-timeout 5 --silence 2 --total 30 -- sh -c \
	'echo "RIG: init reached" >"$RIG_REPORT"; while :; do echo "[ 1.000000] kernel chatter"; sleep 0.2; done' 2>/dev/null
status_has "'no output on the report channel' in (s['killed'] or '')" &&
	pass "console: kernel chatter does not hide a guest whose report channel is silent" ||
	fail "console: chatter hid a silent guest" "$(cat "$T/status")"
run_console --init-timeout 5 --silence 5 --total 3 -- sh -c \
	'echo "RIG: init reached" >"$RIG_REPORT"; while :; do echo x >"$RIG_REPORT"; sleep 0.5; done' 2>/dev/null
status_has "'total limit' in (s['killed'] or '')" && pass "console: the total limit stops a chatty guest" ||
	fail "console: total deadline" "$(cat "$T/status")"
run_console -- sh -c 'echo "RIG: init reached" >"$RIG_REPORT"; exit 3' 2>/dev/null
status_has "s['rc'] == 3 and not s['killed']" && pass "console: emulator exit status recorded" ||
	fail "console: exit status" "$(cat "$T/status")"
[ ! -e "$T/fifo" ] && pass "console: the report FIFO is removed afterwards" || fail "console: FIFO left behind"
run_console -- sh -c 'echo "RIG: init reached" >"$RIG_REPORT"; sleep 313 & exit 0' 2>/dev/null
pgrep -f 'sleep 313' >/dev/null && fail "console: a process the emulator left behind survives the run" ||
	pass "console: what the emulator leaves behind is killed when it exits"
"$S/console.py" --log "$T/log" --console-log "$T/clog" --report-fifo "$T/fifo" --status "$T/status" \
	-- sh -c 'echo "RIG: init reached" >"$RIG_REPORT"; sleep 317' 2>/dev/null & cp=$!
sleep 1; kill -TERM $cp; wait $cp
if ! pgrep -f 'sleep 317' >/dev/null && [ -s "$T/status" ] && [ ! -e "$T/fifo" ] &&
   status_has "'console.py stopped' in (s['killed'] or '')"; then
	pass "console: stopped by SIGTERM, it takes the emulator down and still writes its status"
else pkill -f 'sleep 317'; fail "console: SIGTERM" "$(cat "$T/status" 2>/dev/null)"; fi
run_console -- /nonexistent/qemu 2>/dev/null
status_has "'cannot start' in (s['killed'] or '')" && pass "console: a missing emulator is reported" ||
	fail "console: missing emulator" "$(cat "$T/status")"
# Two channels written in turns: each log holds exactly its own lines,
# whole and in order, with a last unterminated line kept.
run_console -- sh -c 'exec 3>"$RIG_REPORT"; echo "RIG: init reached" >&3; i=0
	while [ $i -lt 300 ]; do printf "[ %d.000000] kernel %d\n" $i $i; printf "report %d\n" $i >&3; i=$((i + 1)); done
	printf "report last" >&3' 2>/dev/null
{ echo "RIG: init reached"; seq 0 299 | sed 's/^/report /'; echo "report last"; } > "$T/want-report"
seq 0 299 | awk '{printf "[ %d.000000] kernel %d\n", $1, $1}' > "$T/want-console"
if sed 's/^\[host *[0-9.]*\] //' "$T/log" | cmp -s - "$T/want-report" &&
   sed 's/^\[host *[0-9.]*\] //' "$T/clog" | cmp -s - "$T/want-console"; then
	pass "console: report channel and kernel console logged apart, every line whole"
else fail "console: channels mixed or lines lost" \
	"$(diff <(sed 's/^\[host *[0-9.]*\] //' "$T/log") "$T/want-report" | head; diff <(sed 's/^\[host *[0-9.]*\] //' "$T/clog") "$T/want-console" | head)"; fi

# --- report.py on made-up consoles ---
printf 'a_test\nx86/b_test\nc_test\n' > "$T/list"
printf 'c_test TCG lacks NRIPS\n' > "$T/known"
good_log() {
	cat <<-'EOF2'
	[host    10.00] RIG: init reached, kernel 7.3.4, 2 cpus
	[host    10.10] RIG: kvm ready: svm npt=Y
	[host    10.20] RIG: tests start
	[host    10.30] # selftests: kvm: a_test
	[host    12.30] ok 1 selftests: kvm: a_test
	[host    12.40] # selftests: kvm: b_test
	[host    15.40] ok 2 selftests: kvm: b_test
	[host    15.50] # selftests: kvm: c_test
	[host    16.00] not ok 3 selftests: kvm: c_test # exit=254
	[host    16.10] RIG: tests done rc=0
	[host    18.00] RIG: exit 0
	EOF2
}
report() { "$S/report.py" --vendor svm --leg t --log "$T/log" --console "$T/clog" --status "$T/status" --list "$T/list" --known "$T/known" --tsv "$T/tsv" "$@"; }
echo '{"rc": 1, "killed": null, "elapsed": 18}' > "$T/status"
good_console() { printf '[host     1.00] [    0.000000] Linux version 7.3.4\n[host    10.05] [    9.100000] kvm_amd: Nested Paging enabled\n'; }
good_console > "$T/clog"

good_log > "$T/log"
out=$(report); rc=$?
if [ $rc = 0 ] && grep -qx 't: 2 passed, 0 failed, 0 skipped' <<<"$out" && grep -q 'KNOWN FAILURE' <<<"$out"; then
	pass "report: passes, known failure reported and not counted as passed"
else fail "report: good run" "$out"; fi
grep -qP '^x86/b_test\tpass\t3.0\t' "$T/tsv" && pass "report: per-test time from host timestamps" ||
	fail "report: tsv" "$(cat "$T/tsv")"

good_log | sed 's/^\(.*\)ok 2 selftests: kvm: b_test$/\1not ok 2 selftests: kvm: b_test # TIMEOUT 120 seconds/' > "$T/log"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'b_test.*FAIL (timeout)' <<<"$out" && grep -qx 't: 1 passed, 1 failed, 0 skipped' <<<"$out" &&
	pass "report: a timed-out test fails the run" || fail "report: timeout" "$out"

# A test whose last output line lacks a newline: the result line is glued to it.
good_log | sed 's/^\(.*\)ok 2 selftests: kvm: b_test$/\1# waiting...waiting...not ok 2 selftests: kvm: b_test # TIMEOUT 120 seconds/' > "$T/log"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'b_test.*FAIL (timeout)' <<<"$out" && pass "report: a result glued to unterminated test output is read" ||
	fail "report: glued result" "$out"

good_log | sed 's/ok 1 selftests: kvm: a_test/ok 1 selftests: kvm: a_test # SKIP/' > "$T/log"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'a_test.*skipped, expected to pass' <<<"$out" && pass "report: a skip of an expected pass fails" ||
	fail "report: skip" "$out"

good_log > "$T/log"
{ good_console; echo '[host    17.00] [   16.500000] WARNING: CPU: 1 PID: 99 at arch/x86/kvm/x86.c:100 kvm_foo+0x1/0x2'; } > "$T/clog"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'kernel log: .*WARNING: CPU: 1' <<<"$out" && pass "report: a kernel WARN fails a run whose tests passed" ||
	fail "report: WARN" "$out"
for bad in 'BUG: kernel NULL pointer dereference, address: 0' 'Oops: 0000 [#1] SMP' 'Kernel panic - not syncing: Fatal exception' \
	   'BUG: KASAN: slab-out-of-bounds in kvm_bar' 'kernel BUG at mm/slub.c:123!' \
	   'WARNING: arch/x86/kvm/x86.c:7612 at kvm_shm_append_find+0x4a/0x60, CPU#0: shm_append_fuz/312' \
	   'WARNING: possible circular locking dependency detected' 'WARNING: suspicious RCU usage' \
	   'UBSAN: array-index-out-of-bounds in arch/x86/kvm/x86.c:7700:5' \
	   'kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)' \
	   'list_add corruption. prev->next should be next (ffff888003a0b0c8)' \
	   'INFO: task shm_append_tea:99 blocked for more than 120 seconds.' \
	   '---[ end trace 0000000000000000 ]---'; do
	{ good_console; echo "[host    17.00] [   16.500000] $bad"; } > "$T/clog"
	report >/dev/null && fail "report: '$bad' not caught" || pass "report: catches '${bad%% *} ${bad#* }'"
done
{ good_console; echo '[host    17.00] early userspace...[   16.500000] BUG: unable to handle page fault for address: 0'; } > "$T/clog"
report >/dev/null && fail "report: a kernel BUG after an unterminated console line is missed" ||
	pass "report: catches a kernel line that starts mid-line"
good_console > "$T/clog"
# The taint the guest reports at the end: a WARN's W fails the run, even
# with no console line; a taint no kernel problem sets (S: clearcpuid) does not.
good_log | sed 's/^\(.*\)RIG: tests done/\1RIG: tainted 512\n\1RIG: tests done/' > "$T/log"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'kernel tainted 512 (W)' <<<"$out" && pass "report: a W taint fails the run" ||
	fail "report: taint W" "$out"
good_log | sed 's/^\(.*\)RIG: tests done/\1RIG: tainted 4\n\1RIG: tests done/' > "$T/log"
report >/dev/null && pass "report: an S taint (clearcpuid) alone passes" || fail "report: taint S"
good_log | sed 's/^\(.*\)RIG: tests done/\1RIG: tainted \n\1RIG: tests done/' > "$T/log"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q "unreadable taint report: 'RIG: tainted" <<<"$out" &&
	pass "report: an unreadable taint line fails the run, not the report" || fail "report: bad taint line" "$out"
{ good_log; echo '[host    16.05] # WARNING: CPU: 0 PID: 1 at fake line printed by a test'; } > "$T/log"
report >/dev/null && pass "report: a test's own output is not taken for a kernel line" || fail "report: test output misread"
good_log | sed 's/RIG: kvm ready: svm npt=Y/RIG: kvm ready: [   19.126131] cat (70) used greatest stack depth: 13280 bytes left/' > "$T/log"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q '1 kernel line(s) on the report channel, the first: RIG: kvm ready: \[   19.126131\] cat' <<<"$out" &&
	pass "report: a kernel line on the report channel fails the run, named" || fail "report: kernel line on the report channel" "$out"

# The failure a shared console allowed: a printk landing mid-line in a
# marker. Kernel lines now only reach the console log; a flood there
# changes nothing on the report channel.
good_log > "$T/log"
{ good_console; for i in $(seq 1 2000); do printf '[host    12.00] [   11.%06d] rig-flood %d: a kernel log line\n' "$i" "$i"; done; } > "$T/clog"
out=$(report); rc=$?
[ $rc = 0 ] && grep -qx 't: 2 passed, 0 failed, 0 skipped' <<<"$out" &&
	pass "report: a flooded kernel console leaves the results exact" || fail "report: flood" "$out"
{ good_console; echo '[host    12.00] [   11.000000] ** 1234 printk messages dropped **'; } > "$T/clog"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'console dropped 1234 message' <<<"$out" &&
	pass "report: a console that dropped kernel messages fails the run (the scan would be blind)" ||
	fail "report: dropped messages" "$out"
out=$(report --allow-dropped); rc=$?
[ $rc = 0 ] && pass "report: --allow-dropped (the flood test) accepts dropped console messages" ||
	fail "report: --allow-dropped" "$out"
good_console > "$T/clog"

good_log | sed '/a_test/,$d' > "$T/log"
echo '{"rc": 0, "killed": null, "elapsed": 11}' > "$T/status"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'did not finish' <<<"$out" && grep -q 'a_test.*FAIL (missing)' <<<"$out" &&
	pass "report: a guest that died mid-run fails, tests without result counted" || fail "report: died" "$out"

: > "$T/log"
printf '[host     1.00] [    0.000000] Linux version 7.3.4\n[host     3.00] [    2.900000] Kernel panic - not syncing: No working init found.\n' > "$T/clog"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'never reached init' <<<"$out" && grep -q 'kernel log: .*Kernel panic' <<<"$out" &&
	pass "report: a kernel that never reaches init fails" || fail "report: no init" "$out"
{ good_console; echo '[host    10.00] RIG: no report channel: cannot open /dev/ttyS1'; } > "$T/clog"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'never reached init on the report channel; on the console it said: no report channel' <<<"$out" &&
	pass "report: a guest without its report channel says so" || fail "report: no report channel" "$out"
good_console > "$T/clog"

good_log | sed 's/kvm ready: svm npt=Y/kvm missing: no \/dev\/kvm/' > "$T/log"
echo '{"rc": 1, "killed": null, "elapsed": 18}' > "$T/status"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'no /dev/kvm' <<<"$out" && pass "report: a guest without /dev/kvm fails" || fail "report: no kvm" "$out"
good_log | sed 's/kvm ready: svm npt=Y/kvm ready: vmx ept=Y/' > "$T/log"
out=$(report); rc=$?
[ $rc = 1 ] && grep -q 'expected KVM on svm' <<<"$out" && pass "report: KVM on the wrong vendor fails the leg" ||
	fail "report: vendor" "$out"

# --- nested KTAP cases of the series' own test (report.py --nested) ---
printf 'n_test\na_test\n' > "$T/nlist"; printf 'n_test\n' > "$T/nested"
nested_log() {	# the three case lines of n_test, then its binary result line
	good_console > "$T/clog"
	echo '{"rc": 1, "killed": null, "elapsed": 12}' > "$T/status"
	printf '[host    10.00] RIG: init reached, kernel 7.3.4, 2 cpus\n[host    10.10] RIG: kvm ready: svm npt=Y\n'
	printf '[host    10.30] # selftests: kvm: n_test\n[host    10.31] # TAP version 13\n[host    10.32] # 1..3\n'
	printf '[host    10.40] # %s\n' "$1" "$2" "$3"
	printf '[host    11.00] %s\n' "$4"
	printf '[host    11.10] # selftests: kvm: a_test\n[host    11.20] ok 2 selftests: kvm: a_test\n[host    11.30] RIG: tests done rc=0\n'
}
nreport() { "$S/report.py" --vendor svm --leg t --log "$T/log" --console "$T/clog" --status "$T/status" \
	--list "$T/nlist" --nested "$T/nested"; }
# nested_case DESC RC REGEX... -- CASE1 CASE2 CASE3 BINARY-RESULT: report.py
# exits RC and its output matches every REGEX (grep -E).
nested_case() {
	local desc=$1 want=$2 res=() out rc re ok=1; shift 2
	while [ "$1" != -- ]; do res+=("$1"); shift; done; shift
	nested_log "$@" > "$T/log"
	out=$(nreport); rc=$?
	[ "$rc" = "$want" ] || ok=0
	for re in "${res[@]}"; do grep -Eq -- "$re" <<<"$out" || ok=0; done
	[ $ok = 1 ] && pass "report: $desc" || fail "report: $desc (exit $rc)" "$out"
}
nested_case "each nested case of the series' test counts once" 0 '^t: 4 passed, 0 failed, 0 skipped$' \
	'n_test/global.b +PASS' -- 'ok 1 global.a' 'ok 2 global.b' 'ok 3 global.c' 'ok 1 selftests: kvm: n_test'
nested_case "a skipped case inside a passing binary counts as skipped, not passed" 0 \
	'^t: 3 passed, 0 failed, 1 skipped$' 'n_test/global.b .*SKIP.*no SMM' -- \
	'ok 1 global.a' 'ok 2 global.b # SKIP no SMM' 'ok 3 global.c' 'ok 1 selftests: kvm: n_test'
nested_case "a series test whose every case skipped fails" 1 'n_test .*FAIL \(pass\): every case skipped' -- \
	'ok 1 global.a # SKIP x' 'ok 2 global.b # SKIP x' 'ok 3 global.c # SKIP x' 'ok 1 selftests: kvm: n_test'
nested_case "KTAP's 'ok N - name' form is read" 0 'n_test/global.c +PASS' -- \
	'ok 1 - global.a' 'ok 2 - global.b' 'ok 3 - global.c' 'ok 1 selftests: kvm: n_test'
nested_case "a failed case is one failure, named" 1 '^t: 3 passed, 1 failed, 0 skipped$' 'n_test/global.b +FAIL' -- \
	'ok 1 global.a' 'not ok 2 global.b' 'ok 3 global.c' 'not ok 1 selftests: kvm: n_test # exit=1'
nested_case "a binary that crashes mid-plan fails, with the missing cases named" 1 \
	'n_test .*FAIL \(fail\): 1 case\(s\) of its plan have no result' -- \
	'ok 1 global.a' 'ok 2 global.b' '# RUN global.c ...' 'not ok 1 selftests: kvm: n_test # exit=139'
nested_case "a binary that fails with every case passed still fails" 1 'n_test .*FAIL \(fail\) with no failing case' -- \
	'ok 1 global.a' 'ok 2 global.b' 'ok 3 global.c' 'not ok 1 selftests: kvm: n_test # exit=1'

# --- the VMX leg's pieces that need no emulator ---
printf 'kernel' > "$T/bz"; printf 'initrd' > "$T/rd"
expect_fail "mkiso: a missing kernel is named" 'no kernel image at /nonexistent' \
	"$S/mkiso.sh" /nonexistent "$T/rd" "console=ttyS0" "$T/x.iso"
expect_fail "mkiso: a command line isolinux would cut is refused" 'command line too long' \
	"$S/mkiso.sh" "$T/bz" "$T/rd" "$(printf 'x%.0s' $(seq 300))" "$T/x.iso"
if "$S/mkiso.sh" "$T/bz" "$T/rd" "console=ttyS0 rig.marker=42" "$T/x.iso" 2>"$T/err" &&
   xorriso -indev "$T/x.iso" -osirrox on -extract /isolinux/isolinux.cfg "$T/cfg" >/dev/null 2>&1 &&
   grep -q 'APPEND initrd=/initrd console=ttyS0 rig.marker=42' "$T/cfg"; then
	pass "mkiso: the ISO boots the kernel with the initramfs and the command line"
else fail "mkiso: ISO content" "$(cat "$T/err" "$T/cfg" 2>/dev/null)"; fi
(
	. "$TOP/scripts/lib.sh"
	bochs_vmx /usr/bin/bochs-stand-in "$T/x.iso" "$T/bochsrc" "$T/bochs.log" "$T/report.fifo"
	echo "${EMU[*]}" > "$T/emu"
)
for want in 'display_library: nogui' 'panic: action=fatal' 'com1: enabled=1, mode=file, dev=/dev/stdout' \
	    "com2: enabled=1, mode=file, dev=\"$T/report.fifo\"" \
	    'cpu: model=corei7_skylake_x' "ata0-master: type=cdrom, path=\"$T/x.iso\"" 'clock: sync=none' \
	    "log: $T/bochs.log"; do
	grep -qF "$want" "$T/bochsrc" && pass "bochsrc: $want" || fail "bochsrc lacks '$want'" "$(cat "$T/bochsrc")"
done
grep -qx "/usr/bin/bochs-stand-in -q -f $T/bochsrc" "$T/emu" && pass "bochs: run quietly with the generated bochsrc" ||
	fail "bochs command line" "$(cat "$T/emu")"
finish
