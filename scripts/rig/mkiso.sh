#!/bin/bash
# Make a bootable isolinux ISO holding a kernel, an initramfs and its command
# line (for emulators without a -kernel option, i.e. Bochs).
#   mkiso.sh KERNEL INITRD CMDLINE OUT.iso
. "$(dirname "$0")/../lib.sh"
[ $# = 4 ] || die "usage: $0 KERNEL INITRD CMDLINE OUT.iso"
KERNEL=$1 INITRD=$2 CMDLINE=$3 ISO=$4
[ -s "$KERNEL" ] || die "no kernel image at $KERNEL"
[ -s "$INITRD" ] || die "no initramfs at $INITRD"
need_pkgs isolinux syslinux-common xorriso
[ -s /usr/lib/ISOLINUX/isolinux.bin ] && [ -s /usr/lib/syslinux/modules/bios/ldlinux.c32 ] ||
	die "isolinux files missing (/usr/lib/ISOLINUX/isolinux.bin, ldlinux.c32): reinstall isolinux syslinux-common"
# syslinux reads at most 255 characters of an APPEND line's arguments.
[ ${#CMDLINE} -le 240 ] || die "kernel command line too long for isolinux (${#CMDLINE} > 240): $CMDLINE"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$stage/isolinux/"
ln "$KERNEL" "$stage/bzimage" 2>/dev/null || cp "$KERNEL" "$stage/bzimage"
ln "$INITRD" "$stage/initrd" 2>/dev/null || cp "$INITRD" "$stage/initrd"
cat > "$stage/isolinux/isolinux.cfg" <<CFG
DEFAULT rig
PROMPT 0
TIMEOUT 0
LABEL rig
  KERNEL /bzimage
  APPEND initrd=/initrd $CMDLINE
CFG
xorriso -as mkisofs -quiet -o "$ISO.part" -b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table -R "$stage" 2>"$stage/xorriso.log" || {
	cat "$stage/xorriso.log" >&2; die "xorriso failed to make $ISO"; }
mv "$ISO.part" "$ISO"
