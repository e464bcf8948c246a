#!/bin/bash
# Write the series as mailable `git format-patch` output with a cover letter
# to $OUT/series/ (0000-cover-letter.patch, 0001-..., ...), from the commits
# that prepare-tree.sh made in $OUT/linux. The cover letter's subject is the
# first line of kernel/cover-letter.txt, its text the rest.
#
# The patches are kept under a placeholder author; the mail goes out under
# the submitter's name, as b4 and git send-email would: SUBMITTER="Name
# <email>", or else git's user.name and user.email. Every From: becomes the
# submitter, and so does the author's Signed-off-by: (added if missing).
# Without an identity nothing is written.
. "$(dirname "$0")/../lib.sh"

PLACEHOLDER="Rig Dev <dev@example.org>"
if [ -n "${SUBMITTER:-}" ]; then
	id=$SUBMITTER
else
	name=$(git -C "$TOP" config user.name || true)
	email=$(git -C "$TOP" config user.email || true)
	[ -n "$name" ] && [ -n "$email" ] ||
		die "make series needs the submitter's identity for From: and Signed-off-by:; set git config user.name and user.email, or SUBMITTER='Name <email>'"
	id="$name <$email>"
fi
[[ $id =~ ^[^\<\>@]*[^\<\>@\ ]\ \<[^\<\>@\ ]+@[^\<\>@\ ]+\>$ ]] ||
	die "submitter identity '$id' is not 'Name <email>'"
[ "$id" != "$PLACEHOLDER" ] || die "submitter identity '$id' is the series' placeholder author, not a person"

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
python3 - "$id" "$DEST"/*.patch <<-'PY' || die "cannot set the submitter on the patches"
	import sys
	from email.header import Header
	ident, files = sys.argv[1], sys.argv[2:]
	name, addr = ident[:ident.rindex(' <')], ident[ident.rindex(' <') + 1:]
	try:
	    name.encode('ascii')
	    header = ident
	except UnicodeEncodeError:
	    header = Header(name, 'utf-8').encode() + ' ' + addr
	for path in files:
	    lines = open(path, encoding='utf-8').read().split('\n')
	    end = lines.index('')			# end of the mail headers
	    author = None
	    for i in range(end):
	        if lines[i].startswith('From: '):
	            author = lines[i][6:]
	            # a folded (long, encoded) From: continues on indented lines
	            while i + 1 < end and lines[i + 1][:1] in (' ', '\t'):
	                author += lines.pop(i + 1).strip()
	                end -= 1
	            lines[i] = 'From: ' + header
	            break
	    if author is None:
	        sys.exit(f'{path}: no From: header')
	    if '0000-cover-letter' in path:
	        open(path, 'w', encoding='utf-8').write('\n'.join(lines))
	        continue
	    sep = lines.index('---', end)		# end of the commit message
	    sob = 'Signed-off-by: ' + ident
	    body = [sob if l == 'Signed-off-by: ' + author or l == 'Signed-off-by: ' + ident else l
	            for l in lines[end:sep]]
	    out, seen = [], False			# one submitter sign-off, where the author's was
	    for l in body:
	        if l == sob:
	            if seen:
	                continue
	            seen = True
	        out.append(l)
	    if not seen:
	        out.append(sob)
	    lines[end:sep] = out
	    open(path, 'w', encoding='utf-8').write('\n'.join(lines))
	PY
log "wrote $n patch(es) and a cover letter to $DEST, from $id:"
(cd "$DEST" && ls) | sed 's/^/    /' >&2
