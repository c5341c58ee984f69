// SPDX-License-Identifier: GPL-2.0-only
// MUL, IMUL (one-, two- and three-operand forms), DIV and IDIV with #DE.
#include <stddef.h>

#include "cpu/exec/handlers.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

static int64_t sx(uint64_t v, unsigned size)
{
	unsigned sh = 64 - size * 8;

	return (int64_t)(v << sh) >> sh;
}

/* Writes the register pair for `size`: AH:AL for bytes, else rDX:rAX (product, or remainder:quotient). */
static void write_pair(struct cpu *cpu, unsigned size, uint64_t lo, uint64_t hi)
{
	if (size == 1) {
		reg_write(cpu, CPU_RAX, 2, (lo & 0xff) | ((hi & 0xff) << 8));
	} else {
		reg_write(cpu, CPU_RAX, size, lo);
		reg_write(cpu, CPU_RDX, size, hi);
	}
}

int x_mul(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->ops[0].size;
	uint64_t src, a = reg_read(cpu, CPU_RAX, size);
	u128 p;
	int r = op_read(cpu, in, 0, &src);

	if (r)
		return r;
	p = (u128)a * src;
	write_pair(cpu, size, (uint64_t)p & size_mask(size), (uint64_t)(p >> (size * 8)) & size_mask(size));
	flags_set(cpu, CPU_FLAG_CF | CPU_FLAG_OF, (p >> (size * 8)) != 0);
	return EXEC_OK;
}

int x_imul1(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->ops[0].size;
	uint64_t src;
	s128 p;
	int r = op_read(cpu, in, 0, &src);

	if (r)
		return r;
	p = (s128)sx(reg_read(cpu, CPU_RAX, size), size) * sx(src, size);
	write_pair(cpu, size, (uint64_t)p & size_mask(size), (uint64_t)(p >> (size * 8)) & size_mask(size));
	flags_set(cpu, CPU_FLAG_CF | CPU_FLAG_OF, p != (s128)sx((uint64_t)p, size));
	return EXEC_OK;
}

/* IMUL Gv,Ev (0F AF) and IMUL Gv,Ev,Iz/Ib (69/6B) */
int x_imul(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->ops[0].size;
	uint64_t a, b;
	s128 p;
	int r;

	if (in->ops[2].type == OPT_IMM) {
		if ((r = op_read(cpu, in, 1, &a)))
			return r;
		b = in->ops[2].imm;
	} else {
		if ((r = op_read(cpu, in, 0, &a)) || (r = op_read(cpu, in, 1, &b)))
			return r;
	}
	p = (s128)sx(a, size) * sx(b, size);
	reg_write(cpu, in->ops[0].reg, size, (uint64_t)p);
	flags_set(cpu, CPU_FLAG_CF | CPU_FLAG_OF, p != (s128)sx((uint64_t)p, size));
	return EXEC_OK;
}

static void read_pair(struct cpu *cpu, unsigned size, uint64_t *lo, uint64_t *hi)
{
	if (size == 1) {
		uint64_t ax = reg_read(cpu, CPU_RAX, 2);
		*lo = ax & 0xff;
		*hi = ax >> 8;
	} else {
		*lo = reg_read(cpu, CPU_RAX, size);
		*hi = reg_read(cpu, CPU_RDX, size);
	}
}

int x_div(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->ops[0].size;
	uint64_t d, lo, hi;
	u128 n, q;
	int r = op_read(cpu, in, 0, &d);

	if (r)
		return r;
	if (d == 0)
		goto de;
	read_pair(cpu, size, &lo, &hi);
	n = ((u128)hi << (size * 8)) | lo;
	q = n / d;
	if (q >> (size * 8))
		goto de;
	write_pair(cpu, size, (uint64_t)q, (uint64_t)(n % d));
	return EXEC_OK;
de:
	cpu_raise(cpu, CPU_EXC_DE, false, 0);
	return EXEC_EXC;
}

int x_idiv(struct cpu *cpu, struct insn *in)
{
	unsigned size = in->ops[0].size;
	uint64_t dv, lo, hi;
	s128 n, q, d;
	int r = op_read(cpu, in, 0, &dv);

	if (r)
		return r;
	d = sx(dv, size);
	if (d == 0)
		goto de;
	read_pair(cpu, size, &lo, &hi);
	if (size == 8)
		n = (s128)(((u128)hi << 64) | lo);
	else
		n = sx((hi << (size * 8)) | lo, size * 2);
	/* the most negative dividend over -1 overflows (and 128-bit division would trap) */
	if (size == 8 && d == -1 && n == (s128)((u128)1 << 127))
		goto de;
	q = n / d;
	if (q != (s128)sx((uint64_t)q, size))
		goto de;
	write_pair(cpu, size, (uint64_t)q, (uint64_t)(n % d));
	return EXEC_OK;
de:
	cpu_raise(cpu, CPU_EXC_DE, false, 0);
	return EXEC_EXC;
}
