// SPDX-License-Identifier: GPL-2.0-only
// MMX and SSE/SSE2/SSE3 execution: state checks, operands, moves, floating point through
// sse_host.c, conversions, compares, shuffles and the integer SIMD rows (sse_int.c).
//
// Handlers read every operand (and take every fault) before they change any state, so
// an exception leaves registers, MXCSR, the x87 tags and memory as they were.
#include "cpu/exec/sse.h"
#include "cpu/exec/sse_host.h"

/* ---- state checks ---- */

/*
 * Legacy SSE instructions (SDM Vol.2 §2.5, Table 2-? "Exceptions class 1..5"; Vol.3
 * Table 2-2 "Action taken by the processor for EM, MP, TS"): CR0.EM or CR4.OSFXSR clear
 * is #UD, then CR0.TS is #NM.
 */
int sse_check(struct cpu *cpu)
{
	if ((cpu->cr0 & CPU_CR0_EM) || !(cpu->cr4 & CPU_CR4_OSFXSR))
		return raise_ud(cpu);
	if (cpu->cr0 & CPU_CR0_TS) {
		cpu_raise(cpu, CPU_EXC_NM, false, 0);
		return EXEC_EXC;
	}
	return EXEC_OK;
}

/*
 * MMX instructions (SDM Vol.3 Table 12-1 and each instruction's "Numeric exceptions"):
 * CR0.EM -> #UD, CR0.TS -> #NM, a pending unmasked x87 exception (FSW.ES) -> #MF,
 * whatever CR0.NE says, as under KVM (see x87_mf_check()).
 */
int mmx_check(struct cpu *cpu)
{
	if (cpu->cr0 & CPU_CR0_EM)
		return raise_ud(cpu);
	if (cpu->cr0 & CPU_CR0_TS) {
		cpu_raise(cpu, CPU_EXC_NM, false, 0);
		return EXEC_EXC;
	}
	return x87_mf_check(cpu);
}

/* SDM Vol.1 §9.5.1: every MMX instruction but EMMS sets TOP to 0 and all tags valid. */
void mmx_enter(struct cpu *cpu)
{
	x87_set_top(cpu, 0);	/* MMi is physical register Ri: slot i once TOP is 0 */
	cpu->fxsave[FX_FTW] = 0xff;	/* abridged tag word: 1 = valid */
}

/* ---- operands ---- */

uint64_t sse_lin(struct cpu *cpu, struct insn *in)
{
	return seg_linear(cpu, in->seg, insn_ea(cpu, in));
}

/* 16-byte aligned forms: #GP(0) whatever the segment (SDM Vol.2 §2.4, "Exceptions Type 1") */
static int check_align(struct cpu *cpu, struct insn *in, unsigned size, bool align)
{
	if (align && size == 16 && (sse_lin(cpu, in) & 15))
		return raise_gp(cpu, 0);
	return EXEC_OK;
}

int sse_mem_read(struct cpu *cpu, struct insn *in, void *buf, unsigned size, bool align)
{
	int r = check_align(cpu, in, size, align);

	return r ? r : mem_rw_seg(cpu, in->seg, insn_ea(cpu, in), size, buf, false);
}

int sse_mem_write(struct cpu *cpu, struct insn *in, const void *buf, unsigned size, bool align)
{
	uint8_t tmp[16];
	int r = check_align(cpu, in, size, align);

	if (r)
		return r;
	memcpy(tmp, buf, size);
	return mem_rw_seg(cpu, in->seg, insn_ea(cpu, in), size, tmp, true);
}

int sse_read_rm(struct cpu *cpu, struct insn *in, union xmm *v, unsigned size, bool align)
{
	if (in->mod == 3) {
		xmm_get(cpu, in->rm, v);
		return EXEC_OK;
	}
	memset(v, 0, sizeof(*v));
	return sse_mem_read(cpu, in, v, size, align);
}

int mmx_read_rm(struct cpu *cpu, struct insn *in, uint64_t *v)
{
	if (in->mod == 3) {
		*v = mm_get(cpu, in->rm);
		return EXEC_OK;
	}
	*v = 0;
	return sse_mem_read(cpu, in, v, 8, false);
}

/* ---- SIMD floating-point exceptions (SDM Vol.1 §11.5.1, Vol.3 §6.15 #XM) ---- */

int sse_fp_exceptions(struct cpu *cpu, uint32_t flags)
{
	uint32_t mx = mxcsr_get(cpu);
	uint32_t unmasked = ~(mx >> 7) & MXCSR_FLAGS;
	uint32_t pre = flags & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);

	/*
	 * An unmasked pre-computation exception (invalid, denormal, divide) stops the
	 * operation before it computes: only those flags are recorded. Otherwise every flag
	 * is recorded, and an unmasked one stops the result from being written.
	 */
	if (pre & unmasked)
		flags = pre;
	mxcsr_set(cpu, mx | flags);
	if (!(flags & unmasked))
		return EXEC_OK;
	if (cpu->cr4 & CPU_CR4_OSXMMEXCPT)
		cpu_raise(cpu, CPU_EXC_XM, false, 0);
	else
		cpu_raise(cpu, CPU_EXC_UD, false, 0);
	return EXEC_EXC;
}

/* ---- floating-point arithmetic, compares and the XMM-to-XMM conversions ---- */

/* Per host op: memory operand size (16 = m128, aligned), and how to find tiny results. */
enum { R_NONE, R_PS, R_SS, R_PD, R_SD, R_PS2 /* two floats in the low half */ };
struct fp_info {
	uint8_t msize;
	uint8_t res;	/* which result lanes can underflow (R_*) */
};

static const struct fp_info fp_info[HO_NOPS] = {
#define A4(P) [HO_##P##PS] = { 16, R_PS }, [HO_##P##SS] = { 4, R_SS }, [HO_##P##PD] = { 16, R_PD }, [HO_##P##SD] = { 8, R_SD }
	A4(ADD), A4(SUB), A4(MUL), A4(DIV), A4(SQRT),
#undef A4
	[HO_MINPS] = { 16, R_NONE }, [HO_MINSS] = { 4, R_NONE }, [HO_MINPD] = { 16, R_NONE }, [HO_MINSD] = { 8, R_NONE },
	[HO_MAXPS] = { 16, R_NONE }, [HO_MAXSS] = { 4, R_NONE }, [HO_MAXPD] = { 16, R_NONE }, [HO_MAXSD] = { 8, R_NONE },
	[HO_RSQRTPS] = { 16, R_NONE }, [HO_RSQRTSS] = { 4, R_NONE }, [HO_RCPPS] = { 16, R_NONE }, [HO_RCPSS] = { 4, R_NONE },
	[HO_CVTPS2PD] = { 8, R_NONE }, [HO_CVTPD2PS] = { 16, R_PS2 }, [HO_CVTSS2SD] = { 4, R_NONE },
	[HO_CVTSD2SS] = { 8, R_SS }, [HO_CVTDQ2PS] = { 16, R_NONE }, [HO_CVTPS2DQ] = { 16, R_NONE },
	[HO_CVTTPS2DQ] = { 16, R_NONE }, [HO_CVTDQ2PD] = { 8, R_NONE }, [HO_CVTPD2DQ] = { 16, R_NONE },
	[HO_CVTTPD2DQ] = { 16, R_NONE },
	[HO_ADDSUBPS] = { 16, R_PS }, [HO_ADDSUBPD] = { 16, R_PD }, [HO_HADDPS] = { 16, R_PS },
	[HO_HADDPD] = { 16, R_PD }, [HO_HSUBPS] = { 16, R_PS }, [HO_HSUBPD] = { 16, R_PD },
	[HO_CMPPS] = { 16, R_NONE }, [HO_CMPSS] = { 4, R_NONE }, [HO_CMPPD] = { 16, R_NONE }, [HO_CMPSD] = { 8, R_NONE },
	[HO_ROUNDPS] = { 16, R_NONE }, [HO_ROUNDSS] = { 4, R_NONE }, [HO_ROUNDPD] = { 16, R_NONE }, [HO_ROUNDSD] = { 8, R_NONE },
};

static bool denormal32(uint32_t v)
{
	return !(v & 0x7f800000) && (v & 0x7fffff);
}

static bool denormal64(uint64_t v)
{
	return !(v & 0x7ff0000000000000ull) && (v & 0xfffffffffffffull);
}

static bool tiny_result(unsigned res, const union xmm *d)
{
	switch (res) {
	case R_PS: return denormal32(d->d[0]) || denormal32(d->d[1]) || denormal32(d->d[2]) || denormal32(d->d[3]);
	case R_PS2: return denormal32(d->d[0]) || denormal32(d->d[1]);
	case R_SS: return denormal32(d->d[0]);
	case R_PD: return denormal64(d->q[0]) || denormal64(d->q[1]);
	case R_SD: return denormal64(d->q[0]);
	default: return false;
	}
}

/*
 * The flags one operation reports (SDM Vol.1 §11.5.2, §11.5.1). With underflow unmasked
 * the CPU reports any tiny result, exact or not, and FTZ does not apply; a masked run
 * reports only tiny and inexact ones. So the operation runs with FTZ off, and an exact
 * tiny result (a non-zero denormal without UE) adds UE. An element whose overflow or
 * underflow is unmasked reports inexact only when its significand needed rounding (no
 * denormalised or infinite result is delivered to be inexact, SDM Vol.1 §4.9.2); the
 * other elements of a packed operation report theirs, as the host CPU does
 * (tests/diff/diff_sse).
 */
static uint32_t scalar_flags(unsigned op, union xmm *d, const union xmm *s, unsigned imm, uint32_t mx)
{
	uint32_t unmasked = ~(mx >> 7) & MXCSR_FLAGS;
	union xmm a = *d;
	uint32_t flags = sse_host_op(op, d, s, imm, mx);

	if ((unmasked & MXCSR_UE) && !(flags & MXCSR_UE) && tiny_result(fp_info[op].res, d))
		flags |= MXCSR_UE;
	if (flags & unmasked & (MXCSR_OE | MXCSR_UE))
		flags = (flags & ~(uint32_t)MXCSR_PE) | (sse_host_inexact_unbounded(op, &a, s, mx) ? MXCSR_PE : 0);
	return flags;
}

/* Element `lane` of a packed operation, run as the scalar operation it amounts to. */
static uint32_t lane_flags(unsigned op, const union xmm *d, const union xmm *s, int lane, uint32_t mx)
{
	union xmm a = { .q = { 0, 0 } }, b = { .q = { 0, 0 } };
	unsigned sop = op + 1;	/* xxPS -> xxSS, xxPD -> xxSD */

	switch (op) {
	case HO_CVTPD2PS:
		sop = HO_CVTSD2SS;
		b.q[0] = s->q[lane];
		break;
	case HO_ADDSUBPS: case HO_ADDSUBPD:
		sop = op == HO_ADDSUBPS ? (lane & 1 ? HO_ADDSS : HO_SUBSS) : (lane & 1 ? HO_ADDSD : HO_SUBSD);
		if (op == HO_ADDSUBPS)
			a.d[0] = d->d[lane], b.d[0] = s->d[lane];
		else
			a.q[0] = d->q[lane], b.q[0] = s->q[lane];
		break;
	case HO_HADDPS: case HO_HSUBPS: {
		const union xmm *src = lane < 2 ? d : s;
		sop = op == HO_HADDPS ? HO_ADDSS : HO_SUBSS;
		a.d[0] = src->d[2 * (lane & 1)];
		b.d[0] = src->d[2 * (lane & 1) + 1];
		break;
	}
	case HO_HADDPD: case HO_HSUBPD: {
		const union xmm *src = lane ? s : d;
		sop = op == HO_HADDPD ? HO_ADDSD : HO_SUBSD;
		a.q[0] = src->q[0];
		b.q[0] = src->q[1];
		break;
	}
	default:
		if (fp_info[op].res == R_PS)
			a.d[0] = d->d[lane], b.d[0] = s->d[lane];
		else
			a.q[0] = d->q[lane], b.q[0] = s->q[lane];
		break;
	}
	return scalar_flags(sop, &a, &b, 0, mx);
}

static uint32_t fp_run(struct cpu *cpu, unsigned op, union xmm *d, const union xmm *s, unsigned imm)
{
	uint32_t mx = mxcsr_get(cpu), flags;
	uint32_t unmasked = ~(mx >> 7) & MXCSR_FLAGS;
	unsigned res = fp_info[op].res;
	union xmm d0 = *d;

	if (unmasked & MXCSR_UE)
		mx &= ~(uint32_t)MXCSR_FTZ;
	if ((res != R_PS && res != R_PD && res != R_PS2) || !(unmasked & (MXCSR_OE | MXCSR_UE)))
		return scalar_flags(op, d, s, imm, mx);
	/* packed, with overflow or underflow unmasked: the flags element by element */
	sse_host_op(op, d, s, imm, mx);
	flags = 0;
	for (int i = 0; i < (res == R_PD || res == R_PS2 ? 2 : 4); i++)
		flags |= lane_flags(op, &d0, s, i, mx);
	return flags;
}

uint32_t sse_scalar_flags(unsigned op, union xmm *d, const union xmm *s, uint32_t mx)
{
	return scalar_flags(op, d, s, 0, mx);
}

/*
 * One stage of a multi-step operation (DPPS): its flags join `acc` (only its
 * pre-computation ones when one of those is unmasked, as for one operation), and an
 * unmasked flag ends the instruction with #XM/#UD and MXCSR |= acc: the flags of
 * the earlier stages stay.
 */
int sse_fp_stage(struct cpu *cpu, uint32_t *acc, uint32_t flags)
{
	uint32_t mx = mxcsr_get(cpu), unmasked = ~(mx >> 7) & MXCSR_FLAGS;
	uint32_t pre = flags & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);

	*acc |= (pre & unmasked) ? pre : flags;
	if (!(*acc & unmasked))
		return EXEC_OK;
	mxcsr_set(cpu, mx | *acc);
	cpu_raise(cpu, (cpu->cr4 & CPU_CR4_OSXMMEXCPT) ? CPU_EXC_XM : CPU_EXC_UD, false, 0);
	return EXEC_EXC;
}

/* V = V op W (arg: enum host_op); CMPxx and ROUNDxx take the immediate in ops[0]. */
int x_sse_fp(struct cpu *cpu, struct insn *in)
{
	unsigned op = in->op->arg;
	union xmm d, s;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, fp_info[op].msize, true)))
		return r;
	xmm_get(cpu, in->reg, &d);
	if ((r = sse_fp_exceptions(cpu, fp_run(cpu, op, &d, &s, (unsigned)in->ops[0].imm))))
		return r;
	xmm_put(cpu, in->reg, &d);
	return EXEC_OK;
}

/* COMISS/UCOMISS/COMISD/UCOMISD (arg bit 0: double, bit 1: ordered) */
int x_sse_comi(struct cpu *cpu, struct insn *in)
{
	bool dbl = in->op->arg & 1, ordered = in->op->arg & 2;
	union xmm a, b;
	uint32_t zpc;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &b, dbl ? 8 : 4, false)))
		return r;
	xmm_get(cpu, in->reg, &a);
	if ((r = sse_fp_exceptions(cpu, sse_host_comi(&a, &b, dbl, ordered, &zpc, mxcsr_get(cpu)))))
		return r;
	flags_arith(cpu, zpc);
	return EXEC_OK;
}

/* ---- conversions involving MMX or general registers ---- */


int x_sse_cvt(struct cpu *cpu, struct insn *in)
{
	unsigned kind = in->op->arg;
	bool size64 = in->rex & 8;
	union xmm d, s;
	uint64_t v;
	uint32_t flags;
	int r;

	if ((r = sse_check(cpu)))
		return r;
	switch (kind) {
	case CV_PI2PS: case CV_PI2PD:
		/* an MMX register source makes this an MMX instruction too (SDM CVTPI2PS) */
		if (in->mod == 3 && (r = mmx_check(cpu)))
			return r;
		if ((r = mmx_read_rm(cpu, in, &v)))
			return r;
		memset(&s, 0, sizeof(s));
		s.q[0] = v;
		xmm_get(cpu, in->reg, &d);
		if (kind == CV_PI2PS) {
			union xmm t = d;
			flags = sse_host_op(HO_CVTDQ2PS, &t, &s, 0, mxcsr_get(cpu));
			if ((r = sse_fp_exceptions(cpu, flags)))
				return r;
			d.q[0] = t.q[0];	/* the high half is kept */
		} else {
			flags = sse_host_op(HO_CVTDQ2PD, &d, &s, 0, mxcsr_get(cpu));
			if ((r = sse_fp_exceptions(cpu, flags)))
				return r;
		}
		if (in->mod == 3)
			mmx_enter(cpu);
		xmm_put(cpu, in->reg, &d);
		return EXEC_OK;
	case CV_SI2SS: case CV_SI2SD:
		if (in->mod == 3) {
			v = reg_read(cpu, in->rm, size64 ? 8 : 4);
		} else {
			v = 0;
			if ((r = sse_mem_read(cpu, in, &v, size64 ? 8 : 4, false)))
				return r;
		}
		xmm_get(cpu, in->reg, &d);
		flags = sse_host_cvti2f(&d, v, kind == CV_SI2SD, size64, mxcsr_get(cpu));
		if ((r = sse_fp_exceptions(cpu, flags)))
			return r;
		xmm_put(cpu, in->reg, &d);
		return EXEC_OK;
	case CV_PS2PI: case CV_TPS2PI: case CV_PD2PI: case CV_TPD2PI: {
		bool pd = kind == CV_PD2PI || kind == CV_TPD2PI;
		if ((r = mmx_check(cpu)) || (r = sse_read_rm(cpu, in, &s, pd ? 16 : 8, true)))
			return r;
		if (!pd)
			s.q[1] = 0;
		memset(&d, 0, sizeof(d));
		flags = sse_host_op(kind == CV_PS2PI ? HO_CVTPS2DQ : kind == CV_TPS2PI ? HO_CVTTPS2DQ :
				    kind == CV_PD2PI ? HO_CVTPD2DQ : HO_CVTTPD2DQ, &d, &s, 0, mxcsr_get(cpu));
		if ((r = sse_fp_exceptions(cpu, flags)))
			return r;
		mmx_enter(cpu);
		mm_put(cpu, in->reg, d.q[0]);
		return EXEC_OK;
	}
	default: {
		bool dbl = kind == CV_SD2SI || kind == CV_TSD2SI;
		bool trunc = kind == CV_TSS2SI || kind == CV_TSD2SI;
		if ((r = sse_read_rm(cpu, in, &s, dbl ? 8 : 4, false)))
			return r;
		flags = sse_host_cvt2i(&s, dbl, trunc, size64, &v, mxcsr_get(cpu));
		if ((r = sse_fp_exceptions(cpu, flags)))
			return r;
		reg_write(cpu, in->reg, size64 ? 8 : 4, v);
		return EXEC_OK;
	}
	}
}

/* ---- moves ---- */


int x_sse_mov(struct cpu *cpu, struct insn *in)
{
	unsigned kind = in->op->arg;
	unsigned gsize = (in->rex & 8) ? 8 : 4;
	union xmm d, s;
	int r;

	if ((r = sse_check(cpu)))
		return r;
	switch (kind) {
	case MV_LOAD_U: case MV_LOAD_A: case MV_LDDQU: case MV_MOVNTDQA:
		if ((kind == MV_LDDQU || kind == MV_MOVNTDQA) && in->mod == 3)
			return raise_ud(cpu);
		if ((r = sse_read_rm(cpu, in, &s, 16, kind == MV_LOAD_A || kind == MV_MOVNTDQA)))
			return r;
		xmm_put(cpu, in->reg, &s);
		return EXEC_OK;
	case MV_STORE_U: case MV_STORE_A: case MV_MOVNT:
		xmm_get(cpu, in->reg, &s);
		if (in->mod == 3) {
			if (kind == MV_MOVNT)
				return raise_ud(cpu);
			xmm_put(cpu, in->rm, &s);
			return EXEC_OK;
		}
		return sse_mem_write(cpu, in, &s, 16, kind != MV_STORE_U);
	case MV_MOVSS_LOAD: case MV_MOVSD_LOAD: {
		unsigned n = kind == MV_MOVSS_LOAD ? 4 : 8;
		if ((r = sse_read_rm(cpu, in, &s, n, false)))
			return r;
		if (in->mod == 3) {
			xmm_get(cpu, in->reg, &d);
			memcpy(&d, &s, n);	/* register form: the rest of the destination is kept */
			s = d;
		}
		xmm_put(cpu, in->reg, &s);
		return EXEC_OK;
	}
	case MV_MOVSS_STORE: case MV_MOVSD_STORE: {
		unsigned n = kind == MV_MOVSS_STORE ? 4 : 8;
		xmm_get(cpu, in->reg, &s);
		if (in->mod != 3)
			return sse_mem_write(cpu, in, &s, n, false);
		xmm_get(cpu, in->rm, &d);
		memcpy(&d, &s, n);
		xmm_put(cpu, in->rm, &d);
		return EXEC_OK;
	}
	case MV_MOVLPS_LOAD: case MV_MOVLPD_LOAD: case MV_MOVHPS_LOAD: case MV_MOVHPD_LOAD: {
		bool high = kind == MV_MOVHPS_LOAD || kind == MV_MOVHPD_LOAD;
		if (in->mod == 3 && (kind == MV_MOVLPD_LOAD || kind == MV_MOVHPD_LOAD))
			return raise_ud(cpu);
		if ((r = sse_read_rm(cpu, in, &s, 8, false)))
			return r;
		xmm_get(cpu, in->reg, &d);
		if (in->mod == 3)
			d.q[high] = s.q[!high];	/* MOVHLPS / MOVLHPS */
		else
			d.q[high] = s.q[0];
		xmm_put(cpu, in->reg, &d);
		return EXEC_OK;
	}
	case MV_MOVLPS_STORE: case MV_MOVHPS_STORE:
		if (in->mod == 3)
			return raise_ud(cpu);
		xmm_get(cpu, in->reg, &s);
		return sse_mem_write(cpu, in, &s.q[kind == MV_MOVHPS_STORE], 8, false);
	case MV_MOVQ_LOAD:
		if ((r = sse_read_rm(cpu, in, &s, 8, false)))
			return r;
		s.q[1] = 0;
		xmm_put(cpu, in->reg, &s);
		return EXEC_OK;
	case MV_MOVQ_STORE:
		xmm_get(cpu, in->reg, &s);
		if (in->mod != 3)
			return sse_mem_write(cpu, in, &s, 8, false);
		s.q[1] = 0;
		xmm_put(cpu, in->rm, &s);
		return EXEC_OK;
	case MV_MOVD_TO_XMM:
		memset(&s, 0, sizeof(s));
		if (in->mod == 3)
			s.q[0] = reg_read(cpu, in->rm, gsize);
		else if ((r = sse_mem_read(cpu, in, &s, gsize, false)))
			return r;
		xmm_put(cpu, in->reg, &s);
		return EXEC_OK;
	case MV_MOVD_FROM_XMM:
		xmm_get(cpu, in->reg, &s);
		if (in->mod != 3)
			return sse_mem_write(cpu, in, &s, gsize, false);
		reg_write(cpu, in->rm, gsize, s.q[0]);
		return EXEC_OK;
	case MV_MOVDDUP:
		if ((r = sse_read_rm(cpu, in, &s, 8, false)))
			return r;
		s.q[1] = s.q[0];
		xmm_put(cpu, in->reg, &s);
		return EXEC_OK;
	case MV_MOVSLDUP: case MV_MOVSHDUP: {
		unsigned o = kind == MV_MOVSHDUP;
		if ((r = sse_read_rm(cpu, in, &s, 16, true)))
			return r;
		d.d[0] = d.d[1] = s.d[o];
		d.d[2] = d.d[3] = s.d[2 + o];
		xmm_put(cpu, in->reg, &d);
		return EXEC_OK;
	}
	}
	return raise_ud(cpu);
}

/* MMX moves */

int x_mmx_mov(struct cpu *cpu, struct insn *in)
{
	unsigned kind = in->op->arg, gsize = (in->rex & 8) ? 8 : 4;
	uint64_t v = 0;
	union xmm x;
	int r;

	if (kind == MM_MOVQ2DQ || kind == MM_MOVDQ2Q) {
		if ((r = sse_check(cpu)))
			return r;
	}
	if ((r = mmx_check(cpu)))
		return r;
	switch (kind) {
	case MM_MOVD_LOAD:
		if (in->mod == 3)
			v = reg_read(cpu, in->rm, gsize);
		else if ((r = sse_mem_read(cpu, in, &v, gsize, false)))
			return r;
		mmx_enter(cpu);
		mm_put(cpu, in->reg, v);
		return EXEC_OK;
	case MM_MOVD_STORE:
		v = mm_get(cpu, in->reg);
		if (in->mod != 3) {
			if ((r = sse_mem_write(cpu, in, &v, gsize, false)))
				return r;
		} else {
			reg_write(cpu, in->rm, gsize, v);
		}
		mmx_enter(cpu);
		return EXEC_OK;
	case MM_MOVQ_LOAD:
		if ((r = mmx_read_rm(cpu, in, &v)))
			return r;
		mmx_enter(cpu);
		mm_put(cpu, in->reg, v);
		return EXEC_OK;
	case MM_MOVQ_STORE: case MM_MOVNTQ:
		v = mm_get(cpu, in->reg);
		if (in->mod == 3) {
			if (kind == MM_MOVNTQ)
				return raise_ud(cpu);
			mmx_enter(cpu);
			mm_put(cpu, in->rm, v);
			return EXEC_OK;
		}
		if ((r = sse_mem_write(cpu, in, &v, 8, false)))
			return r;
		mmx_enter(cpu);
		return EXEC_OK;
	case MM_MOVQ2DQ:
		memset(&x, 0, sizeof(x));
		x.q[0] = mm_get(cpu, in->rm);
		mmx_enter(cpu);
		xmm_put(cpu, in->reg, &x);
		return EXEC_OK;
	case MM_MOVDQ2Q:
		xmm_get(cpu, in->rm, &x);
		mmx_enter(cpu);
		mm_put(cpu, in->reg, x.q[0]);
		return EXEC_OK;
	}
	return raise_ud(cpu);
}

/* MOVNTI My, Gy (SSE2): a plain store here */
int x_movnti(struct cpu *cpu, struct insn *in)
{
	unsigned size = (in->rex & 8) ? 8 : 4;
	uint64_t v = reg_read(cpu, in->reg, size);

	return mem_write_seg(cpu, in->seg, insn_ea(cpu, in), size, v);
}

/* ---- integer SIMD ---- */

/* V = V op W on XMM registers, m128 aligned (arg: enum int_op) */
int x_sse_int(struct cpu *cpu, struct insn *in)
{
	union xmm d, s;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, 16, true)))
		return r;
	xmm_get(cpu, in->reg, &d);
	int_op(in->op->arg, &d, &s, 16);
	xmm_put(cpu, in->reg, &d);
	return EXEC_OK;
}

/* P = P op Q on MMX registers */
int x_mmx_int(struct cpu *cpu, struct insn *in)
{
	union xmm d = { .q = { 0, 0 } }, s = { .q = { 0, 0 } };
	int r;

	if ((r = mmx_check(cpu)) || (r = mmx_read_rm(cpu, in, &s.q[0])))
		return r;
	d.q[0] = mm_get(cpu, in->reg);
	int_op(in->op->arg, &d, &s, 8);
	mmx_enter(cpu);
	mm_put(cpu, in->reg, d.q[0]);
	return EXEC_OK;
}

/* Groups 12-14 (0F 71-73): shifts of N/U by Ib */
int x_sse_shimm(struct cpu *cpu, struct insn *in)
{
	union xmm d, s = { .q = { in->ops[0].imm & 0xff, 0 } };
	int r;

	if ((r = sse_check(cpu)))
		return r;
	xmm_get(cpu, in->rm, &d);
	int_op(in->op->arg, &d, &s, 16);
	xmm_put(cpu, in->rm, &d);
	return EXEC_OK;
}

int x_mmx_shimm(struct cpu *cpu, struct insn *in)
{
	union xmm d = { .q = { 0, 0 } }, s = { .q = { in->ops[0].imm & 0xff, 0 } };
	int r;

	if ((r = mmx_check(cpu)))
		return r;
	d.q[0] = mm_get(cpu, in->rm);
	int_op(in->op->arg, &d, &s, 8);
	mmx_enter(cpu);
	mm_put(cpu, in->rm, d.q[0]);
	return EXEC_OK;
}

/* PSHUFW / PSHUFD / PSHUFHW / PSHUFLW / SHUFPS / SHUFPD (arg 0..5) with Ib */
int x_pshuf(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm & 0xff, kind = in->op->arg;
	union xmm d, s, t;
	int r;

	if (kind == 0) {
		uint64_t v;
		if ((r = mmx_check(cpu)) || (r = mmx_read_rm(cpu, in, &v)))
			return r;
		s.q[0] = v;
		for (int i = 0; i < 4; i++)
			t.w[i] = s.w[(imm >> (2 * i)) & 3];
		mmx_enter(cpu);
		mm_put(cpu, in->reg, t.q[0]);
		return EXEC_OK;
	}
	if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, 16, true)))
		return r;
	xmm_get(cpu, in->reg, &d);
	t = s;
	switch (kind) {
	case 1: for (int i = 0; i < 4; i++) t.d[i] = s.d[(imm >> (2 * i)) & 3]; break;
	case 2: for (int i = 0; i < 4; i++) t.w[4 + i] = s.w[4 + ((imm >> (2 * i)) & 3)]; break;
	case 3: for (int i = 0; i < 4; i++) t.w[i] = s.w[(imm >> (2 * i)) & 3]; break;
	case 4:
		t.d[0] = d.d[imm & 3];
		t.d[1] = d.d[(imm >> 2) & 3];
		t.d[2] = s.d[(imm >> 4) & 3];
		t.d[3] = s.d[(imm >> 6) & 3];
		break;
	case 5:
		t.q[0] = d.q[imm & 1];
		t.q[1] = s.q[(imm >> 1) & 1];
		break;
	}
	xmm_put(cpu, in->reg, &t);
	return EXEC_OK;
}

/* MOVMSKPS / MOVMSKPD / PMOVMSKB mm / PMOVMSKB xmm (arg 0..3): Gd, N/U */
int x_movmsk(struct cpu *cpu, struct insn *in)
{
	unsigned kind = in->op->arg;
	uint32_t m = 0;
	union xmm s;
	int r;

	if (in->mod != 3)
		return raise_ud(cpu);
	if ((r = kind == 2 ? mmx_check(cpu) : sse_check(cpu)))
		return r;
	if (kind == 2) {
		s.q[0] = mm_get(cpu, in->rm);
		for (int i = 0; i < 8; i++)
			m |= (uint32_t)(s.b[i] >> 7) << i;
		mmx_enter(cpu);
	} else {
		xmm_get(cpu, in->rm, &s);
		if (kind == 0)
			for (int i = 0; i < 4; i++)
				m |= (s.d[i] >> 31) << i;
		else if (kind == 1)
			for (int i = 0; i < 2; i++)
				m |= (uint32_t)(s.q[i] >> 63) << i;
		else
			for (int i = 0; i < 16; i++)
				m |= (uint32_t)(s.b[i] >> 7) << i;
	}
	reg_write(cpu, in->reg, 8, m);	/* zero-extended to the full register */
	return EXEC_OK;
}

/* PINSRW P/V, Ry/Mw, Ib (arg 0: MMX, 1: XMM) */
int x_pinsrw(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm;
	uint64_t v = 0;
	int r;

	if ((r = in->op->arg ? sse_check(cpu) : mmx_check(cpu)))
		return r;
	if (in->mod == 3)
		v = reg_read(cpu, in->rm, 4);
	else if ((r = sse_mem_read(cpu, in, &v, 2, false)))
		return r;
	if (in->op->arg) {
		union xmm d;
		xmm_get(cpu, in->reg, &d);
		d.w[imm & 7] = (uint16_t)v;
		xmm_put(cpu, in->reg, &d);
	} else {
		union xmm d = { .q = { mm_get(cpu, in->reg), 0 } };
		d.w[imm & 3] = (uint16_t)v;
		mmx_enter(cpu);
		mm_put(cpu, in->reg, d.q[0]);
	}
	return EXEC_OK;
}

/* PEXTRW Gd, N/U, Ib (arg 0: MMX, 1: XMM) */
int x_pextrw(struct cpu *cpu, struct insn *in)
{
	unsigned imm = (unsigned)in->ops[0].imm;
	union xmm s;
	int r;

	if (in->mod != 3)
		return raise_ud(cpu);
	if ((r = in->op->arg ? sse_check(cpu) : mmx_check(cpu)))
		return r;
	if (in->op->arg) {
		xmm_get(cpu, in->rm, &s);
		reg_write(cpu, in->reg, 8, s.w[imm & 7]);
	} else {
		s.q[0] = mm_get(cpu, in->rm);
		mmx_enter(cpu);
		reg_write(cpu, in->reg, 8, s.w[imm & 3]);
	}
	return EXEC_OK;
}

/*
 * MASKMOVQ / MASKMOVDQU (arg 0: MMX, 1: XMM): the bytes of the register whose mask byte
 * has bit 7 set are stored at DS:rDI (segment override allowed). The pages of the first
 * and last selected bytes are checked for writing first, so a fault stores nothing.
 */
int x_maskmov(struct cpu *cpu, struct insn *in)
{
	unsigned n = in->op->arg ? 16 : 8;
	uint64_t base = cpu->gpr[CPU_RDI] & size_mask(in->addrsize), gpa;
	union xmm v, m;
	int first = -1, last = -1, r;

	if (in->mod != 3)
		return raise_ud(cpu);
	if ((r = in->op->arg ? sse_check(cpu) : mmx_check(cpu)))
		return r;
	if (in->op->arg) {
		xmm_get(cpu, in->reg, &v);
		xmm_get(cpu, in->rm, &m);
	} else {
		v.q[0] = mm_get(cpu, in->reg);
		m.q[0] = mm_get(cpu, in->rm);
	}
	for (unsigned i = 0; i < n; i++)
		if (m.b[i] & 0x80) {
			if (first < 0)
				first = (int)i;
			last = (int)i;
		}
	if (first >= 0) {
		bool user = cpu->in->cpl == 3;
		uint64_t a = seg_linear(cpu, in->seg, (base + (unsigned)first) & size_mask(in->addrsize));
		uint64_t b = seg_linear(cpu, in->seg, (base + (unsigned)last) & size_mask(in->addrsize));
		if ((cpu->cr0 & CPU_CR0_PG) &&
		    ((r = mmu_translate(cpu, a, ACC_WRITE, user, &gpa)) ||
		     (r = mmu_translate(cpu, b, ACC_WRITE, user, &gpa))))
			return r;
		for (unsigned i = 0; i < n; i++)
			if ((m.b[i] & 0x80) &&
			    (r = mem_write_seg(cpu, in->seg, (base + i) & size_mask(in->addrsize), 1, v.b[i])))
				return r;
	}
	if (!in->op->arg)
		mmx_enter(cpu);
	return EXEC_OK;
}

/* EMMS: every x87 tag empty (SDM Vol.2 EMMS) */
int x_emms(struct cpu *cpu, struct insn *in)
{
	int r = mmx_check(cpu);

	(void)in;
	if (r)
		return r;
	cpu->fxsave[FX_FTW] = 0;
	return EXEC_OK;
}

/* PALIGNR P,Q,Ib / V,W,Ib (SSSE3; arg 0: MMX, 1: XMM): (dest:src) >> 8 * imm bytes */
int x_palignr(struct cpu *cpu, struct insn *in)
{
	unsigned n = in->op->arg ? 16 : 8, imm = (unsigned)in->ops[0].imm & 0xff;
	uint8_t cat[32];
	union xmm d = { .q = { 0, 0 } }, s = { .q = { 0, 0 } }, t = { .q = { 0, 0 } };
	int r;

	if (in->op->arg) {
		if ((r = sse_check(cpu)) || (r = sse_read_rm(cpu, in, &s, 16, true)))
			return r;
		xmm_get(cpu, in->reg, &d);
	} else {
		if ((r = mmx_check(cpu)) || (r = mmx_read_rm(cpu, in, &s.q[0])))
			return r;
		d.q[0] = mm_get(cpu, in->reg);
	}
	memcpy(cat, s.b, n);
	memcpy(cat + n, d.b, n);
	for (unsigned i = 0; i < n; i++)
		t.b[i] = i + imm < 2 * n ? cat[i + imm] : 0;
	if (in->op->arg) {
		xmm_put(cpu, in->reg, &t);
	} else {
		mmx_enter(cpu);
		mm_put(cpu, in->reg, t.q[0]);
	}
	return EXEC_OK;
}
