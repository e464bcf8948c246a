#!/bin/bash
# Apply the series to a kernel tree, all or nothing.
#   apply-series.sh TREE
# Every patch is first applied, in order, to a scratch copy of just the files
# the series touches; only when all of them applied are the results copied
# into TREE (and if copying fails midway, the originals are put back). On any
# failure TREE is left exactly as it was and the failing patch and file are
# named. A tree that is not 7.3 or that already carries the series is refused.
# SERIES=FILE uses another series file than kernel/series (for tests).
. "$(dirname "$0")/../lib.sh"

[ $# = 1 ] || die "usage: $0 TREE"
[ -n "$1" ] || die "KSRC is empty: say KSRC=/path/to/linux-7.3"
[ -e "$1" ] || die "KSRC=$1 does not exist"
require_73_tree "$1"
TREE=$(cd "$1" && pwd)
need_pkgs git

load_series
patches=("${PATCHES[@]}")
if [ ${#patches[@]} = 0 ]; then
	log "the series is empty: nothing to apply to $TREE"
	exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/work" "$scratch/orig"
git init -q "$scratch/work"

# The files the series touches (both sides of renames).
mapfile -t files < <(sed -n 's|^diff --git a/\(.*\) b/\(.*\)$|\1\n\2|p' "${patches[@]}" | sort -u)
for f in "${files[@]}"; do
	case "$f" in /*|*../*) die "a patch names an unsafe path: $f" ;; esac
	if [ -e "$TREE/$f" ]; then
		mkdir -p "$scratch/work/$(dirname "$f")" "$scratch/orig/$(dirname "$f")"
		cp -p "$TREE/$f" "$scratch/work/$f"
		cp -p "$TREE/$f" "$scratch/orig/$f"
	fi
done

# Refuse a tree that already carries the series (or its first patch).
if (cd "$scratch/work" && git apply -R --check "${patches[0]}" 2>/dev/null); then
	die "$TREE already carries the series (patch ${patches[0]#$TOP/} applies in reverse); nothing changed"
fi

for p in "${patches[@]}"; do
	if ! err=$(cd "$scratch/work" && git apply --whitespace=error-all "$p" 2>&1); then
		printf '%s\n' "$err" | sed 's/^/    /' >&2
		die "patch ${p#$TOP/} ($(sed -n 's/^Subject: //p' "$p" | head -n1)) does not apply to $TREE; the tree was left untouched"
	fi
done

# All applied: copy the results in; on a failure, put the originals back.
restore() {
	local f
	for f in "${files[@]}"; do
		if [ -e "$scratch/orig/$f" ]; then
			rm -f "$TREE/$f"; cp -p "$scratch/orig/$f" "$TREE/$f"
		else
			rm -f "$TREE/$f"
		fi
	done
}
for f in "${files[@]}"; do
	if [ -e "$scratch/work/$f" ]; then
		mkdir -p "$TREE/$(dirname "$f")" &&
			rm -f "$TREE/$f" && cp -p "$scratch/work/$f" "$TREE/$f"
	else
		rm -f "$TREE/$f"
	fi || { restore; die "could not write $TREE/$f; the tree was restored"; }
done
log "applied ${#patches[@]} patch(es) to $TREE (${#files[@]} files)"
