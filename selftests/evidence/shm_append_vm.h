/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VM the evidence tests share (selftests/evidence/): KVM_CAP_SHM_APPEND
 * on [base, base + size) with a per-request limit, one vCPU running
 * @guest_code with KVM_FEATURE_SHM_APPEND in its CPUID, and the whole window
 * backed by one memslot of shared anonymous memory.
 */
#ifndef SHM_APPEND_VM_H
#define SHM_APPEND_VM_H

#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"

static inline struct kvm_vcpu *shm_append_vm(struct kvm_vm **vm, void *guest_code,
					     u64 base, u64 size, u64 max_npages,
					     u32 slot)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SHM_APPEND,
		.args = { 0, base, size, max_npages },
	};
	struct kvm_vcpu *vcpu;
	void *mem;

	*vm = vm_create(1);
	vm_ioctl(*vm, KVM_ENABLE_CAP, &cap);
	vcpu = vm_vcpu_add(*vm, 0, guest_code);
	vcpu_set_cpuid_feature(vcpu, X86_FEATURE_KVM_SHM_APPEND);
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	vm_set_user_memory_region(*vm, slot, 0, base, size, mem);
	return vcpu;
}

#endif
