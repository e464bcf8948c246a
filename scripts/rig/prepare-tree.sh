#!/bin/bash
# Make $OUT/linux: the base 7.3 tree as a git repository (commit tagged
# rig-base) with the series applied on top, one commit per patch (git am).
# Base: Debian's linux-source-7.3 (scripts/rig/fetch-source.sh), or KSRC=/path
# (its committed HEAD if it is a git tree, else a copy; KSRC is never changed).
# Reused as long as the base and the series are unchanged; when the series
# changes, the tree is reset to rig-base and the series re-applied, so only
# the files the series touches change (and get rebuilt).
. "$(dirname "$0")/../lib.sh"

need_pkgs git xz-utils
LINUX=$OUT/linux

if [ -n "${KSRC:-}" ]; then
	[ -e "$KSRC" ] || die "KSRC=$KSRC does not exist"
	require_73_tree "$KSRC"
	KSRC=$(cd "$KSRC" && pwd)
	if git -C "$KSRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		base_id="ksrc:$KSRC@$(git -C "$KSRC" rev-parse HEAD)"
		[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
			warn "KSRC has uncommitted changes: the rig builds its committed HEAD only"
	else
		base_id="ksrc:$KSRC"
		[ ! -e "$KSRC/.config" ] && [ ! -d "$KSRC/include/config" ] ||
			die "KSRC=$KSRC has been configured or built in-tree; run 'make mrproper' there first"
	fi
else
	tarball=$("$TOP/scripts/rig/fetch-source.sh") || exit 1
	base_id="deb:$(cat "${tarball%/*}/VERSION")"
fi

# Fill an empty $LINUX with the base's files.
populate() {
	if [ -z "${KSRC:-}" ]; then
		tar -xf "$tarball" --strip-components=1 -C "$LINUX" || die "cannot extract $tarball"
	elif git -C "$KSRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$KSRC" archive --format=tar HEAD | tar -x -C "$LINUX" ||
			die "cannot export HEAD of $KSRC"
	else
		(cd "$KSRC" && tar --exclude=.git -cf - .) | tar -x -C "$LINUX" || die "cannot copy $KSRC"
	fi
	require_73_tree "$LINUX"
}

load_series
git_tree_sync "$LINUX" "$base_id" "$(series_id)" populate
