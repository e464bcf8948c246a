#!/bin/bash
# What a user of the Makefile can get wrong: each a clear message and a
# non-zero exit.
. "$(dirname "$0")/lib.sh"

expect_fail "make: unknown target" "unknown target 'frobnicate'" make -s -C "$TOP" frobnicate OUT="$T/o"
expect_fail "make apply: no KSRC" "KSRC is empty" make -s -C "$TOP" apply KSRC= OUT="$T/o"
expect_fail "make apply: KSRC missing" "KSRC=/nonexistent/linux does not exist" \
	make -s -C "$TOP" apply KSRC=/nonexistent/linux OUT="$T/o"
fake_tree "$T/old" 2
expect_fail "make apply: KSRC not 7.3" "is Linux 7.2" make -s -C "$TOP" apply KSRC="$T/old" OUT="$T/o"
expect_fail "make tree: KSRC not 7.3" "is Linux 7.2" make -s -C "$TOP" tree KSRC="$T/old" OUT="$T/out"
# Two makes on one out/: the second is refused at once, with a message.
mkdir -p "$T/locked"
flock "$T/locked/.lock" sleep 30 & holder=$!
sleep 0.5
expect_fail "make: a second make on the same out/ is refused" "another make holds .*\.lock" \
	env -u RIG_LOCKED make -s -C "$TOP" tree OUT="$T/locked"
kill $holder 2>/dev/null; wait $holder 2>/dev/null
# Unreachable archive, nothing cached: a clear error, fast.
start=$SECONDS
expect_fail "fetch: unreachable archive" "cannot reach the Debian archive" \
	env CACHE_DIR="$T/cache" DEBIAN_MIRROR=http://127.0.0.1:9/debian "$TOP/scripts/rig/fetch-source.sh"
[ $((SECONDS - start)) -lt 60 ] && pass "fetch: unreachable archive fails within a minute" ||
	fail "fetch: took $((SECONDS - start)) s"
# A pinned version the archive no longer has: fallback with a warning, or an
# error with KDEB_STRICT=1 (uses the real cache: nothing is downloaded again).
expect_fail "fetch: pinned version gone, KDEB_STRICT=1" "is gone from trixie-backports.*KDEB_STRICT=1" \
	env KDEB_VERSION=7.3.0-0 KDEB_STRICT=1 "$TOP/scripts/rig/fetch-source.sh"
out=$(KDEB_VERSION=7.3.0-0 "$TOP/scripts/rig/fetch-source.sh" 2>&1); rc=$?
if [ $rc = 0 ] && grep -q 'WARNING: pinned linux-source-7.3 7.3.0-0 is gone.*falling back to the newest 7.3' <<<"$out"; then
	pass "fetch: pinned version gone: loud fallback to the newest 7.3"
else fail "fetch: fallback" "$out"; fi
# QEMU's source: the pin, else the newest 10.2.x with a warning, never
# another series; the verified tarball in the cache is not fetched again.
fetchq() { (cd "$TOP" && . scripts/lib.sh && DEB_SRC_DEBIAN=1 fetch_debian_orig qemu "sid trixie" "$CACHE_DIR/qemu/src" &&
	echo "using $DEB_SRC_VERSION $DEB_SRC_TARBALL $DEB_SRC_DEBIAN_TARBALL"); }
out=$(DEB_SRC_PIN=1:10.2.2+ds-1 DEB_SRC_PREFIX=10.2. fetchq 2>&1); rc=$?
if [ $rc = 0 ] && grep -q '^using 1:10.2.2+ds-1 .*qemu_10.2.2+ds.orig.tar.xz .*qemu_10.2.2+ds-1.debian.tar.xz$' <<<"$out" &&
	! grep -q WARNING <<<"$out"; then
	pass "fetch qemu: the pinned 10.2.2, orig and debian tarballs, no warning"
else fail "fetch qemu: pin" "$out"; fi
out=$(DEB_SRC_PIN=1:10.2.99+ds-1 DEB_SRC_PREFIX=10.2. fetchq 2>&1); rc=$?
if [ $rc = 0 ] && grep -q 'WARNING: skipped qemu versions: 1:10.2.99+ds-1: not listed.*(pinned: 1:10.2.99+ds-1; using 1:10.2\.' <<<"$out" &&
	grep -q '^using 1:10\.2\.' <<<"$out"; then
	pass "fetch qemu: pin not in the archive: loud fallback to a 10.2.x"
else fail "fetch qemu: fallback" "$out"; fi
expect_fail "fetch qemu: no version of the series" "lists no qemu 99\.\* source" \
	env DEB_SRC_PIN=1:99.0.0-1 DEB_SRC_PREFIX=99. bash -c "$(declare -f fetchq); fetchq"
expect_fail "run: unknown leg" "unknown leg 'arm'|no test set" env OUT="$T/out" \
	bash -c "mkdir -p '$T/out/build/arch/x86/boot' '$T/out/kselftest/kvm' && echo x > '$T/out/build/arch/x86/boot/bzImage' &&
		 echo kvm:a > '$T/out/kselftest/kselftest-list.txt' && '$TOP/scripts/rig/run-leg.sh' arm check"
expect_fail "run: unknown set" "no test set 'nosuch'" env OUT="$T/out" "$TOP/scripts/rig/run-leg.sh" svm nosuch
expect_fail "run: no kernel built" "no kernel image" env OUT="$T/empty" "$TOP/scripts/rig/run-leg.sh" svm check
# Issue 13's targets: bad arguments, and nothing built yet.
expect_fail "make fuzz: N not a number" "REQUESTS must be a positive number, not 'many'" \
	env OUT="$T/o" "$TOP/scripts/evidence/fuzz.sh" many
expect_fail "make fuzz: SEED not a number" "SEED must be a number, not '0x'" \
	env OUT="$T/o" "$TOP/scripts/evidence/fuzz.sh" 10 0x
expect_fail "make fuzz: nothing built" "no shm_append_fuzz built: run 'make selftests' first" \
	env OUT="$T/empty" "$TOP/scripts/evidence/fuzz.sh" 10 1
expect_fail "make check-debug: nothing built" "no selftests built: run 'make selftests' first" \
	env OUT="$T/empty" "$TOP/scripts/evidence/check-debug.sh"
expect_fail "make coverage: no tree" "no .*/linux: run 'make kernel selftests' first" \
	env OUT="$T/empty" "$TOP/scripts/evidence/coverage.sh"
finish
