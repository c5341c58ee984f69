// SPDX-License-Identifier: GPL-2.0-only
// Segment registers and control registers: descriptor loads with their checks, CRn writes.
#include <stddef.h>

#include "cpu/exec/handlers.h"

int read_descriptor(struct cpu *cpu, uint16_t sel, uint64_t *lo, uint64_t *hi)
{
	struct cpu_dtable tbl;
	uint64_t off = (uint64_t)(sel & ~7);
	int r;

	if (sel & 4) {
		if (cpu->seg[CPU_LDTR].unusable)
			return raise_gp(cpu, sel & ~3u);
		tbl.base = cpu->seg[CPU_LDTR].base;
		tbl.limit = (uint16_t)(cpu->seg[CPU_LDTR].limit > 0xffff ? 0xffff : cpu->seg[CPU_LDTR].limit);
	} else {
		tbl = cpu->gdt;
	}
	if (off + 7 > tbl.limit)
		return raise_gp(cpu, sel & ~3u);
	if ((r = mem_read_lin(cpu, tbl.base + off, 8, lo, true)))
		return r;
	if (hi) {
		*hi = 0;
		if (off + 15 <= tbl.limit && (r = mem_read_lin(cpu, tbl.base + off + 8, 8, hi, true)))
			return r;
	}
	return EXEC_OK;
}

void seg_from_descriptor(struct cpu_segment *s, uint16_t sel, uint64_t lo)
{
	uint32_t limit = (uint32_t)((lo & 0xffff) | ((lo >> 32) & 0xf0000));

	s->selector = sel;
	s->base = ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24);
	s->type = (lo >> 40) & 0xf;
	s->s = (lo >> 44) & 1;
	s->dpl = (lo >> 45) & 3;
	s->present = (lo >> 47) & 1;
	s->avl = (lo >> 52) & 1;
	s->l = (lo >> 53) & 1;
	s->db = (lo >> 54) & 1;
	s->g = (lo >> 55) & 1;
	s->limit = s->g ? (limit << 12) | 0xfff : limit;
	s->unusable = !s->present;
}

/*
 * What ordinary data accesses through segment register `sreg` may do (SDM Vol.3 §5.3
 * limit checking, §5.4.1 type checking), from its descriptor cache:
 *  - expand-up segments: offsets 0..limit; expand-down data segments (type bit 2):
 *    limit+1..FFFFH, or ..FFFFFFFFH with B=1 (§3.4.5.1);
 *  - protected mode: an unusable (null) segment allows nothing; code segments are never
 *    writable and readable only with R; data segments are readable, writable with W.
 *  - real mode checks limits only: the access rights are not consulted there.
 * 64-bit mode does not use this (no limits, only canonical addresses: Vol.1 §3.3.7.1).
 */
void seg_check_compute(struct cpu *cpu, const struct cpu_segment *s, struct seg_check *c)
{
	bool code = s->type & 8;
	if (!code && (s->type & 4)) {
		c->lo = (uint64_t)s->limit + 1;
		c->hi = s->db ? 0xffffffffull : 0xffff;
	} else {
		c->lo = 0;
		c->hi = s->limit;
	}
	if (!(cpu->cr0 & CPU_CR0_PE))
		c->rights = SEGCHK_READ | SEGCHK_WRITE;
	else if (s->unusable || !s->present)
		c->rights = 0;
	else if (code)
		c->rights = (s->type & 2) ? SEGCHK_READ : 0;
	else
		c->rights = SEGCHK_READ | ((s->type & 2) ? SEGCHK_WRITE : 0);
}

void seg_check_update(struct cpu *cpu, int sreg)
{
	if (sreg <= CPU_GS)
		seg_check_compute(cpu, &cpu->seg[sreg], &cpu->in->segchk[sreg]);
}

void seg_check_all(struct cpu *cpu)
{
	for (int i = CPU_ES; i <= CPU_GS; i++)
		seg_check_update(cpu, i);
}

/* A failed seg_check(): #SS(0) for the stack segment, #GP(0) for the others (§5.3). */
int seg_check_fault(struct cpu *cpu, int seg)
{
	cpu_raise(cpu, seg == CPU_SS ? CPU_EXC_SS : CPU_EXC_GP, true, 0);
	return EXEC_EXC;
}

/* Sets the accessed bit of a code/data descriptor in memory, as the CPU does on load. */
static void set_accessed(struct cpu *cpu, uint16_t sel, uint64_t lo)
{
	uint64_t base = (sel & 4) ? cpu->seg[CPU_LDTR].base : cpu->gdt.base;

	if (!(lo & (1ull << 40)))
		mem_write_lin(cpu, base + (sel & ~7) + 5, 1, (lo >> 40 & 0xff) | 1, true);
}

void desc_set_accessed(struct cpu *cpu, uint16_t sel, uint64_t lo)
{
	set_accessed(cpu, sel, lo);
}

/* Loads a segment register (SDM Vol.3 §5.4-5.6, MOV/POP Sreg, far JMP). CS keeps CPL. */
int load_seg(struct cpu *cpu, int sreg, uint16_t sel)
{
	struct cpu_internal *ci = cpu->in;
	struct cpu_segment *s = &cpu->seg[sreg];
	uint64_t lo;
	unsigned rpl = sel & 3, cpl = (unsigned)ci->cpl, dpl;
	bool code, conforming, readable, writable;
	int r;

	if (!(cpu->cr0 & CPU_CR0_PE) || (ci->rflags & CPU_FLAG_VM)) {
		/* real and virtual-8086 mode: base = selector * 16 */
		s->selector = sel;
		s->base = (uint64_t)sel << 4;
		if (ci->rflags & CPU_FLAG_VM) {
			s->limit = 0xffff;
			s->dpl = 3;
			s->present = 1;
			s->s = 1;
			s->type = sreg == CPU_CS ? 0xb : 0x3;
			s->db = s->g = s->l = 0;
			s->unusable = 0;
		}
		if (sreg == CPU_CS)
			cpu_update_mode(cpu);
		seg_check_update(cpu, sreg);
		return EXEC_OK;
	}
	if ((sel & ~3) == 0) {
		/* a null SS only in 64-bit mode below ring 3, with RPL = CPL (SDM Vol.2 MOV, POP) */
		if (sreg == CPU_CS || (sreg == CPU_SS && (!ci->code64 || cpl == 3 || rpl != cpl)))
			return raise_gp(cpu, 0);
		s->selector = sel;
		s->unusable = 1;
		s->present = 0;
		s->base = 0;
		seg_check_update(cpu, sreg);
		return EXEC_OK;
	}
	if ((r = read_descriptor(cpu, sel, &lo, NULL)))
		return r;
	dpl = (lo >> 45) & 3;
	code = (lo >> 43) & 1;
	conforming = code && ((lo >> 42) & 1);
	readable = !code || ((lo >> 41) & 1);
	writable = !code && ((lo >> 41) & 1);
	if (!((lo >> 44) & 1))
		return raise_gp(cpu, sel & ~3u);	/* system descriptor */
	switch (sreg) {
	case CPU_SS:
		if (rpl != cpl || dpl != cpl || !writable)
			return raise_gp(cpu, sel & ~3u);
		if (!((lo >> 47) & 1)) {
			cpu_raise(cpu, CPU_EXC_SS, true, sel & ~3u);
			return EXEC_EXC;
		}
		break;
	case CPU_CS:
		if (!code || (conforming ? dpl > cpl : (dpl != cpl || rpl > cpl)))
			return raise_gp(cpu, sel & ~3u);
		if (!((lo >> 47) & 1)) {
			cpu_raise(cpu, CPU_EXC_NP, true, sel & ~3u);
			return EXEC_EXC;
		}
		sel = (uint16_t)((sel & ~3) | cpl);
		break;
	default:
		if (!readable || (!conforming && (dpl < cpl || dpl < rpl)))
			return raise_gp(cpu, sel & ~3u);
		if (!((lo >> 47) & 1)) {
			cpu_raise(cpu, CPU_EXC_NP, true, sel & ~3u);
			return EXEC_EXC;
		}
	}
	set_accessed(cpu, sel, lo);
	seg_from_descriptor(s, sel, lo | (1ull << 40));
	if (sreg == CPU_CS)
		cpu_update_mode(cpu);
	seg_check_update(cpu, sreg);
	return EXEC_OK;
}

#define CR4_SUPPORTED \
	(CPU_CR4_VME | CPU_CR4_PVI | CPU_CR4_TSD | CPU_CR4_DE | CPU_CR4_PSE | CPU_CR4_PAE | \
	 CPU_CR4_MCE | CPU_CR4_PGE | CPU_CR4_PCE | CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT)

/* MOV to CRn with the #GP checks of SDM Vol.3 §2.5 and §9.8.5 (long-mode activation). */
int cpu_write_cr(struct cpu *cpu, int cr, uint64_t val)
{
	struct cpu_internal *ci = cpu->in;

	switch (cr) {
	case 0: {
		uint64_t old = cpu->cr0;

		if (!ci->code64)
			val &= 0xffffffffull;
		if ((val >> 32) || ((val & CPU_CR0_PG) && !(val & CPU_CR0_PE)) ||
		    ((val & CPU_CR0_NW) && !(val & CPU_CR0_CD)))
			return raise_gp(cpu, 0);
		val |= CPU_CR0_ET;
		if ((val & CPU_CR0_PG) && !(old & CPU_CR0_PG) && (cpu->efer & CPU_EFER_LME)) {
			/* enabling paging with LME activates long mode: needs PAE and a non-64-bit CS */
			if (!(cpu->cr4 & CPU_CR4_PAE) || cpu->seg[CPU_CS].l)
				return raise_gp(cpu, 0);
			cpu->efer |= CPU_EFER_LMA;
		} else if ((val & CPU_CR0_PG) && (cpu->cr4 & CPU_CR4_PAE) && !(cpu->efer & CPU_EFER_LMA) &&
			   ((old ^ val) & (CPU_CR0_PG | CPU_CR0_CD | CPU_CR0_NW)) &&
			   cpu_load_pdptrs(cpu, cpu->cr3)) {
			/* entering PAE paging loads the PDPTEs; an invalid one is #GP (SDM Vol.3 §4.4.1) */
			return raise_gp(cpu, 0);
		}
		if (!(val & CPU_CR0_PG) && (cpu->cr4 & CPU_CR4_PCIDE))
			return raise_gp(cpu, 0);	/* clearing PG with CR4.PCIDE = 1 (SDM Vol.2 MOV CRn) */
		if (!(val & CPU_CR0_PG) && (old & CPU_CR0_PG) && (cpu->efer & CPU_EFER_LMA)) {
			if (ci->code64)
				return raise_gp(cpu, 0);	/* leave long mode from compatibility mode only */
			cpu->efer &= ~CPU_EFER_LMA;
		}
		cpu->cr0 = val;
		if ((old ^ val) & (CPU_CR0_PG | CPU_CR0_WP | CPU_CR0_PE))
			tlb_flush(cpu);
		cpu_update_mode(cpu);
		return EXEC_OK;
	}
	case 2:
		cpu->cr2 = val;
		return EXEC_OK;
	case 3:
		/*
		 * With CR4.PCIDE, bits 11:0 are the PCID and bit 63 asks not to invalidate the
		 * new PCID's translations; it is not stored (SDM Vol.3 §4.10.4.1). The soft TLB
		 * is not tagged by PCID, so it is flushed anyway (always permitted).
		 */
		if (cpu->cr4 & CPU_CR4_PCIDE)
			val &= ~(1ull << 63);
		if (ci->long_mode && (val >> 46))
			return raise_gp(cpu, 0);
		if (cpu_pae_paging(cpu) && cpu_load_pdptrs(cpu, val & 0xffffffffull))
			return raise_gp(cpu, 0);
		cpu->cr3 = ci->long_mode ? val : (val & 0xffffffffull);
		tlb_flush(cpu);
		return EXEC_OK;
	case 4:
		if (val & ~(uint64_t)(CR4_SUPPORTED | ((cpu->features & CPU_FEAT_XSAVE) ? CPU_CR4_OSXSAVE : 0) |
				      ((cpu->features & CPU_FEAT_PCID) ? CPU_CR4_PCIDE : 0) |
				      ((cpu->features & CPU_FEAT_SMEP) ? CPU_CR4_SMEP : 0) |
				      ((cpu->features & CPU_FEAT_SMAP) ? CPU_CR4_SMAP : 0) |
				      ((cpu->features & CPU_FEAT_UMIP) ? CPU_CR4_UMIP : 0)))
			return raise_gp(cpu, 0);
		if (ci->long_mode && !(val & CPU_CR4_PAE))
			return raise_gp(cpu, 0);
		/* PCIDE 0 -> 1 needs IA-32e mode and CR3[11:0] = 0 (SDM Vol.3 §4.10.1) */
		if ((val & ~cpu->cr4 & CPU_CR4_PCIDE) && (!ci->long_mode || (cpu->cr3 & 0xfff)))
			return raise_gp(cpu, 0);
		if ((cpu->cr0 & CPU_CR0_PG) && (val & CPU_CR4_PAE) && !(cpu->efer & CPU_EFER_LMA) &&
		    ((val ^ cpu->cr4) & (CPU_CR4_PAE | CPU_CR4_PGE | CPU_CR4_PSE)) &&
		    cpu_load_pdptrs(cpu, cpu->cr3))
			return raise_gp(cpu, 0);	/* SDM Vol.3 §4.4.1 */
		if ((val ^ cpu->cr4) & (CPU_CR4_PAE | CPU_CR4_PSE | CPU_CR4_PGE | CPU_CR4_SMEP | CPU_CR4_SMAP |
					CPU_CR4_PCIDE))
			tlb_flush(cpu);
		cpu->cr4 = val;
		cpu_update_mode(cpu);	/* SMEP/SMAP for the TLB's hit path */
		cpu_dbg_update(cpu);	/* CR4.DE arms or disarms I/O breakpoints */
		return EXEC_OK;
	default:
		if (val >> 4)
			return raise_gp(cpu, 0);
		cpu->cr8 = val;
		cpu->cr8_written = true;
		return EXEC_OK;
	}
}

int cpu_set_cr(struct cpu *cpu, int cr, uint64_t val)
{
	bool had = cpu->in->exc_pending;

	cpu_update_mode(cpu);
	if (cpu_write_cr(cpu, cr, val) == EXEC_OK)
		return 0;
	if (!had)
		cpu->in->exc_pending = false;	/* the #GP was for us, not the guest */
	return -1;
}

/*
 * The descriptor for LAR/LSL/VERR/VERW, which never fault on a bad selector: returns
 * EXEC_OK with *ok=false for a null selector or one beyond its table's limit, and an
 * exception only for a fault reading the table itself (#PF).
 */
static int probe_descriptor(struct cpu *cpu, uint16_t sel, uint64_t *lo, bool *ok)
{
	uint64_t base, limit, off = sel & ~7u;

	*ok = false;
	if ((sel & ~3) == 0)
		return EXEC_OK;
	if (sel & 4) {
		if (cpu->seg[CPU_LDTR].unusable || !cpu->seg[CPU_LDTR].present)
			return EXEC_OK;
		base = cpu->seg[CPU_LDTR].base;
		limit = cpu->seg[CPU_LDTR].limit;
	} else {
		base = cpu->gdt.base;
		limit = cpu->gdt.limit;
	}
	if (off + 7 > limit)
		return EXEC_OK;
	*ok = true;
	return mem_read_lin(cpu, base + off, 8, lo, true);
}

/* DPL >= CPL and DPL >= RPL, except for conforming code (SDM Vol.2A "LAR") */
static bool desc_visible(struct cpu *cpu, uint16_t sel, uint64_t lo)
{
	unsigned dpl = (lo >> 45) & 3, type = (lo >> 40) & 0xf;
	bool s = (lo >> 44) & 1;

	if (s && (type & 0xc) == 0xc)
		return true;	/* conforming code */
	return dpl >= (unsigned)cpu->in->cpl && dpl >= (sel & 3u);
}

/* System descriptor types LAR (arg 0) and LSL (arg 1) accept (SDM Vol.2A LAR/LSL tables) */
static bool sys_type_ok(struct cpu *cpu, unsigned type, bool lsl)
{
	if (cpu->in->long_mode)
		return type == 2 || type == 9 || type == 0xb || (!lsl && type == 0xc);
	switch (type) {
	case 1: case 2: case 3: case 9: case 0xb: return true;
	case 4: case 5: case 0xc: return !lsl;	/* gates have access rights, no limit */
	default: return false;
	}
}

static int lar_lsl(struct cpu *cpu, struct insn *in, bool lsl)
{
	uint64_t sel, lo = 0;
	bool ok;
	int r;

	if ((r = op_read(cpu, in, 1, &sel)) || (r = probe_descriptor(cpu, (uint16_t)sel, &lo, &ok)))
		return r;
	if (ok) {
		bool s = (lo >> 44) & 1;
		unsigned type = (lo >> 40) & 0xf;
		ok = (s || sys_type_ok(cpu, type, lsl)) && desc_visible(cpu, (uint16_t)sel, lo);
	}
	flags_set(cpu, CPU_FLAG_ZF, ok);
	if (!ok)
		return EXEC_OK;
	if (lsl) {
		struct cpu_segment tmp;
		seg_from_descriptor(&tmp, (uint16_t)sel, lo);
		reg_write(cpu, in->ops[0].reg, in->ops[0].size, tmp.limit);
	} else {
		/* access rights: the descriptor's second dword masked with 00F0FF00H */
		reg_write(cpu, in->ops[0].reg, in->ops[0].size, (lo >> 32) & 0x00f0ff00ull);
	}
	return EXEC_OK;
}

int x_lar(struct cpu *cpu, struct insn *in)
{
	return lar_lsl(cpu, in, false);
}

int x_lsl(struct cpu *cpu, struct insn *in)
{
	return lar_lsl(cpu, in, true);
}

/* VERR (arg 0) / VERW (arg 1): ZF=1 when the segment is readable / writable from here */
int x_verr(struct cpu *cpu, struct insn *in)
{
	uint64_t sel, lo = 0;
	bool ok;
	int r;

	if ((r = op_read(cpu, in, 0, &sel)) || (r = probe_descriptor(cpu, (uint16_t)sel, &lo, &ok)))
		return r;
	if (ok) {
		unsigned type = (lo >> 40) & 0xf;
		bool code = type & 8;

		ok = ((lo >> 44) & 1) && desc_visible(cpu, (uint16_t)sel, lo) &&
		     (in->op->arg ? !code && (type & 2) : !code || (type & 2));
	}
	flags_set(cpu, CPU_FLAG_ZF, ok);
	return EXEC_OK;
}
