#!/bin/bash
# Run every built KVM selftest on one leg and record each outcome and time in
# selftests/baseline/LEG.tsv (make baseline; the kernel must be unpatched).
#   record-baseline.sh LEG
. "$(dirname "$0")/../lib.sh"
[ $# = 1 ] || die "usage: $0 LEG"
LEG=$1 RES=$OUT/results
[ "$(git -C "$OUT/linux" rev-list --count rig-base..HEAD)" = 0 ] ||
	die "$OUT/linux carries patches: a baseline is taken on the unpatched kernel"
"$TOP/scripts/rig/run-leg.sh" "$LEG" all || true
[ -s "$RES/$LEG-all.tsv" ] || die "the run left no results"
dest=$TOP/selftests/baseline/$LEG.tsv
mkdir -p "${dest%/*}"
{
	echo "# Every upstream KVM selftest on the unpatched kernel, leg $LEG ($(date -u +%F))."
	echo "# $(sed -n 's/^\[host *[0-9.]*\] RIG: init reached, //p' "$RES/$LEG-all.log" | head -n1);" \
	     "$(sed -n 's/^\[host *[0-9.]*\] RIG: kvm ready: //p' "$RES/$LEG-all.log" | head -n1)"
	echo "# Totals: $(tail -n1 "$RES/$LEG-all.txt" | sed "s/^$LEG: //")"
	cat "$RES/$LEG-all.tsv"
} > "$dest"
log "recorded $dest"
