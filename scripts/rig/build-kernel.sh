#!/bin/bash
# Configure and build a bzImage out of tree, through ccache.
#   build-kernel.sh [--base allnoconfig] [--no-selftests-config] SRC BUILD FRAGMENT...
#                   [-- MAKE-TARGETS...]
# The config is a base + the KVM selftests' own config (unless
# --no-selftests-config: it asks for KVM=y) + the given fragments. The base
# is x86_64_defconfig + kvm_guest.config (the maintainers' build of
# series-check), or with --base allnoconfig nothing but the fragments (the
# rig's slim kernel). Every symbol of the given fragments and of the
# selftests' config must survive olddefconfig, or the build stops naming it
# (kvm_guest.config is generic, with s390 symbols: merged, not checked).
#   build-kernel.sh --rig SRC BUILD [-- MAKE-TARGETS...]
# is the rig's kernel: --base allnoconfig SRC BUILD kernel/config/rig.config.
. "$(dirname "$0")/../lib.sh"

selftests_config=1 base=x86_64_defconfig
if [ "${1:-}" = --rig ]; then
	[ $# -ge 3 ] || die "usage: $0 --rig SRC BUILD [-- TARGETS...]"
	set -- --base allnoconfig "$2" "$3" "$TOP/kernel/config/rig.config" "${@:4}"
fi
while [ $# -gt 0 ]; do
	case $1 in
	--no-selftests-config) selftests_config=0; shift ;;
	--base) [ "${2:-}" = allnoconfig ] || die "--base: only allnoconfig is supported, not '${2:-}'"
		base=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || die "usage: $0 [--base allnoconfig] [--no-selftests-config] SRC BUILD FRAGMENT... [-- TARGETS...]"
SRC=$(cd "$1" && pwd) || die "no kernel tree at $1"; shift
BUILD=$1; shift
frags=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	[ -f "$1" ] || die "config fragment $1 does not exist"
	frags+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"); shift
done
[ "${1:-}" = -- ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bzImage)

need_pkgs gcc make flex bison bc libelf-dev libssl-dev cpio ccache python3
mkdir -p "$BUILD" "$CACHE_DIR/ccache"
BUILD=$(cd "$BUILD" && pwd)

export CCACHE_DIR=$CACHE_DIR/ccache CCACHE_BASEDIR=$TOP CCACHE_COMPILERCHECK=content
export CCACHE_NOHASHDIR=1
# Depend mode: on a miss, one compiler run (the .d file kbuild asks for
# names the headers) instead of a preprocessor run + a compile; a cold
# rig kernel took 289 s in the default mode here, 208 s in this one.
export CCACHE_DEPEND=1
ccache -M 6G >/dev/null
# Reproducible objects, so that a fresh build directory hits the cache.
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=rig KBUILD_BUILD_HOST=rig KBUILD_BUILD_VERSION=1
JOBS=${JOBS:-$(nproc)}
kmake() { make -s -C "$SRC" O="$BUILD" CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS" "$@"; }

checked=("${frags[@]}")
[ $selftests_config = 1 ] && checked=("$SRC/tools/testing/selftests/kvm/config" "${frags[@]}")
all_frags=("${checked[@]}")
[ "$base" = allnoconfig ] || all_frags=("$SRC/kernel/configs/kvm_guest.config" "${checked[@]}")
stamp=$({ echo "$base"; cat "${all_frags[@]}"; } | sha256sum | cut -c1-16)
if [ ! -f "$BUILD/.config" ] || [ "$(cat "$BUILD/.rig-config-stamp" 2>/dev/null)" != "$stamp" ]; then
	log "configuring $BUILD ($base + ${#all_frags[@]} fragments)"
	kmake "$base" >/dev/null
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$BUILD" "$BUILD/.config" "${all_frags[@]}" \
		>"$BUILD/.merge_config.log" 2>&1 || { cat "$BUILD/.merge_config.log" >&2; die "merge_config.sh failed"; }
	kmake olddefconfig >/dev/null
	# Every symbol asked for must have survived: as the last fragment
	# that names it asks (debug.config overrides rig.config's KVM_WERROR).
	bad=0 seen=" "
	for ((i = ${#checked[@]} - 1; i >= 0; i--)); do
		f=${checked[i]}
		while IFS= read -r l; do
			if [[ $l =~ ^(# )?(CONFIG_[A-Za-z0-9_]+)[=\ ] ]]; then
				[[ $seen == *" ${BASH_REMATCH[2]} "* ]] && continue
				seen+="${BASH_REMATCH[2]} "
			fi
			if [[ $l =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
				grep -qxF "$l" "$BUILD/.config" || {
					got=$(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$BUILD/.config" || echo "absent")
					printf '  %s: asked %s, got: %s\n' "${f##*/}" "$l" "$got" >&2; bad=1; }
			elif [[ $l =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
				! grep -q "^${BASH_REMATCH[1]}=" "$BUILD/.config" || {
					printf '  %s: asked %s unset, got: %s\n' "${f##*/}" "${BASH_REMATCH[1]}" \
						"$(grep "^${BASH_REMATCH[1]}=" "$BUILD/.config")" >&2; bad=1; }
			fi
		done < "$f"
	done
	[ $bad = 0 ] || { rm -f "$BUILD/.rig-config-stamp"; die "config symbols above did not survive olddefconfig (dependencies missing?)"; }
	echo "$stamp" > "$BUILD/.rig-config-stamp"
fi

log "make ${targets[*]} (O=$BUILD, -j$JOBS, ccache $CCACHE_DIR)"
start=$SECONDS
kmake "${targets[@]}" || die "kernel build failed (make ${targets[*]})"
log "built ${targets[*]} in $((SECONDS - start)) s"
