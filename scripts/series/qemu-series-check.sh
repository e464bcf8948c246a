#!/bin/bash
# The QEMU series' quality bar (qemu-glue/qemu), as TAP lines:
#  - QEMU's scripts/checkpatch.pl on every patch: no error and no warning,
#    except, for the patch that only imports Linux headers, the reminders
#    checkpatch prints for every such import ("are you using
#    scripts/update-linux-headers.sh?", "added, moved or deleted file(s)");
#  - the header patches are what scripts/update-linux-headers.sh makes:
#    the upstream sync from the kernel's base (rig-base of $OUT/linux), the
#    RFC uapi from the kernel with the series ($OUT/linux); regenerated at
#    the commit before each and compared;
#  - tests/qtest/shm-append/shm-append-guest.h is what its Makefile makes
#    from shm-append-guest.S (the qtest's guest, built from source);
#  - every patch builds (bisectable): each commit rig-base..HEAD of
#    $OUT/qemu, checked out in turn (HEAD restored after), builds
#    qemu-system-x86_64 (and the qtest once it exists) with the rig's
#    configuration: in $OUT/qemu-build from the commit that adds
#    CONFIG_SHM_APPEND on, before it in $OUT/qemu-bisect without that
#    symbol in the devices file;
#  - QEMU's check-qapi-schema passes;
#  - the docs build with Debian's Sphinx ($OUT/qemu-docs, --enable-docs)
#    with no warning, and have the new page, the QMP entries and the CPU
#    flag;
#  - make qemu-series writes "[RFC PATCH n/N]" mail from the submitter
#    that git am applies to the base, giving the tree of the series.
# Needs make qemu and make tree.
. "$(dirname "$0")/../lib.sh"

QEMU=$OUT/qemu QBUILD=$OUT/qemu-build
[ -d "$QEMU/.git" ] && [ -x "$QBUILD/qemu-system-x86_64" ] || die "no QEMU in $QEMU: run 'make qemu' first"
[ -d "$OUT/linux/.git" ] || die "no $OUT/linux: run 'make tree' first"
need_pkgs xxd python3-sphinx python3-sphinx-rtd-theme
g() { git -C "$QEMU" "$@"; }
[ -z "$(g status --porcelain)" ] && [ "$(g rev-parse HEAD)" = "$(g config rig.head)" ] ||
	die "$QEMU has edits or commits that are not in the series; 'make qemu-export' them first"
export PYTHONPATH=$CACHE_DIR/meson/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
export CCACHE_DIR=$CACHE_DIR/ccache CCACHE_BASEDIR=$OUT CCACHE_NOHASHDIR=1
SERIES=$TOP/qemu-glue/qemu/series load_series
pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /' | head -n 30; }
tmp=$(mktemp -d)
head=$(g rev-parse HEAD)
restore() { g checkout -q -f "$head" 2>/dev/null; g checkout -q master 2>/dev/null || true; rm -rf "$tmp"; }
trap restore EXIT

# checkpatch
for p in "${PATCHES[@]}"; do
	name=${p##*/}
	out=$(cd "$QEMU" && scripts/checkpatch.pl --no-color "$p" 2>&1) || true
	files=$(sed -n 's|^diff --git a/\([^ ]*\) .*|\1|p' "$p")
	others=$(grep -v '^\(linux-headers\|include/standard-headers\)/' <<<"$files" || true)
	warns=$(grep -E '^(WARNING|ERROR):' <<<"$out" || true)
	if grep -q '^total: 0 errors, 0 warnings' <<<"$out"; then
		pass "QEMU checkpatch: $name"
	elif [ -z "$others" ] && grep -q '^total: 0 errors' <<<"$out" &&
		! grep -vE '^WARNING: added, moved or deleted file\(s\)' <<<"$warns" | grep -q .; then
		pass "QEMU checkpatch: $name (headers imported from Linux: only the import reminders)"
	else
		fail "QEMU checkpatch: $name" "$out"
	fi
done

# The header patches are update-linux-headers.sh's output: "linux-headers:
# Update to Linux" from the kernel's base (no series), the next one from the
# kernel with the series ($OUT/linux).
hdrs=$(g log --reverse --format=%H --grep='^linux-headers: ' rig-base..HEAD)
[ "$(wc -w <<<"$hdrs")" = 2 ] ||
	fail "the series has two header patches, an upstream sync and the RFC uapi (has: $(wc -w <<<"$hdrs"))"
git -C "$OUT/linux" worktree add -q --detach "$tmp/linux-base" rig-base 2>/dev/null
for h in $hdrs; do
	subject=$(g log -1 --format=%s "$h")
	case $subject in *"Update to Linux"*) src=$tmp/linux-base ;; *) src=$OUT/linux ;; esac
	git -C "$QEMU" worktree add -q --detach "$tmp/hdr" "$h^" 2>/dev/null
	if out=$(cd "$tmp/hdr" && ./scripts/update-linux-headers.sh "$src" . 2>&1); then
		diff=$(cd "$tmp/hdr" && git add -A && git diff --cached --stat "$h" -- linux-headers include/standard-headers)
		if [ -z "$diff" ]; then
			pass "$subject: what update-linux-headers.sh makes from ${src#"$tmp"/}"
		else
			fail "$subject: differs from update-linux-headers.sh's output (${src#"$tmp"/})" "$diff"
		fi
	else
		fail "update-linux-headers.sh ${src#"$tmp"/} failed" "$(tail -n 5 <<<"$out")"
	fi
	git -C "$QEMU" worktree remove --force "$tmp/hdr"
done
git -C "$OUT/linux" worktree remove --force "$tmp/linux-base"

# The qtest's guest is built from its source.
gdir=tests/qtest/shm-append
if [ -f "$QEMU/$gdir/shm-append-guest.S" ]; then
	cp -r "$QEMU/$gdir" "$tmp/guest"
	if out=$(make -s -C "$tmp/guest" -B shm-append-guest.h 2>&1) &&
		cmp -s "$tmp/guest/shm-append-guest.h" "$QEMU/$gdir/shm-append-guest.h"; then
		pass "$gdir/shm-append-guest.h is what shm-append-guest.S assembles to"
	else
		fail "$gdir/shm-append-guest.h does not match shm-append-guest.S" \
			"$out$(diff "$QEMU/$gdir/shm-append-guest.h" "$tmp/guest/shm-append-guest.h" | head)"
	fi
else
	fail "the series has the qtest's guest source ($gdir/shm-append-guest.S)"
fi

# Every patch builds.
bisect=$OUT/qemu-bisect
for c in $(g rev-list --reverse rig-base..HEAD); do
	subject=$(g log -1 --format=%s "$c")
	g checkout -q -f "$c"
	if grep -q '^config SHM_APPEND$' "$QEMU/hw/mem/Kconfig"; then
		dir=$QBUILD
	else
		# The rig's devices file without the symbol this commit lacks.
		dir=$bisect
		if [ ! -f "$dir/build.ninja" ]; then
			mkdir -p "$dir"
			(cd "$dir" && "$QEMU/configure" --target-list=x86_64-softmmu --enable-kvm --enable-tcg \
				--static --without-default-features --without-default-devices \
				--with-devices-x86_64=rig-base --disable-docs --disable-download \
				--disable-install-blobs --disable-werror --enable-trace-backends=nop \
				--cc="ccache gcc" --python=/usr/bin/python3 >"$dir/configure.log" 2>&1) ||
				{ fail "builds: $subject (configure)" "$(tail -n 5 "$dir/configure.log")"; continue; }
		fi
	fi
	targets=(qemu-system-x86_64)
	[ ! -f "$QEMU/tests/qtest/shm-append-test.c" ] || targets+=(tests/qtest/shm-append-test)
	if out=$(ninja -C "$dir" -j"${JOBS:-$(nproc)}" "${targets[@]}" 2>&1); then
		pass "builds: $subject"
	else
		fail "builds: $subject" "$(grep -E -A3 'error|FAILED' <<<"$out" | head -n 20)"
	fi
done
g checkout -q -f master
[ "$(g rev-parse HEAD)" = "$head" ] || die "$QEMU: could not restore HEAD $head"
ninja -C "$QBUILD" -j"${JOBS:-$(nproc)}" qemu-system-x86_64 tests/qtest/shm-append-test >/dev/null ||
	die "$QBUILD does not build at HEAD any more"

# QAPI schema tests.
if out=$(make -C "$QBUILD" check-qapi-schema 2>&1); then
	pass "check-qapi-schema: $(grep -E '^Ok:' <<<"$out" | tr -s ' ')"
else
	fail "check-qapi-schema" "$(tail -n 20 <<<"$out")"
fi

# The docs, with Debian's Sphinx.
docs=$OUT/qemu-docs
if [ ! -f "$docs/build.ninja" ]; then
	rm -rf "$docs"; mkdir -p "$docs"
	(cd "$docs" && "$QEMU/configure" --target-list=x86_64-softmmu --enable-kvm --disable-tcg \
		--without-default-features --without-default-devices --with-devices-x86_64=rig \
		--enable-docs --disable-download --disable-install-blobs \
		--python=/usr/bin/python3 >"$docs/configure.log" 2>&1) ||
		fail "docs: configure with --enable-docs" "$(tail -n 5 "$docs/configure.log")"
fi
if out=$(ninja -C "$docs" html 2>&1); then
	warnings=$(grep -iE 'warning|error' <<<"$out" || true)
	m=$docs/docs/manual
	if [ -n "$warnings" ]; then
		fail "docs: Sphinx warnings" "$warnings"
	elif grep -q 'x-shm-append-window' "$m/system/i386/shm-append.html" &&
		grep -q 'SHM_APPEND_REQUEST' "$m/interop/qemu-qmp-ref.html" &&
		grep -q 'x-query-shm-append' "$m/interop/qemu-qmp-ref.html" &&
		grep -q 'kvm-shm-append' "$m/system/i386/kvm-pv.html"; then
		pass "docs: build with Sphinx $(sphinx-build --version 2>/dev/null | awk '{print $2}'), no warning; shm-append page, QMP entries, CPU flag"
	else
		fail "docs: the built manual lacks the shm-append page, QMP entries or CPU flag"
	fi
else
	fail "docs: ninja html" "$(tail -n 20 <<<"$out")"
fi

# The mail: RFC, from the submitter, applies to the base.
mail=$tmp/mail
if out=$(TREE=$QEMU SERIES=$TOP/qemu-glue/qemu/series COVER=$TOP/qemu-glue/qemu/cover-letter.txt \
	DEST=$mail SUBJECT_PREFIX="RFC PATCH" SUBMITTER="Series Check <check@example.org>" \
	"$TOP/scripts/series/make-series.sh" 2>&1); then
	n=${#PATCHES[@]}
	subjects=$(grep -h '^Subject: ' "$mail"/*.patch | grep -c "^Subject: \[RFC PATCH [0-9]*/$n\]" || true)
	froms=$(grep -h '^From: ' "$mail"/*.patch | sort -u)
	git -C "$QEMU" worktree add -q --detach "$tmp/am" rig-base 2>/dev/null
	mapfile -t mails < <(find "$mail" -name '0*.patch' ! -name '0000-cover-letter.patch' | sort)
	if [ "$subjects" = $((n + 1)) ] && [ "$froms" = "From: Series Check <check@example.org>" ] &&
		git -C "$tmp/am" -c user.name=check -c user.email=check@example.org am -q \
			"${mails[@]}" 2>/dev/null &&
		[ -z "$(git -C "$tmp/am" diff "$head")" ]; then
		pass "make qemu-series: $n patches and a cover letter, [RFC PATCH m/$n], from the submitter, git am gives the series' tree"
	else
		fail "make qemu-series: subjects ($subjects of $((n + 1))), From ($froms) or git am" "$(ls "$mail")"
	fi
	git -C "$QEMU" worktree remove --force "$tmp/am"
else
	fail "make qemu-series" "$out"
fi
