#!/bin/bash
# Show that QEMU's shm-append qtest notices every check of the QEMU series
# going missing, and that KVM refuses the wrong answers: build QEMU with
# tests/mutations/qemu-shm-append.patch (SHM_APPEND_MUTANT=N in QEMU's
# environment disables check N alone), boot the SVM leg once, run the qtest
# with no mutant (every case must pass), then the case named in
# tests/mutations/qemu-shm-append.expect once per mutant (it must fail).
# The QEMU tree and build are restored afterwards.
. "$(dirname "$0")/../lib.sh"

QEMU=$OUT/qemu QBUILD=$OUT/qemu-build
MUT=$TOP/tests/mutations/qemu-shm-append.patch
EXPECT=$TOP/tests/mutations/qemu-shm-append.expect
INSTALL=$OUT/kselftest-qmutants
[ -d "$QEMU/.git" ] || die "no $QEMU: run 'make qemu' first"
[ -z "$(git -C "$QEMU" status --porcelain)" ] || die "$QEMU has uncommitted changes"
[ -x "$OUT/kselftest/kvm/qemu_shm_append" ] || die "no qemu_shm_append installed: run 'make selftests' first"
bad=$(awk -F'\t' '/^[0-9]/ && (NF != 3 || $2 == "" || $3 == "")' "$EXPECT")
[ -z "$bad" ] || die "$EXPECT: want 'N<TAB>case<TAB>what' lines, got: $bad"
for n in $(awk '/^[0-9]/ {print $1}' "$EXPECT"); do
	grep -q "M($n)\|== $n" "$MUT" || die "$EXPECT: mutant $n is not in $MUT"
done

need_pkgs patch
export PYTHONPATH=$CACHE_DIR/meson/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
export CCACHE_DIR=$CACHE_DIR/ccache CCACHE_BASEDIR=$OUT CCACHE_NOHASHDIR=1
files=$(sed -n 's|^+++ b/||p' "$MUT")
targets=(qemu-system-x86_64 tests/qtest/shm-append-test)
# shellcheck disable=SC2086 # a list of paths
restore() {
	git -C "$QEMU" checkout -q -- $files
	ninja -C "$QBUILD" "${targets[@]}" >/dev/null || warn "$QBUILD does not build after the mutation check"
}
trap restore EXIT
patch -s -d "$QEMU" -p1 < "$MUT" || die "$MUT does not apply to $QEMU"
ninja -C "$QBUILD" "${targets[@]}" >"$OUT/qemu-mutants.log" 2>&1 ||
	die "the mutated QEMU does not build (see $OUT/qemu-mutants.log)"
rm -rf "$INSTALL"
cp -a "$OUT/kselftest" "$INSTALL"
strip -o "$INSTALL/kvm/qemu/qemu-system-x86_64" "$QBUILD/qemu-system-x86_64"
strip -o "$INSTALL/kvm/qemu/shm-append-test" "$QBUILD/tests/qtest/shm-append-test"

# In the guest: every case with no mutant, then each mutant's case.
{
	echo '#!/bin/sh'
	echo 'export QTEST_QEMU_BINARY=$(pwd)/qemu/qemu-system-x86_64'
	echo 'qemu/shm-append-test --tap 2>&1 | sed "s/^/[mutant 0] /"'
	# A mutant may make its case hang rather than fail: 240 s each.
	awk -F'\t' '/^[0-9]/ {printf "{ SHM_APPEND_MUTANT=%s timeout 240 qemu/shm-append-test --tap -p /x86_64/shm-append/%s 2>&1 || echo \"ERROR: exit $?\"; } | sed \"s/^/[mutant %s] /\"\n", $1, $2, $1}' "$EXPECT"
} > "$INSTALL/kvm/qemu_mutants.sh"
chmod +x "$INSTALL/kvm/qemu_mutants.sh"
printf '%s\n' qemu/qemu-system-x86_64 qemu/shm-append-test > "$INSTALL/kvm/qemu_mutants.sh.deps"
guest_run "$INSTALL" qemu_mutants.sh
log=$GUEST_LOG

bad=0
cases=$(grep -ao '\[mutant 0\] \(not \)\?ok [0-9]* /x86_64/shm-append/[a-z0-9-]*$' "$log" | sed 's|.*/||')
[ "$(wc -w <<<"$cases")" -ge 10 ] || { echo "not ok - without a mutant, not every case reported (see $log)"; bad=1; }
for c in $cases; do
	if grep -aq "\[mutant 0\] ok [0-9]* /x86_64/shm-append/$c\$" "$log"; then echo "ok - no mutant: $c passes"
	else echo "not ok - no mutant: $c fails"; bad=1; fi
done
while IFS=$'\t' read -r n name what; do
	case $n in [0-9]*) ;; *) continue ;; esac
	if grep -aq "\[mutant $n\] ok [0-9]* /x86_64/shm-append/$name\$" "$log"; then
		echo "not ok - mutant $n ($what): $name passes, expected to fail"; bad=1
	elif grep -aq "\[mutant $n\] .*/x86_64/shm-append/$name\|\[mutant $n\] .*ERROR" "$log"; then
		why=$(grep -ao "\[mutant $n\] .*\(kvm run failed [A-Za-z ]*\|ERROR:.*\)" "$log" | head -n1 | sed 's/.*\(kvm run failed\|ERROR:\)/\1/')
		echo "ok - mutant $n ($what): $name fails${why:+ ($why)}"
	else
		echo "not ok - mutant $n ($what): $name did not run"; bad=1
	fi
done < "$EXPECT"
rm -rf "${log%.log}".* "$INSTALL"
exit $bad
