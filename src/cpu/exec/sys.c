// SPDX-License-Identifier: GPL-2.0-only
// System instructions: HLT, CPUID/RDMSR/WRMSR (host intercepts), RDTSC, INT/IRET,
// descriptor-table registers, LMSW/SMSW, INVLPG, LTR/LLDT, SWAPGS, SYSCALL/SYSRET.
#include <string.h>

#include <stddef.h>

#include "cpu/exec/handlers.h"

int cpu_deliver_event(struct cpu *cpu, uint8_t vector, bool has_err, uint32_t err, int kind);
enum { EV_EXCEPTION, EV_SOFT_INT, EV_EXTERNAL, EV_NMI, EV_INT1 };

/* An intercepted instruction: RIP stays at it; the host finishes it with cpu_skip_insn(). */
static int intercept(struct cpu *cpu, struct insn *in, enum cpu_exit_reason reason)
{
	struct cpu_internal *ci = cpu->in;

	memset(&ci->exit, 0, sizeof(ci->exit));
	ci->exit.reason = reason;
	ci->exit.insn_len = in->len;
	cpu->rip = ci->fault_rip;
	return EXEC_EXIT;
}

int x_hlt(struct cpu *cpu, struct insn *in)
{
	(void)in;
	memset(&cpu->in->exit, 0, sizeof(cpu->in->exit));
	cpu->in->exit.reason = CPU_EXIT_HLT;
	return EXEC_EXIT;	/* RIP past the HLT */
}

int x_cpuid(struct cpu *cpu, struct insn *in)
{
	return intercept(cpu, in, CPU_EXIT_CPUID);
}

int x_rsm(struct cpu *cpu, struct insn *in)
{
	return intercept(cpu, in, CPU_EXIT_RSM);
}

int x_rdmsr(struct cpu *cpu, struct insn *in)
{
	int r = intercept(cpu, in, CPU_EXIT_RDMSR);

	cpu->in->exit.msr.index = (uint32_t)cpu->gpr[CPU_RCX];
	return r;
}

int x_wrmsr(struct cpu *cpu, struct insn *in)
{
	int r = intercept(cpu, in, CPU_EXIT_WRMSR);

	cpu->in->exit.msr.index = (uint32_t)cpu->gpr[CPU_RCX];
	cpu->in->exit.msr.data = (cpu->gpr[CPU_RDX] << 32) | (uint32_t)cpu->gpr[CPU_RAX];
	return r;
}

int x_rdtsc(struct cpu *cpu, struct insn *in)
{
	uint64_t t;

	(void)in;
	if ((cpu->cr4 & CPU_CR4_TSD) && cpu->in->cpl != 0 && (cpu->cr0 & CPU_CR0_PE))
		return raise_gp(cpu, 0);
	t = cpu->ops->read_tsc(cpu->opaque);
	cpu->gpr[CPU_RAX] = (uint32_t)t;
	cpu->gpr[CPU_RDX] = t >> 32;
	return EXEC_OK;
}

/* RDTSCP (with CPU_FEAT_RDTSCP; the decoder raises #UD without it): TSC and IA32_TSC_AUX */
int x_rdtscp(struct cpu *cpu, struct insn *in)
{
	int r = x_rdtsc(cpu, in);

	if (!r)
		cpu->gpr[CPU_RCX] = (uint32_t)cpu->in->tsc_aux;
	return r;
}

/*
 * INT n in virtual-8086 mode with CR4.VME (SDM Vol.3 §20.3.3, Table 20-2 methods 5 and 6):
 * the bit for n in the redirection bitmap (the 32 bytes below the TSS's I/O map base) clear
 * sends it to the 8086 handler from the IVT at linear 0, pushing FLAGS (with IF = VIF and
 * IOPL = 3 when IOPL < 3), CS and IP and clearing TF and IF (VIF when IOPL < 3). Returns
 * -1 when the bit is set (the protected-mode rules apply), else EXEC_OK or EXEC_EXC.
 */
static int v86_int(struct cpu *cpu, uint8_t vector)
{
	struct cpu_internal *ci = cpu->in;
	struct cpu_segment *tr = &cpu->seg[CPU_TR];
	unsigned iopl = (ci->rflags >> 12) & 3;
	uint64_t base, bits, ent, fl, sp0 = cpu->gpr[CPU_RSP];
	int r = 0;

	if (tr->s || ((tr->type & 7) != 3 && (tr->type & 7) != 1) || !(tr->type & 8) || tr->limit < 0x67 || (r = mem_read_lin(cpu, tr->base + 0x66, 2, &base, true)))
		return r ? r : raise_gp(cpu, 0);
	base &= 0xffff;
	if (base < 32 || base - 32 + vector / 8 > tr->limit)
		return raise_gp(cpu, 0);
	if ((r = mem_read_lin(cpu, tr->base + base - 32 + vector / 8, 1, &bits, true)))
		return r;
	if ((bits >> (vector & 7)) & 1)
		return -1;
	if ((r = mem_read_lin(cpu, (uint64_t)vector * 4, 4, &ent, false)))
		return r;
	fl = flags_read(cpu) & 0xffff;
	if (iopl < 3)
		fl = (fl & ~(uint64_t)CPU_FLAG_IF) | CPU_FLAG_IOPL | ((ci->rflags & CPU_FLAG_VIF) ? CPU_FLAG_IF : 0);
	if ((r = push(cpu, 2, fl)) || (r = push(cpu, 2, cpu->seg[CPU_CS].selector)) ||
	    (r = push(cpu, 2, cpu->rip))) {
		cpu->gpr[CPU_RSP] = sp0;
		return r;
	}
	ci->rflags &= ~(uint64_t)(CPU_FLAG_TF | (iopl < 3 ? CPU_FLAG_VIF : CPU_FLAG_IF));
	load_seg(cpu, CPU_CS, (uint16_t)(ent >> 16));
	cpu->rip = ent & 0xffff;
	return EXEC_OK;
}

int x_int(struct cpu *cpu, struct insn *in)
{
	if (in->op->arg == 1)	/* INT1 (F1) */
		return cpu_deliver_event(cpu, CPU_EXC_DB, false, 0, EV_INT1);
	if (cpu->in->rflags & CPU_FLAG_VM) {
		int r;

		/* CR4.VME: a clear bit in the TSS's interrupt redirection bitmap keeps INT n in virtual-8086 mode */
		if ((cpu->cr4 & CPU_CR4_VME) && (r = v86_int(cpu, (uint8_t)in->ops[0].imm)) != -1)
			return r;
		/* INT n is IOPL-sensitive in virtual-8086 mode (SDM Vol.3 §20.2.7): #GP(0) */
		if (((cpu->in->rflags >> 12) & 3) < 3)
			return raise_gp(cpu, 0);
	}
	return cpu_deliver_event(cpu, (uint8_t)in->ops[0].imm, false, 0, EV_SOFT_INT);
}

int x_int3(struct cpu *cpu, struct insn *in)
{
	(void)in;
	if (cpu->intercept_int3) {
		/* a debugger's breakpoint: report it with RIP at the INT3, as a VMX #BP exit */
		memset(&cpu->in->exit, 0, sizeof(cpu->in->exit));
		cpu->in->exit.reason = CPU_EXIT_DEBUG;
		cpu->in->exit.debug.vector = CPU_EXC_BP;
		cpu->rip = cpu->in->fault_rip;
		return EXEC_EXIT;
	}
	return cpu_deliver_event(cpu, CPU_EXC_BP, false, 0, EV_SOFT_INT);
}

int x_into(struct cpu *cpu, struct insn *in)
{
	(void)in;
	if (!flag(cpu, CPU_FLAG_OF))
		return EXEC_OK;
	return cpu_deliver_event(cpu, CPU_EXC_OF, false, 0, EV_SOFT_INT);
}

int x_ud(struct cpu *cpu, struct insn *in)
{
	(void)in;
	return raise_ud(cpu);
}

int x_unimpl(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;

	memset(&ci->exit, 0, sizeof(ci->exit));
	ci->exit.reason = CPU_EXIT_UNHANDLED;
	ci->exit.unhandled.len = in->len;
	memcpy(ci->exit.unhandled.insn, in->bytes, in->len);
	cpu->rip = ci->fault_rip;
	return EXEC_EXIT;
}

int x_fence(struct cpu *cpu, struct insn *in)
{
	(void)cpu; (void)in;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return EXEC_OK;
}

int x_wbinvd(struct cpu *cpu, struct insn *in)
{
	(void)cpu; (void)in;
	return EXEC_OK;	/* no caches to write back */
}

/* IRET/IRETD/IRETQ (SDM Vol.2 IRET): real mode, same or outer privilege, 64-bit mode */
int x_iret(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;
	unsigned osz = in->opsize;
	uint64_t sp0 = cpu->gpr[CPU_RSP], ip, cs, fl, sp = 0, ss = 0, lo, mask;
	struct cpu_segment newcs, newss;
	unsigned rpl;
	bool outer;
	int r;

	if ((cpu->cr0 & CPU_CR0_PE) && !(ci->rflags & CPU_FLAG_VM) && (ci->rflags & CPU_FLAG_NT)) {
		/* a task return to the back link of the current TSS (SDM Vol.3 §8.3); #GP(0) in IA-32e mode */
		uint64_t link;

		if (ci->long_mode)
			return raise_gp(cpu, 0);
		if ((r = mem_read_lin(cpu, cpu->seg[CPU_TR].base, 2, &link, true)))
			return r;
		r = task_switch(cpu, (uint16_t)link, TASK_IRET, false, false, 0);
		if (!r)
			cpu->nmi_blocked = false;
		return r;
	}
	/* IOPL-sensitive in virtual-8086 mode; with CR4.VME a 16-bit IRET works on VIF */
	if ((ci->rflags & CPU_FLAG_VM) && ((ci->rflags >> 12) & 3) < 3 &&
	    (!(cpu->cr4 & CPU_CR4_VME) || osz != 2))
		return raise_gp(cpu, 0);
	if ((r = pop(cpu, osz, &ip)) || (r = pop(cpu, osz, &cs)) || (r = pop(cpu, osz, &fl)))
		goto fail;
	if (ci->rflags & CPU_FLAG_VM) {
		/* in virtual-8086 mode at IOPL 3: as in real mode, VM and IOPL unchanged (SDM Vol.2 IRET) */
		ip &= size_mask(osz);
		if (ip > 0xffff) {
			r = raise_gp(cpu, 0);
			goto fail;
		}
		mask = (osz == 2 ? 0xffff : 0x257fd5) & ~(uint64_t)(CPU_FLAG_IOPL | CPU_FLAG_VM);
		if (((ci->rflags >> 12) & 3) < 3) {
			/* CR4.VME, IOPL < 3: IF goes to VIF; TF, or IF with VIP, is #GP(0) */
			if ((fl & CPU_FLAG_TF) || ((fl & CPU_FLAG_IF) && (ci->rflags & CPU_FLAG_VIP))) {
				r = raise_gp(cpu, 0);
				goto fail;
			}
			mask &= ~(uint64_t)CPU_FLAG_IF;
			fl = (fl & mask) | ((fl & CPU_FLAG_IF) ? CPU_FLAG_VIF : 0);
			mask |= CPU_FLAG_VIF;
		}
		cpu_set_rflags(cpu, (cpu_get_rflags(cpu) & ~mask) | (fl & mask));
		load_seg(cpu, CPU_CS, (uint16_t)cs);
		cpu->rip = ip;
		cpu->nmi_blocked = false;
		return EXEC_OK;
	}
	if ((fl & CPU_FLAG_VM) && ci->cpl == 0 && osz == 4 && !ci->long_mode) {
		/* RETURN-TO-VIRTUAL-8086-MODE (SDM Vol.2 IRET, Vol.3 §20.2.5): ESP SS ES DS FS GS follow */
		uint64_t v[6];

		if ((ip & 0xffffffffull) > 0xffff) {
			r = raise_gp(cpu, 0);
			goto fail;
		}
		for (int i = 0; i < 6; i++)
			if ((r = pop(cpu, 4, &v[i])))
				goto fail;
		cpu_set_rflags(cpu, fl);
		load_seg(cpu, CPU_CS, (uint16_t)cs);
		load_seg(cpu, CPU_SS, (uint16_t)v[1]);
		load_seg(cpu, CPU_ES, (uint16_t)v[2]);
		load_seg(cpu, CPU_DS, (uint16_t)v[3]);
		load_seg(cpu, CPU_FS, (uint16_t)v[4]);
		load_seg(cpu, CPU_GS, (uint16_t)v[5]);
		cpu->gpr[CPU_RSP] = (uint32_t)v[0];
		cpu->rip = ip & 0xffff;
		cpu->nmi_blocked = false;
		cpu_update_mode(cpu);
		return EXEC_OK;
	}
	if (!(cpu->cr0 & CPU_CR0_PE)) {
		if ((ip & size_mask(osz)) > cpu->seg[CPU_CS].limit) {
			r = raise_gp(cpu, 0);	/* outside the CS limit (SDM Vol.2 IRET, real mode) */
			goto fail;
		}
		cpu->seg[CPU_CS].selector = (uint16_t)cs;
		cpu->seg[CPU_CS].base = (cs & 0xffff) << 4;
		cpu->rip = ip & size_mask(osz);
		mask = osz == 2 ? 0xffff : 0x257fd5;
		cpu_set_rflags(cpu, (cpu_get_rflags(cpu) & ~mask) | (fl & mask));
		cpu->nmi_blocked = false;
		cpu_update_mode(cpu);
		return EXEC_OK;
	}

	rpl = cs & 3;
	if (rpl < (unsigned)ci->cpl || (cs & ~3) == 0) {
		r = raise_gp(cpu, (uint32_t)cs & ~3u);
		goto fail;
	}
	if ((r = read_descriptor(cpu, (uint16_t)cs, &lo, NULL)))
		goto fail;
	seg_from_descriptor(&newcs, (uint16_t)cs, lo);
	if (!newcs.s || !(newcs.type & 8) || ((newcs.type & 4) ? newcs.dpl > rpl : newcs.dpl != rpl)) {
		r = raise_gp(cpu, (uint32_t)cs & ~3u);
		goto fail;
	}
	if (!newcs.present) {
		cpu_raise(cpu, CPU_EXC_NP, true, (uint32_t)cs & ~3u);
		r = EXEC_EXC;
		goto fail;
	}
	if (ci->code64 || rpl > (unsigned)ci->cpl) {
		/* 64-bit IRET always pops SS:RSP; a return to an outer ring does too */
		if ((r = pop(cpu, osz, &sp)) || (r = pop(cpu, osz, &ss)))
			goto fail;
		if ((ss & ~3) == 0) {
			if (!(ci->long_mode && newcs.l && rpl != 3)) {
				r = raise_gp(cpu, 0);
				goto fail;
			}
			memset(&newss, 0, sizeof(newss));
			newss.selector = (uint16_t)ss;
			newss.unusable = 1;
			newss.dpl = (uint8_t)rpl;
		} else {
			if ((r = read_descriptor(cpu, (uint16_t)ss, &lo, NULL)))
				goto fail;
			seg_from_descriptor(&newss, (uint16_t)ss, lo);
			if ((ss & 3) != rpl || newss.dpl != rpl || !newss.s || (newss.type & 0xa) != 2) {
				r = raise_gp(cpu, (uint32_t)ss & ~3u);
				goto fail;
			}
		}
	}
	/* flags: IOPL only at CPL 0, IF only when CPL <= IOPL (SDM Vol.2 IRET) */
	mask = CPU_FLAGS_ARITH | CPU_FLAG_TF | CPU_FLAG_DF | CPU_FLAG_NT | CPU_FLAG_RF | CPU_FLAG_AC | CPU_FLAG_ID;
	if (ci->cpl == 0)
		mask |= CPU_FLAG_IOPL | CPU_FLAG_VIF | CPU_FLAG_VIP;
	if ((unsigned)ci->cpl <= ((ci->rflags >> 12) & 3))
		mask |= CPU_FLAG_IF;
	if (osz == 2)
		mask &= 0xffff;
	/* the return EIP against the new CS limit, RIP canonical for 64-bit code: #GP(0) */
	ip &= size_mask(osz);
	if ((ci->long_mode && newcs.l) ? !is_canonical(ip) : ip > newcs.limit) {
		r = raise_gp(cpu, 0);
		goto fail;
	}
	outer = rpl > (unsigned)ci->cpl;
	cpu->seg[CPU_CS] = newcs;
	if (ci->code64 || rpl > (unsigned)ci->cpl) {
		cpu->seg[CPU_SS] = newss;
		cpu->gpr[CPU_RSP] = osz == 2 ? (cpu->gpr[CPU_RSP] & ~0xffffull) | (sp & 0xffff) : sp;
	}
	cpu->rip = ip;
	cpu_set_rflags(cpu, (cpu_get_rflags(cpu) & ~mask) | (fl & mask));
	cpu->nmi_blocked = false;
	cpu_update_mode(cpu);
	if (outer)
		seg_null_outer(cpu);
	return EXEC_OK;
fail:
	cpu->gpr[CPU_RSP] = sp0;
	return r;
}

static int load_dt(struct cpu *cpu, struct insn *in, struct cpu_dtable *dt)
{
	uint64_t ea = insn_ea(cpu, in), limit, base;
	int r;

	if ((r = mem_read_seg(cpu, in->seg, ea, 2, &limit)) ||
	    (r = mem_read_seg(cpu, in->seg, ea + 2, cpu->in->code64 ? 8 : 4, &base)))
		return r;
	if (!cpu->in->code64 && in->opsize == 2)
		base &= 0xffffff;	/* 16-bit operand size loads a 24-bit base */
	if (cpu->in->code64 && !is_canonical(base))
		return raise_gp(cpu, 0);
	dt->limit = (uint16_t)limit;
	dt->base = base;
	return EXEC_OK;
}

static int store_dt(struct cpu *cpu, struct insn *in, const struct cpu_dtable *dt)
{
	uint64_t ea = insn_ea(cpu, in);
	int r = mem_write_seg(cpu, in->seg, ea, 2, dt->limit);

	return r ? r : mem_write_seg(cpu, in->seg, ea + 2, cpu->in->code64 ? 8 : 4, dt->base);
}

/* UMIP (SDM Vol.3 §2.5, CR4 bit 11): SGDT SIDT SLDT SMSW STR are #GP(0) at CPL > 0. */
static bool umip_blocks(struct cpu *cpu)
{
	return (cpu->cr4 & CPU_CR4_UMIP) && cpu->in->cpl > 0;
}

int x_lgdt(struct cpu *cpu, struct insn *in) { return load_dt(cpu, in, &cpu->gdt); }
int x_lidt(struct cpu *cpu, struct insn *in) { return load_dt(cpu, in, &cpu->idt); }
int x_sgdt(struct cpu *cpu, struct insn *in)
{
	return umip_blocks(cpu) ? raise_gp(cpu, 0) : store_dt(cpu, in, &cpu->gdt);
}
int x_sidt(struct cpu *cpu, struct insn *in)
{
	return umip_blocks(cpu) ? raise_gp(cpu, 0) : store_dt(cpu, in, &cpu->idt);
}

/* STAC (arg 1) / CLAC (arg 0): set or clear EFLAGS.AC; #UD at CPL > 0 (SDM Vol.2 STAC/CLAC) */
int x_stac(struct cpu *cpu, struct insn *in)
{
	if (cpu->in->cpl > 0)
		return raise_ud(cpu);
	if (in->op->arg)
		cpu->in->rflags |= CPU_FLAG_AC;
	else
		cpu->in->rflags &= ~(uint64_t)CPU_FLAG_AC;
	return EXEC_OK;
}

int x_smsw(struct cpu *cpu, struct insn *in)
{
	if (umip_blocks(cpu))
		return raise_gp(cpu, 0);
	if (in->ops[0].type == OPT_MEM)
		in->ops[0].size = 2;
	else
		in->ops[0].size = in->opsize;
	return op_write(cpu, in, 0, cpu->cr0 & size_mask(in->ops[0].size));
}

/* LMSW: loads CR0.PE/MP/EM/TS; it cannot clear PE */
int x_lmsw(struct cpu *cpu, struct insn *in)
{
	uint64_t v;
	int r = op_read(cpu, in, 0, &v);

	if (r)
		return r;
	v = (cpu->cr0 & ~0xeull) | (v & 0xf) | (cpu->cr0 & CPU_CR0_PE);
	return cpu_write_cr(cpu, 0, v);
}

/* INVLPG m: the page holding m's linear address; no fault of any kind (not even non-canonical) */
int x_invlpg(struct cpu *cpu, struct insn *in)
{
	cpu->counters.invlpg++;
	tlb_flush_page(cpu, seg_linear(cpu, in->seg, insn_ea(cpu, in)));
	return EXEC_OK;
}

/*
 * INVPCID (SDM Vol.2 INVPCID, Vol.3 §4.10.4.1): the checks exactly, then the invalidation.
 * The soft TLB is not tagged by PCID (every CR3 load flushes it, so it only ever holds
 * the current PCID's translations): type 0 drops that page, the other types flush all of
 * it, which the SDM permits (invalidating more than required is always allowed).
 */
int x_invpcid(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t type, desc[2];
	int r;

	if (ci->rflags & CPU_FLAG_VM)
		return raise_ud(cpu);	/* not recognised in virtual-8086 mode */
	if (ci->cpl > 0)
		return raise_gp(cpu, 0);
	type = cpu->gpr[in->ops[0].reg & 15] & (ci->code64 ? ~0ull : 0xffffffffull);
	if (type > 3)
		return raise_gp(cpu, 0);
	if ((r = mem_rw_seg(cpu, in->seg, insn_ea(cpu, in), 16, desc, false)))
		return r;
	if (desc[0] >> 12)
		return raise_gp(cpu, 0);	/* descriptor bits 63:12 are reserved */
	if (type == 0 && !is_canonical(desc[1]))
		return raise_gp(cpu, 0);
	if (type <= 1 && !(cpu->cr4 & CPU_CR4_PCIDE) && (desc[0] & 0xfff))
		return raise_gp(cpu, 0);	/* only PCID 0 exists without CR4.PCIDE */
	cpu->counters.invlpg++;
	if (type == 0)
		tlb_flush_page(cpu, desc[1]);
	else
		tlb_flush(cpu);
	return EXEC_OK;
}

int x_clts(struct cpu *cpu, struct insn *in)
{
	(void)in;
	cpu->cr0 &= ~CPU_CR0_TS;
	return EXEC_OK;
}

int x_sldt(struct cpu *cpu, struct insn *in)
{
	if (!(cpu->cr0 & CPU_CR0_PE) || (cpu->in->rflags & CPU_FLAG_VM))
		return raise_ud(cpu);
	if (umip_blocks(cpu))
		return raise_gp(cpu, 0);
	if (in->ops[0].type == OPT_MEM)
		in->ops[0].size = 2;
	return op_write(cpu, in, 0, cpu->seg[CPU_LDTR].selector);
}

int x_str(struct cpu *cpu, struct insn *in)
{
	if (!(cpu->cr0 & CPU_CR0_PE) || (cpu->in->rflags & CPU_FLAG_VM))
		return raise_ud(cpu);
	if (umip_blocks(cpu))
		return raise_gp(cpu, 0);
	if (in->ops[0].type == OPT_MEM)
		in->ops[0].size = 2;
	return op_write(cpu, in, 0, cpu->seg[CPU_TR].selector);
}

/* LLDT/LTR: system descriptors (16 bytes in long mode); LTR marks the TSS busy */
static int load_system_seg(struct cpu *cpu, struct insn *in, int sreg)
{
	uint64_t v, lo, hi;
	struct cpu_segment s;
	uint16_t sel;
	int r;

	if (!(cpu->cr0 & CPU_CR0_PE) || (cpu->in->rflags & CPU_FLAG_VM))
		return raise_ud(cpu);
	if ((r = op_read(cpu, in, 0, &v)))
		return r;
	sel = (uint16_t)v;
	if ((sel & ~3) == 0) {
		if (sreg == CPU_TR)
			return raise_gp(cpu, 0);
		memset(&cpu->seg[CPU_LDTR], 0, sizeof(cpu->seg[CPU_LDTR]));
		cpu->seg[CPU_LDTR].selector = sel;
		cpu->seg[CPU_LDTR].unusable = 1;
		return EXEC_OK;
	}
	if (sel & 4)
		return raise_gp(cpu, sel & ~3u);
	if ((r = read_descriptor(cpu, sel, &lo, &hi)))
		return r;
	seg_from_descriptor(&s, sel, lo);
	/* IA-32e mode: only a 64-bit TSS, and a 16-byte descriptor whose upper type is 0 */
	if (s.s || (sreg == CPU_LDTR ? s.type != 2 : (s.type != 9 && (s.type != 1 || cpu->in->long_mode))))
		return raise_gp(cpu, sel & ~3u);
	if (cpu->in->long_mode && ((sel & ~7u) + 15 > cpu->gdt.limit || ((hi >> 40) & 0x1f)))
		return raise_gp(cpu, sel & ~3u);
	if (!s.present) {
		cpu_raise(cpu, CPU_EXC_NP, true, sel & ~3u);
		return EXEC_EXC;
	}
	if (cpu->in->long_mode)
		s.base |= (hi & 0xffffffffull) << 32;
	if (sreg == CPU_TR) {
		s.type |= 2;	/* busy */
		mem_write_lin(cpu, cpu->gdt.base + (sel & ~7) + 5, 1, (lo >> 40 & 0xff) | 2, true);
	}
	cpu->seg[sreg] = s;
	return EXEC_OK;
}

int x_lldt(struct cpu *cpu, struct insn *in) { return load_system_seg(cpu, in, CPU_LDTR); }
int x_ltr(struct cpu *cpu, struct insn *in) { return load_system_seg(cpu, in, CPU_TR); }

int x_swapgs(struct cpu *cpu, struct insn *in)
{
	uint64_t t = cpu->seg[CPU_GS].base;

	(void)in;
	cpu->seg[CPU_GS].base = cpu->in->kernel_gs_base;
	cpu->in->kernel_gs_base = t;
	return EXEC_OK;
}

static void flat_seg(struct cpu_segment *s, uint16_t sel, uint8_t type, bool l, bool db, unsigned dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->s = 1;
	s->dpl = (uint8_t)dpl;
	s->present = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

/* SYSCALL (SDM Vol.2): needs EFER.SCE; 64-bit and legacy forms */
int x_syscall(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;
	uint16_t sel = (uint16_t)(ci->star >> 32) & ~3;

	(void)in;
	if (!(cpu->efer & CPU_EFER_SCE) || !(cpu->cr0 & CPU_CR0_PE))
		return raise_ud(cpu);
	if (ci->long_mode) {
		cpu->gpr[CPU_RCX] = cpu->rip;
		cpu->gpr[CPU_R11] = cpu_get_rflags(cpu) & ~(uint64_t)CPU_FLAG_RF;
		cpu->rip = ci->code64 ? ci->lstar : ci->cstar;
		cpu_set_rflags(cpu, (cpu_get_rflags(cpu) & ~ci->sfmask) & ~(uint64_t)CPU_FLAG_RF);
		flat_seg(&cpu->seg[CPU_CS], sel, 0xb, true, false, 0);
	} else {
		cpu->gpr[CPU_RCX] = (uint32_t)cpu->rip;
		cpu->rip = (uint32_t)ci->star;
		cpu_set_rflags(cpu, cpu_get_rflags(cpu) & ~(uint64_t)(CPU_FLAG_VM | CPU_FLAG_IF | CPU_FLAG_RF));
		flat_seg(&cpu->seg[CPU_CS], sel, 0xb, false, true, 0);
	}
	flat_seg(&cpu->seg[CPU_SS], sel + 8, 0x3, false, true, 0);
	cpu_update_mode(cpu);
	return EXEC_OK;
}

/* SYSRET: to CPL 3; a non-canonical RCX is #GP(0) at CPL 0 (SDM Vol.2 SYSRET) */
int x_sysret(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;
	uint16_t sel = (uint16_t)(ci->star >> 48);

	if (!(cpu->efer & CPU_EFER_SCE) || !(cpu->cr0 & CPU_CR0_PE))
		return raise_ud(cpu);
	if (ci->long_mode && (in->rex & 8)) {
		uint64_t rcx = cpu->gpr[CPU_RCX];
		if (!is_canonical(rcx))
			return raise_gp(cpu, 0);
		cpu->rip = rcx;
		flat_seg(&cpu->seg[CPU_CS], (uint16_t)((sel + 16) | 3), 0xb, true, false, 3);
	} else {
		cpu->rip = (uint32_t)cpu->gpr[CPU_RCX];
		flat_seg(&cpu->seg[CPU_CS], (uint16_t)(sel | 3), 0xb, false, true, 3);
	}
	if (ci->long_mode)
		cpu_set_rflags(cpu, (cpu->gpr[CPU_R11] & 0x3c7fd7) | 2);
	else
		cpu_set_rflags(cpu, cpu_get_rflags(cpu) | CPU_FLAG_IF);
	flat_seg(&cpu->seg[CPU_SS], (uint16_t)((sel + 8) | 3), 0x3, false, true, 3);
	cpu_update_mode(cpu);
	return EXEC_OK;
}

/* VMCALL / VMMCALL: always a host intercept in a guest (SDM Vol.3 §26.1.2; APM VMMCALL) */
int x_vmcall(struct cpu *cpu, struct insn *in)
{
	int r = intercept(cpu, in, CPU_EXIT_HYPERCALL);

	cpu->in->exit.hypercall.vmmcall = in->op->arg != 0;
	return r;
}

/*
 * SYSENTER (SDM Vol.2B "SYSENTER", Intel behaviour: valid in 64-bit mode too): flat CPL-0
 * CS/SS from IA32_SYSENTER_CS, RSP/RIP from IA32_SYSENTER_ESP/EIP, VM IF RF cleared.
 */
int x_sysenter(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;
	uint16_t sel = (uint16_t)ci->sysenter_cs & ~3;

	(void)in;
	if (!(cpu->cr0 & CPU_CR0_PE) || !(sel & ~3))
		return raise_gp(cpu, 0);
	cpu_set_rflags(cpu, cpu_get_rflags(cpu) & ~(uint64_t)(CPU_FLAG_VM | CPU_FLAG_IF | CPU_FLAG_RF));
	flat_seg(&cpu->seg[CPU_CS], sel, 0xb, ci->long_mode, !ci->long_mode, 0);
	flat_seg(&cpu->seg[CPU_SS], (uint16_t)(sel + 8), 0x3, false, true, 0);
	cpu->gpr[CPU_RSP] = ci->long_mode ? ci->sysenter_esp : (uint32_t)ci->sysenter_esp;
	cpu->rip = ci->long_mode ? ci->sysenter_eip : (uint32_t)ci->sysenter_eip;
	cpu_update_mode(cpu);
	return EXEC_OK;
}

/* SYSEXIT (SDM Vol.2B "SYSEXIT"): back to CPL 3; REX.W returns to 64-bit code (RIP=RDX, RSP=RCX) */
int x_sysexit(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;
	uint16_t sel = (uint16_t)ci->sysenter_cs & ~3;
	bool to64 = (in->rex & 8) != 0;

	if (!(cpu->cr0 & CPU_CR0_PE) || !(sel & ~3))
		return raise_gp(cpu, 0);
	if (to64 && (!is_canonical(cpu->gpr[CPU_RDX]) || !is_canonical(cpu->gpr[CPU_RCX])))
		return raise_gp(cpu, 0);
	flat_seg(&cpu->seg[CPU_CS], (uint16_t)((sel + (to64 ? 32 : 16)) | 3), 0xb, to64, !to64, 3);
	flat_seg(&cpu->seg[CPU_SS], (uint16_t)((sel + (to64 ? 40 : 24)) | 3), 0x3, false, true, 3);
	cpu->gpr[CPU_RSP] = to64 ? cpu->gpr[CPU_RCX] : (uint32_t)cpu->gpr[CPU_RCX];
	cpu->rip = to64 ? cpu->gpr[CPU_RDX] : (uint32_t)cpu->gpr[CPU_RDX];
	cpu_update_mode(cpu);
	return EXEC_OK;
}
