// SPDX-License-Identifier: GPL-2.0-only
/*
 * shm_append_bench: what a KVM_EXIT_SHM_APPEND round trip costs, next to
 * the exits it is measured against (issue 13; `make bench`). A benchmark,
 * not a test: it prints figures and fails only if KVM misbehaves.
 *
 * Round trips, each a guest loop of ITERS operations, after a warm-up, in
 * ROUNDS interleaved rounds (the median is reported):
 *   io        OUT to a port no in-kernel device has: KVM_EXIT_IO
 *   hypercall KVM_HC_MAP_GPA_RANGE with KVM_CAP_EXIT_HYPERCALL:
 *             KVM_EXIT_HYPERCALL, answered 0
 *   shm       KVM_HC_SHM_APPEND for a tag already granted:
 *             KVM_EXIT_SHM_APPEND, answered with the same GPA (the
 *             recovery rule: checked by KVM, no new memslot)
 *   refused   KVM_HC_SHM_APPEND refused inside KVM (0 pages): no exit
 * Full appends (exit, backing, memslot, answer, KVM's check, next exit),
 * one new tag each:
 *   append    as regions accumulate, 1 to NREGIONS (capped by the memslot
 *             limit), each region its own memslot ("memslot") or a
 *             sub-range of one memslot over the whole window ("window");
 *             the mean of each bucket of NREGIONS/30 appends
 *   size      a 4 KiB region against a 1 GiB one (own memslot each)
 *   vcpus     appends per second with 1, 2 and 4 vCPUs appending at once
 * Output: "# ..." comments and TSV lines:
 *   roundtrip<TAB>KIND<TAB>ns, append<TAB>WAY<TAB>REGIONS<TAB>ns,
 *   size<TAB>4k|1g<TAB>ns, vcpus<TAB>N<TAB>appends/s
 *   shm_append_bench [ITERS [ROUNDS [NREGIONS]]]
 * Built against the KVM selftests' library (scripts/rig/build-libkvm-prog.sh).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define WINDOW_GPA	(4ull << 30)
#define WINDOW_SIZE	(64ull << 20)
#define REGION_PAGES	1
#define REGION_SLOT	10
#define TAG		0x42
#define IO_PORT		0x80

enum kind { K_IO, K_HYPERCALL, K_SHM, K_REFUSED, NR_KINDS };
static const char *const kind_name[NR_KINDS] = { "io", "hypercall", "shm", "refused" };

static void guest_op(enum kind k)
{
	switch (k) {
	case K_IO:
		asm volatile("outb %%al, %0" : : "i"(IO_PORT), "a"(0));
		break;
	case K_HYPERCALL:
		GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_MAP_GPA_RANGE, WINDOW_GPA, 1,
					      KVM_MAP_GPA_RANGE_PAGE_SZ_4K, 0), 0);
		break;
	case K_SHM:
		GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_SHM_APPEND, 0, REGION_PAGES, 0, TAG),
				WINDOW_GPA);
		break;
	case K_REFUSED:
		GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_SHM_APPEND, 0, 0, 0, TAG),
				(u64)-KVM_EINVAL);
		break;
	default:
		GUEST_FAIL("kind %d", k);
	}
}

/* Per batch: a sync, ITERS operations, a sync; forever. */
static void guest_code(u64 kind, u64 iters)
{
	u64 i;

	for (;;) {
		GUEST_SYNC(0);
		for (i = 0; i < iters; i++)
			guest_op(kind);
		GUEST_SYNC(1);
	}
}

/* Ask for N new regions, tags FIRST..FIRST+N-1, placed by the VMM. */
static void guest_accum(u64 first, u64 n, u64 npages)
{
	u64 i, gpa;

	for (i = 0; i < n; i++) {
		gpa = kvm_hypercall(KVM_HC_SHM_APPEND, 0, npages, 0, first + i);
		GUEST_ASSERT((s64)gpa >= (s64)WINDOW_GPA);
	}
	GUEST_DONE();
}

struct bench {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	void *region;
};

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Answer the exits the operations make; return at the next sync. */
static u64 run_to_sync(struct bench *b)
{
	struct kvm_run *run = b->vcpu->run;
	struct ucall uc;

	for (;;) {
		vcpu_run(b->vcpu);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.port == IO_PORT)
				continue;
			switch (get_ucall(b->vcpu, &uc)) {
			case UCALL_SYNC:
				return uc.args[1];
			case UCALL_ABORT:
				REPORT_GUEST_ASSERT(uc);
			default:
				TEST_FAIL("unexpected ucall %lu", uc.cmd);
			}
		case KVM_EXIT_HYPERCALL:
			run->hypercall.ret = 0;
			continue;
		case KVM_EXIT_SHM_APPEND:
			run->shm_append.ret = 0;
			run->shm_append.granted_gpa = WINDOW_GPA;
			continue;
		default:
			TEST_FAIL("unexpected exit %s", exit_reason_str(run->exit_reason));
		}
	}
}

static void bench_create(struct bench *b, enum kind k, u64 iters)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SHM_APPEND,
		.args = { 0, WINDOW_GPA, WINDOW_SIZE, REGION_PAGES },
	};
	int fd;

	/* The cap before any vCPU exists. */
	b->vm = vm_create(1);
	vm_ioctl(b->vm, KVM_ENABLE_CAP, &cap);
	b->vcpu = vm_vcpu_add(b->vm, 0, guest_code);
	if (k == K_HYPERCALL)
		vm_enable_cap(b->vm, KVM_CAP_EXIT_HYPERCALL, BIT(KVM_HC_MAP_GPA_RANGE));
	/* The region every shm request gets (back), shared memory. */
	fd = memfd_create("shm_append_bench", MFD_CLOEXEC);
	TEST_ASSERT(fd >= 0 && !ftruncate(fd, REGION_PAGES * PAGE_SIZE), "memfd");
	b->region = mmap(NULL, REGION_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
	TEST_ASSERT(b->region != MAP_FAILED, "mmap");
	vm_set_user_memory_region(b->vm, REGION_SLOT, 0, WINDOW_GPA,
				  REGION_PAGES * PAGE_SIZE, b->region);
	vcpu_args_set(b->vcpu, 2, k, iters);
	TEST_ASSERT_EQ(run_to_sync(b), 0);
	/* Warm-up: one batch. */
	TEST_ASSERT_EQ(run_to_sync(b), 1);
	TEST_ASSERT_EQ(run_to_sync(b), 0);
}

/* One batch: ns per operation. */
static double bench_batch(struct bench *b, u64 iters)
{
	u64 t0 = now_ns();

	TEST_ASSERT_EQ(run_to_sync(b), 1);
	t0 = now_ns() - t0;
	TEST_ASSERT_EQ(run_to_sync(b), 0);
	return (double)t0 / iters;
}

static int cmp_double(const void *a, const void *b);

#define BIG_WINDOW	(4ull << 30)

struct accum {
	struct kvm_vm *vm;
	int fd;			/* backing of every region */
	u8 *hva;		/* its mapping, BIG_WINDOW */
	u64 next_gpa;		/* placement, under lock */
	u32 next_slot;
	bool one_slot;		/* a memslot over the window, sub-ranges granted */
	pthread_mutex_t lock;
};

static struct kvm_vm *accum_vm(struct accum *a, int nr_vcpus, struct kvm_vcpu **vcpus,
			       u64 npages, u64 window, bool one_slot)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SHM_APPEND,
		.args = { 0, WINDOW_GPA, window, npages },
	};
	int i;

	a->vm = vm_create(nr_vcpus);
	vm_ioctl(a->vm, KVM_ENABLE_CAP, &cap);
	for (i = 0; i < nr_vcpus; i++)
		vcpus[i] = vm_vcpu_add(a->vm, i, guest_accum);
	a->fd = memfd_create("shm_append_bench", MFD_CLOEXEC);
	TEST_ASSERT(a->fd >= 0 && !ftruncate(a->fd, window), "memfd");
	a->hva = mmap(NULL, window, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, a->fd, 0);
	TEST_ASSERT(a->hva != MAP_FAILED, "mmap");
	a->next_gpa = WINDOW_GPA;
	a->next_slot = REGION_SLOT;
	a->one_slot = one_slot;
	pthread_mutex_init(&a->lock, NULL);
	if (one_slot)
		vm_set_user_memory_region(a->vm, REGION_SLOT, 0, WINDOW_GPA, window, a->hva);
	return a->vm;
}

static void accum_free(struct accum *a, u64 window)
{
	kvm_vm_free(a->vm);
	munmap(a->hva, window);
	close(a->fd);
}

/* Serve one exit: place, back, answer. */
static void accum_serve(struct accum *a, struct kvm_exit_shm_append *e)
{
	u64 gpa;

	pthread_mutex_lock(&a->lock);
	gpa = a->next_gpa;
	a->next_gpa += e->size;
	if (!a->one_slot)
		vm_set_user_memory_region(a->vm, a->next_slot++, 0, gpa, e->size,
					  a->hva + (gpa - WINDOW_GPA));
	pthread_mutex_unlock(&a->lock);
	e->ret = 0;
	e->granted_gpa = gpa;
}

/*
 * Run a vCPU's N appends; with T, T[i] is the time from exit i to exit
 * i + 1 (the whole append of region i + 1 but the guest's loop).
 */
static void accum_run(struct accum *a, struct kvm_vcpu *vcpu, u64 n, u64 *t)
{
	struct ucall uc;
	u64 i = 0, prev = 0;

	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_IO) {
			switch (get_ucall(vcpu, &uc)) {
			case UCALL_DONE:
				TEST_ASSERT_EQ(i, n);
				return;
			case UCALL_ABORT:
				REPORT_GUEST_ASSERT(uc);
			default:
				TEST_FAIL("unexpected ucall %lu", uc.cmd);
			}
		}
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_SHM_APPEND);
		if (t) {
			u64 now = now_ns();

			if (i)
				t[i - 1] = now - prev;
			prev = now;
		}
		accum_serve(a, &vcpu->run->shm_append);
		i++;
	}
}

/* append: cost of the i-th full append as regions accumulate, both ways. */
static void bench_accumulate(u64 n)
{
	u64 window = (n + 1) * PAGE_SIZE, *t, i, b, bucket = n / 30 ? n / 30 : 1;
	struct kvm_vcpu *vcpu;
	struct accum a;
	int way;

	window = (window + (1ull << 20) - 1) & ~((1ull << 20) - 1);
	t = calloc(n, sizeof(*t));
	TEST_ASSERT(t, "calloc");
	printf("# append: %lu regions of 4 KiB, one at a time; mean of each %lu\n", n, bucket);
	for (way = 0; way < 2; way++) {
		accum_vm(&a, 1, &vcpu, 1, window, way);
		vcpu_args_set(vcpu, 3, 1, n, 1);
		accum_run(&a, vcpu, n, t);
		for (b = 0; b + bucket <= n - 1; b += bucket) {
			double sum = 0;

			for (i = b; i < b + bucket; i++)
				sum += t[i];
			printf("append\t%s\t%lu\t%.0f\n", way ? "window" : "memslot",
			       b + bucket, sum / bucket);
		}
		accum_free(&a, window);
	}
	free(t);
}

/* size: one full append of a 4 KiB region against a 1 GiB one. */
static void bench_size(int rounds)
{
	static const u64 sizes[2] = { 1, (1ull << 30) / 4096 };
	double ns[2][64];
	struct kvm_vcpu *vcpu;
	struct accum a;
	u64 t[1];
	int r, k;

	for (r = 0; r < rounds; r++) {
		/* Alternate the order: a VM's teardown can tax the next one. */
		for (int o = 0; o < 2; o++) {
			k = o ^ (r & 1);
			/* Two appends: the second's cost is measured. */
			accum_vm(&a, 1, &vcpu, sizes[k], 2 * BIG_WINDOW / 4, false);
			vcpu_args_set(vcpu, 3, 1, 2, sizes[k]);
			accum_run(&a, vcpu, 2, t);
			ns[k][r] = t[0];
			accum_free(&a, 2 * BIG_WINDOW / 4);
		}
	}
	for (k = 0; k < 2; k++) {
		qsort(ns[k], rounds, sizeof(ns[k][0]), cmp_double);
		printf("size\t%s\t%.0f\n", k ? "1g" : "4k", ns[k][rounds / 2]);
	}
}

struct vcpu_job {
	struct accum *a;
	struct kvm_vcpu *vcpu;
	u64 n;
};

static void *vcpu_job(void *arg)
{
	struct vcpu_job *j = arg;

	accum_run(j->a, j->vcpu, j->n, NULL);
	return NULL;
}

/* vcpus: appends per second with V vCPUs appending at once. */
static void bench_vcpus(u64 n)
{
	static const int nr[3] = { 1, 2, 4 };
	u64 window, t0;
	int v, i;

	for (v = 0; v < 3; v++) {
		struct kvm_vcpu *vcpus[4];
		struct vcpu_job jobs[4];
		pthread_t th[4];
		struct accum a;

		window = ((n * nr[v] + 1) * PAGE_SIZE + (1ull << 20) - 1) & ~((1ull << 20) - 1);
		accum_vm(&a, nr[v], vcpus, 1, window, false);
		for (i = 0; i < nr[v]; i++) {
			vcpu_args_set(vcpus[i], 3, 1 + i * n, n, 1);
			jobs[i] = (struct vcpu_job){ &a, vcpus[i], n };
		}
		t0 = now_ns();
		for (i = 0; i < nr[v]; i++)
			pthread_create(&th[i], NULL, vcpu_job, &jobs[i]);
		for (i = 0; i < nr[v]; i++)
			pthread_join(th[i], NULL);
		t0 = now_ns() - t0;
		printf("vcpus\t%d\t%.0f\n", nr[v], nr[v] * n * 1e9 / t0);
		accum_free(&a, window);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char *argv[])
{
	u64 iters = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	u64 nregions = argc > 3 ? strtoull(argv[3], NULL, 0) : 30000;
	u64 slots = kvm_check_cap(KVM_CAP_NR_MEMSLOTS);
	struct bench b[NR_KINDS];
	double ns[NR_KINDS][64], med[NR_KINDS];
	int k, r;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_SHM_APPEND));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_EXIT_HYPERCALL) & BIT(KVM_HC_MAP_GPA_RANGE));
	TEST_ASSERT(iters > 0 && rounds > 0 && rounds <= 64, "ITERS > 0, 0 < ROUNDS <= 64");

	/* The first shm request creates the grant; the rest recover it. */
	for (k = 0; k < NR_KINDS; k++)
		bench_create(&b[k], k, iters);
	for (r = 0; r < rounds; r++)
		for (k = 0; k < NR_KINDS; k++)
			ns[k][r] = bench_batch(&b[k], iters);

	printf("# round trips: %lu operations a batch, median of %d interleaved batches\n",
	       iters, rounds);
	for (k = 0; k < NR_KINDS; k++) {
		qsort(ns[k], rounds, sizeof(ns[k][0]), cmp_double);
		med[k] = ns[k][rounds / 2];
		printf("roundtrip\t%s\t%.0f\n", kind_name[k], med[k]);
	}
	printf("# ratio shm/hypercall %.3f (target <= 1.02), shm/io %.3f\n",
	       med[K_SHM] / med[K_HYPERCALL], med[K_SHM] / med[K_IO]);
	for (k = 0; k < NR_KINDS; k++)
		kvm_vm_free(b[k].vm);

	/* Leave room for the selftest library's own memslots. */
	if (nregions > slots - REGION_SLOT - 1) {
		printf("# %lu regions capped at %lu (KVM_CAP_NR_MEMSLOTS %lu)\n",
		       nregions, slots - REGION_SLOT - 1, slots);
		nregions = slots - REGION_SLOT - 1;
	}
	bench_accumulate(nregions);
	printf("# size: one full append, median of %d\n", rounds);
	bench_size(rounds);
	printf("# vcpus: %lu full appends per vCPU (own memslot each)\n", iters / 4);
	bench_vcpus(iters / 4);
	return 0;
}
