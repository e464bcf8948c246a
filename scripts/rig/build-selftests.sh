#!/bin/bash
# Build the KVM selftests statically against the uapi headers of the kernel
# build (make headers_install), and install them with the kernel's kselftest
# machinery (run_kselftest.sh, kselftest-list.txt).
#   build-selftests.sh SRC BUILD INSTALL_DIR
. "$(dirname "$0")/../lib.sh"

[ $# = 3 ] || die "usage: $0 SRC BUILD INSTALL_DIR"
SRC=$(cd "$1" && pwd) || die "no kernel tree at $1"
BUILD=$(cd "$2" && pwd) || die "no kernel build directory at $2"
INSTALL=$3

need_pkgs gcc make libc6-dev uuid-dev ccache rsync
export CCACHE_DIR=$CACHE_DIR/ccache CCACHE_BASEDIR=$TOP CCACHE_COMPILERCHECK=content CCACHE_NOHASHDIR=1
JOBS=${JOBS:-$(nproc)}

make -s -C "$SRC" O="$BUILD" headers_install >/dev/null || die "make headers_install failed"

rm -rf "$INSTALL"
start=$SECONDS
log "building the KVM selftests (static) into $INSTALL"
# O= puts objects in $BUILD/kselftest and picks $BUILD/usr/include for uapi.
make -s -C "$SRC/tools/testing/selftests" -j"$JOBS" O="$BUILD" TARGETS=kvm ARCH=x86 \
	CC="ccache gcc" EXTRA_CFLAGS=-static TMPOUT="$BUILD/kselftest/.tmp/" \
	KSFT_INSTALL_PATH="$(realpath -m "$INSTALL")" install >"$BUILD/.selftests.log" 2>&1 || {
	grep -E 'error|Error' "$BUILD/.selftests.log" | head -n 20 >&2
	die "selftests build failed; full log: $BUILD/.selftests.log"
}
[ -s "$INSTALL/kselftest-list.txt" ] || die "selftests install left no kselftest-list.txt"

# The standalone VMM of qemu-glue/ runs as one more test, where the headers
# carry the series (not on the unpatched kernel of the baseline).
if grep -q KVM_CAP_SHM_APPEND "$BUILD/usr/include/linux/kvm.h"; then
	gcc -Wall -Werror -I"$BUILD/usr/include" "$TOP/uapi/abi_check.c" -o "$BUILD/abi_check" ||
		die "uapi/abi_check.c: the series' uapi does not match its documented ABI"
	ccache gcc -O2 -Wall -Wextra -Werror -static -I"$BUILD/usr/include" \
		"$TOP/qemu-glue/shm-vmm/shm_vmm.c" -o "$INSTALL/kvm/shm_vmm" || die "qemu-glue/shm-vmm build failed"
	echo "kvm:shm_vmm" >> "$INSTALL/kselftest-list.txt"
	# Issue 13's tests, against the KVM selftests' library: the model-checked
	# fuzz, the tracepoints, a VMM that goes away with a request pending.
	for t in shm_append_fuzz shm_append_trace shm_append_teardown shm_append_enomem; do
		"$TOP/scripts/rig/build-libkvm-prog.sh" "$TOP/selftests/evidence/$t.c" "$INSTALL/kvm/$t"
		echo "kvm:$t" >> "$INSTALL/kselftest-list.txt"
	done
	# QEMU's qtest of the QEMU series, with the rig's static QEMU (make qemu),
	# and the files it needs beside it in the initramfs (.deps).
	q=$OUT/qemu-build
	[ -x "$q/qemu-system-x86_64" ] && [ -x "$q/tests/qtest/shm-append-test" ] ||
		die "no QEMU with the QEMU series in $q: run 'make qemu' first"
	mkdir -p "$INSTALL/kvm/qemu"
	strip -o "$INSTALL/kvm/qemu/qemu-system-x86_64" "$q/qemu-system-x86_64"
	strip -o "$INSTALL/kvm/qemu/shm-append-test" "$q/tests/qtest/shm-append-test"
	cp "$TOP/scripts/rig/guest/qemu_shm_append" "$INSTALL/kvm/"
	printf '%s\n' qemu/qemu-system-x86_64 qemu/shm-append-test > "$INSTALL/kvm/qemu_shm_append.deps"
	echo "kvm:qemu_shm_append" >> "$INSTALL/kselftest-list.txt"
	# The end-to-end test of the guest series: an L2 Linux under QEMU in L1
	# (make guest: scripts/rig/build-guest.sh).
	g=$OUT/guest
	[ -s "$g/l2.cpio" ] && [ -x "$g/qemu-system-x86_64-e2e" ] || die "no L2 in $g: run 'make guest' first"
	l2=(bzImage l2.cpio bios-256k.bin linuxboot_dma.bin kvmvapic.bin)
	mkdir -p "$INSTALL/kvm/e2e"
	for f in "${l2[@]}"; do cp "$g/$f" "$INSTALL/kvm/e2e/"; done
	cp "$g/qemu-system-x86_64-e2e" "$INSTALL/kvm/qemu/"
	# guest_e2e runs the hooked QEMU, l2_boots the plain one; both boot the L2.
	for t in guest_e2e:qemu-system-x86_64-e2e l2_boots:qemu-system-x86_64; do
		cp "$TOP/scripts/rig/guest/${t%%:*}" "$INSTALL/kvm/"
		printf '%s\n' "qemu/${t#*:}" "${l2[@]/#/e2e/}" > "$INSTALL/kvm/${t%%:*}.deps"
		echo "kvm:${t%%:*}" >> "$INSTALL/kselftest-list.txt"
	done
fi
log "built $(grep -c '^kvm:' "$INSTALL/kselftest-list.txt") KVM selftests in $((SECONDS - start)) s"
