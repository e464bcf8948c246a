#!/bin/bash
# Install the Debian packages the rig needs (as root; a no-op when present),
# all at once before anything runs: the two legs run side by side, and two
# apt-get at once would fight over dpkg's lock.
. "$(dirname "$0")/../lib.sh"
need_pkgs gcc g++ make flex bison bc libelf-dev libssl-dev cpio xz-utils ccache git patch curl \
	python3 python3-ply python3-git python3-sphinx python3-sphinx-rtd-theme python3-yaml xxd perl rsync binutils libc6-dev uuid-dev busybox-static bash-static \
	seabios qemu-system-data ninja-build pkg-config libglib2.0-dev zlib1g-dev python3-venv bochsbios vgabios isolinux syslinux-common xorriso shellcheck
