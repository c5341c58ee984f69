// SPDX-License-Identifier: GPL-2.0-only
// BT/BTS/BTR/BTC (register and memory bit strings), BSF, BSR.
#include <stddef.h>

#include "cpu/exec/handlers.h"

static uint64_t bt_fn(struct cpu *cpu, struct insn *in, uint64_t old, uint64_t bit, bool *store)
{
	uint64_t mask = 1ull << bit;

	flags_set(cpu, CPU_FLAG_CF, (old & mask) != 0);
	switch (in->op->arg) {
	case 0: *store = false; return old;		/* BT */
	case 1: return old | mask;			/* BTS */
	case 2: return old & ~mask;			/* BTR */
	default: return old ^ mask;			/* BTC */
	}
}

int x_bt(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->ops[0].size, bits = size * 8;
	uint64_t off;
	int r = op_read(cpu, in, 1, &off);

	if (r)
		return r;
	if (in->ops[1].type == OPT_REG && in->ops[0].type == OPT_MEM) {
		/* a register bit offset addresses a bit string: signed, beyond the operand (SDM BT) */
		unsigned sh = 64 - bits;
		int64_t soff = (int64_t)(off << sh) >> sh;
		int64_t words = soff >> (size == 2 ? 4 : size == 4 ? 5 : 6);
		struct insn copy = *in;

		copy.disp += words * (int64_t)size;
		return op_rmw(cpu, &copy, bt_fn, (uint64_t)soff & (bits - 1), false, NULL);
	}
	return op_rmw(cpu, in, bt_fn, off & (bits - 1), false, NULL);
}

/* BSF/BSR: ZF=1 and the destination unchanged for a zero source */
static int bitscan(struct cpu *cpu, struct insn *in, bool reverse)
{
	unsigned size = in->ops[0].size;
	uint64_t v;
	int r = op_read(cpu, in, 1, &v);

	if (r)
		return r;
	v &= size_mask(size);
	flags_set(cpu, CPU_FLAG_ZF, v == 0);
	if (v == 0)
		return EXEC_OK;
	reg_write(cpu, in->ops[0].reg, size, reverse ? 63 - (uint64_t)__builtin_clzll(v) : (uint64_t)__builtin_ctzll(v));
	return EXEC_OK;
}

int x_bsf(struct cpu *cpu, struct insn *in)
{
	return bitscan(cpu, in, false);
}

int x_bsr(struct cpu *cpu, struct insn *in)
{
	return bitscan(cpu, in, true);
}

/*
 * POPCNT r, r/m (F3 0F B8; SDM Vol.2B "POPCNT"): OF, SF, AF, CF and PF cleared, ZF set
 * when the source is zero. Without the F3 prefix 0F B8 is JMPE, #UD on x86-64 CPUs (the
 * decoder's prefix column).
 */
int x_popcnt(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->ops[0].size;
	uint64_t v;
	int r;

	if ((r = op_read(cpu, in, 1, &v)))
		return r;
	v &= size_mask(size);
	flags_arith(cpu, v == 0 ? CPU_FLAG_ZF : 0);
	reg_write(cpu, in->ops[0].reg, size, (uint64_t)__builtin_popcountll(v));
	return EXEC_OK;
}

/*
 * TZCNT / LZCNT (F3 0F BC / BD with BMI1 / ABM; SDM Vol.2B): the count of trailing /
 * leading zero bits, the operand width for a zero source. CF = (source == 0),
 * ZF = (result == 0); OF SF AF PF undefined (cleared, as AMD and Intel hardware do).
 */
static int zcnt(struct cpu *cpu, struct insn *in, bool leading)
{
	unsigned size = in->ops[0].size, bits = size * 8;
	uint64_t v, n;
	int r = op_read(cpu, in, 1, &v);

	if (r)
		return r;
	v &= size_mask(size);
	if (v == 0)
		n = bits;
	else
		n = leading ? (uint64_t)(__builtin_clzll(v) - (64 - (int)bits)) : (uint64_t)__builtin_ctzll(v);
	flags_arith(cpu, (v == 0 ? CPU_FLAG_CF : 0) | (n == 0 ? CPU_FLAG_ZF : 0));
	reg_write(cpu, in->ops[0].reg, size, n);
	return EXEC_OK;
}

int x_tzcnt(struct cpu *cpu, struct insn *in)
{
	return zcnt(cpu, in, false);
}

int x_lzcnt(struct cpu *cpu, struct insn *in)
{
	return zcnt(cpu, in, true);
}
