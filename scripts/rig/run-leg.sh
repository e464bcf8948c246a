#!/bin/bash
# Boot the built kernel under an emulator with a set of KVM selftests and
# report the results.
#   run-leg.sh LEG SET
# LEG: svm (QEMU TCG, -cpu max: AMD SVM with nested paging), or
#      vmx (Bochs, Skylake-X: Intel VMX with EPT; booted from an ISO).
# SET: a list in selftests/sets/LEG-SET.txt, or a path to a list; "full": every test that passed
#      in selftests/baseline/LEG.tsv plus the known failures and the default
#      set; "all": every built test, outcomes recorded, not judged (baseline).
# Results: $OUT/results/LEG-SET.{log,console.log,status,txt,tsv,counts}: log is
# the guest's report channel (ttyS1), console.log the kernel console (ttyS0).
. "$(dirname "$0")/../lib.sh"

[ $# = 2 ] || die "usage: $0 LEG SET"
LEG=$1 SET=$2
BUILD=${RIG_BUILD:-$OUT/build} INSTALL=${RIG_INSTALL:-$OUT/kselftest} RES=$OUT/results
KIMG=$BUILD/arch/x86/boot/bzImage
[ -s "$KIMG" ] || die "no kernel image at $KIMG: run 'make kernel' first"
[ -s "$INSTALL/kselftest-list.txt" ] || die "no selftests in $INSTALL: run 'make selftests' first"
mkdir -p "$RES"
name=$LEG-${SET##*/}
list=$RES/$name.list

sets=$TOP/selftests/sets
case $SET in
all)	# every test that was built
	sed -n 's/^kvm://p' "$INSTALL/kselftest-list.txt" > "$list" ;;
full)	# every test that passed on the unpatched kernel, the known failures,
	# and the default set (which holds the tests the series adds)
	base=$TOP/selftests/baseline/$LEG.tsv
	[ -f "$base" ] || die "no baseline for leg '$LEG' ($base): run 'make baseline' first"
	{ awk -F'\t' '$2 == "pass" {print $1}' "$base"
	  list_names "$TOP/selftests/known-failures/$LEG.txt" "$sets/$LEG-check.txt"; } |
		awk '!seen[$0]++' > "$list" ;;
*/*)	# a list file given by path (the rig's own tests)
	[ -f "$SET" ] || die "no test list $SET"
	list_names "$SET" > "$list" ;;
*)	[ -f "$sets/$name.txt" ] ||
		die "no test set '$SET' for leg '$LEG' ($sets/$name.txt); sets: all full$(find "$sets" -name "$LEG-*.txt" | sed "s|.*/$LEG-\(.*\)\.txt$| \1|" | tr -d '\n')"
	list_names "$sets/$name.txt" > "$list" ;;
esac
ntests=$(wc -l < "$list")

"$TOP/scripts/rig/mkinitramfs.sh" "$BUILD" "$INSTALL" "$list" "$RES/$name.cpio"

# Deadlines: init within INIT_TIMEOUT; never silent for longer than a test's
# own timeout plus slack; the total bounded by the per-test timeouts.
per_test=${RIG_TIMEOUT:-$(sed -n 's/^timeout=//p' "$INSTALL/kvm/settings")}
INIT_TIMEOUT=${INIT_TIMEOUT:-240}
SILENCE=${SILENCE:-$((per_test + 120))}
TOTAL=${TOTAL:-$((INIT_TIMEOUT + ntests * (per_test + 15)))}
CMDLINE="$RIG_BASE_CMDLINE oops=panic ${RIG_CMDLINE:-}"
# The guest's report channel (its ttyS1): a FIFO that console.py makes and reads.
fifo=$RES/$name.report.fifo

case $LEG in
svm)
	need_pkgs seabios qemu-system-data
	qemu_svm "$KIMG" "$RES/$name.cpio" "$CMDLINE"
	emu=("${EMU[@]}" -monitor none -serial stdio -serial "file:$fifo")
	;;
vmx)
	need_pkgs bochsbios vgabios
	bochs=$("$TOP/scripts/rig/build-bochs.sh") || die "no Bochs to run the vmx leg (see above)"
	"$TOP/scripts/rig/mkiso.sh" "$KIMG" "$RES/$name.cpio" "$CMDLINE $BOCHS_CMDLINE" "$RES/$name.iso"
	bochs_vmx "$bochs" "$RES/$name.iso" "$RES/$name.bochsrc" "$RES/$name.bochs.log" "$fifo"
	emu=("${EMU[@]}")
	;;
*)
	die "unknown leg '$LEG' (legs: svm vmx)"
	;;
esac

log "$LEG: booting with $ntests test(s) of set '$SET' (limits: init ${INIT_TIMEOUT}s, silence ${SILENCE}s, total ${TOTAL}s)"
"$TOP/scripts/rig/console.py" --prefix "$LEG: " --log "$RES/$name.log" --console-log "$RES/$name.console.log" \
	--report-fifo "$fifo" --status "$RES/$name.status" \
	--init-timeout "$INIT_TIMEOUT" --silence "$SILENCE" --total "$TOTAL" -- "${emu[@]}"

# Bochs ends on the guest's ACPI power-off through its panic handler
# ("soft power off", exit 1); any other panic is Bochs failing.
if [ "$LEG" = vmx ]; then
	panic=$(grep -a '>>PANIC<<' "$RES/$name.bochs.log" 2>/dev/null | grep -v 'soft power off' | head -n1 || true)
	[ -z "$panic" ] || python3 - "$RES/$name.status" "$panic" <<-'PY'
		import json, sys
		s = json.load(open(sys.argv[1]))
		s['killed'] = 'Bochs panicked: ' + sys.argv[2].split('>>PANIC<<', 1)[1].strip()
		json.dump(s, open(sys.argv[1], 'w'))
	PY
fi

args=(--leg "$LEG" --vendor "$LEG" --log "$RES/$name.log" --console "$RES/$name.console.log"
      --status "$RES/$name.status" --list "$list"
      --tsv "$RES/$name.tsv" --counts "$RES/$name.counts")
# A printk flood (the rig's own test) may outrun the console: that is its point.
case " ${RIG_CMDLINE:-} " in *" rig.flood "*) args+=(--allow-dropped) ;; esac
if [ "$SET" = all ]; then
	args+=(--baseline)
else
	args+=(--known "$TOP/selftests/known-failures/$LEG.txt" --nested "$TOP/selftests/nested-ktap.txt")
fi
set +e
"$TOP/scripts/rig/report.py" "${args[@]}" | tee "$RES/$name.txt"
exit "${PIPESTATUS[0]}"
