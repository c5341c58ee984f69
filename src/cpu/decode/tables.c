// SPDX-License-Identifier: GPL-2.0-only
// Opcode tables: the one-byte, 0F, 0F 38 and 0F 3A maps (SDM Vol.2 Appendix A, Tables A-2..A-6).
//
// Rows are keyed by opcode with designated initializers (a slot given twice is a
// compile error under -Werror=override-init, part of -Wextra); operands use the SDM's
// notation (Eb Gv Iz Jb ...). Every attribute is a named field of struct opcode
// (internal.h). ModRM.reg groups, mod==3 splits, ModRM.rm register forms and the
// none/66/F3/F2 prefix columns are explicit sub-tables. Rows with handler x_unimpl are
// valid instructions the CPU does not execute yet: they decode to their correct length
// and end in CPU_EXIT_UNHANDLED. Empty rows are invalid encodings (#UD).
#include <stddef.h>

#include "cpu/exec/handlers.h"
#include "cpu/exec/sse_host.h"

/* ---- operand notation (SDM Vol.2 §A.2.1, §A.2.2) ---- */
#define Eb { OK_E, SZ_B }
#define Ew { OK_E, SZ_W }
#define Ed { OK_E, SZ_D }
#define Ev { OK_E, SZ_V }
#define Gb { OK_G, SZ_B }
#define Gv { OK_G, SZ_V }
#define Gw { OK_G, SZ_W }
#define Ib { OK_I, SZ_B }
#define Iw { OK_I, SZ_W }
#define Iz { OK_I, SZ_Z }
#define Iv { OK_I, SZ_V }
#define Jb { OK_J, SZ_B }
#define Jz { OK_J, SZ_Z }
#define M_ { OK_M, SZ_NONE }
#define Ma { OK_M, SZ_V }	/* BOUND: a pair of v-sized bounds */
#define Mv { OK_M, SZ_V }
#define Mq { OK_M, SZ_Q }
#define Mw { OK_M, SZ_W }
#define Ob { OK_O, SZ_B }
#define Ov { OK_O, SZ_V }
#define Sw { OK_S, SZ_W }
#define Zb { OK_Z, SZ_B }
#define Zv { OK_Z, SZ_V }
#define AL { OK_AL, SZ_B }
#define eAX { OK_AL, SZ_V }
#define CL { OK_CL, SZ_B }
#define DX { OK_DX, SZ_W }
#define One { OK_I1, SZ_B }
#define Cd { OK_C, SZ_Q }
#define Rd { OK_R, SZ_Q }
#define Ap { OK_I, SZ_P }

/* ---- row shorthands: each expands to named fields ---- */
#define OPS(...) .op = { __VA_ARGS__ }
#define MODRM .modrm = true
#define LOCK .lock = true
#define I64 .i64 = true
#define O64 .o64 = true
#define NOREAL .no_real = true
#define STRING .string = true
#define BYTEOP .byteop = true
#define PRIV .priv = true
#define D64 .size64 = S64_D64
#define F64 .size64 = S64_F64
#define ARG(a) .arg = (a)

#define ROW(h, n, ...) { .handler = h, .name = n, __VA_ARGS__ }
#define UNIMPL(n, ...) { .handler = x_unimpl, .name = n, __VA_ARGS__ }
/* sub-tables: a ModRM byte always follows for REG, MOD and RM selection */
#define GROUP(n, t, ...) { .name = n, .sub = SUB_REG, .table = t, .modrm = true, __VA_ARGS__ }
#define BYMOD(n, t, ...) { .name = n, .sub = SUB_MOD, .table = t, .modrm = true, __VA_ARGS__ }
#define BYRM(n, t, ...) { .name = n, .sub = SUB_RM, .table = t, .modrm = true, __VA_ARGS__ }
#define BYPREFIX(n, t, ...) { .name = n, .sub = SUB_PREFIX, .table = t, __VA_ARGS__ }
#define BYMODE64(n, t, ...) { .name = n, .sub = SUB_MODE64, .table = t, __VA_ARGS__ }

/* ================= the one-byte map (Table A-2) ================= */

/* ALU rows 00-3D: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz */
#define ALU6(base, n, op_)                                                                   \
	[base + 0] = ROW(x_alu, n, OPS(Eb, Gb), MODRM, LOCK, ARG(op_)),                      \
	[base + 1] = ROW(x_alu, n, OPS(Ev, Gv), MODRM, LOCK, ARG(op_)),                      \
	[base + 2] = ROW(x_alu, n, OPS(Gb, Eb), MODRM, ARG(op_)),                            \
	[base + 3] = ROW(x_alu, n, OPS(Gv, Ev), MODRM, ARG(op_)),                            \
	[base + 4] = ROW(x_alu, n, OPS(AL, Ib), ARG(op_)),                                   \
	[base + 5] = ROW(x_alu, n, OPS(eAX, Iz), ARG(op_))

/* Group 1 (80, 81, 82, 83): ADD OR ADC SBB AND SUB XOR CMP by ModRM.reg */
static const struct opcode grp1[8] = {
	[0] = ROW(x_alu, "add", LOCK, ARG(ALU_ADD)), [1] = ROW(x_alu, "or", LOCK, ARG(ALU_OR)),
	[2] = ROW(x_alu, "adc", LOCK, ARG(ALU_ADC)), [3] = ROW(x_alu, "sbb", LOCK, ARG(ALU_SBB)),
	[4] = ROW(x_alu, "and", LOCK, ARG(ALU_AND)), [5] = ROW(x_alu, "sub", LOCK, ARG(ALU_SUB)),
	[6] = ROW(x_alu, "xor", LOCK, ARG(ALU_XOR)), [7] = ROW(x_alu, "cmp", ARG(ALU_CMP)),
};

/* Group 1A (8F): POP Ev; /1-/7 are XOP on AMD, #UD here */
static const struct opcode grp1a[8] = {
	[0] = ROW(x_pop, "pop", D64),
};

/* Group 2 (C0 C1 D0-D3): ROL ROR RCL RCR SHL SHR SAL SAR */
static const struct opcode grp2[8] = {
	[0] = ROW(x_shift, "rol", ARG(0)), [1] = ROW(x_shift, "ror", ARG(1)),
	[2] = ROW(x_shift, "rcl", ARG(2)), [3] = ROW(x_shift, "rcr", ARG(3)),
	[4] = ROW(x_shift, "shl", ARG(4)), [5] = ROW(x_shift, "shr", ARG(5)),
	[6] = ROW(x_shift, "sal", ARG(4)), [7] = ROW(x_shift, "sar", ARG(7)),
};

/* Group 3 (F6/F7): TEST Ib/Iz, TEST (alias), NOT, NEG, MUL, IMUL, DIV, IDIV */
static const struct opcode grp3b[8] = {
	[0] = ROW(x_test, "test", OPS(Eb, Ib)), [1] = ROW(x_test, "test", OPS(Eb, Ib)),
	[2] = ROW(x_not, "not", OPS(Eb), LOCK), [3] = ROW(x_neg, "neg", OPS(Eb), LOCK),
	[4] = ROW(x_mul, "mul", OPS(Eb)), [5] = ROW(x_imul1, "imul", OPS(Eb)),
	[6] = ROW(x_div, "div", OPS(Eb)), [7] = ROW(x_idiv, "idiv", OPS(Eb)),
};
static const struct opcode grp3v[8] = {
	[0] = ROW(x_test, "test", OPS(Ev, Iz)), [1] = ROW(x_test, "test", OPS(Ev, Iz)),
	[2] = ROW(x_not, "not", OPS(Ev), LOCK), [3] = ROW(x_neg, "neg", OPS(Ev), LOCK),
	[4] = ROW(x_mul, "mul", OPS(Ev)), [5] = ROW(x_imul1, "imul", OPS(Ev)),
	[6] = ROW(x_div, "div", OPS(Ev)), [7] = ROW(x_idiv, "idiv", OPS(Ev)),
};

/* Group 4 (FE): INC/DEC Eb */
static const struct opcode grp4[8] = {
	[0] = ROW(x_inc, "inc", OPS(Eb), LOCK), [1] = ROW(x_dec, "dec", OPS(Eb), LOCK),
};

/* Group 5 (FF) */
static const struct opcode grp5[8] = {
	[0] = ROW(x_inc, "inc", OPS(Ev), LOCK), [1] = ROW(x_dec, "dec", OPS(Ev), LOCK),
	[2] = ROW(x_call_ind, "call", OPS(Ev), F64), [3] = ROW(x_callf_ind, "callf", OPS(M_)),
	[4] = ROW(x_jmp_ind, "jmp", OPS(Ev), F64), [5] = ROW(x_jmpf_ind, "jmpf", OPS(M_)),
	[6] = ROW(x_push, "push", OPS(Ev), D64),
};

/* Group 11 (C6/C7): MOV Eb,Ib / Ev,Iz; C6 F8 XABORT and C7 F8 XBEGIN (RTM) are #UD here */
static const struct opcode grp11b[8] = { [0] = ROW(x_mov, "mov", OPS(Eb, Ib)) };
static const struct opcode grp11v[8] = { [0] = ROW(x_mov, "mov", OPS(Ev, Iz)) };

/* 63: ARPL Ew,Gw outside 64-bit mode (protected mode only), MOVSXD Gv,Ed in it */
static const struct opcode op63[2] = {
	[0] = ROW(x_arpl, "arpl", OPS(Ew, Gw), MODRM, NOREAL),
	[1] = ROW(x_movsxd, "movsxd", OPS(Gv, Ed), MODRM),
};

#define INCDEC(o) [0x40 + (o)] = ROW(x_inc, "inc", OPS(Zv), I64), [0x48 + (o)] = ROW(x_dec, "dec", OPS(Zv), I64)
#define PUSHPOP(o) [0x50 + (o)] = ROW(x_push, "push", OPS(Zv), D64), [0x58 + (o)] = ROW(x_pop, "pop", OPS(Zv), D64)
#define JCC1(cc, n) [0x70 + (cc)] = ROW(x_jcc, n, OPS(Jb), F64, ARG(cc))
#define XCHGA(o) [0x90 + (o)] = ROW(x_xchg, "xchg", OPS(Zv, eAX))
#define MOVB(o) [0xb0 + (o)] = ROW(x_mov, "mov", OPS(Zb, Ib)), [0xb8 + (o)] = ROW(x_mov, "mov", OPS(Zv, Iv))
/* D8-DF: the x87 escapes; exec/x87.c decodes ModRM further (SDM Vol.2 Tables A-7..A-22) */
#define X87(o) [0xd8 + (o)] = ROW(x_x87, "x87", MODRM)

const struct opcode opcode_map1[256] = {
	ALU6(0x00, "add", ALU_ADD),
	[0x06] = ROW(x_push_sreg, "push es", I64, ARG(CPU_ES)),
	[0x07] = ROW(x_pop_sreg, "pop es", I64, ARG(CPU_ES)),
	ALU6(0x08, "or", ALU_OR),
	[0x0e] = ROW(x_push_sreg, "push cs", I64, ARG(CPU_CS)),
	/* 0F: the two-byte escape (decode.c) */
	ALU6(0x10, "adc", ALU_ADC),
	[0x16] = ROW(x_push_sreg, "push ss", I64, ARG(CPU_SS)),
	[0x17] = ROW(x_pop_sreg, "pop ss", I64, ARG(CPU_SS)),
	ALU6(0x18, "sbb", ALU_SBB),
	[0x1e] = ROW(x_push_sreg, "push ds", I64, ARG(CPU_DS)),
	[0x1f] = ROW(x_pop_sreg, "pop ds", I64, ARG(CPU_DS)),
	ALU6(0x20, "and", ALU_AND),
	/* 26 2E 36 3E 64 65 66 67 F0 F2 F3: prefixes (decode.c) */
	[0x27] = ROW(x_daa, "daa", I64, ARG(0)),
	ALU6(0x28, "sub", ALU_SUB),
	[0x2f] = ROW(x_daa, "das", I64, ARG(1)),
	ALU6(0x30, "xor", ALU_XOR),
	[0x37] = ROW(x_aaa, "aaa", I64, ARG(0)),
	ALU6(0x38, "cmp", ALU_CMP),
	[0x3f] = ROW(x_aaa, "aas", I64, ARG(1)),
	/* 40-4F: INC/DEC Zv outside 64-bit mode; REX prefixes in it (decode.c) */
	INCDEC(0), INCDEC(1), INCDEC(2), INCDEC(3), INCDEC(4), INCDEC(5), INCDEC(6), INCDEC(7),
	PUSHPOP(0), PUSHPOP(1), PUSHPOP(2), PUSHPOP(3), PUSHPOP(4), PUSHPOP(5), PUSHPOP(6), PUSHPOP(7),
	[0x60] = ROW(x_pusha, "pusha", I64),
	[0x61] = ROW(x_popa, "popa", I64),
	[0x62] = ROW(x_bound, "bound", OPS(Gv, Ma), MODRM, I64),	/* EVEX in 64-bit mode: #UD */
	[0x63] = BYMODE64("arpl/movsxd", op63),
	[0x68] = ROW(x_push, "push", OPS(Iz), D64),
	[0x69] = ROW(x_imul, "imul", OPS(Gv, Ev, Iz), MODRM),
	[0x6a] = ROW(x_push, "push", OPS(Ib), D64),
	[0x6b] = ROW(x_imul, "imul", OPS(Gv, Ev, Ib), MODRM),
	[0x6c] = ROW(x_ins, "insb", STRING, BYTEOP, ARG(1)),
	[0x6d] = ROW(x_ins, "ins", STRING),
	[0x6e] = ROW(x_outs, "outsb", STRING, BYTEOP, ARG(1)),
	[0x6f] = ROW(x_outs, "outs", STRING),
	JCC1(0x0, "jo"), JCC1(0x1, "jno"), JCC1(0x2, "jb"), JCC1(0x3, "jae"),
	JCC1(0x4, "je"), JCC1(0x5, "jne"), JCC1(0x6, "jbe"), JCC1(0x7, "ja"),
	JCC1(0x8, "js"), JCC1(0x9, "jns"), JCC1(0xa, "jp"), JCC1(0xb, "jnp"),
	JCC1(0xc, "jl"), JCC1(0xd, "jge"), JCC1(0xe, "jle"), JCC1(0xf, "jg"),
	[0x80] = GROUP("grp1", grp1, OPS(Eb, Ib)),
	[0x81] = GROUP("grp1", grp1, OPS(Ev, Iz)),
	[0x82] = GROUP("grp1", grp1, OPS(Eb, Ib), I64),
	[0x83] = GROUP("grp1", grp1, OPS(Ev, Ib)),
	[0x84] = ROW(x_test, "test", OPS(Eb, Gb), MODRM),
	[0x85] = ROW(x_test, "test", OPS(Ev, Gv), MODRM),
	[0x86] = ROW(x_xchg, "xchg", OPS(Eb, Gb), MODRM, LOCK),
	[0x87] = ROW(x_xchg, "xchg", OPS(Ev, Gv), MODRM, LOCK),
	[0x88] = ROW(x_mov, "mov", OPS(Eb, Gb), MODRM),
	[0x89] = ROW(x_mov, "mov", OPS(Ev, Gv), MODRM),
	[0x8a] = ROW(x_mov, "mov", OPS(Gb, Eb), MODRM),
	[0x8b] = ROW(x_mov, "mov", OPS(Gv, Ev), MODRM),
	[0x8c] = ROW(x_mov_from_sreg, "mov", OPS(Ev, Sw), MODRM),
	[0x8d] = ROW(x_lea, "lea", OPS(Gv, M_), MODRM),
	[0x8e] = ROW(x_mov_to_sreg, "mov", OPS(Sw, Ew), MODRM),
	[0x8f] = GROUP("grp1a", grp1a, OPS(Ev)),
	/* 90 without REX.B is NOP, F3 90 PAUSE (x_xchg) */
	XCHGA(0), XCHGA(1), XCHGA(2), XCHGA(3), XCHGA(4), XCHGA(5), XCHGA(6), XCHGA(7),
	[0x98] = ROW(x_cbw, "cbw"),
	[0x99] = ROW(x_cwd, "cwd"),
	[0x9a] = ROW(x_callf, "callf", OPS(Ap), I64),
	[0x9b] = ROW(x_fwait, "fwait"),
	[0x9c] = ROW(x_pushf, "pushf", D64),
	[0x9d] = ROW(x_popf, "popf", D64),
	[0x9e] = ROW(x_sahf, "sahf"),
	[0x9f] = ROW(x_lahf, "lahf"),
	[0xa0] = ROW(x_mov, "mov", OPS(AL, Ob)),
	[0xa1] = ROW(x_mov, "mov", OPS(eAX, Ov)),
	[0xa2] = ROW(x_mov, "mov", OPS(Ob, AL)),
	[0xa3] = ROW(x_mov, "mov", OPS(Ov, eAX)),
	[0xa4] = ROW(x_movs, "movsb", STRING, BYTEOP, ARG(1)),
	[0xa5] = ROW(x_movs, "movs", STRING),
	[0xa6] = ROW(x_cmps, "cmpsb", STRING, BYTEOP, ARG(1)),
	[0xa7] = ROW(x_cmps, "cmps", STRING),
	[0xa8] = ROW(x_test, "test", OPS(AL, Ib)),
	[0xa9] = ROW(x_test, "test", OPS(eAX, Iz)),
	[0xaa] = ROW(x_stos, "stosb", STRING, BYTEOP, ARG(1)),
	[0xab] = ROW(x_stos, "stos", STRING),
	[0xac] = ROW(x_lods, "lodsb", STRING, BYTEOP, ARG(1)),
	[0xad] = ROW(x_lods, "lods", STRING),
	[0xae] = ROW(x_scas, "scasb", STRING, BYTEOP, ARG(1)),
	[0xaf] = ROW(x_scas, "scas", STRING),
	MOVB(0), MOVB(1), MOVB(2), MOVB(3), MOVB(4), MOVB(5), MOVB(6), MOVB(7),
	[0xc0] = GROUP("grp2", grp2, OPS(Eb, Ib)),
	[0xc1] = GROUP("grp2", grp2, OPS(Ev, Ib)),
	[0xc2] = ROW(x_ret, "ret", OPS(Iw), F64),
	[0xc3] = ROW(x_ret, "ret", F64),
	[0xc4] = ROW(x_lfp, "les", OPS(Gv, M_), MODRM, I64, ARG(CPU_ES)),	/* VEX in 64-bit mode: #UD */
	[0xc5] = ROW(x_lfp, "lds", OPS(Gv, M_), MODRM, I64, ARG(CPU_DS)),
	[0xc6] = GROUP("grp11", grp11b, OPS(Eb, Ib)),
	[0xc7] = GROUP("grp11", grp11v, OPS(Ev, Iz)),
	[0xc8] = ROW(x_enter, "enter", OPS(Iw, Ib), D64),
	[0xc9] = ROW(x_leave, "leave", D64),
	[0xca] = ROW(x_retf, "retf", OPS(Iw)),
	[0xcb] = ROW(x_retf, "retf"),
	[0xcc] = ROW(x_int3, "int3"),
	[0xcd] = ROW(x_int, "int", OPS(Ib)),
	[0xce] = ROW(x_into, "into", I64),
	[0xcf] = ROW(x_iret, "iret"),
	[0xd0] = GROUP("grp2", grp2, OPS(Eb, One)),
	[0xd1] = GROUP("grp2", grp2, OPS(Ev, One)),
	[0xd2] = GROUP("grp2", grp2, OPS(Eb, CL)),
	[0xd3] = GROUP("grp2", grp2, OPS(Ev, CL)),
	[0xd4] = ROW(x_aam, "aam", OPS(Ib), I64),
	[0xd5] = ROW(x_aad, "aad", OPS(Ib), I64),
	/* D6: SALC is undocumented; #UD as on CPUs that reserve it */
	[0xd7] = ROW(x_xlat, "xlat"),
	/* D8-DF: x87 escape (CPU issue 5) */
	X87(0), X87(1), X87(2), X87(3), X87(4), X87(5), X87(6), X87(7),
	[0xe0] = ROW(x_loop, "loopne", OPS(Jb), F64, ARG(0)),
	[0xe1] = ROW(x_loop, "loope", OPS(Jb), F64, ARG(1)),
	[0xe2] = ROW(x_loop, "loop", OPS(Jb), F64, ARG(2)),
	[0xe3] = ROW(x_jcxz, "jcxz", OPS(Jb), F64),
	[0xe4] = ROW(x_in, "in", OPS(AL, Ib)),
	[0xe5] = ROW(x_in, "in", OPS(eAX, Ib)),
	[0xe6] = ROW(x_out, "out", OPS(Ib, AL)),
	[0xe7] = ROW(x_out, "out", OPS(Ib, eAX)),
	[0xe8] = ROW(x_call, "call", OPS(Jz), F64),
	[0xe9] = ROW(x_jmp, "jmp", OPS(Jz), F64),
	[0xea] = ROW(x_jmpf, "jmpf", OPS(Ap), I64),
	[0xeb] = ROW(x_jmp, "jmp", OPS(Jb), F64),
	[0xec] = ROW(x_in, "in", OPS(AL, DX)),
	[0xed] = ROW(x_in, "in", OPS(eAX, DX)),
	[0xee] = ROW(x_out, "out", OPS(DX, AL)),
	[0xef] = ROW(x_out, "out", OPS(DX, eAX)),
	[0xf1] = ROW(x_int, "int1", ARG(1)),
	[0xf4] = ROW(x_hlt, "hlt", PRIV),
	[0xf5] = ROW(x_cmc, "cmc"),
	[0xf6] = GROUP("grp3", grp3b),
	[0xf7] = GROUP("grp3", grp3v),
	[0xf8] = ROW(x_flagop, "clc", ARG(0)), [0xf9] = ROW(x_flagop, "stc", ARG(1)),
	[0xfa] = ROW(x_flagop, "cli", ARG(2)), [0xfb] = ROW(x_flagop, "sti", ARG(3)),
	[0xfc] = ROW(x_flagop, "cld", ARG(4)), [0xfd] = ROW(x_flagop, "std", ARG(5)),
	[0xfe] = GROUP("grp4", grp4),
	[0xff] = GROUP("grp5", grp5),
};

/* ================= the 0F map (Table A-3) ================= */

/* Group 6 (0F 00): SLDT STR LLDT LTR VERR VERW; not recognised in real or v8086 mode */
static const struct opcode grp6[8] = {
	[0] = ROW(x_sldt, "sldt", OPS(Ev), NOREAL), [1] = ROW(x_str, "str", OPS(Ev), NOREAL),
	[2] = ROW(x_lldt, "lldt", OPS(Ew), PRIV, NOREAL), [3] = ROW(x_ltr, "ltr", OPS(Ew), PRIV, NOREAL),
	[4] = ROW(x_verr, "verr", OPS(Ew), NOREAL, ARG(0)), [5] = ROW(x_verr, "verw", OPS(Ew), NOREAL, ARG(1)),
};

/* Group 7 (0F 01), memory forms */
static const struct opcode grp7_mem[8] = {
	[0] = ROW(x_sgdt, "sgdt", OPS(M_)), [1] = ROW(x_sidt, "sidt", OPS(M_)),
	[2] = ROW(x_lgdt, "lgdt", OPS(M_), PRIV), [3] = ROW(x_lidt, "lidt", OPS(M_), PRIV),
	[4] = ROW(x_smsw, "smsw", OPS(Ew)), [6] = ROW(x_lmsw, "lmsw", OPS(Ew), PRIV),
	[7] = ROW(x_invlpg, "invlpg", OPS(M_), PRIV),
};
/* Group 7 register forms by ModRM.rm (Table A-6): only what the CPU model has */
static const struct opcode grp7_c0[8] = {
	[1] = ROW(x_vmcall, "vmcall", ARG(0)),		/* 0F 01 C1: a hypercall exit */
};
static const struct opcode grp7_c8[8] = {
	[2] = ROW(x_stac, "clac", ARG(0), .feature = CPU_FEAT_SMAP),	/* 0F 01 CA */
	[3] = ROW(x_stac, "stac", ARG(1), .feature = CPU_FEAT_SMAP),	/* 0F 01 CB */
};
static const struct opcode grp7_d8[8] = {
	[1] = ROW(x_vmcall, "vmmcall", ARG(1)),		/* 0F 01 D9 */
};
static const struct opcode grp7_d0[8] = {
	[0] = ROW(x_xgetbv, "xgetbv"), [1] = ROW(x_xsetbv, "xsetbv", PRIV),
};
static const struct opcode grp7_f8[8] = {
	[0] = ROW(x_swapgs, "swapgs", O64, PRIV),
	[1] = ROW(x_rdtscp, "rdtscp", .feature = CPU_FEAT_RDTSCP),
};
static const struct opcode grp7_reg[8] = {
	[0] = BYRM("grp7/0", grp7_c0), [1] = BYRM("grp7/1", grp7_c8), [2] = BYRM("grp7/2", grp7_d0), [3] = BYRM("grp7/3", grp7_d8),
	[4] = ROW(x_smsw, "smsw", OPS(Ew)), [6] = ROW(x_lmsw, "lmsw", OPS(Ew), PRIV),
	[7] = BYRM("grp7/7", grp7_f8),
};
static const struct opcode grp7[2] = {
	[0] = GROUP("grp7", grp7_mem), [1] = GROUP("grp7", grp7_reg),
};

/* Group 8 (0F BA): BT BTS BTR BTC Ev,Ib */
static const struct opcode grp8[8] = {
	[4] = ROW(x_bt, "bt", ARG(0)), [5] = ROW(x_bt, "bts", LOCK, ARG(1)),
	[6] = ROW(x_bt, "btr", LOCK, ARG(2)), [7] = ROW(x_bt, "btc", LOCK, ARG(3)),
};

/* Group 9 (0F C7), memory forms: CMPXCHG8B/16B (REX.W); RDRAND/RDSEED are not in the model */
static const struct opcode grp9_mem[8] = {
	[1] = ROW(x_cmpxchg8b, "cmpxchg8b", OPS(Mq), LOCK),
};
static const struct opcode grp9[2] = { [0] = GROUP("grp9", grp9_mem) };

/* Group 15 (0F AE): state save (memory forms, CPU issue 5), CLFLUSH and the fences */
/*
 * Every group-15 form is "NP" (SDM Vol.2): a 66, F2 or F3 prefix makes it #UD or another
 * instruction (66 /7 CLFLUSHOPT, F3 mod=3 RDFSBASE..., none of them in the model).
 */
#define NP(var, row) static const struct opcode var[4] = { [PFX_NONE] = row }
NP(np_fxsave, ROW(x_fxsave, "fxsave"));
NP(np_fxrstor, ROW(x_fxrstor, "fxrstor"));
NP(np_ldmxcsr, ROW(x_ldmxcsr, "ldmxcsr"));
NP(np_stmxcsr, ROW(x_stmxcsr, "stmxcsr"));
NP(np_xsave, ROW(x_xsave, "xsave"));
NP(np_xrstor, ROW(x_xrstor, "xrstor"));
NP(np_xsaveopt, UNIMPL("xsaveopt"));	/* XSAVEOPT is not advertised */
NP(np_clflush, ROW(x_fence, "clflush"));
NP(np_lfence, ROW(x_fence, "lfence"));
NP(np_mfence, ROW(x_fence, "mfence"));
NP(np_sfence, ROW(x_fence, "sfence"));
static const struct opcode grp15_mem[8] = {
	[0] = BYPREFIX("fxsave", np_fxsave), [1] = BYPREFIX("fxrstor", np_fxrstor),
	[2] = BYPREFIX("ldmxcsr", np_ldmxcsr), [3] = BYPREFIX("stmxcsr", np_stmxcsr),
	[4] = BYPREFIX("xsave", np_xsave), [5] = BYPREFIX("xrstor", np_xrstor),
	[6] = BYPREFIX("xsaveopt", np_xsaveopt), [7] = BYPREFIX("clflush", np_clflush),
};
static const struct opcode grp15_reg[8] = {
	[5] = BYPREFIX("lfence", np_lfence), [6] = BYPREFIX("mfence", np_mfence),
	[7] = BYPREFIX("sfence", np_sfence),
};
static const struct opcode grp15[2] = {
	[0] = GROUP("grp15", grp15_mem), [1] = GROUP("grp15", grp15_reg),
};

/* Mandatory-prefix columns of the integer rows: [none, 66, F3, F2] */
static const struct opcode op0fb8[4] = {
	[PFX_F3] = ROW(x_popcnt, "popcnt", OPS(Gv, Ev), MODRM, .feature = CPU_FEAT_POPCNT),
};
static const struct opcode row_bsf = ROW(x_bsf, "bsf", OPS(Gv, Ev), MODRM);
static const struct opcode row_bsr = ROW(x_bsr, "bsr", OPS(Gv, Ev), MODRM);
/* TZCNT/LZCNT: on a CPU without BMI1/ABM the F3 prefix is ignored (BSF/BSR) */
static const struct opcode op0fbc[4] = {
	[PFX_NONE] = ROW(x_bsf, "bsf", OPS(Gv, Ev), MODRM), [PFX_66] = ROW(x_bsf, "bsf", OPS(Gv, Ev), MODRM),
	[PFX_F3] = ROW(x_tzcnt, "tzcnt", OPS(Gv, Ev), MODRM, .feature = CPU_FEAT_BMI1, .fallback = &row_bsf),
	[PFX_F2] = ROW(x_bsf, "bsf", OPS(Gv, Ev), MODRM),
};
static const struct opcode op0fbd[4] = {
	[PFX_NONE] = ROW(x_bsr, "bsr", OPS(Gv, Ev), MODRM), [PFX_66] = ROW(x_bsr, "bsr", OPS(Gv, Ev), MODRM),
	[PFX_F3] = ROW(x_lzcnt, "lzcnt", OPS(Gv, Ev), MODRM, .feature = CPU_FEAT_LZCNT, .fallback = &row_bsr),
	[PFX_F2] = ROW(x_bsr, "bsr", OPS(Gv, Ev), MODRM),
};

#define JCC2(cc, n) [0x80 + (cc)] = ROW(x_jcc, n, OPS(Jz), F64, ARG(cc))
#define SETCC(cc) [0x90 + (cc)] = ROW(x_setcc, "setcc", OPS(Eb), MODRM, ARG(cc))
#define CMOV(cc) [0x40 + (cc)] = ROW(x_cmov, "cmovcc", OPS(Gv, Ev), MODRM, ARG(cc))
#define BSWAP(o) [0xc8 + (o)] = ROW(x_bswap, "bswap", OPS(Zv))
#define SSE(opc) [opc] = UNIMPL("sse", MODRM)
#define SSE_IB(opc) [opc] = UNIMPL("sse", MODRM, OPS(Ib))
#define SSE8(o) SSE(o), SSE(o + 1), SSE(o + 2), SSE(o + 3), SSE(o + 4), SSE(o + 5), SSE(o + 6), SSE(o + 7)

/* ---- MMX/SSE/SSE2/SSE3 rows of the 0F map: [none, 66, F3, F2] (Table A-3) ---- */
static const struct opcode sse_10[4] = {
	[PFX_NONE] = ROW(x_sse_mov, "movups", MODRM, ARG(MV_LOAD_U)),
	[PFX_66] = ROW(x_sse_mov, "movupd", MODRM, ARG(MV_LOAD_U)),
	[PFX_F3] = ROW(x_sse_mov, "movss", MODRM, ARG(MV_MOVSS_LOAD)),
	[PFX_F2] = ROW(x_sse_mov, "movsd", MODRM, ARG(MV_MOVSD_LOAD)),
};
static const struct opcode sse_11[4] = {
	[PFX_NONE] = ROW(x_sse_mov, "movups", MODRM, ARG(MV_STORE_U)),
	[PFX_66] = ROW(x_sse_mov, "movupd", MODRM, ARG(MV_STORE_U)),
	[PFX_F3] = ROW(x_sse_mov, "movss", MODRM, ARG(MV_MOVSS_STORE)),
	[PFX_F2] = ROW(x_sse_mov, "movsd", MODRM, ARG(MV_MOVSD_STORE)),
};
static const struct opcode sse_12[4] = {
	[PFX_NONE] = ROW(x_sse_mov, "movlps", MODRM, ARG(MV_MOVLPS_LOAD)),
	[PFX_66] = ROW(x_sse_mov, "movlpd", MODRM, ARG(MV_MOVLPD_LOAD)),
	[PFX_F3] = ROW(x_sse_mov, "movsldup", MODRM, ARG(MV_MOVSLDUP)),
	[PFX_F2] = ROW(x_sse_mov, "movddup", MODRM, ARG(MV_MOVDDUP)),
};
static const struct opcode sse_13[4] = {
	[PFX_NONE] = ROW(x_sse_mov, "movlps", MODRM, ARG(MV_MOVLPS_STORE)),
	[PFX_66] = ROW(x_sse_mov, "movlpd", MODRM, ARG(MV_MOVLPS_STORE)),
};
static const struct opcode sse_14[4] = {
	[PFX_NONE] = ROW(x_sse_int, "unpcklps", MODRM, ARG(IO_PUNPCKLDQ)),
	[PFX_66] = ROW(x_sse_int, "unpcklpd", MODRM, ARG(IO_PUNPCKLQDQ)),
};
static const struct opcode sse_15[4] = {
	[PFX_NONE] = ROW(x_sse_int, "unpckhps", MODRM, ARG(IO_PUNPCKHDQ)),
	[PFX_66] = ROW(x_sse_int, "unpckhpd", MODRM, ARG(IO_PUNPCKHQDQ)),
};
static const struct opcode sse_16[4] = {
	[PFX_NONE] = ROW(x_sse_mov, "movhps", MODRM, ARG(MV_MOVHPS_LOAD)),
	[PFX_66] = ROW(x_sse_mov, "movhpd", MODRM, ARG(MV_MOVHPD_LOAD)),
	[PFX_F3] = ROW(x_sse_mov, "movshdup", MODRM, ARG(MV_MOVSHDUP)),
};
static const struct opcode sse_17[4] = {
	[PFX_NONE] = ROW(x_sse_mov, "movhps", MODRM, ARG(MV_MOVHPS_STORE)),
	[PFX_66] = ROW(x_sse_mov, "movhpd", MODRM, ARG(MV_MOVHPS_STORE)),
};
static const struct opcode sse_28[4] = {
	[PFX_NONE] = ROW(x_sse_mov, "movaps", MODRM, ARG(MV_LOAD_A)),
	[PFX_66] = ROW(x_sse_mov, "movapd", MODRM, ARG(MV_LOAD_A)),
};
static const struct opcode sse_29[4] = {
	[PFX_NONE] = ROW(x_sse_mov, "movaps", MODRM, ARG(MV_STORE_A)),
	[PFX_66] = ROW(x_sse_mov, "movapd", MODRM, ARG(MV_STORE_A)),
};
static const struct opcode sse_2a[4] = {
	[PFX_NONE] = ROW(x_sse_cvt, "cvtpi2ps", MODRM, ARG(CV_PI2PS)),
	[PFX_66] = ROW(x_sse_cvt, "cvtpi2pd", MODRM, ARG(CV_PI2PD)),
	[PFX_F3] = ROW(x_sse_cvt, "cvtsi2ss", MODRM, ARG(CV_SI2SS)),
	[PFX_F2] = ROW(x_sse_cvt, "cvtsi2sd", MODRM, ARG(CV_SI2SD)),
};
static const struct opcode sse_2b[4] = {
	[PFX_NONE] = ROW(x_sse_mov, "movntps", MODRM, ARG(MV_MOVNT)),
	[PFX_66] = ROW(x_sse_mov, "movntpd", MODRM, ARG(MV_MOVNT)),
};
static const struct opcode sse_2c[4] = {
	[PFX_NONE] = ROW(x_sse_cvt, "cvttps2pi", MODRM, ARG(CV_TPS2PI)),
	[PFX_66] = ROW(x_sse_cvt, "cvttpd2pi", MODRM, ARG(CV_TPD2PI)),
	[PFX_F3] = ROW(x_sse_cvt, "cvttss2si", MODRM, ARG(CV_TSS2SI)),
	[PFX_F2] = ROW(x_sse_cvt, "cvttsd2si", MODRM, ARG(CV_TSD2SI)),
};
static const struct opcode sse_2d[4] = {
	[PFX_NONE] = ROW(x_sse_cvt, "cvtps2pi", MODRM, ARG(CV_PS2PI)),
	[PFX_66] = ROW(x_sse_cvt, "cvtpd2pi", MODRM, ARG(CV_PD2PI)),
	[PFX_F3] = ROW(x_sse_cvt, "cvtss2si", MODRM, ARG(CV_SS2SI)),
	[PFX_F2] = ROW(x_sse_cvt, "cvtsd2si", MODRM, ARG(CV_SD2SI)),
};
static const struct opcode sse_2e[4] = {
	[PFX_NONE] = ROW(x_sse_comi, "ucomiss", MODRM, ARG(0)),
	[PFX_66] = ROW(x_sse_comi, "ucomisd", MODRM, ARG(1)),
};
static const struct opcode sse_2f[4] = {
	[PFX_NONE] = ROW(x_sse_comi, "comiss", MODRM, ARG(2)),
	[PFX_66] = ROW(x_sse_comi, "comisd", MODRM, ARG(3)),
};
static const struct opcode sse_50[4] = {
	[PFX_NONE] = ROW(x_movmsk, "movmskps", MODRM, ARG(0)),
	[PFX_66] = ROW(x_movmsk, "movmskpd", MODRM, ARG(1)),
};
static const struct opcode sse_51[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "sqrtps", MODRM, ARG(HO_SQRTPS)),
	[PFX_66] = ROW(x_sse_fp, "sqrtpd", MODRM, ARG(HO_SQRTPD)),
	[PFX_F3] = ROW(x_sse_fp, "sqrtss", MODRM, ARG(HO_SQRTSS)),
	[PFX_F2] = ROW(x_sse_fp, "sqrtsd", MODRM, ARG(HO_SQRTSD)),
};
static const struct opcode sse_52[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "rsqrtps", MODRM, ARG(HO_RSQRTPS)),
	[PFX_F3] = ROW(x_sse_fp, "rsqrtss", MODRM, ARG(HO_RSQRTSS)),
};
static const struct opcode sse_53[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "rcpps", MODRM, ARG(HO_RCPPS)),
	[PFX_F3] = ROW(x_sse_fp, "rcpss", MODRM, ARG(HO_RCPSS)),
};
static const struct opcode sse_54[4] = {
	[PFX_NONE] = ROW(x_sse_int, "andps", MODRM, ARG(IO_PAND)),
	[PFX_66] = ROW(x_sse_int, "andpd", MODRM, ARG(IO_PAND)),
};
static const struct opcode sse_55[4] = {
	[PFX_NONE] = ROW(x_sse_int, "andnps", MODRM, ARG(IO_PANDN)),
	[PFX_66] = ROW(x_sse_int, "andnpd", MODRM, ARG(IO_PANDN)),
};
static const struct opcode sse_56[4] = {
	[PFX_NONE] = ROW(x_sse_int, "orps", MODRM, ARG(IO_POR)),
	[PFX_66] = ROW(x_sse_int, "orpd", MODRM, ARG(IO_POR)),
};
static const struct opcode sse_57[4] = {
	[PFX_NONE] = ROW(x_sse_int, "xorps", MODRM, ARG(IO_PXOR)),
	[PFX_66] = ROW(x_sse_int, "xorpd", MODRM, ARG(IO_PXOR)),
};
static const struct opcode sse_58[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "addps", MODRM, ARG(HO_ADDPS)),
	[PFX_66] = ROW(x_sse_fp, "addpd", MODRM, ARG(HO_ADDPD)),
	[PFX_F3] = ROW(x_sse_fp, "addss", MODRM, ARG(HO_ADDSS)),
	[PFX_F2] = ROW(x_sse_fp, "addsd", MODRM, ARG(HO_ADDSD)),
};
static const struct opcode sse_59[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "mulps", MODRM, ARG(HO_MULPS)),
	[PFX_66] = ROW(x_sse_fp, "mulpd", MODRM, ARG(HO_MULPD)),
	[PFX_F3] = ROW(x_sse_fp, "mulss", MODRM, ARG(HO_MULSS)),
	[PFX_F2] = ROW(x_sse_fp, "mulsd", MODRM, ARG(HO_MULSD)),
};
static const struct opcode sse_5a[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "cvtps2pd", MODRM, ARG(HO_CVTPS2PD)),
	[PFX_66] = ROW(x_sse_fp, "cvtpd2ps", MODRM, ARG(HO_CVTPD2PS)),
	[PFX_F3] = ROW(x_sse_fp, "cvtss2sd", MODRM, ARG(HO_CVTSS2SD)),
	[PFX_F2] = ROW(x_sse_fp, "cvtsd2ss", MODRM, ARG(HO_CVTSD2SS)),
};
static const struct opcode sse_5b[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "cvtdq2ps", MODRM, ARG(HO_CVTDQ2PS)),
	[PFX_66] = ROW(x_sse_fp, "cvtps2dq", MODRM, ARG(HO_CVTPS2DQ)),
	[PFX_F3] = ROW(x_sse_fp, "cvttps2dq", MODRM, ARG(HO_CVTTPS2DQ)),
};
static const struct opcode sse_5c[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "subps", MODRM, ARG(HO_SUBPS)),
	[PFX_66] = ROW(x_sse_fp, "subpd", MODRM, ARG(HO_SUBPD)),
	[PFX_F3] = ROW(x_sse_fp, "subss", MODRM, ARG(HO_SUBSS)),
	[PFX_F2] = ROW(x_sse_fp, "subsd", MODRM, ARG(HO_SUBSD)),
};
static const struct opcode sse_5d[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "minps", MODRM, ARG(HO_MINPS)),
	[PFX_66] = ROW(x_sse_fp, "minpd", MODRM, ARG(HO_MINPD)),
	[PFX_F3] = ROW(x_sse_fp, "minss", MODRM, ARG(HO_MINSS)),
	[PFX_F2] = ROW(x_sse_fp, "minsd", MODRM, ARG(HO_MINSD)),
};
static const struct opcode sse_5e[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "divps", MODRM, ARG(HO_DIVPS)),
	[PFX_66] = ROW(x_sse_fp, "divpd", MODRM, ARG(HO_DIVPD)),
	[PFX_F3] = ROW(x_sse_fp, "divss", MODRM, ARG(HO_DIVSS)),
	[PFX_F2] = ROW(x_sse_fp, "divsd", MODRM, ARG(HO_DIVSD)),
};
static const struct opcode sse_5f[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "maxps", MODRM, ARG(HO_MAXPS)),
	[PFX_66] = ROW(x_sse_fp, "maxpd", MODRM, ARG(HO_MAXPD)),
	[PFX_F3] = ROW(x_sse_fp, "maxss", MODRM, ARG(HO_MAXSS)),
	[PFX_F2] = ROW(x_sse_fp, "maxsd", MODRM, ARG(HO_MAXSD)),
};
static const struct opcode sse_60[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "punpcklbw", MODRM, ARG(IO_PUNPCKLBW)),
	[PFX_66] = ROW(x_sse_int, "punpcklbw", MODRM, ARG(IO_PUNPCKLBW)),
};
static const struct opcode sse_61[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "punpcklwd", MODRM, ARG(IO_PUNPCKLWD)),
	[PFX_66] = ROW(x_sse_int, "punpcklwd", MODRM, ARG(IO_PUNPCKLWD)),
};
static const struct opcode sse_62[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "punpckldq", MODRM, ARG(IO_PUNPCKLDQ)),
	[PFX_66] = ROW(x_sse_int, "punpckldq", MODRM, ARG(IO_PUNPCKLDQ)),
};
static const struct opcode sse_63[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "packsswb", MODRM, ARG(IO_PACKSSWB)),
	[PFX_66] = ROW(x_sse_int, "packsswb", MODRM, ARG(IO_PACKSSWB)),
};
static const struct opcode sse_64[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pcmpgtb", MODRM, ARG(IO_PCMPGTB)),
	[PFX_66] = ROW(x_sse_int, "pcmpgtb", MODRM, ARG(IO_PCMPGTB)),
};
static const struct opcode sse_65[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pcmpgtw", MODRM, ARG(IO_PCMPGTW)),
	[PFX_66] = ROW(x_sse_int, "pcmpgtw", MODRM, ARG(IO_PCMPGTW)),
};
static const struct opcode sse_66[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pcmpgtd", MODRM, ARG(IO_PCMPGTD)),
	[PFX_66] = ROW(x_sse_int, "pcmpgtd", MODRM, ARG(IO_PCMPGTD)),
};
static const struct opcode sse_67[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "packuswb", MODRM, ARG(IO_PACKUSWB)),
	[PFX_66] = ROW(x_sse_int, "packuswb", MODRM, ARG(IO_PACKUSWB)),
};
static const struct opcode sse_68[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "punpckhbw", MODRM, ARG(IO_PUNPCKHBW)),
	[PFX_66] = ROW(x_sse_int, "punpckhbw", MODRM, ARG(IO_PUNPCKHBW)),
};
static const struct opcode sse_69[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "punpckhwd", MODRM, ARG(IO_PUNPCKHWD)),
	[PFX_66] = ROW(x_sse_int, "punpckhwd", MODRM, ARG(IO_PUNPCKHWD)),
};
static const struct opcode sse_6a[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "punpckhdq", MODRM, ARG(IO_PUNPCKHDQ)),
	[PFX_66] = ROW(x_sse_int, "punpckhdq", MODRM, ARG(IO_PUNPCKHDQ)),
};
static const struct opcode sse_6b[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "packssdw", MODRM, ARG(IO_PACKSSDW)),
	[PFX_66] = ROW(x_sse_int, "packssdw", MODRM, ARG(IO_PACKSSDW)),
};
static const struct opcode sse_74[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pcmpeqb", MODRM, ARG(IO_PCMPEQB)),
	[PFX_66] = ROW(x_sse_int, "pcmpeqb", MODRM, ARG(IO_PCMPEQB)),
};
static const struct opcode sse_75[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pcmpeqw", MODRM, ARG(IO_PCMPEQW)),
	[PFX_66] = ROW(x_sse_int, "pcmpeqw", MODRM, ARG(IO_PCMPEQW)),
};
static const struct opcode sse_76[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pcmpeqd", MODRM, ARG(IO_PCMPEQD)),
	[PFX_66] = ROW(x_sse_int, "pcmpeqd", MODRM, ARG(IO_PCMPEQD)),
};
static const struct opcode sse_d1[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psrlw", MODRM, ARG(IO_PSRLW)),
	[PFX_66] = ROW(x_sse_int, "psrlw", MODRM, ARG(IO_PSRLW)),
};
static const struct opcode sse_d2[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psrld", MODRM, ARG(IO_PSRLD)),
	[PFX_66] = ROW(x_sse_int, "psrld", MODRM, ARG(IO_PSRLD)),
};
static const struct opcode sse_d3[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psrlq", MODRM, ARG(IO_PSRLQ)),
	[PFX_66] = ROW(x_sse_int, "psrlq", MODRM, ARG(IO_PSRLQ)),
};
static const struct opcode sse_d4[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "paddq", MODRM, ARG(IO_PADDQ)),
	[PFX_66] = ROW(x_sse_int, "paddq", MODRM, ARG(IO_PADDQ)),
};
static const struct opcode sse_d5[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pmullw", MODRM, ARG(IO_PMULLW)),
	[PFX_66] = ROW(x_sse_int, "pmullw", MODRM, ARG(IO_PMULLW)),
};
static const struct opcode sse_d8[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psubusb", MODRM, ARG(IO_PSUBUSB)),
	[PFX_66] = ROW(x_sse_int, "psubusb", MODRM, ARG(IO_PSUBUSB)),
};
static const struct opcode sse_d9[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psubusw", MODRM, ARG(IO_PSUBUSW)),
	[PFX_66] = ROW(x_sse_int, "psubusw", MODRM, ARG(IO_PSUBUSW)),
};
static const struct opcode sse_da[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pminub", MODRM, ARG(IO_PMINUB)),
	[PFX_66] = ROW(x_sse_int, "pminub", MODRM, ARG(IO_PMINUB)),
};
static const struct opcode sse_db[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pand", MODRM, ARG(IO_PAND)),
	[PFX_66] = ROW(x_sse_int, "pand", MODRM, ARG(IO_PAND)),
};
static const struct opcode sse_dc[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "paddusb", MODRM, ARG(IO_PADDUSB)),
	[PFX_66] = ROW(x_sse_int, "paddusb", MODRM, ARG(IO_PADDUSB)),
};
static const struct opcode sse_dd[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "paddusw", MODRM, ARG(IO_PADDUSW)),
	[PFX_66] = ROW(x_sse_int, "paddusw", MODRM, ARG(IO_PADDUSW)),
};
static const struct opcode sse_de[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pmaxub", MODRM, ARG(IO_PMAXUB)),
	[PFX_66] = ROW(x_sse_int, "pmaxub", MODRM, ARG(IO_PMAXUB)),
};
static const struct opcode sse_df[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pandn", MODRM, ARG(IO_PANDN)),
	[PFX_66] = ROW(x_sse_int, "pandn", MODRM, ARG(IO_PANDN)),
};
static const struct opcode sse_e0[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pavgb", MODRM, ARG(IO_PAVGB)),
	[PFX_66] = ROW(x_sse_int, "pavgb", MODRM, ARG(IO_PAVGB)),
};
static const struct opcode sse_e1[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psraw", MODRM, ARG(IO_PSRAW)),
	[PFX_66] = ROW(x_sse_int, "psraw", MODRM, ARG(IO_PSRAW)),
};
static const struct opcode sse_e2[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psrad", MODRM, ARG(IO_PSRAD)),
	[PFX_66] = ROW(x_sse_int, "psrad", MODRM, ARG(IO_PSRAD)),
};
static const struct opcode sse_e3[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pavgw", MODRM, ARG(IO_PAVGW)),
	[PFX_66] = ROW(x_sse_int, "pavgw", MODRM, ARG(IO_PAVGW)),
};
static const struct opcode sse_e4[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pmulhuw", MODRM, ARG(IO_PMULHUW)),
	[PFX_66] = ROW(x_sse_int, "pmulhuw", MODRM, ARG(IO_PMULHUW)),
};
static const struct opcode sse_e5[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pmulhw", MODRM, ARG(IO_PMULHW)),
	[PFX_66] = ROW(x_sse_int, "pmulhw", MODRM, ARG(IO_PMULHW)),
};
static const struct opcode sse_e8[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psubsb", MODRM, ARG(IO_PSUBSB)),
	[PFX_66] = ROW(x_sse_int, "psubsb", MODRM, ARG(IO_PSUBSB)),
};
static const struct opcode sse_e9[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psubsw", MODRM, ARG(IO_PSUBSW)),
	[PFX_66] = ROW(x_sse_int, "psubsw", MODRM, ARG(IO_PSUBSW)),
};
static const struct opcode sse_ea[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pminsw", MODRM, ARG(IO_PMINSW)),
	[PFX_66] = ROW(x_sse_int, "pminsw", MODRM, ARG(IO_PMINSW)),
};
static const struct opcode sse_eb[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "por", MODRM, ARG(IO_POR)),
	[PFX_66] = ROW(x_sse_int, "por", MODRM, ARG(IO_POR)),
};
static const struct opcode sse_ec[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "paddsb", MODRM, ARG(IO_PADDSB)),
	[PFX_66] = ROW(x_sse_int, "paddsb", MODRM, ARG(IO_PADDSB)),
};
static const struct opcode sse_ed[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "paddsw", MODRM, ARG(IO_PADDSW)),
	[PFX_66] = ROW(x_sse_int, "paddsw", MODRM, ARG(IO_PADDSW)),
};
static const struct opcode sse_ee[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pmaxsw", MODRM, ARG(IO_PMAXSW)),
	[PFX_66] = ROW(x_sse_int, "pmaxsw", MODRM, ARG(IO_PMAXSW)),
};
static const struct opcode sse_ef[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pxor", MODRM, ARG(IO_PXOR)),
	[PFX_66] = ROW(x_sse_int, "pxor", MODRM, ARG(IO_PXOR)),
};
static const struct opcode sse_f1[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psllw", MODRM, ARG(IO_PSLLW)),
	[PFX_66] = ROW(x_sse_int, "psllw", MODRM, ARG(IO_PSLLW)),
};
static const struct opcode sse_f2[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pslld", MODRM, ARG(IO_PSLLD)),
	[PFX_66] = ROW(x_sse_int, "pslld", MODRM, ARG(IO_PSLLD)),
};
static const struct opcode sse_f3[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psllq", MODRM, ARG(IO_PSLLQ)),
	[PFX_66] = ROW(x_sse_int, "psllq", MODRM, ARG(IO_PSLLQ)),
};
static const struct opcode sse_f4[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pmuludq", MODRM, ARG(IO_PMULUDQ)),
	[PFX_66] = ROW(x_sse_int, "pmuludq", MODRM, ARG(IO_PMULUDQ)),
};
static const struct opcode sse_f5[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "pmaddwd", MODRM, ARG(IO_PMADDWD)),
	[PFX_66] = ROW(x_sse_int, "pmaddwd", MODRM, ARG(IO_PMADDWD)),
};
static const struct opcode sse_f6[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psadbw", MODRM, ARG(IO_PSADBW)),
	[PFX_66] = ROW(x_sse_int, "psadbw", MODRM, ARG(IO_PSADBW)),
};
static const struct opcode sse_f8[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psubb", MODRM, ARG(IO_PSUBB)),
	[PFX_66] = ROW(x_sse_int, "psubb", MODRM, ARG(IO_PSUBB)),
};
static const struct opcode sse_f9[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psubw", MODRM, ARG(IO_PSUBW)),
	[PFX_66] = ROW(x_sse_int, "psubw", MODRM, ARG(IO_PSUBW)),
};
static const struct opcode sse_fa[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psubd", MODRM, ARG(IO_PSUBD)),
	[PFX_66] = ROW(x_sse_int, "psubd", MODRM, ARG(IO_PSUBD)),
};
static const struct opcode sse_fb[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "psubq", MODRM, ARG(IO_PSUBQ)),
	[PFX_66] = ROW(x_sse_int, "psubq", MODRM, ARG(IO_PSUBQ)),
};
static const struct opcode sse_fc[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "paddb", MODRM, ARG(IO_PADDB)),
	[PFX_66] = ROW(x_sse_int, "paddb", MODRM, ARG(IO_PADDB)),
};
static const struct opcode sse_fd[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "paddw", MODRM, ARG(IO_PADDW)),
	[PFX_66] = ROW(x_sse_int, "paddw", MODRM, ARG(IO_PADDW)),
};
static const struct opcode sse_fe[4] = {
	[PFX_NONE] = ROW(x_mmx_int, "paddd", MODRM, ARG(IO_PADDD)),
	[PFX_66] = ROW(x_sse_int, "paddd", MODRM, ARG(IO_PADDD)),
};
static const struct opcode sse_6c[4] = {
	[PFX_66] = ROW(x_sse_int, "punpcklqdq", MODRM, ARG(IO_PUNPCKLQDQ)),
};
static const struct opcode sse_6d[4] = {
	[PFX_66] = ROW(x_sse_int, "punpckhqdq", MODRM, ARG(IO_PUNPCKHQDQ)),
};
static const struct opcode sse_6e[4] = {
	[PFX_NONE] = ROW(x_mmx_mov, "movd", MODRM, ARG(MM_MOVD_LOAD)),
	[PFX_66] = ROW(x_sse_mov, "movd", MODRM, ARG(MV_MOVD_TO_XMM)),
};
static const struct opcode sse_6f[4] = {
	[PFX_NONE] = ROW(x_mmx_mov, "movq", MODRM, ARG(MM_MOVQ_LOAD)),
	[PFX_66] = ROW(x_sse_mov, "movdqa", MODRM, ARG(MV_LOAD_A)),
	[PFX_F3] = ROW(x_sse_mov, "movdqu", MODRM, ARG(MV_LOAD_U)),
};
static const struct opcode sse_70[4] = {
	[PFX_NONE] = ROW(x_pshuf, "pshufw", MODRM, ARG(0), OPS(Ib)),
	[PFX_66] = ROW(x_pshuf, "pshufd", MODRM, ARG(1), OPS(Ib)),
	[PFX_F3] = ROW(x_pshuf, "pshufhw", MODRM, ARG(2), OPS(Ib)),
	[PFX_F2] = ROW(x_pshuf, "pshuflw", MODRM, ARG(3), OPS(Ib)),
};
static const struct opcode sse_7c[4] = {
	[PFX_66] = ROW(x_sse_fp, "haddpd", MODRM, ARG(HO_HADDPD)),
	[PFX_F2] = ROW(x_sse_fp, "haddps", MODRM, ARG(HO_HADDPS)),
};
static const struct opcode sse_7d[4] = {
	[PFX_66] = ROW(x_sse_fp, "hsubpd", MODRM, ARG(HO_HSUBPD)),
	[PFX_F2] = ROW(x_sse_fp, "hsubps", MODRM, ARG(HO_HSUBPS)),
};
static const struct opcode sse_7e[4] = {
	[PFX_NONE] = ROW(x_mmx_mov, "movd", MODRM, ARG(MM_MOVD_STORE)),
	[PFX_66] = ROW(x_sse_mov, "movd", MODRM, ARG(MV_MOVD_FROM_XMM)),
	[PFX_F3] = ROW(x_sse_mov, "movq", MODRM, ARG(MV_MOVQ_LOAD)),
};
static const struct opcode sse_7f[4] = {
	[PFX_NONE] = ROW(x_mmx_mov, "movq", MODRM, ARG(MM_MOVQ_STORE)),
	[PFX_66] = ROW(x_sse_mov, "movdqa", MODRM, ARG(MV_STORE_A)),
	[PFX_F3] = ROW(x_sse_mov, "movdqu", MODRM, ARG(MV_STORE_U)),
};
static const struct opcode sse_c2[4] = {
	[PFX_NONE] = ROW(x_sse_fp, "cmpps", MODRM, ARG(HO_CMPPS), OPS(Ib)),
	[PFX_66] = ROW(x_sse_fp, "cmppd", MODRM, ARG(HO_CMPPD), OPS(Ib)),
	[PFX_F3] = ROW(x_sse_fp, "cmpss", MODRM, ARG(HO_CMPSS), OPS(Ib)),
	[PFX_F2] = ROW(x_sse_fp, "cmpsd", MODRM, ARG(HO_CMPSD), OPS(Ib)),
};
static const struct opcode sse_c3[4] = {
	[PFX_NONE] = ROW(x_movnti, "movnti", OPS(M_), MODRM),
};
static const struct opcode sse_c4[4] = {
	[PFX_NONE] = ROW(x_pinsrw, "pinsrw", MODRM, ARG(0), OPS(Ib)),
	[PFX_66] = ROW(x_pinsrw, "pinsrw", MODRM, ARG(1), OPS(Ib)),
};
static const struct opcode sse_c5[4] = {
	[PFX_NONE] = ROW(x_pextrw, "pextrw", MODRM, ARG(0), OPS(Ib)),
	[PFX_66] = ROW(x_pextrw, "pextrw", MODRM, ARG(1), OPS(Ib)),
};
static const struct opcode sse_c6[4] = {
	[PFX_NONE] = ROW(x_pshuf, "shufps", MODRM, ARG(4), OPS(Ib)),
	[PFX_66] = ROW(x_pshuf, "shufpd", MODRM, ARG(5), OPS(Ib)),
};
static const struct opcode sse_d0[4] = {
	[PFX_66] = ROW(x_sse_fp, "addsubpd", MODRM, ARG(HO_ADDSUBPD)),
	[PFX_F2] = ROW(x_sse_fp, "addsubps", MODRM, ARG(HO_ADDSUBPS)),
};
static const struct opcode sse_d6[4] = {
	[PFX_66] = ROW(x_sse_mov, "movq", MODRM, ARG(MV_MOVQ_STORE)),
	[PFX_F3] = ROW(x_mmx_mov, "movq2dq", MODRM, ARG(MM_MOVQ2DQ)),
	[PFX_F2] = ROW(x_mmx_mov, "movdq2q", MODRM, ARG(MM_MOVDQ2Q)),
};
static const struct opcode sse_d7[4] = {
	[PFX_NONE] = ROW(x_movmsk, "pmovmskb", MODRM, ARG(2)),
	[PFX_66] = ROW(x_movmsk, "pmovmskb", MODRM, ARG(3)),
};
static const struct opcode sse_e6[4] = {
	[PFX_66] = ROW(x_sse_fp, "cvttpd2dq", MODRM, ARG(HO_CVTTPD2DQ)),
	[PFX_F3] = ROW(x_sse_fp, "cvtdq2pd", MODRM, ARG(HO_CVTDQ2PD)),
	[PFX_F2] = ROW(x_sse_fp, "cvtpd2dq", MODRM, ARG(HO_CVTPD2DQ)),
};
static const struct opcode sse_e7[4] = {
	[PFX_NONE] = ROW(x_mmx_mov, "movntq", MODRM, ARG(MM_MOVNTQ)),
	[PFX_66] = ROW(x_sse_mov, "movntdq", MODRM, ARG(MV_MOVNT)),
};
static const struct opcode sse_f0[4] = {
	[PFX_F2] = ROW(x_sse_mov, "lddqu", MODRM, ARG(MV_LDDQU)),
};
static const struct opcode sse_f7[4] = {
	[PFX_NONE] = ROW(x_maskmov, "maskmovq", MODRM, ARG(0)),
	[PFX_66] = ROW(x_maskmov, "maskmovdqu", MODRM, ARG(1)),
};

/* Groups 12-14 (0F 71-73): shifts by Ib of an MMX (no prefix) or XMM (66) register */
static const struct opcode grp12_mm[8] = {
	[2] = ROW(x_mmx_shimm, "psrlw", ARG(IO_PSRLW)), [4] = ROW(x_mmx_shimm, "psraw", ARG(IO_PSRAW)),
	[6] = ROW(x_mmx_shimm, "psllw", ARG(IO_PSLLW)),
};
static const struct opcode grp12_xmm[8] = {
	[2] = ROW(x_sse_shimm, "psrlw", ARG(IO_PSRLW)), [4] = ROW(x_sse_shimm, "psraw", ARG(IO_PSRAW)),
	[6] = ROW(x_sse_shimm, "psllw", ARG(IO_PSLLW)),
};
static const struct opcode grp13_mm[8] = {
	[2] = ROW(x_mmx_shimm, "psrld", ARG(IO_PSRLD)), [4] = ROW(x_mmx_shimm, "psrad", ARG(IO_PSRAD)),
	[6] = ROW(x_mmx_shimm, "pslld", ARG(IO_PSLLD)),
};
static const struct opcode grp13_xmm[8] = {
	[2] = ROW(x_sse_shimm, "psrld", ARG(IO_PSRLD)), [4] = ROW(x_sse_shimm, "psrad", ARG(IO_PSRAD)),
	[6] = ROW(x_sse_shimm, "pslld", ARG(IO_PSLLD)),
};
static const struct opcode grp14_mm[8] = {
	[2] = ROW(x_mmx_shimm, "psrlq", ARG(IO_PSRLQ)), [6] = ROW(x_mmx_shimm, "psllq", ARG(IO_PSLLQ)),
};
static const struct opcode grp14_xmm[8] = {
	[2] = ROW(x_sse_shimm, "psrlq", ARG(IO_PSRLQ)), [3] = ROW(x_sse_shimm, "psrldq", ARG(IO_PSRLDQ)),
	[6] = ROW(x_sse_shimm, "psllq", ARG(IO_PSLLQ)), [7] = ROW(x_sse_shimm, "pslldq", ARG(IO_PSLLDQ)),
};
/* register forms only: the memory forms are #UD */
static const struct opcode grp12_mmr[2] = { [1] = GROUP("grp12", grp12_mm) };
static const struct opcode grp12_xmmr[2] = { [1] = GROUP("grp12", grp12_xmm) };
static const struct opcode grp13_mmr[2] = { [1] = GROUP("grp13", grp13_mm) };
static const struct opcode grp13_xmmr[2] = { [1] = GROUP("grp13", grp13_xmm) };
static const struct opcode grp14_mmr[2] = { [1] = GROUP("grp14", grp14_mm) };
static const struct opcode grp14_xmmr[2] = { [1] = GROUP("grp14", grp14_xmm) };
static const struct opcode sse_71[4] = { [PFX_NONE] = BYMOD("grp12", grp12_mmr), [PFX_66] = BYMOD("grp12", grp12_xmmr) };
static const struct opcode sse_72[4] = { [PFX_NONE] = BYMOD("grp13", grp13_mmr), [PFX_66] = BYMOD("grp13", grp13_xmmr) };
static const struct opcode sse_73[4] = { [PFX_NONE] = BYMOD("grp14", grp14_mmr), [PFX_66] = BYMOD("grp14", grp14_xmmr) };

NP(np_emms, ROW(x_emms, "emms"));

const struct opcode opcode_map2[256] = {
	[0x00] = GROUP("grp6", grp6),
	[0x01] = BYMOD("grp7", grp7),
	[0x02] = ROW(x_lar, "lar", OPS(Gv, Ew), MODRM, NOREAL),
	[0x03] = ROW(x_lsl, "lsl", OPS(Gv, Ew), MODRM, NOREAL),
	[0x05] = ROW(x_syscall, "syscall"),
	[0x06] = ROW(x_clts, "clts", PRIV),
	[0x07] = ROW(x_sysret, "sysret", PRIV),
	[0x08] = ROW(x_wbinvd, "invd", PRIV),
	[0x09] = ROW(x_wbinvd, "wbinvd", PRIV),
	[0x0b] = ROW(x_ud, "ud2"),
	[0x0d] = ROW(x_nop, "prefetchw/nop", OPS(Ev), MODRM),	/* register forms are NOPs */
	/* 0F 18-1F: prefetch hints and multi-byte NOPs (including ENDBR64 = F3 0F 1E FA) */
	[0x18] = ROW(x_nop, "hint", MODRM), [0x19] = ROW(x_nop, "hint", MODRM),
	[0x1a] = ROW(x_nop, "hint", MODRM), [0x1b] = ROW(x_nop, "hint", MODRM),
	[0x1c] = ROW(x_nop, "hint", MODRM), [0x1d] = ROW(x_nop, "hint", MODRM),
	[0x1e] = ROW(x_nop, "hint", MODRM), [0x1f] = ROW(x_nop, "nop", MODRM),
	[0x20] = ROW(x_mov_cr, "mov", OPS(Rd, Cd), MODRM, .modrm_reg = true, PRIV, ARG(0)),
	[0x21] = ROW(x_mov_dr, "mov", OPS(Rd, Cd), MODRM, .modrm_reg = true, PRIV, ARG(0)),
	[0x22] = ROW(x_mov_cr, "mov", OPS(Cd, Rd), MODRM, .modrm_reg = true, PRIV, ARG(1)),
	[0x23] = ROW(x_mov_dr, "mov", OPS(Cd, Rd), MODRM, .modrm_reg = true, PRIV, ARG(1)),
	[0x30] = ROW(x_wrmsr, "wrmsr", PRIV),
	[0x31] = ROW(x_rdtsc, "rdtsc"),
	[0x32] = ROW(x_rdmsr, "rdmsr", PRIV),
	[0x33] = UNIMPL("rdpmc"),
	[0x34] = ROW(x_sysenter, "sysenter"),
	[0x35] = ROW(x_sysexit, "sysexit", PRIV),
	/* 0F 38 and 0F 3A: the three-byte escapes (decode.c) */
	CMOV(0x0), CMOV(0x1), CMOV(0x2), CMOV(0x3), CMOV(0x4), CMOV(0x5), CMOV(0x6), CMOV(0x7),
	CMOV(0x8), CMOV(0x9), CMOV(0xa), CMOV(0xb), CMOV(0xc), CMOV(0xd), CMOV(0xe), CMOV(0xf),
	JCC2(0x0, "jo"), JCC2(0x1, "jno"), JCC2(0x2, "jb"), JCC2(0x3, "jae"),
	JCC2(0x4, "je"), JCC2(0x5, "jne"), JCC2(0x6, "jbe"), JCC2(0x7, "ja"),
	JCC2(0x8, "js"), JCC2(0x9, "jns"), JCC2(0xa, "jp"), JCC2(0xb, "jnp"),
	JCC2(0xc, "jl"), JCC2(0xd, "jge"), JCC2(0xe, "jle"), JCC2(0xf, "jg"),
	SETCC(0x0), SETCC(0x1), SETCC(0x2), SETCC(0x3), SETCC(0x4), SETCC(0x5), SETCC(0x6), SETCC(0x7),
	SETCC(0x8), SETCC(0x9), SETCC(0xa), SETCC(0xb), SETCC(0xc), SETCC(0xd), SETCC(0xe), SETCC(0xf),
	[0xa0] = ROW(x_push_sreg, "push fs", D64, ARG(CPU_FS)),
	[0xa1] = ROW(x_pop_sreg, "pop fs", D64, ARG(CPU_FS)),
	[0xa2] = ROW(x_cpuid, "cpuid"),
	[0xa3] = ROW(x_bt, "bt", OPS(Ev, Gv), MODRM, ARG(0)),
	[0xa4] = ROW(x_shld, "shld", OPS(Ev, Gv, Ib), MODRM),
	[0xa5] = ROW(x_shld, "shld", OPS(Ev, Gv, CL), MODRM),
	[0xa8] = ROW(x_push_sreg, "push gs", D64, ARG(CPU_GS)),
	[0xa9] = ROW(x_pop_sreg, "pop gs", D64, ARG(CPU_GS)),
	[0xaa] = ROW(x_rsm, "rsm"),	/* the host checks SMM (#UD outside it) */
	[0xab] = ROW(x_bt, "bts", OPS(Ev, Gv), MODRM, LOCK, ARG(1)),
	[0xac] = ROW(x_shrd, "shrd", OPS(Ev, Gv, Ib), MODRM),
	[0xad] = ROW(x_shrd, "shrd", OPS(Ev, Gv, CL), MODRM),
	[0xae] = BYMOD("grp15", grp15),
	[0xaf] = ROW(x_imul, "imul", OPS(Gv, Ev), MODRM),
	[0xb0] = ROW(x_cmpxchg, "cmpxchg", OPS(Eb, Gb), MODRM, LOCK),
	[0xb1] = ROW(x_cmpxchg, "cmpxchg", OPS(Ev, Gv), MODRM, LOCK),
	[0xb2] = ROW(x_lfp, "lss", OPS(Gv, M_), MODRM, ARG(CPU_SS)),
	[0xb3] = ROW(x_bt, "btr", OPS(Ev, Gv), MODRM, LOCK, ARG(2)),
	[0xb4] = ROW(x_lfp, "lfs", OPS(Gv, M_), MODRM, ARG(CPU_FS)),
	[0xb5] = ROW(x_lfp, "lgs", OPS(Gv, M_), MODRM, ARG(CPU_GS)),
	[0xb6] = ROW(x_movzx, "movzx", OPS(Gv, Eb), MODRM),
	[0xb7] = ROW(x_movzx, "movzx", OPS(Gv, Ew), MODRM),
	[0xb8] = BYPREFIX("0f b8", op0fb8),
	[0xb9] = ROW(x_ud, "ud1", MODRM),
	[0xba] = GROUP("grp8", grp8, OPS(Ev, Ib)),
	[0xbb] = ROW(x_bt, "btc", OPS(Ev, Gv), MODRM, LOCK, ARG(3)),
	[0xbc] = BYPREFIX("0f bc", op0fbc),
	[0xbd] = BYPREFIX("0f bd", op0fbd),
	[0xbe] = ROW(x_movsx, "movsx", OPS(Gv, Eb), MODRM),
	[0xbf] = ROW(x_movsx, "movsx", OPS(Gv, Ew), MODRM),
	[0xc0] = ROW(x_xadd, "xadd", OPS(Eb, Gb), MODRM, LOCK),
	[0xc1] = ROW(x_xadd, "xadd", OPS(Ev, Gv), MODRM, LOCK),
	[0xc7] = BYMOD("grp9", grp9),
	BSWAP(0), BSWAP(1), BSWAP(2), BSWAP(3), BSWAP(4), BSWAP(5), BSWAP(6), BSWAP(7),
	[0xff] = ROW(x_ud, "ud0", MODRM),
	[0x77] = BYPREFIX("emms", np_emms),	/* NP: 66/F2/F3 0F 77 are #UD */
	/* MMX, SSE, SSE2, SSE3: the none/66/F3/F2 columns */
	[0x10] = BYPREFIX("movups", sse_10),
	[0x11] = BYPREFIX("movups", sse_11),
	[0x12] = BYPREFIX("movlps", sse_12),
	[0x13] = BYPREFIX("movlps", sse_13),
	[0x14] = BYPREFIX("unpcklps", sse_14),
	[0x15] = BYPREFIX("unpckhps", sse_15),
	[0x16] = BYPREFIX("movhps", sse_16),
	[0x17] = BYPREFIX("movhps", sse_17),
	[0x28] = BYPREFIX("movaps", sse_28),
	[0x29] = BYPREFIX("movaps", sse_29),
	[0x2a] = BYPREFIX("cvtpi2ps", sse_2a),
	[0x2b] = BYPREFIX("movntps", sse_2b),
	[0x2c] = BYPREFIX("cvttps2pi", sse_2c),
	[0x2d] = BYPREFIX("cvtps2pi", sse_2d),
	[0x2e] = BYPREFIX("ucomiss", sse_2e),
	[0x2f] = BYPREFIX("comiss", sse_2f),
	[0x50] = BYPREFIX("movmskps", sse_50),
	[0x51] = BYPREFIX("sqrtps", sse_51),
	[0x52] = BYPREFIX("rsqrtps", sse_52),
	[0x53] = BYPREFIX("rcpps", sse_53),
	[0x54] = BYPREFIX("andps", sse_54),
	[0x55] = BYPREFIX("andnps", sse_55),
	[0x56] = BYPREFIX("orps", sse_56),
	[0x57] = BYPREFIX("xorps", sse_57),
	[0x58] = BYPREFIX("addps", sse_58),
	[0x59] = BYPREFIX("mulps", sse_59),
	[0x5a] = BYPREFIX("cvtps2pd", sse_5a),
	[0x5b] = BYPREFIX("cvtdq2ps", sse_5b),
	[0x5c] = BYPREFIX("subps", sse_5c),
	[0x5d] = BYPREFIX("minps", sse_5d),
	[0x5e] = BYPREFIX("divps", sse_5e),
	[0x5f] = BYPREFIX("maxps", sse_5f),
	[0x60] = BYPREFIX("punpcklbw", sse_60),
	[0x61] = BYPREFIX("punpcklwd", sse_61),
	[0x62] = BYPREFIX("punpckldq", sse_62),
	[0x63] = BYPREFIX("packsswb", sse_63),
	[0x64] = BYPREFIX("pcmpgtb", sse_64),
	[0x65] = BYPREFIX("pcmpgtw", sse_65),
	[0x66] = BYPREFIX("pcmpgtd", sse_66),
	[0x67] = BYPREFIX("packuswb", sse_67),
	[0x68] = BYPREFIX("punpckhbw", sse_68),
	[0x69] = BYPREFIX("punpckhwd", sse_69),
	[0x6a] = BYPREFIX("punpckhdq", sse_6a),
	[0x6b] = BYPREFIX("packssdw", sse_6b),
	[0x74] = BYPREFIX("pcmpeqb", sse_74),
	[0x75] = BYPREFIX("pcmpeqw", sse_75),
	[0x76] = BYPREFIX("pcmpeqd", sse_76),
	[0xd1] = BYPREFIX("psrlw", sse_d1),
	[0xd2] = BYPREFIX("psrld", sse_d2),
	[0xd3] = BYPREFIX("psrlq", sse_d3),
	[0xd4] = BYPREFIX("paddq", sse_d4),
	[0xd5] = BYPREFIX("pmullw", sse_d5),
	[0xd8] = BYPREFIX("psubusb", sse_d8),
	[0xd9] = BYPREFIX("psubusw", sse_d9),
	[0xda] = BYPREFIX("pminub", sse_da),
	[0xdb] = BYPREFIX("pand", sse_db),
	[0xdc] = BYPREFIX("paddusb", sse_dc),
	[0xdd] = BYPREFIX("paddusw", sse_dd),
	[0xde] = BYPREFIX("pmaxub", sse_de),
	[0xdf] = BYPREFIX("pandn", sse_df),
	[0xe0] = BYPREFIX("pavgb", sse_e0),
	[0xe1] = BYPREFIX("psraw", sse_e1),
	[0xe2] = BYPREFIX("psrad", sse_e2),
	[0xe3] = BYPREFIX("pavgw", sse_e3),
	[0xe4] = BYPREFIX("pmulhuw", sse_e4),
	[0xe5] = BYPREFIX("pmulhw", sse_e5),
	[0xe8] = BYPREFIX("psubsb", sse_e8),
	[0xe9] = BYPREFIX("psubsw", sse_e9),
	[0xea] = BYPREFIX("pminsw", sse_ea),
	[0xeb] = BYPREFIX("por", sse_eb),
	[0xec] = BYPREFIX("paddsb", sse_ec),
	[0xed] = BYPREFIX("paddsw", sse_ed),
	[0xee] = BYPREFIX("pmaxsw", sse_ee),
	[0xef] = BYPREFIX("pxor", sse_ef),
	[0xf1] = BYPREFIX("psllw", sse_f1),
	[0xf2] = BYPREFIX("pslld", sse_f2),
	[0xf3] = BYPREFIX("psllq", sse_f3),
	[0xf4] = BYPREFIX("pmuludq", sse_f4),
	[0xf5] = BYPREFIX("pmaddwd", sse_f5),
	[0xf6] = BYPREFIX("psadbw", sse_f6),
	[0xf8] = BYPREFIX("psubb", sse_f8),
	[0xf9] = BYPREFIX("psubw", sse_f9),
	[0xfa] = BYPREFIX("psubd", sse_fa),
	[0xfb] = BYPREFIX("psubq", sse_fb),
	[0xfc] = BYPREFIX("paddb", sse_fc),
	[0xfd] = BYPREFIX("paddw", sse_fd),
	[0xfe] = BYPREFIX("paddd", sse_fe),
	[0x6c] = BYPREFIX("punpcklqdq", sse_6c),
	[0x6d] = BYPREFIX("punpckhqdq", sse_6d),
	[0x6e] = BYPREFIX("movd", sse_6e),
	[0x6f] = BYPREFIX("movq", sse_6f),
	[0x70] = BYPREFIX("pshufw", sse_70),
	[0x7c] = BYPREFIX("haddpd", sse_7c),
	[0x7d] = BYPREFIX("hsubpd", sse_7d),
	[0x7e] = BYPREFIX("movd", sse_7e),
	[0x7f] = BYPREFIX("movq", sse_7f),
	[0xc2] = BYPREFIX("cmpps", sse_c2),
	[0xc3] = BYPREFIX("movnti", sse_c3),
	[0xc4] = BYPREFIX("pinsrw", sse_c4),
	[0xc5] = BYPREFIX("pextrw", sse_c5),
	[0xc6] = BYPREFIX("shufps", sse_c6),
	[0xd0] = BYPREFIX("addsubpd", sse_d0),
	[0xd6] = BYPREFIX("movq", sse_d6),
	[0xd7] = BYPREFIX("pmovmskb", sse_d7),
	[0xe6] = BYPREFIX("cvtpd2dq", sse_e6),
	[0xe7] = BYPREFIX("movntq", sse_e7),
	[0xf0] = BYPREFIX("lddqu", sse_f0),
	[0xf7] = BYPREFIX("maskmovq", sse_f7),
	[0x71] = BYPREFIX("grp12", sse_71, OPS(Ib)), [0x72] = BYPREFIX("grp13", sse_72, OPS(Ib)),
	[0x73] = BYPREFIX("grp14", sse_73, OPS(Ib)),
};

/* ================= the 0F 38 map (Table A-4) ================= */

/* 66 0F 38 82: INVPCID r32/r64, m128 (memory form only) */
static const struct opcode op0f3882[4] = {
	[PFX_66] = ROW(x_invpcid, "invpcid", OPS(Gv, M_), MODRM, .feature = CPU_FEAT_INVPCID),
};

/* MOVBE (none/66); F2 0F 38 F0/F1 is CRC32 (SSE4.2) */
static const struct opcode op0f38f0[4] = {
	[PFX_NONE] = ROW(x_movbe, "movbe", OPS(Gv, Mv), MODRM, .feature = CPU_FEAT_MOVBE),
	[PFX_66] = ROW(x_movbe, "movbe", OPS(Gv, Mv), MODRM, .feature = CPU_FEAT_MOVBE),
	[PFX_F2] = ROW(x_crc32, "crc32", OPS(Gv, Eb), MODRM),
};
static const struct opcode op0f38f1[4] = {
	[PFX_NONE] = ROW(x_movbe, "movbe", OPS(Mv, Gv), MODRM, .feature = CPU_FEAT_MOVBE),
	[PFX_66] = ROW(x_movbe, "movbe", OPS(Mv, Gv), MODRM, .feature = CPU_FEAT_MOVBE),
	[PFX_F2] = ROW(x_crc32, "crc32", OPS(Gv, Ev), MODRM),
};

/* ---- SSSE3 (none: MMX, 66: XMM) and SSE4.1/4.2 integer rows of the 0F 38 map ---- */
static const struct opcode ssse3_00[4] = { [PFX_NONE] = ROW(x_mmx_int, "pshufb", MODRM, ARG(IO_PSHUFB)), [PFX_66] = ROW(x_sse_int, "pshufb", MODRM, ARG(IO_PSHUFB)) };
static const struct opcode ssse3_01[4] = { [PFX_NONE] = ROW(x_mmx_int, "phaddw", MODRM, ARG(IO_PHADDW)), [PFX_66] = ROW(x_sse_int, "phaddw", MODRM, ARG(IO_PHADDW)) };
static const struct opcode ssse3_02[4] = { [PFX_NONE] = ROW(x_mmx_int, "phaddd", MODRM, ARG(IO_PHADDD)), [PFX_66] = ROW(x_sse_int, "phaddd", MODRM, ARG(IO_PHADDD)) };
static const struct opcode ssse3_03[4] = { [PFX_NONE] = ROW(x_mmx_int, "phaddsw", MODRM, ARG(IO_PHADDSW)), [PFX_66] = ROW(x_sse_int, "phaddsw", MODRM, ARG(IO_PHADDSW)) };
static const struct opcode ssse3_04[4] = { [PFX_NONE] = ROW(x_mmx_int, "pmaddubsw", MODRM, ARG(IO_PMADDUBSW)), [PFX_66] = ROW(x_sse_int, "pmaddubsw", MODRM, ARG(IO_PMADDUBSW)) };
static const struct opcode ssse3_05[4] = { [PFX_NONE] = ROW(x_mmx_int, "phsubw", MODRM, ARG(IO_PHSUBW)), [PFX_66] = ROW(x_sse_int, "phsubw", MODRM, ARG(IO_PHSUBW)) };
static const struct opcode ssse3_06[4] = { [PFX_NONE] = ROW(x_mmx_int, "phsubd", MODRM, ARG(IO_PHSUBD)), [PFX_66] = ROW(x_sse_int, "phsubd", MODRM, ARG(IO_PHSUBD)) };
static const struct opcode ssse3_07[4] = { [PFX_NONE] = ROW(x_mmx_int, "phsubsw", MODRM, ARG(IO_PHSUBSW)), [PFX_66] = ROW(x_sse_int, "phsubsw", MODRM, ARG(IO_PHSUBSW)) };
static const struct opcode ssse3_08[4] = { [PFX_NONE] = ROW(x_mmx_int, "psignb", MODRM, ARG(IO_PSIGNB)), [PFX_66] = ROW(x_sse_int, "psignb", MODRM, ARG(IO_PSIGNB)) };
static const struct opcode ssse3_09[4] = { [PFX_NONE] = ROW(x_mmx_int, "psignw", MODRM, ARG(IO_PSIGNW)), [PFX_66] = ROW(x_sse_int, "psignw", MODRM, ARG(IO_PSIGNW)) };
static const struct opcode ssse3_0a[4] = { [PFX_NONE] = ROW(x_mmx_int, "psignd", MODRM, ARG(IO_PSIGND)), [PFX_66] = ROW(x_sse_int, "psignd", MODRM, ARG(IO_PSIGND)) };
static const struct opcode ssse3_0b[4] = { [PFX_NONE] = ROW(x_mmx_int, "pmulhrsw", MODRM, ARG(IO_PMULHRSW)), [PFX_66] = ROW(x_sse_int, "pmulhrsw", MODRM, ARG(IO_PMULHRSW)) };
static const struct opcode ssse3_1c[4] = { [PFX_NONE] = ROW(x_mmx_int, "pabsb", MODRM, ARG(IO_PABSB)), [PFX_66] = ROW(x_sse_int, "pabsb", MODRM, ARG(IO_PABSB)) };
static const struct opcode ssse3_1d[4] = { [PFX_NONE] = ROW(x_mmx_int, "pabsw", MODRM, ARG(IO_PABSW)), [PFX_66] = ROW(x_sse_int, "pabsw", MODRM, ARG(IO_PABSW)) };
static const struct opcode ssse3_1e[4] = { [PFX_NONE] = ROW(x_mmx_int, "pabsd", MODRM, ARG(IO_PABSD)), [PFX_66] = ROW(x_sse_int, "pabsd", MODRM, ARG(IO_PABSD)) };
static const struct opcode sse41_28[4] = { [PFX_66] = ROW(x_sse_int, "pmuldq", MODRM, ARG(IO_PMULDQ)) };
static const struct opcode sse41_29[4] = { [PFX_66] = ROW(x_sse_int, "pcmpeqq", MODRM, ARG(IO_PCMPEQQ)) };
static const struct opcode sse41_2b[4] = { [PFX_66] = ROW(x_sse_int, "packusdw", MODRM, ARG(IO_PACKUSDW)) };
static const struct opcode sse41_37[4] = { [PFX_66] = ROW(x_sse_int, "pcmpgtq", MODRM, ARG(IO_PCMPGTQ)) };
static const struct opcode sse41_38[4] = { [PFX_66] = ROW(x_sse_int, "pminsb", MODRM, ARG(IO_PMINSB)) };
static const struct opcode sse41_39[4] = { [PFX_66] = ROW(x_sse_int, "pminsd", MODRM, ARG(IO_PMINSD)) };
static const struct opcode sse41_3a[4] = { [PFX_66] = ROW(x_sse_int, "pminuw", MODRM, ARG(IO_PMINUW)) };
static const struct opcode sse41_3b[4] = { [PFX_66] = ROW(x_sse_int, "pminud", MODRM, ARG(IO_PMINUD)) };
static const struct opcode sse41_3c[4] = { [PFX_66] = ROW(x_sse_int, "pmaxsb", MODRM, ARG(IO_PMAXSB)) };
static const struct opcode sse41_3d[4] = { [PFX_66] = ROW(x_sse_int, "pmaxsd", MODRM, ARG(IO_PMAXSD)) };
static const struct opcode sse41_3e[4] = { [PFX_66] = ROW(x_sse_int, "pmaxuw", MODRM, ARG(IO_PMAXUW)) };
static const struct opcode sse41_3f[4] = { [PFX_66] = ROW(x_sse_int, "pmaxud", MODRM, ARG(IO_PMAXUD)) };
static const struct opcode sse41_40[4] = { [PFX_66] = ROW(x_sse_int, "pmulld", MODRM, ARG(IO_PMULLD)) };
static const struct opcode sse41_41[4] = { [PFX_66] = ROW(x_sse_int, "phminposuw", MODRM, ARG(IO_PHMINPOSUW)) };
static const struct opcode sse41_2a[4] = { [PFX_66] = ROW(x_sse_mov, "movntdqa", MODRM, ARG(MV_MOVNTDQA)) };

static const struct opcode sse41_10[4] = { [PFX_66] = ROW(x_pblendv, "pblendvb", MODRM, ARG(0)) };
static const struct opcode sse41_14[4] = { [PFX_66] = ROW(x_pblendv, "blendvps", MODRM, ARG(1)) };
static const struct opcode sse41_15[4] = { [PFX_66] = ROW(x_pblendv, "blendvpd", MODRM, ARG(2)) };
static const struct opcode sse41_17[4] = { [PFX_66] = ROW(x_ptest, "ptest", MODRM) };
static const struct opcode sse41_20[4] = { [PFX_66] = ROW(x_pmovx, "pmovsxbw", MODRM, ARG(8 | 0)) };
static const struct opcode sse41_30[4] = { [PFX_66] = ROW(x_pmovx, "pmovzxbw", MODRM, ARG(0)) };
static const struct opcode sse41_21[4] = { [PFX_66] = ROW(x_pmovx, "pmovsxbd", MODRM, ARG(8 | 1)) };
static const struct opcode sse41_31[4] = { [PFX_66] = ROW(x_pmovx, "pmovzxbd", MODRM, ARG(1)) };
static const struct opcode sse41_22[4] = { [PFX_66] = ROW(x_pmovx, "pmovsxbq", MODRM, ARG(8 | 2)) };
static const struct opcode sse41_32[4] = { [PFX_66] = ROW(x_pmovx, "pmovzxbq", MODRM, ARG(2)) };
static const struct opcode sse41_23[4] = { [PFX_66] = ROW(x_pmovx, "pmovsxwd", MODRM, ARG(8 | 3)) };
static const struct opcode sse41_33[4] = { [PFX_66] = ROW(x_pmovx, "pmovzxwd", MODRM, ARG(3)) };
static const struct opcode sse41_24[4] = { [PFX_66] = ROW(x_pmovx, "pmovsxwq", MODRM, ARG(8 | 4)) };
static const struct opcode sse41_34[4] = { [PFX_66] = ROW(x_pmovx, "pmovzxwq", MODRM, ARG(4)) };
static const struct opcode sse41_25[4] = { [PFX_66] = ROW(x_pmovx, "pmovsxdq", MODRM, ARG(8 | 5)) };
static const struct opcode sse41_35[4] = { [PFX_66] = ROW(x_pmovx, "pmovzxdq", MODRM, ARG(5)) };

/* the 0F 38 map: every row has a ModRM, none an immediate */
const struct opcode opcode_map3[256] = {
	[0x00] = BYPREFIX("pshufb", ssse3_00),
	[0x01] = BYPREFIX("phaddw", ssse3_01),
	[0x02] = BYPREFIX("phaddd", ssse3_02),
	[0x03] = BYPREFIX("phaddsw", ssse3_03),
	[0x04] = BYPREFIX("pmaddubsw", ssse3_04),
	[0x05] = BYPREFIX("phsubw", ssse3_05),
	[0x06] = BYPREFIX("phsubd", ssse3_06),
	[0x07] = BYPREFIX("phsubsw", ssse3_07),
	[0x08] = BYPREFIX("psignb", ssse3_08),
	[0x09] = BYPREFIX("psignw", ssse3_09),
	[0x0a] = BYPREFIX("psignd", ssse3_0a),
	[0x0b] = BYPREFIX("pmulhrsw", ssse3_0b),
	[0x1c] = BYPREFIX("pabsb", ssse3_1c),
	[0x1d] = BYPREFIX("pabsw", ssse3_1d),
	[0x1e] = BYPREFIX("pabsd", ssse3_1e),
	[0x28] = BYPREFIX("pmuldq", sse41_28),
	[0x29] = BYPREFIX("pcmpeqq", sse41_29),
	[0x2b] = BYPREFIX("packusdw", sse41_2b),
	[0x37] = BYPREFIX("pcmpgtq", sse41_37),
	[0x38] = BYPREFIX("pminsb", sse41_38),
	[0x39] = BYPREFIX("pminsd", sse41_39),
	[0x3a] = BYPREFIX("pminuw", sse41_3a),
	[0x3b] = BYPREFIX("pminud", sse41_3b),
	[0x3c] = BYPREFIX("pmaxsb", sse41_3c),
	[0x3d] = BYPREFIX("pmaxsd", sse41_3d),
	[0x3e] = BYPREFIX("pmaxuw", sse41_3e),
	[0x3f] = BYPREFIX("pmaxud", sse41_3f),
	[0x40] = BYPREFIX("pmulld", sse41_40),
	[0x41] = BYPREFIX("phminposuw", sse41_41),
	[0x2a] = BYPREFIX("movntdqa", sse41_2a),
	[0x10] = BYPREFIX("pblendvb", sse41_10), [0x14] = BYPREFIX("blendvps", sse41_14),
	[0x15] = BYPREFIX("blendvpd", sse41_15), [0x17] = BYPREFIX("ptest", sse41_17),
	[0x20] = BYPREFIX("pmovsxbw", sse41_20), [0x21] = BYPREFIX("pmovsxbd", sse41_21),
	[0x22] = BYPREFIX("pmovsxbq", sse41_22), [0x23] = BYPREFIX("pmovsxwd", sse41_23),
	[0x24] = BYPREFIX("pmovsxwq", sse41_24), [0x25] = BYPREFIX("pmovsxdq", sse41_25),
	[0x30] = BYPREFIX("pmovzxbw", sse41_30), [0x31] = BYPREFIX("pmovzxbd", sse41_31),
	[0x32] = BYPREFIX("pmovzxbq", sse41_32), [0x33] = BYPREFIX("pmovzxwd", sse41_33),
	[0x34] = BYPREFIX("pmovzxwq", sse41_34), [0x35] = BYPREFIX("pmovzxdq", sse41_35),
	SSE(0xc8), SSE(0xc9), SSE(0xca), SSE(0xcb), SSE(0xcc), SSE(0xcd),
	SSE(0xdb), SSE(0xdc), SSE(0xdd), SSE(0xde), SSE(0xdf),
	[0x82] = BYPREFIX("0f38 82", op0f3882),
	[0xf0] = BYPREFIX("0f38 f0", op0f38f0),
	[0xf1] = BYPREFIX("0f38 f1", op0f38f1),
};

/* ================= the 0F 3A map (Table A-5): every row has an Ib ================= */

static const struct opcode sse41_3a08[4] = { [PFX_66] = ROW(x_sse_fp, "roundps", MODRM, OPS(Ib), ARG(HO_ROUNDPS)) };
static const struct opcode sse41_3a09[4] = { [PFX_66] = ROW(x_sse_fp, "roundpd", MODRM, OPS(Ib), ARG(HO_ROUNDPD)) };
static const struct opcode sse41_3a0a[4] = { [PFX_66] = ROW(x_sse_fp, "roundss", MODRM, OPS(Ib), ARG(HO_ROUNDSS)) };
static const struct opcode sse41_3a0b[4] = { [PFX_66] = ROW(x_sse_fp, "roundsd", MODRM, OPS(Ib), ARG(HO_ROUNDSD)) };
static const struct opcode ssse3_3a0f[4] = {
	[PFX_NONE] = ROW(x_palignr, "palignr", MODRM, OPS(Ib), ARG(0)),
	[PFX_66] = ROW(x_palignr, "palignr", MODRM, OPS(Ib), ARG(1)),
};

static const struct opcode sse4_3a0c[4] = { [PFX_66] = ROW(x_blendi, "blendps", MODRM, OPS(Ib), ARG(0)) };
static const struct opcode sse4_3a0d[4] = { [PFX_66] = ROW(x_blendi, "blendpd", MODRM, OPS(Ib), ARG(1)) };
static const struct opcode sse4_3a0e[4] = { [PFX_66] = ROW(x_blendi, "pblendw", MODRM, OPS(Ib), ARG(2)) };
static const struct opcode sse4_3a14[4] = { [PFX_66] = ROW(x_pextr, "pextrb", MODRM, OPS(Ib), ARG(0)) };
static const struct opcode sse4_3a15[4] = { [PFX_66] = ROW(x_pextr, "pextrw", MODRM, OPS(Ib), ARG(1)) };
static const struct opcode sse4_3a16[4] = { [PFX_66] = ROW(x_pextr, "pextrd", MODRM, OPS(Ib), ARG(2)) };
static const struct opcode sse4_3a17[4] = { [PFX_66] = ROW(x_pextr, "extractps", MODRM, OPS(Ib), ARG(3)) };
static const struct opcode sse4_3a20[4] = { [PFX_66] = ROW(x_pinsr, "pinsrb", MODRM, OPS(Ib), ARG(0)) };
static const struct opcode sse4_3a21[4] = { [PFX_66] = ROW(x_insertps, "insertps", MODRM, OPS(Ib), ARG(0)) };
static const struct opcode sse4_3a22[4] = { [PFX_66] = ROW(x_pinsr, "pinsrd", MODRM, OPS(Ib), ARG(2)) };
static const struct opcode sse4_3a40[4] = { [PFX_66] = ROW(x_dpp, "dpps", MODRM, OPS(Ib), ARG(0)) };
static const struct opcode sse4_3a41[4] = { [PFX_66] = ROW(x_dpp, "dppd", MODRM, OPS(Ib), ARG(1)) };
static const struct opcode sse4_3a42[4] = { [PFX_66] = ROW(x_mpsadbw, "mpsadbw", MODRM, OPS(Ib), ARG(0)) };
static const struct opcode sse4_3a60[4] = { [PFX_66] = ROW(x_pcmpstr, "pcmpestrm", MODRM, OPS(Ib), ARG(0)) };
static const struct opcode sse4_3a61[4] = { [PFX_66] = ROW(x_pcmpstr, "pcmpestri", MODRM, OPS(Ib), ARG(1)) };
static const struct opcode sse4_3a62[4] = { [PFX_66] = ROW(x_pcmpstr, "pcmpistrm", MODRM, OPS(Ib), ARG(2)) };
static const struct opcode sse4_3a63[4] = { [PFX_66] = ROW(x_pcmpstr, "pcmpistri", MODRM, OPS(Ib), ARG(3)) };

const struct opcode opcode_map4[256] = {
	[0x08] = BYPREFIX("roundps", sse41_3a08, OPS(Ib)), [0x09] = BYPREFIX("roundpd", sse41_3a09, OPS(Ib)),
	[0x0a] = BYPREFIX("roundss", sse41_3a0a, OPS(Ib)), [0x0b] = BYPREFIX("roundsd", sse41_3a0b, OPS(Ib)),
	[0x0f] = BYPREFIX("palignr", ssse3_3a0f, OPS(Ib)),
	[0x0c] = BYPREFIX("blendps", sse4_3a0c, OPS(Ib)),
	[0x0d] = BYPREFIX("blendpd", sse4_3a0d, OPS(Ib)),
	[0x0e] = BYPREFIX("pblendw", sse4_3a0e, OPS(Ib)),
	[0x14] = BYPREFIX("pextrb", sse4_3a14, OPS(Ib)),
	[0x15] = BYPREFIX("pextrw", sse4_3a15, OPS(Ib)),
	[0x16] = BYPREFIX("pextrd", sse4_3a16, OPS(Ib)),
	[0x17] = BYPREFIX("extractps", sse4_3a17, OPS(Ib)),
	[0x20] = BYPREFIX("pinsrb", sse4_3a20, OPS(Ib)),
	[0x21] = BYPREFIX("insertps", sse4_3a21, OPS(Ib)),
	[0x22] = BYPREFIX("pinsrd", sse4_3a22, OPS(Ib)),
	[0x40] = BYPREFIX("dpps", sse4_3a40, OPS(Ib)),
	[0x41] = BYPREFIX("dppd", sse4_3a41, OPS(Ib)),
	[0x42] = BYPREFIX("mpsadbw", sse4_3a42, OPS(Ib)),
	[0x60] = BYPREFIX("pcmpestrm", sse4_3a60, OPS(Ib)),
	[0x61] = BYPREFIX("pcmpestri", sse4_3a61, OPS(Ib)),
	[0x62] = BYPREFIX("pcmpistrm", sse4_3a62, OPS(Ib)),
	[0x63] = BYPREFIX("pcmpistri", sse4_3a63, OPS(Ib)),
	/* not executed: PCLMULQDQ, SHA1RNDS4, AESKEYGENASSIST (none advertised) */
	SSE_IB(0x44), SSE_IB(0xcc), SSE_IB(0xdf),
};

/* ================= the table check ================= */

unsigned opcode_sub_rows(unsigned sub)
{
	switch (sub) {
	case SUB_REG: case SUB_RM: return 8;
	case SUB_MOD: case SUB_MODE64: return 2;
	case SUB_PREFIX: return 4;
	default: return 0;
	}
}

/*
 * One row and its sub-tables, with the operands it inherits. Defects: a named row
 * without a handler or sub-table, a row with both, a sub-table without rows, LOCK on a
 * row whose first operand cannot be memory, a ModRM-selected sub-table under a row
 * without ModRM, a fallback without a feature, i64 together with o64.
 */
static int check_row(const struct opcode *o, const struct opdesc *ops, bool has_modrm, int depth)
{
	int bad = 0;

	if (!o->name && !o->handler && !o->sub)
		return 0;	/* empty: #UD */
	if (o->op[0].kind != OK_NONE)
		ops = o->op;
	has_modrm |= o->modrm;
	if (depth > 4 || !o->name)
		bad++;
	if (o->sub == SUB_NONE) {
		if (!o->handler || o->table)
			bad++;
		if (o->lock && (!has_modrm || (ops[0].kind != OK_E && ops[0].kind != OK_M)))
			bad++;
		if (o->fallback && (!o->feature || check_row(o->fallback, ops, has_modrm, depth + 1)))
			bad++;
		if (o->i64 && o->o64)
			bad++;
		if (o->string && o->modrm)
			bad++;
		return bad;
	}
	if (o->handler || !o->table || o->lock)
		bad++;
	if ((o->sub == SUB_REG || o->sub == SUB_MOD || o->sub == SUB_RM) && !has_modrm)
		bad++;
	for (unsigned i = 0; o->table && i < opcode_sub_rows(o->sub); i++)
		bad += check_row(&o->table[i], ops, has_modrm, depth + 1);
	return bad;
}

int opcode_row_check(const struct opcode *row)
{
	static const struct opdesc none[3];

	return check_row(row, none, false, 0);
}

int opcode_tables_check(void)
{
	static const struct opdesc none[3];
	const struct opcode *maps[4] = { opcode_map1, opcode_map2, opcode_map3, opcode_map4 };
	int bad = 0;

	for (int m = 0; m < 4; m++)
		for (int i = 0; i < 256; i++) {
			const struct opcode *o = &maps[m][i];
			bad += check_row(o, none, false, 0);
			/* the 3-byte maps: every row has a ModRM; 0F 3A rows an Ib */
			if (m >= 2 && o->name && o->sub == SUB_NONE && !o->modrm)
				bad++;
			if (m == 3 && o->name && (o->op[0].kind != OK_I || o->op[0].size != SZ_B))
				bad++;
			/* the prefix and escape bytes have no rows of their own */
			if (m == 0 && o->name &&
			    (i == 0x0f || i == 0x26 || i == 0x2e || i == 0x36 || i == 0x3e || i == 0x64 ||
			     i == 0x65 || i == 0x66 || i == 0x67 || i == 0xf0 || i == 0xf2 || i == 0xf3))
				bad++;
			if (m == 1 && o->name && (i == 0x38 || i == 0x3a))
				bad++;
		}
	return bad;
}
