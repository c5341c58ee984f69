// SPDX-License-Identifier: GPL-2.0-only
// KVM_GET/SET_SREGS2 and the PAE PDPTE registers (SDM Vol.3 §4.4.1): the PDPTEs are
// loaded by MOV CR3 (and KVM_SET_SREGS), not re-read from memory by every walk; an
// invalid PDPTE makes MOV CR3 #GP; KVM_SET_SREGS2 with PDPTRS_VALID installs the given
// values instead of reading guest memory (api.rst 4.133/4.134).
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"

#define PDPT	0x1000
#define PD0	0x2000	/* linear 0..2M -> physical 0..2M */
#define PD_A	0x3000	/* linear 1G.. -> physical 0x200000 */
#define PD_B	0x4000	/* linear 1G.. -> physical 0x400000 */
#define BAD_PDPT 0x5000	/* entry 0 has reserved bit 5 set */
#define CODE	0x8000
#define WIN	"\x00\x00\x00\x40"	/* linear 0x40000000 */

static const char prog[] =
	"\xa1" WIN "\xf4"				/* 1: mov eax, [win]; hlt */
	"\xc7\x05\x08\x10\x00\x00\x01\x40\x00\x00"	/* mov dword [PDPT + 8], PD_B | P */
	"\x0f\x01\x3d" WIN				/* invlpg [win] */
	"\xa1" WIN "\xf4"				/* 2: mov eax, [win]; hlt */
	"\x0f\x20\xd8\x0f\x22\xd8"			/* mov eax, cr3; mov cr3, eax */
	"\xa1" WIN "\xf4"				/* 3 */
	"\xa1" WIN "\xf4"				/* 4 (after SET_SREGS2 from the host) */
	"\xa1" WIN "\xf4"				/* 5 (after SET_SREGS from the host) */
	"\xb8\x00\x50\x00\x00\x0f\x22\xd8"		/* mov eax, BAD_PDPT; mov cr3, eax: #GP */
	"\xf4";

static void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

static void flat(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
				   .present = 1, .db = 1, .s = 1, .g = 1 };
}

/* Runs to the next HLT and returns EAX there (~0 on another exit). */
static uint32_t to_hlt(struct vcpu *v)
{
	if (vcpu_run(v) || v->run->exit_reason != KVM_EXIT_HLT) {
		printf("# exit reason %u at rip %#llx\n", v->run->exit_reason,
		       (unsigned long long)vcpu_regs(v).rip);
		return ~0u;
	}
	return (uint32_t)vcpu_regs(v).rax;
}

/*
 * A 32-bit flat vCPU with the given CR0/CR3/CR4 running `code` at CODE (memory from
 * `mem`, 6 MiB). Returns the exit reason and leaves the sregs in *out.
 */
static uint32_t run_cr_case(uint8_t *mem, struct vcpu *v, uint64_t cr0, uint64_t cr3, uint64_t cr4,
			    const char *code, size_t len, struct kvm_sregs2 *out)
{
	struct kvm_sregs s = vcpu_sregs(v);
	struct kvm_regs r = { .rip = CODE, .rflags = 2 };

	memcpy(mem + CODE, code, len);
	flat(&s.cs, 8, 11);
	flat(&s.ds, 16, 3);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.idt.limit = 0;
	s.cr0 = cr0;
	s.cr3 = cr3;
	s.cr4 = cr4;
	s.efer = 0;
	vcpu_set_sregs(v, &s);
	vcpu_set_regs(v, &r);
	if (vcpu_run(v))
		return ~0u;
	kvm_ioctl(v->fd, KVM_GET_SREGS2, out);
	return v->run->exit_reason;
}

/* The CR0 and CR4 writes that enter PAE paging load the PDPTEs too, with the same #GP. */
static void test_cr_paths(void)
{
	static const char set_pg[] = "\x0f\x20\xc0\x0d\x00\x00\x00\x80\x0f\x22\xc0\xf4";	/* cr0 |= PG; hlt */
	static const char set_pae[] = "\x0f\x20\xe0\x83\xc8\x20\x0f\x22\xe0\xf4";		/* cr4 |= PAE; hlt */
	struct kvm_sregs2 s2;

	for (int bad = 0; bad < 2; bad++) {
		struct vm *vm = vm_create_empty();
		uint8_t *mem = vm_add_memory(vm, 0, 0, 0x600000, 0);
		struct vcpu *v = vm_add_vcpu(vm, 0);
		uint32_t exit;

		put64(mem, PDPT, PD0 | 1);
		put64(mem, PD0, 0x83);
		put64(mem, BAD_PDPT, PD0 | 1 | 0x20);
		exit = run_cr_case(mem, v, 0x11, bad ? BAD_PDPT : PDPT, 0x20, set_pg, sizeof(set_pg) - 1, &s2);
		if (bad)
			ok(exit == KVM_EXIT_SHUTDOWN && !(s2.cr0 & 0x80000000u),
			   "MOV CR0 setting PG with PAE and a reserved PDPTE bit: #GP, CR0 unchanged");
		else
			ok(exit == KVM_EXIT_HLT && (s2.cr0 & 0x80000000u) && s2.pdptrs[0] == (PD0 | 1) &&
			   s2.flags == KVM_SREGS2_FLAGS_PDPTRS_VALID, "MOV CR0 setting PG with PAE loads the PDPTEs");
		vm_free(vm);
	}

	/*
	 * MOV CR4 under paging. From 32-bit paging to PAE the CR3 page becomes a PDPT: PDE 0
	 * maps the code, so the walk has set its A bit (bit 5), reserved in a PDPTE: #GP,
	 * as on hardware. Under PAE, toggling PGE reloads the PDPTEs from memory.
	 */
	{
		static const char set_pgen[] =
			"\xc7\x05\x08\x10\x00\x00\x01\x40\x00\x00"	/* mov dword [PDPT + 8], PD_B | P */
			"\x0f\x20\xe0\x0d\x80\x00\x00\x00\x0f\x22\xe0\xf4";	/* cr4 |= PGE; hlt */
		struct vm *vm = vm_create_empty();
		uint8_t *mem = vm_add_memory(vm, 0, 0, 0x600000, 0);
		struct vcpu *v = vm_add_vcpu(vm, 0);
		uint32_t pde = 0x83, exit;

		memcpy(mem + PDPT, &pde, 4);	/* a 4 MiB page at 0 */
		exit = run_cr_case(mem, v, 0x80000011, PDPT, 0x10, set_pae, sizeof(set_pae) - 1, &s2);
		ok(exit == KVM_EXIT_SHUTDOWN && !(s2.cr4 & 0x20),
		   "MOV CR4 entering PAE when PDE 0 (now a PDPTE) has A set: #GP, CR4 unchanged");
		vm_free(vm);

		vm = vm_create_empty();
		mem = vm_add_memory(vm, 0, 0, 0x600000, 0);
		v = vm_add_vcpu(vm, 0);
		put64(mem, PDPT, PD0 | 1);
		put64(mem, PDPT + 8, PD_A | 1);
		put64(mem, PD0, 0x83);
		exit = run_cr_case(mem, v, 0x80000011, PDPT, 0x20, set_pgen, sizeof(set_pgen) - 1, &s2);
		ok(exit == KVM_EXIT_HLT && (s2.cr4 & 0x80) && s2.pdptrs[1] == (PD_B | 1),
		   "MOV CR4 toggling PGE under PAE reloads the PDPTEs");
		vm_free(vm);
	}
}

int main(void)
{
	struct vm *vm = vm_create_empty();
	uint8_t *mem = vm_add_memory(vm, 0, 0, 0x600000, 0);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s = vcpu_sregs(v);
	struct kvm_regs r = { .rip = CODE, .rflags = 2 };
	struct kvm_sregs2 s2, s2b, bad;

	is(kvm_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_SREGS2), 1, "KVM_CAP_SREGS2 is 1");
	is(kvm_ioctl(v->fd, KVM_GET_SREGS2, &s2), 0, "GET_SREGS2 in real mode");
	is(s2.flags, 0, "no PDPTRS_VALID without PAE paging");

	put64(mem, PDPT, PD0 | 1);
	put64(mem, PDPT + 8, PD_A | 1);
	put64(mem, PD0, 0x83);			/* 2M page, P|RW|PS */
	put64(mem, PD_A, 0x200000 | 0x83);
	put64(mem, PD_B, 0x400000 | 0x83);
	put64(mem, BAD_PDPT, PD0 | 1 | 0x20);
	put64(mem, 0x200000, 0xaaaa1111);
	put64(mem, 0x400000, 0xbbbb2222);
	memcpy(mem + CODE, prog, sizeof(prog));

	flat(&s.cs, 8, 11);
	flat(&s.ds, 16, 3);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.idt.limit = 0;	/* any exception ends in a triple fault */
	s.cr0 = 0x80000011;	/* PG | ET | PE */
	s.cr4 = 0x20;		/* PAE */
	s.cr3 = PDPT;
	s.efer = 0;
	vcpu_set_sregs(v, &s);	/* loads the PDPTEs from memory, as KVM does */
	vcpu_set_regs(v, &r);

	is(to_hlt(v), 0xaaaa1111, "PAE read through PDPTE 1 -> PD_A");
	is(kvm_ioctl(v->fd, KVM_GET_SREGS2, &s2), 0, "GET_SREGS2");
	ok(s2.flags == KVM_SREGS2_FLAGS_PDPTRS_VALID && s2.pdptrs[0] == (PD0 | 1) &&
	   s2.pdptrs[1] == (PD_A | 1) && s2.pdptrs[2] == 0 && s2.pdptrs[3] == 0 && s2.cr3 == PDPT,
	   "GET_SREGS2 reports the loaded PDPTEs");

	is(to_hlt(v), 0xaaaa1111, "after the guest rewrites PDPTE 1 in memory and INVLPGs: old mapping");
	is(kvm_ioctl(v->fd, KVM_GET_SREGS2, &s2), 0, "GET_SREGS2");
	is(s2.pdptrs[1], PD_A | 1, "the register keeps the value loaded at MOV CR3");

	is(to_hlt(v), 0xbbbb2222, "MOV CR3 reloads the PDPTEs: new mapping");
	is(kvm_ioctl(v->fd, KVM_GET_SREGS2, &s2), 0, "GET_SREGS2");
	is(s2.pdptrs[1], PD_B | 1, "reloaded PDPTE 1");

	/* round trip and the documented errors */
	is(kvm_ioctl(v->fd, KVM_SET_SREGS2, &s2), 0, "SET_SREGS2 of what GET returned");
	is(kvm_ioctl(v->fd, KVM_GET_SREGS2, &s2b), 0, "GET_SREGS2 again");
	ok(!memcmp(&s2, &s2b, sizeof(s2)), "get -> set -> get is identical");
	bad = s2;
	bad.flags = 2;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS2, &bad), EINVAL, "unknown flag: EINVAL");
	bad = s2;
	bad.cr4 &= ~0x20ull;
	is_errno(kvm_ioctl(v->fd, KVM_SET_SREGS2, &bad), EINVAL, "PDPTRS_VALID without PAE paging: EINVAL");

	/* userspace PDPTEs win over memory (which still says PD_B) */
	s2.pdptrs[1] = PD_A | 1;
	is(kvm_ioctl(v->fd, KVM_SET_SREGS2, &s2), 0, "SET_SREGS2 with PDPTE 1 -> PD_A");
	is(to_hlt(v), 0xaaaa1111, "the guest translates with the PDPTEs from SET_SREGS2");

	/* KVM_SET_SREGS has no PDPTEs: it reloads them from guest memory */
	s = vcpu_sregs(v);
	vcpu_set_sregs(v, &s);
	is(to_hlt(v), 0xbbbb2222, "SET_SREGS reloads the PDPTEs from memory");

	is(vcpu_run(v), 0, "run");
	is(v->run->exit_reason, KVM_EXIT_SHUTDOWN, "MOV CR3 to a PDPT with a reserved bit: #GP (no IDT: shutdown)");
	is(kvm_ioctl(v->fd, KVM_GET_SREGS2, &s2), 0, "GET_SREGS2");
	ok(s2.cr3 == PDPT && s2.pdptrs[0] == (PD0 | 1) && s2.pdptrs[1] == (PD_B | 1),
	   "the faulting MOV CR3 changed neither CR3 nor the PDPTEs");
	vm_free(vm);
	test_cr_paths();
	return tap_done();
}
