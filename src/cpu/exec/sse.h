// SPDX-License-Identifier: GPL-2.0-only
// Shared by the MMX/SSE executor files: register views, state checks and operand access.
#ifndef SWKVM_CPU_EXEC_SSE_H
#define SWKVM_CPU_EXEC_SSE_H

#include <string.h>

#include "cpu/exec/handlers.h"

/* One XMM register (or an MMX register in the low 8 bytes), in every element view. */
union xmm {
	uint8_t b[16];
	int8_t sb[16];
	uint16_t w[8];
	int16_t sw[8];
	uint32_t d[4];
	int32_t sd[4];
	uint64_t q[2];
	int64_t sq[2];
	float f[4];
	double df[2];
};

/* FXSAVE-area offsets (SDM Vol.1 §10.5.1, Table 10-2) */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_ST(i) (32 + 16 * (i))
#define FX_XMM(i) (160 + 16 * (i))

/* MXCSR (SDM Vol.1 §10.2.3) */
#define MXCSR_IE 0x01
#define MXCSR_DE 0x02
#define MXCSR_ZE 0x04
#define MXCSR_OE 0x08
#define MXCSR_UE 0x10
#define MXCSR_PE 0x20
#define MXCSR_FLAGS 0x3f
#define MXCSR_DAZ 0x40
#define MXCSR_MASKS 0x1f80
#define MXCSR_RC 0x6000
#define MXCSR_FTZ 0x8000

static inline uint32_t mxcsr_get(const struct cpu *cpu)
{
	uint32_t v;
	memcpy(&v, cpu->fxsave + FX_MXCSR, 4);
	return v;
}

static inline void mxcsr_set(struct cpu *cpu, uint32_t v)
{
	memcpy(cpu->fxsave + FX_MXCSR, &v, 4);
}

static inline void xmm_get(const struct cpu *cpu, unsigned i, union xmm *v)
{
	memcpy(v, cpu->fxsave + FX_XMM(i & 15), 16);
}

static inline void xmm_put(struct cpu *cpu, unsigned i, const union xmm *v)
{
	memcpy(cpu->fxsave + FX_XMM(i & 15), v, 16);
}

/*
 * MMX register i is the low 64 bits of PHYSICAL x87 register Ri; cpu->fxsave keeps the
 * registers in stack order (slot k is R((TOP + k) & 7), see exec/x87.c), so Ri is slot
 * (i - TOP) & 7, which is slot i once mmx_enter() has set TOP to 0. Writing it sets bits
 * 79:64 to all ones (SDM Vol.1 §9.5.1).
 */
static inline unsigned mm_slot(const struct cpu *cpu, unsigned i)
{
	uint16_t fsw;
	memcpy(&fsw, cpu->fxsave + FX_FSW, 2);
	return (i - (fsw >> 11)) & 7;
}

static inline uint64_t mm_get(const struct cpu *cpu, unsigned i)
{
	uint64_t v;
	memcpy(&v, cpu->fxsave + FX_ST(mm_slot(cpu, i)), 8);
	return v;
}

static inline void mm_put(struct cpu *cpu, unsigned i, uint64_t v)
{
	uint16_t top = 0xffff;
	unsigned k = mm_slot(cpu, i);
	memcpy(cpu->fxsave + FX_ST(k), &v, 8);
	memcpy(cpu->fxsave + FX_ST(k) + 8, &top, 2);
}

/* sse.c */
/* #UD/#NM checks of SDM Vol.2 Table 2-? (legacy SSE): EM, OSFXSR, TS. EXEC_OK or EXEC_EXC. */
int sse_check(struct cpu *cpu);
/* MMX rules (SDM Vol.3 §13.? Table 9-?): EM -> #UD, TS -> #NM, pending x87 exception -> #MF. */
int mmx_check(struct cpu *cpu);
/* The x87 side of executing an MMX instruction: TOS = 0, every tag valid (SDM Vol.1 §9.5.1). */
void mmx_enter(struct cpu *cpu);
/* Linear address of the memory operand. */
uint64_t sse_lin(struct cpu *cpu, struct insn *in);
/* The r/m operand of `size` bytes into v (zero-filled above); `align`: 16-byte operands #GP(0) unless aligned. */
int sse_read_rm(struct cpu *cpu, struct insn *in, union xmm *v, unsigned size, bool align);
/* Memory operand read/write of `size` bytes, alignment checked for 16-byte aligned forms. */
int sse_mem_read(struct cpu *cpu, struct insn *in, void *buf, unsigned size, bool align);
int sse_mem_write(struct cpu *cpu, struct insn *in, const void *buf, unsigned size, bool align);
/* The MMX r/m operand (mm register or m64). */
int mmx_read_rm(struct cpu *cpu, struct insn *in, uint64_t *v);
/*
 * After a SIMD floating-point operation that reported `flags` (from sse_host.c):
 * updates MXCSR and decides whether the result may be written. Returns EXEC_OK (write
 * it) or EXEC_EXC with #XM (CR4.OSXMMEXCPT=1) or #UD raised (SDM Vol.1 §11.5.1).
 */
int sse_fp_exceptions(struct cpu *cpu, uint32_t flags);
/* One scalar operation (enum host_op) with the unmasked-overflow/underflow flag rules. */
uint32_t sse_scalar_flags(unsigned op, union xmm *d, const union xmm *s, uint32_t mxcsr);
/* A stage of a multi-step operation: accumulates flags, raises on an unmasked one. */
int sse_fp_stage(struct cpu *cpu, uint32_t *acc, uint32_t flags);

/* handler arguments of x_sse_cvt, x_sse_mov and x_mmx_mov (sse.c) */
enum { CV_PI2PS, CV_PI2PD, CV_SI2SS, CV_SI2SD, CV_PS2PI, CV_TPS2PI, CV_PD2PI, CV_TPD2PI,
       CV_SS2SI, CV_TSS2SI, CV_SD2SI, CV_TSD2SI };
enum {
	MV_LOAD_U, MV_LOAD_A, MV_STORE_U, MV_STORE_A, MV_MOVSS_LOAD, MV_MOVSD_LOAD, MV_MOVSS_STORE,
	MV_MOVSD_STORE, MV_MOVLPS_LOAD, MV_MOVLPD_LOAD, MV_MOVLPS_STORE, MV_MOVHPS_LOAD,
	MV_MOVHPD_LOAD, MV_MOVHPS_STORE, MV_MOVNT, MV_MOVQ_LOAD, MV_MOVQ_STORE, MV_MOVD_TO_XMM,
	MV_MOVD_FROM_XMM, MV_LDDQU, MV_MOVDDUP, MV_MOVSLDUP, MV_MOVSHDUP, MV_MOVNTDQA,
};
enum { MM_MOVD_LOAD, MM_MOVD_STORE, MM_MOVQ_LOAD, MM_MOVQ_STORE, MM_MOVNTQ, MM_MOVQ2DQ, MM_MOVDQ2Q };

/* sse_int.c: integer SIMD on n = 8 (MMX) or 16 (XMM) bytes */
enum int_op {
	IO_PADDB, IO_PADDW, IO_PADDD, IO_PADDQ, IO_PSUBB, IO_PSUBW, IO_PSUBD, IO_PSUBQ,
	IO_PADDSB, IO_PADDSW, IO_PADDUSB, IO_PADDUSW, IO_PSUBSB, IO_PSUBSW, IO_PSUBUSB, IO_PSUBUSW,
	IO_PMULLW, IO_PMULHW, IO_PMULHUW, IO_PMULUDQ, IO_PMADDWD, IO_PAVGB, IO_PAVGW,
	IO_PMINUB, IO_PMAXUB, IO_PMINSW, IO_PMAXSW, IO_PSADBW,
	IO_PAND, IO_PANDN, IO_POR, IO_PXOR,
	IO_PCMPEQB, IO_PCMPEQW, IO_PCMPEQD, IO_PCMPGTB, IO_PCMPGTW, IO_PCMPGTD,
	IO_PUNPCKLBW, IO_PUNPCKLWD, IO_PUNPCKLDQ, IO_PUNPCKLQDQ,
	IO_PUNPCKHBW, IO_PUNPCKHWD, IO_PUNPCKHDQ, IO_PUNPCKHQDQ,
	IO_PACKSSWB, IO_PACKSSDW, IO_PACKUSWB,
	IO_PSRLW, IO_PSRLD, IO_PSRLQ, IO_PSRAW, IO_PSRAD, IO_PSLLW, IO_PSLLD, IO_PSLLQ,
	IO_PSRLDQ, IO_PSLLDQ,
	/* SSSE3 */
	IO_PSHUFB, IO_PHADDW, IO_PHADDD, IO_PHADDSW, IO_PHSUBW, IO_PHSUBD, IO_PHSUBSW,
	IO_PMADDUBSW, IO_PMULHRSW, IO_PSIGNB, IO_PSIGNW, IO_PSIGND, IO_PABSB, IO_PABSW, IO_PABSD,
	/* SSE4.1 / SSE4.2 */
	IO_PMINSB, IO_PMINSD, IO_PMINUW, IO_PMINUD, IO_PMAXSB, IO_PMAXSD, IO_PMAXUW, IO_PMAXUD,
	IO_PMULLD, IO_PMULDQ, IO_PCMPEQQ, IO_PACKUSDW, IO_PCMPGTQ, IO_PHMINPOSUW,
	IO_NOPS
};
void int_op(unsigned op, union xmm *d, const union xmm *s, unsigned n);

#endif
