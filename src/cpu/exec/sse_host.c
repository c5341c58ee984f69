// SPDX-License-Identifier: GPL-2.0-only
// SIMD floating point on the host's SSE unit under the guest's rounding, DAZ and FTZ.
//
// Why: bit-exact IEEE results (NaN propagation, denormals, rounding, MIN/MAX operand
// order, the integer-indefinite value, flags) come for free from the same hardware the
// guest expects. Each operation is one asm block that loads the guest's MXCSR (all
// exceptions masked, flags clear), executes the instruction, and stores MXCSR again; the
// host's own MXCSR is saved and restored around it, so host code is never affected and
// no SIMD exception can reach the host. RCPPS/RSQRTPS are approximations whose exact
// bits are implementation specific: the guest sees the host CPU's. See docs/cpu.md.
// A portable back end replaces this file (interface in sse_host.h).
#include "cpu/exec/sse_host.h"

#if !defined(__x86_64__)
#error "sse_host.c needs an x86-64 host (see docs/cpu.md: SIMD floating point)"
#endif

static inline uint32_t host_mxcsr_save(void)
{
	uint32_t v;
	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static inline void host_mxcsr_restore(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v) : "memory");
}

/* the MXCSR an operation runs with: the guest's controls, every exception masked, no flags */
static inline uint32_t run_mxcsr(uint32_t mxcsr)
{
	return (mxcsr & (MXCSR_RC | MXCSR_DAZ | MXCSR_FTZ)) | MXCSR_MASKS;
}

#define XOP(insn)                                                                        \
	__asm__ volatile("movdqu (%1), %%xmm0\n\t"                                       \
			 "movdqu (%2), %%xmm1\n\t"                                       \
			 "ldmxcsr %0\n\t" insn " %%xmm1, %%xmm0\n\t"                     \
			 "stmxcsr %0\n\t"                                                \
			 "movdqu %%xmm0, (%1)"                                           \
			 : "+m"(m)                                                       \
			 : "r"(d), "r"(s)                                                \
			 : "xmm0", "xmm1", "memory")
#define XOPI(insn, imm)                                                                  \
	__asm__ volatile("movdqu (%1), %%xmm0\n\t"                                       \
			 "movdqu (%2), %%xmm1\n\t"                                       \
			 "ldmxcsr %0\n\t" insn " %3, %%xmm1, %%xmm0\n\t"                 \
			 "stmxcsr %0\n\t"                                                \
			 "movdqu %%xmm0, (%1)"                                           \
			 : "+m"(m)                                                       \
			 : "r"(d), "r"(s), "i"(imm)                                      \
			 : "xmm0", "xmm1", "memory")
#define C8(insn)                                                                          \
	switch (imm & 7) {                                                                \
	case 0: XOPI(insn, 0); break; case 1: XOPI(insn, 1); break;                       \
	case 2: XOPI(insn, 2); break; case 3: XOPI(insn, 3); break;                       \
	case 4: XOPI(insn, 4); break; case 5: XOPI(insn, 5); break;                       \
	case 6: XOPI(insn, 6); break; default: XOPI(insn, 7); break;                      \
	}
#define C16(insn)                                                                         \
	switch (imm & 15) {                                                               \
	case 0: XOPI(insn, 0); break; case 1: XOPI(insn, 1); break;                       \
	case 2: XOPI(insn, 2); break; case 3: XOPI(insn, 3); break;                       \
	case 4: XOPI(insn, 4); break; case 5: XOPI(insn, 5); break;                       \
	case 6: XOPI(insn, 6); break; case 7: XOPI(insn, 7); break;                       \
	case 8: XOPI(insn, 8); break; case 9: XOPI(insn, 9); break;                       \
	case 10: XOPI(insn, 10); break; case 11: XOPI(insn, 11); break;                   \
	case 12: XOPI(insn, 12); break; case 13: XOPI(insn, 13); break;                   \
	case 14: XOPI(insn, 14); break; default: XOPI(insn, 15); break;                   \
	}

uint32_t sse_host_op(unsigned op, union xmm *d, const union xmm *s, unsigned imm, uint32_t mxcsr)
{
	uint32_t host = host_mxcsr_save(), m = run_mxcsr(mxcsr);

	switch (op) {
	case HO_ADDPS: XOP("addps"); break;
	case HO_ADDSS: XOP("addss"); break;
	case HO_ADDPD: XOP("addpd"); break;
	case HO_ADDSD: XOP("addsd"); break;
	case HO_SUBPS: XOP("subps"); break;
	case HO_SUBSS: XOP("subss"); break;
	case HO_SUBPD: XOP("subpd"); break;
	case HO_SUBSD: XOP("subsd"); break;
	case HO_MULPS: XOP("mulps"); break;
	case HO_MULSS: XOP("mulss"); break;
	case HO_MULPD: XOP("mulpd"); break;
	case HO_MULSD: XOP("mulsd"); break;
	case HO_DIVPS: XOP("divps"); break;
	case HO_DIVSS: XOP("divss"); break;
	case HO_DIVPD: XOP("divpd"); break;
	case HO_DIVSD: XOP("divsd"); break;
	case HO_MINPS: XOP("minps"); break;
	case HO_MINSS: XOP("minss"); break;
	case HO_MINPD: XOP("minpd"); break;
	case HO_MINSD: XOP("minsd"); break;
	case HO_MAXPS: XOP("maxps"); break;
	case HO_MAXSS: XOP("maxss"); break;
	case HO_MAXPD: XOP("maxpd"); break;
	case HO_MAXSD: XOP("maxsd"); break;
	case HO_SQRTPS: XOP("sqrtps"); break;
	case HO_SQRTSS: XOP("sqrtss"); break;
	case HO_SQRTPD: XOP("sqrtpd"); break;
	case HO_SQRTSD: XOP("sqrtsd"); break;
	case HO_RSQRTPS: XOP("rsqrtps"); break;
	case HO_RSQRTSS: XOP("rsqrtss"); break;
	case HO_RCPPS: XOP("rcpps"); break;
	case HO_RCPSS: XOP("rcpss"); break;
	case HO_CVTPS2PD: XOP("cvtps2pd"); break;
	case HO_CVTPD2PS: XOP("cvtpd2ps"); break;
	case HO_CVTSS2SD: XOP("cvtss2sd"); break;
	case HO_CVTSD2SS: XOP("cvtsd2ss"); break;
	case HO_CVTDQ2PS: XOP("cvtdq2ps"); break;
	case HO_CVTPS2DQ: XOP("cvtps2dq"); break;
	case HO_CVTTPS2DQ: XOP("cvttps2dq"); break;
	case HO_CVTDQ2PD: XOP("cvtdq2pd"); break;
	case HO_CVTPD2DQ: XOP("cvtpd2dq"); break;
	case HO_CVTTPD2DQ: XOP("cvttpd2dq"); break;
	case HO_ADDSUBPS: XOP("addsubps"); break;
	case HO_ADDSUBPD: XOP("addsubpd"); break;
	case HO_HADDPS: XOP("haddps"); break;
	case HO_HADDPD: XOP("haddpd"); break;
	case HO_HSUBPS: XOP("hsubps"); break;
	case HO_HSUBPD: XOP("hsubpd"); break;
	case HO_CMPPS: C8("cmpps"); break;
	case HO_CMPSS: C8("cmpss"); break;
	case HO_CMPPD: C8("cmppd"); break;
	case HO_CMPSD: C8("cmpsd"); break;
	case HO_ROUNDPS: C16("roundps"); break;
	case HO_ROUNDSS: C16("roundss"); break;
	case HO_ROUNDPD: C16("roundpd"); break;
	case HO_ROUNDSD: C16("roundsd"); break;
	default: break;
	}
	host_mxcsr_restore(host);
	return m & MXCSR_FLAGS;
}

uint32_t sse_host_cvt2i(const union xmm *s, bool dbl, bool trunc, bool size64, uint64_t *out,
			uint32_t mxcsr)
{
	uint32_t host = host_mxcsr_save(), m = run_mxcsr(mxcsr);
	uint64_t r = 0;

#define CVT(insn, reg)                                                                    \
	__asm__ volatile("movdqu (%2), %%xmm0\n\tldmxcsr %0\n\t" insn " %%xmm0, %" reg "1\n\t" \
			 "stmxcsr %0"                                                     \
			 : "+m"(m), "=r"(r)                                               \
			 : "r"(s)                                                         \
			 : "xmm0", "memory")
	switch ((dbl ? 4 : 0) | (trunc ? 2 : 0) | (size64 ? 1 : 0)) {
	case 0: CVT("cvtss2si", "k"); break;
	case 1: CVT("cvtss2si", "q"); break;
	case 2: CVT("cvttss2si", "k"); break;
	case 3: CVT("cvttss2si", "q"); break;
	case 4: CVT("cvtsd2si", "k"); break;
	case 5: CVT("cvtsd2si", "q"); break;
	case 6: CVT("cvttsd2si", "k"); break;
	default: CVT("cvttsd2si", "q"); break;
	}
#undef CVT
	host_mxcsr_restore(host);
	*out = size64 ? r : (uint32_t)r;
	return m & MXCSR_FLAGS;
}

uint32_t sse_host_cvti2f(union xmm *d, uint64_t v, bool dbl, bool size64, uint32_t mxcsr)
{
	uint32_t host = host_mxcsr_save(), m = run_mxcsr(mxcsr);

#define CVT(insn, reg)                                                                    \
	__asm__ volatile("movdqu (%1), %%xmm0\n\tldmxcsr %0\n\t" insn " %" reg "2, %%xmm0\n\t" \
			 "stmxcsr %0\n\tmovdqu %%xmm0, (%1)"                              \
			 : "+m"(m)                                                        \
			 : "r"(d), "r"(v)                                                 \
			 : "xmm0", "memory")
	switch ((dbl ? 2 : 0) | (size64 ? 1 : 0)) {
	case 0: CVT("cvtsi2ssl", "k"); break;
	case 1: CVT("cvtsi2ssq", "q"); break;
	case 2: CVT("cvtsi2sdl", "k"); break;
	default: CVT("cvtsi2sdq", "q"); break;
	}
#undef CVT
	host_mxcsr_restore(host);
	return m & MXCSR_FLAGS;
}

uint32_t sse_host_comi(const union xmm *a, const union xmm *b, bool dbl, bool ordered,
		       uint32_t *zpc, uint32_t mxcsr)
{
	uint32_t host = host_mxcsr_save(), m = run_mxcsr(mxcsr);
	uint8_t z, p, c;

#define CMP(insn)                                                                          \
	__asm__ volatile("movdqu (%4), %%xmm0\n\tmovdqu (%5), %%xmm1\n\tldmxcsr %0\n\t"    \
			 insn " %%xmm1, %%xmm0\n\t"                                        \
			 "setz %1\n\tsetp %2\n\tsetc %3\n\tstmxcsr %0"                     \
			 : "+m"(m), "=r"(z), "=r"(p), "=r"(c)                              \
			 : "r"(a), "r"(b)                                                  \
			 : "xmm0", "xmm1", "memory", "cc")
	switch ((dbl ? 2 : 0) | (ordered ? 1 : 0)) {
	case 0: CMP("ucomiss"); break;
	case 1: CMP("comiss"); break;
	case 2: CMP("ucomisd"); break;
	default: CMP("comisd"); break;
	}
#undef CMP
	host_mxcsr_restore(host);
	*zpc = (z ? CPU_FLAG_ZF : 0) | (p ? CPU_FLAG_PF : 0) | (c ? CPU_FLAG_CF : 0);
	return m & MXCSR_FLAGS;
}

/*
 * Whether the scalar operation's exact result needs rounding to fit the destination's
 * significand (24 or 53 bits) with an unbounded exponent: the inexact condition of an
 * unmasked overflow or underflow. Computed exactly in a
 * wider format (double for single precision, __float128 for double): products fit, a
 * quotient is exact when it fits and multiplies back, and a sum or difference that
 * overflows or is tiny comes from operands at most 60 binary orders apart (SQRT can do
 * neither).
 */
static bool fits_bits(__float128 v, int bits)
{
	__float128 m;
	int e;

	if (v == 0)
		return true;
	m = v < 0 ? -v : v;
	/* scale into [2^112, 2^113): an integer significand, exact for __float128 */
	for (e = 0; m < (__float128)1.0; e++)
		m *= 2;
	while (m >= (__float128)2.0)
		m /= 2;
	for (int i = 0; i < bits - 1; i++)
		m *= 2;
	return m == (__float128)(__int128)m;
}

static bool denormal32(uint32_t v)
{
	return !(v & 0x7f800000) && (v & 0x7fffff);
}

static bool denormal64(uint64_t v)
{
	return !(v & 0x7ff0000000000000ull) && (v & 0xfffffffffffffull);
}

static bool inexact_unbounded(unsigned op, const union xmm *a, const union xmm *b, uint32_t mx)
{
	bool dbl = op == HO_ADDSD || op == HO_SUBSD || op == HO_MULSD || op == HO_DIVSD;
	bool daz = mx & MXCSR_DAZ;
	__float128 x, y, r;

	if (op == HO_CVTSD2SS) {
		x = (__float128)b->df[0];
		if (daz && denormal64(b->q[0]))
			x = 0;
		return !fits_bits(x, 24);
	}
	if (dbl) {
		x = (daz && denormal64(a->q[0])) ? 0 : (__float128)a->df[0];
		y = (daz && denormal64(b->q[0])) ? 0 : (__float128)b->df[0];
	} else {
		x = (daz && denormal32(a->d[0])) ? 0 : (__float128)a->f[0];
		y = (daz && denormal32(b->d[0])) ? 0 : (__float128)b->f[0];
	}
	switch (op) {
	case HO_SUBSS: case HO_SUBSD:
		y = -y;
		/* fall through */
	case HO_ADDSS: case HO_ADDSD: {
		/* Fast2Sum: with |x| >= |y| the rounding error of x + y is exactly y - (r - x) */
		__float128 big = x, small = y;
		if ((x < 0 ? -x : x) < (y < 0 ? -y : y))
			big = y, small = x;
		r = big + small;
		if (small - (r - big) != 0)
			return true;
		break;
	}
	case HO_MULSS: case HO_MULSD: r = x * y; break;
	case HO_DIVSS: case HO_DIVSD:
		if (y == 0)
			return false;
		r = x / y;
		return !fits_bits(r, dbl ? 53 : 24) || r * y != x;
	default: return false;
	}
	return !fits_bits(r, dbl ? 53 : 24);
}

/*
 * The __float128 arithmetic above is libgcc's soft-fp, which raises its exception flags
 * on the host's MXCSR: saved and restored around it like every other operation here.
 */
bool sse_host_inexact_unbounded(unsigned op, const union xmm *a, const union xmm *b, uint32_t mxcsr)
{
	uint32_t host = host_mxcsr_save();
	bool r = inexact_unbounded(op, a, b, mxcsr);

	host_mxcsr_restore(host);
	return r;
}
