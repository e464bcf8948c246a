#!/bin/bash
# Write the series as mailable `git format-patch` output with a cover letter
# to $OUT/series/ (0000-cover-letter.patch, 0001-..., ...; vN-0000-... and
# [PATCH vN m/n] when the series file says "# version: N"), from the commits
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
[[ $id =~ ^[^\<\>@]*[^\<\>@\ ]\ \<[^\<\>@\ ]+@[^\<\>@\ ]+\>$ ]] && [[ ! $id =~ [[:cntrl:]] ]] ||
	die "submitter identity '$id' is not 'Name <email>'"
[ "$id" != "$PLACEHOLDER" ] || die "submitter identity '$id' is the series' placeholder author, not a person"

# The QEMU series: TREE=$OUT/qemu SERIES=qemu-glue/qemu/series
# COVER=qemu-glue/qemu/cover-letter.txt DEST=$OUT/qemu-series (make qemu-series).
# The guest series: TREE=$OUT/linux-guest BASE=<host HEAD> STATE=rig.guest
# SERIES=kernel/guest/series COVER=kernel/guest/cover-letter.txt (make guest-series).
LINUX=${TREE:-$OUT/linux} DEST=${DEST:-$OUT/series}
[ -e "$LINUX/.git" ] || die "no $LINUX: run 'make tree' (or 'make qemu') first"
g() { git -C "$LINUX" "$@"; }
[ "$(g rev-parse HEAD)" = "$(g config "${STATE:-rig.}head")" ] && [ -z "$(g status --porcelain)" ] ||
	die "$LINUX has edits or commits that are not in the series; 'make export' them first"
n=$(g rev-list --count "${BASE:-rig-base}..HEAD")
# Written in a scratch folder, moved to $DEST only when complete.
rm -rf "$DEST" "$DEST.part"; mkdir -p "$DEST.part"
trap 'rm -rf "$DEST.part"' EXIT
if [ "$n" = 0 ]; then
	mv "$DEST.part" "$DEST"
	log "the series is empty: $DEST holds no patches"
	exit 0
fi
cover=${COVER:-$TOP/kernel/cover-letter.txt}
[ -s "$cover" ] || die "no cover letter text in $cover"
branch=$(g symbolic-ref --short HEAD)
g config "branch.$branch.description" "$(cat "$cover")"
# The revision of the series: "# version: N" in the series file (v1 if none).
version=$(sed -n 's/^# version: *\([0-9]*\)$/\1/p' "${SERIES:-$TOP/kernel/series}" | head -n1)
reroll=()
[ "${version:-1}" -gt 1 ] && reroll=(--reroll-count="$version")
g format-patch -q --cover-letter --cover-from-description=subject "${reroll[@]}" \
	--subject-prefix="${SUBJECT_PREFIX:-PATCH}" -o "$DEST.part" "${BASE:-rig-base}..HEAD" ||
	die "git format-patch failed"
python3 - "$id" "$PLACEHOLDER" "$DEST.part"/*.patch <<-'PY' || die "cannot set the submitter on the patches"
	import re, sys
	from email.header import Header, decode_header, make_header
	from email.utils import parseaddr
	ident, placeholder, files = sys.argv[1], sys.argv[2], sys.argv[3:]
	name, addr = ident[:ident.rindex(' <')], ident[ident.rindex(' <') + 2:-1]
	ascii_only = ident.isascii()
	# RFC 5322 specials in a name need quotes ("Lovelace, Ada").
	qname = '"' + name.replace('\\', '\\\\').replace('"', '\\"') + '"' \
	    if re.search(r'[()<>\[\]:;@\\,."]', name) else name
	header = f'{qname} <{addr}>' if ascii_only else f'{Header(name, "utf-8").encode()} <{addr}>'
	sob = f'Signed-off-by: {qname} <{addr}>'
	for path in files:
	    lines = open(path, encoding='utf-8').read().split('\n')
	    end = lines.index('')			# end of the mail headers
	    author = None
	    for i in range(end):
	        if lines[i].startswith('From: '):
	            raw = lines[i][6:]
	            while i + 1 < end and lines[i + 1][:1] in (' ', '\t'):	# folded
	                raw += ' ' + lines.pop(i + 1).strip()
	                end -= 1
	            author = parseaddr(str(make_header(decode_header(raw))))[1].lower()
	            lines[i] = 'From: ' + header
	            break
	    if author is None:
	        sys.exit(f'{path}: no From: header')
	    if not ascii_only and not any(l.lower().startswith('content-type:') for l in lines[:end]):
	        lines[end:end] = ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8',
	                          'Content-Transfer-Encoding: 8bit']
	        end += 3
	    if '0000-cover-letter' in path:
	        open(path, 'w', encoding='utf-8').write('\n'.join(lines))
	        continue
	    # The message ends at the last "---" before the diff.
	    diff = next(k for k in range(end, len(lines)) if lines[k].startswith('diff --git'))
	    sep = max(k for k in range(end, diff) if lines[k] == '---')
	    def is_author_sob(l):
	        return l.startswith('Signed-off-by:') and \
	            parseaddr(l[len('Signed-off-by:'):].strip())[1].lower() in (author, addr.lower())
	    body, seen = [], False
	    for l in lines[end:sep]:
	        if is_author_sob(l):
	            if not seen:
	                body.append(sob)
	            seen = True
	        else:
	            body.append(l)
	    if not seen:
	        if body and body[-1] and not re.match(r'^[A-Za-z-]+: ', body[-1]):
	            body.append('')			# a trailer block of its own
	        body.append(sob)
	    lines[end:sep] = body
	    # A MAINTAINERS entry the series adds names the submitter too.
	    lines = [l.replace('+M:\t' + placeholder, '+M:\t' + ident) for l in lines]
	    open(path, 'w', encoding='utf-8').write('\n'.join(lines))
	PY
mv "$DEST.part" "$DEST"
log "wrote $n patch(es) and a cover letter to $DEST, from $id:"
(cd "$DEST" && ls) | sed 's/^/    /' >&2
