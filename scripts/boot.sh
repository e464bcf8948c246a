#!/bin/bash
# Interactive shell in the built kernel under QEMU (nested SVM), with the
# default test set installed in /kselftest. Leave with 'exit' (powers off) or
# Ctrl-A X.
. "$(dirname "$0")/lib.sh"
BUILD=$OUT/build RES=$OUT/results
KIMG=$BUILD/arch/x86/boot/bzImage
[ -s "$KIMG" ] || die "no kernel image at $KIMG: run 'make kernel' first"
[ -t 0 ] || die "make boot needs a terminal"
mkdir -p "$RES"
grep -v '^[[:space:]]*\(#\|$\)' "$TOP/selftests/sets/svm-check.txt" | awk '{print $1}' > "$RES/boot.list"
"$TOP/scripts/mkinitramfs.sh" "$BUILD" "$OUT/kselftest" "$RES/boot.list" "$RES/boot.cpio"
exec qemu-system-x86_64 -accel tcg,thread=single,tb-size=512 -cpu max -m 4G -smp 2 \
	-display none -nodefaults -no-reboot -serial mon:stdio \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$KIMG" -initrd "$RES/boot.cpio" \
	-append "console=ttyS0,115200 printk.time=1 panic=-1 mitigations=off kvm.force_emulation_prefix=1 rig.shell"
