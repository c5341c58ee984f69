// SPDX-License-Identifier: GPL-2.0-only
// KVM hypercalls (Documentation/virt/kvm/x86/hypercalls.rst; kvm-behaviours G1).
#include <linux/kvm_para.h>
#include <sched.h>
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/x86/irq.h"
#include "kvm/x86/lapic.h"

/* is_64_bit_mode(): EFER.LMA and a 64-bit code segment */
static bool vcpu_64bit(struct kvm_vcpu *vcpu)
{
	return (vcpu->cpu->efer & CPU_EFER_LMA) && vcpu->cpu->seg[CPU_CS].l;
}

/*
 * The other vendor's opcode: with KVM_X86_QUIRK_FIX_HYPERCALL_INSN (default) the three
 * bytes are rewritten to the native VMCALL and the instruction re-executed
 * (emulator_fix_hypercall); without it the guest gets #UD, as on hardware.
 */
static int fix_hypercall_insn(struct kvm_vcpu *vcpu)
{
	struct cpu *c = vcpu->cpu;
	static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 };
	uint64_t lin = vcpu_64bit(vcpu) ? c->rip : (uint32_t)(c->seg[CPU_CS].base + c->rip);

	if (vcpu->kvm->disabled_quirks & KVM_X86_QUIRK_FIX_HYPERCALL_INSN) {
		cpu_queue_exception(c, CPU_EXC_UD, false, 0);
		return 1;
	}
	/* the bytes may straddle pages: patch byte by byte through the guest's mapping */
	for (int i = 0; i < 3; i++) {
		uint64_t gpa;
		bool w, u;
		uint8_t *page;
		struct kvm_memory_slot *slot;

		if (!cpu_translate(c, lin + (uint64_t)i, &gpa, &w, &u))
			goto ud;
		slot = kvm_gfn_to_memslot(vcpu->slots, gpa >> PAGE_SHIFT);
		if (!slot || (slot->flags & KVM_MEM_READONLY))
			goto ud;
		page = kvm_slot_hva(slot, gpa >> PAGE_SHIFT);
		kvm_mark_page_dirty(slot, gpa >> PAGE_SHIFT);
		page[gpa & (PAGE_SIZE - 1)] = vmcall[i];
	}
	cpu_flush_mem(c);
	return 1;	/* re-executed as VMCALL */
ud:
	cpu_queue_exception(c, CPU_EXC_UD, false, 0);
	return 1;
}

static void hypercall_done(struct kvm_vcpu *vcpu, uint64_t ret, bool op64, unsigned len)
{
	vcpu->cpu->gpr[CPU_RAX] = op64 ? ret : (uint32_t)ret;
	cpu_skip_insn(vcpu->cpu, len);
}

/* kvm_emulate_hypercall(): returns 1 to keep running, 0 for a KVM_EXIT_HYPERCALL */
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu, const struct cpu_exit *e)
{
	struct cpu *c = vcpu->cpu;
	bool op64 = vcpu_64bit(vcpu);
	uint64_t nr = c->gpr[CPU_RAX], a0 = c->gpr[CPU_RBX], a1 = c->gpr[CPU_RCX], a2 = c->gpr[CPU_RDX];
	uint64_t a3 = c->gpr[CPU_RSI];
	uint64_t ret = (uint64_t)-KVM_ENOSYS;

	/* swkvm's CPU model is Intel: VMCALL is native */
	if (e->hypercall.vmmcall)
		return fix_hypercall_insn(vcpu);
	vcpu->stat->hypercalls++;
	if (!op64) {
		nr &= 0xffffffff;
		a0 &= 0xffffffff;
		a1 &= 0xffffffff;
		a2 &= 0xffffffff;
		a3 &= 0xffffffff;
	}
	if (kvm_vcpu_get_cpl(vcpu) != 0) {
		ret = (uint64_t)-KVM_EPERM;
		goto out;
	}
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		ret = 0;
		break;
	case KVM_HC_KICK_CPU:
		/* a0 = flags (unused), a1 = the APIC ID to wake; then KVM yields to it */
		if (!guest_pv_has(vcpu, KVM_FEATURE_PV_UNHALT))
			break;
		kvm_pv_kick_cpu(vcpu->kvm, (uint32_t)a1);
		sched_yield();
		ret = 0;
		break;
	case KVM_HC_SCHED_YIELD:
		/* a directed yield has no host equivalent for threads; yield the CPU */
		if (!guest_pv_has(vcpu, KVM_FEATURE_PV_SCHED_YIELD))
			break;
		sched_yield();
		ret = 0;
		break;
	case KVM_HC_SEND_IPI:
		/* kvm_pv_send_ipi(): `min` is a u32 even for 64-bit callers */
		if (guest_pv_has(vcpu, KVM_FEATURE_PV_SEND_IPI))
			ret = (uint64_t)kvm_pv_send_ipi(vcpu->kvm, a0, a1, (uint32_t)a2, a3, op64);
		break;
	case KVM_HC_CLOCK_PAIRING:
		/* no TSC-based master clock (and type 0 is the only type): -KVM_EOPNOTSUPP */
		ret = (uint64_t)-KVM_EOPNOTSUPP;
		break;
	case KVM_HC_MAP_GPA_RANGE:
		if (!(vcpu->kvm->hypercall_exit_enabled & (1ull << KVM_HC_MAP_GPA_RANGE)))
			break;
		if ((a0 & (PAGE_SIZE - 1)) || !a1 || (a0 >> PAGE_SHIFT) + a1 <= (a0 >> PAGE_SHIFT)) {
			ret = (uint64_t)-KVM_EINVAL;
			break;
		}
		/* userspace decides; its hypercall.ret becomes RAX on the next KVM_RUN */
		memset(&vcpu->run->hypercall, 0, sizeof(vcpu->run->hypercall));
		vcpu->run->exit_reason = KVM_EXIT_HYPERCALL;
		vcpu->run->hypercall.nr = KVM_HC_MAP_GPA_RANGE;
		vcpu->run->hypercall.args[0] = a0;
		vcpu->run->hypercall.args[1] = a1;
		vcpu->run->hypercall.args[2] = a2;
		vcpu->run->hypercall.longmode = op64;
		vcpu->pending = PENDING_HYPERCALL;
		vcpu->hypercall_len = e->insn_len;
		vcpu->hypercall_op64 = op64;
		return 0;
	default:
		break;
	}
out:
	hypercall_done(vcpu, ret, op64, e->insn_len);
	return 1;
}

/* complete_hypercall_exit() */
void kvm_complete_hypercall_exit(struct kvm_vcpu *vcpu)
{
	hypercall_done(vcpu, vcpu->run->hypercall.ret, vcpu->hypercall_op64, vcpu->hypercall_len);
}
