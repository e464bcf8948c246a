// SPDX-License-Identifier: GPL-2.0-only
/*
 * shm_append_enomem: KVM runs out of memory recording a grant (issue 13,
 * coverage). api.rst: "If KVM runs out of memory for its record of the
 * grant, KVM_RUN fails with -ENOMEM and the guest gets -KVM_E2BIG."
 *
 * With fault injection (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS:
 * the gcov and debug kernels of `make coverage` and `make check-debug`),
 * /proc/thread-self/fail-nth makes the first slab allocation of the next
 * KVM_RUN fail: the grant's record. The VMM's valid answer must then fail
 * KVM_RUN with ENOMEM, the guest must get -KVM_E2BIG, the injected failure
 * must have been used, and nothing may stay recorded: the same range, asked
 * for under another tag, is granted; twice in a row. The grant's record is
 * KVM's only allocation for it (the interval tree's node is embedded).
 * Skips without fault injection.
 * Built against the KVM selftests' library (scripts/rig/build-libkvm-prog.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <asm/kvm_para.h>
#include <linux/kvm_para.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "shm_append_vm.h"

#define WINDOW_GPA	(4ull << 30)
#define WINDOW_SIZE	(2ull << 20)
#define SLOT		10

static u64 next_tag;

/* Ask for one page under the tag the host set, report the result; again. */
static void guest_code(void)
{
	for (;;)
		GUEST_SYNC(kvm_hypercall(KVM_HC_SHM_APPEND, 0, 1, 0, READ_ONCE(next_tag)));
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), n;

	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	n = write(fd, val, strlen(val));
	TEST_ASSERT(n == (int)strlen(val), "write '%s' to %s: %s", val, path, strerror(errno));
	close(fd);
}

static long read_fail_nth(int fd)
{
	char buf[32] = "";

	TEST_ASSERT(pread(fd, buf, sizeof(buf) - 1, 0) > 0, "read fail-nth");
	return strtol(buf, NULL, 10);
}

static const char *const fs = "/sys/kernel/debug/failslab";
static char saved[2][2][32];	/* name, old value */

static void save_setting(const char *name, const char *val)
{
	static int n;
	char path[256];
	int fd, len;

	snprintf(path, sizeof(path), "%s/%s", fs, name);
	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	len = read(fd, saved[n][1], sizeof(saved[n][1]) - 1);
	close(fd);
	TEST_ASSERT(len > 0, "read %s", path);
	saved[n][1][len] = 0;
	snprintf(saved[n][0], sizeof(saved[n][0]), "%s", name);
	n++;
	write_file(path, val);
}

static void restore_settings(void)
{
	char path[256];
	int i, fd;

	for (i = 0; i < 2 && saved[i][0][0]; i++) {
		snprintf(path, sizeof(path), "%s/%s", fs, saved[i][0]);
		fd = open(path, O_WRONLY);
		if (fd >= 0 && write(fd, saved[i][1], strlen(saved[i][1])) < 0)
			perror(path);
		if (fd >= 0)
			close(fd);
	}
}

/* Run to the guest's next request (tag @tag) and answer it with @gpa. */
static void request(struct kvm_vcpu *vcpu, u64 tag, u64 gpa)
{
	*(u64 *)addr_gva2hva(vcpu->vm, (gva_t)&next_tag) = tag;
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_SHM_APPEND);
	TEST_ASSERT_EQ(vcpu->run->shm_append.tag, tag);
	vcpu->run->shm_append.ret = 0;
	vcpu->run->shm_append.granted_gpa = gpa;
}

static u64 result(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	return uc.args[1];
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int round, r, nth;
	u64 gpa;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_SHM_APPEND));
	if (access(fs, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(fs, F_OK) || access("/proc/thread-self/fail-nth", F_OK))
		ksft_exit_skip("no slab fault injection (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)\n");
	/*
	 * Allocations that may sleep are exempt by default; the grant's is
	 * one. Quietly; both restored at exit.
	 */
	save_setting("ignore-gfp-wait", "N");
	save_setting("verbose", "0");
	atexit(restore_settings);

	/*
	 * Kept open: a close() between setting fail-nth and KVM_RUN may
	 * allocate (it did on the debug kernel) and take the injection.
	 */
	nth = open("/proc/thread-self/fail-nth", O_RDWR);
	TEST_ASSERT(nth >= 0, "open fail-nth: %s", strerror(errno));

	vcpu = shm_append_vm(&vm, guest_code, WINDOW_GPA, WINDOW_SIZE, 1, SLOT);

	for (round = 1; round <= 2; round++) {
		gpa = WINDOW_GPA + round * PAGE_SIZE;
		request(vcpu, 0x100 + round, gpa);
		TEST_ASSERT_EQ(pwrite(nth, "1", 1, 0), 1);
		r = __vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == ENOMEM,
			    "the grant's record failed: KVM_RUN returned %d (errno %d), expected ENOMEM",
			    r, errno);
		TEST_ASSERT_EQ(read_fail_nth(nth), 0);
		TEST_ASSERT_EQ(result(vcpu), (u64)-KVM_E2BIG);

		/* Nothing recorded: another tag gets the same range. */
		request(vcpu, 0x200 + round, gpa);
		TEST_ASSERT_EQ(result(vcpu), gpa);
		printf("# round %d: the grant's record failed: KVM_RUN ENOMEM, guest -KVM_E2BIG, nothing recorded\n",
		       round);
	}
	kvm_vm_free(vm);
	return 0;
}
