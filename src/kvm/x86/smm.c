// SPDX-License-Identifier: GPL-2.0-only
// System-management mode as KVM implements it (arch/x86/kvm/smm.c): SMI entry with KVM's
// state-save image, RSM, and the SMM address space (memslots with id bits 16-31 = 1).
//
// The image is KVM's, not a particular CPU's: the AMD64-style 64-bit layout (revision
// 0x00020064) when the guest CPUID has long mode, the P6-style 32-bit layout (revision
// 0x00020000) otherwise, at SMBASE + 0xFE00 (kvm-behaviours.md Part B and C). The CPU only
// reports RSM; everything else happens here, in KVM's order.
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/x86/x86.h"

#define SMRAM_SAVE	0xfe00u		/* the 512-byte image, relative to SMBASE */
#define REV_32		0x00020000u
#define REV_64		0x00020064u

#define DR6_VOLATILE	0x0001e80full
#define DR6_FIXED_1	0xfffe0ff0ull
#define DR6_RTM		(1ull << 16)
#define DR7_VOLATILE	0xffff2bffull
#define DR7_FIXED_1	0x400ull

/* The image is addressed with the save-state offsets (0xFE00-0xFFFF) */
static void put16(uint8_t *b, unsigned off, uint16_t v) { memcpy(b + off - SMRAM_SAVE, &v, 2); }
static void put32(uint8_t *b, unsigned off, uint32_t v) { memcpy(b + off - SMRAM_SAVE, &v, 4); }
static void put64(uint8_t *b, unsigned off, uint64_t v) { memcpy(b + off - SMRAM_SAVE, &v, 8); }
static uint16_t get16(const uint8_t *b, unsigned off) { uint16_t v; memcpy(&v, b + off - SMRAM_SAVE, 2); return v; }
static uint32_t get32(const uint8_t *b, unsigned off) { uint32_t v; memcpy(&v, b + off - SMRAM_SAVE, 4); return v; }
static uint64_t get64(const uint8_t *b, unsigned off) { uint64_t v; memcpy(&v, b + off - SMRAM_SAVE, 8); return v; }

bool is_smm(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.smm;
}

static bool guest_has_lm(struct kvm_vcpu *vcpu)
{
	return guest_cpuid_has(vcpu, 0x80000001, CPUID_EDX, 29);
}

/* kvm_smm_changed(): the address space follows SMM; leaving processes latched events */
void kvm_smm_changed(struct kvm_vcpu *vcpu, bool entering)
{
	vcpu->arch.smm = entering;
	if (!entering) {
		vcpu->arch.smm_inside_nmi = false;
		kvm_make_request(vcpu, KVM_REQ_EVENT);
	}
	if (atomic_load(&vcpu->mode) == IN_GUEST_MODE)
		vcpu->slots = kvm_vcpu_memslots(vcpu);
	cpu_flush_mem(vcpu->cpu);
	cpu_state_changed(vcpu->cpu);
}

/* KVM's segment flags: G<<23 | DB<<22 | L<<21 | AVL<<20 | P<<15 | DPL<<13 | S<<12 | TYPE<<8 */
static uint32_t seg_flags(const struct cpu_segment *s)
{
	return (uint32_t)s->g << 23 | (uint32_t)s->db << 22 | (uint32_t)s->l << 21 |
	       (uint32_t)s->avl << 20 | (uint32_t)s->present << 15 | (uint32_t)s->dpl << 13 |
	       (uint32_t)s->s << 12 | (uint32_t)s->type << 8;
}

static void set_seg(struct cpu_segment *s, uint16_t sel, uint32_t flags, uint32_t limit, uint64_t base)
{
	s->selector = sel;
	s->g = (flags >> 23) & 1;
	s->db = (flags >> 22) & 1;
	s->l = (flags >> 21) & 1;
	s->avl = (flags >> 20) & 1;
	s->present = (flags >> 15) & 1;
	s->dpl = (flags >> 13) & 3;
	s->s = (flags >> 12) & 1;
	s->type = (flags >> 8) & 15;
	s->unusable = !s->present;
	s->limit = limit;
	s->base = base;
}

/* KVM_X86_SHADOW_INT_* encoding of the interrupt shadow (int_shadow byte) */
static uint8_t shadow_to_kvm(uint8_t shadow)
{
	return ((shadow & CPU_SHADOW_MOVSS) ? KVM_X86_SHADOW_INT_MOV_SS : 0) |
	       ((shadow & CPU_SHADOW_STI) ? KVM_X86_SHADOW_INT_STI : 0);
}

static uint8_t shadow_from_kvm(uint8_t v)
{
	return ((v & KVM_X86_SHADOW_INT_MOV_SS) ? CPU_SHADOW_MOVSS : 0) |
	       ((v & KVM_X86_SHADOW_INT_STI) ? CPU_SHADOW_STI : 0);
}

/* 32-bit segment records: ES/CS/SS at 0xFF84 + 12n, DS/FS/GS at 0xFF2C + 12(n-3) */
static unsigned seg32_off(int n)
{
	return n < 3 ? 0xff84u + 12u * (unsigned)n : 0xff2cu + 12u * (unsigned)(n - 3);
}

static void save_state_32(struct kvm_vcpu *vcpu, uint8_t *b)
{
	struct cpu *c = vcpu->cpu;
	const struct cpu_segment *tr = &c->seg[CPU_TR], *ldt = &c->seg[CPU_LDTR];

	put32(b, 0xfffc, (uint32_t)c->cr0);
	put32(b, 0xfff8, (uint32_t)c->cr3);
	put32(b, 0xfff4, (uint32_t)cpu_get_rflags(c));
	put32(b, 0xfff0, (uint32_t)c->rip);
	for (int i = 0; i < 8; i++)	/* EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI */
		put32(b, 0xffd0 + 4u * (unsigned)i, (uint32_t)c->gpr[i]);
	put32(b, 0xffcc, (uint32_t)c->dr[6]);
	put32(b, 0xffc8, (uint32_t)c->dr[7]);
	put32(b, 0xffc4, tr->selector);
	put32(b, 0xff64, (uint32_t)tr->base);
	put32(b, 0xff60, tr->limit);
	put32(b, 0xff5c, seg_flags(tr));
	put32(b, 0xffc0, ldt->selector);
	put32(b, 0xff80, (uint32_t)ldt->base);
	put32(b, 0xff7c, ldt->limit);
	put32(b, 0xff78, seg_flags(ldt));
	put32(b, 0xff74, (uint32_t)c->gdt.base);
	put32(b, 0xff70, c->gdt.limit);
	put32(b, 0xff58, (uint32_t)c->idt.base);
	put32(b, 0xff54, c->idt.limit);
	for (int n = 0; n < 6; n++) {
		const struct cpu_segment *s = &c->seg[n];	/* ES CS SS DS FS GS */

		put32(b, 0xffa8 + 4u * (unsigned)n, s->selector);
		put32(b, seg32_off(n) + 8, (uint32_t)s->base);
		put32(b, seg32_off(n) + 4, s->limit);
		put32(b, seg32_off(n), seg_flags(s));
	}
	put32(b, 0xff14, (uint32_t)c->cr4);
	b[0xff1a - SMRAM_SAVE] = shadow_to_kvm(c->shadow);
	put32(b, 0xfefc, REV_32);
	put32(b, 0xfef8, vcpu->arch.smbase);
}

static void save_seg_64(uint8_t *b, unsigned off, const struct cpu_segment *s)
{
	put16(b, off, s->selector);
	put16(b, off + 2, (uint16_t)(seg_flags(s) >> 8));
	put32(b, off + 4, s->limit);
	put64(b, off + 8, s->base);
}

static void save_state_64(struct kvm_vcpu *vcpu, uint8_t *b)
{
	struct cpu *c = vcpu->cpu;

	for (int i = 0; i < 16; i++)	/* RAX at 0xFFF8 down to R15 at 0xFF80 */
		put64(b, 0xfff8 - 8u * (unsigned)i, c->gpr[i]);
	put64(b, 0xff78, c->rip);
	put32(b, 0xff70, (uint32_t)cpu_get_rflags(c));
	put64(b, 0xff68, c->dr[6]);
	put64(b, 0xff60, c->dr[7]);
	put64(b, 0xff58, c->cr0);
	put64(b, 0xff50, c->cr3);
	put64(b, 0xff48, c->cr4);
	put32(b, 0xff00, vcpu->arch.smbase);
	put32(b, 0xfefc, REV_64);
	b[0xfecb - SMRAM_SAVE] = shadow_to_kvm(c->shadow);
	put64(b, 0xfed0, c->efer);
	save_seg_64(b, 0xfe90, &c->seg[CPU_TR]);
	put32(b, 0xfe84, c->idt.limit);
	put64(b, 0xfe88, c->idt.base);
	save_seg_64(b, 0xfe70, &c->seg[CPU_LDTR]);
	put32(b, 0xfe64, c->gdt.limit);
	put64(b, 0xfe68, c->gdt.base);
	for (int n = 0; n < 6; n++)
		save_seg_64(b, 0xfe00 + 16u * (unsigned)n, &c->seg[n]);
}

/* Guest-physical copy through the vCPU's current address space, page by page. */
static bool guest_rw(struct kvm_vcpu *vcpu, uint64_t gpa, void *buf, size_t len, bool write)
{
	uint8_t *p = buf;

	while (len) {
		size_t n = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));

		if (n > len)
			n = len;
		if (write ? !kvm_write_guest_page(vcpu, gpa, p, n) : !kvm_read_guest_page(vcpu, gpa, p, n))
			return false;
		gpa += n;
		p += n;
		len -= n;
	}
	return true;
}

/*
 * enter_smm() (kvm-behaviours.md B4). The image is built from the current state, SMM is
 * entered (so the write lands in the SMM address space), then the SMM register state is
 * loaded. KVM kills the VM when the image cannot be written; here the vCPU shuts down.
 * Returns false in that case.
 */
bool kvm_enter_smm(struct kvm_vcpu *vcpu)
{
	struct cpu *c = vcpu->cpu;
	uint8_t buf[512];
	struct cpu_segment cs, ds;
	bool lm = guest_has_lm(vcpu);

	memset(buf, 0, sizeof(buf));
	if (lm)
		save_state_64(vcpu, buf);
	else
		save_state_32(vcpu, buf);
	kvm_smm_changed(vcpu, true);
	if (!guest_rw(vcpu, (uint64_t)vcpu->arch.smbase + SMRAM_SAVE, buf, sizeof(buf), true))
		return false;
	if (c->nmi_blocked)
		vcpu->arch.smm_inside_nmi = true;
	else
		c->nmi_blocked = true;
	cpu_set_rflags(c, 2);
	c->rip = 0x8000;
	c->shadow = 0;
	c->cr0 &= ~(uint64_t)(CPU_CR0_PE | CPU_CR0_EM | CPU_CR0_TS | CPU_CR0_PG);
	c->efer &= ~CPU_EFER_LMA;	/* paging is off: long mode is no longer active */
	c->cr4 = 0;
	c->idt.base = 0;
	c->idt.limit = 0;		/* "undocumented: IDT limit is set to zero on entry to SMM" */
	c->dr[7] = DR7_FIXED_1;
	memset(&cs, 0, sizeof(cs));
	cs.selector = (uint16_t)((vcpu->arch.smbase >> 4) & 0xffff);
	cs.base = vcpu->arch.smbase;
	cs.limit = 0xffffffff;
	cs.type = 3;
	cs.s = 1;
	cs.g = 1;
	cs.present = 1;
	ds = cs;
	ds.selector = 0;
	ds.base = 0;
	c->seg[CPU_CS] = cs;
	c->seg[CPU_DS] = c->seg[CPU_ES] = c->seg[CPU_FS] = c->seg[CPU_GS] = c->seg[CPU_SS] = ds;
	if (lm)
		c->efer = 0;
	cpu_state_changed(c);
	return true;
}

/* kvm_set_dr() for DR6/DR7: the upper half must be clear */
static int set_dr(struct kvm_vcpu *vcpu, int n, uint64_t val)
{
	struct cpu *c = vcpu->cpu;

	if (val >> 32)
		return -1;
	if (n == 6) {
		/* DR6.RTM reads as 1 without RTM in the guest CPUID (kvm_dr6_fixed()) */
		c->dr[6] = (val & DR6_VOLATILE) | DR6_FIXED_1 |
			   (guest_cpuid_has(vcpu, 7, CPUID_EBX, 11) ? 0 : DR6_RTM);
	} else {
		c->dr[7] = (val & DR7_VOLATILE) | DR7_FIXED_1;
	}
	return 0;
}

static int set_cr4(struct kvm_vcpu *vcpu, uint64_t cr4)
{
	if (!kvm_is_valid_cr4(vcpu, cr4))
		return -1;
	return cpu_set_cr(vcpu->cpu, 4, cr4);
}

/* rsm_enter_protected_mode(): CR3, CR4 without PCIDE (PAE before PG), CR0, then PCIDE */
static int rsm_enter_protected_mode(struct kvm_vcpu *vcpu, uint64_t cr0, uint64_t cr3, uint64_t cr4)
{
	uint64_t pcid = 0;

	if (cr4 & CPU_CR4_PCIDE) {
		pcid = cr3 & 0xfff;
		cr3 &= ~0xfffull;
	}
	if (cpu_set_cr(vcpu->cpu, 3, cr3) || set_cr4(vcpu, cr4 & ~(uint64_t)CPU_CR4_PCIDE) ||
	    cpu_set_cr(vcpu->cpu, 0, cr0))
		return -1;
	if (cr4 & CPU_CR4_PCIDE) {
		if (set_cr4(vcpu, cr4))
			return -1;
		if (pcid && cpu_set_cr(vcpu->cpu, 3, cr3 | pcid))
			return -1;
	}
	return 0;
}

static int load_state_32(struct kvm_vcpu *vcpu, const uint8_t *b)
{
	struct cpu *c = vcpu->cpu;
	uint32_t cr0 = get32(b, 0xfffc), cr3 = get32(b, 0xfff8), cr4;

	cpu_set_rflags(c, get32(b, 0xfff4) | 2);
	c->rip = get32(b, 0xfff0);
	for (int i = 0; i < 8; i++)	/* exactly the eight legacy registers */
		c->gpr[i] = get32(b, 0xffd0 + 4u * (unsigned)i);
	if (set_dr(vcpu, 6, get32(b, 0xffcc)) || set_dr(vcpu, 7, get32(b, 0xffc8)))
		return -1;
	set_seg(&c->seg[CPU_TR], (uint16_t)get32(b, 0xffc4), get32(b, 0xff5c), get32(b, 0xff60),
		get32(b, 0xff64));
	set_seg(&c->seg[CPU_LDTR], (uint16_t)get32(b, 0xffc0), get32(b, 0xff78), get32(b, 0xff7c),
		get32(b, 0xff80));
	c->gdt.base = get32(b, 0xff74);
	c->gdt.limit = (uint16_t)get32(b, 0xff70);
	c->idt.base = get32(b, 0xff58);
	c->idt.limit = (uint16_t)get32(b, 0xff54);
	for (int n = 0; n < 6; n++)
		set_seg(&c->seg[n], (uint16_t)get32(b, 0xffa8 + 4u * (unsigned)n), get32(b, seg32_off(n)),
			get32(b, seg32_off(n) + 4), get32(b, seg32_off(n) + 8));
	cr4 = get32(b, 0xff14);
	vcpu->arch.smbase = get32(b, 0xfef8);
	return rsm_enter_protected_mode(vcpu, cr0, cr3, cr4);
}

static void load_seg_64(const uint8_t *b, unsigned off, struct cpu_segment *s)
{
	set_seg(s, get16(b, off), (uint32_t)get16(b, off + 2) << 8, get32(b, off + 4), get64(b, off + 8));
}

static int load_state_64(struct kvm_vcpu *vcpu, const uint8_t *b)
{
	struct cpu *c = vcpu->cpu;
	uint64_t cr0, cr3, cr4;

	for (int i = 0; i < 16; i++)
		c->gpr[i] = get64(b, 0xfff8 - 8u * (unsigned)i);
	c->rip = get64(b, 0xff78);
	cpu_set_rflags(c, get32(b, 0xff70) | 2);
	if (set_dr(vcpu, 6, get64(b, 0xff68)) || set_dr(vcpu, 7, get64(b, 0xff60)))
		return -1;
	cr0 = get64(b, 0xff58);
	cr3 = get64(b, 0xff50);
	cr4 = get64(b, 0xff48);
	vcpu->arch.smbase = get32(b, 0xff00);
	/* set_msr(), so the guest's EFER rules apply; LMA comes from CR0.PG below */
	if (kvm_set_efer(vcpu, get64(b, 0xfed0) & ~CPU_EFER_LMA, false))
		return -1;
	load_seg_64(b, 0xfe90, &c->seg[CPU_TR]);
	c->idt.limit = (uint16_t)get32(b, 0xfe84);
	c->idt.base = get64(b, 0xfe88);
	load_seg_64(b, 0xfe70, &c->seg[CPU_LDTR]);
	c->gdt.limit = (uint16_t)get32(b, 0xfe64);
	c->gdt.base = get64(b, 0xfe68);
	if (rsm_enter_protected_mode(vcpu, cr0, cr3, cr4))
		return -1;
	for (int n = 0; n < 6; n++)
		load_seg_64(b, 0xfe00 + 16u * (unsigned)n, &c->seg[n]);
	return 0;
}

/*
 * emulator_leave_smm() (kvm-behaviours.md B1): read the whole image first, leave SMM
 * (flags and address space) before loading anything, go back to a real-mode-like state
 * safe for loading CR0/CR3/CR4/EFER, then load the layout the vCPU uses. Returns -1 when
 * the image is refused: the caller shuts the guest down.
 */
int kvm_leave_smm(struct kvm_vcpu *vcpu)
{
	struct cpu *c = vcpu->cpu;
	uint8_t buf[512];
	bool lm = guest_has_lm(vcpu);
	int r;

	if (!guest_rw(vcpu, (uint64_t)vcpu->arch.smbase + SMRAM_SAVE, buf, sizeof(buf), false))
		return -1;
	if (!vcpu->arch.smm_inside_nmi)
		c->nmi_blocked = false;
	kvm_smm_changed(vcpu, false);
	if (lm) {
		struct cpu_segment cs;

		if (c->cr4 & CPU_CR4_PCIDE)
			set_cr4(vcpu, c->cr4 & ~(uint64_t)CPU_CR4_PCIDE);
		/* a 32-bit code segment is needed to clear EFER.LMA */
		memset(&cs, 0, sizeof(cs));
		cs.type = 0xb;
		cs.s = cs.g = cs.present = 1;
		c->seg[CPU_CS] = cs;
	}
	if (c->cr0 & CPU_CR0_PE)
		cpu_set_cr(c, 0, c->cr0 & ~(uint64_t)(CPU_CR0_PG | CPU_CR0_PE));
	if (lm) {
		/* only a long-mode vCPU loses EFER and CR4.PAE here (Part C1) */
		if (c->cr4 & CPU_CR4_PAE)
			set_cr4(vcpu, c->cr4 & ~(uint64_t)CPU_CR4_PAE);
		kvm_set_efer(vcpu, 0, false);
	}
	r = lm ? load_state_64(vcpu, buf) : load_state_32(vcpu, buf);
	/* the interrupt shadow of the interrupted instruction (KVM 6.2+) */
	c->shadow = shadow_from_kvm(buf[(lm ? 0xfecb : 0xff1a) - SMRAM_SAVE]);
	cpu_state_changed(c);
	return r;
}
