// SPDX-License-Identifier: GPL-2.0-only
// SIMD floating point computed by the host's SSE unit under the guest's MXCSR (sse_host.c).
//
// The one place that depends on the host being x86-64: a portable back end (softfloat)
// replaces this file and keeps the interface. Every function runs one operation with
// all exceptions masked, the guest's rounding control, DAZ and the FTZ given in `mxcsr`,
// and returns the MXCSR exception flags (bits 5:0) the operation raised.
#ifndef SWKVM_CPU_EXEC_SSE_HOST_H
#define SWKVM_CPU_EXEC_SSE_HOST_H

#include "cpu/exec/sse.h"

enum host_op {
	HO_ADDPS, HO_ADDSS, HO_ADDPD, HO_ADDSD, HO_SUBPS, HO_SUBSS, HO_SUBPD, HO_SUBSD,
	HO_MULPS, HO_MULSS, HO_MULPD, HO_MULSD, HO_DIVPS, HO_DIVSS, HO_DIVPD, HO_DIVSD,
	HO_MINPS, HO_MINSS, HO_MINPD, HO_MINSD, HO_MAXPS, HO_MAXSS, HO_MAXPD, HO_MAXSD,
	HO_SQRTPS, HO_SQRTSS, HO_SQRTPD, HO_SQRTSD, HO_RSQRTPS, HO_RSQRTSS, HO_RCPPS, HO_RCPSS,
	HO_CVTPS2PD, HO_CVTPD2PS, HO_CVTSS2SD, HO_CVTSD2SS, HO_CVTDQ2PS, HO_CVTPS2DQ,
	HO_CVTTPS2DQ, HO_CVTDQ2PD, HO_CVTPD2DQ, HO_CVTTPD2DQ,
	HO_ADDSUBPS, HO_ADDSUBPD, HO_HADDPS, HO_HADDPD, HO_HSUBPS, HO_HSUBPD,
	HO_CMPPS, HO_CMPSS, HO_CMPPD, HO_CMPSD,		/* predicate in imm[2:0] */
	HO_ROUNDPS, HO_ROUNDSS, HO_ROUNDPD, HO_ROUNDSD,	/* mode in imm[3:0] */
	HO_NOPS
};

/* d = d op s (with imm for the compares and ROUND*). */
uint32_t sse_host_op(unsigned op, union xmm *d, const union xmm *s, unsigned imm, uint32_t mxcsr);

/* CVT(T)SS2SI / CVT(T)SD2SI: `dbl` source is a double; `trunc`; `size64` result width. */
uint32_t sse_host_cvt2i(const union xmm *s, bool dbl, bool trunc, bool size64, uint64_t *out,
			uint32_t mxcsr);
/* CVTSI2SS / CVTSI2SD of a 32- or 64-bit integer into d's low element. */
uint32_t sse_host_cvti2f(union xmm *d, uint64_t v, bool dbl, bool size64, uint32_t mxcsr);
/* (U)COMISS / (U)COMISD: ZF, PF, CF into *zpc (OF, SF, AF are cleared by the caller). */
uint32_t sse_host_comi(const union xmm *a, const union xmm *b, bool dbl, bool ordered,
		       uint32_t *zpc, uint32_t mxcsr);

/*
 * Whether op (ADDSS..DIVSD, CVTSD2SS) on the low elements of a and b needs rounding to
 * fit the result's significand with an unbounded exponent: the inexact flag of an
 * unmasked overflow or underflow. DAZ (from mxcsr) applies to the inputs.
 */
bool sse_host_inexact_unbounded(unsigned op, const union xmm *a, const union xmm *b, uint32_t mxcsr);

#endif
