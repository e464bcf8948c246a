#!/bin/bash
# Interactive shell in the built kernel under QEMU (nested SVM), with the
# default test set installed in /kselftest. Leave with 'exit' (powers off) or
# Ctrl-A X.
. "$(dirname "$0")/../lib.sh"
BUILD=$OUT/build RES=$OUT/results
KIMG=$BUILD/arch/x86/boot/bzImage
[ -s "$KIMG" ] || die "no kernel image at $KIMG: run 'make kernel' first"
[ -t 0 ] || die "make boot needs a terminal"
mkdir -p "$RES"
list_names "$TOP/selftests/sets/svm-check.txt" > "$RES/boot.list"
"$TOP/scripts/rig/mkinitramfs.sh" "$BUILD" "$OUT/kselftest" "$RES/boot.list" "$RES/boot.cpio"
qemu_svm "$KIMG" "$RES/boot.cpio" "$RIG_BASE_CMDLINE rig.shell"
rc=0
"${EMU[@]}" -serial mon:stdio || rc=$?
# isa-debug-exit: the guest's clean power-off (value 0) makes QEMU exit 1.
[ $rc = 1 ] || [ $rc = 0 ] || die "QEMU exited with status $rc"
