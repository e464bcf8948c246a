// SPDX-License-Identifier: GPL-2.0
/*
 * kvmshm-tool: ask a KVM host for shared memory regions through
 * /dev/kvmshm (the guest series' driver, kernel/guest/) and use them.
 *
 *   kvmshm-tool request TAG SIZE [ro]   print "id=N gpa=0x.. size=N offset=0x.."
 *   kvmshm-tool list                    one such line per region held
 *   kvmshm-tool dump ID OFF LEN         write LEN bytes at OFF to stdout
 *   kvmshm-tool write ID OFF STRING     write STRING's bytes at OFF
 *   kvmshm-tool wait ID OFF PREFIX SECS wait until the bytes at OFF start
 *                                       with PREFIX, then print the line
 *                                       there (up to a NUL or newline)
 *   kvmshm-tool memtype ID              the PAT memory type of a mapping of
 *                                       the region (from debugfs)
 *
 * On failure it prints "error: ENAME (message)" and exits 1; usage
 * errors exit 2.  Numbers may be decimal or 0x-prefixed hex.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvmshm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
	static const struct { int e; const char *n; } t[] = {
		{ EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" }, { EPERM, "EPERM" },
		{ ENXIO, "ENXIO" }, { ENODEV, "ENODEV" }, { EIO, "EIO" },
		{ EPROTO, "EPROTO" }, { EEXIST, "EEXIST" }, { ENOENT, "ENOENT" },
		{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { ENOTTY, "ENOTTY" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	return "E?";
}

static int fail(const char *what)
{
	int e = errno;

	printf("error: %s (%s: %s)\n", errname(e), what, strerror(e));
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: kvmshm-tool request TAG SIZE [ro] | list | dump ID OFF LEN |\n"
			"       write ID OFF STRING | wait ID OFF PREFIX SECS | memtype ID\n");
	return 2;
}

static int num(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && !*end;
}

static void print_region(const struct kvmshm_region *r)
{
	printf("id=%u tag=%llu gpa=%#llx size=%llu offset=%#llx%s\n", r->id,
	       (unsigned long long)r->tag, (unsigned long long)r->gpa,
	       (unsigned long long)r->size, (unsigned long long)r->offset,
	       r->flags & KVMSHM_READONLY ? " ro" : "");
}

static int find(int fd, unsigned long long id, struct kvmshm_region *out)
{
	struct kvmshm_region rs[256];
	struct kvmshm_list l = { .nr = 256, .regions = (uintptr_t)rs };
	uint32_t i;

	if (ioctl(fd, KVMSHM_LIST, &l))
		return -1;
	for (i = 0; i < l.nr && i < 256; i++) {
		if (rs[i].id == id) {
			*out = rs[i];
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

/* Map region ID whole; *r gets its entry. */
static char *map(int fd, const char *ids, int prot, struct kvmshm_region *r)
{
	unsigned long long id;
	void *p;

	if (!num(ids, &id) || find(fd, id, r))
		return NULL;
	if (r->flags & KVMSHM_READONLY)
		prot &= ~PROT_WRITE;
	p = mmap(NULL, r->size, prot, MAP_SHARED, fd, r->offset);
	return p == MAP_FAILED ? NULL : p;
}

int main(int argc, char **argv)
{
	struct kvmshm_region r;
	unsigned long long a, b;
	char *p;
	int fd;

	if (argc < 2)
		return usage();
	fd = open("/dev/kvmshm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("open /dev/kvmshm");

	if (!strcmp(argv[1], "request") && (argc == 4 || (argc == 5 && !strcmp(argv[4], "ro")))) {
		memset(&r, 0, sizeof(r));
		if (!num(argv[2], &r.tag) || !num(argv[3], &r.size))
			return usage();
		r.flags = argc == 5 ? KVMSHM_READONLY : 0;
		if (ioctl(fd, KVMSHM_REQUEST, &r))
			return fail("KVMSHM_REQUEST");
		print_region(&r);
		return 0;
	}
	if (!strcmp(argv[1], "list") && argc == 2) {
		struct kvmshm_region rs[256];
		struct kvmshm_list l = { .nr = 256, .regions = (uintptr_t)rs };
		uint32_t i;

		if (ioctl(fd, KVMSHM_LIST, &l))
			return fail("KVMSHM_LIST");
		for (i = 0; i < l.nr && i < 256; i++)
			print_region(&rs[i]);
		return 0;
	}
	if (!strcmp(argv[1], "dump") && argc == 5) {
		if (!num(argv[3], &a) || !num(argv[4], &b))
			return usage();
		p = map(fd, argv[2], PROT_READ, &r);
		if (!p)
			return fail("map");
		if (a > r.size || b > r.size - a) {
			errno = EINVAL;
			return fail("range");
		}
		return fwrite(p + a, 1, b, stdout) == b ? 0 : fail("write");
	}
	if (!strcmp(argv[1], "write") && argc == 5) {
		size_t n = strlen(argv[4]) + 1;	/* with its NUL */

		if (!num(argv[3], &a))
			return usage();
		p = map(fd, argv[2], PROT_READ | PROT_WRITE, &r);
		if (!p)
			return fail("map");
		if (a > r.size || n > r.size - a) {
			errno = EINVAL;
			return fail("range");
		}
		memcpy(p + a, argv[4], n);
		return 0;
	}
	if (!strcmp(argv[1], "wait") && argc == 6) {
		size_t n = strlen(argv[4]);
		time_t end;

		if (!num(argv[3], &a) || !num(argv[5], &b))
			return usage();
		p = map(fd, argv[2], PROT_READ, &r);
		if (!p)
			return fail("map");
		if (a > r.size || n >= r.size - a) {
			errno = EINVAL;
			return fail("range");
		}
		end = time(NULL) + b;
		while (memcmp((const char *)p + a, argv[4], n)) {
			if (time(NULL) > end) {
				errno = ETIMEDOUT;
				return fail("wait");
			}
			usleep(10000);
		}
		printf("%.*s\n", (int)strcspn(p + a, "\n"), p + a);
		return 0;
	}
	if (!strcmp(argv[1], "memtype") && argc == 3) {
		char line[256], want[64];
		FILE *f;

		p = map(fd, argv[2], PROT_READ, &r);
		if (!p)
			return fail("map");
		f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
		if (!f)
			return fail("open pat_memtype_list");
		snprintf(want, sizeof(want), "[mem 0x%016llx-0x%016llx]",
			 (unsigned long long)r.gpa, (unsigned long long)(r.gpa + r.size));
		while (fgets(line, sizeof(line), f)) {
			if (strstr(line, want)) {
				fputs(line, stdout);
				return 0;
			}
		}
		errno = ENOENT;
		return fail(want);
	}
	return usage();
}
