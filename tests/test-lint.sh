#!/bin/bash
# Lint the rig's own code: shellcheck (warnings and up) and Python syntax.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
for f in scripts/*.sh scripts/*/*.sh scripts/rig/guest/init tests/*.sh .ci/run; do
	if out=$(shellcheck -x -S warning -e SC1091 "$f" 2>&1); then pass "shellcheck $f"; else fail "shellcheck $f" "$out"; fi
done
for f in scripts/*/*.py; do
	if out=$(python3 -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' "$f" 2>&1); then
		pass "python syntax $f"
	else
		fail "python syntax $f" "$out"
	fi
done
finish
