#!/bin/bash
# Make $OUT/linux-guest: a git worktree of $OUT/linux (branch rig-guest) at
# the host series' last commit (the guest series builds on its uapi) with the guest series
# (kernel/guest/series) applied on top, one commit per patch (git am).
# Reused while the host tree's HEAD and the guest series are unchanged;
# otherwise moved to the new host HEAD and the series re-applied. Its state
# is kept in the repository's config as rig.guestbase/series/head (out/linux
# keeps rig.base/series/head).
. "$(dirname "$0")/../lib.sh"

LINUX=$OUT/linux G=$OUT/linux-guest
[ -d "$LINUX/.git" ] || die "no $LINUX: run 'make tree' first"
export SERIES=$TOP/kernel/guest/series
load_series
sid=$(series_id)
host=$(git -C "$LINUX" rev-parse HEAD)
g() { git -C "$G" "$@"; }
export GIT_AUTHOR_NAME=rig GIT_AUTHOR_EMAIL=rig@localhost
export GIT_COMMITTER_NAME=rig GIT_COMMITTER_EMAIL=rig@localhost
export GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' GIT_AUTHOR_DATE='2026-01-01T00:00:00Z'

if [ -e "$G/.git" ] && g rev-parse --git-dir >/dev/null 2>&1; then
	if [ "$(g config rig.guestbase || true)" = "$host" ] &&
	   [ "$(g config rig.guestseries || true)" = "$sid" ]; then
		exit 0
	fi
	if [ -n "$(g status --porcelain)" ] || [ "$(g rev-parse HEAD)" != "$(g config rig.guesthead || true)" ]; then
		die "$G has edits or commits that are not in kernel/guest/series; 'make guest-export' them first, or remove $G to drop them"
	fi
	log "host tree or guest series changed: moving $G to the host series' HEAD"
	g checkout -q -B rig-guest "$host" || die "cannot check out $host in $G"
else
	log "making $G (a worktree of $LINUX at the host series' HEAD)"
	rm -rf "$G"
	git -C "$LINUX" worktree prune
	git -C "$LINUX" worktree add -q -B rig-guest "$G" "$host" || die "cannot add the worktree $G"
fi
for p in "${PATCHES[@]}"; do
	if ! err=$(g am -q --whitespace=error-all "$p" 2>&1); then
		g am --abort >/dev/null 2>&1 || true
		g checkout -q -B rig-guest "$host"
		printf '%s\n' "$err" | sed 's/^/    /' >&2
		die "guest patch ${p#"$TOP"/} does not apply on the host series; $G was reset to it"
	fi
done
g config rig.guestbase "$host"
g config rig.guestseries "$sid"
g config rig.guesthead "$(g rev-parse HEAD)"
log "$G: host series + ${#PATCHES[@]} guest patch(es)"
