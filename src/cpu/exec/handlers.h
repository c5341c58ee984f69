// SPDX-License-Identifier: GPL-2.0-only
// Instruction handlers: one per mnemonic (or per family sharing one semantics, with `arg`).
#ifndef SWKVM_CPU_EXEC_HANDLERS_H
#define SWKVM_CPU_EXEC_HANDLERS_H

#include "cpu/internal.h"

#define H(name) int name(struct cpu *cpu, struct insn *in)
/* alu.c */
H(x_alu); H(x_inc); H(x_dec); H(x_test); H(x_not); H(x_neg); H(x_cmc); H(x_flagop);
H(x_lahf); H(x_sahf); H(x_cbw); H(x_cwd); H(x_setcc); H(x_cmov); H(x_bswap); H(x_xadd);
H(x_cmpxchg); H(x_cmpxchg8b);
/* muldiv.c */
H(x_mul); H(x_imul1); H(x_imul); H(x_div); H(x_idiv);
/* shift.c */
H(x_shift); H(x_shld); H(x_shrd);
/* bit.c */
H(x_bt); H(x_bsf); H(x_bsr); H(x_popcnt); H(x_movbe); H(x_tzcnt); H(x_lzcnt);
/* mov.c */
H(x_mov); H(x_movzx); H(x_movsx); H(x_movsxd); H(x_lea); H(x_xchg); H(x_nop); H(x_xlat);
H(x_mov_from_sreg); H(x_mov_to_sreg); H(x_mov_cr); H(x_mov_dr); H(x_lfp);
/* branch.c */
H(x_jmp); H(x_jcc); H(x_call); H(x_ret); H(x_jmp_ind); H(x_call_ind); H(x_loop); H(x_jcxz);
H(x_jmpf); H(x_callf); H(x_retf); H(x_jmpf_ind); H(x_callf_ind);
/* stack.c */
H(x_push); H(x_pop); H(x_push_sreg); H(x_pop_sreg); H(x_pusha); H(x_popa); H(x_pushf);
H(x_popf); H(x_enter); H(x_leave);
/* string.c */
H(x_movs); H(x_cmps); H(x_stos); H(x_lods); H(x_scas); H(x_ins); H(x_outs);
/* io.c */
H(x_in); H(x_out);
/* sys.c */
H(x_hlt); H(x_rsm); H(x_cpuid); H(x_rdmsr); H(x_wrmsr); H(x_rdtsc); H(x_rdtscp); H(x_int); H(x_int3);
H(x_into); H(x_iret); H(x_ud); H(x_lgdt); H(x_lidt); H(x_sgdt); H(x_sidt); H(x_lmsw); H(x_smsw);
H(x_invlpg); H(x_clts); H(x_ltr); H(x_lldt); H(x_str); H(x_sldt); H(x_swapgs); H(x_syscall);
H(x_sysret); H(x_stac); H(x_invpcid); H(x_wbinvd); H(x_unimpl); H(x_fence); H(x_vmcall); H(x_sysenter); H(x_sysexit);
/* seg.c */
H(x_lar); H(x_lsl); H(x_verr);
/* x87.c */
H(x_x87); H(x_fwait);
/* Sets FSW.TOP, rotating the stack-ordered register slots of cpu->fxsave to match. */
void x87_set_top(struct cpu *cpu, unsigned top);
int x87_mf_check(struct cpu *cpu);	/* #MF if FSW.ES: EXEC_EXC, else EXEC_OK */
/* legacy.c */
H(x_daa); H(x_aaa); H(x_aam); H(x_aad); H(x_bound); H(x_arpl);
/* sse.c, fxsave.c (MMX, SSE..SSE4, x87/SSE state) */
H(x_sse_fp); H(x_sse_comi); H(x_sse_cvt); H(x_sse_mov); H(x_mmx_mov); H(x_movnti); H(x_sse_int);
H(x_mmx_int); H(x_sse_shimm); H(x_mmx_shimm); H(x_pshuf); H(x_movmsk); H(x_pinsrw); H(x_pextrw);
H(x_maskmov); H(x_emms); H(x_palignr); H(x_ldmxcsr); H(x_stmxcsr); H(x_fxsave); H(x_fxrstor);
H(x_xsave); H(x_xrstor); H(x_xgetbv); H(x_xsetbv);
/* sse4.c */
H(x_pblendv); H(x_blendi); H(x_ptest); H(x_pmovx); H(x_pextr); H(x_pinsr); H(x_insertps); H(x_mpsadbw);
H(x_dpp); H(x_crc32); H(x_pcmpstr);
#undef H

#endif
