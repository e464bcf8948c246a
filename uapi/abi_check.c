// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compile-time check of the series' uapi, against the headers_install
 * output of the patched kernel (scripts/rig/build-selftests.sh compiles it):
 * numbers, struct layout, and the kvm_run union size left unchanged.
 */
#include <stddef.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <asm/kvm_para.h>

_Static_assert(KVM_HC_SHM_APPEND == 13, "hypercall number");
_Static_assert(KVM_EXIT_SHM_APPEND == 44, "exit reason");
_Static_assert(KVM_CAP_SHM_APPEND == 252, "capability");
_Static_assert(KVM_FEATURE_SHM_APPEND == 18, "PV CPUID bit");
_Static_assert(KVM_SHM_APPEND_READONLY == 1, "guest flag");
_Static_assert(KVM_SHM_APPEND_FLAG_READONLY == 1, "exit flag");

#define AT(f, o) _Static_assert(offsetof(struct kvm_exit_shm_append, f) == (o), #f)
AT(flags, 0);
AT(gpa, 8);
AT(size, 16);
AT(tag, 24);
AT(ret, 32);
AT(granted_gpa, 40);
AT(reserved, 48);
_Static_assert(sizeof(struct kvm_exit_shm_append) == 64, "no padding, 64 bytes");
_Static_assert(sizeof(((struct kvm_run *)0)->shm_append) <=
	       sizeof(((struct kvm_run *)0)->padding), "fits the exit union");
/* The union (and so struct kvm_run) keeps its size: 256 bytes. */
_Static_assert(sizeof(((struct kvm_run *)0)->padding) == 256, "union size");
_Static_assert(offsetof(struct kvm_run, shm_append) ==
	       offsetof(struct kvm_run, hypercall), "in the exit union");

int main(void)
{
	return 0;
}
