#!/bin/bash
# Write the series as mailable `git format-patch` output with a cover letter
# to $OUT/series/ (0000-cover-letter.patch, 0001-..., ...), from the commits
# that prepare-tree.sh made in $OUT/linux. The cover letter's subject is the
# first line of kernel/cover-letter.txt, its text the rest.
. "$(dirname "$0")/../lib.sh"

LINUX=$OUT/linux DEST=$OUT/series
[ -d "$LINUX/.git" ] || die "no $LINUX: run 'make tree' first"
g() { git -C "$LINUX" "$@"; }
[ "$(g rev-parse HEAD)" = "$(g config rig.head)" ] && [ -z "$(g status --porcelain)" ] ||
	die "$LINUX has edits or commits that are not in the series; 'make export' them first"
n=$(g rev-list --count rig-base..HEAD)
rm -rf "$DEST"; mkdir -p "$DEST"
if [ "$n" = 0 ]; then
	log "the series is empty: $DEST holds no patches"
	exit 0
fi
cover=$TOP/kernel/cover-letter.txt
[ -s "$cover" ] || die "no cover letter text in $cover"
branch=$(g symbolic-ref --short HEAD)
g config "branch.$branch.description" "$(cat "$cover")"
g format-patch -q --cover-letter --cover-from-description=subject \
	--subject-prefix="${SUBJECT_PREFIX:-PATCH}" -o "$DEST" rig-base..HEAD ||
	die "git format-patch failed"
log "wrote $n patch(es) and a cover letter to $DEST:"
(cd "$DEST" && ls) | sed 's/^/    /' >&2
