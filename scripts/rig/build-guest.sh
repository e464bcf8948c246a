#!/bin/bash
# Build what the end-to-end test (scripts/rig/guest/guest_e2e) boots as L2,
# into $OUT/guest/:
#  - bzImage and kvmshm.ko: the guest series ($OUT/linux-guest, made by
#    prepare-guest-tree.sh) with kernel/config/guest{,-kvmshm,-coco}.config;
#  - l2.cpio: busybox, scripts/rig/guest/l2-init as /init, kvmshm.ko, the
#    driver's kselftest and qemu-glue/guest-tool/kvmshm-tool, all static;
#  - qemu-system-x86_64-e2e: the rig's QEMU with tests/e2e/qemu-bad-answer.patch
#    (a test hook answering one tag with guest RAM), built in $OUT/qemu-build
#    and the tree and build restored afterwards; rebuilt only when the QEMU
#    tree or the patch change;
#  - the firmware QEMU needs to boot Linux (SeaBIOS, linuxboot_dma, kvmvapic).
. "$(dirname "$0")/../lib.sh"

need_pkgs gcc make busybox-static seabios qemu-system-data patch ccache
if ! grep -q KVM_HC_SHM_APPEND "$OUT/linux/include/uapi/linux/kvm_para.h" 2>/dev/null; then
	log "out/linux does not carry the host series (make baseline?): no L2 to build"
	exit 0
fi
"$TOP/scripts/rig/prepare-guest-tree.sh"
SRC=$OUT/linux-guest BUILD=$OUT/build-guest G=$OUT/guest
mkdir -p "$G"
"$TOP/scripts/rig/build-kernel.sh" --base allnoconfig --no-selftests-config "$SRC" "$BUILD" \
	"$TOP/kernel/config/guest.config" "$TOP/kernel/config/guest-kvmshm.config" \
	"$TOP/kernel/config/guest-coco.config" -- bzImage modules
make -s -C "$SRC" O="$BUILD" headers_install >/dev/null || die "make headers_install failed"

export CCACHE_DIR=$CACHE_DIR/ccache CCACHE_BASEDIR=$TOP CCACHE_COMPILERCHECK=content CCACHE_NOHASHDIR=1
rm -rf "$G/kselftest" "$BUILD/kselftest/kvmshm"	# static: relinked each time (cheap)
make -s -C "$SRC/tools/testing/selftests" O="$BUILD" TARGETS=kvmshm CC="ccache gcc" LDFLAGS=-static \
	TMPOUT="$BUILD/kselftest/.tmp/" KSFT_INSTALL_PATH="$G/kselftest" install \
	>"$BUILD/.kvmshm-selftest.log" 2>&1 || { tail -n 20 "$BUILD/.kvmshm-selftest.log" >&2; die "the kvmshm kselftest does not build"; }
ccache gcc -O2 -Wall -Wextra -Werror -static -I"$BUILD/usr/include" \
	"$TOP/qemu-glue/guest-tool/kvmshm-tool.c" -o "$G/kvmshm-tool" || die "kvmshm-tool does not build"
cp "$BUILD/arch/x86/boot/bzImage" "$G/bzImage"
cp /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin "$G/"

# The L2 initramfs.
spec=$G/l2.spec
{
	for d in /bin /sbin /usr /usr/bin /usr/sbin /proc /sys /dev /tmp /root /etc; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $TOP/scripts/rig/guest/l2-init 0755 0 0"
	echo "file /bin/busybox /bin/busybox 0755 0 0"
	busybox --list-full | while read -r a; do
		[ "$a" = bin/busybox ] || echo "slink /$a /bin/busybox 0777 0 0"
	done
	echo "file /kvmshm.ko $BUILD/drivers/virt/kvmshm/kvmshm.ko 0644 0 0"
	echo "file /kvmshm_test $G/kselftest/kvmshm/kvmshm_test 0755 0 0"
	echo "file /usr/bin/kvmshm-tool $G/kvmshm-tool 0755 0 0"
} > "$spec"
"$BUILD/usr/gen_init_cpio" "$spec" > "$G/l2.cpio" || die "gen_init_cpio failed on $spec"

# QEMU with the test hook, once per QEMU tree and patch.
QEMU=$OUT/qemu QBUILD=$OUT/qemu-build HOOK=$TOP/tests/e2e/qemu-bad-answer.patch
[ -x "$QBUILD/qemu-system-x86_64" ] || die "no $QBUILD/qemu-system-x86_64: run 'make qemu' first"
stamp=$({ git -C "$QEMU" rev-parse HEAD; cat "$HOOK"; } | sha256sum | cut -c1-16)
if [ "$(cat "$G/qemu.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$G/qemu-system-x86_64-e2e" ]; then
	[ -z "$(git -C "$QEMU" status --porcelain)" ] || die "$QEMU has uncommitted changes"
	export PYTHONPATH=$CACHE_DIR/meson/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
	export CCACHE_BASEDIR=$OUT
	files=$(sed -n 's|^+++ b/||p' "$HOOK")
	# shellcheck disable=SC2086 # a list of paths
	restore() { git -C "$QEMU" checkout -q -- $files; ninja -C "$QBUILD" qemu-system-x86_64 >/dev/null ||
		warn "$QBUILD does not build after the e2e QEMU"; }
	trap restore EXIT
	patch -s -d "$QEMU" -p1 < "$HOOK" || die "$HOOK does not apply to $QEMU"
	ninja -C "$QBUILD" qemu-system-x86_64 >"$G/qemu-e2e.log" 2>&1 ||
		die "QEMU with $HOOK does not build (see $G/qemu-e2e.log)"
	strip -o "$G/qemu-system-x86_64-e2e" "$QBUILD/qemu-system-x86_64"
	echo "$stamp" > "$G/qemu.stamp"
fi
log "L2 for the end-to-end test in $G: bzImage $(($(stat -c %s "$G/bzImage") / 1024)) KiB, l2.cpio $(($(stat -c %s "$G/l2.cpio") / 1024)) KiB"
