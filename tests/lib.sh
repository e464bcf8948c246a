# shellcheck shell=bash
# Tiny harness for the repo's own tests: each check prints ok/not ok.
set -uo pipefail
# shellcheck disable=SC2034 # used by the tests that source this
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NPASS=0 NFAIL=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

pass() { NPASS=$((NPASS + 1)); echo "ok - $1"; }
fail() { NFAIL=$((NFAIL + 1)); echo "not ok - $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /' | head -n 20; }

# expect_fail DESC REGEX CMD...: CMD exits non-zero and its output matches REGEX.
expect_fail() {
	local desc=$1 re=$2 out rc; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ $rc = 0 ]; then fail "$desc (exit 0, expected failure)" "$out"
	elif ! grep -Eq -- "$re" <<<"$out"; then fail "$desc (message does not match /$re/)" "$out"
	else pass "$desc"; fi
}

# expect_ok DESC CMD...: CMD exits 0.
expect_ok() {
	local desc=$1 out; shift
	if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc (exit $?)" "$out"; fi
}

# A minimal "Linux 7.3" tree, enough for the series machinery.
fake_tree() {
	local d=$1 patchlevel=${2:-3}
	mkdir -p "$d/arch/x86/kvm" "$d/include/uapi/linux"
	printf 'VERSION = 7\nPATCHLEVEL = %s\nSUBLEVEL = 4\n' "$patchlevel" > "$d/Makefile"
	printf 'int a;\nint b;\nint c;\n' > "$d/arch/x86/kvm/x86.c"
	printf '#define KVM_EXIT_X 1\n' > "$d/include/uapi/linux/kvm.h"
}

# Checksums of every file of a tree, to prove it did not change.
tree_sum() { (cd "$1" && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }

finish() { echo "# $NPASS passed, $NFAIL failed"; [ "$NFAIL" = 0 ]; }
