# rig-base.mak and the QEMU series' device (qemu-glue/qemu).
include rig-base.mak
CONFIG_SHM_APPEND=y
