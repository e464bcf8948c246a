#!/bin/bash
# Install the Debian packages the rig needs (as root; a no-op when present).
. "$(dirname "$0")/../lib.sh"
need_pkgs gcc make flex bison bc libelf-dev libssl-dev cpio xz-utils ccache git \
	python3 perl rsync binutils libc6-dev uuid-dev busybox-static bash-static qemu-system-x86 \
	shellcheck
