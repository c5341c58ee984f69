// SPDX-License-Identifier: GPL-2.0-only
// Hardware task switching (SDM Vol.3 chapter 8): JMP/CALL to a TSS or a task gate, IRET
// with EFLAGS.NT, and interrupts and exceptions through task gates; 16- and 32-bit TSSs.
//
// The switch follows §8.3: the new TSS descriptor is checked (GDT only, a TSS, available
// or, for IRET, busy, present, limit at least 67H / 2BH), the new task's state is read,
// then the commit point: the current state is saved in the current TSS, the busy bits,
// the back link and NT are updated, TR, CR0.TS, CR3 (32-bit TSS with paging), LDTR,
// EFLAGS, EIP, the registers and the segment registers are loaded. Faults before the
// commit point are raised in the old task (the instruction is abandoned); faults while
// loading the new task's segments (Table 8-2: #TS/#NP/#SS with the selector) are raised
// in the context of the new task, which the handler then sees. The T flag of a 32-bit
// TSS raises #DB (DR6.BT) in the new task.
#include <string.h>

#include "cpu/exec/handlers.h"

/* The new task's state as read from its TSS (SDM Vol.3 Figures 8-2 and 8-11). */
struct tss_image {
	uint32_t cr3, eip, eflags, gpr[8];
	uint16_t sreg[6], ldt;
	bool trap;	/* the T flag (32-bit TSS byte 64H bit 0): #DB on entry */
};

static int rd(struct cpu *cpu, uint64_t base, unsigned off, unsigned size, uint64_t *v)
{
	*v = 0;
	return mem_read_lin(cpu, (base + off) & 0xffffffffull, size, v, true);
}

static int wr(struct cpu *cpu, uint64_t base, unsigned off, unsigned size, uint64_t v)
{
	return mem_write_lin(cpu, (base + off) & 0xffffffffull, size, v, true);
}

static int read_tss(struct cpu *cpu, uint64_t base, bool is32, struct tss_image *t)
{
	uint64_t v;
	int r;

	memset(t, 0, sizeof(*t));
	if (is32) {
		if ((r = rd(cpu, base, 0x1c, 4, &v)))
			return r;
		t->cr3 = (uint32_t)v;
		if ((r = rd(cpu, base, 0x20, 4, &v)))
			return r;
		t->eip = (uint32_t)v;
		if ((r = rd(cpu, base, 0x24, 4, &v)))
			return r;
		t->eflags = (uint32_t)v;
		for (unsigned i = 0; i < 8; i++) {
			if ((r = rd(cpu, base, 0x28 + 4 * i, 4, &v)))
				return r;
			t->gpr[i] = (uint32_t)v;
		}
		for (unsigned i = 0; i < 6; i++) {
			if ((r = rd(cpu, base, 0x48 + 4 * i, 2, &v)))
				return r;
			t->sreg[i] = (uint16_t)v;
		}
		if ((r = rd(cpu, base, 0x60, 2, &v)))
			return r;
		t->ldt = (uint16_t)v;
		if ((r = rd(cpu, base, 0x64, 1, &v)))
			return r;
		t->trap = v & 1;
		return EXEC_OK;
	}
	if ((r = rd(cpu, base, 0x0e, 2, &v)))
		return r;
	t->eip = (uint16_t)v;
	if ((r = rd(cpu, base, 0x10, 2, &v)))
		return r;
	t->eflags = (uint16_t)v;
	for (unsigned i = 0; i < 8; i++) {
		if ((r = rd(cpu, base, 0x12 + 2 * i, 2, &v)))
			return r;
		t->gpr[i] = (uint16_t)v;
	}
	for (unsigned i = 0; i < 4; i++) {	/* ES CS SS DS */
		if ((r = rd(cpu, base, 0x22 + 2 * i, 2, &v)))
			return r;
		t->sreg[i] = (uint16_t)v;
	}
	if ((r = rd(cpu, base, 0x2a, 2, &v)))
		return r;
	t->ldt = (uint16_t)v;
	return EXEC_OK;
}

/* Saves the current task's dynamic fields in its TSS (§8.2.1). */
static int save_tss(struct cpu *cpu, uint64_t base, bool is32, uint32_t eflags)
{
	int r;

	if (is32) {
		if ((r = wr(cpu, base, 0x20, 4, (uint32_t)cpu->rip)) || (r = wr(cpu, base, 0x24, 4, eflags)))
			return r;
		for (unsigned i = 0; i < 8; i++)
			if ((r = wr(cpu, base, 0x28 + 4 * i, 4, (uint32_t)cpu->gpr[i])))
				return r;
		for (unsigned i = 0; i < 6; i++)
			if ((r = wr(cpu, base, 0x48 + 4 * i, 2, cpu->seg[i].selector)))
				return r;
		return EXEC_OK;
	}
	if ((r = wr(cpu, base, 0x0e, 2, (uint16_t)cpu->rip)) || (r = wr(cpu, base, 0x10, 2, (uint16_t)eflags)))
		return r;
	for (unsigned i = 0; i < 8; i++)
		if ((r = wr(cpu, base, 0x12 + 2 * i, 2, (uint16_t)cpu->gpr[i])))
			return r;
	for (unsigned i = 0; i < 4; i++)
		if ((r = wr(cpu, base, 0x22 + 2 * i, 2, cpu->seg[i].selector)))
			return r;
	return EXEC_OK;
}

/* Sets (busy) or clears the busy bit of the TSS descriptor `sel` in the GDT. */
static int set_busy(struct cpu *cpu, uint16_t sel, bool busy)
{
	uint64_t b;
	uint64_t at = cpu->gdt.base + (sel & ~7u) + 5;
	int r = mem_read_lin(cpu, at, 1, &b, true);

	if (r)
		return r;
	b = busy ? (b | 2) : (b & ~2ull);
	return mem_write_lin(cpu, at, 1, b, true);
}

/*
 * A descriptor for the new task's LDTR/CS/SS/DS...: a selector beyond its table is
 * #TS(selector) (Table 8-2), not #GP. Returns EXEC_OK, or EXEC_EXC with the fault raised.
 */
static int task_desc(struct cpu *cpu, uint16_t sel, uint32_t ext, uint64_t *lo)
{
	uint64_t limit = (sel & 4) ? cpu->seg[CPU_LDTR].limit : cpu->gdt.limit;

	if (((sel & 4) && cpu->seg[CPU_LDTR].unusable) || (sel & ~7u) + 7 > limit) {
		cpu_raise(cpu, CPU_EXC_TS, true, (sel & ~3u) | ext);
		return EXEC_EXC;
	}
	return read_descriptor(cpu, sel, lo, NULL);
}

static int ts_fault(struct cpu *cpu, uint8_t vector, uint16_t sel, uint32_t ext)
{
	cpu_raise(cpu, vector, true, (sel & ~3u) | ext);
	return EXEC_EXC;
}

/* Loads LDTR, CS, SS, DS, ES, FS, GS of the new task with the checks of Table 8-2. */
static int load_task_segs(struct cpu *cpu, const struct tss_image *t, uint32_t ext)
{
	static const int data_regs[4] = { CPU_DS, CPU_ES, CPU_FS, CPU_GS };
	uint16_t cs = t->sreg[CPU_CS], ss = t->sreg[CPU_SS];
	unsigned cpl = cs & 3;
	struct cpu_segment s;
	uint64_t lo;
	int r;

	/*
	 * The selectors are loaded first and the descriptors after them (§8.3 step 11). Until
	 * then the data segments are unusable; CS and SS keep the old task's descriptor
	 * caches, so a fault raised here can still be delivered through an interrupt gate
	 * (the SDM recommends a task gate for these faults: the state is not fully valid).
	 */
	for (int i = CPU_ES; i <= CPU_GS; i++) {
		cpu->seg[i].selector = t->sreg[i];
		if (i != CPU_CS && i != CPU_SS) {
			cpu->seg[i].unusable = 1;
			cpu->seg[i].present = 0;
		}
	}
	seg_check_all(cpu);
	cpu->seg[CPU_LDTR].selector = t->ldt;
	cpu->seg[CPU_LDTR].unusable = 1;
	if (cpu->in->rflags & CPU_FLAG_VM) {
		/* a virtual-8086 task (§20.2.5): real-mode style segments, CPL 3 */
		for (int i = CPU_ES; i <= CPU_GS; i++)
			load_seg(cpu, i, t->sreg[i]);
	}
	if (t->ldt & ~3u) {
		if (t->ldt & 4)
			return ts_fault(cpu, CPU_EXC_TS, t->ldt, ext);
		if ((r = task_desc(cpu, t->ldt, ext, &lo)))
			return r;
		seg_from_descriptor(&s, t->ldt, lo);
		if (s.s || s.type != 2 || !s.present)
			return ts_fault(cpu, CPU_EXC_TS, t->ldt, ext);
		cpu->seg[CPU_LDTR] = s;
	}
	if (cpu->in->rflags & CPU_FLAG_VM) {
		cpu_update_mode(cpu);
		return EXEC_OK;
	}
	/* CS: a code segment whose DPL matches the selector's RPL */
	if ((cs & ~3u) == 0)
		return ts_fault(cpu, CPU_EXC_TS, cs, ext);
	if ((r = task_desc(cpu, cs, ext, &lo)))
		return r;
	seg_from_descriptor(&s, cs, lo);
	if (!s.s || !(s.type & 8) || ((s.type & 4) ? s.dpl > cpl : s.dpl != cpl))
		return ts_fault(cpu, CPU_EXC_TS, cs, ext);
	if (!s.present)
		return ts_fault(cpu, CPU_EXC_NP, cs, ext);
	desc_set_accessed(cpu, cs, lo);
	s.type |= 1;
	cpu->seg[CPU_CS] = s;
	cpu_update_mode(cpu);
	/* SS: a writable data segment with RPL = DPL = CPL */
	if ((ss & ~3u) == 0)
		return ts_fault(cpu, CPU_EXC_TS, ss, ext);
	if ((r = task_desc(cpu, ss, ext, &lo)))
		return r;
	seg_from_descriptor(&s, ss, lo);
	if (!s.s || (s.type & 0xa) != 2 || (ss & 3u) != cpl || s.dpl != cpl)
		return ts_fault(cpu, CPU_EXC_TS, ss, ext);
	if (!s.present)
		return ts_fault(cpu, CPU_EXC_SS, ss, ext);
	desc_set_accessed(cpu, ss, lo);
	s.type |= 1;
	cpu->seg[CPU_SS] = s;
	seg_check_update(cpu, CPU_SS);
	/* DS ES FS GS: null, or readable with DPL >= CPL and RPL unless conforming code */
	for (int i = 0; i < 4; i++) {
		int reg = data_regs[i];
		uint16_t sel = t->sreg[reg];

		if ((sel & ~3u) == 0) {
			seg_check_update(cpu, reg);
			continue;
		}
		if ((r = task_desc(cpu, sel, ext, &lo)))
			return r;
		seg_from_descriptor(&s, sel, lo);
		if (!s.s || ((s.type & 0xa) == 8) ||
		    (!((s.type & 0xc) == 0xc) && (s.dpl < cpl || s.dpl < (sel & 3u))))
			return ts_fault(cpu, CPU_EXC_TS, sel, ext);
		if (!s.present)
			return ts_fault(cpu, CPU_EXC_NP, sel, ext);
		desc_set_accessed(cpu, sel, lo);
		s.type |= 1;
		cpu->seg[reg] = s;
		seg_check_update(cpu, reg);
	}
	return EXEC_OK;
}

int task_switch(struct cpu *cpu, uint16_t sel, int reason, bool ext, bool has_err, uint32_t err)
{
	struct cpu_segment *tr = &cpu->seg[CPU_TR], nt;
	bool iret = reason == TASK_IRET, is32, old32 = (tr->type & 8) != 0;
	uint8_t bad = iret ? CPU_EXC_TS : CPU_EXC_GP;
	uint32_t e = ext ? 1 : 0, eflags;
	uint16_t old_sel = tr->selector;
	struct tss_image t;
	uint64_t lo;
	int r;

	/* the new TSS descriptor: in the GDT, a TSS, available (busy for IRET), present */
	if ((sel & 4) || (sel & ~7u) + 7 > cpu->gdt.limit)
		return ts_fault(cpu, bad, sel, e);
	if ((r = read_descriptor(cpu, sel, &lo, NULL)))
		return r;
	seg_from_descriptor(&nt, sel, lo);
	if (nt.s || (nt.type & 5) != 1 || (iret ? !(nt.type & 2) : (nt.type & 2)))
		return ts_fault(cpu, bad, sel, e);
	if (!nt.present)
		return ts_fault(cpu, CPU_EXC_NP, sel, e);
	is32 = (nt.type & 8) != 0;
	if (nt.limit < (is32 ? 0x67u : 0x2bu))
		return ts_fault(cpu, CPU_EXC_TS, sel, e);
	/* the current TSS must hold the fields saved into it (up to 5FH / 29H): else #TS(old TSS) */
	if (tr->limit < (old32 ? 0x5fu : 0x29u))
		return ts_fault(cpu, CPU_EXC_TS, old_sel, e);
	if ((r = read_tss(cpu, nt.base, is32, &t)))
		return r;

	/* the commit point: save the current task (§8.3 steps 5-8) */
	eflags = (uint32_t)cpu_get_rflags(cpu);
	if (iret)
		eflags &= ~(uint32_t)CPU_FLAG_NT;
	if ((r = save_tss(cpu, tr->base, old32, eflags)))
		return r;
	if ((reason == TASK_JMP || iret) && (r = set_busy(cpu, old_sel, false)))
		return r;
	if (reason == TASK_CALL || reason == TASK_INT) {
		if ((r = wr(cpu, nt.base, 0, 2, old_sel)))
			return r;
		t.eflags |= CPU_FLAG_NT;
	}
	if (!iret && (r = set_busy(cpu, sel, true)))
		return r;
	nt.type |= 2;
	*tr = nt;
	cpu->cr0 |= CPU_CR0_TS;

	/* load the new task; faults from here on belong to it */
	if (is32 && (cpu->cr0 & CPU_CR0_PG) && cpu_write_cr(cpu, 3, t.cr3))
		return EXEC_OK;	/* #GP(0) raised in the new task */
	if (is32) {
		cpu_set_rflags(cpu, t.eflags);
		cpu->rip = t.eip;
		for (unsigned i = 0; i < 8; i++)
			cpu->gpr[i] = t.gpr[i];
	} else {
		cpu_set_rflags(cpu, (cpu_get_rflags(cpu) & ~0xffffull) | t.eflags);
		cpu->rip = t.eip;
		for (unsigned i = 0; i < 8; i++)
			cpu->gpr[i] = (cpu->gpr[i] & ~0xffffull) | t.gpr[i];
	}
	if (load_task_segs(cpu, &t, e))
		return EXEC_OK;	/* the fault is delivered in the new task */
	cpu_update_mode(cpu);
	if (cpu->rip > cpu->seg[CPU_CS].limit) {
		raise_gp(cpu, 0);
		return EXEC_OK;
	}
	/* an exception's error code goes on the new task's stack (§6.15 with task gates) */
	if (has_err && (r = push(cpu, is32 ? 4 : 2, err)))
		return EXEC_OK;
	/* the debug trap flag: #DB with DR6.BT before the new task's first instruction (§18.2.3) */
	if (t.trap) {
		cpu->dr[6] |= 1ull << 15;
		cpu_raise(cpu, CPU_EXC_DB, false, 0);
	}
	return EXEC_OK;
}
