// SPDX-License-Identifier: GPL-2.0-only
// The stack: PUSH/POP (all forms), PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE.
#include <stddef.h>

#include "cpu/exec/handlers.h"

/* Stack address size: 8 in 64-bit mode, else SS.B (SDM Vol.1 §6.2.3) */
unsigned stack_size(struct cpu *cpu)
{
	if (cpu->in->code64)
		return 8;
	return cpu->seg[CPU_SS].db ? 4 : 2;
}

static void set_sp(struct cpu *cpu, uint64_t sp)
{
	uint64_t m = size_mask(stack_size(cpu));

	cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~m) | (sp & m);
}

/* The store happens before RSP changes, so a faulting push leaves RSP intact. */
int push(struct cpu *cpu, unsigned size, uint64_t val)
{
	uint64_t sp = (cpu->gpr[CPU_RSP] - size) & size_mask(stack_size(cpu));
	int r = mem_write_seg(cpu, CPU_SS, sp, size, val);

	if (!r)
		set_sp(cpu, sp);
	return r;
}

int pop(struct cpu *cpu, unsigned size, uint64_t *val)
{
	uint64_t sp = cpu->gpr[CPU_RSP] & size_mask(stack_size(cpu));
	int r = mem_read_seg(cpu, CPU_SS, sp, size, val);

	if (!r)
		set_sp(cpu, sp + size);
	return r;
}

int x_push(struct cpu *cpu, struct insn *in)
{
	uint64_t v;
	int r = op_read(cpu, in, 0, &v);

	if (r)
		return r;
	if (in->ops[0].type == OPT_IMM)
		v = in->ops[0].imm;	/* sign-extended immediate */
	/* PUSH RSP pushes the value before the decrement (read above) */
	return push(cpu, in->opsize, v);
}

int x_pop(struct cpu *cpu, struct insn *in)
{
	uint64_t v, sp = cpu->gpr[CPU_RSP];
	int r = pop(cpu, in->opsize, &v);

	if (r)
		return r;
	/* POP to memory addressed with RSP uses the incremented RSP (SDM Vol.2 POP) */
	r = op_write(cpu, in, 0, v);
	if (r)
		cpu->gpr[CPU_RSP] = sp;
	return r;
}

int x_push_sreg(struct cpu *cpu, struct insn *in)
{
	return push(cpu, in->opsize, cpu->seg[in->op->arg].selector);
}

int x_pop_sreg(struct cpu *cpu, struct insn *in)
{
	uint64_t v, sp = cpu->gpr[CPU_RSP];
	int r = pop(cpu, in->opsize, &v);

	if (r)
		return r;
	r = load_seg(cpu, in->op->arg, (uint16_t)v);
	if (r) {
		cpu->gpr[CPU_RSP] = sp;
		return r;
	}
	if (in->op->arg == CPU_SS)
		cpu->shadow |= CPU_SHADOW_MOVSS;
	return EXEC_OK;
}

int x_pusha(struct cpu *cpu, struct insn *in)
{
	uint64_t sp0 = cpu->gpr[CPU_RSP];
	static const int order[8] = { CPU_RAX, CPU_RCX, CPU_RDX, CPU_RBX, CPU_RSP, CPU_RBP, CPU_RSI, CPU_RDI };

	for (int i = 0; i < 8; i++) {
		int r = push(cpu, in->opsize, order[i] == CPU_RSP ? sp0 : cpu->gpr[order[i]]);
		if (r) {
			cpu->gpr[CPU_RSP] = sp0;
			return r;
		}
	}
	return EXEC_OK;
}

int x_popa(struct cpu *cpu, struct insn *in)
{
	static const int order[8] = { CPU_RDI, CPU_RSI, CPU_RBP, CPU_RSP, CPU_RBX, CPU_RDX, CPU_RCX, CPU_RAX };
	uint64_t vals[8], sp0 = cpu->gpr[CPU_RSP];

	for (int i = 0; i < 8; i++) {
		int r = pop(cpu, in->opsize, &vals[i]);
		if (r) {
			cpu->gpr[CPU_RSP] = sp0;
			return r;
		}
	}
	for (int i = 0; i < 8; i++)
		if (order[i] != CPU_RSP)	/* the saved SP is skipped */
			reg_write(cpu, order[i], in->opsize, vals[i]);
	return EXEC_OK;
}

int x_pushf(struct cpu *cpu, struct insn *in)
{
	/* VM and RF are pushed as 0 (SDM Vol.2 PUSHF) */
	uint64_t f = cpu_get_rflags(cpu) & ~(uint64_t)(CPU_FLAG_VM | CPU_FLAG_RF);

	if ((cpu->in->rflags & CPU_FLAG_VM) && ((cpu->in->rflags >> 12) & 3) < 3) {
		/* CR4.VME: a 16-bit PUSHF pushes VIF as IF and IOPL as 3 (SDM Vol.2 PUSHF) */
		if (!(cpu->cr4 & CPU_CR4_VME) || in->opsize != 2)
			return raise_gp(cpu, 0);
		f = (f & ~(uint64_t)CPU_FLAG_IF) | CPU_FLAG_IOPL |
		    ((cpu->in->rflags & CPU_FLAG_VIF) ? CPU_FLAG_IF : 0);
	}
	return push(cpu, in->opsize, f);
}

/* POPF: which flags may change depends on CPL and IOPL (SDM Vol.2 POPF, Table 4-15) */
int x_popf(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t v, mask;
	unsigned iopl = (ci->rflags >> 12) & 3;
	int r;

	if ((ci->rflags & CPU_FLAG_VM) && iopl < 3) {
		/*
		 * CR4.VME: a 16-bit POPF loads VIF from the image's IF and leaves IF and IOPL; an
		 * image with TF, or with IF while VIP is set, is #GP(0) (SDM Vol.2 POPF).
		 */
		uint64_t sp = cpu->gpr[CPU_RSP];

		if (!(cpu->cr4 & CPU_CR4_VME) || in->opsize != 2)
			return raise_gp(cpu, 0);
		if ((r = pop(cpu, 2, &v)))
			return r;
		if ((v & CPU_FLAG_TF) || ((v & CPU_FLAG_IF) && (ci->rflags & CPU_FLAG_VIP))) {
			cpu->gpr[CPU_RSP] = sp;
			return raise_gp(cpu, 0);
		}
		mask = 0xffff & ~(uint64_t)(CPU_FLAG_IF | CPU_FLAG_IOPL);
		cpu_set_rflags(cpu, (cpu_get_rflags(cpu) & ~(mask | CPU_FLAG_VIF)) | (v & mask) |
				    ((v & CPU_FLAG_IF) ? CPU_FLAG_VIF : 0));
		return EXEC_OK;
	}
	if ((r = pop(cpu, in->opsize, &v)))
		return r;
	mask = CPU_FLAGS_ARITH | CPU_FLAG_TF | CPU_FLAG_DF | CPU_FLAG_NT | CPU_FLAG_AC | CPU_FLAG_ID;
	if (!(cpu->cr0 & CPU_CR0_PE) || ci->cpl == 0)
		mask |= CPU_FLAG_IOPL | CPU_FLAG_IF;
	else if ((unsigned)ci->cpl <= iopl)
		mask |= CPU_FLAG_IF;
	if (in->opsize == 2)
		mask &= 0xffff;
	cpu_set_rflags(cpu, (cpu_get_rflags(cpu) & ~mask) | (v & mask));
	return EXEC_OK;
}

int x_enter(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->opsize, level = (unsigned)(in->ops[1].imm & 31);
	uint64_t alloc = in->ops[0].imm & 0xffff, sp0 = cpu->gpr[CPU_RSP], bp0 = cpu->gpr[CPU_RBP];
	uint64_t frame, m = size_mask(stack_size(cpu));
	int r;

	if ((r = push(cpu, size, cpu->gpr[CPU_RBP])))
		return r;
	frame = cpu->gpr[CPU_RSP] & m;
	for (unsigned i = 1; i < level; i++) {
		uint64_t v;
		uint64_t bp = (cpu->gpr[CPU_RBP] - i * size) & m;
		if ((r = mem_read_seg(cpu, CPU_SS, bp, size, &v)) || (r = push(cpu, size, v)))
			goto fail;
	}
	if (level && (r = push(cpu, size, frame)))
		goto fail;
	reg_write(cpu, CPU_RBP, stack_size(cpu) == 2 ? 2 : size, frame);
	cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~m) | ((cpu->gpr[CPU_RSP] - alloc) & m);
	return EXEC_OK;
fail:
	cpu->gpr[CPU_RSP] = sp0;
	cpu->gpr[CPU_RBP] = bp0;
	return r;
}

int x_leave(struct cpu *cpu, struct insn *in)
{
	uint64_t m = size_mask(stack_size(cpu)), sp0 = cpu->gpr[CPU_RSP], v;
	int r;

	cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~m) | (cpu->gpr[CPU_RBP] & m);
	if ((r = pop(cpu, in->opsize, &v))) {
		cpu->gpr[CPU_RSP] = sp0;
		return r;
	}
	reg_write(cpu, CPU_RBP, in->opsize, v);
	return EXEC_OK;
}
