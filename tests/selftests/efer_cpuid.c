// SPDX-License-Identifier: GPL-2.0-only
// EFER against the guest CPUID (kvm-behaviours Part D): guest WRMSR is checked against
// CPUID and gets #GP(0); host KVM_SET_MSRS is limited only by what swkvm's CPU has.
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"

#define PIO(run) ((uint8_t *)(run) + (run)->io.data_offset)
#define MSR_EFER 0xc0000080
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)
#define EFER_SVME (1u << 12)
#define EFER_FFXSR (1u << 14)

/* a 64-bit guest (paging on) tries to clear LME, and to set FFXSR; EFER afterwards */
GUEST_CODE static void guest_lm(void)
{
	uint64_t efer, after;

	guest_rdmsr_safe(MSR_EFER, &efer);
	GUEST_SYNC2(guest_wrmsr_safe(MSR_EFER, efer & ~(uint64_t)EFER_LME), efer);
	guest_rdmsr_safe(MSR_EFER, &after);
	GUEST_SYNC2(guest_wrmsr_safe(MSR_EFER, efer | EFER_FFXSR), after);
	guest_rdmsr_safe(MSR_EFER, &after);
	GUEST_SYNC(after);
	GUEST_DONE();
}

/* rdmsr EFER; or eax, ebx; wrmsr; report 1 through port 0x70 (or 13 from the #GP handler) */
static const uint8_t prog[] = {
	0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0,	/* mov ecx, 0xc0000080 */
	0x0f, 0x32,				/* rdmsr */
	0x66, 0x0b, 0xc3,			/* or eax, ebx */
	0x0f, 0x30,				/* wrmsr */
	0xb0, 0x01, 0xe6, 0x70, 0xf4,		/* mov al, 1; out 0x70, al; hlt */
};

struct cpuid_buf {
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 e[128];
};

static void set_cpuid(struct vm *vm, struct vcpu *v, bool lm, bool nx)
{
	struct cpuid_buf *b = calloc(1, sizeof(*b));

	b->hdr.nent = 128;
	if (kvm_ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, b))
		tap_bail("GET_SUPPORTED_CPUID");
	for (uint32_t i = 0; i < b->hdr.nent; i++)
		if (b->e[i].function == 0x80000001) {
			b->e[i].edx = (b->e[i].edx & ~((1u << 29) | (1u << 20))) |
				      (lm ? 1u << 29 : 0) | (nx ? 1u << 20 : 0);
		}
	if (kvm_ioctl(v->fd, KVM_SET_CPUID2, b))
		tap_bail("SET_CPUID2");
	free(b);
}

/* Runs the program on a fresh vCPU; returns what it reported (1 = no fault, 13 = #GP). */
static int guest_sets(bool lm, bool nx, uint32_t bits, uint64_t *efer_after)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = vm_create_realmode(&vm, &mem, prog, sizeof(prog));
	struct kvm_regs r = vcpu_regs(v);
	int ret = -1;

	r.rbx = bits;
	vcpu_set_regs(v, &r);
	((uint16_t *)mem)[13 * 2] = 0x2000;	/* #GP handler: report 13 */
	memcpy(mem + 0x2000, "\xb0\x0d\xe6\x70\xf4", 5);
	set_cpuid(vm, v, lm, nx);
	if (vcpu_run(v) == 0 && v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == 0x70)
		ret = PIO(v->run)[0];
	*efer_after = vcpu_sregs(v).efer;
	vm_free(vm);
	return ret;
}

static int host_set_efer(struct vcpu *v, uint64_t val)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1, .e = { .index = MSR_EFER, .data = val } };

	return kvm_ioctl(v->fd, KVM_SET_MSRS, &m);
}

int main(void)
{
	uint64_t efer;

	is(guest_sets(true, false, EFER_LME, &efer), 1, "CPUID LM=1: guest WRMSR EFER.LME succeeds");
	is(efer, EFER_LME, "and EFER.LME is set");
	is(guest_sets(false, false, EFER_LME, &efer), 13, "CPUID LM=0: guest WRMSR EFER.LME is #GP");
	is(efer, 0, "and EFER is unchanged (long mode cannot be entered)");
	is(guest_sets(true, false, EFER_NXE, &efer), 13, "CPUID NX=0: guest EFER.NXE is #GP");
	is(guest_sets(true, true, EFER_NXE, &efer), 1, "CPUID NX=1: guest EFER.NXE succeeds");
	is(efer, EFER_NXE, "EFER.NXE set");
	is(guest_sets(true, true, EFER_SVME, &efer), 13, "EFER.SVME (no SVM in swkvm): #GP");
	is(guest_sets(true, false, EFER_LMA, &efer), 1, "a guest write of LMA does not fault");
	is(efer, 0, "but LMA is ignored (it follows CR0.PG and LME)");
	is(guest_sets(true, false, 1, &efer), 1, "EFER.SCE needs no CPUID bit here");

	{
		struct vm *vm = vm_create_empty();
		struct vcpu *v = vm_add_vcpu(vm, 0);
		struct vcpu *lmv;
		struct vm *vm64;

		set_cpuid(vm, v, false, false);
		is(host_set_efer(v, EFER_LME), 1, "host KVM_SET_MSRS EFER.LME with CPUID LM=0: processed");
		is(vcpu_sregs(v).efer, EFER_LME, "host writes skip the CPUID checks");
		is(host_set_efer(v, EFER_NXE), 1, "host EFER.NXE with CPUID NX=0: processed");
		is(host_set_efer(v, EFER_SVME), 0, "host EFER.SVME, which swkvm lacks: refused (0 processed)");
		vm_free(vm);

		vm64 = vm_create_64(&lmv, NULL);
		is(host_set_efer(lmv, EFER_LMA), 1, "host may toggle LME with CR0.PG=1");
		is(vcpu_sregs(lmv).efer, EFER_LMA, "the host's value is taken as is");
		is(host_set_efer(lmv, EFER_FFXSR), 0, "host EFER.FFXSR, which swkvm lacks: refused");
		vm_free(vm64);

		vm64 = vm_create_64(&lmv, guest_lm);
		{
			struct ucall uc;
			uint64_t efer0;

			ok(vcpu_get_ucall(lmv, &uc) == UCALL_SYNC && uc.args[0] == 13,
			   "guest clearing LME with CR0.PG=1: #GP");
			efer0 = uc.args[1];
			is(efer0 & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA, "(it was in long mode)");
			ok(vcpu_get_ucall(lmv, &uc) == UCALL_SYNC && uc.args[0] == 13,
			   "guest EFER.FFXSR (not in the Intel CPUID): #GP");
			is(uc.args[1], efer0, "EFER unchanged after the LME attempt");
			ok(vcpu_get_ucall(lmv, &uc) == UCALL_SYNC && uc.args[0] == efer0,
			   "and after the FFXSR attempt");
			is(vcpu_get_ucall(lmv, &uc), UCALL_DONE, "guest done");
		}
		vm_free(vm64);
	}
	return tap_done();
}
