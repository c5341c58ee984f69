// SPDX-License-Identifier: GPL-2.0-only
// Control transfer: JMP/Jcc/CALL/RET (near and far), LOOP, JCXZ.
#include <stddef.h>

#include "cpu/exec/handlers.h"

/* Branch targets are truncated to the operand size (IP/EIP wrap; RIP in 64-bit mode). */
static int jump_to(struct cpu *cpu, struct insn *in, uint64_t target)
{
	if (!cpu->in->code64)
		target &= size_mask(in->opsize);
	else if (!is_canonical(target))
		return raise_gp(cpu, 0);	/* non-canonical target: #GP at the branch */
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
	if ((r = push(cpu, in->opsize, cpu->rip)))
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
	if (cpu->in->code64 && !is_canonical(target))
		return raise_gp(cpu, 0);
	if ((r = push(cpu, in->opsize, cpu->rip)))
		return r;
	cpu->rip = cpu->in->code64 ? target : target & size_mask(in->opsize);
	return EXEC_OK;
}

/* LOOP/LOOPE/LOOPNE: the count register is CX/ECX/RCX by address size */
int x_loop(struct cpu *cpu, struct insn *in)
{
	uint64_t m = size_mask(in->addrsize);
	uint64_t c = (cpu->gpr[CPU_RCX] - 1) & m;
	bool take = c != 0;

	cpu->gpr[CPU_RCX] = (cpu->gpr[CPU_RCX] & ~m) | c;
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

/* Far transfers: CS from a selector (real mode: base = selector << 4) */
static int far_jump(struct cpu *cpu, uint16_t sel, uint64_t off, unsigned opsize)
{
	int r = load_seg(cpu, CPU_CS, sel);

	if (r)
		return r;
	cpu->rip = off & size_mask(opsize);
	cpu_update_mode(cpu);
	return EXEC_OK;
}

int x_jmpf(struct cpu *cpu, struct insn *in)
{
	return far_jump(cpu, (uint16_t)in->disp, in->ops[0].imm, in->opsize);
}

int x_callf(struct cpu *cpu, struct insn *in)
{
	uint16_t cs = cpu->seg[CPU_CS].selector;
	uint64_t ip = cpu->rip, sp = cpu->gpr[CPU_RSP];
	int r;

	if ((r = push(cpu, in->opsize, cs)) || (r = push(cpu, in->opsize, ip)) ||
	    (r = far_jump(cpu, (uint16_t)in->disp, in->ops[0].imm, in->opsize))) {
		cpu->gpr[CPU_RSP] = sp;
		return r;
	}
	return EXEC_OK;
}

static int far_from_mem(struct cpu *cpu, struct insn *in, uint16_t *sel, uint64_t *off)
{
	uint64_t ea = insn_ea(cpu, in), s;
	unsigned osz = in->opsize;
	int r;

	if ((r = mem_read_seg(cpu, in->seg, ea, osz, off)) ||
	    (r = mem_read_seg(cpu, in->seg, ea + osz, 2, &s)))
		return r;
	*sel = (uint16_t)s;
	return EXEC_OK;
}

int x_jmpf_ind(struct cpu *cpu, struct insn *in)
{
	uint16_t sel;
	uint64_t off;
	int r = far_from_mem(cpu, in, &sel, &off);

	return r ? r : far_jump(cpu, sel, off, in->opsize);
}

int x_callf_ind(struct cpu *cpu, struct insn *in)
{
	uint16_t sel, cs = cpu->seg[CPU_CS].selector;
	uint64_t off, ip = cpu->rip, sp = cpu->gpr[CPU_RSP];
	int r = far_from_mem(cpu, in, &sel, &off);

	if (r)
		return r;
	if ((r = push(cpu, in->opsize, cs)) || (r = push(cpu, in->opsize, ip)) ||
	    (r = far_jump(cpu, sel, off, in->opsize))) {
		cpu->gpr[CPU_RSP] = sp;
		return r;
	}
	return EXEC_OK;
}

int x_retf(struct cpu *cpu, struct insn *in)
{
	uint64_t ip, cs, sp = cpu->gpr[CPU_RSP];
	unsigned ssz = stack_size(cpu);
	int r;

	if ((r = pop(cpu, in->opsize, &ip)) || (r = pop(cpu, in->opsize, &cs)))
		goto fail;
	if ((r = far_jump(cpu, (uint16_t)cs, ip, in->opsize)))
		goto fail;
	if (in->ops[0].type == OPT_IMM) {
		uint64_t nsp = (cpu->gpr[CPU_RSP] + (in->ops[0].imm & 0xffff)) & size_mask(ssz);
		cpu->gpr[CPU_RSP] = (cpu->gpr[CPU_RSP] & ~size_mask(ssz)) | nsp;
	}
	return EXEC_OK;
fail:
	cpu->gpr[CPU_RSP] = sp;
	return r;
}
