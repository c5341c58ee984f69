// SPDX-License-Identifier: GPL-2.0-only
// Integer arithmetic and logic: ADD..CMP, INC/DEC, TEST/NOT/NEG, flag instructions,
// CBW/CWD, SETcc/CMOVcc, BSWAP, XADD, CMPXCHG(8B/16B), and the locked RMW helper.
#include <string.h>

#include <stddef.h>

#include "cpu/exec/handlers.h"

int op_rmw(struct cpu *cpu, struct insn *in, rmw_fn fn, uint64_t src, bool atomic, uint64_t *oldp)
{
	struct operand *o = &in->ops[0];
	uint64_t old, nv, m = size_mask(o->size);
	bool store = true;
	int r;

	if (o->type == OPT_MEM && (in->lock || atomic)) {
		uint8_t *p = mem_host_ptr(cpu, in->seg, insn_ea(cpu, in), o->size, true, &r);

		if (r)
			return r;
		if (p) {
			/* host compare-and-swap on guest memory: atomic against other vCPU threads */
			for (;;) {
				old = 0;
				memcpy(&old, p, o->size);
				store = true;
				nv = fn(cpu, in, old, src, &store) & m;
				if (!store)
					break;
				if (o->size == 1 ? __atomic_compare_exchange_n((uint8_t *)p, &(uint8_t){ (uint8_t)old }, (uint8_t)nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) :
				    o->size == 2 ? __atomic_compare_exchange_n((uint16_t *)p, &(uint16_t){ (uint16_t)old }, (uint16_t)nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) :
				    o->size == 4 ? __atomic_compare_exchange_n((uint32_t *)p, &(uint32_t){ (uint32_t)old }, (uint32_t)nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) :
				    __atomic_compare_exchange_n((uint64_t *)p, &old, nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
					break;
			}
			if (oldp)
				*oldp = old;
			return EXEC_OK;
		}
		/* MMIO or split-lock: a locked access as two bus cycles, like a split lock */
	}
	r = op_read(cpu, in, 0, &old);
	if (r)
		return r;
	nv = fn(cpu, in, old, src, &store);
	if (store && (r = op_write(cpu, in, 0, nv)))
		return r;
	if (oldp)
		*oldp = old;
	return EXEC_OK;
}

static uint64_t alu_fn(struct cpu *cpu, struct insn *in, uint64_t old, uint64_t src, bool *store)
{
	*store = in->op->arg != ALU_CMP;
	return alu_compute(cpu, in->op->arg, old, src, in->ops[0].size);
}

int x_alu(struct cpu *cpu, struct insn *in)
{
	uint64_t src;
	int r = op_read(cpu, in, 1, &src);

	if (r)
		return r;
	/* An 8-bit immediate is sign-extended to the operand size (83 /r ib) */
	if (in->ops[1].type == OPT_IMM)
		src = in->ops[1].imm;
	return op_rmw(cpu, in, alu_fn, src, false, NULL);
}

static uint64_t incdec_fn(struct cpu *cpu, struct insn *in, uint64_t old, uint64_t delta, bool *store)
{
	/* INC/DEC leave CF alone */
	(void)store;
	return flags_incdec(cpu, old, !delta, in->ops[0].size);
}

int x_inc(struct cpu *cpu, struct insn *in)
{
	return op_rmw(cpu, in, incdec_fn, 1, false, NULL);
}

int x_dec(struct cpu *cpu, struct insn *in)
{
	return op_rmw(cpu, in, incdec_fn, 0, false, NULL);
}

int x_test(struct cpu *cpu, struct insn *in)
{
	uint64_t a, b;
	int r;

	if ((r = op_read(cpu, in, 0, &a)) || (r = op_read(cpu, in, 1, &b)))
		return r;
	flags_logic(cpu, a & b, in->ops[0].size);
	return EXEC_OK;
}

static uint64_t not_fn(struct cpu *cpu, struct insn *in, uint64_t old, uint64_t src, bool *store)
{
	(void)cpu; (void)in; (void)src; (void)store;
	return ~old;	/* NOT changes no flags */
}

int x_not(struct cpu *cpu, struct insn *in)
{
	return op_rmw(cpu, in, not_fn, 0, false, NULL);
}

static uint64_t neg_fn(struct cpu *cpu, struct insn *in, uint64_t old, uint64_t src, bool *store)
{
	uint64_t r = alu_compute(cpu, ALU_SUB, 0, old, in->ops[0].size);

	(void)src; (void)store;
	flags_set(cpu, CPU_FLAG_CF, (old & size_mask(in->ops[0].size)) != 0);
	return r;
}

int x_neg(struct cpu *cpu, struct insn *in)
{
	return op_rmw(cpu, in, neg_fn, 0, false, NULL);
}

int x_cmc(struct cpu *cpu, struct insn *in)
{
	(void)in;
	flags_set(cpu, CPU_FLAG_CF, !flag(cpu, CPU_FLAG_CF));
	return EXEC_OK;
}

/* CLC STC CLI STI CLD STD */
int x_flagop(struct cpu *cpu, struct insn *in)
{
	struct cpu_internal *ci = cpu->in;
	unsigned iopl = (ci->rflags >> 12) & 3;

	switch (in->op->arg) {
	case 0: flags_set(cpu, CPU_FLAG_CF, false); break;
	case 1: flags_set(cpu, CPU_FLAG_CF, true); break;
	case 2:
	case 3:
		/*
		 * CLI/STI need CPL <= IOPL in protected mode, so IOPL 3 in virtual-8086 mode (CPL 3).
		 * Below that, CR4.VME (virtual-8086 mode) or CR4.PVI (CPL 3) make them clear or set
		 * VIF instead; STI with VIP set is #GP(0) (SDM Vol.2 CLI/STI, Vol.3 §20.4).
		 */
		if ((cpu->cr0 & CPU_CR0_PE) && (unsigned)ci->cpl > iopl) {
			bool virt = (ci->rflags & CPU_FLAG_VM) ? (cpu->cr4 & CPU_CR4_VME) != 0
							       : ci->cpl == 3 && (cpu->cr4 & CPU_CR4_PVI);
			if (!virt || (in->op->arg == 3 && (ci->rflags & CPU_FLAG_VIP)))
				return raise_gp(cpu, 0);
			if (in->op->arg == 3)
				ci->rflags |= CPU_FLAG_VIF;
			else
				ci->rflags &= ~(uint64_t)CPU_FLAG_VIF;
			break;
		}
		if (in->op->arg == 3 && !(ci->rflags & CPU_FLAG_IF))
			cpu->shadow |= CPU_SHADOW_STI;	/* interrupts wait one more instruction */
		flags_set(cpu, CPU_FLAG_IF, in->op->arg == 3);
		break;
	case 4: flags_set(cpu, CPU_FLAG_DF, false); break;
	default: flags_set(cpu, CPU_FLAG_DF, true); break;
	}
	return EXEC_OK;
}

int x_lahf(struct cpu *cpu, struct insn *in)
{
	(void)in;
	reg_write(cpu, CPU_RAX | REG_HIGH_BYTE, 1, (flags_read(cpu) & 0xd5) | 2);
	return EXEC_OK;
}

int x_sahf(struct cpu *cpu, struct insn *in)
{
	uint64_t ah = reg_read(cpu, CPU_RAX | REG_HIGH_BYTE, 1);

	(void)in;
	flags_arith(cpu, (flags_read(cpu) & CPU_FLAG_OF) | (ah & 0xd5));	/* OF kept */
	return EXEC_OK;
}

/* CBW/CWDE/CDQE: sign-extend the lower half of the accumulator */
int x_cbw(struct cpu *cpu, struct insn *in)
{
	unsigned half = in->opsize / 2;
	uint64_t v = reg_read(cpu, CPU_RAX, half);
	uint64_t sb = 1ull << (half * 8 - 1);

	reg_write(cpu, CPU_RAX, in->opsize, (v ^ sb) - sb);
	return EXEC_OK;
}

/* CWD/CDQ/CQO: rDX = sign of rAX */
int x_cwd(struct cpu *cpu, struct insn *in)
{
	uint64_t v = reg_read(cpu, CPU_RAX, in->opsize);
	bool neg = (v >> (in->opsize * 8 - 1)) & 1;

	reg_write(cpu, CPU_RDX, in->opsize, neg ? ~0ull : 0);
	return EXEC_OK;
}

int x_setcc(struct cpu *cpu, struct insn *in)
{
	return op_write(cpu, in, 0, cond_true(cpu, in->op->arg));
}

int x_cmov(struct cpu *cpu, struct insn *in)
{
	uint64_t v;
	int r = op_read(cpu, in, 1, &v);	/* the source is read (and may fault) either way */

	if (r)
		return r;
	if (cond_true(cpu, in->op->arg))
		return op_write(cpu, in, 0, v);
	/* a 32-bit CMOV zero-extends its destination even when the condition is false */
	if (in->ops[0].size == 4)
		reg_write(cpu, in->ops[0].reg, 4, reg_read(cpu, in->ops[0].reg, 4));
	return EXEC_OK;
}

int x_bswap(struct cpu *cpu, struct insn *in)
{
	uint64_t v = reg_read(cpu, in->ops[0].reg, in->opsize);

	switch (in->opsize) {
	case 8: v = __builtin_bswap64(v); break;
	case 4: v = __builtin_bswap32((uint32_t)v); break;
	default: v = 0; break;	/* 16-bit BSWAP is undefined; hardware writes 0 */
	}
	reg_write(cpu, in->ops[0].reg, in->opsize, v);
	return EXEC_OK;
}

static uint64_t xadd_fn(struct cpu *cpu, struct insn *in, uint64_t old, uint64_t src, bool *store)
{
	(void)store;
	return alu_compute(cpu, ALU_ADD, old, src, in->ops[0].size);
}

int x_xadd(struct cpu *cpu, struct insn *in)
{
	uint64_t src, old;
	int r = op_read(cpu, in, 1, &src);

	if (r || (r = op_rmw(cpu, in, xadd_fn, src, false, &old)))
		return r;
	/* the source register receives the old destination (written after the destination) */
	if (!(in->ops[0].type == OPT_REG && in->ops[0].reg == in->ops[1].reg))
		reg_write(cpu, in->ops[1].reg, in->ops[1].size, old);
	return EXEC_OK;
}

static uint64_t cmpxchg_fn(struct cpu *cpu, struct insn *in, uint64_t old, uint64_t src, bool *store)
{
	unsigned size = in->ops[0].size;
	uint64_t acc = reg_read(cpu, CPU_RAX, size);

	alu_compute(cpu, ALU_CMP, acc, old, size);
	if (flag(cpu, CPU_FLAG_ZF))
		return src;
	/* a memory destination is written back unchanged when the compare fails */
	*store = in->ops[0].type == OPT_MEM && !in->lock;
	return old;
}

int x_cmpxchg(struct cpu *cpu, struct insn *in)
{
	uint64_t src, old;
	int r = op_read(cpu, in, 1, &src);

	if (r || (r = op_rmw(cpu, in, cmpxchg_fn, src, false, &old)))
		return r;
	if (!flag(cpu, CPU_FLAG_ZF))
		reg_write(cpu, CPU_RAX, in->ops[0].size, old);
	return EXEC_OK;
}

/* CMPXCHG8B / CMPXCHG16B (REX.W): compare rDX:rAX with m64/m128 */
int x_cmpxchg8b(struct cpu *cpu, struct insn *in)
{
	unsigned half = in->rex & 8 ? 8 : 4;
	uint64_t ea = insn_ea(cpu, in), lo, hi;
	uint64_t m = size_mask(half);
	int r;

	if (half == 8 && (seg_linear(cpu, in->seg, ea) & 15))
		return raise_gp(cpu, 0);	/* CMPXCHG16B needs 16-byte alignment */
	if (half == 4) {
		uint8_t *p = mem_host_ptr(cpu, in->seg, ea, 8, true, &r);
		if (r)
			return r;
		if (p) {
			uint64_t expect = (cpu->gpr[CPU_RDX] & m) << 32 | (cpu->gpr[CPU_RAX] & m);
			uint64_t desired = (cpu->gpr[CPU_RCX] & m) << 32 | (cpu->gpr[CPU_RBX] & m);
			bool ok = __atomic_compare_exchange_n((uint64_t *)p, &expect, desired, false,
							      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			flags_set(cpu, CPU_FLAG_ZF, ok);
			if (!ok) {
				reg_write(cpu, CPU_RAX, 4, expect);
				reg_write(cpu, CPU_RDX, 4, expect >> 32);
			}
			return EXEC_OK;
		}
	}
	if ((r = mem_read_seg(cpu, in->seg, ea, half, &lo)) ||
	    (r = mem_read_seg(cpu, in->seg, ea + half, half, &hi)))
		return r;
	if (lo == (cpu->gpr[CPU_RAX] & m) && hi == (cpu->gpr[CPU_RDX] & m)) {
		if ((r = mem_write_seg(cpu, in->seg, ea, half, cpu->gpr[CPU_RBX])) ||
		    (r = mem_write_seg(cpu, in->seg, ea + half, half, cpu->gpr[CPU_RCX])))
			return r;
		flags_set(cpu, CPU_FLAG_ZF, true);
	} else {
		if ((r = mem_write_seg(cpu, in->seg, ea, half, lo)) ||
		    (r = mem_write_seg(cpu, in->seg, ea + half, half, hi)))
			return r;
		flags_set(cpu, CPU_FLAG_ZF, false);
		reg_write(cpu, CPU_RAX, half, lo);
		reg_write(cpu, CPU_RDX, half, hi);
	}
	return EXEC_OK;
}
