# KVM_EXIT_SHM_APPEND: series, rig and tests. `make help` lists the targets.
#
#   make                  fetch 7.3, apply the series, build kernel + selftests,
#                         boot under QEMU (nested SVM) and run the default set
#   make check            the same plus the repo's own checks; ends with
#                         "N passed, N failed, N skipped"
#
# Variables: KSRC=/path (your own 7.3 tree instead of Debian's linux-source),
# CACHE_DIR (default ~/.cache/kvm-shm-append), JOBS, KDEB_VERSION,
# SUBMITTER="Name <email>" (make series; default: git's user.name/email).

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
export TOP
export OUT ?= $(TOP)/out
export KSRC
export CACHE_DIR
export JOBS
export KDEB_VERSION
S := $(TOP)/scripts

Makefile: ;

ifeq ($(RIG_LOCKED),)
# One make at a time per out/: re-run this make under a lock, so that two
# runs never build into the same directories.
GOALS := $(or $(MAKECMDGOALS),all)
.PHONY: $(GOALS)
$(firstword $(GOALS)):
	@mkdir -p $(OUT)
	@RIG_LOCKED=1 flock -n -E 75 $(OUT)/.lock $(MAKE) --no-print-directory $(GOALS); rc=$$?; \
	  [ $$rc != 75 ] || echo "make: another make holds $(OUT)/.lock; wait for it to end" >&2; exit $$rc
$(filter-out $(firstword $(GOALS)),$(GOALS)): ; @:
else
TARGETS := all deps source tree kernel qemu selftests run check check-full baseline export \
	   apply series series-check mutation-check boot static-checks clean clean-tree help \
	   qemu-series qemu-export qemu-series-check guest guest-export guest-series guest-series-check l2-boots bench fuzz check-debug coverage
.PHONY: $(TARGETS)

all: run

help:
	@echo "targets:"
	@echo "  make              fetch 7.3, apply the series, build, boot, run the default set"
	@echo "  make check        everything 'make' does + the repo's own checks; summary line"
	@echo "  make check-full   every test that passed on the unpatched kernel (+ known failures)"
	@echo "  make baseline     run every KVM selftest, record outcomes in selftests/baseline/"
	@echo "  make apply KSRC=/path   apply the series to your 7.3 tree (all or nothing)"
	@echo "  make series       git format-patch series + cover letter in out/series/, From: and"
	@echo "                    Signed-off-by: you (git user.name/email, or SUBMITTER='Name <email>')"
	@echo "  make export       write the commits of out/linux back as the series (kernel/series)"
	@echo "  make series-check checkpatch --strict + every patch builds (modules and rig configs)"
	@echo "  make mutation-check  shm_append_test must notice checks removed from the kernel,"
	@echo "                    the QEMU qtest those removed from QEMU (KVM refuses wrong answers)"
	@echo "  make qemu         Debian's QEMU 10.2.2 + the QEMU series (qemu-glue/qemu), static,"
	@echo "                    KVM and TCG: the svm leg's L0 and the VMM of the qtest inside L1"
	@echo "  make qemu-series  the QEMU series as mail in out/qemu-series/ (like make series)"
	@echo "  make qemu-export  write the commits of out/qemu back as qemu-glue/qemu/"
	@echo "  make qemu-series-check  QEMU's checkpatch, headers, guest, every patch builds,"
	@echo "                    check-qapi-schema, docs with Sphinx"
	@echo "  make guest        the guest series (kernel/guest/) on the host series in out/linux-guest,"
	@echo "                    the L2 kernel, kvmshm.ko and initramfs of the end-to-end test (out/guest)"
	@echo "  make guest-export write the commits of out/linux-guest back as kernel/guest/"
	@echo "  make guest-series the guest series as RFC mail in out/guest-series/ (like make series)"
	@echo "  make guest-series-check  the guest series: checkpatch --strict, every patch builds with"
	@echo "                    W=1 C=2 (CoCo guests on and off), uapi header test, kselftest, htmldocs"
	@echo "  make l2-boots [N=20]  boot the e2e test's L2 Linux N times in a row inside L1, each"
	@echo "                    leg; prints every boot's time and their distribution"
	@echo "  make bench [ITERS=2000 ROUNDS=5]  round trips of the exits, appends as regions"
	@echo "                    accumulate, 4 KiB vs 1 GiB, 1/2/4 vCPUs; out/bench/LEG.tsv, append.png"
	@echo "  make fuzz [N=1000000 SEED=n]  model-checked fuzz of requests and answers, each leg"
	@echo "  make check-debug  a KASAN/lockdep/kmemleak/UBSAN kernel (out/build-debug) runs the"
	@echo "                    series' tests, the fuzz and a teardown test, each leg; fails on a splat"
	@echo "  make coverage     arch/x86/kvm with GCOV (out/build-gcov): which lines the series"
	@echo "                    adds were run by its tests, each leg; out/coverage/"
	@echo "  make boot         interactive shell in the built kernel under QEMU"
	@echo "  make source|tree|kernel|selftests   single steps"
	@echo "  make clean        remove out/ (caches in CACHE_DIR stay)"
	@echo "  make clean-tree   remove out/linux only (it is remade from the base)"
	@echo "scripts: rig/ (build, boot, report), series/ (the patches), check/ (make check);"
	@echo "         lib.sh shared by all; README.md 'Layout' says where everything else is"

deps:
	@$(S)/rig/deps.sh

source: deps
	@$(S)/rig/fetch-source.sh >/dev/null

tree: deps
	@$(S)/rig/prepare-tree.sh

kernel: tree
	@$(S)/rig/build-kernel.sh --rig $(OUT)/linux $(OUT)/build

qemu: deps
	@$(S)/rig/build-qemu.sh

guest: tree qemu
	@$(S)/rig/build-guest.sh

selftests: kernel qemu guest
	@$(S)/rig/build-selftests.sh $(OUT)/linux $(OUT)/build $(OUT)/kselftest

# Legs: svm (QEMU TCG) and vmx (Bochs); LEGS=svm runs one.
LEGS ?= svm vmx

run: selftests
	@rc=0; for l in $(LEGS); do $(S)/rig/run-leg.sh $$l check || rc=1; done; exit $$rc

check: deps
	@$(S)/check/check.sh

check-full: selftests
	@rc=0; for l in $(LEGS); do $(S)/rig/run-leg.sh $$l full || rc=1; done; exit $$rc

# On the unpatched kernel: out/linux is reset to the base for it.
baseline: deps
	@mkdir -p $(OUT) && : > $(OUT)/empty.series
	@SERIES=$(OUT)/empty.series $(MAKE) -s selftests
	@pids=; for l in $(LEGS); do $(S)/rig/record-baseline.sh $$l & pids="$$pids $$!"; done; \
	  rc=0; for p in $$pids; do wait $$p || rc=1; done; exit $$rc

apply: deps
	@$(S)/series/apply-series.sh "$(KSRC)"

series: tree
	@$(S)/series/make-series.sh

export:
	@$(S)/series/export-series.sh

QEMU_SERIES := TREE=$(OUT)/qemu SERIES=$(TOP)/qemu-glue/qemu/series
qemu-series: qemu
	@$(QEMU_SERIES) COVER=$(TOP)/qemu-glue/qemu/cover-letter.txt DEST=$(OUT)/qemu-series \
	  SUBJECT_PREFIX="RFC PATCH" \
	  $(S)/series/make-series.sh

qemu-export:
	@$(QEMU_SERIES) AREA=qemu-glue/qemu $(S)/series/export-series.sh

GUEST_SERIES = TREE=$(OUT)/linux-guest BASE=$$(git -C $(OUT)/linux rev-parse HEAD) \
	SERIES=$(TOP)/kernel/guest/series STATE=rig.guest
guest-export:
	@$(GUEST_SERIES) AREA=kernel/guest $(S)/series/export-series.sh

guest-series: guest
	@$(GUEST_SERIES) COVER=$(TOP)/kernel/guest/cover-letter.txt DEST=$(OUT)/guest-series \
	  SUBJECT_PREFIX="RFC PATCH" $(S)/series/make-series.sh

qemu-series-check: tree qemu
	@$(S)/check/run-tests.sh qemu-series $(S)/series/qemu-series-check.sh

guest-series-check: guest
	@$(S)/check/run-tests.sh guest-series $(S)/series/guest-series-check.sh

series-check: tree
	@$(S)/check/run-tests.sh series $(S)/series/series-check.sh

mutation-check: selftests
	@$(S)/check/run-tests.sh mutation $(S)/check/mutation-check.sh $(S)/check/qemu-mutation-check.sh

bench: selftests
	@$(S)/evidence/bench.sh $(ITERS) $(ROUNDS)

# Issue 13's evidence: long fuzz, debug kernel, coverage (not in make check).
fuzz: selftests
	@$(S)/evidence/fuzz.sh $(N) $(SEED)

check-debug: selftests
	@$(S)/evidence/check-debug.sh

coverage: selftests
	@$(S)/evidence/coverage.sh

l2-boots: selftests
	@$(S)/rig/l2-boots.sh $(N)

boot: selftests
	@$(S)/rig/boot.sh

static-checks: deps
	@$(S)/check/static-checks.sh

clean:
	rm -rf $(OUT)

clean-tree:
	rm -rf $(OUT)/linux

# Anything else is a mistake: say so, instead of make's terse message.
%:
	@echo "make: unknown target '$@' (targets: $(TARGETS))" >&2; exit 2
endif
