// SPDX-License-Identifier: GPL-2.0-only
/*
 * shm_append_teardown: a VMM that goes away while a KVM_HC_SHM_APPEND request
 * is pending, or while it holds grants, again and again (issue 13; run by
 * `make check-debug` on a KASAN/lockdep/kmemleak kernel, whose scan after it
 * must find nothing, and by `make check`).
 *
 * Each round, in a fresh VM with 1 to 3 vCPUs, every vCPU asks for a region
 * and the VMM grants some of them (one memslot per grant, or sub-ranges of
 * one memslot); then it ends in one of these ways, in turn:
 *   close    closes the vCPU and VM fds with the last request unanswered
 *   answer   answers the last request, then closes without running again
 *   revoke   deletes the memslots of the grants, then closes
 *   exit     a child process does the round and exits with the request
 *            pending (the kernel closes its fds)
 *   kill     a child is killed by SIGKILL inside KVM_RUN, holding a grant
 *            (its vCPU spins on requests refused inside KVM; the parent
 *            kills it only once the child says it is in KVM_RUN)
 *   -n ROUNDS (default 40)
 * Then a leak check kmemleak doesn't need (kmemleak did not report grants
 * left unfreed at VM destruction, planted as an experiment): the objects in
 * use in the kmalloc-* caches (/sys/kernel/slab, where the grants' records
 * go; each cache shrunk first) are counted before and after LEAK_VMS VMs
 * that each get LEAK_GRANTS grants and are destroyed holding them, and as
 * many whose grants are revoked first; half of those grants or more still
 * in use, beyond what as many VMs without grants leave, fails. Skipped
 * under KASAN, whose quarantine keeps freed objects in use for a while.
 * Built against the KVM selftests' library (scripts/rig/build-libkvm-prog.sh).
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asm/kvm_para.h>
#include <linux/kvm_para.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define WINDOW_GPA	(4ull << 30)
#define WINDOW_SIZE	(64ull << 20)
#define NPAGES		4ull
#define SLOT_BASE	10
#define MAX_VCPUS	3

enum end { END_CLOSE, END_ANSWER, END_REVOKE, END_EXIT, END_KILL, NR_ENDS };
static const char *const end_name[NR_ENDS] = { "close", "answer", "revoke", "exit", "kill" };

/*
 * Ask for regions until told to stop; or (spin) for one region, then
 * forever for none (refused inside KVM: no exit).
 */
static void guest_code(u64 id, u64 spin)
{
	u64 i;

	if (spin) {
		kvm_hypercall(KVM_HC_SHM_APPEND, 0, NPAGES, 0, id << 32);
		GUEST_SYNC(0);
		for (;;)
			kvm_hypercall(KVM_HC_SHM_APPEND, 0, 0, 0, id);
	}
	for (i = 0;; i++)
		kvm_hypercall(KVM_HC_SHM_APPEND, 0, NPAGES, 0, (id << 32) | i);
}

struct round {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	int nv;
	u8 *mem;
	u64 next_gpa;
	u32 next_slot;
	bool one_slot;
};

static void round_create(struct round *r, int nv, bool one_slot, bool spin)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SHM_APPEND,
		.args = { 0, WINDOW_GPA, WINDOW_SIZE, NPAGES },
	};
	int i;

	r->nv = nv;
	r->one_slot = one_slot;
	r->next_gpa = WINDOW_GPA;
	r->next_slot = SLOT_BASE + 1;
	r->vm = vm_create(nv);
	vm_ioctl(r->vm, KVM_ENABLE_CAP, &cap);
	for (i = 0; i < nv; i++) {
		r->vcpus[i] = vm_vcpu_add(r->vm, i, guest_code);
		vcpu_set_cpuid_feature(r->vcpus[i], X86_FEATURE_KVM_SHM_APPEND);
		vcpu_args_set(r->vcpus[i], 2, (u64)i + 1, (u64)spin);
	}
	r->mem = mmap(NULL, WINDOW_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(r->mem != MAP_FAILED, "mmap");
	if (one_slot)
		vm_set_user_memory_region(r->vm, SLOT_BASE, 0, WINDOW_GPA, WINDOW_SIZE, r->mem);
}

/* Run to the vCPU's next request and check it. */
static struct kvm_exit_shm_append *next_request(struct kvm_vcpu *vcpu)
{
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_SHM_APPEND);
	TEST_ASSERT_EQ(vcpu->run->shm_append.size, NPAGES * PAGE_SIZE);
	TEST_ASSERT_EQ(vcpu->run->shm_append.tag >> 32, vcpu->id + 1);
	return &vcpu->run->shm_append;
}

static void grant(struct round *r, struct kvm_exit_shm_append *e)
{
	u64 gpa = r->next_gpa;

	if (!r->one_slot)
		vm_set_user_memory_region(r->vm, r->next_slot++, 0, gpa, NPAGES * PAGE_SIZE,
					  r->mem + (gpa - WINDOW_GPA));
	r->next_gpa += NPAGES * PAGE_SIZE;
	e->ret = 0;
	e->granted_gpa = gpa;
}

/* Every vCPU: @grants requests granted, then one more left pending. */
static void round_requests(struct round *r, int grants)
{
	struct kvm_exit_shm_append *e;
	int i, g;

	for (i = 0; i < r->nv; i++) {
		e = next_request(r->vcpus[i]);
		for (g = 0; g < grants; g++) {
			grant(r, e);
			e = next_request(r->vcpus[i]);
		}
	}
}

static void round_free(struct round *r)
{
	kvm_vm_free(r->vm);
	munmap(r->mem, WINDOW_SIZE);
}

/* Set by a killed child once its vCPU is about to spin inside KVM_RUN. */
static volatile u64 *in_run;

static void round_child(enum end end, int nv, bool one_slot, int grants)
{
	struct round r;

	if (end == END_KILL) {
		struct ucall uc;

		round_create(&r, nv, one_slot, true);
		grant(&r, next_request(r.vcpus[0]));
		/* The guest saw its grant: KVM recorded it. */
		vcpu_run(r.vcpus[0]);
		TEST_ASSERT_EQ(get_ucall(r.vcpus[0], &uc), UCALL_SYNC);
		*in_run = 1;
		vcpu_run(r.vcpus[0]);
		TEST_FAIL("KVM_RUN returned while the guest spins without exits");
	}
	round_create(&r, nv, one_slot, false);
	round_requests(&r, grants);
	_exit(0);
}

static void round_run(int n)
{
	enum end end = n % NR_ENDS;
	int nv = 1 + n % MAX_VCPUS, grants = (n / NR_ENDS) % 3, status, k;
	bool one_slot = n & 1;
	struct round r;
	pid_t pid;

	if (end == END_EXIT || end == END_KILL) {
		*in_run = 0;
		pid = fork();
		TEST_ASSERT(pid >= 0, "fork");
		if (!pid)
			round_child(end, nv, one_slot, grants);
		if (end == END_KILL) {
			/* Kill it inside KVM_RUN, not while it sets up. */
			for (k = 0; !*in_run && k < 60000; k++)
				usleep(1000);
			TEST_ASSERT(*in_run, "round %d: the child never reached KVM_RUN", n);
			usleep(20000);
			kill(pid, SIGKILL);
		}
		TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
		TEST_ASSERT(end == END_KILL ? WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL
					    : WIFEXITED(status) && !WEXITSTATUS(status),
			    "round %d (%s): child status %x", n, end_name[end], status);
		return;
	}
	round_create(&r, nv, one_slot, false);
	round_requests(&r, grants);
	if (end == END_ANSWER)
		grant(&r, &r.vcpus[0]->run->shm_append);
	if (end == END_REVOKE) {
		if (one_slot)
			vm_set_user_memory_region(r.vm, SLOT_BASE, 0, WINDOW_GPA, 0, r.mem);
		for (k = SLOT_BASE + 1; k < (int)r.next_slot; k++)
			vm_set_user_memory_region(r.vm, k, 0, 0, 0, NULL);
	}
	round_free(&r);
}

#define LEAK_VMS	4
#define LEAK_GRANTS	1000

/*
 * Objects in use in the kmalloc-* caches, each shrunk first (so that freed
 * objects cached per CPU count less), or -1 without slab sysfs.
 */
static long kmalloc_objects(void)
{
	char path[300], buf[64];
	struct dirent *d;
	long sum = 0;
	DIR *dir;
	FILE *f;

	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "kmalloc-", 8))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", d->d_name);
		f = fopen(path, "w");
		if (f) {
			fputs("1", f);
			fclose(f);
		}
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/objects", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f))
			sum += atol(buf);
		fclose(f);
	}
	closedir(dir);
	return sum;
}

/*
 * The growth of kmalloc objects in use over LEAK_VMS VMs given @grants
 * grants each, destroyed holding them, or (@revoke) after deleting the
 * memslot that backs them.
 */
static long leak_growth(int grants, bool revoke)
{
	long before = kmalloc_objects();
	struct round r;
	int v;

	for (v = 0; v < LEAK_VMS; v++) {
		round_create(&r, 1, true, false);
		round_requests(&r, grants);
		if (revoke)
			vm_set_user_memory_region(r.vm, SLOT_BASE, 0, WINDOW_GPA, 0, r.mem);
		round_free(&r);
	}
	return kmalloc_objects() - before;
}

static bool kasan(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " kasan_quarantine_put") != NULL;
	if (f)
		fclose(f);
	return found;
}

/*
 * LEAK_VMS VMs destroyed holding LEAK_GRANTS grants each, and as many whose
 * grants were revoked first: are the grants freed? Measured against the
 * same VMs with no grant (what VMs leave behind for a while).
 */
static void leak_check(void)
{
	long control, held, revoked, objects = kmalloc_objects();

	if (objects <= 0 || kasan()) {
		printf("# leak check skipped: %s\n", objects < 0 ? "no /sys/kernel/slab" :
		       !objects ? "no object counts (CONFIG_SLUB_DEBUG)" :
		       "KASAN's quarantine keeps freed objects in use");
		return;
	}
	control = leak_growth(0, false);
	held = leak_growth(LEAK_GRANTS, false);
	revoked = leak_growth(LEAK_GRANTS, true);
	printf("# leak check: kmalloc objects in use grew by %ld (%d VMs, no grant), %ld (%d grants each, held at destruction), %ld (revoked first)\n",
	       control, LEAK_VMS, held, LEAK_GRANTS, revoked);
	TEST_ASSERT(held - control < LEAK_VMS * LEAK_GRANTS / 2 &&
		    revoked - control < LEAK_VMS * LEAK_GRANTS / 2,
		    "%ld/%ld more kmalloc objects in use than without grants after %d VMs with %d grants each: leaked grants?",
		    held - control, revoked - control, LEAK_VMS, LEAK_GRANTS);
}

int main(int argc, char *argv[])
{
	int rounds = 40, n, opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		switch (opt) {
		case 'n': rounds = atoi(optarg); break;
		default:
			printf("usage: %s [-n ROUNDS]\n", argv[0]);
			exit(KSFT_FAIL);
		}
	}
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_SHM_APPEND));
	in_run = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(in_run != MAP_FAILED, "mmap");
	for (n = 0; n < rounds; n++)
		round_run(n);
	leak_check();
	printf("# %d rounds (close, answer, revoke, exit, kill in turn), 1-%d vCPUs, 0-2 grants each\n",
	       rounds, MAX_VCPUS);
	return 0;
}
