#!/bin/bash
# Make the rig's initramfs: busybox, our init and timeout, and the selected
# KVM selftests with the kernel's run_kselftest.sh, packed by the kernel's
# usr/gen_init_cpio.
#   mkinitramfs.sh BUILD INSTALL_DIR TESTLIST OUTPUT.cpio
# TESTLIST: one test a line as named in kselftest-list.txt after "kvm:"
# (e.g. x86/cpuid_test). Per-test arguments come from selftests/test-args.txt
# (or the file RIG_TEST_ARGS names: make fuzz).
. "$(dirname "$0")/../lib.sh"

[ $# = 4 ] || die "usage: $0 BUILD INSTALL_DIR TESTLIST OUTPUT.cpio"
BUILD=$1 INSTALL=$2 LIST=$3 CPIO=$4
need_pkgs busybox-static bash-static binutils gcc libc6-dev
GEN=$BUILD/usr/gen_init_cpio
[ -x "$GEN" ] || make -s -C "$BUILD" usr/gen_init_cpio >/dev/null 2>&1 || true
[ -x "$GEN" ] || die "no $GEN: build the kernel first"
[ -s "$INSTALL/kselftest-list.txt" ] || die "no selftests installed in $INSTALL"
[ -f "$LIST" ] || die "test list $LIST does not exist"

STAGE=$CPIO.d
rm -rf "$STAGE"; mkdir -p "$STAGE/kvm" "$STAGE/rig"

# Selected tests, each checked against what the build installed.
: > "$STAGE/kselftest-list.txt"
: > "$STAGE/rig/env.sh"
n=0
while read -r t _; do
	case "$t" in ''|'#'*) continue ;; esac
	grep -qxF "kvm:$t" "$INSTALL/kselftest-list.txt" ||
		die "$LIST: '$t' is not a built KVM selftest (see $INSTALL/kselftest-list.txt)"
	[ -e "$STAGE/kvm/$t" ] && die "$LIST: '$t' is listed twice"
	mkdir -p "$STAGE/kvm/$(dirname "$t")"
	# Stripped: the static binaries carry -g and would bloat the initramfs.
	strip -o "$STAGE/kvm/$t" "$INSTALL/kvm/$t" 2>/dev/null || cp "$INSTALL/kvm/$t" "$STAGE/kvm/$t"
	# A wrapper script (x.sh) runs its binary (x), installed beside it.
	if [ "${t%.sh}" != "$t" ] && [ -f "$INSTALL/kvm/${t%.sh}" ]; then
		strip -o "$STAGE/kvm/${t%.sh}" "$INSTALL/kvm/${t%.sh}"
	fi
	# Files a test needs beside it (x.deps: paths under kvm/, one a line).
	if [ -f "$INSTALL/kvm/$t.deps" ]; then
		while read -r d; do
			mkdir -p "$STAGE/kvm/$(dirname "$d")"
			cp "$INSTALL/kvm/$d" "$STAGE/kvm/$d" || die "$t needs kvm/$d, which is not installed"
		done < "$INSTALL/kvm/$t.deps"
	fi
	echo "kvm:$t" >> "$STAGE/kselftest-list.txt"
	args=$(awk -v t="$t" '$1 == t {$1 = ""; sub(/^ /, ""); print; exit}' "${RIG_TEST_ARGS:-$TOP/selftests/test-args.txt}")
	if [ -n "$args" ]; then
		var=$(basename "$t" | tr -c '[:alnum:]_\n' '_' | tr '[:lower:]' '[:upper:]')
		printf "export KSELFTEST_%s_ARGS='%s'\n" "$var" "$args" >> "$STAGE/rig/env.sh"
	fi
	n=$((n + 1))
done < "$LIST"
[ $n -gt 0 ] || die "$LIST selects no test"
cp "$INSTALL/kvm/settings" "$STAGE/kvm/"
cp "$INSTALL/run_kselftest.sh" "$STAGE/"
cp -r "$INSTALL/kselftest" "$STAGE/"
[ -n "${RIG_TIMEOUT:-}" ] && echo "export RIG_TIMEOUT=$RIG_TIMEOUT" >> "$STAGE/rig/env.sh"
gcc -O2 -Wall -Wextra -Werror -static -o "$STAGE/timeout" "$TOP/scripts/rig/guest/timeout.c" ||
	die "cannot build the guest's timeout helper"

echo 'root:x:0:0:root:/root:/bin/sh' > "$STAGE/passwd"	# whoami, in test scripts
echo 'root:x:0:' > "$STAGE/group"

# gen_init_cpio spec: everything owned by root.
spec=$CPIO.spec
{
	for d in /bin /sbin /usr /usr/bin /usr/sbin /proc /sys /dev /tmp /root /rig /kselftest; do
		echo "dir $d 0755 0 0"
	done
	echo "dir /etc 0755 0 0"
	echo "file /etc/passwd $STAGE/passwd 0644 0 0"
	echo "file /etc/group $STAGE/group 0644 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	echo "file /init $TOP/scripts/rig/guest/init 0755 0 0"
	echo "file /bin/busybox /bin/busybox 0755 0 0"
	echo "file /bin/bash /bin/bash-static 0755 0 0"	# for the tests that are bash scripts
	busybox --list-full | while read -r a; do
		[ "$a" = usr/bin/timeout ] && continue
		[ "$a" = bin/busybox ] || echo "slink /$a /bin/busybox 0777 0 0"
	done
	echo "file /usr/bin/timeout $STAGE/timeout 0755 0 0"
	echo "file /rig/env.sh $STAGE/rig/env.sh 0644 0 0"
	(cd "$STAGE" && find kselftest-list.txt run_kselftest.sh kselftest kvm -mindepth 0) | sort |
	while read -r p; do
		if [ -d "$STAGE/$p" ]; then
			echo "dir /kselftest/$p 0755 0 0"
		else
			echo "file /kselftest/$p $STAGE/$p $(stat -c %a "$STAGE/$p") 0 0"
		fi
	done
} > "$spec"
"$GEN" "$spec" > "$CPIO" || die "gen_init_cpio failed on $spec"
log "initramfs $CPIO: $n tests, $(($(stat -c %s "$CPIO") / 1048576)) MiB"
