#!/bin/bash
# make coverage: which of the lines the series adds to arch/x86/kvm (and
# virt/kvm) its tests execute. Builds the rig kernel with gcov
# (kernel/config/gcov.config) in $OUT/build-gcov, profiling only
# arch/x86/kvm (GCOV_PROFILE := y added to its Makefile for the build, then
# restored: a rig-side change, not in the series); runs shm_append_test,
# shm_vmm, the short fuzz, the trace, teardown and ENOMEM (fault injection)
# tests and private_mem_conversions_test (KVM_EXIT_HYPERCALL) in each leg; brings
# the .gcda files out over the report channel; runs gcov; and reports per
# file how many added executable lines ran in each leg and in either.
# Every added line that ran in neither leg must be explained in
# tests/coverage/unexecuted.txt (why no test here can reach it), else the
# run fails; so does an explanation that no longer matches a line.
# Output: $OUT/coverage/report.txt (and LEG/gcda/, the counters).
. "$(dirname "$0")/../lib.sh"

LINUX=$OUT/linux BUILD=$OUT/build-gcov COV=$OUT/coverage
REASONS=$TOP/tests/coverage/unexecuted.txt
[ -d "$LINUX/.git" ] || die "no $LINUX: run 'make kernel selftests' first"
[ -z "$(git -C "$LINUX" status --porcelain)" ] || die "$LINUX has uncommitted changes"
[ -s "$OUT/kselftest/kvm/shm_append_fuzz" ] || die "no selftests built: run 'make selftests' first"
[ -f "$REASONS" ] || die "no $REASONS"

mk=arch/x86/kvm/Makefile
restore() { git -C "$LINUX" checkout -q -- "$mk"; }
trap restore EXIT
echo 'GCOV_PROFILE := y' >> "$LINUX/$mk"
"$TOP/scripts/rig/build-kernel.sh" --base allnoconfig "$LINUX" "$BUILD" \
	"$TOP/kernel/config/rig.config" "$TOP/kernel/config/gcov.config"
restore
trap - EXIT

# The guest's last test: the counters of arch/x86/kvm, as a base64 tarball
# between two markers on the report channel (debugfs files show size 0, so
# they are copied with cat first).
INSTALL=$OUT/kselftest-gcov
rm -rf "$INSTALL"; cp -a "$OUT/kselftest" "$INSTALL"
cat > "$INSTALL/kvm/gcov_dump" <<-'EOS'
	#!/bin/sh
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
	g=/sys/kernel/debug/gcov
	[ -d $g ] || { echo "not ok: no $g"; exit 1; }
	cd $g && find . -name '*.gcda' | while read -r f; do
		mkdir -p "/tmp/gcda/${f%/*}" && cat "$f" > "/tmp/gcda/$f"
	done
	n=$(find /tmp/gcda -name '*.gcda' | wc -l)
	[ "$n" -gt 0 ] || { echo "not ok: no .gcda under $g"; exit 1; }
	echo "gcda files: $n"
	echo GCDA-BEGIN
	tar -C /tmp/gcda -cf - . | gzip -9 | base64
	echo GCDA-END
EOS
chmod +x "$INSTALL/kvm/gcov_dump"
echo "kvm:gcov_dump" >> "$INSTALL/kselftest-list.txt"
list=$COV/coverage
rm -rf "$COV"; mkdir -p "$COV"
# The series' tests, and the upstream test of KVM_EXIT_HYPERCALL
# (KVM_HC_MAP_GPA_RANGE), whose completion the first patch changes.
printf '%s\n' shm_append_test shm_vmm shm_append_fuzz shm_append_trace shm_append_teardown \
	shm_append_enomem private_mem_conversions_test gcov_dump > "$list"

rc=0
for leg in ${LEGS:-svm vmx}; do
	RIG_BUILD=$BUILD RIG_INSTALL=$INSTALL "$TOP/scripts/rig/run-leg.sh" "$leg" "$list" > "$COV/$leg.run.txt" 2>&1 ||
		{ echo "$leg: the tests failed on the gcov kernel: $COV/$leg.run.txt"; rc=1; }
	tail -n1 "$COV/$leg.run.txt"
	mkdir -p "$COV/$leg/gcda"
	sed -n '/# GCDA-BEGIN$/,/# GCDA-END$/p' "$OUT/results/$leg-coverage.log" |
		sed '1d;$d;s/^\[host *[0-9.]*\] # //' | base64 -d | gzip -d | tar -C "$COV/$leg/gcda" -xf - ||
		{ echo "$leg: no counters came out (see $OUT/results/$leg-coverage.log)"; rc=1; continue; }
done
[ $rc = 0 ] || exit 1
python3 "$TOP/scripts/evidence/coverage.py" --linux "$LINUX" --build "$BUILD" --cov "$COV" \
	--reasons "$REASONS" --legs "${LEGS:-svm vmx}" | tee "$COV/report.txt"
exit "${PIPESTATUS[0]}"
