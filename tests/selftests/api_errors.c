// SPDX-License-Identifier: GPL-2.0-only
// The documented error of every ioctl that no other selftest checks, swkvm's errno
// choices where they follow the kernel's order of checks, KVM_X86_SET_MCE, and the
// get -> set -> get identities not covered elsewhere (SREGS with a queued interrupt,
// VCPU_EVENTS, MSRS, CLOCK, the three IRQCHIPs, MP_STATE).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvm_util.h"

#define BAD ((void *)8)		/* an address no ioctl argument may live at */

struct msrs {
	struct kvm_msrs h;
	struct kvm_msr_entry e[256];
};

static int get_msr(struct vcpu *v, uint32_t index, uint64_t *val)
{
	struct msrs m = { .h.nmsrs = 1, .e[0].index = index };
	int r = kvm_ioctl(v->fd, KVM_GET_MSRS, &m);

	*val = m.e[0].data;
	return r;
}

static int set_msr(struct vcpu *v, uint32_t index, uint64_t val)
{
	struct msrs m = { .h.nmsrs = 1, .e[0] = { .index = index, .data = val } };

	return kvm_ioctl(v->fd, KVM_SET_MSRS, &m);
}

/* ---- system fd ---- */
static void test_system(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	int kvm = vm->kvm_fd;
	struct { struct kvm_msr_list h; uint32_t idx[4]; } list = { .h.nmsrs = 4 };
	struct msrs m = { .h.nmsrs = 2, .e = { { .index = 0x8b }, { .index = 0x10 } } };
	struct { struct kvm_cpuid2 h; struct kvm_cpuid_entry2 e[4]; } cpuid = { .h.nent = 4 };
	uint64_t cap;

	is(kvm_ioctl(kvm, KVM_GET_MSR_FEATURE_INDEX_LIST, &list), 0, "GET_MSR_FEATURE_INDEX_LIST");
	ok(list.h.nmsrs == 1 && list.idx[0] == 0x8b, "lists IA32_UCODE_REV only");
	is_errno(kvm_ioctl(kvm, KVM_GET_MSR_FEATURE_INDEX_LIST, BAD), EFAULT,
		 "GET_MSR_FEATURE_INDEX_LIST to a bad pointer: EFAULT");
	is(kvm_ioctl(kvm, KVM_GET_MSRS, &m), 1, "system GET_MSRS stops at the first non-feature MSR (msr_io)");
	is(m.e[0].data, 0x100000000ull, "IA32_UCODE_REV of the CPU model");
	m.h.nmsrs = 256;
	is_errno(kvm_ioctl(kvm, KVM_GET_MSRS, &m), E2BIG, "system GET_MSRS with 256 entries: E2BIG");
	is_errno(kvm_ioctl(kvm, KVM_GET_MSRS, BAD), EFAULT, "system GET_MSRS from a bad pointer: EFAULT");
	is_errno(kvm_ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, BAD), EFAULT,
		 "X86_GET_MCE_CAP_SUPPORTED to a bad pointer: EFAULT");
	is(kvm_ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, &cap), 0, "X86_GET_MCE_CAP_SUPPORTED");
	is_errno(kvm_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid), E2BIG, "GET_SUPPORTED_CPUID into 4 entries: E2BIG");
	is(cpuid.h.nent, 4, "nent is left as it was on E2BIG (only success copies the header out)");
	cpuid.h.nent = 0;
	is_errno(kvm_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid), E2BIG, "GET_SUPPORTED_CPUID with nent 0: E2BIG");
	/* kvm_arch_dev_ioctl()'s default, and vCPU ioctls' default, is EINVAL; the VM fd's ENOTTY */
	is_errno(kvm_ioctl(kvm, KVM_RUN, 0), EINVAL, "a vCPU ioctl on the system fd: EINVAL");
	is_errno(kvm_ioctl(kvm, KVM_CREATE_VCPU, 0), EINVAL, "a VM ioctl on the system fd: EINVAL");
	is_errno(kvm_ioctl(v->fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), EINVAL,
		 "CHECK_EXTENSION on a vCPU fd: EINVAL");
	is_errno(kvm_ioctl(vm->fd, KVM_GET_MSR_INDEX_LIST, &list), ENOTTY, "a system ioctl on the VM fd: ENOTTY");
	vm_free(vm);
}

/* ---- every pointer argument: EFAULT, and nothing else happens ---- */
static void test_efault(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	static const struct { unsigned long req; const char *name; } vcpu_ioctls[] = {
#define E(x) { x, #x }
		E(KVM_GET_CPUID2), E(KVM_SET_CPUID2), E(KVM_GET_MSRS), E(KVM_SET_MSRS),
		E(KVM_GET_SREGS2), E(KVM_SET_SREGS2), E(KVM_GET_FPU), E(KVM_SET_FPU),
		E(KVM_GET_XSAVE), E(KVM_GET_XSAVE2), E(KVM_SET_XSAVE), E(KVM_GET_XCRS),
		E(KVM_SET_XCRS), E(KVM_GET_VCPU_EVENTS), E(KVM_SET_VCPU_EVENTS),
		E(KVM_GET_DEBUGREGS), E(KVM_SET_DEBUGREGS), E(KVM_GET_MP_STATE), E(KVM_SET_MP_STATE),
		E(KVM_X86_SETUP_MCE), E(KVM_X86_SET_MCE), E(KVM_SET_GUEST_DEBUG), E(KVM_TRANSLATE),
		E(KVM_INTERRUPT), E(KVM_ENABLE_CAP), E(KVM_SET_SIGNAL_MASK),
	}, vm_ioctls[] = {
		E(KVM_GET_CLOCK), E(KVM_SET_CLOCK), E(KVM_ENABLE_CAP), E(KVM_CLEAR_DIRTY_LOG),
		E(KVM_REGISTER_COALESCED_MMIO), E(KVM_UNREGISTER_COALESCED_MMIO),
		/* without an irqchip: the argument is copied in before the irqchip check */
		E(KVM_GET_IRQCHIP), E(KVM_SET_IRQCHIP), E(KVM_IRQ_LINE), E(KVM_IRQ_LINE_STATUS),
		E(KVM_SIGNAL_MSI), E(KVM_IRQFD), E(KVM_SET_PIT2),
#undef E
	};

	for (size_t i = 0; i < sizeof(vcpu_ioctls) / sizeof(vcpu_ioctls[0]); i++)
		is_errno(kvm_ioctl(v->fd, vcpu_ioctls[i].req, BAD), EFAULT, "%s with a bad pointer: EFAULT",
			 vcpu_ioctls[i].name);
	for (size_t i = 0; i < sizeof(vm_ioctls) / sizeof(vm_ioctls[0]); i++)
		is_errno(kvm_ioctl(vm->fd, vm_ioctls[i].req, BAD), EFAULT, "%s with a bad pointer: EFAULT",
			 vm_ioctls[i].name);
	vm_free(vm);

	vm = vm_create_empty();
	is(kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), 0, "CREATE_IRQCHIP");
	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, BAD), EFAULT, "CREATE_PIT2 with a bad pointer: EFAULT");
	{
		struct kvm_pit_config pc = { 0 };
		is(kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &pc), 0, "CREATE_PIT2");
	}
	is_errno(kvm_ioctl(vm->fd, KVM_GET_PIT2, BAD), EFAULT, "GET_PIT2 to a bad pointer: EFAULT");
	v = vm_add_vcpu(vm, 0);
	is_errno(kvm_ioctl(v->fd, KVM_GET_LAPIC, BAD), EFAULT, "GET_LAPIC to a bad pointer: EFAULT");
	is_errno(kvm_ioctl(v->fd, KVM_SET_LAPIC, BAD), EFAULT, "SET_LAPIC from a bad pointer: EFAULT");
	vm_free(vm);
}

/* ---- errors that need no running guest ---- */
static void test_vcpu_errors(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_lapic_state *lapic = calloc(1, sizeof(*lapic));
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .flags = 1 };
	struct msrs *m = calloc(1, sizeof(*m));
	struct kvm_mp_state mp = { KVM_MP_STATE_HALTED };

	is_errno(kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &chip), ENXIO, "GET_IRQCHIP without an irqchip: ENXIO");
	is_errno(kvm_ioctl(v->fd, KVM_SET_LAPIC, lapic), EINVAL, "SET_LAPIC without an in-kernel LAPIC: EINVAL");
	is_errno(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), EINVAL, "MP_STATE HALTED without a LAPIC: EINVAL");
	is_errno(kvm_ioctl(v->fd, KVM_ENABLE_CAP, &cap), EINVAL, "vCPU ENABLE_CAP with flags: EINVAL");
	cap.flags = 0;
	cap.cap = KVM_CAP_MAX_VCPU_ID;
	is_errno(kvm_ioctl(v->fd, KVM_ENABLE_CAP, &cap), EINVAL, "vCPU ENABLE_CAP of a VM capability: EINVAL");
	cap.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID;
	cap.args[0] = 1;
	is(kvm_ioctl(v->fd, KVM_ENABLE_CAP, &cap), 0, "vCPU ENABLE_CAP(ENFORCE_PV_FEATURE_CPUID)");

	m->h.nmsrs = 256;
	is_errno(kvm_ioctl(v->fd, KVM_GET_MSRS, m), E2BIG, "vCPU GET_MSRS with 256 entries: E2BIG");
	m->h.nmsrs = 3;
	m->e[0] = (struct kvm_msr_entry){ .index = 0x174, .data = 0x10 };
	m->e[1] = (struct kvm_msr_entry){ .index = 0x4b564dff, .data = 1 };
	m->e[2] = (struct kvm_msr_entry){ .index = 0x175, .data = 0x20 };
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, m), 1, "SET_MSRS stops at an unknown MSR and returns 1");
	m->e[0].data = 0;
	is(kvm_ioctl(v->fd, KVM_GET_MSRS, m), 1, "GET_MSRS stops there too");
	is(m->e[0].data, 0x10, "the first entry was written and read");
	{
		struct { struct kvm_signal_mask h; uint64_t set; } sm = { .h.len = 8 };
		is(kvm_ioctl(v->fd, KVM_SET_SIGNAL_MASK, &sm), 0, "SET_SIGNAL_MASK with len 8");
		is(kvm_ioctl(v->fd, KVM_SET_SIGNAL_MASK, NULL), 0, "SET_SIGNAL_MASK NULL removes the mask");
	}
	is(kvm_ioctl(v->fd, KVM_SET_TSC_KHZ, 2500000), 0, "SET_TSC_KHZ 2.5 GHz");
	{
		int khz = kvm_ioctl(v->fd, KVM_GET_TSC_KHZ, 0);

		is(khz, 2500000, "GET_TSC_KHZ");
		is(kvm_ioctl(v->fd, KVM_SET_TSC_KHZ, khz), 0, "SET_TSC_KHZ of what GET returned");
		is(kvm_ioctl(v->fd, KVM_GET_TSC_KHZ, 0), 2500000, "TSC_KHZ get -> set -> get is identical");
	}
	is_errno(kvm_ioctl(v->fd, KVM_SET_TSC_KHZ, 0x7fffffff), EINVAL, "SET_TSC_KHZ 0x7fffffff: EINVAL");
	is(kvm_ioctl(v->fd, KVM_NMI, 0), 0, "KVM_NMI");
	is(kvm_ioctl(v->fd, KVM_SMI, 0), 0, "KVM_SMI");
	free(m);
	free(lapic);
	vm_free(vm);
}

/* ---- KVM_ENABLE_CAP on the VM ---- */
static void test_vm_enable_cap(void)
{
	struct vm *vm = vm_create_empty();
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID, .args = { 4 } };

	is(kvm_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ENABLE_CAP_VM), 1, "CAP_ENABLE_CAP_VM");
	is(kvm_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ENABLE_CAP), 1, "CAP_ENABLE_CAP (vCPU)");
	is(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), 0, "MAX_VCPU_ID 4 before any vCPU");
	is(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), 0, "the same value again is accepted");
	cap.args[0] = 8;
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL, "another value: EINVAL (set once)");
	is_errno(kvm_ioctl(vm->fd, KVM_CREATE_VCPU, 4), EINVAL, "vCPU id 4 >= MAX_VCPU_ID: EINVAL");
	ok(kvm_ioctl(vm->fd, KVM_CREATE_VCPU, 3) >= 0, "vCPU id 3 is created");
	vm_free(vm);

	vm = vm_create_empty();
	vm_add_vcpu(vm, 0);
	cap.args[0] = 8;
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL,
		 "MAX_VCPU_ID after a vCPU exists: EINVAL (kvm_arch_vcpu_precreate fixed the limit)");
	cap.args[0] = 1024;
	is(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), 0, "... unless it is the limit already in force");
	cap.args[0] = 1025;
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL, "MAX_VCPU_ID above KVM_MAX_VCPU_IDS: EINVAL");
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL, "a capability swkvm does not offer: EINVAL");
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_EXIT_HYPERCALL, .flags = 1 };
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL, "VM ENABLE_CAP with flags: EINVAL");
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_DISABLE_QUIRKS2, .args = { KVM_X86_QUIRK_LINT0_REENABLED } };
	is(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), 0, "DISABLE_QUIRKS2 LINT0_REENABLED");
	cap.args[0] = 1ull << 40;
	is_errno(kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL, "DISABLE_QUIRKS2 of an unknown quirk: EINVAL");
	vm_free(vm);
}

/* ---- KVM_X86_SETUP_MCE / KVM_X86_SET_MCE ---- */
#define VAL (1ull << 63)
#define OVER (1ull << 62)
#define UC (1ull << 61)
#define PCC (1ull << 57)
#define MCG_CTL_P (1ull << 8)

static void test_mce(void)
{
	struct vm *vm;
	uint8_t *mem;
	static const uint8_t hlt[] = { 0xf4 };
	struct vcpu *v = vm_create_realmode(&vm, &mem, hlt, sizeof(hlt));
	uint64_t cap = MCG_CTL_P | 4, val;
	struct kvm_x86_mce mce = { .bank = 4, .status = VAL | 1, .addr = 0x1000, .misc = 0x86 };
	struct kvm_vcpu_events ev;
	struct kvm_sregs s;

	is_errno(kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce), EINVAL, "SET_MCE before SETUP_MCE (no banks): EINVAL");
	cap = 0;
	is_errno(kvm_ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), EINVAL, "SETUP_MCE with 0 banks: EINVAL");
	cap = MCG_CTL_P | 4;
	is(kvm_ioctl(v->fd, KVM_X86_SETUP_MCE, &cap), 0, "SETUP_MCE: 4 banks, MCG_CTL_P");
	is_errno(kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce), EINVAL, "SET_MCE to bank 4 of 4: EINVAL");
	mce.bank = 1;
	mce.status = 1;
	is_errno(kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce), EINVAL, "SET_MCE without MCi_STATUS.VAL: EINVAL");

	/* corrected errors fill the bank; a second one sets OVER */
	mce.status = VAL | 0x11;
	is(kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce), 0, "SET_MCE of a corrected error");
	is(get_msr(v, 0x405, &val), 1, "read MC1_STATUS");
	is(val, VAL | 0x11, "MC1_STATUS holds it");
	get_msr(v, 0x406, &val);
	is(val, 0x1000, "MC1_ADDR");
	get_msr(v, 0x407, &val);
	is(val, 0x86, "MC1_MISC");
	mce.status = VAL | 0x22;
	kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce);
	get_msr(v, 0x405, &val);
	is(val, VAL | OVER | 0x22, "a second corrected error overwrites it with OVER set");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	is(ev.exception.injected, 0, "corrected errors raise no #MC");

	/* UCNA (uncorrected, no action required, MCG_STATUS 0): the bank only */
	mce.bank = 2;
	mce.status = VAL | UC | 0x33;
	is(kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce), 0, "SET_MCE of a UCNA error");
	get_msr(v, 0x409, &val);
	is(val, VAL | UC | 0x33, "MC2_STATUS holds it");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	is(ev.exception.injected, 0, "a UCNA raises no #MC (no MCG_CMCI_P)");

	/* uncorrected with CR4.MCE set: #MC pending, MCG_STATUS as given */
	s = vcpu_sregs(v);
	s.cr4 |= 0x40;
	vcpu_set_sregs(v, &s);
	mce.bank = 3;
	mce.status = VAL | UC | PCC | 0x44;
	mce.mcg_status = 5;	/* RIPV | MCIP */
	is(kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce), 0, "SET_MCE of an uncorrected error");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	ok(ev.exception.injected && ev.exception.nr == 18 && !ev.exception.has_error_code,
	   "#MC is pending (reported as injected)");
	get_msr(v, 0x17a, &val);
	is(val, 5, "MCG_STATUS is the one given");
	get_msr(v, 0x40d, &val);
	is(val, VAL | UC | PCC | 0x44, "MC3_STATUS holds it");
	ev.exception.injected = 0;
	is(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), 0, "drop the #MC");

	/* MCIP still set: a second uncorrected error shuts the guest down */
	mce.bank = 0;
	is(kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce), 0, "SET_MCE while MCIP is set");
	get_msr(v, 0x401, &val);
	is(val, 0, "MC0_STATUS is not written");
	is(vcpu_run(v), 0, "KVM_RUN");
	is(v->run->exit_reason, KVM_EXIT_SHUTDOWN, "the guest shuts down (KVM_REQ_TRIPLE_FAULT)");

	/* MCi_CTL not all ones: uncorrected reporting disabled for that bank, dropped */
	set_msr(v, 0x17a, 0);
	is(set_msr(v, 0x400, 0), 1, "MC0_CTL = 0");
	is(kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce), 0, "SET_MCE to a bank with MCi_CTL 0");
	get_msr(v, 0x401, &val);
	is(val, 0, "dropped: MC0_STATUS untouched");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev);
	is(ev.exception.injected, 0, "and no #MC");

	/* CR4.MCE clear: an uncorrected error shuts the guest down */
	s.cr4 &= ~0x40ull;
	vcpu_set_sregs(v, &s);
	mce.bank = 1;
	is(kvm_ioctl(v->fd, KVM_X86_SET_MCE, &mce), 0, "SET_MCE of an uncorrected error with CR4.MCE clear");
	is(vcpu_run(v), 0, "KVM_RUN");
	is(v->run->exit_reason, KVM_EXIT_SHUTDOWN, "the guest shuts down");
	vm_free(vm);
}

/* ---- KVM_SET_VCPU_EVENTS errors and round trip ---- */
static void test_vcpu_events(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v;
	struct kvm_vcpu_events ev, g1, g2;
	struct kvm_mp_state mp;

	is(kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), 0, "CREATE_IRQCHIP");
	v = vm_add_vcpu(vm, 0);
	memset(&ev, 0, sizeof(ev));
	ev.flags = 0x40;
	is_errno(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), EINVAL, "an unknown flag: EINVAL");
	ev.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	is_errno(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), EINVAL,
		 "VALID_PAYLOAD without KVM_CAP_EXCEPTION_PAYLOAD: EINVAL");
	ev.flags = KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
	is_errno(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), EINVAL,
		 "VALID_TRIPLE_FAULT without KVM_CAP_X86_TRIPLE_FAULT_EVENT: EINVAL");
	/* exception vectors 2 and 32: EINVAL, in irq_inject.c */

	mp.mp_state = KVM_MP_STATE_INIT_RECEIVED;
	is(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), 0, "MP_STATE INIT_RECEIVED");
	memset(&ev, 0, sizeof(ev));
	ev.flags = KVM_VCPUEVENT_VALID_SMM;
	ev.smi.smm = 1;
	is_errno(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), EINVAL, "SMM while in wait-for-SIPI: EINVAL");
	ev.smi.smm = 0;
	ev.smi.pending = 1;
	is_errno(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), EINVAL, "a pending SMI while in wait-for-SIPI: EINVAL");

	/* the other way round: no wait-for-SIPI while in SMM (kvm_apic_init_sipi_allowed) */
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	is(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), 0, "MP_STATE RUNNABLE");
	ev.smi.pending = 0;
	ev.smi.smm = 1;
	is(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), 0, "enter SMM through SET_VCPU_EVENTS");
	mp.mp_state = KVM_MP_STATE_INIT_RECEIVED;
	is_errno(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), EINVAL, "MP_STATE INIT_RECEIVED in SMM: EINVAL");
	mp.mp_state = KVM_MP_STATE_SIPI_RECEIVED;
	is_errno(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), EINVAL, "MP_STATE SIPI_RECEIVED in SMM: EINVAL");
	mp.mp_state = KVM_MP_STATE_HALTED;
	is(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), 0, "MP_STATE HALTED in SMM is fine");
	ev.smi.smm = 0;
	is(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), 0, "leave SMM");
	mp.mp_state = KVM_MP_STATE_AP_RESET_HOLD;
	is_errno(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), EINVAL, "MP_STATE AP_RESET_HOLD (SEV-ES): EINVAL");
	mp.mp_state = 99;
	is_errno(kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp), EINVAL, "an unknown MP_STATE: EINVAL");

	/* MP_STATE round trips */
	mp.mp_state = KVM_MP_STATE_HALTED;
	kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp);
	kvm_ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	is(mp.mp_state, KVM_MP_STATE_HALTED, "MP_STATE HALTED round trip");
	mp.mp_state = KVM_MP_STATE_SIPI_RECEIVED;
	kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp);
	kvm_ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	/* SET makes it INIT_RECEIVED with a SIPI latched; GET accepts that SIPI first */
	is(mp.mp_state, KVM_MP_STATE_RUNNABLE, "SIPI_RECEIVED: the latched SIPI is taken, RUNNABLE");
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp);

	/* every field the ioctl carries, set, read, written back, read again */
	memset(&ev, 0, sizeof(ev));
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
	ev.exception.injected = 1;
	ev.exception.nr = 13;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 0x18;
	ev.interrupt.injected = 1;
	ev.interrupt.nr = 0x41;
	ev.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	ev.nmi.pending = 1;
	ev.nmi.masked = 1;
	ev.smi.smm = 1;
	ev.smi.pending = 1;
	ev.smi.smm_inside_nmi = 1;
	is(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev), 0, "SET_VCPU_EVENTS with every field");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &g1);
	ok(!memcmp(&g1, &ev, sizeof(ev)), "GET_VCPU_EVENTS returns exactly what was set");
	is(kvm_ioctl(v->fd, KVM_SET_VCPU_EVENTS, &g1), 0, "SET_VCPU_EVENTS of what GET returned");
	kvm_ioctl(v->fd, KVM_GET_VCPU_EVENTS, &g2);
	ok(!memcmp(&g1, &g2, sizeof(g1)), "VCPU_EVENTS get -> set -> get is identical");
	vm_free(vm);
}

/* ---- KVM_GET/SET_SREGS: interrupt_bitmap carries a queued interrupt ---- */
static void test_sregs_interrupt_bitmap(void)
{
	struct vm *vm = vm_create_empty(), *vm2 = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0), *w = vm_add_vcpu(vm2, 0);
	struct kvm_interrupt irq = { 0x41 };
	struct kvm_sregs s, s2;
	struct kvm_vcpu_events ev;

	s = vcpu_sregs(v);
	ok(!s.interrupt_bitmap[0] && !s.interrupt_bitmap[1] && !s.interrupt_bitmap[2] && !s.interrupt_bitmap[3],
	   "no interrupt queued: empty interrupt_bitmap");
	is(kvm_ioctl(v->fd, KVM_INTERRUPT, &irq), 0, "KVM_INTERRUPT 0x41");
	s = vcpu_sregs(v);
	ok(s.interrupt_bitmap[1] == 2 && !s.interrupt_bitmap[0] && !s.interrupt_bitmap[2] && !s.interrupt_bitmap[3],
	   "GET_SREGS reports vector 0x41 in interrupt_bitmap (__get_sregs)");
	is(kvm_ioctl(w->fd, KVM_SET_SREGS, &s), 0, "SET_SREGS into a fresh VM's vCPU");
	kvm_ioctl(w->fd, KVM_GET_VCPU_EVENTS, &ev);
	ok(ev.interrupt.injected && ev.interrupt.nr == 0x41, "the interrupt is queued there");
	s2 = vcpu_sregs(w);
	ok(!memcmp(&s, &s2, sizeof(s)), "SREGS get -> set -> get is identical, interrupt included");
	s.interrupt_bitmap[1] = 0;
	s.interrupt_bitmap[2] = 1ull << 3;	/* 0x83 */
	s.interrupt_bitmap[3] = 1ull << 1;	/* 0xc1 */
	is(kvm_ioctl(w->fd, KVM_SET_SREGS, &s), 0, "SET_SREGS with two bits");
	kvm_ioctl(w->fd, KVM_GET_VCPU_EVENTS, &ev);
	is(ev.interrupt.nr, 0x83, "the lowest set vector is the one queued");
	vm_free(vm2);
	vm_free(vm);
}

/* ---- KVM_SET_XCRS: the valid XCR0 bits come from CPUID leaf 0xD alone ---- */
static void test_xcrs(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct { struct kvm_cpuid2 h; struct kvm_cpuid_entry2 e[1]; } c = { .h.nent = 1 };
	struct kvm_xcrs xc = { .nr_xcrs = 1, .xcrs[0] = { .xcr = 0, .value = 3 } }, g;

	c.e[0] = (struct kvm_cpuid_entry2){ .function = 0xd, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 1 };
	is(kvm_ioctl(v->fd, KVM_SET_CPUID2, &c), 0, "guest CPUID: leaf 0xD with x87 only, no XSAVE bit");
	is_errno(kvm_ioctl(v->fd, KVM_SET_XCRS, &xc), EINVAL, "XCR0 x87|SSE beyond leaf 0xD: EINVAL");
	c.e[0].eax = 3;
	is(kvm_ioctl(v->fd, KVM_SET_CPUID2, &c), 0, "leaf 0xD with x87|SSE, still no XSAVE bit");
	is(kvm_ioctl(v->fd, KVM_SET_XCRS, &xc), 0,
	   "XCR0 x87|SSE is accepted (guest_supported_xcr0 ignores CPUID.1:ECX.XSAVE)");
	xc.xcrs[0].value = 7;
	is_errno(kvm_ioctl(v->fd, KVM_SET_XCRS, &xc), EINVAL, "XCR0 with AVX: EINVAL");
	xc.nr_xcrs = 2;
	xc.xcrs[0] = (struct kvm_xcr){ .xcr = 1, .value = 7 };
	xc.xcrs[1] = (struct kvm_xcr){ .xcr = 0, .value = 1 };
	is(kvm_ioctl(v->fd, KVM_SET_XCRS, &xc), 0, "entries other than XCR0 are skipped");
	kvm_ioctl(v->fd, KVM_GET_XCRS, &g);
	ok(g.nr_xcrs == 1 && g.flags == 0 && g.xcrs[0].xcr == 0 && g.xcrs[0].value == 1, "XCR0 = 1 read back");
	is(kvm_ioctl(v->fd, KVM_SET_XCRS, &g), 0, "SET_XCRS of what GET returned");
	memset(&xc, 0xff, sizeof(xc));
	kvm_ioctl(v->fd, KVM_GET_XCRS, &xc);
	ok(!memcmp(&g, &xc, sizeof(g)), "XCRS get -> set -> get is identical (padding zeroed)");
	vm_free(vm);
}

/* ---- KVM_GET/SET_CLOCK ---- */
static void test_clock(void)
{
	struct vm *vm = vm_create_empty();
	struct kvm_clock_data c = { .clock = 5000000000000ull }, g1, g2;

	c.flags = 1;
	is_errno(kvm_ioctl(vm->fd, KVM_SET_CLOCK, &c), EINVAL, "SET_CLOCK with flag bit 0: EINVAL");
	c.flags = 0x10;
	is_errno(kvm_ioctl(vm->fd, KVM_SET_CLOCK, &c), EINVAL, "SET_CLOCK with flag bit 4: EINVAL");
	c.flags = 0;
	is(kvm_ioctl(vm->fd, KVM_SET_CLOCK, &c), 0, "SET_CLOCK 5000 s");
	is(kvm_ioctl(vm->fd, KVM_GET_CLOCK, &g1), 0, "GET_CLOCK");
	ok(g1.clock >= c.clock && g1.clock - c.clock < 1000000000ull, "the clock reads 5000 s (%llu)",
	   (unsigned long long)g1.clock);
	is(g1.flags, KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME, "flags TSC_STABLE | REALTIME");
	is(kvm_ioctl(vm->fd, KVM_SET_CLOCK, &g1), 0, "SET_CLOCK of what GET_CLOCK returned");
	kvm_ioctl(vm->fd, KVM_GET_CLOCK, &g2);
	ok(g2.clock >= g1.clock && g2.clock - g1.clock < 1000000000ull && g2.flags == g1.flags,
	   "CLOCK get -> set -> get: same flags, the clock only moved on by the time elapsed (%lld ns)",
	   (long long)(g2.clock - g1.clock));
	vm_free(vm);
}

/* ---- KVM_GET/SET_IRQCHIP: all three chips, non-reset contents ---- */
static void test_irqchip_round_trip(void)
{
	struct vm *vm = vm_create_empty();
	struct kvm_irqchip c, g, g2;

	is(kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), 0, "CREATE_IRQCHIP");
	for (int id = 0; id < 2; id++) {
		memset(&c, 0, sizeof(c));
		c.chip_id = id;
		kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &c);
		c.chip.pic.imr = 0x5a;
		c.chip.pic.irq_base = id ? 0x70 : 0x68;
		c.chip.pic.priority_add = 3;
		c.chip.pic.read_reg_select = 1;
		c.chip.pic.special_mask = 1;
		c.chip.pic.auto_eoi = 1;
		c.chip.pic.special_fully_nested_mode = 1;
		c.chip.pic.init4 = 1;
		c.chip.pic.elcr = id ? 0x04 : 0x08;	/* within the ELCR masks 0xde, 0xf8 */
		is(kvm_ioctl(vm->fd, KVM_SET_IRQCHIP, &c), 0, "SET_IRQCHIP %s PIC", id ? "slave" : "master");
		memset(&g, 0, sizeof(g));
		g.chip_id = id;
		kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &g);
		ok(!memcmp(&g, &c, sizeof(c)), "GET_IRQCHIP returns exactly what was set (%s)", id ? "slave" : "master");
		kvm_ioctl(vm->fd, KVM_SET_IRQCHIP, &g);
		memset(&g2, 0, sizeof(g2));
		g2.chip_id = id;
		kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &g2);
		ok(!memcmp(&g, &g2, sizeof(g)), "get -> set -> get is identical (%s PIC)", id ? "slave" : "master");
	}
	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_IOAPIC;
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &c);
	c.chip.ioapic.id = 2;
	c.chip.ioapic.ioregsel = 0x13;
	for (int i = 0; i < 24; i++)
		c.chip.ioapic.redirtbl[i].bits = (1ull << 16) | (0x30 + i) | ((uint64_t)(i & 3) << 56);
	is(kvm_ioctl(vm->fd, KVM_SET_IRQCHIP, &c), 0, "SET_IRQCHIP IOAPIC (every pin masked)");
	memset(&g, 0, sizeof(g));
	g.chip_id = KVM_IRQCHIP_IOAPIC;
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &g);
	ok(!memcmp(&g, &c, sizeof(c)), "GET_IRQCHIP returns exactly what was set (IOAPIC)");
	kvm_ioctl(vm->fd, KVM_SET_IRQCHIP, &g);
	memset(&g2, 0, sizeof(g2));
	g2.chip_id = KVM_IRQCHIP_IOAPIC;
	kvm_ioctl(vm->fd, KVM_GET_IRQCHIP, &g2);
	ok(!memcmp(&g, &g2, sizeof(g)), "get -> set -> get is identical (IOAPIC)");
	c.chip_id = 3;
	is_errno(kvm_ioctl(vm->fd, KVM_SET_IRQCHIP, &c), EINVAL, "SET_IRQCHIP chip_id 3: EINVAL");
	vm_free(vm);
}

/* ---- MSRS: get -> set -> get over the whole index list ---- */
static void test_msrs_round_trip(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct { struct kvm_msr_list h; uint32_t idx[256]; } list = { .h.nmsrs = 256 };
	struct msrs *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	static const struct kvm_msr_entry edits[] = {
		{ .index = 0x174, .data = 0x10 }, { .index = 0x175, .data = 0xffff8000 },
		{ .index = 0x176, .data = 0xffffffff81000000ull }, { .index = 0xc0000081, .data = 0x0023001000000000ull },
		{ .index = 0xc0000082, .data = 0xffffffff81a00000ull }, { .index = 0xc0000084, .data = 0x47700 },
		{ .index = 0xc0000102, .data = 0xffff888000000000ull }, { .index = 0x277, .data = 0x0407050600070106ull },
		{ .index = 0x2ff, .data = 0xc06 }, { .index = 0x200, .data = 0x80000006 },
		{ .index = 0x201, .data = 0xfc0000800ull }, { .index = 0x250, .data = 0x0606060606060606ull },
	};
	uint32_t n;

	is(kvm_ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &list), 0, "GET_MSR_INDEX_LIST");
	n = list.h.nmsrs;
	a->h.nmsrs = sizeof(edits) / sizeof(edits[0]);
	memcpy(a->e, edits, sizeof(edits));
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, a), a->h.nmsrs, "SET_MSRS of %u non-reset values", a->h.nmsrs);
	memset(a, 0, sizeof(*a));
	a->h.nmsrs = n;
	for (uint32_t i = 0; i < n; i++)
		a->e[i].index = list.idx[i];
	is(kvm_ioctl(v->fd, KVM_GET_MSRS, a), n, "GET_MSRS of all %u listed MSRs", n);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
		for (uint32_t j = 0; j < n; j++)
			if (a->e[j].index == edits[i].index && a->e[j].data != edits[i].data)
				ok(0, "MSR %#x reads back %#llx", edits[i].index, (unsigned long long)a->e[j].data);
	is(kvm_ioctl(v->fd, KVM_SET_MSRS, a), n, "SET_MSRS of all of them as read");
	memset(b, 0, sizeof(*b));
	b->h.nmsrs = n;
	for (uint32_t i = 0; i < n; i++)
		b->e[i].index = list.idx[i];
	kvm_ioctl(v->fd, KVM_GET_MSRS, b);
	/* the TSC moves on by itself; every other MSR must be identical */
	for (uint32_t i = 0; i < n; i++)
		if (a->e[i].index == 0x10)
			a->e[i].data = b->e[i].data = 0;
	ok(!memcmp(a->e, b->e, n * sizeof(a->e[0])), "MSRS get -> set -> get is identical (TSC aside)");
	free(a);
	free(b);
	vm_free(vm);
}

/* ---- KVM_IOEVENTFD and coalesced MMIO: a full bus ---- */
static void test_bus_full(void)
{
	struct vm *vm = vm_create_empty();
	int efd = eventfd(0, EFD_CLOEXEC);
	struct kvm_ioeventfd io = { .len = 1, .fd = efd, .flags = KVM_IOEVENTFD_FLAG_PIO };
	struct kvm_coalesced_mmio_zone z = { .size = 1, .pio = 1 };
	int okay = 0;

	for (int i = 0; i < 1000; i++) {
		io.addr = 0x1000 + i;
		okay += kvm_ioctl(vm->fd, KVM_IOEVENTFD, &io) == 0;
	}
	is(okay, 1000, "1000 PIO ioeventfds");
	io.addr = 0x2000;
	is_errno(kvm_ioctl(vm->fd, KVM_IOEVENTFD, &io), ENOSPC, "the 1001st device on the bus: ENOSPC");
	z.addr = 0x3000;
	is_errno(kvm_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, &z), ENOSPC,
		 "a coalesced PIO zone on the full bus: ENOSPC");
	io.addr = 0x1000;
	io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	is(kvm_ioctl(vm->fd, KVM_IOEVENTFD, &io), 0, "deassign one");
	is(kvm_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, &z), 0, "now the zone fits");
	z.pio = 2;
	is_errno(kvm_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, &z), EINVAL, "zone pio 2: EINVAL");
	{
		int p[2];

		if (pipe(p) == 0) {
			io.fd = p[0];
			is_errno(kvm_ioctl(vm->fd, KVM_IOEVENTFD, &io), EINVAL,
				 "deassign with a descriptor that is no eventfd: EINVAL (eventfd_ctx_fdget)");
			close(p[0]);
			close(p[1]);
		}
		io.fd = 100000;
		is_errno(kvm_ioctl(vm->fd, KVM_IOEVENTFD, &io), EBADF, "deassign with a closed descriptor: EBADF");
	}
	close(efd);
	vm_free(vm);
}

/* ---- KVM_SIGNAL_MSI with no LAPIC at the destination: -1, so errno EPERM ---- */
static void test_signal_msi(void)
{
	struct vm *vm = vm_create_empty();
	struct kvm_msi msi = { .address_lo = 0xfee00000 | (7 << 12), .data = 0x30 };
	struct kvm_lapic_state *lapic;
	struct vcpu *v;

	kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0);
	v = vm_add_vcpu(vm, 0);
	/* kvm_send_userspace_msi() returns kvm_irq_delivery_to_apic()'s -1: errno 1 */
	is_errno(kvm_ioctl(vm->fd, KVM_SIGNAL_MSI, &msi), EPERM, "SIGNAL_MSI to a missing APIC ID: -1 (EPERM)");
	msi.address_lo = 0xfee00000;
	is(kvm_ioctl(vm->fd, KVM_SIGNAL_MSI, &msi), 0, "SIGNAL_MSI to a software-disabled LAPIC: 0");
	lapic = calloc(1, sizeof(*lapic));
	kvm_ioctl(v->fd, KVM_GET_LAPIC, lapic);
	lapic->regs[0xf0] = 0xff;
	lapic->regs[0xf1] = 0x01;	/* SVR: APIC software enabled */
	is(kvm_ioctl(v->fd, KVM_SET_LAPIC, lapic), 0, "SET_LAPIC enables it");
	is(kvm_ioctl(vm->fd, KVM_SIGNAL_MSI, &msi), 1, "SIGNAL_MSI to APIC 0: one LAPIC accepted it");
	free(lapic);
	vm_free(vm);
}

int main(void)
{
	test_system();
	test_efault();
	test_vcpu_errors();
	test_vm_enable_cap();
	test_mce();
	test_vcpu_events();
	test_sregs_interrupt_bitmap();
	test_xcrs();
	test_clock();
	test_irqchip_round_trip();
	test_msrs_round_trip();
	test_bus_full();
	test_signal_msi();
	return tap_done();
}
