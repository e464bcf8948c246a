#!/bin/bash
# Build a program of the repo (the benchmark, the fuzz, the trace and
# teardown tests) against the KVM selftests' library as `make selftests`
# built it ($OUT/build/kselftest/kvm), static.
#   build-libkvm-prog.sh SOURCE OUTPUT
. "$(dirname "$0")/../lib.sh"
[ $# = 2 ] || die "usage: $0 SOURCE OUTPUT"
SRC=$OUT/linux K=$SRC/tools/testing/selftests/kvm O=$OUT/build/kselftest/kvm
[ -f "$O/lib/kvm_util.o" ] || die "no KVM selftests library in $O: run 'make selftests' first"
mapfile -t objs < <(find "$O/lib" -name '*.o' | sort)
gcc -O2 -g -std=gnu99 -D_GNU_SOURCE -DCONFIG_64BIT -U_FORTIFY_SOURCE -fno-stack-protector -fno-PIE \
	-fno-builtin-memcmp -fno-builtin-memcpy -fno-builtin-memset -fno-builtin-strnlen -march=x86-64-v2 \
	-I"$SRC/tools/include" -I"$SRC/tools/arch/x86/include" -I"$OUT/build/usr/include" \
	-I"$K/include" -I"$K/include/x86" -I"$K" -I"$SRC/tools/testing/selftests" \
	-Wall -Werror -static -no-pie -pthread \
	"$1" "${objs[@]}" -ldl -o "$2" ||
	die "${1#"$TOP"/} does not build"
