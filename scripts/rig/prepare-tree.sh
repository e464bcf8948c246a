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
export GIT_AUTHOR_NAME=rig GIT_AUTHOR_EMAIL=rig@localhost
export GIT_COMMITTER_NAME=rig GIT_COMMITTER_EMAIL=rig@localhost
export GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' GIT_AUTHOR_DATE='2026-01-01T00:00:00Z'
g() { git -C "$LINUX" "$@"; }

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

load_series
sid=$(series_id)

if [ -d "$LINUX/.git" ] && [ "$(g config rig.base || true)" = "$base_id" ]; then
	if [ "$(g config rig.series || true)" = "$sid" ]; then
		exit 0		# up to date
	fi
	# Never throw away work done in the tree.
	if [ -n "$(g status --porcelain)" ] || [ "$(g rev-parse HEAD)" != "$(g config rig.head)" ]; then
		die "$LINUX has edits or commits that are not in the series; export them first (make export), or 'make clean-tree' to drop them"
	fi
	log "series changed: resetting $LINUX to rig-base"
	g reset -q --hard rig-base
	g clean -q -fdx
else
	log "making $LINUX from ${base_id}"
	rm -rf "$LINUX"; mkdir -p "$LINUX"
	if [ -z "${KSRC:-}" ]; then
		tar -xf "$tarball" --strip-components=1 -C "$LINUX" || die "cannot extract $tarball"
	elif git -C "$KSRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$KSRC" archive --format=tar HEAD | tar -x -C "$LINUX" ||
			die "cannot export HEAD of $KSRC"
	else
		(cd "$KSRC" && tar --exclude=.git -cf - .) | tar -x -C "$LINUX" || die "cannot copy $KSRC"
	fi
	require_73_tree "$LINUX"
	g init -q
	g add -f -A .
	g commit -q --no-verify -m "base: $base_id"
	g tag -f rig-base >/dev/null
	g config rig.base "$base_id"
fi

if [ ${#PATCHES[@]} -gt 0 ] && g apply -R --check "${PATCHES[0]}" 2>/dev/null; then
	die "the base tree ($base_id) already carries the series (${PATCHES[0]#$TOP/} applies in reverse)"
fi
for p in "${PATCHES[@]}"; do
	if ! err=$(g am -q --whitespace=error-all "$p" 2>&1); then
		g am --abort >/dev/null 2>&1 || true
		g reset -q --hard rig-base
		printf '%s\n' "$err" | sed 's/^/    /' >&2
		die "patch ${p#$TOP/} does not apply to $base_id; $LINUX was reset to the base"
	fi
done
g config rig.series "$sid"
g config rig.head "$(g rev-parse HEAD)"
log "$LINUX: $base_id + ${#PATCHES[@]} patch(es)"
