// SPDX-License-Identifier: GPL-2.0-only
// SSE4.1 and SSE4.2 beyond the plain element operations: blends, PTEST, PMOVSX/ZX,
// inserts and extracts, DPPS/DPPD, MPSADBW, CRC32 and the string compares PCMPxSTRx.
#include "cpu/exec/sse.h"
#include "cpu/exec/sse_host.h"

/* PBLENDVB / BLENDVPS / BLENDVPD V, W, <XMM0> (arg 0, 1, 2): s where XMM0's element sign is set */
int x_pblendv(struct cpu *cpu, struct insn *in)
{
	union xmm d, s, m;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, 16, true)))
		return r;
	xmm_get(cpu, in->reg, &d);
	xmm_get(cpu, 0, &m);
	switch (in->op->arg) {
	case 0: for (int i = 0; i < 16; i++) if (m.b[i] & 0x80) d.b[i] = s.b[i]; break;
	case 1: for (int i = 0; i < 4; i++) if (m.d[i] >> 31) d.d[i] = s.d[i]; break;
	default: for (int i = 0; i < 2; i++) if (m.q[i] >> 63) d.q[i] = s.q[i]; break;
	}
	xmm_put(cpu, in->reg, &d);
	return EXEC_OK;
}

/* BLENDPS / BLENDPD / PBLENDW V, W, Ib (arg 0, 1, 2) */
int x_blendi(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm;
	union xmm d, s;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, 16, true)))
		return r;
	xmm_get(cpu, in->reg, &d);
	switch (in->op->arg) {
	case 0: for (int i = 0; i < 4; i++) if (imm >> i & 1) d.d[i] = s.d[i]; break;
	case 1: for (int i = 0; i < 2; i++) if (imm >> i & 1) d.q[i] = s.q[i]; break;
	default: for (int i = 0; i < 8; i++) if (imm >> i & 1) d.w[i] = s.w[i]; break;
	}
	xmm_put(cpu, in->reg, &d);
	return EXEC_OK;
}

/* PTEST V, W: ZF = (V & W) == 0, CF = (~V & W) == 0, the others cleared */
int x_ptest(struct cpu *cpu, struct insn *in)
{
	union xmm d, s;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, 16, true)))
		return r;
	xmm_get(cpu, in->reg, &d);
	flags_arith(cpu, (((d.q[0] & s.q[0]) | (d.q[1] & s.q[1])) ? 0 : CPU_FLAG_ZF) |
			 (((~d.q[0] & s.q[0]) | (~d.q[1] & s.q[1])) ? 0 : CPU_FLAG_CF));
	return EXEC_OK;
}

/*
 * PMOVSX / PMOVZX: arg bit 3 = sign extension, bits 2:0 = form bw bd bq wd wq dq (0-5).
 * The source is the low 8, 4 or 2 bytes of an XMM register or memory.
 */
int x_pmovx(struct cpu *cpu, struct insn *in)
{
	static const uint8_t from[6] = { 1, 1, 1, 2, 2, 4 }, to[6] = { 2, 4, 8, 4, 8, 8 };
	unsigned form = in->op->arg & 7, n = 16 / to[form];
	bool sx = in->op->arg & 8;
	union xmm s, d;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, n * from[form], false)))
		return r;
	for (unsigned i = 0; i < n; i++) {
		uint64_t v;
		switch (from[form]) {
		case 1: v = sx ? (uint64_t)(int64_t)s.sb[i] : s.b[i]; break;
		case 2: v = sx ? (uint64_t)(int64_t)s.sw[i] : s.w[i]; break;
		default: v = sx ? (uint64_t)(int64_t)s.sd[i] : s.d[i]; break;
		}
		switch (to[form]) {
		case 2: d.w[i] = (uint16_t)v; break;
		case 4: d.d[i] = (uint32_t)v; break;
		default: d.q[i] = v; break;
		}
	}
	xmm_put(cpu, in->reg, &d);
	return EXEC_OK;
}

/* PEXTRB / PEXTRW / PEXTRD-Q / EXTRACTPS r/m, V, Ib (arg 0..3); a register gets it zero-extended */
int x_pextr(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm, size;
	union xmm s;
	uint64_t v;
	int r;

	if ((r = sse_check(cpu)))
		return r;
	xmm_get(cpu, in->reg, &s);
	switch (in->op->arg) {
	case 0: v = s.b[imm & 15]; size = 1; break;
	case 1: v = s.w[imm & 7]; size = 2; break;
	case 2:
		if (in->rex & 8)
			v = s.q[imm & 1], size = 8;
		else
			v = s.d[imm & 3], size = 4;
		break;
	default: v = s.d[imm & 3]; size = 4; break;
	}
	if (in->mod != 3)
		return sse_mem_write(cpu, in, &v, size, false);
	reg_write(cpu, in->rm, (in->rex & 8) ? 8 : 4, v);
	return EXEC_OK;
}

/* PINSRB / PINSRD-Q V, r/m, Ib (arg 0, 2) */
int x_pinsr(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm, size = in->op->arg == 0 ? 1 : (in->rex & 8) ? 8 : 4;
	union xmm d;
	uint64_t v = 0;
	int r;

	if ((r = sse_check(cpu)))
		return r;
	if (in->mod == 3)
		v = reg_read(cpu, in->rm, size == 1 ? 4 : size);
	else if ((r = sse_mem_read(cpu, in, &v, size, false)))
		return r;
	xmm_get(cpu, in->reg, &d);
	if (size == 1)
		d.b[imm & 15] = (uint8_t)v;
	else if (size == 4)
		d.d[imm & 3] = (uint32_t)v;
	else
		d.q[imm & 1] = v;
	xmm_put(cpu, in->reg, &d);
	return EXEC_OK;
}

/* INSERTPS V, U/M32, Ib: element imm[7:6] of U (or m32) into element imm[5:4], then zero mask imm[3:0] */
int x_insertps(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm;
	union xmm d, s;
	uint32_t v;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, 4, false)))
		return r;
	v = in->mod == 3 ? s.d[(imm >> 6) & 3] : s.d[0];
	xmm_get(cpu, in->reg, &d);
	d.d[(imm >> 4) & 3] = v;
	for (int i = 0; i < 4; i++)
		if (imm >> i & 1)
			d.d[i] = 0;
	xmm_put(cpu, in->reg, &d);
	return EXEC_OK;
}

/* MPSADBW V, W, Ib: eight sums of absolute differences of 4-byte groups */
int x_mpsadbw(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm, a = (imm >> 2 & 1) * 4, b = (imm & 3) * 4;
	union xmm d, s, t;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, 16, true)))
		return r;
	xmm_get(cpu, in->reg, &d);
	for (unsigned i = 0; i < 8; i++) {
		unsigned sum = 0;
		for (unsigned j = 0; j < 4; j++) {
			int x = d.b[a + i + j] - s.b[b + j];
			sum += (unsigned)(x < 0 ? -x : x);
		}
		t.w[i] = (uint16_t)sum;
	}
	xmm_put(cpu, in->reg, &t);
	return EXEC_OK;
}

/*
 * DPPS / DPPD V, W, Ib (arg 0, 1): products of the elements selected by imm[7:4]
 * (imm[5:4] for DPPD), an unselected product being +0.0, summed pairwise as the SDM's
 * pseudocode does ((p0 + p1) + (p2 + p3)), each step rounded under MXCSR on the host;
 * the sum goes to the elements selected by imm[3:0], +0.0 to the others. Each step is
 * a stage for exceptions: an unmasked one stops the instruction there, with the flags
 * of the stages so far (as the host CPU does; tests/diff/diff_sse).
 */
int x_dpp(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm;
	bool pd = in->op->arg;
	uint32_t mx, acc = 0, f;
	union xmm d, s, p[4], t, u;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, 16, true)))
		return r;
	xmm_get(cpu, in->reg, &d);
	mx = mxcsr_get(cpu);
	if (!(mx & (MXCSR_UE << 7)))
		mx &= ~(uint32_t)MXCSR_FTZ;	/* FTZ applies only with underflow masked */
	f = 0;
	for (int i = 0; i < (pd ? 2 : 4); i++) {
		memset(&p[i], 0, sizeof(p[i]));
		if (imm >> (4 + i) & 1) {
			union xmm b = { .q = { 0, 0 } };
			if (pd)
				p[i].q[0] = d.q[i], b.q[0] = s.q[i];
			else
				p[i].d[0] = d.d[i], b.d[0] = s.d[i];
			f |= sse_scalar_flags(pd ? HO_MULSD : HO_MULSS, &p[i], &b, mx);
		}
	}
	if ((r = sse_fp_stage(cpu, &acc, f)))
		return r;
	if (pd) {
		f = sse_scalar_flags(HO_ADDSD, &p[0], &p[1], mx);
	} else {
		f = sse_scalar_flags(HO_ADDSS, &p[0], &p[1], mx);
		f |= sse_scalar_flags(HO_ADDSS, &p[2], &p[3], mx);
		if ((r = sse_fp_stage(cpu, &acc, f)))
			return r;
		f = sse_scalar_flags(HO_ADDSS, &p[0], &p[2], mx);
	}
	if ((r = sse_fp_stage(cpu, &acc, f)) || (r = sse_fp_exceptions(cpu, acc)))
		return r;
	t = p[0];
	memset(&u, 0, sizeof(u));
	for (int i = 0; i < (pd ? 2 : 4); i++)
		if (imm >> i & 1) {
			if (pd)
				u.q[i] = t.q[0];
			else
				u.d[i] = t.d[0];
		}
	xmm_put(cpu, in->reg, &u);
	return EXEC_OK;
}

/* CRC32 Gy, Eb/Ev (SSE4.2): CRC-32C (Castagnoli, reflected 0x82F63B78), no final inversion */
int x_crc32(struct cpu *cpu, struct insn *in)
{
	unsigned dsize = (in->rex & 8) ? 8 : 4, n = in->ops[1].size;
	uint64_t src;
	uint32_t crc = (uint32_t)cpu->gpr[in->reg];
	int r;

	if ((r = op_read(cpu, in, 1, &src)))
		return r;
	for (unsigned i = 0; i < n; i++) {
		crc ^= (uint8_t)(src >> (8 * i));
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	reg_write(cpu, in->reg, dsize, crc);
	return EXEC_OK;
}

/* ---- PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM (SDM Vol.2 §4.1) ---- */

static int64_t elem(const union xmm *v, unsigned fmt, unsigned i)
{
	switch (fmt) {
	case 0: return v->b[i];
	case 1: return v->w[i];
	case 2: return v->sb[i];
	default: return v->sw[i];
	}
}

static unsigned implicit_len(const union xmm *v, unsigned fmt, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (elem(v, fmt, i) == 0)
			return i;
	return n;
}

static unsigned explicit_len(struct cpu *cpu, struct insn *in, int reg, unsigned n)
{
	int64_t v = (in->rex & 8) ? (int64_t)cpu->gpr[reg] : (int64_t)(int32_t)cpu->gpr[reg];
	uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	return a > n ? n : (unsigned)a;
}

/* arg bit 0: index result (ECX), else mask (XMM0); bit 1: implicit lengths, else explicit (EAX, EDX) */
int x_pcmpstr(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm, fmt = imm & 3, agg = (imm >> 2) & 3, pol = (imm >> 4) & 3;
	unsigned n = (fmt & 1) ? 8 : 16, la, lb, res1 = 0, res2;
	bool index = in->op->arg & 1, implicit = in->op->arg & 2;
	union xmm a, b;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &b, 16, false)))
		return r;
	xmm_get(cpu, in->reg, &a);
	la = implicit ? implicit_len(&a, fmt, n) : explicit_len(cpu, in, CPU_RAX, n);
	lb = implicit ? implicit_len(&b, fmt, n) : explicit_len(cpu, in, CPU_RDX, n);

	for (unsigned i = 0; i < n; i++) {
		bool bit = false;
		switch (agg) {
		case 0:	/* equal any: b[i] is one of the valid a[j] */
			for (unsigned j = 0; j < la && i < lb; j++)
				bit |= elem(&a, fmt, j) == elem(&b, fmt, i);
			break;
		case 1:	/* ranges: a[j] <= b[i] <= a[j+1] for a valid pair */
			for (unsigned j = 0; j + 1 < la && i < lb; j += 2)
				bit |= elem(&b, fmt, i) >= elem(&a, fmt, j) && elem(&b, fmt, i) <= elem(&a, fmt, j + 1);
			break;
		case 2:	/* equal each: both invalid counts as equal */
			if (i < la && i < lb)
				bit = elem(&a, fmt, i) == elem(&b, fmt, i);
			else
				bit = i >= la && i >= lb;
			break;
		default:	/* equal ordered: a (as far as valid) occurs in b at i */
			bit = true;
			for (unsigned k = 0; i + k < n && bit; k++) {
				if (k >= la)
					break;		/* a invalid: true */
				if (i + k >= lb)
					bit = false;	/* a valid, b invalid */
				else
					bit = elem(&a, fmt, k) == elem(&b, fmt, i + k);
			}
			break;
		}
		res1 |= (unsigned)bit << i;
	}
	switch (pol) {
	case 1: res2 = ~res1 & ((1u << n) - 1); break;
	case 3: res2 = res1 ^ ((1u << lb) - 1); break;
	default: res2 = res1; break;
	}
	if (index) {
		unsigned idx = n;
		if (res2)
			idx = (imm & 0x40) ? 31 - (unsigned)__builtin_clz(res2) : (unsigned)__builtin_ctz(res2);
		cpu->gpr[CPU_RCX] = idx;
	} else {
		union xmm m = { .q = { 0, 0 } };
		if (!(imm & 0x40))
			m.q[0] = res2;
		else
			for (unsigned i = 0; i < n; i++)
				if (res2 >> i & 1) {
					if (n == 16)
						m.b[i] = 0xff;
					else
						m.w[i] = 0xffff;
				}
		xmm_put(cpu, 0, &m);
	}
	flags_arith(cpu, (res2 ? CPU_FLAG_CF : 0) | (lb < n ? CPU_FLAG_ZF : 0) | (la < n ? CPU_FLAG_SF : 0) |
			 ((res2 & 1) ? CPU_FLAG_OF : 0));
	return EXEC_OK;
}
