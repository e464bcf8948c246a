#!/bin/bash
# The series machinery on a fake 7.3 tree and fixture patches: all-or-nothing
# apply, refusal of wrong trees, the $OUT/linux tree and `make series`.
. "$(dirname "$0")/lib.sh"
F=$TOP/tests/fixtures
export SERIES=$F/good.series

# make apply: a good series lands whole, new files included.
fake_tree "$T/a"
expect_ok "apply: good series applies" "$TOP/scripts/series/apply-series.sh" "$T/a"
if grep -qx 'int b = 1;' "$T/a/arch/x86/kvm/x86.c" &&
   [ -f "$T/a/tools/testing/selftests/kvm/x86/fixture_test.c" ]; then
	pass "apply: both patches are in the tree"
else
	fail "apply: patches missing from the tree"
fi
before=$(tree_sum "$T/a")
expect_fail "apply: a tree that already carries the series is refused" "already carries the series" \
	"$TOP/scripts/series/apply-series.sh" "$T/a"
[ "$(tree_sum "$T/a")" = "$before" ] && pass "apply: refused tree unchanged" || fail "apply: refused tree changed"

# A patch that fails: the tree stays exactly as it was; the patch and file are named.
fake_tree "$T/b"
before=$(tree_sum "$T/b")
SERIES=$F/bad.series expect_fail "apply: failing patch is named with its file" \
	"bad-0003-KVM-x86-Initialize-c.patch.*does not apply" "$TOP/scripts/series/apply-series.sh" "$T/b"
out=$(SERIES=$F/bad.series "$TOP/scripts/series/apply-series.sh" "$T/b" 2>&1)
grep -q 'arch/x86/kvm/x86.c' <<<"$out" && pass "apply: failing file named" || fail "apply: failing file not named" "$out"
[ "$(tree_sum "$T/b")" = "$before" ] && pass "apply: tree untouched after a failing patch" ||
	fail "apply: tree changed by a failed apply" "$(diff <(echo "$before") <(tree_sum "$T/b"))"

# Wrong trees and wrong arguments.
fake_tree "$T/c" 2
expect_fail "apply: a 7.2 tree is refused" "is Linux 7.2; this series is for Linux 7.3" "$TOP/scripts/series/apply-series.sh" "$T/c"
expect_fail "apply: missing KSRC path" "does not exist" "$TOP/scripts/series/apply-series.sh" "$T/nonexistent"
expect_fail "apply: empty KSRC" "KSRC is empty" "$TOP/scripts/series/apply-series.sh" ""
mkdir -p "$T/d"
expect_fail "apply: not a kernel tree" "not a Linux source tree" "$TOP/scripts/series/apply-series.sh" "$T/d"
echo "tests/fixtures/missing.patch" > "$T/missing.series"
SERIES=$T/missing.series expect_fail "apply: series naming a missing patch" "missing.patch.*does not exist" \
	"$TOP/scripts/series/apply-series.sh" "$T/b"

# make series: out/series/ from a (git) KSRC plus the series.
fake_tree "$T/g"
git -C "$T/g" init -q && git -C "$T/g" add -A &&
	git -C "$T/g" -c user.name=t -c user.email=t@t commit -qm base
# No identity at all (no SUBMITTER, no git user.name/email): refused, nothing written.
noid() { env -u SUBMITTER HOME="$T/nohome" GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 \
	GIT_AUTHOR_NAME= GIT_AUTHOR_EMAIL= GIT_COMMITTER_NAME= GIT_COMMITTER_EMAIL= EMAIL= "$@"; }
mkdir -p "$T/nohome"
expect_fail "make series: refused without the submitter's identity" "needs the submitter's identity" \
	noid make -s -C "$TOP" series OUT="$T/out" KSRC="$T/g"
[ ! -e "$T/out/series/0001-KVM-x86-Initialize-b.patch" ] && pass "make series: nothing written without an identity" ||
	fail "make series: wrote patches without an identity"
expect_fail "make series: a malformed SUBMITTER is refused" "is not 'Name <email>'" \
	make -s -C "$TOP" series OUT="$T/out" KSRC="$T/g" SUBMITTER="ada@example.com"
expect_fail "make series: the placeholder author is not a submitter" "placeholder author" \
	make -s -C "$TOP" series OUT="$T/out" KSRC="$T/g" SUBMITTER="Rig Dev <dev@example.org>"
# git's own identity is used when SUBMITTER is not set.
git config -f "$T/gitid" user.name "Git Config User"; git config -f "$T/gitid" user.email "gcu@example.net"
noid env GIT_CONFIG_GLOBAL="$T/gitid" make -s -C "$TOP" series OUT="$T/out" KSRC="$T/g" >/dev/null 2>&1
grep -qx 'From: Git Config User <gcu@example.net>' "$T/out/series/0001-KVM-x86-Initialize-b.patch" &&
	pass "make series: git user.name/user.email is the submitter by default" ||
	fail "make series: git identity not used" "$(head -n3 "$T/out/series/0001-KVM-x86-Initialize-b.patch")"
expect_ok "make series: runs on a fake 7.3 tree" make -s -C "$TOP" series OUT="$T/out" KSRC="$T/g" \
	SUBMITTER="Ada Lovelace <ada@example.com>"
# Every From: is the submitter, the author's sign-off became hers, exactly once per patch.
ok=1
for f in "$T"/out/series/*.patch; do
	grep -qx 'From: Ada Lovelace <ada@example.com>' "$f" || ok=0
	grep -q 'author@example.org' "$f" && ok=0
	case $f in *0000-cover-letter*) ;; *) [ "$(grep -cx 'Signed-off-by: Ada Lovelace <ada@example.com>' "$f")" = 1 ] || ok=0 ;; esac
done
[ $ok = 1 ] && pass "make series: From: and Signed-off-by: are the submitter's, the placeholder is gone" ||
	fail "make series: identity" "$(grep -h '^From:\|Signed-off-by' "$T"/out/series/*.patch)"
ls "$T/out/series" > "$T/ls" 2>/dev/null
if diff -u - "$T/ls" <<-EOF2
	0000-cover-letter.patch
	0001-KVM-x86-Initialize-b.patch
	0002-KVM-selftests-Add-fixture_test.patch
	EOF2
then pass "make series: cover letter + 2 patches"; else fail "make series: unexpected files" "$(cat "$T/ls")"; fi
subj=$(head -n1 "$TOP/kernel/cover-letter.txt")
# (mail headers fold long lines: unfold before comparing)
sed -n '/^Subject:/{N;s/\n / /;p}' "$T/out/series/0000-cover-letter.patch" |
	grep -qF "Subject: [PATCH 0/2] $subj" &&
	pass "make series: cover letter subject from kernel/cover-letter.txt" ||
	fail "make series: cover letter subject" "$(grep Subject: "$T/out/series/0000-cover-letter.patch")"
grep -q 'Subject: \[PATCH 2/2\] KVM: selftests: Add fixture_test' "$T/out/series/0002-KVM-selftests-Add-fixture_test.patch" &&
	pass "make series: numbered subjects" || fail "make series: numbered subjects"
# "# version: N" in the series file makes it a reroll: vN in names and subjects.
{ echo "# version: 3"; cat "$SERIES"; } > "$T/v3.series"
SERIES="$T/v3.series" make -s -C "$TOP" series OUT="$T/out3" KSRC="$T/g" \
	SUBMITTER="Ada Lovelace <ada@example.com>" >/dev/null 2>&1
grep -q 'Subject: \[PATCH v3 2/2\] KVM: selftests: Add fixture_test' \
	"$T/out3/series/v3-0002-KVM-selftests-Add-fixture_test.patch" 2>/dev/null &&
	pass "make series: '# version: 3' makes [PATCH v3 n/m] and v3-000n files" ||
	fail "make series: reroll" "$(ls "$T/out3/series" 2>&1)"
git -C "$T/g" -c user.name=t -c user.email=t@t am -q "$T"/out/series/000[12]-*.patch &&
	pass "make series: output applies with git am" || fail "make series: output does not apply with git am"
[ "$(git -C "$T/g" log -2 --format='%an <%ae>' | sort -u)" = "Ada Lovelace <ada@example.com>" ] &&
	pass "make series: git am records the submitter as the author" ||
	fail "make series: author after git am" "$(git -C "$T/g" log -2 --format='%an <%ae>')"
# The user's tree was never changed by make series.
[ "$(git -C "$T/g" rev-list --count HEAD)" = 3 ] || fail "make series: unexpected history in KSRC"

# A name with a comma and a non-ASCII letter: quoted, MIME-encoded in the
# header, declared UTF-8, and git am gets it back intact.
fake_tree "$T/gu"
git -C "$T/gu" init -q && git -C "$T/gu" add -A && git -C "$T/gu" -c user.name=t -c user.email=t@t commit -qm base
make -s -C "$TOP" series OUT="$T/outu" KSRC="$T/gu" SUBMITTER="Lovelace, Zoë <zoe@example.com>" >/dev/null 2>&1
f=$T/outu/series/0001-KVM-x86-Initialize-b.patch
if grep -q '^From: =?utf-8?' "$f" && grep -qx 'Content-Type: text/plain; charset=UTF-8' "$f" &&
   grep -qx 'Signed-off-by: "Lovelace, Zoë" <zoe@example.com>' "$f" &&
   git -C "$T/gu" -c user.name=t -c user.email=t@t am -q "$f" 2>/dev/null &&
   [ "$(git -C "$T/gu" log -1 --format='%an <%ae>')" = "Lovelace, Zoë <zoe@example.com>" ]; then
	pass "make series: a submitter name with a comma and non-ASCII letters survives git am"
else fail "make series: non-ASCII submitter" "$(sed -n '1,12p' "$f")"; fi

# The base already carries the series: prepare-tree refuses it.
expect_fail "make tree: KSRC that carries the series is refused" "already carries the series" \
	make -s -C "$TOP" tree OUT="$T/out2" KSRC="$T/g"
# A failing patch in make tree: named, and out/linux reset to the base.
fake_tree "$T/h"
SERIES=$F/bad.series expect_fail "make tree: failing patch named" "bad-0003.*does not apply" \
	make -s -C "$TOP" tree OUT="$T/out3" KSRC="$T/h"

# make export: commits made in out/linux go back into the repo as the series,
# each in the folder of what it changes; the tree is then up to date.
mkdir -p "$T/repo/kernel"
cp "$F/0001-KVM-x86-Initialize-b.patch" "$T/repo/kernel/p1.patch"
cp "$F/0002-KVM-selftests-Add-fixture_test.patch" "$T/repo/kernel/p2.patch"
printf '# fixture series\nkernel/p1.patch\nkernel/p2.patch\n' > "$T/repo/kernel/series"
fake_tree "$T/k"
ex() { env -u SERIES TOP="$T/repo" OUT="$T/outx" KSRC="$T/k" "$@"; }
expect_ok "export: tree from a repo copy" ex "$TOP/scripts/rig/prepare-tree.sh"
mkdir -p "$T/outx/linux/Documentation/virt"
echo "Foo" > "$T/outx/linux/Documentation/virt/foo.rst"
git -C "$T/outx/linux" add -A
git -C "$T/outx/linux" -c user.name=t -c user.email=t@t commit -qm "KVM: Documentation: Add foo"
expect_fail "make tree: refuses to drop commits made in out/linux" "not in the series" \
	env -u SERIES TOP="$T/repo" OUT="$T/outx" KSRC="$T/k" bash -c \
	"echo '# changed' >> '$T/repo/kernel/series' && '$TOP/scripts/rig/prepare-tree.sh'"
expect_ok "export: writes the series back" ex "$TOP/scripts/series/export-series.sh"
if diff -u - <(grep -v '^#' "$T/repo/kernel/series") <<-EOF2
	kernel/0001-KVM-x86-Initialize-b.patch
	selftests/0002-KVM-selftests-Add-fixture_test.patch
	Documentation/0003-KVM-Documentation-Add-foo.patch
	EOF2
then pass "export: one patch per commit, in its area's folder"; else fail "export: series" "$(cat "$T/repo/kernel/series")"; fi
[ ! -e "$T/repo/kernel/p1.patch" ] && pass "export: replaced patches removed" || fail "export: old patch left"
head=$(git -C "$T/outx/linux" rev-parse HEAD)
out=$(ex "$TOP/scripts/rig/prepare-tree.sh" 2>&1)
[ -z "$out" ] && [ "$(git -C "$T/outx/linux" rev-parse HEAD)" = "$head" ] &&
	pass "export: out/linux is up to date afterwards" || fail "export: tree rebuilt after export" "$out"
# The guest series' tree: a worktree of out/linux (branch rig-guest) at the
# host series' HEAD, with kernel/guest/series on top; its commits go back
# with the guest export; a change of the host series moves it.
mkdir -p "$T/repo/kernel/guest"
printf '# guest fixture series\n' > "$T/repo/kernel/guest/series"
gt=$T/outx/linux-guest
expect_ok "guest tree: made from out/linux" ex "$TOP/scripts/rig/prepare-guest-tree.sh"
if [ "$(git -C "$gt" rev-parse HEAD)" = "$(git -C "$T/outx/linux" rev-parse HEAD)" ] &&
   [ "$(git -C "$gt" symbolic-ref --short HEAD)" = rig-guest ]; then
	pass "guest tree: branch rig-guest at the host series' HEAD"
else
	fail "guest tree: not on rig-guest at the host HEAD" "$(git -C "$gt" log --oneline -3 2>&1)"
fi
mkdir -p "$gt/drivers/virt"
echo "int kvmshm;" > "$gt/drivers/virt/kvmshm.c"
git -C "$gt" add -A
git -C "$gt" -c user.name=t -c user.email=t@t commit -qm "virt: kvmshm: Add a fixture"
expect_fail "guest tree: refuses to drop commits made in it" "not in kernel/guest/series" \
	ex bash -c "echo '# changed' >> '$T/repo/kernel/guest/series' && '$TOP/scripts/rig/prepare-guest-tree.sh'"
gex() { ex env TREE="$gt" BASE="$(git -C "$T/outx/linux" rev-parse HEAD)" SERIES="$T/repo/kernel/guest/series" \
	STATE=rig.guest "$@"; }
expect_ok "guest export: writes the guest series back" gex AREA=kernel/guest "$TOP/scripts/series/export-series.sh"
if [ "$(grep -v '^#' "$T/repo/kernel/guest/series")" = kernel/guest/0001-virt-kvmshm-Add-a-fixture.patch ] &&
   [ -s "$T/repo/kernel/guest/0001-virt-kvmshm-Add-a-fixture.patch" ]; then
	pass "guest export: the commit is kernel/guest/0001-*.patch"
else
	fail "guest export: series" "$(cat "$T/repo/kernel/guest/series")"
fi
[ "$(git -C "$T/outx/linux" config rig.series)" != "$(git -C "$T/outx/linux" config rig.guestseries)" ] &&
	[ -n "$(git -C "$T/outx/linux" config rig.guestseries)" ] &&
	pass "guest export: keeps its own state (rig.guest*), not the host tree's" ||
	fail "guest export: state keys" "$(git -C "$T/outx/linux" config --get-regexp '^rig\.')"
ghead=$(git -C "$gt" rev-parse HEAD)
out=$(ex "$TOP/scripts/rig/prepare-guest-tree.sh" 2>&1)
[ -z "$out" ] && [ "$(git -C "$gt" rev-parse HEAD)" = "$ghead" ] &&
	pass "guest tree: up to date after the export" || fail "guest tree: rebuilt after export" "$out"
# The host series changes: the guest tree follows it, the guest patch on top.
cp "$T/repo/kernel/0001-KVM-x86-Initialize-b.patch" "$T/repo/kernel/only.patch"
printf '# one patch\nkernel/only.patch\n' > "$T/repo/kernel/series"
expect_ok "guest tree: host series changed, host tree remade" ex "$TOP/scripts/rig/prepare-tree.sh"
expect_ok "guest tree: follows the host tree" ex "$TOP/scripts/rig/prepare-guest-tree.sh"
if [ "$(git -C "$gt" rev-parse HEAD~1)" = "$(git -C "$T/outx/linux" rev-parse HEAD)" ] &&
   [ "$(git -C "$gt" log -1 --format=%s)" = "virt: kvmshm: Add a fixture" ]; then
	pass "guest tree: the guest patch on the new host HEAD"
else
	fail "guest tree: after the host change" "$(git -C "$gt" log --oneline -3 2>&1)"
fi
expect_fail "l2-boots: a bad number of boots is a clear error" "must be a positive integer" \
	"$TOP/scripts/rig/l2-boots.sh" 0x

# series-check's warning comparison (scripts/series/new-warnings.py): line
# numbers do not matter, one more of a message in a file does, and so does
# a Sphinx warning; the base's own warnings are not new.
NW=$TOP/scripts/series/new-warnings.py
printf '%s\n' '/t/l/arch/x86/kvm/vmx/vmcs12.c:12:3: warning: cast truncates bits from constant value (b014b becomes 14b)' \
	'/t/l/arch/x86/kvm/x86.c:100:5: warning: symbol '"'foo'"' was not declared. Should it be static?' \
	'WARNING: dot(1) not found, for better output quality install graphviz' > "$T/w-base"
printf '%s\n' '/t/l/arch/x86/kvm/vmx/vmcs12.c:15:3: warning: cast truncates bits from constant value (b014b becomes 14b)' \
	'/t/l/arch/x86/kvm/x86.c:130:5: warning: symbol '"'foo'"' was not declared. Should it be static?' \
	'WARNING: dot(1) not found, for better output quality install graphviz' > "$T/w-same"
expect_ok "new-warnings: the base's warnings at other line numbers are not new" "$NW" --strip /t/l "$T/w-base" "$T/w-same"
{ cat "$T/w-same"; echo '/t/l/arch/x86/kvm/x86.c:230:5: warning: symbol '"'foo'"' was not declared. Should it be static?'; } > "$T/w-more"
expect_fail "new-warnings: one more of the same warning in the same file is new" \
	"^arch/x86/kvm/x86.c: warning: symbol 'foo' was not declared" "$NW" --strip /t/l "$T/w-base" "$T/w-more"
{ cat "$T/w-same"; echo '/t/l/arch/x86/kvm/x86.c:240:9: error: incorrect type in assignment (different address spaces)'; } > "$T/w-err"
expect_fail "new-warnings: a new sparse error is new" "x86.c: error: incorrect type" "$NW" --strip /t/l "$T/w-base" "$T/w-err"
{ cat "$T/w-same"; echo '/t/l/Documentation/virt/kvm/api.rst:6100: WARNING: Title underline too short.'; } > "$T/w-doc"
expect_fail "new-warnings: a new Sphinx warning is new" "api.rst: warning: Title underline too short" \
	"$NW" --strip /t/l "$T/w-base" "$T/w-doc"
# The sparse build names an unreachable archive.
expect_fail "build-sparse: an unreachable archive is a clear error" "cannot reach the Debian archive .* for sparse sources" \
	env CACHE_DIR="$T/sparse-cache" DEBIAN_MIRROR=http://127.0.0.1:9/debian "$TOP/scripts/rig/build-sparse.sh"

finish
