#!/bin/bash
# Write the commits of $OUT/linux (rig-base..HEAD) back into the repo as the
# series: one `git format-patch` file per commit, in the folder of what it
# changes (selftests/, Documentation/, uapi/, else kernel/), and a new
# kernel/series. The development loop: edit and commit in out/linux (git
# commit --amend, rebase -i, ...), `make export`, review `git diff` here.
# The QEMU series: TREE=$OUT/qemu SERIES=qemu-glue/qemu/series AREA=qemu-glue/qemu
# (`make qemu-export`), every patch in AREA. The guest series (`make
# guest-export`): TREE=$OUT/linux-guest BASE=<host HEAD> SERIES=kernel/guest/series
# AREA=kernel/guest STATE=rig.guest (its keys in git's config).
. "$(dirname "$0")/../lib.sh"

LINUX=${TREE:-$OUT/linux}
[ -e "$LINUX/.git" ] || die "no $LINUX: run 'make tree' (or 'make qemu') first"
g() { git -C "$LINUX" "$@"; }
[ -z "$(g status --porcelain)" ] || die "$LINUX has uncommitted changes: commit them first"
load_series
series=${SERIES:-$TOP/kernel/series}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
g format-patch -q --zero-commit --no-signature -o "$tmp" "${BASE:-rig-base}..HEAD" || die "git format-patch failed"

# Area of a commit: the one folder all its files belong to, else kernel/.
area() {
	local files dir
	[ -z "${AREA:-}" ] || { echo "$AREA"; return; }
	files=$(sed -n 's|^diff --git a/\(.*\) b/.*$|\1|p' "$1")
	for dir in tools/testing/selftests:selftests Documentation:Documentation \
		   include/uapi:uapi arch/x86/include/uapi:uapi; do
		if ! grep -qv "^${dir%%:*}/" <<<"$files"; then
			echo "${dir#*:}"; return
		fi
	done
	echo kernel
}

new=()
for p in "$tmp"/*.patch; do
	[ -e "$p" ] || break
	dest=$(area "$p")/$(basename "$p")
	new+=("$dest")
done
for p in "${PATCHES[@]}"; do rm -f "$p"; done
{
	sed -n '/^#/p' "$series"
	i=0
	for p in "$tmp"/*.patch; do
		[ -e "$p" ] || break
		mkdir -p "$TOP/$(dirname "${new[$i]}")"
		cp "$p" "$TOP/${new[$i]}"
		echo "${new[$i]}"
		i=$((i + 1))
	done
} > "$series.new"
mv "$series.new" "$series"

# out/linux now matches the series: tell prepare-tree so.
load_series
g config "${STATE:-rig.}series" "$(series_id)"
g config "${STATE:-rig.}head" "$(g rev-parse HEAD)"
log "exported ${#new[@]} patch(es) to ${series#$TOP/}:"
printf '    %s\n' "${new[@]}" >&2
