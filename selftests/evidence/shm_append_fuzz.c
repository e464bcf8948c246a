// SPDX-License-Identifier: GPL-2.0-only
/*
 * shm_append_fuzz: random and edge-case KVM_HC_SHM_APPEND requests, answered
 * at random with every kind of answer, every guest-visible result and every
 * exit checked against a model of the documented rules (issue 13; `make
 * fuzz`, and a short run in `make check`).
 *
 * The model (struct model and model_*() below) is written from
 * Documentation/virt/kvm/api.rst (KVM_EXIT_SHM_APPEND, KVM_CAP_SHM_APPEND)
 * and Documentation/virt/kvm/x86/hypercalls.rst (KVM_HC_SHM_APPEND), not
 * from KVM's code: where the documents list several errors for one request
 * without an order, the model accepts any of those that apply.
 *
 * Layout, per epoch (a fresh VM: 1 to 4 vCPUs, with or without private
 * memory, a random per-request page limit): the guest's MAXPHYADDR is 36
 * (lower than the host's, so that the window can cross it); TOP = 2^36.
 * The window is [TOP - 4 * 12 MiB, TOP + 16 MiB): four 12 MiB partitions
 * below TOP, each [hole 1M][priv 1M][ro 2M][rw 8M], and 16 MiB above TOP
 * backed by a memslot the guest can't reach. Each vCPU owns a partition;
 * every request or answer that could be valid lies in the partition of the
 * vCPU that makes or answers it (the generator retries otherwise), so the
 * outcome of a seed does not depend on how the vCPU threads interleave.
 * Meanwhile a thread churns an unrelated memslot (created, deleted) and, in
 * VMs with private memory, the attributes of unrelated memory.
 *
 * Per batch of BATCH requests a vCPU runs: the host writes the requests into
 * guest memory; the guest makes them one by one (noting the index first),
 * reads the first word of each region it gets (the host wrote a value
 * derived from the tag there when it granted it) and, if writable, writes a
 * value derived from the tag into its last word; then GUEST_SYNC. The host
 * answers each exit, checks that the exit is the one the model predicts (the
 * guest's index), and at the sync checks every result and both words.
 * Between batches a vCPU may delete and re-create the memslots of its
 * partition or move one away and back (KVM must drop the grants they
 * backed), or toggle dirty logging (a flags-only change: grants stay); and
 * now and then the VMM deletes a backing memslot just before it answers.
 *
 *   shm_append_fuzz [-n REQUESTS] [-s SEED] [-v MAX_VCPUS]
 * prints the seed first and on failure, and figures at the end:
 *   "# fuzz: requests N exits N grants N recovered N bad-answers N ..."
 * Built against the KVM selftests' library (scripts/rig/build-libkvm-prog.sh).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <asm/kvm_para.h>
#include <linux/kvm_para.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define MAXPHY		36
#define TOP		(1ull << MAXPHY)
#define NPART		4
#define PART_SIZE	(12ull << 20)
#define HOLE_OFF	0ull
#define PRIV_OFF	(1ull << 20)
#define RO_OFF		(2ull << 20)
#define RW_OFF		(4ull << 20)
#define WSTART		(TOP - NPART * PART_SIZE)
#define ABOVE_SIZE	(16ull << 20)
#define CHURN_GPA	(TOP - (1ull << 30))
#define CHURN_SIZE	(2ull << 20)

#define SLOT_PART(p, k)	(10 + 3 * (p) + (k))	/* k: 0 priv, 1 ro, 2 rw */
#define SLOT_ABOVE	30
#define SLOT_CHURN	31

#define MAX_VCPUS	4
#define BATCH		64
#define MAX_GRANTS	4096

/* Guest-visible: the requests of the current batch and their results. */
struct greq {
	u64 gpa, npages, flags, tag;
};

struct gres {
	u64 ret, read;
};

static struct greq reqs[MAX_VCPUS][BATCH];
static struct gres res[MAX_VCPUS][BATCH];
static u64 nreq[MAX_VCPUS];
static u64 cur[MAX_VCPUS];

/* What the host writes into a granted region, what the guest writes. */
static u64 host_word(u64 tag)
{
	return (tag * 0x9e3779b97f4a7c15ull) ^ 0x686f7374ull;
}

static u64 guest_word(u64 tag)
{
	return (tag * 0xc2b2ae3d27d4eb4full) ^ 0x67756573ull;
}

static void guest_code(u64 v)
{
	u64 i, n, ret, *p;
	struct greq r;

	for (;;) {
		n = READ_ONCE(nreq[v]);
		for (i = 0; i < n; i++) {
			r = READ_ONCE(reqs[v][i]);
			WRITE_ONCE(cur[v], i);
			ret = kvm_hypercall(KVM_HC_SHM_APPEND, r.gpa, r.npages,
					    r.flags, r.tag);
			res[v][i].ret = ret;
			res[v][i].read = 0;
			/* Touch only what the guest maps: the partitions. */
			if (ret < WSTART || ret >= TOP || r.npages > PART_SIZE / PAGE_SIZE ||
			    ret + r.npages * PAGE_SIZE > TOP)
				continue;
			p = (u64 *)ret;
			res[v][i].read = READ_ONCE(p[0]);
			if (!(r.flags & KVM_SHM_APPEND_READONLY))
				WRITE_ONCE(p[r.npages * PAGE_SIZE / 8 - 1], guest_word(r.tag));
		}
		GUEST_SYNC(v);
	}
}

static u64 seed;
static int epoch;

#define FUZZ_ASSERT(cond, fmt, ...)						\
	TEST_ASSERT(cond, "seed %lu epoch %d vcpu %d: " fmt			\
		    "\n  reproduce: shm_append_fuzz -s %lu -n %lu -v %d",	\
		    seed, epoch, f->v, ##__VA_ARGS__, seed, target, max_vcpus)

static u64 target = 20000;
static int max_vcpus = MAX_VCPUS;

/* splitmix64: one stream per (seed, epoch, vCPU), independent of threads. */
static u64 rnd(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static u64 below(u64 *s, u64 n)
{
	return n ? rnd(s) % n : 0;
}

static bool chance(u64 *s, int percent)
{
	return below(s, 100) < (u64)percent;
}

/* ---- The model: the documented rules, for one vCPU's partition. ---- */

struct grant {
	u64 gpa, npages, tag;
};

struct model {
	bool private_mem;	/* the VM has private memory: priv is private */
	u64 max_npages;		/* KVM_CAP_SHM_APPEND args[3] */
	u64 wend;		/* window end: TOP + ABOVE_SIZE, or TOP */
	u64 part;		/* the partition's base GPA */
	bool rw_gone;		/* its rw memslot is deleted (for one answer) */
	struct grant grants[MAX_GRANTS];
	int nr_grants;
};

typedef unsigned __int128 u128;

/* [a, a_end) and [b, b_end) overlap. */
static bool overlaps(u128 a, u128 a_end, u128 b, u128 b_end)
{
	return a < b_end && b < a_end;
}

/* True if some page of [gpa, end) is private (documented: attributes). */
static bool model_private(struct model *m, u128 gpa, u128 end)
{
	return m->private_mem &&
	       overlaps(gpa, end, m->part + PRIV_OFF, m->part + RO_OFF);
}

/*
 * The grant the range overlaps, if any (grants never overlap each other, so
 * there is at most one that isn't this exact range... or none).
 */
static struct grant *model_overlap(struct model *m, u128 gpa, u128 end)
{
	int i;

	for (i = 0; i < m->nr_grants; i++) {
		struct grant *g = &m->grants[i];

		if (overlaps(gpa, end, g->gpa, g->gpa + g->npages * PAGE_SIZE))
			return g;
	}
	return NULL;
}

/* "overlaps no region granted before, other than the same region with the same tag" */
static bool model_conflict(struct model *m, u128 gpa, u64 npages, u64 tag)
{
	struct grant *g = model_overlap(m, gpa, gpa + (u128)npages * PAGE_SIZE);

	return g && !(g->gpa == gpa && g->npages == npages && g->tag == tag);
}

/* Inside the window and below the guest's MAXPHYADDR. */
static bool model_in_bounds(struct model *m, u128 gpa, u128 end)
{
	return gpa >= WSTART && end <= m->wend && end <= TOP;
}

/* A set of KVM_E* errors, as bits. */
static u32 E(u64 err)
{
	switch (err) {
	case KVM_EINVAL: return 1;
	case KVM_E2BIG: return 2;
	case KVM_EPERM: return 4;
	case KVM_EOPNOTSUPP: return 8;
	default: return 16;
	}
}

/*
 * The errors hypercalls.rst gives for a request; 0 means a well-formed
 * request, which must exit to userspace.
 */
static u32 model_request(struct model *m, const struct greq *q)
{
	u128 end = q->gpa + (u128)q->npages * PAGE_SIZE;
	u32 errs = 0;

	if ((q->flags & ~(u64)KVM_SHM_APPEND_READONLY) || !q->npages)
		errs |= E(KVM_EINVAL);
	if (q->npages > m->max_npages)
		errs |= E(KVM_E2BIG);
	if (q->gpa && ((q->gpa & (PAGE_SIZE - 1)) || !model_in_bounds(m, q->gpa, end) ||
		       model_private(m, q->gpa, end) ||
		       model_conflict(m, q->gpa, q->npages, q->tag)))
		errs |= E(KVM_EINVAL);
	return errs;
}

/* Which memory backs [gpa, gpa + PAGE_SIZE) in the partition (or not). */
enum backing { B_NONE, B_RW, B_RO };

static enum backing model_backing(struct model *m, u128 gpa)
{
	if (gpa >= m->part + PRIV_OFF && gpa < m->part + RO_OFF)
		return B_RW;
	if (gpa >= m->part + RO_OFF && gpa < m->part + RW_OFF)
		return B_RO;
	if (gpa >= m->part + RW_OFF && gpa < m->part + PART_SIZE)
		return m->rw_gone ? B_NONE : B_RW;
	if (gpa >= TOP && gpa < TOP + ABOVE_SIZE && m->wend > TOP)
		return B_RW;
	return B_NONE;
}

enum verdict { V_OK, V_BAD };

/*
 * api.rst's conditions for ret = 0; also what the guest sees: the GPA on
 * success, and KVM_RUN's -EINVAL with -KVM_EINVAL for the guest otherwise.
 */
static enum verdict model_answer(struct model *m, const struct greq *q,
				 const struct kvm_exit_shm_append *a, u64 *guest_ret,
				 bool *is_new)
{
	u128 gpa = a->granted_gpa, end, p;

	*guest_ret = -(u64)KVM_EINVAL;
	*is_new = false;
	if (a->reserved[0] || a->reserved[1])
		return V_BAD;
	if (a->ret) {
		if (a->granted_gpa)
			return V_BAD;
		switch (a->ret) {
		case EINVAL: *guest_ret = -(u64)KVM_EINVAL; return V_OK;
		case E2BIG: *guest_ret = -(u64)KVM_E2BIG; return V_OK;
		case EPERM: *guest_ret = -(u64)KVM_EPERM; return V_OK;
		case EOPNOTSUPP: *guest_ret = -(u64)KVM_EOPNOTSUPP; return V_OK;
		default: return V_BAD;
		}
	}
	end = gpa + (u128)q->npages * PAGE_SIZE;
	if ((q->gpa && gpa != q->gpa) || (gpa & (PAGE_SIZE - 1)) ||
	    !model_in_bounds(m, gpa, end) || model_private(m, gpa, end) ||
	    model_conflict(m, gpa, q->npages, q->tag))
		return V_BAD;
	for (p = gpa; p < end; p += PAGE_SIZE) {
		enum backing b = model_backing(m, p);

		if (b == B_NONE || (b == B_RO && !(q->flags & KVM_SHM_APPEND_READONLY)))
			return V_BAD;
	}
	*guest_ret = (u64)gpa;
	if (!model_overlap(m, gpa, end)) {
		TEST_ASSERT(m->nr_grants < MAX_GRANTS, "model: too many grants");
		m->grants[m->nr_grants++] = (struct grant){ (u64)gpa, q->npages, q->tag };
		*is_new = true;
	}
	return V_OK;
}

/* A memslot of [base, base + size) was deleted: so are the grants it backed. */
static int model_revoke(struct model *m, u64 base, u64 size)
{
	int i, n = 0;

	for (i = 0; i < m->nr_grants; ) {
		struct grant *g = &m->grants[i];

		if (overlaps(g->gpa, g->gpa + g->npages * PAGE_SIZE, base, base + size)) {
			*g = m->grants[--m->nr_grants];
			n++;
		} else {
			i++;
		}
	}
	return n;
}

/* ---- The VMM: a vCPU's thread. ---- */

struct part_mem {
	int fd;
	u8 *hva;
	u64 gpa, size;
	u32 slot, flags;
};

struct stats {
	u64 requests, exits, refused, grants, recovered, answered_err,
	    bad_answers, ignored, scribbled, resets, moves, dirty_toggles,
	    deleted_before_answer, revoked, errs[4];
};

struct fuzzer {
	int v;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	u64 rng;
	struct model m;
	struct part_mem mem[3];	/* priv, ro, rw */
	u64 tags;		/* new tags made */
	u64 todo;		/* requests left to make */
	u64 changes;		/* memslot changes made (reset_part) */
	struct stats st;
	/* Per batch: what the model predicts for each request. */
	u32 errs[BATCH];	/* no exit: one of these */
	u64 expect[BATCH];	/* exit: this result */
	bool exited[BATCH];
	bool done[BATCH];
	bool revoked[BATCH];	/* its region revoked later in the batch */
};

static u8 *part_hva(struct fuzzer *f, u64 gpa)
{
	int k;

	for (k = 0; k < 3; k++)
		if (gpa >= f->mem[k].gpa && gpa < f->mem[k].gpa + f->mem[k].size)
			return f->mem[k].hva + (gpa - f->mem[k].gpa);
	return NULL;
}

static void set_slot(struct kvm_vm *vm, struct part_mem *pm, bool present)
{
	vm_set_user_memory_region(vm, pm->slot, present ? pm->flags : 0, pm->gpa,
				  present ? pm->size : 0, pm->hva);
}

static void part_create(struct fuzzer *f)
{
	static const u64 off[3] = { PRIV_OFF, RO_OFF, RW_OFF };
	static const u64 size[3] = { RO_OFF - PRIV_OFF, RW_OFF - RO_OFF, PART_SIZE - RW_OFF };
	int k;

	for (k = 0; k < 3; k++) {
		struct part_mem *pm = &f->mem[k];

		pm->gpa = f->m.part + off[k];
		pm->size = size[k];
		pm->slot = SLOT_PART((f->m.part - WSTART) / PART_SIZE, k);
		pm->flags = k == 1 ? KVM_MEM_READONLY : 0;
		pm->fd = memfd_create("shm_append_fuzz", MFD_CLOEXEC);
		TEST_ASSERT(pm->fd >= 0 && !ftruncate(pm->fd, pm->size), "memfd");
		pm->hva = mmap(NULL, pm->size, PROT_READ | PROT_WRITE, MAP_SHARED, pm->fd, 0);
		TEST_ASSERT(pm->hva != MAP_FAILED, "mmap");
		set_slot(f->vm, pm, true);
	}
	if (f->m.private_mem)
		vm_mem_set_private(f->vm, f->m.part + PRIV_OFF, RO_OFF - PRIV_OFF);
}

static void part_destroy(struct fuzzer *f)
{
	int k;

	for (k = 0; k < 3; k++) {
		munmap(f->mem[k].hva, f->mem[k].size);
		close(f->mem[k].fd);
	}
}

/* A free, page-aligned range of @npages in [lo, hi) of the partition, or 0. */
static u64 find_free(struct fuzzer *f, u64 lo, u64 hi, u64 npages)
{
	u64 size = npages * PAGE_SIZE, gpa, tries;

	if (!npages || size > hi - lo)
		return 0;
	for (tries = 0; tries < 16; tries++) {
		gpa = lo + below(&f->rng, (hi - lo - size) / PAGE_SIZE + 1) * PAGE_SIZE;
		if (!model_overlap(&f->m, gpa, gpa + size))
			return gpa;
	}
	return 0;
}

static struct grant *some_grant(struct fuzzer *f)
{
	return f->m.nr_grants ? &f->m.grants[below(&f->rng, f->m.nr_grants)] : NULL;
}

/*
 * True if [gpa, gpa + npages pages) could be valid (aligned, in the window
 * below TOP) but is not inside this vCPU's partition: another vCPU's
 * business, which would make the outcome depend on thread timing.
 */
static bool foreign(struct fuzzer *f, u64 gpa, u64 npages)
{
	u128 end = gpa + (u128)npages * PAGE_SIZE;

	if (!gpa || (gpa & (PAGE_SIZE - 1)) || !npages || gpa < WSTART || end > TOP)
		return false;
	return gpa < f->m.part || end > f->m.part + PART_SIZE;
}

static u64 pick_npages(struct fuzzer *f)
{
	static const u64 huge[] = { 1ull << 40, 1ull << 52, 1ull << 63, ~0ull, 1ull << 24 };
	u64 max = f->m.max_npages, r = below(&f->rng, 100);

	if (r < 70)
		return 1 + below(&f->rng, max < 16 ? max : 16);
	if (r < 82)
		return 1 + below(&f->rng, max);
	if (r < 88)
		return max;
	if (r < 92)
		return max + 1;
	if (r < 95)
		return 0;
	return huge[below(&f->rng, ARRAY_SIZE(huge))];
}

static u64 pick_gpa(struct fuzzer *f, u64 npages)
{
	u64 part = f->m.part, r = below(&f->rng, 100), rw_any;
	const u64 edges[] = {
		WSTART - PAGE_SIZE, WSTART, TOP - PAGE_SIZE, TOP, f->m.wend - PAGE_SIZE,
		f->m.wend, part, part + PART_SIZE - PAGE_SIZE, part + PART_SIZE,
		part + RO_OFF - PAGE_SIZE, part + RW_OFF - PAGE_SIZE, part + PRIV_OFF - PAGE_SIZE,
		part + RW_OFF - npages * PAGE_SIZE, part + PART_SIZE - npages * PAGE_SIZE,
	};

	rw_any = part + RW_OFF + below(&f->rng, (PART_SIZE - RW_OFF) / PAGE_SIZE) * PAGE_SIZE;
	if (r < 35)
		return 0;
	if (r < 55)
		return rw_any;
	if (r < 60)
		return part + RO_OFF + below(&f->rng, (RW_OFF - RO_OFF) / PAGE_SIZE) * PAGE_SIZE;
	if (r < 64)
		return part + PRIV_OFF + below(&f->rng, 256) * PAGE_SIZE;
	if (r < 66)
		return part + HOLE_OFF + below(&f->rng, 256) * PAGE_SIZE;
	if (r < 76) {
		struct grant *g = some_grant(f);

		return g ? g->gpa + (chance(&f->rng, 70) ? 0 : below(&f->rng, g->npages) * PAGE_SIZE)
			 : rw_any;
	}
	if (r < 86)
		return edges[below(&f->rng, ARRAY_SIZE(edges))];
	switch (below(&f->rng, 9)) {
	case 0: return rw_any + 1 + below(&f->rng, PAGE_SIZE - 1);	/* unaligned */
	case 1: return 1ull << 63;
	case 2: return ~0ull;
	case 3: return ~0ull & ~(PAGE_SIZE - 1);			/* wraps */
	case 4: return rw_any | (1ull << 51);				/* a TD's shared bit */
	case 5: return rw_any | (1ull << 47);
	case 6: return rw_any | TOP;					/* MAXPHYADDR bit */
	case 7: return PAGE_SIZE;
	default: return rnd(&f->rng);
	}
}

static void make_request(struct fuzzer *f, struct greq *q)
{
	static const u64 bad_flags[] = { 2, 3, 1ull << 63, 0x80 };
	struct grant *g;
	u64 r;

	do {
		q->npages = pick_npages(f);
		q->gpa = pick_gpa(f, q->npages);
		r = below(&f->rng, 100);
		q->flags = r < 75 ? 0 : r < 93 ? KVM_SHM_APPEND_READONLY :
			   bad_flags[below(&f->rng, ARRAY_SIZE(bad_flags))];
		r = below(&f->rng, 100);
		g = r < 20 ? some_grant(f) : NULL;
		if (g) {
			/* Ask again for a region granted before: recovery. */
			q->tag = g->tag;
			q->npages = chance(&f->rng, 85) ? g->npages : pick_npages(f);
			q->gpa = chance(&f->rng, 50) ? 0 : g->gpa;
		} else if (r < 28) {
			q->tag = r < 24 ? 0 : ~0ull;
		} else {
			q->tag = rnd(&f->rng) | 1;
			f->tags++;
		}
	} while (foreign(f, q->gpa, q->npages));
}

/* Choose the VMM's answer to exit @q; no valid-looking answer is foreign. */
static void make_answer(struct fuzzer *f, const struct greq *q, struct kvm_exit_shm_append *e)
{
	static const u64 errs[] = { EINVAL, E2BIG, EPERM, EOPNOTSUPP };
	u64 part = f->m.part, n = q->npages, r, gpa = 0;
	bool ro = q->flags & KVM_SHM_APPEND_READONLY;
	struct grant *g;
	int tries = 0;

again:
	r = below(&f->rng, 100);
	if (r < 6) {
		/* Ignore the exit: the pre-filled EOPNOTSUPP refuses. */
		f->st.ignored++;
		return;
	}
	if (r < 16) {
		e->ret = errs[below(&f->rng, ARRAY_SIZE(errs))];
		if (chance(&f->rng, 15))
			e->granted_gpa = part + RW_OFF;		/* an error with a GPA */
		return;
	}
	if (r < 20) {
		/* An errno KVM doesn't accept. */
		do
			e->ret = chance(&f->rng, 80) ? 1 + below(&f->rng, 200) : rnd(&f->rng);
		while (e->ret == EINVAL || e->ret == E2BIG || e->ret == EPERM || e->ret == EOPNOTSUPP);
		return;
	}
	e->ret = 0;
	if (q->gpa) {
		/* The guest's placement, or (rarely) another address. */
		gpa = chance(&f->rng, 90) ? q->gpa : q->gpa + PAGE_SIZE * (1 + below(&f->rng, 2));
	} else if (r < 62) {
		/* A correct answer: a free range of the right backing. */
		gpa = ro && chance(&f->rng, 50) ? find_free(f, part + RO_OFF, part + RW_OFF, n)
						  : find_free(f, part + RW_OFF, part + PART_SIZE, n);
		if (!gpa)
			gpa = find_free(f, part + RW_OFF, part + PART_SIZE, n);
		if (!gpa) {
			e->ret = E2BIG;			/* the VMM is out of room */
			return;
		}
	} else if (r < 70 && (g = some_grant(f))) {
		gpa = g->gpa;				/* recovery, or an overlap */
	} else {
		switch (below(&f->rng, 11)) {
		case 0: gpa = part + RW_OFF + 8 * below(&f->rng, 512); break;	/* unaligned */
		case 1: gpa = part + RO_OFF + below(&f->rng, 512) * PAGE_SIZE; break;
		case 2: gpa = part + PRIV_OFF + below(&f->rng, 256) * PAGE_SIZE; break;
		case 3: gpa = part + HOLE_OFF + below(&f->rng, 256) * PAGE_SIZE; break;
		/* Across a boundary: partial backing. */
		case 4: gpa = part + RW_OFF - PAGE_SIZE * (1 + below(&f->rng, n)); break;
		case 5: gpa = part + RO_OFF - PAGE_SIZE * (1 + below(&f->rng, n)); break;
		case 6: gpa = part + PRIV_OFF - PAGE_SIZE * (1 + below(&f->rng, n)); break;
		/* Outside the window, above MAXPHYADDR, GPA 0. */
		case 7: gpa = WSTART - n * PAGE_SIZE; break;
		case 8: gpa = TOP + below(&f->rng, 64) * PAGE_SIZE; break;
		case 9: gpa = f->m.wend - PAGE_SIZE; break;
		default: gpa = 0; break;
		}
	}
	if (foreign(f, gpa, n) && ++tries < 8)
		goto again;
	if (foreign(f, gpa, n))
		gpa = WSTART - PAGE_SIZE;
	e->granted_gpa = gpa;
	if (chance(&f->rng, 3))
		e->reserved[below(&f->rng, 2)] = 1 + below(&f->rng, 3);
}

static void check_exit(struct fuzzer *f, int i, const struct greq *q)
{
	struct kvm_exit_shm_append *e = &f->vcpu->run->shm_append;

	FUZZ_ASSERT(e->flags == (q->flags & KVM_SHM_APPEND_READONLY ?
				 KVM_SHM_APPEND_FLAG_READONLY : 0) &&
		    e->gpa == q->gpa && e->size == q->npages * PAGE_SIZE &&
		    e->tag == q->tag && e->ret == EOPNOTSUPP && !e->granted_gpa &&
		    !e->reserved[0] && !e->reserved[1],
		    "request %d: exit flags %llx gpa %llx size %llx tag %llx ret %llu granted %llx reserved %llx %llx; asked gpa %lx npages %lx flags %lx tag %lx",
		    i, e->flags, e->gpa, e->size, e->tag, e->ret, e->granted_gpa,
		    e->reserved[0], e->reserved[1], q->gpa, q->npages, q->flags, q->tag);
}

/* Requests [from, to) made no exit: the model must agree. */
static void no_exits(struct fuzzer *f, const struct greq *q, int from, int to)
{
	int i;

	for (i = from; i < to; i++) {
		f->errs[i] = model_request(&f->m, &q[i]);
		FUZZ_ASSERT(f->errs[i], "request %d (gpa %lx npages %lx flags %lx tag %lx) made no exit; the model expects one",
			    i, q[i].gpa, q[i].npages, q[i].flags, q[i].tag);
		f->done[i] = true;
		f->st.refused++;
	}
}

static void answer_exit(struct fuzzer *f, int i, const struct greq *batch, bool *bad)
{
	struct kvm_exit_shm_append *e = &f->vcpu->run->shm_append;
	const struct greq *q = &batch[i];
	enum verdict verdict;
	bool is_new;
	u8 *hva;
	int j;

	f->errs[i] = model_request(&f->m, q);
	FUZZ_ASSERT(!f->errs[i], "request %d (gpa %lx npages %lx flags %lx tag %lx) exited; the model expects errors %x",
		    i, q->gpa, q->npages, q->flags, q->tag, f->errs[i]);
	check_exit(f, i, q);
	f->exited[i] = f->done[i] = true;
	f->st.exits++;

	make_answer(f, q, e);
	/* The VMM deletes a backing memslot before answering: its grants go. */
	if (chance(&f->rng, 2)) {
		set_slot(f->vm, &f->mem[2], false);
		f->st.revoked += model_revoke(&f->m, f->mem[2].gpa, f->mem[2].size);
		f->m.rw_gone = true;
		f->st.deleted_before_answer++;
		/* Regions granted there earlier in the batch may be reused. */
		for (j = 0; j < i; j++)
			if (f->exited[j] && (s64)f->expect[j] > 0 &&
			    overlaps(f->expect[j], f->expect[j] + batch[j].npages * PAGE_SIZE,
				     f->mem[2].gpa, f->mem[2].gpa + f->mem[2].size))
				f->revoked[j] = true;
	}
	verdict = model_answer(&f->m, q, e, &f->expect[i], &is_new);
	*bad = verdict == V_BAD;
	if (*bad) {
		f->st.bad_answers++;
	} else if (e->ret) {
		f->st.answered_err++;
	} else {
		f->st.grants += is_new;
		f->st.recovered += !is_new;
		/*
		 * The host's word, for the guest to read; the last word
		 * cleared, so that only this grant's guest write can fill it.
		 */
		hva = part_hva(f, e->granted_gpa);
		FUZZ_ASSERT(hva, "granted %llx outside the partition", e->granted_gpa);
		WRITE_ONCE(*(u64 *)hva, host_word(q->tag));
		if (!(q->flags & KVM_SHM_APPEND_READONLY))
			WRITE_ONCE(*(u64 *)part_hva(f, e->granted_gpa + q->npages * PAGE_SIZE - 8), 0);
	}
	/* KVM uses its own copy of the request: scribbles are ignored. */
	if (chance(&f->rng, 10)) {
		e->gpa = rnd(&f->rng);
		e->size = rnd(&f->rng);
		e->tag = rnd(&f->rng);
		e->flags = rnd(&f->rng);
		f->st.scribbled++;
	}
}

static int err_index(u64 err)
{
	return err == KVM_EINVAL ? 0 : err == KVM_E2BIG ? 1 : err == KVM_EPERM ? 2 : 3;
}

/* The batch is over: every result, and both words of every region. */
static void check_results(struct fuzzer *f, const struct greq *q, int n)
{
	struct gres *r = addr_gva2hva(f->vm, (gva_t)&res[f->v][0]);
	u64 ret, last;
	int i;

	for (i = 0; i < n; i++) {
		ret = r[i].ret;
		if (!f->exited[i]) {
			FUZZ_ASSERT((s64)ret < 0 && (f->errs[i] & E(-ret)),
				    "request %d (gpa %lx npages %lx flags %lx tag %lx): the guest got %lx, the model allows errors %x",
				    i, q[i].gpa, q[i].npages, q[i].flags, q[i].tag, ret, f->errs[i]);
			f->st.errs[err_index(-ret)]++;
			continue;
		}
		FUZZ_ASSERT(ret == f->expect[i],
			    "request %d (gpa %lx npages %lx flags %lx tag %lx): the guest got %lx, the model expects %lx",
			    i, q[i].gpa, q[i].npages, q[i].flags, q[i].tag, ret, f->expect[i]);
		if ((s64)ret < 0)
			continue;
		FUZZ_ASSERT(r[i].read == host_word(q[i].tag),
			    "request %d: the guest read %lx at %lx, the host wrote %lx",
			    i, r[i].read, ret, host_word(q[i].tag));
		if ((q[i].flags & KVM_SHM_APPEND_READONLY) || f->revoked[i])
			continue;
		last = READ_ONCE(*(u64 *)part_hva(f, ret + q[i].npages * PAGE_SIZE - 8));
		FUZZ_ASSERT(last == guest_word(q[i].tag),
			    "request %d: the host read %lx at the end of %lx, the guest wrote %lx",
			    i, last, ret, guest_word(q[i].tag));
	}
}

static void run_batch(struct fuzzer *f, int n)
{
	struct greq *gq = addr_gva2hva(f->vm, (gva_t)&reqs[f->v][0]);
	u64 *gcur = addr_gva2hva(f->vm, (gva_t)&cur[f->v]);
	struct greq q[BATCH];
	int i, next = 0, rc;
	bool pending = false, bad = false;
	struct ucall uc;

	for (i = 0; i < n; i++) {
		make_request(f, &q[i]);
		gq[i] = q[i];
		f->exited[i] = f->done[i] = f->revoked[i] = false;
	}
	*(u64 *)addr_gva2hva(f->vm, (gva_t)&nreq[f->v]) = n;
	f->st.requests += n;

	for (;;) {
		rc = _vcpu_run(f->vcpu);
		if (f->m.rw_gone) {
			set_slot(f->vm, &f->mem[2], true);
			f->m.rw_gone = false;
		}
		if (pending && bad) {
			FUZZ_ASSERT(rc == -1 && errno == EINVAL,
				    "request %d: a wrong answer (ret %llu granted %llx reserved %llx %llx): KVM_RUN returned %d errno %d, expected EINVAL",
				    next - 1, f->vcpu->run->shm_append.ret,
				    f->vcpu->run->shm_append.granted_gpa,
				    f->vcpu->run->shm_append.reserved[0],
				    f->vcpu->run->shm_append.reserved[1], rc, errno);
			pending = bad = false;
			continue;
		}
		FUZZ_ASSERT(!rc, "KVM_RUN returned %d errno %d%s", rc, errno,
			    pending ? " after a valid answer" : "");
		pending = false;
		switch (f->vcpu->run->exit_reason) {
		case KVM_EXIT_SHM_APPEND:
			i = READ_ONCE(*gcur);
			FUZZ_ASSERT(i >= next && i < n, "exit for request %d, expected %d or later", i, next);
			no_exits(f, q, next, i);
			answer_exit(f, i, q, &bad);
			next = i + 1;
			pending = true;
			break;
		case KVM_EXIT_IO:
			switch (get_ucall(f->vcpu, &uc)) {
			case UCALL_SYNC:
				no_exits(f, q, next, n);
				check_results(f, q, n);
				return;
			case UCALL_ABORT:
				REPORT_GUEST_ASSERT(uc);
			default:
				FUZZ_ASSERT(0, "ucall %lu", uc.cmd);
			}
			break;
		default:
			FUZZ_ASSERT(0, "exit %s", exit_reason_str(f->vcpu->run->exit_reason));
		}
	}
}

/* Where the partition's ro memslot goes while moved: outside the window. */
static u64 move_gpa(struct fuzzer *f)
{
	return TOP - (2ull << 30) + (f->m.part - WSTART) / PART_SIZE * (16ull << 20);
}

/*
 * Between batches, change the partition's memslots: delete and re-create
 * some (their grants are gone), move the ro one away and back (a move
 * revokes too), or turn dirty logging on and off on the rw one (a flags-only
 * change, which revokes nothing).
 */
static void reset_part(struct fuzzer *f)
{
	struct part_mem *ro = &f->mem[1], *rw = &f->mem[2];
	int k, which;

	/* In turn, so that even a short run makes each kind. */
	switch (f->changes++ % 4) {
	case 0:
		vm_set_user_memory_region(f->vm, ro->slot, ro->flags, move_gpa(f), ro->size, ro->hva);
		f->st.revoked += model_revoke(&f->m, ro->gpa, ro->size);
		set_slot(f->vm, ro, true);
		f->st.moves++;
		return;
	case 1:
		vm_set_user_memory_region(f->vm, rw->slot, KVM_MEM_LOG_DIRTY_PAGES, rw->gpa,
					  rw->size, rw->hva);
		set_slot(f->vm, rw, true);
		f->st.dirty_toggles++;
		return;
	}
	which = 1 + below(&f->rng, 7);
	for (k = 0; k < 3; k++) {
		if (!(which & (1 << k)))
			continue;
		set_slot(f->vm, &f->mem[k], false);
		f->st.revoked += model_revoke(&f->m, f->mem[k].gpa, f->mem[k].size);
		set_slot(f->vm, &f->mem[k], true);
	}
	f->st.resets++;
}

static void *vcpu_thread(void *arg)
{
	struct fuzzer *f = arg;
	u64 n;

	while (f->todo) {
		n = f->todo < BATCH ? f->todo : BATCH;
		run_batch(f, n);
		f->todo -= n;
		/* Full partitions make wrong answers only: start over sometimes. */
		if (f->m.nr_grants > 200 || chance(&f->rng, 4))
			reset_part(f);
	}
	return NULL;
}

/* ---- Unrelated churn: a memslot and memory attributes outside the window. ---- */

struct churn {
	struct kvm_vm *vm;
	bool private_mem;
	atomic_bool stop;
	u64 ops;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	void *hva = mmap(NULL, CHURN_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(hva != MAP_FAILED, "mmap");
	while (!atomic_load(&c->stop)) {
		vm_set_user_memory_region(c->vm, SLOT_CHURN, 0, CHURN_GPA, CHURN_SIZE, hva);
		if (c->private_mem) {
			vm_mem_set_private(c->vm, CHURN_GPA, CHURN_SIZE / 2);
			vm_mem_set_shared(c->vm, CHURN_GPA, CHURN_SIZE / 2);
		}
		vm_set_user_memory_region(c->vm, SLOT_CHURN, 0, CHURN_GPA, 0, hva);
		c->ops++;
		usleep(200);
	}
	munmap(hva, CHURN_SIZE);
	return NULL;
}

static struct stats total;
static u64 churn_ops, nr_epochs, nr_private;

static void add_stats(const struct stats *s)
{
	const u64 *a = (const u64 *)s;
	u64 *t = (u64 *)&total;
	size_t i;

	for (i = 0; i < sizeof(*s) / sizeof(u64); i++)
		t[i] += a[i];
}

static void run_epoch(u64 requests, bool private_ok)
{
	u64 erng = seed ^ (0xe90c4ull * (epoch + 1)), max_npages, window_end;
	static const u64 limits[] = { 1, 4, 16, 64, 512 };
	struct fuzzer f[MAX_VCPUS] = {};
	pthread_t th[MAX_VCPUS], ch;
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	struct vm_shape shape = VM_SHAPE_DEFAULT;
	struct churn c = {};
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SHM_APPEND };
	int nv, i, first;
	struct kvm_vm *vm;
	void *above = NULL;

	rnd(&erng);
	nv = 1 + below(&erng, max_vcpus);
	first = below(&erng, NPART);
	max_npages = limits[below(&erng, ARRAY_SIZE(limits))];
	/* Every other VM, so that even a short run has both kinds. */
	c.private_mem = private_ok && (epoch & 1);
	if (c.private_mem)
		shape.type = KVM_X86_SW_PROTECTED_VM;

	vm = __vm_create(shape, nv, 256);
	window_end = vm->pa_bits > MAXPHY ? TOP + ABOVE_SIZE : TOP;
	cap.args[1] = WSTART;
	cap.args[2] = window_end - WSTART;
	cap.args[3] = max_npages;
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	for (i = 0; i < nv; i++) {
		vcpus[i] = vm_vcpu_add(vm, i, guest_code);
		vcpu_set_cpuid_feature(vcpus[i], X86_FEATURE_KVM_SHM_APPEND);
		vcpu_set_cpuid_property(vcpus[i], X86_PROPERTY_MAX_PHY_ADDR, MAXPHY);
		vcpu_args_set(vcpus[i], 1, (u64)i);
	}
	virt_map(vm, WSTART, WSTART, NPART * PART_SIZE / PAGE_SIZE);
	if (window_end > TOP) {
		above = mmap(NULL, ABOVE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(above != MAP_FAILED, "mmap");
		vm_set_user_memory_region(vm, SLOT_ABOVE, 0, TOP, ABOVE_SIZE, above);
	}

	for (i = 0; i < nv; i++) {
		f[i].v = i;
		f[i].vm = vm;
		f[i].vcpu = vcpus[i];
		f[i].rng = seed ^ (0x5eedull * (epoch + 1)) ^ ((u64)i << 56);
		f[i].m.private_mem = c.private_mem;
		f[i].m.max_npages = max_npages;
		f[i].m.wend = window_end;
		f[i].m.part = WSTART + ((first + i) % NPART) * PART_SIZE;
		f[i].changes = epoch + i;	/* each VM and vCPU starts elsewhere */
		f[i].todo = requests / nv + (i < (int)(requests % nv));
		part_create(&f[i]);
	}
	c.vm = vm;
	pthread_create(&ch, NULL, churn_thread, &c);
	for (i = 0; i < nv; i++)
		pthread_create(&th[i], NULL, vcpu_thread, &f[i]);
	for (i = 0; i < nv; i++)
		pthread_join(th[i], NULL);
	atomic_store(&c.stop, true);
	pthread_join(ch, NULL);

	for (i = 0; i < nv; i++) {
		add_stats(&f[i].st);
		part_destroy(&f[i]);
	}
	churn_ops += c.ops;
	nr_private += c.private_mem;
	kvm_vm_free(vm);
	if (window_end > TOP)
		munmap(above, ABOVE_SIZE);
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int main(int argc, char *argv[])
{
	u64 done = 0, per_epoch, n, t0 = now_ms();
	bool private_ok;
	int opt;

	seed = now_ms() ^ getpid();
	while ((opt = getopt(argc, argv, "n:s:v:")) != -1) {
		switch (opt) {
		case 'n': target = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'v': max_vcpus = atoi(optarg); break;
		default:
			printf("usage: %s [-n REQUESTS] [-s SEED] [-v MAX_VCPUS]\n", argv[0]);
			exit(KSFT_FAIL);
		}
	}
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_SHM_APPEND));
	TEST_ASSERT(max_vcpus >= 1 && max_vcpus <= MAX_VCPUS, "-v: 1 to %d", MAX_VCPUS);
	private_ok = kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM);
	printf("# seed %lu: shm_append_fuzz -s %lu -n %lu -v %d%s\n", seed, seed, target,
	       max_vcpus, private_ok ? "" : " (no KVM_X86_SW_PROTECTED_VM: no private memory)");

	/* Several VMs even in a short run: 8 epochs or more. */
	per_epoch = target / 8 < 4000 ? target / 8 : 4000;
	if (!per_epoch)
		per_epoch = target;
	for (epoch = 0; done < target; epoch++) {
		n = target - done < per_epoch ? target - done : per_epoch;
		run_epoch(n, private_ok);
		done += n;
		nr_epochs++;
	}
	printf("# fuzz: requests %lu exits %lu refused-in-kvm %lu grants %lu recovered %lu "
	       "answered-error %lu bad-answers %lu ignored %lu scribbled %lu resets %lu moves %lu "
	       "dirty-toggles %lu deleted-before-answer %lu revoked %lu "
	       "vms %lu private-vms %lu churn %lu time %.1f s\n",
	       total.requests, total.exits, total.refused, total.grants, total.recovered,
	       total.answered_err, total.bad_answers, total.ignored, total.scribbled,
	       total.resets, total.moves, total.dirty_toggles, total.deleted_before_answer,
	       total.revoked, nr_epochs, nr_private, churn_ops, (now_ms() - t0) / 1000.0);
	printf("# fuzz: refused in KVM: EINVAL %lu E2BIG %lu EPERM %lu EOPNOTSUPP %lu\n",
	       total.errs[0], total.errs[1], total.errs[2], total.errs[3]);
	TEST_ASSERT(total.requests == target, "made %lu requests of %lu", total.requests, target);
	/* A run long enough to mean something did every kind of thing. */
	if (target >= 20000)
		TEST_ASSERT(total.grants && total.recovered && total.answered_err && total.bad_answers &&
			    total.ignored && total.scribbled && total.resets && total.moves &&
			    total.dirty_toggles && total.deleted_before_answer && total.revoked &&
			    total.errs[0] && total.errs[1] && (nr_private || !private_ok),
			    "seed %lu: a kind of request, answer or memslot change never happened (see the figures above)",
			    seed);
	return 0;
}
