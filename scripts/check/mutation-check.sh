#!/bin/bash
# Show that x86/shm_append_test (and the fuzz, for the mutants of
# tests/mutations/shm_append-fuzz.expect) notices every check of the series going
# missing: build the kernel with tests/mutations/shm_append.patch, whose
# knob kvm.shm_append_mutant=N disables check N alone, boot it once in the
# SVM leg, run the test with no mutant (every case must pass) and then once
# per mutant of tests/mutations/shm_append.expect (the case named there must
# fail). The tree is restored afterwards; the next `make kernel` rebuilds the
# touched file.
. "$(dirname "$0")/../lib.sh"

LINUX=$OUT/linux
MUT=$TOP/tests/mutations/shm_append.patch
EXPECT=$TOP/tests/mutations/shm_append.expect
INSTALL=$OUT/kselftest-mutants
[ -d "$LINUX/.git" ] || die "no $LINUX: run 'make kernel selftests' first"
[ -z "$(git -C "$LINUX" status --porcelain)" ] || die "$LINUX has uncommitted changes"
[ -s "$OUT/kselftest/kvm/shm_append_test" ] || die "no shm_append_test built: run 'make selftests' first"

FUZZ_EXPECT=$TOP/tests/mutations/shm_append-fuzz.expect
mutants=$(awk '/^[0-9]/ {print $1}' "$EXPECT" | tr '\n' ' ')
fuzz_mutants=$(awk '/^[0-9]/ {print $1}' "$FUZZ_EXPECT" | tr '\n' ' ')
[ -n "$mutants" ] || die "$EXPECT lists no mutant"
bad=$(awk -F'\t' '/^[0-9]/ && (NF != 3 || $2 == "" || $3 == "")' "$EXPECT")
[ -z "$bad" ] || die "$EXPECT: want 'N<TAB>case<TAB>what' lines, got: $bad"
for n in $mutants $fuzz_mutants; do
	grep -q "M($n)" "$MUT" || die "mutant $n (of $EXPECT or $FUZZ_EXPECT) is not in $MUT"
done

need_pkgs patch
files=$(sed -n 's|^+++ b/||p' "$MUT")
restore() { git -C "$LINUX" checkout -q -- $files; }
trap restore EXIT
patch -s -d "$LINUX" -p1 < "$MUT" || die "$MUT does not apply to $LINUX"
"$TOP/scripts/rig/build-kernel.sh" --rig "$LINUX" "$OUT/build"
restore

# The guest runs shm_append_test.sh, which runs the test once per mutant.
rm -rf "$INSTALL"
cp -a "$OUT/kselftest" "$INSTALL"
cat > "$INSTALL/kvm/shm_append_test.sh" <<-EOF
	#!/bin/sh
	knob=/sys/module/kvm/parameters/shm_append_mutant
	[ -w \$knob ] || { echo "# no \$knob: not the mutation kernel"; exit 1; }
	for n in 0 $mutants; do
		echo \$n > \$knob || exit 1
		./shm_append_test 2>&1 | sed "s/^/[mutant \$n] /"
	done
	# The fuzz: passes with no mutant, fails with each of its list.
	for n in 0 $fuzz_mutants; do
		echo \$n > \$knob || exit 1
		./shm_append_fuzz -n 20000 -s 13 >/dev/null 2>&1
		echo "[fuzz-mutant \$n] rc=\$?"
	done
	echo 0 > \$knob
EOF
chmod +x "$INSTALL/kvm/shm_append_test.sh"
echo shm_append_fuzz > "$INSTALL/kvm/shm_append_test.sh.deps"
guest_run "$INSTALL" shm_append_test.sh
log=$GUEST_LOG

# Outcome of case $2 under mutant $1: pass, fail or missing.
outcome() {
	if grep -aq "\[mutant $1\] ok [0-9]* global\.$2\$" "$log"; then echo pass
	elif grep -aq "\[mutant $1\] not ok [0-9]* global\.$2\$" "$log"; then echo fail
	else echo missing; fi
}

bad=0
cases=$(grep -ao '\[mutant 0\] \(not \)\?ok [0-9]* global\.[a-z0-9_]*$' "$log" | sed 's/.*global\.//')
[ -n "$cases" ] || { echo "not ok - no case ran without a mutant (see $log)"; bad=1; }
for c in $cases; do
	got=$(outcome 0 "$c")
	if [ "$got" = pass ]; then echo "ok - no mutant: $c passes"
	else echo "not ok - no mutant: $c: $got"; bad=1; fi
done
while IFS=$'\t' read -r n name what; do
	case $n in [0-9]*) ;; *) continue ;; esac
	got=$(outcome "$n" "$name")
	if [ "$got" = fail ]; then echo "ok - mutant $n ($what): $name fails"
	else echo "not ok - mutant $n ($what): $name: $got, expected fail"; bad=1; fi
done < "$EXPECT"
fuzz_rc() { grep -ao "\[fuzz-mutant $1\] rc=[0-9]*" "$log" | sed 's/.*rc=//'; }
got=$(fuzz_rc 0)
if [ "$got" = 0 ]; then echo "ok - no mutant: shm_append_fuzz passes"
else echo "not ok - no mutant: shm_append_fuzz: rc '${got:-missing}'"; bad=1; fi
while IFS=$'\t' read -r n what; do
	case $n in [0-9]*) ;; *) continue ;; esac
	got=$(fuzz_rc "$n")
	if [ -n "$got" ] && [ "$got" != 0 ]; then echo "ok - mutant $n ($what): shm_append_fuzz fails"
	else echo "not ok - mutant $n ($what): shm_append_fuzz: rc '${got:-missing}', expected a failure"; bad=1; fi
done < "$FUZZ_EXPECT"
rm -rf "${log%.log}".* "$INSTALL"
exit $bad
