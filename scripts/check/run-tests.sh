#!/bin/bash
# Run the repo's own test scripts (tests/*.sh, which print "ok - ..." and
# "not ok - ..." lines) and count every line as one check.
#   run-tests.sh LABEL SCRIPT...
# Prints "LABEL: N passed, N failed, N skipped" last, writes the counts to
# $OUT/results/LABEL.counts, and exits 1 if anything failed.
. "$(dirname "$0")/../lib.sh"
[ $# -ge 2 ] || die "usage: $0 LABEL SCRIPT..."
label=$1; shift
need_pkgs shellcheck python3 git gcc
mkdir -p "$OUT/results"
np=0 nf=0
for t in "$@"; do
	rc=0; out=$(bash "$t" 2>&1) || rc=$?
	p=$(grep -c '^ok - ' <<<"$out" || true) f=$(grep -c '^not ok - ' <<<"$out" || true)
	if [ $rc != 0 ] && [ "$f" = 0 ]; then f=1; fi	# died before reporting
	np=$((np + p)) nf=$((nf + f))
	echo "$label: ${t##*/}: $p passed, $f failed"
	[ "$f" = 0 ] || printf '%s\n' "$out" | grep -v '^ok - ' | sed 's/^/    /' | tail -n 40
done
echo "$np $nf 0 0" > "$OUT/results/$label.counts"
echo "$label: $np passed, $nf failed, 0 skipped"
[ "$nf" = 0 ]
