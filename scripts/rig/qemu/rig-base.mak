# The rig's QEMU (scripts/rig/build-qemu.sh): the PC machine with the few
# devices the rig uses. The same static binary is the SVM leg's L0 (TCG) and
# the VMM inside L1 (KVM). rig.mak adds the QEMU series' device.
CONFIG_I440FX=y
CONFIG_Q35=y
CONFIG_SERIAL_ISA=y
CONFIG_ISA_DEBUG=y
