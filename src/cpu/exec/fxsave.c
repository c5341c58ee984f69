// SPDX-License-Identifier: GPL-2.0-only
// The x87/SSE state machinery: LDMXCSR/STMXCSR, FXSAVE/FXRSTOR, XSAVE/XRSTOR, XGETBV/XSETBV.
//
// cpu->fxsave holds the state in the 64-bit FXSAVE layout (SDM Vol.1 Table 10-2). The
// 32-bit layout (no REX.W) differs only in bytes 8..23: FIP[31:0], FCS, FDP[31:0], FDS;
// the state keeps FCS and FDS in bytes 12-13 and 20-21 (where they sit in that layout),
// so the two formats are the same bytes with 14-15 and 22-23 written as zero. The XSAVE
// area is the standard (non-compacted) format with the two components the CPU model has,
// x87 (bit 0) and SSE (bit 1): legacy region 0..511, header 512..575 (576 bytes, CPUID
// leaf 0DH).
#include "cpu/exec/sse.h"

#define XFEAT_X87 1ull
#define XFEAT_SSE 2ull
#define XFEAT_SUPPORTED (XFEAT_X87 | XFEAT_SSE)
#define XSAVE_HDR 512
#define XSAVE_SIZE 576

/* LDMXCSR m32: reserved bits (outside MXCSR_MASK) are #GP(0) (SDM Vol.2 LDMXCSR) */
int x_ldmxcsr(struct cpu *cpu, struct insn *in)
{
	uint32_t v = 0;
	int r;

	if ((r = sse_check(cpu)) || (r = sse_mem_read(cpu, in, &v, 4, false)))
		return r;
	if (v & ~CPU_MXCSR_MASK)
		return raise_gp(cpu, 0);
	mxcsr_set(cpu, v);
	return EXEC_OK;
}

int x_stmxcsr(struct cpu *cpu, struct insn *in)
{
	uint32_t v = mxcsr_get(cpu);
	int r;

	if ((r = sse_check(cpu)))
		return r;
	return sse_mem_write(cpu, in, &v, 4, false);
}

/* FXSAVE/FXRSTOR: EM or TS set is #NM (SDM Vol.2 FXSAVE, "Protected Mode Exceptions") */
static int fx_check(struct cpu *cpu, struct insn *in, unsigned align)
{
	if (cpu->cr0 & (CPU_CR0_EM | CPU_CR0_TS)) {
		cpu_raise(cpu, CPU_EXC_NM, false, 0);
		return EXEC_EXC;
	}
	if (sse_lin(cpu, in) & (align - 1))
		return raise_gp(cpu, 0);
	return EXEC_OK;
}

/* The legacy region as the CPU stores it: x87 part (with `x87`), MXCSR, XMM (with `sse`). */
static void legacy_image(struct cpu *cpu, struct insn *in, uint8_t *img, bool x87, bool mx, bool sse)
{
	unsigned nxmm = cpu->in->code64 ? 16 : 8;
	uint32_t mask = CPU_MXCSR_MASK;

	if (x87) {
		memcpy(img, cpu->fxsave, 24);
		img[5] = 0;
		if (!(in->rex & 8)) {
			/* 32-bit format: FIP[31:0], FCS, 0, FDP[31:0], FDS, 0 */
			memset(img + 14, 0, 2);
			memset(img + 22, 0, 2);
		}
		for (int i = 0; i < 8; i++) {
			memcpy(img + FX_ST(i), cpu->fxsave + FX_ST(i), 10);
			memset(img + FX_ST(i) + 10, 0, 6);
		}
	}
	if (mx) {
		memcpy(img + FX_MXCSR, cpu->fxsave + FX_MXCSR, 4);
		memcpy(img + FX_MXCSR_MASK, &mask, 4);
	}
	if (sse)
		memcpy(img + FX_XMM(0), cpu->fxsave + FX_XMM(0), 16 * nxmm);
}

/* Loads the legacy region's parts into the state (checks done by the caller). */
static void legacy_load(struct cpu *cpu, struct insn *in, const uint8_t *img, bool x87, bool mx, bool sse)
{
	unsigned nxmm = cpu->in->code64 ? 16 : 8;

	if (x87) {
		memcpy(cpu->fxsave, img, 24);
		cpu->fxsave[5] = 0;
		if (!(in->rex & 8)) {
			memset(cpu->fxsave + 14, 0, 2);
			memset(cpu->fxsave + 22, 0, 2);
		}
		for (int i = 0; i < 8; i++) {
			memcpy(cpu->fxsave + FX_ST(i), img + FX_ST(i), 10);
			memset(cpu->fxsave + FX_ST(i) + 10, 0, 6);
		}
	}
	if (mx)
		memcpy(cpu->fxsave + FX_MXCSR, img + FX_MXCSR, 4);
	if (sse)
		memcpy(cpu->fxsave + FX_XMM(0), img + FX_XMM(0), 16 * nxmm);
}

/*
 * FXSAVE m512: bytes 0..159 and the XMM registers the mode has (8 outside 64-bit mode,
 * 16 in it); the rest of the area (reserved and "available" bytes) is left as it was,
 * so only the bytes written are stored: 0..287 or 0..415.
 */
int x_fxsave(struct cpu *cpu, struct insn *in)
{
	uint8_t img[512];
	unsigned len = cpu->in->code64 ? 416 : 288;
	int r;

	if ((r = fx_check(cpu, in, 16)))
		return r;
	memset(img, 0, sizeof(img));
	legacy_image(cpu, in, img, true, true, true);
	return mem_rw_seg(cpu, in->seg, insn_ea(cpu, in), len, img, true);
}

int x_fxrstor(struct cpu *cpu, struct insn *in)
{
	uint8_t img[512];
	uint32_t mx;
	int r;

	if ((r = fx_check(cpu, in, 16)) ||
	    (r = mem_rw_seg(cpu, in->seg, insn_ea(cpu, in), sizeof(img), img, false)))
		return r;
	memcpy(&mx, img + FX_MXCSR, 4);
	if (mx & ~CPU_MXCSR_MASK)
		return raise_gp(cpu, 0);
	legacy_load(cpu, in, img, true, true, true);
	return EXEC_OK;
}

/* XSAVE family: CR4.OSXSAVE clear is #UD, CR0.TS #NM, a misaligned area #GP(0) (SDM Vol.2 XSAVE) */
static int xsave_check(struct cpu *cpu, struct insn *in)
{
	if (!(cpu->cr4 & CPU_CR4_OSXSAVE))
		return raise_ud(cpu);
	if (cpu->cr0 & CPU_CR0_TS) {
		cpu_raise(cpu, CPU_EXC_NM, false, 0);
		return EXEC_EXC;
	}
	if (sse_lin(cpu, in) & 63)
		return raise_gp(cpu, 0);
	return EXEC_OK;
}

static uint64_t rfbm(struct cpu *cpu)
{
	uint64_t edx_eax = (cpu->gpr[CPU_RDX] << 32) | (uint32_t)cpu->gpr[CPU_RAX];

	return edx_eax & cpu->xcr0 & XFEAT_SUPPORTED;
}

/*
 * XSAVE mem (SDM Vol.1 §13.7): the components in RFBM = XCR0 & EDX:EAX, MXCSR with SSE;
 * XSTATE_BV[i] = XINUSE[i] for i in RFBM (both components count as in use: the SDM lets
 * a CPU report XINUSE[i] = 1 at any time); nothing else of the header is written.
 */
int x_xsave(struct cpu *cpu, struct insn *in)
{
	uint8_t img[XSAVE_SIZE];
	uint64_t rf = rfbm(cpu), bv, ea = insn_ea(cpu, in);
	int r;

	if ((r = xsave_check(cpu, in)))
		return r;
	/* read what is kept, so one precise write stores the whole image */
	if ((r = mem_rw_seg(cpu, in->seg, ea, sizeof(img), img, false)))
		return r;
	legacy_image(cpu, in, img, rf & XFEAT_X87, rf & XFEAT_SSE, rf & XFEAT_SSE);
	memcpy(&bv, img + XSAVE_HDR, 8);
	bv = (bv & ~rf) | rf;
	memcpy(img + XSAVE_HDR, &bv, 8);
	return mem_rw_seg(cpu, in->seg, ea, sizeof(img), img, true);
}

/*
 * XRSTOR mem, standard form (SDM Vol.1 §13.8.1): #GP(0) for XCOMP_BV[63], for XSTATE_BV
 * bits outside XCR0, for non-zero header bytes 8..23, and for reserved MXCSR bits.
 * Components in RFBM load from memory when their XSTATE_BV bit is set and take their
 * initial state otherwise; MXCSR loads from memory whenever RFBM has SSE.
 */
int x_xrstor(struct cpu *cpu, struct insn *in)
{
	uint8_t img[XSAVE_SIZE];
	uint64_t rf = rfbm(cpu), bv, comp, rsv;
	uint32_t mx;
	int r;

	if ((r = xsave_check(cpu, in)) ||
	    (r = mem_rw_seg(cpu, in->seg, insn_ea(cpu, in), sizeof(img), img, false)))
		return r;
	memcpy(&bv, img + XSAVE_HDR, 8);
	memcpy(&comp, img + XSAVE_HDR + 8, 8);
	memcpy(&rsv, img + XSAVE_HDR + 16, 8);
	if (comp || rsv || (bv & ~cpu->xcr0))
		return raise_gp(cpu, 0);
	memcpy(&mx, img + FX_MXCSR, 4);
	if ((rf & XFEAT_SSE) && (mx & ~CPU_MXCSR_MASK))
		return raise_gp(cpu, 0);
	if (rf & XFEAT_X87) {
		if (bv & XFEAT_X87) {
			legacy_load(cpu, in, img, true, false, false);
		} else {
			uint16_t fcw = 0x37f;
			memset(cpu->fxsave, 0, 24);
			memcpy(cpu->fxsave + FX_FCW, &fcw, 2);
			memset(cpu->fxsave + FX_ST(0), 0, 128);
		}
	}
	if (rf & XFEAT_SSE) {
		mxcsr_set(cpu, mx);
		if (bv & XFEAT_SSE)
			legacy_load(cpu, in, img, false, false, true);
		else
			memset(cpu->fxsave + FX_XMM(0), 0, 16 * (cpu->in->code64 ? 16 : 8));
	}
	return EXEC_OK;
}

/* XGETBV: ECX = 0 reads XCR0; anything else is #GP(0) (no XGETBV with ECX = 1 advertised) */
int x_xgetbv(struct cpu *cpu, struct insn *in)
{
	(void)in;
	if (!(cpu->cr4 & CPU_CR4_OSXSAVE))
		return raise_ud(cpu);
	if ((uint32_t)cpu->gpr[CPU_RCX] != 0)
		return raise_gp(cpu, 0);
	cpu->gpr[CPU_RAX] = (uint32_t)cpu->xcr0;
	cpu->gpr[CPU_RDX] = (uint32_t)(cpu->xcr0 >> 32);
	return EXEC_OK;
}

/*
 * XSETBV (CPL 0, row is priv): ECX must be 0, XCR0 bit 0 set and only the components
 * the CPU model has (x87, SSE); anything else is #GP(0) (SDM Vol.2 XSETBV, KVM's
 * __kvm_set_xcr()).
 */
int x_xsetbv(struct cpu *cpu, struct insn *in)
{
	uint64_t v = (cpu->gpr[CPU_RDX] << 32) | (uint32_t)cpu->gpr[CPU_RAX];

	(void)in;
	if (!(cpu->cr4 & CPU_CR4_OSXSAVE))
		return raise_ud(cpu);
	if ((uint32_t)cpu->gpr[CPU_RCX] != 0 || !(v & XFEAT_X87) || (v & ~XFEAT_SUPPORTED))
		return raise_gp(cpu, 0);
	cpu->xcr0 = v;
	return EXEC_OK;
}
