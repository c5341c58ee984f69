// SPDX-License-Identifier: GPL-2.0-only
// The CPU's run loop, event delivery (exceptions, interrupts, NMI) and the public API.
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exec/handlers.h"

enum { EV_EXCEPTION, EV_SOFT_INT, EV_EXTERNAL, EV_NMI, EV_INT1 };
int cpu_deliver_event(struct cpu *cpu, uint8_t vector, bool has_err, uint32_t err, int kind);

void cpu_raise(struct cpu *cpu, uint8_t vector, bool has_error, uint32_t error)
{
	struct cpu_internal *ci = cpu->in;

	ci->exc_pending = true;
	ci->exc_vector = vector;
	ci->exc_has_error = has_error;
	ci->exc_error = error;
}

void cpu_update_mode(struct cpu *cpu)
{
	struct cpu_internal *ci = cpu->in;

	ci->long_mode = (cpu->efer & CPU_EFER_LMA) != 0;
	ci->code64 = ci->long_mode && cpu->seg[CPU_CS].l;
	ci->def_size = cpu->seg[CPU_CS].db ? 4 : 2;
	if (!(cpu->cr0 & CPU_CR0_PE))
		ci->cpl = 0;
	else if (ci->rflags & CPU_FLAG_VM)
		ci->cpl = 3;
	else
		ci->cpl = cpu->seg[CPU_CS].selector & 3;
	ci->sup_prot = !(cpu->cr0 & CPU_CR0_PG) ? 0 :
		       ((cpu->cr4 & CPU_CR4_SMEP) ? SUP_SMEP : 0) | ((cpu->cr4 & CPU_CR4_SMAP) ? SUP_SMAP : 0);
	seg_check_all(cpu);
}

/* ---- lifecycle ---- */

/* The x87/SSE state FNINIT and power-on leave, as KVM initialises a vCPU's FPU:
 * FCW 0x37f, MXCSR 0x1f80, everything else 0 (MXCSR_MASK reported as 0xffff). */
void cpu_fpu_init(struct cpu *cpu)
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80, mask = 0xffff;

	memset(cpu->fxsave, 0, sizeof(cpu->fxsave));
	memcpy(cpu->fxsave + 0, &fcw, 2);
	memcpy(cpu->fxsave + 24, &mxcsr, 4);
	memcpy(cpu->fxsave + 28, &mask, 4);
}

static void seg_reset(struct cpu_segment *s, uint16_t sel, uint64_t base, uint8_t type, uint8_t sflag)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = 0xffff;
	s->type = type;
	s->s = sflag;
	s->present = 1;
}

void cpu_reset(struct cpu *cpu, bool init)
{
	struct cpu_internal *ci = cpu->in;

	/* SDM Vol.3 Table 10-1 */
	memset(cpu->gpr, 0, sizeof(cpu->gpr));
	cpu->gpr[CPU_RDX] = 0x600;	/* processor signature: family 6, as KVM resets a vCPU */
	cpu->rip = 0xfff0;
	ci->rflags = CPU_FLAG_FIXED1;
	ci->lf_op = LF_NONE;
	seg_reset(&cpu->seg[CPU_CS], 0xf000, 0xffff0000ull, 0xb, 1);
	seg_reset(&cpu->seg[CPU_DS], 0, 0, 0x3, 1);
	seg_reset(&cpu->seg[CPU_ES], 0, 0, 0x3, 1);
	seg_reset(&cpu->seg[CPU_SS], 0, 0, 0x3, 1);
	seg_reset(&cpu->seg[CPU_FS], 0, 0, 0x3, 1);
	seg_reset(&cpu->seg[CPU_GS], 0, 0, 0x3, 1);
	seg_reset(&cpu->seg[CPU_LDTR], 0, 0, 0x2, 0);
	seg_reset(&cpu->seg[CPU_TR], 0, 0, 0xb, 0);
	cpu->gdt.base = cpu->idt.base = 0;
	cpu->gdt.limit = cpu->idt.limit = 0xffff;
	/* INIT keeps CD and NW (SDM Vol.3 §10.1.1) */
	cpu->cr0 = init ? (0x60000010ull & ~(CPU_CR0_CD | CPU_CR0_NW)) |
			  (cpu->cr0 & (CPU_CR0_CD | CPU_CR0_NW)) | CPU_CR0_ET
			: 0x60000010ull;
	cpu->cr2 = cpu->cr3 = cpu->cr4 = cpu->cr8 = 0;
	memset(cpu->pdptr, 0, sizeof(cpu->pdptr));
	cpu->efer = 0;
	memset(cpu->dr, 0, sizeof(cpu->dr));
	cpu->dr[6] = 0xffff0ff0ull;
	cpu->dr[7] = 0x400;
	/*
	 * INIT leaves the x87/MMX/SSE state and XCR0 as they are (SDM Vol.3 Table 10-1;
	 * KVM's kvm_vcpu_reset() resets XCR0 only when !init_event).
	 */
	if (!init) {
		cpu->xcr0 = 1;
		cpu_fpu_init(cpu);
	}
	cpu->shadow = 0;
	cpu->nmi_blocked = false;
	ci->exc_pending = ci->shutdown = false;
	ci->exc_nesting = 0;
	ci->nanswers = ci->answer_pos = 0;
	ci->io_waiting = false;
	ci->nmmio_writes = ci->mmio_write_pos = ci->nmmio_staged = 0;
	if (!init) {
		ci->star = ci->lstar = ci->cstar = ci->sfmask = ci->kernel_gs_base = 0;
		ci->sysenter_cs = ci->sysenter_esp = ci->sysenter_eip = 0;
		ci->tsc_aux = 0;
	}
	tlb_flush(cpu);
	cpu_update_mode(cpu);
	cpu_dbg_update(cpu);
}

struct cpu *cpu_create(const struct cpu_host_ops *ops, void *opaque)
{
	struct cpu *cpu;
	const char *notlb = getenv("SWKVM_CPU_NO_TLB");

	if (opcode_tables_check())
		return NULL;
	cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return NULL;
	cpu->in = calloc(1, sizeof(*cpu->in));
	if (!cpu->in) {
		free(cpu);
		return NULL;
	}
	cpu->ops = ops;
	cpu->opaque = opaque;
	cpu->features = CPU_FEAT_DEFAULT;
	cpu->in->dcache_features = CPU_FEAT_DEFAULT;
	/* the soft TLB's off switch: every access walks the page tables */
	cpu->in->tlb_disabled = notlb && *notlb && *notlb != '0';
	{
		/* the lazy-flags off switch: flags computed eagerly after every instruction */
		const char *nolazy = getenv("SWKVM_CPU_NO_LAZY_FLAGS");
		cpu->in->lazy_flags_off = nolazy && *nolazy && *nolazy != '0';
	}
	{
		const char *nodc = getenv("SWKVM_CPU_NO_DCACHE");
		cpu->in->dcache_disabled = nodc && *nodc && *nodc != '0';
	}
	{
		/* the decoded-block off switch: every instruction through step() */
		const char *nob = getenv("SWKVM_CPU_NO_BLOCKS");
		cpu->in->blocks_disabled = nob && *nob && *nob != '0';
	}
	cpu->in->blk_gfn = ~0ull;
	if (!cpu->in->dcache_disabled) {
		cpu->in->dcache = calloc(DCACHE_SIZE, sizeof(struct dcache_entry));
		if (!cpu->in->dcache) {
			free(cpu->in);
			free(cpu);
			return NULL;
		}
	}
	if (blocks_init(cpu)) {
		free(cpu->in->dcache);
		free(cpu->in);
		free(cpu);
		return NULL;
	}
	cpu_reset(cpu, false);
	return cpu;
}

void cpu_destroy(struct cpu *cpu)
{
	if (cpu) {
		blocks_free(cpu);
		free(cpu->in->dcache);
		free(cpu->in);
		free(cpu);
	}
}

/* ---- event delivery (SDM Vol.3 chapter 6) ---- */

static bool has_error_code(uint8_t v)
{
	return v == CPU_EXC_DF || (v >= CPU_EXC_TS && v <= CPU_EXC_PF) || v == CPU_EXC_AC ||
	       v == 21 || v == 29 || v == 30;
}

static int push_lin(struct cpu *cpu, uint64_t *sp, uint64_t ss_base, uint64_t mask, unsigned size,
		    uint64_t val, bool sys)
{
	uint64_t nsp = (*sp - size) & mask;
	int r = mem_write_lin(cpu, (ss_base + nsp) & (cpu->in->long_mode ? ~0ull : 0xffffffffull),
			      size, val, sys);

	if (!r)
		*sp = nsp;
	return r;
}

static int deliver_real(struct cpu *cpu, uint8_t vector)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t ent, sp = cpu->gpr[CPU_RSP];
	uint64_t mask = cpu->seg[CPU_SS].db ? 0xffffffffull : 0xffff;
	int r;

	if ((uint32_t)vector * 4 + 3 > cpu->idt.limit)
		return raise_gp(cpu, (uint32_t)vector * 8 + 2);
	if ((r = mem_read_lin(cpu, cpu->idt.base + (uint64_t)vector * 4, 4, &ent, true)))
		return r;
	/* the three words must lie within the stack segment's limit: #SS (SDM Vol.2 INT, real mode) */
	for (unsigned i = 1; i <= 3; i++)
		if ((r = seg_check(cpu, CPU_SS, (sp - 2 * i) & mask, 2, true)))
			return r;
	if ((r = push_lin(cpu, &sp, cpu->seg[CPU_SS].base, mask, 2, flags_read(cpu), true)) ||
	    (r = push_lin(cpu, &sp, cpu->seg[CPU_SS].base, mask, 2, cpu->seg[CPU_CS].selector, true)) ||
	    (r = push_lin(cpu, &sp, cpu->seg[CPU_SS].base, mask, 2, cpu->rip, true)))
		return r;
	cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~mask) | sp;
	ci->rflags &= ~(uint64_t)(CPU_FLAG_IF | CPU_FLAG_TF | CPU_FLAG_AC | CPU_FLAG_RF);
	cpu->seg[CPU_CS].selector = (uint16_t)(ent >> 16);
	cpu->seg[CPU_CS].base = (ent >> 16 & 0xffff) << 4;
	cpu->rip = ent & 0xffff;
	cpu_update_mode(cpu);
	return EXEC_OK;
}

/*
 * Fault-class exceptions (SDM Vol.3 Table 6-1): the EFLAGS image saved for them has RF set,
 * so that the IRET back re-executes the instruction without its instruction breakpoint
 * firing again (§18.3.1.1; KVM sets RF likewise when it injects a fault). #DB is left out
 * (its instruction-breakpoint form is the exception to the rule, its others are traps).
 */
static bool fault_class(uint8_t v)
{
	return v == CPU_EXC_DE || v == CPU_EXC_BR || v == CPU_EXC_UD || v == CPU_EXC_NM ||
	       (v >= CPU_EXC_TS && v <= CPU_EXC_PF) || v == CPU_EXC_MF || v == CPU_EXC_AC ||
	       v == CPU_EXC_XM || v == 20;
}

/* Protected mode (32-bit IDT) and long mode (64-bit IDT) delivery through a gate. */
static int deliver_protected(struct cpu *cpu, uint8_t vector, bool has_err, uint32_t err, int kind)
{
	struct cpu_internal *ci = cpu->in;
	bool lm = ci->long_mode, ext = kind == EV_EXTERNAL || kind == EV_NMI;
	unsigned gsize = lm ? 16 : 8, type, gdpl, ist = 0, dpl, cpl = (unsigned)ci->cpl;
	uint32_t idt_err = (uint32_t)vector * 8 + 2 + (ext ? 1 : 0);
	uint64_t lo, hi = 0, offset, cslo, sp, ss_base, mask, old_flags = flags_read(cpu);
	bool rf = kind == EV_EXCEPTION && fault_class(vector);
	uint16_t cs_sel, ss_sel;
	struct cpu_segment newcs, newss;
	bool gate16, stack_switch, intgate, v86 = (ci->rflags & CPU_FLAG_VM) != 0;
	uint32_t e = ext ? 1 : 0;
	int r;

	if ((uint32_t)vector * gsize + gsize - 1 > cpu->idt.limit)
		return raise_gp(cpu, idt_err);
	if ((r = mem_read_lin(cpu, cpu->idt.base + (uint64_t)vector * gsize, 8, &lo, true)))
		return r;
	if (lm && (r = mem_read_lin(cpu, cpu->idt.base + (uint64_t)vector * gsize + 8, 8, &hi, true)))
		return r;
	type = (lo >> 40) & 0x1f;	/* S bit included: must be 0 */
	gdpl = (lo >> 45) & 3;
	if (!lm && type == 0x5) {
		/* a task gate: the task switch replaces the stack frame (SDM Vol.3 §6.11.3) */
		if (kind == EV_SOFT_INT && gdpl < cpl)
			return raise_gp(cpu, idt_err);
		if (!((lo >> 47) & 1)) {
			cpu_raise(cpu, CPU_EXC_NP, true, idt_err);
			return EXEC_EXC;
		}
		{
			uint64_t old_rf = ci->rflags & CPU_FLAG_RF;

			if (rf)	/* saved with RF in the old TSS */
				ci->rflags |= CPU_FLAG_RF;
			r = task_switch(cpu, (uint16_t)(lo >> 16), TASK_INT, ext, has_err, err);
			if (r)
				ci->rflags = (ci->rflags & ~(uint64_t)CPU_FLAG_RF) | old_rf;
			return r;
		}
	}
	if (lm ? (type != 0xe && type != 0xf) : (type != 0x6 && type != 0x7 && type != 0xe && type != 0xf)) {
		return raise_gp(cpu, idt_err);
	}
	/* INT n, INT3 and INTO check the gate's DPL; INT1 and hardware events do not */
	if (kind == EV_SOFT_INT && gdpl < cpl)
		return raise_gp(cpu, idt_err);
	if (!((lo >> 47) & 1)) {
		cpu_raise(cpu, CPU_EXC_NP, true, idt_err);
		return EXEC_EXC;
	}
	gate16 = !lm && !(type & 8);
	intgate = !(type & 1);
	offset = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (lm ? (hi & 0xffffffffull) << 32 : 0);
	if (gate16)
		offset &= 0xffff;
	cs_sel = (uint16_t)(lo >> 16);
	ist = lm ? (unsigned)((lo >> 32) & 7) : 0;

	if ((cs_sel & ~3) == 0)
		return raise_gp(cpu, 0 + (ext ? 1 : 0));
	if ((r = read_descriptor(cpu, cs_sel, &cslo, NULL)))
		return r;
	seg_from_descriptor(&newcs, cs_sel, cslo);
	if (!newcs.s || !(newcs.type & 8) || newcs.dpl > cpl || (lm && (!newcs.l || newcs.db)))
		return raise_gp(cpu, (cs_sel & ~3u) + (ext ? 1 : 0));
	if (!newcs.present) {
		cpu_raise(cpu, CPU_EXC_NP, true, (cs_sel & ~3u) + (ext ? 1 : 0));
		return EXEC_EXC;
	}
	/* the gate's offset against the new CS: limit, or canonical in IA-32e mode (#GP(EXT)) */
	if (lm ? !is_canonical(offset) : offset > newcs.limit)
		return raise_gp(cpu, ext ? 1 : 0);
	if (rf)
		old_flags |= CPU_FLAG_RF;
	/*
	 * From virtual-8086 mode the handler must be non-conforming ring-0 code (SDM Vol.3
	 * §20.3.1.1, Vol.2 INT "INTERRUPT-FROM-VIRTUAL-8086-MODE"), else #GP(CS selector).
	 */
	if (v86 && ((newcs.type & 4) || newcs.dpl != 0))
		return raise_gp(cpu, (cs_sel & ~3u) + (ext ? 1 : 0));
	dpl = (newcs.type & 4) ? cpl : newcs.dpl;	/* conforming: stay at CPL */
	stack_switch = dpl < cpl || ist;

	sp = cpu->gpr[CPU_RSP];
	ss_sel = cpu->seg[CPU_SS].selector;
	newss = cpu->seg[CPU_SS];
	if (stack_switch) {
		struct cpu_segment *tr = &cpu->seg[CPU_TR];
		uint64_t v;

		if (lm) {
			uint64_t off = ist ? 0x24 + (uint64_t)(ist - 1) * 8 : 4 + (uint64_t)dpl * 8;
			if (off + 7 > tr->limit) {
				cpu_raise(cpu, CPU_EXC_TS, true, (tr->selector & ~3u) | e);
				return EXEC_EXC;
			}
			if ((r = mem_read_lin(cpu, tr->base + off, 8, &sp, true)))
				return r;
			if (dpl < cpl) {
				ss_sel = (uint16_t)dpl;		/* a null SS with RPL = new CPL */
				memset(&newss, 0, sizeof(newss));
				newss.selector = ss_sel;
				newss.unusable = 1;
				newss.dpl = (uint8_t)dpl;
			}
		} else {
			uint64_t off = 4 + (uint64_t)dpl * 8, sslo, tlimit;
			/* the inner stack from the TSS, with the checks of SDM Vol.2 INT "INTER-PRIVILEGE-LEVEL-INTERRUPT" */
			if (off + 5 > tr->limit) {
				cpu_raise(cpu, CPU_EXC_TS, true, (tr->selector & ~3u) | e);
				return EXEC_EXC;
			}
			if ((r = mem_read_lin(cpu, tr->base + off, 4, &sp, true)) ||
			    (r = mem_read_lin(cpu, tr->base + off + 4, 2, &v, true)))
				return r;
			ss_sel = (uint16_t)v;
			tlimit = (ss_sel & 4) ? cpu->seg[CPU_LDTR].limit : cpu->gdt.limit;
			if ((ss_sel & ~3u) == 0 || ((ss_sel & 4) && cpu->seg[CPU_LDTR].unusable) ||
			    (ss_sel & ~7u) + 7 > tlimit) {
				cpu_raise(cpu, CPU_EXC_TS, true, (ss_sel & ~3u) | e);
				return EXEC_EXC;
			}
			if ((r = read_descriptor(cpu, ss_sel, &sslo, NULL)))
				return r;
			seg_from_descriptor(&newss, ss_sel, sslo);
			if ((ss_sel & 3u) != dpl || newss.dpl != dpl || !newss.s || (newss.type & 0xa) != 2) {
				cpu_raise(cpu, CPU_EXC_TS, true, (ss_sel & ~3u) | e);
				return EXEC_EXC;
			}
			if (!newss.present) {
				cpu_raise(cpu, CPU_EXC_SS, true, (ss_sel & ~3u) | e);
				return EXEC_EXC;
			}
		}
	}
	if (lm)
		sp &= ~15ull;	/* the 64-bit frame starts 16-byte aligned */
	ss_base = lm ? 0 : newss.base;
	mask = lm ? ~0ull : newss.db ? 0xffffffffull : 0xffff;
	if (!lm) {
		/*
		 * Room for the whole frame within the stack segment's limit: #SS(EXT) on the
		 * current stack, #SS(new SS + EXT) after a switch (SDM Vol.2 INT).
		 */
		unsigned psz = gate16 ? 2 : 4;
		uint64_t need = (uint64_t)psz * ((v86 ? 4 : 0) + (stack_switch ? 2 : 0) + 3 + (has_err ? 1 : 0));
		uint64_t low = (sp - need) & mask;
		struct seg_check c;

		seg_check_compute(cpu, &newss, &c);
		if (!(c.rights & SEGCHK_WRITE) || low < c.lo || low + need - 1 > c.hi) {
			cpu_raise(cpu, CPU_EXC_SS, true, (stack_switch ? (ss_sel & ~3u) : 0) | e);
			return EXEC_EXC;
		}
	}
	{
		unsigned psize = lm ? 8 : gate16 ? 2 : 4;
		bool sys = true;
		uint64_t old_ss = cpu->seg[CPU_SS].selector, old_sp = cpu->gpr[CPU_RSP];

		if (v86) {
			/* from virtual-8086 mode: GS FS DS ES first (SDM Vol.3 Figure 20-4) */
			if ((r = push_lin(cpu, &sp, ss_base, mask, psize, cpu->seg[CPU_GS].selector, sys)) ||
			    (r = push_lin(cpu, &sp, ss_base, mask, psize, cpu->seg[CPU_FS].selector, sys)) ||
			    (r = push_lin(cpu, &sp, ss_base, mask, psize, cpu->seg[CPU_DS].selector, sys)) ||
			    (r = push_lin(cpu, &sp, ss_base, mask, psize, cpu->seg[CPU_ES].selector, sys)))
				return r;
		}
		if (lm || stack_switch) {
			if ((r = push_lin(cpu, &sp, ss_base, mask, psize, old_ss, sys)) ||
			    (r = push_lin(cpu, &sp, ss_base, mask, psize, old_sp, sys)))
				return r;
		}
		if ((r = push_lin(cpu, &sp, ss_base, mask, psize, old_flags, sys)) ||
		    (r = push_lin(cpu, &sp, ss_base, mask, psize, cpu->seg[CPU_CS].selector, sys)) ||
		    (r = push_lin(cpu, &sp, ss_base, mask, psize, cpu->rip, sys)))
			return r;
		if (has_err && (r = push_lin(cpu, &sp, ss_base, mask, psize, err, sys)))
			return r;
	}
	/* commit */
	if (stack_switch)
		cpu->seg[CPU_SS] = newss;
	cpu->gpr[CPU_RSP] = lm ? sp : (cpu->gpr[CPU_RSP] & ~mask) | sp;
	newcs.selector = (uint16_t)((cs_sel & ~3) | dpl);
	cpu->seg[CPU_CS] = newcs;
	cpu->rip = offset;
	ci->rflags &= ~(uint64_t)(CPU_FLAG_TF | CPU_FLAG_NT | CPU_FLAG_RF | CPU_FLAG_VM);
	if (intgate)
		ci->rflags &= ~(uint64_t)CPU_FLAG_IF;
	if (v86) {
		/* the handler starts with null data segments */
		static const int regs[4] = { CPU_ES, CPU_DS, CPU_FS, CPU_GS };
		for (int i = 0; i < 4; i++) {
			memset(&cpu->seg[regs[i]], 0, sizeof(cpu->seg[regs[i]]));
			cpu->seg[regs[i]].unusable = 1;
		}
	}
	cpu_update_mode(cpu);
	return EXEC_OK;
}

int cpu_deliver_event(struct cpu *cpu, uint8_t vector, bool has_err, uint32_t err, int kind)
{
	int r;

	if (!(cpu->cr0 & CPU_CR0_PE))
		r = deliver_real(cpu, vector);
	else
		r = deliver_protected(cpu, vector, has_err, err, kind);
	if (!r) {
		cpu->shadow = 0;
		if (kind == EV_NMI)
			cpu->nmi_blocked = true;
	}
	return r;
}

static bool contributory(uint8_t v)
{
	return v == CPU_EXC_DE || (v >= CPU_EXC_TS && v <= CPU_EXC_GP);
}

/*
 * Delivers the pending exception. A fault while delivering one becomes #DF per
 * SDM Vol.3 Table 6-5; a fault while delivering #DF shuts the CPU down.
 */
static void deliver_pending(struct cpu *cpu)
{
	struct cpu_internal *ci = cpu->in;
	uint8_t first = ci->exc_vector;
	int r;

	ci->exc_pending = false;
	r = cpu_deliver_event(cpu, first, ci->exc_has_error && has_error_code(first), ci->exc_error,
			      EV_EXCEPTION);
	if (r == EXEC_OK) {
		if (first == CPU_EXC_PF)
			cpu->counters.pf_delivered++;
		return;
	}
	if (r != EXEC_EXC || first == CPU_EXC_DF) {
		ci->exc_pending = false;
		ci->shutdown = true;
		return;
	}
	{
		uint8_t second = ci->exc_vector;
		bool df = (contributory(first) && contributory(second)) ||
			  (first == CPU_EXC_PF && (contributory(second) || second == CPU_EXC_PF));
		if (df)
			cpu_raise(cpu, CPU_EXC_DF, true, 0);
		/* otherwise the second exception is delivered next, serially */
	}
}

/* ---- the run loop ---- */

static void commit_insn(struct cpu *cpu, uint8_t shadow_before, bool keep_rf)
{
	struct cpu_internal *ci = cpu->in;

	ci->nanswers = ci->answer_pos = 0;
	ci->io_waiting = false;
	ci->nmmio_writes += ci->nmmio_staged;
	ci->nmmio_staged = 0;
	cpu->shadow &= (uint8_t)~shadow_before;
	/* RF lasts one instruction, except the one IRET just loaded (SDM §18.3.1.1) */
	if (!keep_rf)
		ci->rflags &= ~(uint64_t)CPU_FLAG_RF;
}

void cpu_abort_insn(struct cpu *cpu)
{
	struct cpu_internal *ci = cpu->in;

	cpu->rip = ci->fault_rip;
	ci->nmmio_staged = 0;
	ci->bp_data_hits = 0;	/* data breakpoints only fire for completed instructions */
}

/* A breakpoint hit: #DB with DR6.B0-B3, or with host debugging an exit (SDM §18.2.3). */
static int breakpoint_hit(struct cpu *cpu, uint8_t hits)
{
	struct cpu_internal *ci = cpu->in;

	if (cpu->hwbp_exit) {
		memset(&ci->exit, 0, sizeof(ci->exit));
		ci->exit.reason = CPU_EXIT_DEBUG;
		ci->exit.debug.vector = CPU_EXC_DB;
		ci->exit.debug.dr6 = hits;
		return EXEC_EXIT;
	}
	cpu->dr[6] = (cpu->dr[6] & ~0xfull) | hits;
	cpu_raise(cpu, CPU_EXC_DB, false, 0);
	return EXEC_EXC;
}

/*
 * Compares 1..15 instruction bytes without a library call or a byte loop: two
 * overlapping loads of the widest size that fits, never reading outside [0, n).
 */
static inline bool same_bytes(const uint8_t *a, const uint8_t *b, unsigned n)
{
	if (n >= 8) {
		uint64_t x0, y0, x1, y1;
		memcpy(&x0, a, 8), memcpy(&y0, b, 8);
		memcpy(&x1, a + n - 8, 8), memcpy(&y1, b + n - 8, 8);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (n >= 4) {
		uint32_t x0, y0, x1, y1;
		memcpy(&x0, a, 4), memcpy(&y0, b, 4);
		memcpy(&x1, a + n - 4, 4), memcpy(&y1, b + n - 4, 4);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (n >= 2) {
		uint16_t x0, y0, x1, y1;
		memcpy(&x0, a, 2), memcpy(&y0, b, 2);
		memcpy(&x1, a + n - 2, 2), memcpy(&y1, b + n - 2, 2);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	return n == 0 || *a == *b;
}

/* Executes one instruction. Returns EXEC_OK, EXEC_EXC (exception pending), EXEC_IO or EXEC_EXIT. */
int cpu_step(struct cpu *cpu)
{
	struct cpu_internal *ci = cpu->in;
	uint8_t shadow_before = cpu->shadow;
	struct insn in, *ip = &in;
	int r;

	ci->fault_rip = cpu->rip;
	ci->answer_pos = 0;
	ci->nmmio_staged = 0;
	ci->bp_data_hits = 0;
	/* instruction breakpoints are faults, suppressed for one instruction by RF */
	if (__builtin_expect(ci->bp_exec_mask != 0, 0) && !(ci->rflags & CPU_FLAG_RF) && !ci->nanswers) {
		uint8_t hits = cpu_dbg_exec_hits(cpu, seg_linear(cpu, CPU_CS, cpu->rip));

		if (hits)
			return breakpoint_hit(cpu, hits);
	}
	if (ci->dcache) {
		uint64_t lin = seg_linear(cpu, CPU_CS, cpu->rip);
		/* what decoding depends on: 64-bit code, CS.D, real/v8086 mode, the feature set */
		bool real = !(cpu->cr0 & CPU_CR0_PE) || (ci->rflags & CPU_FLAG_VM);
		uint8_t mode = (uint8_t)(1 | (ci->code64 << 1) | (ci->def_size << 2) | (real << 5));

		if (cpu->features != ci->dcache_features) {
			memset(ci->dcache, 0, DCACHE_SIZE * sizeof(*ci->dcache));
			ci->dcache_features = cpu->features;
		}
		struct dcache_entry *de = &ci->dcache[(lin ^ (lin >> 12)) & (DCACHE_SIZE - 1)];
		uint8_t *host;
		uint64_t gpa;

		if (de->mode == mode && de->lin == lin && (lin & 4095) + de->in.len <= 4096 &&
		    (ci->code64 || cpu->rip + de->in.len - 1 <= cpu->seg[CPU_CS].limit) &&
		    (tlb_hit(ci, lin, ACC_FETCH, ci->cpl == 3, &host, &gpa) ||
		     mmu_fetch_host(cpu, lin, &host, &gpa) == EXEC_OK) && host &&
		    same_bytes(host, de->in.bytes, de->in.len)) {
			ip = &de->in;	/* handlers' edits to a decoded insn are deterministic */
		} else {
			r = cpu_decode(cpu, &in);
			if (r) {
				cpu_abort_insn(cpu);
				return r;
			}
			if ((lin & 4095) + in.len <= 4096) {
				de->lin = lin;
				de->mode = mode;
				de->in = in;
				ip = &de->in;
			}
		}
	} else {
		r = cpu_decode(cpu, &in);
		if (r) {
			cpu_abort_insn(cpu);
			return r;
		}
	}
	return cpu_exec_insn(cpu, ip, shadow_before);
}

/*
 * Executes the decoded instruction at RIP (ci->fault_rip set, the per-instruction state
 * reset): the CPL check of `priv` rows, RIP advanced, the handler, then commit or roll
 * back, traps after it. `shadow_before`: the interrupt shadow the instruction began in.
 */
int cpu_exec_insn(struct cpu *cpu, struct insn *ip, uint8_t shadow_before)
{
	struct cpu_internal *ci = cpu->in;
	bool tf;
	int r;

	if (ip->op->priv && ci->cpl != 0) {
		cpu_abort_insn(cpu);
		return raise_gp(cpu, 0);
	}
	cpu->rip = ci->code64 ? ci->fault_rip + ip->len
			      : (ci->fault_rip + ip->len) & size_mask(ci->def_size);
	tf = (ci->rflags & CPU_FLAG_TF) != 0;
	r = ip->op->handler(cpu, ip);
	return cpu_finish_insn(cpu, ip, r, shadow_before, tf);
}

/*
 * After the handler returned `r`: commit (with the traps after an instruction) or roll
 * back. `tf`: EFLAGS.TF when the instruction began.
 */
int cpu_finish_insn(struct cpu *cpu, struct insn *ip, int r, uint8_t shadow_before, bool tf)
{
	struct cpu_internal *ci = cpu->in;

	switch (r) {
	case EXEC_OK:
		commit_insn(cpu, shadow_before, ip->op->handler == x_iret);
		/* data breakpoints: a trap after the instruction (SDM §18.3.1.2) */
		if (__builtin_expect(ci->bp_data_hits != 0, 0) && !ci->exc_pending) {
			uint8_t hits = ci->bp_data_hits;

			ci->bp_data_hits = 0;
			if (breakpoint_hit(cpu, hits) == EXEC_EXIT)
				return EXEC_EXIT;
		}
		/*
		 * Single-step trap (SDM Vol.3 §18.3.1.4): after an instruction that began with
		 * TF set, #DB with DR6.BS, RIP past it. Not after INT n/INT3/INTO (the handler
		 * starts with TF clear) nor inside a MOV SS shadow.
		 */
		if (tf && ip->op->handler != x_int && ip->op->handler != x_int3 && ip->op->handler != x_into &&
		    !(cpu->shadow & CPU_SHADOW_MOVSS) && !ci->exc_pending) {
			cpu->dr[6] |= 1ull << 14;
			cpu_raise(cpu, CPU_EXC_DB, false, 0);
		}
		if (cpu->singlestep_exit) {
			memset(&ci->exit, 0, sizeof(ci->exit));
			ci->exit.reason = CPU_EXIT_DEBUG;
			ci->exit.debug.vector = CPU_EXC_DB;
			ci->exit.debug.dr6 = 1ull << 14;	/* BS */
			return EXEC_EXIT;
		}
		return r;
	case EXEC_EXIT:
		commit_insn(cpu, shadow_before, false);
		return r;
	case EXEC_IO:
		cpu_abort_insn(cpu);
		ci->io_waiting = true;
		return r;
	default:
		cpu_abort_insn(cpu);
		ci->nanswers = 0;
		return EXEC_EXC;
	}
}

static bool report_mmio_write(struct cpu *cpu, struct cpu_exit *out)
{
	struct cpu_internal *ci = cpu->in;

	if (ci->mmio_write_pos < ci->nmmio_writes) {
		memset(out, 0, sizeof(*out));
		out->reason = CPU_EXIT_MMIO;
		out->mmio = ci->mmio_writes[ci->mmio_write_pos++];
		return true;
	}
	ci->nmmio_writes = ci->mmio_write_pos = 0;
	return false;
}

static bool attention(struct cpu *cpu)
{
	return (cpu->attention && atomic_load_explicit(cpu->attention, memory_order_relaxed)) ||
	       (cpu->attention2 && *cpu->attention2);
}

enum cpu_exit_reason cpu_run(struct cpu *cpu, struct cpu_exit *out)
{
	struct cpu_internal *ci = cpu->in;

	for (;;) {
		int r;

		if (ci->nmmio_writes && report_mmio_write(cpu, out))
			return out->reason;
		if (ci->shutdown) {
			memset(out, 0, sizeof(*out));
			return out->reason = CPU_EXIT_SHUTDOWN;
		}
		if (ci->exc_pending) {
			deliver_pending(cpu);
			continue;
		}
		/* between instructions, but never while an instruction awaits its I/O replay */
		if ((cpu->irq_window_exit && cpu_interrupt_allowed(cpu)) || (cpu->cr8 < cpu->tpr_threshold && !ci->nanswers) ||
		    (cpu->nmi_window_exit && !cpu->nmi_blocked && !(cpu->shadow & CPU_SHADOW_MOVSS) &&
		     !ci->nanswers)) {
			memset(out, 0, sizeof(*out));
			return out->reason = CPU_EXIT_IRQ_WINDOW;
		}
		if (!ci->nanswers && attention(cpu)) {
			memset(out, 0, sizeof(*out));
			return out->reason = CPU_EXIT_REQUEST;
		}
		r = ci->blocks ? block_run(cpu) : cpu_step(cpu);
		if (r == EXEC_IO || r == EXEC_EXIT) {
			*out = ci->exit;
			return out->reason;
		}
	}
}

/* ---- the I/O replay API ---- */

static void add_answer(struct cpu *cpu, uint8_t kind, const void *data, unsigned size)
{
	struct cpu_internal *ci = cpu->in;
	struct io_answer *a;

	if (ci->nanswers >= MAX_IO_EVENTS)
		return;
	a = &ci->answers[ci->nanswers++];
	a->kind = kind;
	memset(a->data, 0, sizeof(a->data));
	if (data)
		memcpy(a->data, data, size > 8 ? 8 : size);
	ci->io_waiting = false;
}

void cpu_complete_read(struct cpu *cpu, const void *data, unsigned size)
{
	if (cpu->in->io_waiting)
		add_answer(cpu, cpu->in->io_waiting_kind, data, size);
}

void cpu_complete_write(struct cpu *cpu)
{
	if (cpu->in->io_waiting)
		add_answer(cpu, IOK_PIO_WRITE, NULL, 0);
}

enum cpu_exit_reason cpu_finish_io(struct cpu *cpu, struct cpu_exit *out)
{
	struct cpu_internal *ci = cpu->in;
	int r;

	memset(out, 0, sizeof(*out));
	if (!ci->nanswers)
		return CPU_EXIT_NONE;
	r = cpu_step(cpu);
	if (r == EXEC_IO || r == EXEC_EXIT) {
		*out = ci->exit;
		return out->reason;
	}
	if (report_mmio_write(cpu, out))
		return out->reason;
	return CPU_EXIT_NONE;
}

bool cpu_io_pending(const struct cpu *cpu)
{
	return cpu->in->io_waiting || cpu->in->nanswers;
}

void cpu_cancel_io(struct cpu *cpu)
{
	cpu->in->nanswers = cpu->in->answer_pos = 0;
	cpu->in->io_waiting = false;
}

/* ---- host-side state changes ---- */

void cpu_skip_insn(struct cpu *cpu, unsigned len)
{
	struct cpu_internal *ci = cpu->in;

	cpu->rip = ci->code64 ? cpu->rip + len : (cpu->rip + len) & size_mask(ci->def_size);
	ci->rflags &= ~(uint64_t)CPU_FLAG_RF;
	cpu->shadow = 0;
}

void cpu_queue_exception(struct cpu *cpu, uint8_t vector, bool has_error, uint32_t error_code)
{
	cpu_raise(cpu, vector, has_error, error_code);
}

bool cpu_pending_exception(const struct cpu *cpu, uint8_t *vector, bool *has_error, uint32_t *error)
{
	const struct cpu_internal *ci = cpu->in;

	if (!ci->exc_pending)
		return false;
	*vector = ci->exc_vector;
	*has_error = ci->exc_has_error;
	*error = ci->exc_error;
	return true;
}

void cpu_clear_pending_exception(struct cpu *cpu)
{
	cpu->in->exc_pending = false;
}

bool cpu_interrupt_allowed(const struct cpu *cpu)
{
	return (cpu->in->rflags & CPU_FLAG_IF) && !cpu->shadow && !cpu->in->exc_pending &&
	       !cpu->in->nanswers;
}

void cpu_deliver_interrupt(struct cpu *cpu, uint8_t vector)
{
	if (cpu_deliver_event(cpu, vector, false, 0, EV_EXTERNAL) == EXEC_EXC)
		deliver_pending(cpu);
}

void cpu_deliver_nmi(struct cpu *cpu)
{
	if (cpu_deliver_event(cpu, CPU_EXC_NMI, false, 0, EV_NMI) == EXEC_EXC)
		deliver_pending(cpu);
}

uint64_t cpu_get_rflags(struct cpu *cpu)
{
	return flags_read(cpu) | CPU_FLAG_FIXED1;
}

void cpu_set_rflags(struct cpu *cpu, uint64_t rflags)
{
	/* reserved bits 3, 5, 15 and 22-63 read as 0, bit 1 as 1 */
	cpu->in->lf_op = LF_NONE;
	cpu->in->rflags = (rflags & 0x3f7fd5ull) | CPU_FLAG_FIXED1;
	cpu_update_mode(cpu);
}

void cpu_state_changed(struct cpu *cpu)
{
	cpu_update_mode(cpu);
	cpu_dbg_update(cpu);
	tlb_flush(cpu);
}

void cpu_flush_mem(struct cpu *cpu)
{
	tlb_flush(cpu);
}

int cpu_msr_read(struct cpu *cpu, uint32_t index, uint64_t *value)
{
	struct cpu_internal *ci = cpu->in;

	switch (index) {
	case 0xc0000080: *value = cpu->efer; return 0;
	case 0xc0000081: *value = ci->star; return 0;
	case 0xc0000082: *value = ci->lstar; return 0;
	case 0xc0000083: *value = ci->cstar; return 0;
	case 0xc0000084: *value = ci->sfmask; return 0;
	case 0xc0000100: *value = cpu->seg[CPU_FS].base; return 0;
	case 0xc0000101: *value = cpu->seg[CPU_GS].base; return 0;
	case 0xc0000102: *value = ci->kernel_gs_base; return 0;
	case 0x174: *value = ci->sysenter_cs; return 0;
	case 0x175: *value = ci->sysenter_esp; return 0;
	case 0x176: *value = ci->sysenter_eip; return 0;
	case 0xc0000103: *value = ci->tsc_aux; return 0;	/* IA32_TSC_AUX (RDTSCP) */
	default: return -1;
	}
}

int cpu_msr_write(struct cpu *cpu, uint32_t index, uint64_t value)
{
	struct cpu_internal *ci = cpu->in;
	bool canon = is_canonical(value);

	switch (index) {
	case 0xc0000080: cpu->efer = value; cpu_update_mode(cpu); return 0;
	case 0xc0000081: ci->star = value; return 0;
	case 0xc0000082: if (!canon) return -1; ci->lstar = value; return 0;
	case 0xc0000083: if (!canon) return -1; ci->cstar = value; return 0;
	case 0xc0000084: ci->sfmask = value & 0xffffffffull; return 0;
	case 0xc0000100: if (!canon) return -1; cpu->seg[CPU_FS].base = value; return 0;
	case 0xc0000101: if (!canon) return -1; cpu->seg[CPU_GS].base = value; return 0;
	case 0xc0000102: if (!canon) return -1; ci->kernel_gs_base = value; return 0;
	case 0x174: ci->sysenter_cs = value & 0xffff; return 0;
	case 0x175: if (!canon) return -1; ci->sysenter_esp = value; return 0;
	case 0x176: if (!canon) return -1; ci->sysenter_eip = value; return 0;
	case 0xc0000103: if (value >> 32) return -1; ci->tsc_aux = value; return 0;
	default: return -1;
	}
}

bool cpu_translate(struct cpu *cpu, uint64_t gva, uint64_t *gpa, bool *writeable, bool *user)
{
	struct cpu_internal *ci = cpu->in;
	bool exc = ci->exc_pending, he = ci->exc_has_error;
	uint8_t v = ci->exc_vector;
	uint32_t e = ci->exc_error;
	uint64_t cr2 = cpu->cr2;
	int r = mmu_probe(cpu, gva, gpa, writeable, user);

	/* a translation for the host never leaves a fault behind */
	ci->exc_pending = exc;
	ci->exc_vector = v;
	ci->exc_has_error = he;
	ci->exc_error = e;
	cpu->cr2 = cr2;
	return r == 0;
}
