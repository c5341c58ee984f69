// SPDX-License-Identifier: GPL-2.0-only
// Shifts and rotates (ROL ROR RCL RCR SHL SHR SAR), SHLD and SHRD.
#include <stddef.h>

#include "cpu/exec/handlers.h"

static uint64_t msb(uint64_t v, unsigned size)
{
	return (v >> (size * 8 - 1)) & 1;
}

static void szp(struct cpu *cpu, uint64_t res, unsigned size)
{
	res &= size_mask(size);
	flags_set(cpu, CPU_FLAG_ZF, res == 0);
	flags_set(cpu, CPU_FLAG_SF, msb(res, size));
	flags_set(cpu, CPU_FLAG_PF, parity((uint8_t)res));
}

static uint64_t shift_fn(struct cpu *cpu, struct insn *in, uint64_t v, uint64_t count, bool *store)
{
	unsigned size = in->ops[0].size, bits = size * 8;
	uint64_t m = size_mask(size), res = v & m;
	unsigned c, cf;
	uint64_t of;

	/* the count is masked to 5 bits (6 with 64-bit operands): SDM Vol.2 SAL/SAR/SHL/SHR */
	c = (unsigned)(count & (size == 8 ? 0x3f : 0x1f));
	if (c == 0) {
		/* flags untouched; a 32-bit register destination is still written (zero-extended) */
		*store = size == 4 && in->ops[0].type == OPT_REG;
		return v;
	}
	v &= m;
	switch (in->op->arg) {
	case 0: /* ROL */
		c %= bits;
		res = c ? ((v << c) | (v >> (bits - c))) & m : v;
		flags_set(cpu, CPU_FLAG_CF, res & 1);
		flags_set(cpu, CPU_FLAG_OF, msb(res, size) ^ (res & 1));
		return res;
	case 1: /* ROR */
		c %= bits;
		res = c ? ((v >> c) | (v << (bits - c))) & m : v;
		flags_set(cpu, CPU_FLAG_CF, msb(res, size));
		flags_set(cpu, CPU_FLAG_OF, msb(res, size) ^ msb(res << 1, size));
		return res;
	case 2: /* RCL: rotate through CF, bits+1 positions */
		cf = flag(cpu, CPU_FLAG_CF);
		c %= bits + 1;
		for (unsigned i = 0; i < c; i++) {
			unsigned out = (unsigned)msb(res, size);
			res = ((res << 1) | cf) & m;
			cf = out;
		}
		flags_set(cpu, CPU_FLAG_CF, cf);
		flags_set(cpu, CPU_FLAG_OF, msb(res, size) ^ cf);
		return res;
	case 3: /* RCR */
		cf = flag(cpu, CPU_FLAG_CF);
		c %= bits + 1;
		flags_set(cpu, CPU_FLAG_OF, msb(res, size) ^ cf);
		for (unsigned i = 0; i < c; i++) {
			unsigned out = (unsigned)(res & 1);
			res = (res >> 1) | ((uint64_t)cf << (bits - 1));
			cf = out;
		}
		flags_set(cpu, CPU_FLAG_CF, cf);
		return res;
	case 4: /* SHL/SAL */
		res = c < 64 ? (v << c) & m : 0;
		cf = c <= bits ? (unsigned)((v >> (bits - c)) & 1) : 0;
		of = msb(res, size) ^ cf;
		break;
	case 5: /* SHR */
		res = v >> c;
		cf = (unsigned)((v >> (c - 1)) & 1);
		of = msb(v, size);
		break;
	default: { /* SAR */
		unsigned sh = 64 - bits;
		int64_t s = (int64_t)(v << sh) >> sh;
		res = (uint64_t)(s >> (c < 64 ? c : 63)) & m;
		cf = (unsigned)((uint64_t)(s >> (c - 1)) & 1);
		of = 0;
		break;
	}
	}
	/*
	 * The shifts write all six arithmetic flags (AF undefined: cleared), so the pending
	 * lazy flags are replaced without being computed.
	 */
	res &= m;
	flags_arith(cpu, (cf ? CPU_FLAG_CF : 0) | (of ? CPU_FLAG_OF : 0) | (res == 0 ? CPU_FLAG_ZF : 0) |
			 (msb(res, size) ? CPU_FLAG_SF : 0) | (parity((uint8_t)res) ? CPU_FLAG_PF : 0));
	return res;
}

int x_shift(struct cpu *cpu, struct insn *in)
{
	uint64_t count;
	int r = op_read(cpu, in, 1, &count);

	if (r)
		return r;
	return op_rmw(cpu, in, shift_fn, count, false, NULL);
}

static int double_shift(struct cpu *cpu, struct insn *in, bool left)
{
	unsigned size = in->ops[0].size, bits = size * 8, c;
	uint64_t dst, src, cnt, res, m = size_mask(size);
	int r;

	if ((r = op_read(cpu, in, 0, &dst)) || (r = op_read(cpu, in, 1, &src)) ||
	    (r = op_read(cpu, in, 2, &cnt)))
		return r;
	c = (unsigned)(cnt & (size == 8 ? 0x3f : 0x1f));
	if (c == 0)	/* flags untouched; a 32-bit register destination is still zero-extended */
		return size == 4 && in->ops[0].type == OPT_REG ? op_write(cpu, in, 0, dst) : EXEC_OK;
	if (size == 2 && c > 16) {
		/* undefined result; computed as a 32-bit shift of src:dst like Intel hardware */
		uint64_t wide = left ? (dst << 16 | src) : (src << 16 | dst);
		res = left ? (wide << c) >> 16 : wide >> c;
		res &= m;
	} else if (left) {
		res = ((dst << c) | (c ? src >> (bits - c) : 0)) & m;
		flags_set(cpu, CPU_FLAG_CF, (dst >> (bits - c)) & 1);
	} else {
		res = ((dst >> c) | (c ? src << (bits - c) : 0)) & m;
		flags_set(cpu, CPU_FLAG_CF, (dst >> (c - 1)) & 1);
	}
	flags_set(cpu, CPU_FLAG_OF, msb(res, size) ^ msb(dst, size));
	szp(cpu, res, size);
	flags_set(cpu, CPU_FLAG_AF, false);
	return op_write(cpu, in, 0, res);
}

int x_shld(struct cpu *cpu, struct insn *in)
{
	return double_shift(cpu, in, true);
}

int x_shrd(struct cpu *cpu, struct insn *in)
{
	return double_shift(cpu, in, false);
}
