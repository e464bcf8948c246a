// SPDX-License-Identifier: GPL-2.0-only
/*
 * shm_vmm: a minimal standalone VMM that consumes KVM_EXIT_SHM_APPEND.
 *
 * It builds a 64-bit guest of a few instructions that asks, with
 * KVM_HC_SHM_APPEND, for a region named by a tag and placed by the VMM; the
 * VMM maps tags to backing objects by its own policy (here: a table of memfd
 * names), places the region in the window, backs it with a memfd memslot,
 * answers with its GPA, and checks that guest and host see the same bytes.
 * A second request with an unknown tag is refused with EOPNOTSUPP.  Prints
 * TAP; exit status 0 if everything held.
 *
 * Needs the kernel headers of a kernel with the series
 * (KVM_CAP_SHM_APPEND); build: gcc -O2 -static -I<usr/include> shm_vmm.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <asm/kvm_para.h>

#define RAM_SIZE	(2ul << 20)
#define CODE_GPA	0x1000ul
#define PML4_GPA	0x10000ul	/* then PDPT, PD: 1 GiB identity map */
#define WINDOW_GPA	(512ul << 20)
#define WINDOW_SIZE	(64ul << 20)
#define MAX_NPAGES	16
#define REGION_GPA	WINDOW_GPA
#define REGION_PAGES	4
#define TAG_KNOWN	0x1
#define TAG_UNKNOWN	0x99
#define HOST_WORD	0xfeedfacecafef00dul
#define GUEST_WORD	0x454d444552414853ul	/* "SHAREDME" */

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The guest: ask for REGION_PAGES with tag TAG_KNOWN, placed by the VMM
 * (a0 = 0); on success (a positive GPA) write GUEST_WORD at offset 0 of the
 * region and read offset 8 into r9; then ask for tag TAG_UNKNOWN (r10 =
 * result), and halt with the first result in r8.  VMCALL is patched to
 * VMMCALL by KVM on AMD (KVM_X86_QUIRK_FIX_HYPERCALL_INSN).
 */
extern const unsigned char guest_start[], guest_end[];
asm(".pushsection .rodata\n"
    "guest_start:\n\t"
    "mov $" STR(KVM_HC_SHM_APPEND) ", %eax\n\t"
    "xor %ebx, %ebx\n\t"
    "mov $" STR(REGION_PAGES) ", %ecx\n\t"
    "xor %edx, %edx\n\t"
    "mov $" STR(TAG_KNOWN) ", %esi\n\t"
    "vmcall\n\t"
    "mov %rax, %r8\n\t"
    "test %rax, %rax\n\t"
    "js 1f\n\t"
    "mov %rax, %rdi\n\t"
    "movabs $" STR(GUEST_WORD) ", %rax\n\t"
    "mov %rax, (%rdi)\n\t"
    "mov 8(%rdi), %r9\n"
    "1:\n\t"
    "mov $" STR(KVM_HC_SHM_APPEND) ", %eax\n\t"
    "xor %ebx, %ebx\n\t"
    "mov $1, %ecx\n\t"
    "xor %edx, %edx\n\t"
    "mov $" STR(TAG_UNKNOWN) ", %esi\n\t"
    "vmcall\n\t"
    "mov %rax, %r10\n\t"
    "hlt\n"
    "guest_end:\n"
    ".popsection");

static int failures, checks;

static void check(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++checks, what);
	if (!ok)
		failures++;
}

static void die(const char *what)
{
	fprintf(stderr, "shm_vmm: %s: %s\n", what, strerror(errno));
	printf("not ok - %s\n", what);
	exit(1);
}

/* The VMM's policy: which tags it serves, and the name of their backing. */
static const struct { uint64_t tag; const char *name; } backings[] = {
	{ TAG_KNOWN, "shm-append-log" },
};

struct backing {
	int fd;
	uint64_t size;
};

/*
 * Serve one KVM_EXIT_SHM_APPEND, placing the region at the next free GPA of
 * the window; returns the memfd, or -1 if refused.
 */
static int serve(int vm, struct kvm_run *run, int *slot, struct backing *b)
{
	static uint64_t next_gpa = REGION_GPA;
	struct kvm_exit_shm_append *e = &run->shm_append;
	struct kvm_userspace_memory_region region;
	const char *name = NULL;
	uint64_t word = HOST_WORD;
	unsigned int i;
	void *hva;
	int fd;

	printf("# KVM_EXIT_SHM_APPEND gpa 0x%llx size 0x%llx tag 0x%llx flags 0x%llx\n",
	       (unsigned long long)e->gpa, (unsigned long long)e->size,
	       (unsigned long long)e->tag, (unsigned long long)e->flags);
	check(e->ret == EOPNOTSUPP, "KVM pre-filled ret with EOPNOTSUPP");
	check(!e->granted_gpa && !e->reserved[0] && !e->reserved[1],
	      "answer and reserved fields are zero");
	check(!e->gpa, "the guest left the placement to the VMM");

	for (i = 0; i < sizeof(backings) / sizeof(backings[0]); i++)
		if (backings[i].tag == e->tag)
			name = backings[i].name;
	if (!name) {
		e->ret = EOPNOTSUPP;
		return -1;
	}

	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, e->size))
		die("memfd");
	if (pwrite(fd, &word, sizeof(word), 8) != sizeof(word))
		die("pwrite");
	hva = mmap(NULL, e->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (hva == MAP_FAILED)
		die("mmap");
	region = (struct kvm_userspace_memory_region){
		.slot = (*slot)++,
		.guest_phys_addr = next_gpa,
		.memory_size = e->size,
		.userspace_addr = (uintptr_t)hva,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");
	e->ret = 0;
	e->granted_gpa = next_gpa;
	next_gpa += e->size;
	b->fd = fd;
	b->size = e->size;
	return fd;
}

static void setup_long_mode(int vcpu, uint8_t *ram)
{
	uint64_t *pml4 = (void *)(ram + PML4_GPA);
	uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
	struct kvm_segment seg = {
		.base = 0, .limit = 0xffffffff, .present = 1, .s = 1, .g = 1,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2 };
	int i;

	pml4[0] = (PML4_GPA + 4096) | 3;
	pdpt[0] = (PML4_GPA + 8192) | 3;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* present, rw, 2 MiB */

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	seg.type = 0xb;		/* code: execute/read, accessed */
	seg.l = 1;
	seg.selector = 8;
	sregs.cs = seg;
	seg.type = 0x3;		/* data: read/write, accessed */
	seg.l = 0;
	seg.db = 1;
	seg.selector = 16;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = 1 << 5;				/* PAE */
	sregs.cr0 = 1 | (1 << 4) | (1u << 31);	/* PE, ET, PG */
	sregs.efer = (1 << 8) | (1 << 10);		/* LME, LMA */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
}

/* The host's CPUID, plus KVM_FEATURE_SHM_APPEND in the KVM leaf. */
static void setup_cpuid(int kvm, int vcpu)
{
	int n = 256;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) +
					  n * sizeof(struct kvm_cpuid_entry2));
	unsigned int i;

	cpuid->nent = n;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid))
		die("KVM_GET_SUPPORTED_CPUID");
	for (i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == KVM_CPUID_FEATURES)
			cpuid->entries[i].eax |= 1u << KVM_FEATURE_SHM_APPEND;
	if (ioctl(vcpu, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2");
	free(cpuid);
}

int main(void)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SHM_APPEND,
		.args = { 0, WINDOW_GPA, WINDOW_SIZE, MAX_NPAGES },
	};
	struct kvm_userspace_memory_region mem;
	struct backing b = { .fd = -1 }, spare;
	int kvm, vm, vcpu, slot = 1, r;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint64_t word = 0;
	uint8_t *ram;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");
	r = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SHM_APPEND);
	if (r <= 0) {
		printf("1..0 # SKIP KVM_CAP_SHM_APPEND not supported\n");
		return 4;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	if (ioctl(vm, KVM_ENABLE_CAP, &cap))
		die("KVM_ENABLE_CAP(KVM_CAP_SHM_APPEND)");

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap guest RAM");
	memcpy(ram + CODE_GPA, guest_start, guest_end - guest_start);
	mem = (struct kvm_userspace_memory_region){
		.slot = 0, .memory_size = RAM_SIZE,
		.userspace_addr = (uintptr_t)ram,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem))
		die("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	r = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, r, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	setup_cpuid(kvm, vcpu);
	setup_long_mode(vcpu, ram);

	/* The run loop: serve appends until the guest halts. */
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0))
			die("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_SHM_APPEND) {
			serve(vm, run, &slot, b.fd < 0 ? &b : &spare);
			continue;
		}
		break;
	}
	check(run->exit_reason == KVM_EXIT_HLT, "guest halted");
	if (ioctl(vcpu, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS");
	check(regs.r8 == REGION_GPA, "guest got the GPA the VMM chose");
	check(regs.r9 == HOST_WORD, "guest read the host's word through the region");
	check(regs.r10 == (uint64_t)-KVM_EOPNOTSUPP,
	      "guest got -KVM_EOPNOTSUPP for an unknown tag");
	check(b.fd >= 0 && b.size == REGION_PAGES * 4096ul &&
	      pread(b.fd, &word, sizeof(word), 0) == sizeof(word) &&
	      word == GUEST_WORD, "host read the guest's word through the memfd");
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
