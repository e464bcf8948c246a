#!/bin/bash
# make fuzz: selftests/evidence/shm_append_fuzz (random and edge-case requests
# and answers, checked against a model of the documented rules) in each leg,
# REQUESTS requests per leg (default 1,000,000) from SEED (default: a new
# one, printed). Fails if the fuzz fails in any leg; prints its figures and
# writes them to $OUT/fuzz/LEG.txt. The seed and the command that repeats a
# failure are in the output.
#   fuzz.sh [REQUESTS [SEED]]     LEGS="svm vmx" by default
. "$(dirname "$0")/../lib.sh"

n=${1:-1000000} seed=${2:-$(( $(date +%s) ^ $$ ))}
[[ $n =~ ^[1-9][0-9]*$ ]] || die "REQUESTS must be a positive number, not '$n'"
[[ $seed =~ ^[0-9]+$ ]] || die "SEED must be a number, not '$seed'"
[ -x "$OUT/kselftest/kvm/shm_append_fuzz" ] || die "no shm_append_fuzz built: run 'make selftests' first"
mkdir -p "$OUT/fuzz"
args=$OUT/fuzz/test-args.txt list=$OUT/fuzz/fuzz
echo "shm_append_fuzz -n $n -s $seed" > "$args"
echo shm_append_fuzz > "$list"
# About 0.6 ms of guest time a request in the slower leg (Bochs), plus slack.
timeout=$(( n / 1000 + 300 ))
log "fuzz: $n requests per leg, seed $seed (limit ${timeout}s per leg)"
rc=0
for leg in ${LEGS:-svm vmx}; do
	RIG_TEST_ARGS=$args RIG_TIMEOUT=$timeout "$TOP/scripts/rig/run-leg.sh" "$leg" "$list" >/dev/null 2>&1 || rc=1
	res=$OUT/results/$leg-fuzz
	{ grep -a '# # \(seed\|fuzz\)' "$res.log" || true; } | sed 's/^\[host *[0-9.]*\] # # //' > "$OUT/fuzz/$leg.txt"
	tail -n1 "$res.txt" 2>/dev/null || echo "$leg: no result"
	sed 's/^/    /' "$OUT/fuzz/$leg.txt"
	grep -aq '^\[host *[0-9.]*\] ok [0-9]* selftests: kvm: shm_append_fuzz$' "$res.log" || {
		rc=1
		echo "    FAILED: $res.log"
		{ grep -a '==== Test Assertion Failure ====' -A6 "$res.log" || true; } | sed 's/^\[host *[0-9.]*\] # /    /'
	}
done
exit $rc
