#!/bin/bash
# The plot of make bench: full-append cost against the number of regions,
# one memslot per region and one memslot over the window, for each leg
# whose $OUT/bench/LEG.tsv exists, as $OUT/bench/append.png and as text,
# $OUT/bench/append.txt (gnuplot).
. "$(dirname "$0")/../lib.sh"

need_pkgs gnuplot-nox
plots=()
for leg in svm vmx; do
	t=$OUT/bench/$leg.tsv
	[ -s "$t" ] || continue
	for way in memslot window; do
		awk -F'\t' -v w="$way" '$1 == "append" && $2 == w { print $3, $4 / 1000 }' "$t" > "$OUT/bench/$leg-$way.dat"
		[ -s "$OUT/bench/$leg-$way.dat" ] &&
			plots+=("'$OUT/bench/$leg-$way.dat' using 1:2 with linespoints title '$leg, $way'")
	done
done
[ ${#plots[@]} -gt 0 ] || die "no append figures in $OUT/bench/*.tsv: run 'make bench' first"
# The PNG, and the same plot as text (for README.md, which shows it as is).
(IFS=,; gnuplot <<-EOF2
	set terminal png size 900,540
	set output '$OUT/bench/append.png'
	set title 'one full KVM\\_EXIT\\_SHM\\_APPEND append as regions accumulate (svm: QEMU TCG wall time; vmx: Bochs instruction time)'
	set xlabel 'regions granted'
	set ylabel 'us per append'
	set key top left
	set grid
	plot ${plots[*]}
	set terminal dumb size 100,32
	set output '$OUT/bench/append.txt'
	set title 'us per full append as regions accumulate'
	set key below
	unset grid
	replot
	EOF2
) || die "gnuplot failed"
log "plot: $OUT/bench/append.png, as text: $OUT/bench/append.txt"
