#!/bin/bash
# The repo's own checks, no kernel needed: shellcheck, Python syntax, and the
# tests under tests/. Prints "static: N passed, N failed, N skipped" last and
# writes the counts to $OUT/results/static.counts.
. "$(dirname "$0")/lib.sh"
need_pkgs shellcheck python3 git gcc
mkdir -p "$OUT/results"
np=0 nf=0
check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then
		np=$((np + 1)); echo "static: PASS $name"
	else
		nf=$((nf + 1)); echo "static: FAIL $name"; printf '%s\n' "$out" | sed 's/^/    /' | tail -n 40
	fi
}
cd "$TOP" || exit 1
check shellcheck shellcheck -x -S warning -e SC1091 scripts/*.sh scripts/guest/init tests/*.sh .ci/run
check python-syntax python3 -c 'import sys; [compile(open(f).read(), f, "exec") for f in sys.argv[1:]]' scripts/console.py scripts/report.py
# tests/test-*.sh: every "ok -" / "not ok -" line counts as one check.
for t in tests/test-*.sh; do
	rc=0; out=$(bash "$t" 2>&1) || rc=$?
	p=$(grep -c '^ok - ' <<<"$out" || true) f=$(grep -c '^not ok - ' <<<"$out" || true)
	if [ $rc != 0 ] && [ "$f" = 0 ]; then f=1; fi	# died before reporting
	np=$((np + p)) nf=$((nf + f))
	echo "static: ${t#tests/}: $p passed, $f failed"
	[ "$f" = 0 ] || printf '%s\n' "$out" | grep -v '^ok - ' | sed 's/^/    /' | tail -n 40
done
echo "$np $nf 0 0" > "$OUT/results/static.counts"
echo "static: $np passed, $nf failed, 0 skipped"
[ "$nf" = 0 ]
