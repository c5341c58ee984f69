// SPDX-License-Identifier: GPL-2.0-only
// Control transfer: JMP/Jcc/CALL/RET (near and far, call gates), LOOP, JCXZ.
#include <stddef.h>
#include <string.h>

#include "cpu/exec/handlers.h"

/*
 * Branch targets are truncated to the operand size (IP/EIP wrap; RIP in 64-bit mode);
 * a target beyond the CS limit, or a non-canonical one in 64-bit mode, is #GP(0) at the
 * branch (SDM Vol.2 JMP/CALL/RET, Vol.3 §5.3).
 */
static int target_ok(struct cpu *cpu, uint64_t target)
{
	if (cpu->in->code64)
		return is_canonical(target) ? EXEC_OK : raise_gp(cpu, 0);
	return target > cpu->seg[CPU_CS].limit ? raise_gp(cpu, 0) : EXEC_OK;
}

static int jump_to(struct cpu *cpu, struct insn *in, uint64_t target)
{
	int r;

	if (!cpu->in->code64)
		target &= size_mask(in->opsize);
	if ((r = target_ok(cpu, target)))
		return r;
	cpu->rip = target;
	return EXEC_OK;
}

int x_jmp(struct cpu *cpu, struct insn *in)
{
	return jump_to(cpu, in, cpu->rip + in->ops[0].imm);
}

int x_jcc(struct cpu *cpu, struct insn *in)
{
	if (!cond_true(cpu, in->op->arg))
		return EXEC_OK;
	return jump_to(cpu, in, cpu->rip + in->ops[0].imm);
}

int x_call(struct cpu *cpu, struct insn *in)
{
	uint64_t target = cpu->rip + in->ops[0].imm;
	int r;

	if (!cpu->in->code64)
		target &= size_mask(in->opsize);
	if ((r = target_ok(cpu, target)) || (r = push(cpu, in->opsize, cpu->rip)))
		return r;
	cpu->rip = target;
	return EXEC_OK;
}

int x_ret(struct cpu *cpu, struct insn *in)
{
	uint64_t target;
	unsigned ssz = stack_size(cpu);
	uint64_t sp = cpu->gpr[CPU_RSP];
	int r = pop(cpu, in->opsize, &target);

	if (r)
		return r;
	if (in->ops[0].type == OPT_IMM) {
		uint64_t nsp = (cpu->gpr[CPU_RSP] + (in->ops[0].imm & 0xffff)) & size_mask(ssz);
		cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~size_mask(ssz)) | nsp;
	}
	r = jump_to(cpu, in, target);
	if (r)
		cpu->gpr[CPU_RSP] = sp;
	return r;
}

int x_jmp_ind(struct cpu *cpu, struct insn *in)
{
	uint64_t target;
	int r = op_read(cpu, in, 0, &target);

	return r ? r : jump_to(cpu, in, target);
}

int x_call_ind(struct cpu *cpu, struct insn *in)
{
	uint64_t target;
	int r = op_read(cpu, in, 0, &target);

	if (r)
		return r;
	if (!cpu->in->code64)
		target &= size_mask(in->opsize);
	if ((r = target_ok(cpu, target)) || (r = push(cpu, in->opsize, cpu->rip)))
		return r;
	cpu->rip = target;
	return EXEC_OK;
}

/* LOOP/LOOPE/LOOPNE: the count register is CX/ECX/RCX by address size */
int x_loop(struct cpu *cpu, struct insn *in)
{
	uint64_t c = (cpu->gpr[CPU_RCX] - 1) & size_mask(in->addrsize);
	bool take = c != 0;

	/* ECX with a 32-bit address size: zero-extended in 64-bit mode (checked against the host) */
	reg_write(cpu, CPU_RCX, in->addrsize, c);
	if (in->op->arg == 0)
		take = take && !flag(cpu, CPU_FLAG_ZF);
	else if (in->op->arg == 1)
		take = take && flag(cpu, CPU_FLAG_ZF);
	return take ? jump_to(cpu, in, cpu->rip + in->ops[0].imm) : EXEC_OK;
}

int x_jcxz(struct cpu *cpu, struct insn *in)
{
	if (cpu->gpr[CPU_RCX] & size_mask(in->addrsize))
		return EXEC_OK;
	return jump_to(cpu, in, cpu->rip + in->ops[0].imm);
}

/* ---- far transfers (SDM Vol.2 JMP/CALL/RET far; Vol.3 §5.8 privilege, §5.8.3-5.8.6 call gates) ---- */

static int raise_sel(struct cpu *cpu, uint8_t vector, uint32_t sel)
{
	cpu_raise(cpu, vector, true, sel & ~3u);
	return EXEC_EXC;
}

/* The new EIP/RIP against the target code segment: limit, or canonical for 64-bit code. */
static int far_eip_ok(struct cpu *cpu, const struct cpu_segment *cs, uint64_t eip)
{
	if (cpu->in->long_mode && cs->l)
		return is_canonical(eip) ? EXEC_OK : raise_gp(cpu, 0);
	return eip > cs->limit ? raise_gp(cpu, 0) : EXEC_OK;
}

/* Room for `n` pushes of `size` bytes on the current stack (#SS(0) otherwise). */
static int stack_room(struct cpu *cpu, unsigned n, unsigned size)
{
	uint64_t m = size_mask(stack_size(cpu)), sp = cpu->gpr[CPU_RSP];
	int r;

	for (unsigned i = 1; i <= n; i++)
		if ((r = seg_check(cpu, CPU_SS, (sp - i * size) & m, size, true)))
			return r;
	return EXEC_OK;
}

/* Loads CS from a checked descriptor: RPL = the new CPL, accessed bit set. */
static void commit_cs(struct cpu *cpu, struct cpu_segment *ncs, uint16_t sel, uint64_t lo, unsigned cpl)
{
	desc_set_accessed(cpu, sel, lo);
	ncs->selector = (uint16_t)((sel & ~3u) | cpl);
	ncs->type |= 1;
	cpu->seg[CPU_CS] = *ncs;
	cpu_update_mode(cpu);
}

/*
 * A call gate (SDM Vol.3 §5.8.3-5.8.6; Vol.2 CALL/JMP "CALL-GATE"). `lo` is the gate's
 * descriptor; in IA-32e mode it is a 16-byte 64-bit gate whose upper type must be 0.
 */
static int call_gate(struct cpu *cpu, uint16_t sel, uint64_t lo, bool call)
{
	struct cpu_internal *ci = cpu->in;
	bool lm = ci->long_mode, gate16 = ((lo >> 40) & 0xf) == 4;
	unsigned cpl = (unsigned)ci->cpl, gdpl = (lo >> 45) & 3, psize = lm ? 8 : gate16 ? 2 : 4;
	uint16_t csel = (uint16_t)(lo >> 16);
	uint64_t hi = 0, cslo, eip;
	struct cpu_segment ncs;
	bool conforming;
	int r;

	if (lm) {
		uint64_t tlimit = (sel & 4) ? cpu->seg[CPU_LDTR].limit : cpu->gdt.limit;
		if ((sel & ~7u) + 15 > tlimit)
			return raise_gp(cpu, sel & ~3u);
		if ((r = read_descriptor(cpu, sel, &lo, &hi)))
			return r;
		if ((hi >> 40) & 0x1f)
			return raise_gp(cpu, sel & ~3u);	/* the upper half's type must be 0 */
	}
	if (gdpl < cpl || gdpl < (sel & 3u))
		return raise_gp(cpu, sel & ~3u);
	if (!((lo >> 47) & 1))
		return raise_sel(cpu, CPU_EXC_NP, sel);
	eip = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | ((hi & 0xffffffffull) << 32);
	if (gate16)
		eip &= 0xffff;
	if ((csel & ~3u) == 0)
		return raise_gp(cpu, 0);
	if ((r = read_descriptor(cpu, csel, &cslo, NULL)))
		return r;
	seg_from_descriptor(&ncs, csel, cslo);
	conforming = (ncs.type & 4) != 0;
	if (!ncs.s || !(ncs.type & 8) || ncs.dpl > cpl || (!call && !conforming && ncs.dpl != cpl))
		return raise_gp(cpu, csel & ~3u);
	if (lm && (!ncs.l || ncs.db))
		return raise_gp(cpu, csel & ~3u);	/* a 64-bit gate leads to 64-bit code */
	if (!ncs.present)
		return raise_sel(cpu, CPU_EXC_NP, csel);

	if (!call) {
		if ((r = far_eip_ok(cpu, &ncs, eip)))
			return r;
		commit_cs(cpu, &ncs, csel, cslo, cpl);
		cpu->rip = eip;
		return EXEC_OK;
	}
	if (!conforming && ncs.dpl < cpl) {
		/* MORE-PRIVILEGE: the stack for the new CPL from the current TSS (§5.8.5) */
		struct cpu_segment *tr = &cpu->seg[CPU_TR], nss;
		unsigned ndpl = ncs.dpl, pcount = lm ? 0 : (unsigned)((lo >> 32) & 0x1f);
		uint64_t nsp = 0, ssel = 0, off, params[32], m;
		uint16_t old_ss = cpu->seg[CPU_SS].selector;
		uint64_t old_sp = cpu->gpr[CPU_RSP];

		if (lm) {
			off = 4 + (uint64_t)ndpl * 8;
			if (off + 7 > tr->limit)
				return raise_sel(cpu, CPU_EXC_TS, tr->selector);
			if ((r = mem_read_lin(cpu, tr->base + off, 8, &nsp, true)))
				return r;
			if (!is_canonical(nsp))
				return raise_sel(cpu, CPU_EXC_SS, 0);
			memset(&nss, 0, sizeof(nss));
			nss.selector = (uint16_t)ndpl;	/* a null SS with RPL = the new CPL */
			nss.unusable = 1;
			nss.dpl = (uint8_t)ndpl;
		} else {
			uint64_t sslo;
			uint64_t tlimit;

			if (tr->type & 8) {	/* 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n */
				off = 4 + (uint64_t)ndpl * 8;
				if (off + 5 > tr->limit)
					return raise_sel(cpu, CPU_EXC_TS, tr->selector);
				if ((r = mem_read_lin(cpu, tr->base + off, 4, &nsp, true)) ||
				    (r = mem_read_lin(cpu, tr->base + off + 4, 2, &ssel, true)))
					return r;
			} else {		/* 16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n */
				off = 2 + (uint64_t)ndpl * 4;
				if (off + 3 > tr->limit)
					return raise_sel(cpu, CPU_EXC_TS, tr->selector);
				if ((r = mem_read_lin(cpu, tr->base + off, 2, &nsp, true)) ||
				    (r = mem_read_lin(cpu, tr->base + off + 2, 2, &ssel, true)))
					return r;
			}
			if ((ssel & ~3u) == 0)
				return raise_sel(cpu, CPU_EXC_TS, 0);
			tlimit = (ssel & 4) ? (cpu->seg[CPU_LDTR].unusable ? 0 : cpu->seg[CPU_LDTR].limit)
					    : cpu->gdt.limit;
			if (((ssel & 4) && cpu->seg[CPU_LDTR].unusable) || (ssel & ~7u) + 7 > tlimit)
				return raise_sel(cpu, CPU_EXC_TS, (uint32_t)ssel);
			if ((r = read_descriptor(cpu, (uint16_t)ssel, &sslo, NULL)))
				return r;
			seg_from_descriptor(&nss, (uint16_t)ssel, sslo);
			if ((ssel & 3) != ndpl || nss.dpl != ndpl || !nss.s || (nss.type & 0xa) != 2)
				return raise_sel(cpu, CPU_EXC_TS, (uint32_t)ssel);
			if (!nss.present)
				return raise_sel(cpu, CPU_EXC_SS, (uint32_t)ssel);
			/* room for SS, ESP, the parameters, CS and EIP on the new stack */
			{
				struct seg_check c;
				uint64_t sm = nss.db ? 0xffffffffull : 0xffff;
				uint64_t need = (uint64_t)(4 + pcount) * psize, low = (nsp - need) & sm;

				seg_check_compute(cpu, &nss, &c);
				if (!(c.rights & SEGCHK_WRITE) || low < c.lo || low + need - 1 > c.hi)
					return raise_sel(cpu, CPU_EXC_SS, (uint32_t)ssel);
			}
			desc_set_accessed(cpu, (uint16_t)ssel, sslo);
			nss.type |= 1;
		}
		if ((r = far_eip_ok(cpu, &ncs, eip)))
			return r;
		/* the parameters, read from the caller's stack at the caller's privilege */
		for (unsigned i = 0; i < pcount; i++) {
			uint64_t a = (old_sp + (uint64_t)i * psize) & size_mask(stack_size(cpu));
			if ((r = mem_read_seg(cpu, CPU_SS, a, psize, &params[i])))
				return r;
		}
		/* the pushes onto the new stack are supervisor accesses */
		m = lm ? ~0ull : nss.db ? 0xffffffffull : 0xffff;
		{
			uint64_t sp = nsp & m, base = lm ? 0 : nss.base;
			uint64_t wrap = lm ? ~0ull : 0xffffffffull;
			uint64_t vals[4 + 32];
			unsigned n = 0;

			vals[n++] = old_ss;
			vals[n++] = old_sp & size_mask(lm ? 8 : psize == 2 ? 2 : 4);
			for (unsigned i = pcount; i-- > 0;)
				vals[n++] = params[i];
			vals[n++] = cpu->seg[CPU_CS].selector;
			vals[n++] = cpu->rip;
			for (unsigned i = 0; i < n; i++) {
				sp = (sp - psize) & m;
				if ((r = mem_write_lin(cpu, (base + sp) & wrap, psize, vals[i] & size_mask(psize), true)))
					return r;
			}
			cpu->seg[CPU_SS] = nss;
			cpu->gpr[CPU_RSP] = lm ? sp : (nsp & ~m) | sp;
		}
		commit_cs(cpu, &ncs, csel, cslo, ndpl);
		cpu->rip = eip;
		return EXEC_OK;
	}
	/* SAME-PRIVILEGE: CS and EIP pushed with the gate's size */
	{
		uint64_t rcs = cpu->seg[CPU_CS].selector, rip = cpu->rip, sp0 = cpu->gpr[CPU_RSP];

		if ((r = stack_room(cpu, 2, psize)) || (r = far_eip_ok(cpu, &ncs, eip)))
			return r;
		if ((r = push(cpu, psize, rcs)) || (r = push(cpu, psize, rip))) {
			cpu->gpr[CPU_RSP] = sp0;
			return r;
		}
		commit_cs(cpu, &ncs, csel, cslo, cpl);
		cpu->rip = eip;
		return EXEC_OK;
	}
}

/*
 * JMP/CALL far to sel:off. Real and virtual-8086 mode: base = selector << 4. Protected
 * mode: a code segment (conforming or not), a call gate, or a TSS / task gate (a task
 * switch, exec/task.c).
 */
static int far_transfer(struct cpu *cpu, struct insn *in, uint16_t sel, uint64_t off, bool call)
{
	struct cpu_internal *ci = cpu->in;
	unsigned osz = in->opsize, cpl = (unsigned)ci->cpl;
	uint64_t eip = off & size_mask(osz), rcs = cpu->seg[CPU_CS].selector, rip = cpu->rip;
	uint64_t sp0 = cpu->gpr[CPU_RSP], lo;
	struct cpu_segment ncs;
	int r;

	if (!(cpu->cr0 & CPU_CR0_PE) || (ci->rflags & CPU_FLAG_VM)) {
		if ((call && (r = stack_room(cpu, 2, osz))) || (r = target_ok(cpu, eip)))
			return r;
		if (call && ((r = push(cpu, osz, rcs)) || (r = push(cpu, osz, rip)))) {
			cpu->gpr[CPU_RSP] = sp0;
			return r;
		}
		load_seg(cpu, CPU_CS, sel);	/* cannot fault here */
		cpu->rip = eip;
		return EXEC_OK;
	}
	if ((sel & ~3u) == 0)
		return raise_gp(cpu, 0);
	if ((r = read_descriptor(cpu, sel, &lo, NULL)))
		return r;
	if (!((lo >> 44) & 1)) {
		unsigned type = (lo >> 40) & 0xf;

		unsigned dpl = (lo >> 45) & 3;

		if (type == 0xc || (type == 4 && !ci->long_mode))
			return call_gate(cpu, sel, lo, call);
		if ((type == 1 || type == 5 || type == 9) && !ci->long_mode) {
			/* a TSS or a task gate: DPL >= CPL and RPL, then the task switch (§8.3) */
			if (dpl < cpl || dpl < (sel & 3u))
				return raise_gp(cpu, sel & ~3u);
			if (type == 5 && !((lo >> 47) & 1))
				return raise_sel(cpu, CPU_EXC_NP, sel);
			return task_switch(cpu, type == 5 ? (uint16_t)(lo >> 16) : sel,
					   call ? TASK_CALL : TASK_JMP, false, false, 0);
		}
		return raise_gp(cpu, sel & ~3u);
	}
	seg_from_descriptor(&ncs, sel, lo);
	if (!(ncs.type & 8))
		return raise_gp(cpu, sel & ~3u);	/* a data segment */
	if (ci->long_mode && ncs.l && ncs.db)
		return raise_gp(cpu, sel & ~3u);
	if ((ncs.type & 4) ? ncs.dpl > cpl : ((sel & 3u) > cpl || ncs.dpl != cpl))
		return raise_gp(cpu, sel & ~3u);
	if (!ncs.present)
		return raise_sel(cpu, CPU_EXC_NP, sel);
	if ((call && (r = stack_room(cpu, 2, osz))) || (r = far_eip_ok(cpu, &ncs, eip)))
		return r;
	if (call && ((r = push(cpu, osz, rcs)) || (r = push(cpu, osz, rip)))) {
		cpu->gpr[CPU_RSP] = sp0;
		return r;
	}
	commit_cs(cpu, &ncs, sel, lo, cpl);
	cpu->rip = eip;
	return EXEC_OK;
}

int x_jmpf(struct cpu *cpu, struct insn *in)
{
	return far_transfer(cpu, in, (uint16_t)in->disp, in->ops[0].imm, false);
}

int x_callf(struct cpu *cpu, struct insn *in)
{
	return far_transfer(cpu, in, (uint16_t)in->disp, in->ops[0].imm, true);
}

static int far_from_mem(struct cpu *cpu, struct insn *in, uint16_t *sel, uint64_t *off)
{
	uint64_t ea = insn_ea(cpu, in), s;
	unsigned osz = in->opsize;
	int r;

	if ((r = mem_read_seg(cpu, in->seg, ea, osz, off)) ||
	    (r = mem_read_seg(cpu, in->seg, (ea + osz) & size_mask(in->addrsize), 2, &s)))
		return r;
	*sel = (uint16_t)s;
	return EXEC_OK;
}

int x_jmpf_ind(struct cpu *cpu, struct insn *in)
{
	uint16_t sel;
	uint64_t off;
	int r = far_from_mem(cpu, in, &sel, &off);

	return r ? r : far_transfer(cpu, in, sel, off, false);
}

int x_callf_ind(struct cpu *cpu, struct insn *in)
{
	uint16_t sel;
	uint64_t off;
	int r = far_from_mem(cpu, in, &sel, &off);

	return r ? r : far_transfer(cpu, in, sel, off, true);
}

/*
 * After a return to an outer privilege level (far RET, IRET): ES, FS, GS and DS are
 * loaded with a null selector when they hold a data or non-conforming code segment whose
 * DPL is below the new CPL (SDM Vol.2 RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL", IRET).
 */
void seg_null_outer(struct cpu *cpu)
{
	static const int regs[4] = { CPU_ES, CPU_FS, CPU_GS, CPU_DS };

	for (int i = 0; i < 4; i++) {
		struct cpu_segment *s = &cpu->seg[regs[i]];

		if (s->unusable || (s->s && (s->type & 0xc) == 0xc) || s->dpl >= (unsigned)cpu->in->cpl)
			continue;
		s->selector = 0;
		s->unusable = 1;
		s->present = 0;
		seg_check_update(cpu, regs[i]);
	}
}

/* RET far (SDM Vol.2 RET): same privilege, or to an outer level with SS:ESP popped. */
int x_retf(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;
	unsigned osz = in->opsize, cpl = (unsigned)ci->cpl, rpl;
	uint64_t ip, cs, sp0 = cpu->gpr[CPU_RSP], lo, imm = 0, m;
	struct cpu_segment ncs, nss;
	int r;

	if (in->ops[0].type == OPT_IMM)
		imm = in->ops[0].imm & 0xffff;
	if ((r = pop(cpu, osz, &ip)) || (r = pop(cpu, osz, &cs)))
		goto fail;
	ip &= size_mask(osz);
	m = size_mask(stack_size(cpu));
	if (!(cpu->cr0 & CPU_CR0_PE) || (ci->rflags & CPU_FLAG_VM)) {
		if ((r = target_ok(cpu, ip)))
			goto fail;
		load_seg(cpu, CPU_CS, (uint16_t)cs);
		cpu->rip = ip;
		cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~m) | ((cpu->gpr[CPU_RSP] + imm) & m);
		return EXEC_OK;
	}
	rpl = cs & 3;
	if ((cs & ~3u) == 0) {
		r = raise_gp(cpu, 0);
		goto fail;
	}
	if ((r = read_descriptor(cpu, (uint16_t)cs, &lo, NULL)))
		goto fail;
	seg_from_descriptor(&ncs, (uint16_t)cs, lo);
	if (!ncs.s || !(ncs.type & 8) || rpl < cpl ||
	    ((ncs.type & 4) ? ncs.dpl > rpl : ncs.dpl != rpl) || (ci->long_mode && ncs.l && ncs.db)) {
		r = raise_gp(cpu, (uint32_t)cs & ~3u);
		goto fail;
	}
	if (!ncs.present) {
		r = raise_sel(cpu, CPU_EXC_NP, (uint32_t)cs);
		goto fail;
	}
	if (rpl == cpl) {
		if ((r = far_eip_ok(cpu, &ncs, ip)))
			goto fail;
		commit_cs(cpu, &ncs, (uint16_t)cs, lo, cpl);
		cpu->rip = ip;
		cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~m) | ((cpu->gpr[CPU_RSP] + imm) & m);
		return EXEC_OK;
	}
	/* RETURN-TO-OUTER-PRIVILEGE-LEVEL: skip the parameters, pop ESP and SS */
	{
		uint64_t sp, ss, sslo;
		bool to64 = ci->long_mode && ncs.l;

		cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~m) | ((cpu->gpr[CPU_RSP] + imm) & m);
		if ((r = pop(cpu, osz, &sp)) || (r = pop(cpu, osz, &ss)))
			goto fail;
		if ((ss & ~3u) == 0) {
			/* IA-32e: a null SS is allowed returning to 64-bit code below ring 3 */
			if (!(to64 && rpl != 3)) {
				r = raise_gp(cpu, 0);
				goto fail;
			}
			memset(&nss, 0, sizeof(nss));
			nss.selector = (uint16_t)ss;
			nss.unusable = 1;
			nss.dpl = (uint8_t)rpl;
		} else {
			if ((r = read_descriptor(cpu, (uint16_t)ss, &sslo, NULL)))
				goto fail;
			seg_from_descriptor(&nss, (uint16_t)ss, sslo);
			if ((ss & 3) != rpl || !nss.s || (nss.type & 0xa) != 2 || nss.dpl != rpl) {
				r = raise_gp(cpu, (uint32_t)ss & ~3u);
				goto fail;
			}
			if (!nss.present) {
				r = raise_sel(cpu, CPU_EXC_SS, (uint32_t)ss);
				goto fail;
			}
		}
		if ((r = far_eip_ok(cpu, &ncs, ip)))
			goto fail;
		if (!nss.unusable) {
			desc_set_accessed(cpu, (uint16_t)ss, sslo);
			nss.type |= 1;
		}
		commit_cs(cpu, &ncs, (uint16_t)cs, lo, rpl);
		cpu->seg[CPU_SS] = nss;
		sp = (sp & size_mask(osz)) + imm;
		if (to64)
			cpu->gpr[CPU_RSP] = sp;
		else if (nss.db)
			cpu->gpr[CPU_RSP] = sp & 0xffffffffull;
		else
			cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~0xffffull) | (sp & 0xffff);
		cpu->rip = ip;
		cpu_update_mode(cpu);
		seg_null_outer(cpu);
		return EXEC_OK;
	}
fail:
	cpu->gpr[CPU_RSP] = sp0;
	return r;
}
