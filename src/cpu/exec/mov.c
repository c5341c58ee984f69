// SPDX-License-Identifier: GPL-2.0-only
// Data movement: MOV (all forms), MOVZX/MOVSX/MOVSXD, LEA, XCHG, XLAT, NOPs,
// MOV to/from segment, control and debug registers.
#include <stddef.h>

#include "cpu/exec/handlers.h"

int x_mov(struct cpu *cpu, struct insn *in)
{
	uint64_t v;
	int r = op_read(cpu, in, 1, &v);

	if (r)
		return r;
	return op_write(cpu, in, 0, v);
}

/* MOVBE (SDM Vol.2B "MOVBE"): a load or store with the bytes reversed; no flags. */
int x_movbe(struct cpu *cpu, struct insn *in)
{
	uint64_t v;
	int r = op_read(cpu, in, 1, &v);

	if (r)
		return r;
	switch (in->opsize) {
	case 8: v = __builtin_bswap64(v); break;
	case 4: v = __builtin_bswap32((uint32_t)v); break;
	default: v = __builtin_bswap16((uint16_t)v); break;
	}
	return op_write(cpu, in, 0, v);
}

int x_movzx(struct cpu *cpu, struct insn *in)
{
	uint64_t v;
	int r = op_read(cpu, in, 1, &v);

	if (r)
		return r;
	reg_write(cpu, in->ops[0].reg, in->ops[0].size, v);
	return EXEC_OK;
}

static int movsx_common(struct cpu *cpu, struct insn *in)
{
	unsigned ss = in->ops[1].size, sh = 64 - ss * 8;
	uint64_t v;
	int r = op_read(cpu, in, 1, &v);

	if (r)
		return r;
	reg_write(cpu, in->ops[0].reg, in->ops[0].size, (uint64_t)((int64_t)(v << sh) >> sh));
	return EXEC_OK;
}

int x_movsx(struct cpu *cpu, struct insn *in)
{
	return movsx_common(cpu, in);
}

int x_movsxd(struct cpu *cpu, struct insn *in)
{
	return movsx_common(cpu, in);
}

int x_lea(struct cpu *cpu, struct insn *in)
{
	reg_write(cpu, in->ops[0].reg, in->ops[0].size, insn_ea(cpu, in));
	return EXEC_OK;
}

static uint64_t xchg_fn(struct cpu *cpu, struct insn *in, uint64_t old, uint64_t src, bool *store)
{
	(void)cpu; (void)in; (void)old; (void)store;
	return src;
}

/* XCHG: with memory it is always locked (SDM Vol.2 XCHG); 90 without REX.B is NOP/PAUSE */
int x_xchg(struct cpu *cpu, struct insn *in)
{
	uint64_t src, old;
	int r;

	if (in->op == &opcode_map1[0x90] && !(in->rex & 1))
		return EXEC_OK;	/* 90 is NOP (PAUSE with F3): no zero-extension of EAX; 87 C0 is not */
	if ((r = op_read(cpu, in, 1, &src)) || (r = op_rmw(cpu, in, xchg_fn, src, true, &old)))
		return r;
	return op_write(cpu, in, 1, old);
}

int x_nop(struct cpu *cpu, struct insn *in)
{
	(void)cpu; (void)in;
	return EXEC_OK;
}

int x_xlat(struct cpu *cpu, struct insn *in)
{
	uint64_t v, ea = (cpu->gpr[CPU_RBX] + (cpu->gpr[CPU_RAX] & 0xff)) & size_mask(in->addrsize);
	int r = mem_read_seg(cpu, in->seg, ea, 1, &v);

	if (r)
		return r;
	reg_write(cpu, CPU_RAX, 1, v);
	return EXEC_OK;
}

int x_mov_from_sreg(struct cpu *cpu, struct insn *in)
{
	if (in->ops[1].reg > CPU_GS)
		return raise_ud(cpu);
	/* to a register the selector is zero-extended to the operand size; to memory 16 bits */
	if (in->ops[0].type == OPT_MEM)
		in->ops[0].size = 2;
	return op_write(cpu, in, 0, cpu->seg[in->ops[1].reg].selector);
}

int x_mov_to_sreg(struct cpu *cpu, struct insn *in)
{
	uint64_t v;
	int r;

	if (in->ops[0].reg == CPU_CS || in->ops[0].reg > CPU_GS)
		return raise_ud(cpu);
	if ((r = op_read(cpu, in, 1, &v)) || (r = load_seg(cpu, in->ops[0].reg, (uint16_t)v)))
		return r;
	if (in->ops[0].reg == CPU_SS)
		cpu->shadow |= CPU_SHADOW_MOVSS;
	return EXEC_OK;
}

/* MOV to/from CR0 CR2 CR3 CR4 CR8 (0F 20 / 0F 22); arg 1 = to CRn */
int x_mov_cr(struct cpu *cpu, struct insn *in)
{
	int cr = in->op->arg ? in->ops[0].reg : in->ops[1].reg;
	unsigned gpr = in->op->arg ? in->ops[1].reg : in->ops[0].reg;
	unsigned size = cpu->in->code64 ? 8 : 4;
	uint64_t v;

	if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8)
		return raise_ud(cpu);
	if (in->op->arg)
		return cpu_write_cr(cpu, cr, reg_read(cpu, gpr, size));
	switch (cr) {
	case 0: v = cpu->cr0; break;
	case 2: v = cpu->cr2; break;
	case 3: v = cpu->cr3; break;
	case 4: v = cpu->cr4; break;
	default: v = cpu->cr8; break;
	}
	reg_write(cpu, gpr, size, v);
	return EXEC_OK;
}

/* MOV to/from DR0-DR7 (0F 21 / 0F 23): DR4/DR5 alias DR6/DR7 unless CR4.DE */
int x_mov_dr(struct cpu *cpu, struct insn *in)
{
	int dr = in->op->arg ? in->ops[0].reg : in->ops[1].reg;
	unsigned gpr = in->op->arg ? in->ops[1].reg : in->ops[0].reg;
	unsigned size = cpu->in->code64 ? 8 : 4;

	if (dr > 7)
		return raise_ud(cpu);
	if (dr == 4 || dr == 5) {
		if (cpu->cr4 & CPU_CR4_DE)
			return raise_ud(cpu);
		dr += 2;
	}
	if (in->op->arg) {
		uint64_t v = reg_read(cpu, gpr, size);
		if ((dr == 6 || dr == 7) && (v >> 32))
			return raise_gp(cpu, 0);
		cpu->dr[dr] = dr == 6 ? (v | 0xffff0ff0ull) : dr == 7 ? (v | 0x400) : v;
		cpu_dbg_update(cpu);
	} else {
		reg_write(cpu, gpr, size, cpu->dr[dr]);
	}
	return EXEC_OK;
}

/*
 * LDS/LES/LSS/LFS/LGS: a far pointer from memory, offset (operand size) then selector.
 * The segment is loaded first; the register is written only if that succeeds.
 */
int x_lfp(struct cpu *cpu, struct insn *in)
{
	uint64_t ea = insn_ea(cpu, in), off, sel;
	unsigned osz = in->ops[0].size;
	int r;

	if ((r = mem_read_seg(cpu, in->seg, ea, osz, &off)) ||
	    (r = mem_read_seg(cpu, in->seg, ea + osz, 2, &sel)) ||
	    (r = load_seg(cpu, in->op->arg, (uint16_t)sel)))
		return r;
	if (in->op->arg == CPU_SS)
		cpu->shadow |= CPU_SHADOW_MOVSS;
	reg_write(cpu, in->ops[0].reg, osz, off);
	return EXEC_OK;
}
