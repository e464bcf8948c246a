// SPDX-License-Identifier: GPL-2.0-only
/*
 * shm_append_trace: the series' tracepoints, kvm:kvm_shm_append (a request
 * and KVM's verdict) and kvm:kvm_shm_append_complete (userspace's answer and
 * KVM's verdict), read back from tracefs and checked field by field against
 * the requests made and the answers given (issue 13).
 *
 * The guest makes the requests of the table below in order; each either is
 * refused inside KVM (one kvm_shm_append event with the error) or exits (a
 * kvm_shm_append event with "exit 0"), and then the VMM's answer makes one
 * kvm_shm_append_complete event: the tag and pages of the request, the answer
 * (ret, granted_gpa) and KVM_RUN's error (0 or -EINVAL). Nothing else may
 * appear in the buffer of this test's instance.
 *
 * Skips without tracefs or without the events (a kernel without tracing).
 * Built against the KVM selftests' library (scripts/rig/build-libkvm-prog.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asm/kvm_para.h>
#include <linux/kvm_para.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "shm_append_vm.h"

#define WINDOW_GPA	(4ull << 30)
#define WINDOW_SIZE	(16ull << 20)
#define MAX_NPAGES	8ull
#define SLOT		10

struct step {
	/* The request. */
	u64 gpa, npages, flags, tag;
	/* KVM's verdict on it: 0 (exit), else the KVM_E* error. */
	u64 error;
	/* The answer, if it exits, and KVM_RUN's verdict on it. */
	u64 ret, granted_gpa;
	int run_error;
};

static const struct step steps[] = {
	/* Refused inside KVM: no exit, one event. */
	{ 0, 0, 0, 0x1001, KVM_EINVAL },
	{ 0, MAX_NPAGES + 1, 0, 0x1002, KVM_E2BIG },
	{ 0, 1, 0x2, 0x1003, KVM_EINVAL },
	{ WINDOW_GPA - 4096, 1, 0, 0x1004, KVM_EINVAL },
	{ WINDOW_GPA + 1, 1, 0, 0x1005, KVM_EINVAL },
	/* Exits, answered. */
	{ 0, 2, KVM_SHM_APPEND_READONLY, 0x2001, 0, 0, WINDOW_GPA, 0 },
	{ WINDOW_GPA + 0x10000, 1, 0, 0x2002, 0, 0, WINDOW_GPA + 0x10000, 0 },
	{ 0, 3, 0, 0x2003, 0, EPERM, 0, 0 },
	{ 0, 1, 0, 0x2004, 0, EOPNOTSUPP, 0, 0 },
	/* Wrong answers: KVM_RUN fails with EINVAL. */
	{ 0, 1, 0, 0x3001, 0, 5, 0, -EINVAL },
	{ 0, 1, 0, 0x3002, 0, 0, WINDOW_GPA + 123, -EINVAL },
	{ 0, 1, 0, 0x3003, 0, EINVAL, WINDOW_GPA, -EINVAL },
	/* Refused inside KVM: overlaps the grant of 0x2001. */
	{ WINDOW_GPA, 1, 0, 0x4001, KVM_EINVAL },
};

#define NSTEPS	ARRAY_SIZE(steps)

static void guest_code(void)
{
	u64 i;

	for (i = 0; i < NSTEPS; i++)
		kvm_hypercall(KVM_HC_SHM_APPEND, steps[i].gpa, steps[i].npages,
			      steps[i].flags, steps[i].tag);
	GUEST_DONE();
}

static char tdir[256];

static void tfs_write(const char *file, const char *val)
{
	char path[512];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", tdir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	n = write(fd, val, strlen(val));
	TEST_ASSERT(n == (int)strlen(val), "write %s to %s: %s", val, path, strerror(errno));
	close(fd);
}

static void trace_teardown(void)
{
	tfs_write("tracing_on", "0");
	TEST_ASSERT(!rmdir(tdir), "rmdir %s: %s", tdir, strerror(errno));
	tdir[0] = 0;
}

/* On a failed assertion too: the instance never outlives the test. */
static void trace_remove(void)
{
	if (tdir[0])
		rmdir(tdir);
}

/* A tracefs instance of our own, so that nothing else writes into it. */
static void trace_setup(void)
{
	const char *root = "/sys/kernel/tracing";
	char path[512];
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st))
		mount("tracefs", root, "tracefs", 0, NULL);
	if (stat("/sys/kernel/tracing/events", &st))
		ksft_exit_skip("no tracefs at %s\n", root);
	snprintf(path, sizeof(path), "%s/events/kvm/kvm_shm_append", root);
	if (stat(path, &st))
		ksft_exit_skip("no event kvm:kvm_shm_append\n");
	snprintf(tdir, sizeof(tdir), "%s/instances/shm_append_trace.%d", root, getpid());
	TEST_ASSERT(!mkdir(tdir, 0700), "mkdir %s: %s", tdir, strerror(errno));
	atexit(trace_remove);
	/* This process's events only, in one order across CPUs. */
	snprintf(path, sizeof(path), "%d", getpid());
	tfs_write("set_event_pid", path);
	tfs_write("trace_clock", "global");
	tfs_write("events/kvm/kvm_shm_append/enable", "1");
	tfs_write("events/kvm/kvm_shm_append_complete/enable", "1");
	tfs_write("tracing_on", "1");
}

static char *trace_read(void)
{
	char path[512], *buf;
	size_t size = 1 << 20, len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", tdir);
	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s", path);
	buf = malloc(size + 1);
	while ((n = read(fd, buf + len, size - len)) > 0)
		len += n;
	buf[len] = 0;
	close(fd);
	return buf;
}

static void run(struct kvm_vcpu *vcpu)
{
	struct kvm_exit_shm_append *e = &vcpu->run->shm_append;
	unsigned int i;
	struct ucall uc;
	int r;

	for (i = 0; i < NSTEPS; i++) {
		if (steps[i].error)
			continue;
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_SHM_APPEND);
		TEST_ASSERT_EQ(e->tag, steps[i].tag);
		e->ret = steps[i].ret;
		e->granted_gpa = steps[i].granted_gpa;
		/* The next exit, or the wrong answer's EINVAL, comes from here. */
		if (!steps[i].run_error)
			continue;
		r = _vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EINVAL, "step %u: KVM_RUN %d errno %d", i, r, errno);
	}
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
}

/* The events in order; every field as the step says. */
static void check(char *buf)
{
	unsigned long long gpa, npages, flags, tag, err, ret, granted;
	unsigned int i = 0, lines = 0;
	char verdict[8], *line, *p;
	bool want_complete = false;
	int run_err;

	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		lines++;
		TEST_ASSERT(i < NSTEPS, "an event after the last step: %s", line);
		if (!want_complete) {
			p = strstr(line, "kvm_shm_append: ");
			TEST_ASSERT(p, "step %u: expected kvm_shm_append, got: %s", i, line);
			TEST_ASSERT(sscanf(p, "kvm_shm_append: gpa 0x%llx npages %llu flags 0x%llx tag 0x%llx %7s %llu",
					   &gpa, &npages, &flags, &tag, verdict, &err) == 6,
				    "step %u: cannot parse: %s", i, line);
			TEST_ASSERT(gpa == steps[i].gpa && npages == steps[i].npages &&
				    flags == steps[i].flags && tag == steps[i].tag &&
				    err == steps[i].error &&
				    !strcmp(verdict, steps[i].error ? "error" : "exit"),
				    "step %u: the request event has the wrong fields: %s", i, line);
			if (steps[i].error)
				i++;
			else
				want_complete = true;
			continue;
		}
		p = strstr(line, "kvm_shm_append_complete: ");
		TEST_ASSERT(p, "step %u: expected kvm_shm_append_complete, got: %s", i, line);
		TEST_ASSERT(sscanf(p, "kvm_shm_append_complete: tag 0x%llx npages %llu ret %llu granted_gpa 0x%llx error %d",
				   &tag, &npages, &ret, &granted, &run_err) == 5,
			    "step %u: cannot parse: %s", i, line);
		TEST_ASSERT(tag == steps[i].tag && npages == steps[i].npages &&
			    ret == steps[i].ret && granted == steps[i].granted_gpa &&
			    run_err == steps[i].run_error,
			    "step %u: the completion event has the wrong fields: %s", i, line);
		want_complete = false;
		i++;
	}
	TEST_ASSERT(i == NSTEPS && !want_complete, "%u events for %u of %zu steps", lines, i, NSTEPS);
	printf("# %u events, %zu requests: every field as made and answered\n", lines, NSTEPS);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char *buf;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_SHM_APPEND));
	trace_setup();

	vcpu = shm_append_vm(&vm, guest_code, WINDOW_GPA, WINDOW_SIZE, MAX_NPAGES, SLOT);

	run(vcpu);
	kvm_vm_free(vm);

	buf = trace_read();
	trace_teardown();
	check(buf);
	free(buf);
	return 0;
}
