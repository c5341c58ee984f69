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
#define X87(o) [0xd8 + (o)] = UNIMPL("x87", MODRM)

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
	[0x9b] = ROW(x_nop, "fwait"),
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
static const struct opcode grp7_d8[8] = {
	[1] = ROW(x_vmcall, "vmmcall", ARG(1)),		/* 0F 01 D9 */
};
static const struct opcode grp7_d0[8] = {
	[0] = UNIMPL("xgetbv"), [1] = UNIMPL("xsetbv"),	/* with XSAVE (CPU issue 5) */
};
static const struct opcode grp7_f8[8] = {
	[0] = ROW(x_swapgs, "swapgs", O64, PRIV),
	[1] = ROW(x_rdtscp, "rdtscp", .feature = CPU_FEAT_RDTSCP),
};
static const struct opcode grp7_reg[8] = {
	[0] = BYRM("grp7/0", grp7_c0), [2] = BYRM("grp7/2", grp7_d0), [3] = BYRM("grp7/3", grp7_d8),
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
static const struct opcode grp15_mem[8] = {
	[0] = UNIMPL("fxsave"), [1] = UNIMPL("fxrstor"), [2] = UNIMPL("ldmxcsr"),
	[3] = UNIMPL("stmxcsr"), [4] = UNIMPL("xsave"), [5] = UNIMPL("xrstor"),
	[6] = UNIMPL("xsaveopt"), [7] = ROW(x_fence, "clflush"),
};
static const struct opcode grp15_reg[8] = {
	[5] = ROW(x_fence, "lfence"), [6] = ROW(x_fence, "mfence"), [7] = ROW(x_fence, "sfence"),
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
	SSE8(0x10),
	/* 0F 18-1F: prefetch hints and multi-byte NOPs (including ENDBR64 = F3 0F 1E FA) */
	[0x18] = ROW(x_nop, "hint", MODRM), [0x19] = ROW(x_nop, "hint", MODRM),
	[0x1a] = ROW(x_nop, "hint", MODRM), [0x1b] = ROW(x_nop, "hint", MODRM),
	[0x1c] = ROW(x_nop, "hint", MODRM), [0x1d] = ROW(x_nop, "hint", MODRM),
	[0x1e] = ROW(x_nop, "hint", MODRM), [0x1f] = ROW(x_nop, "nop", MODRM),
	[0x20] = ROW(x_mov_cr, "mov", OPS(Rd, Cd), MODRM, .modrm_reg = true, PRIV, ARG(0)),
	[0x21] = ROW(x_mov_dr, "mov", OPS(Rd, Cd), MODRM, .modrm_reg = true, PRIV, ARG(0)),
	[0x22] = ROW(x_mov_cr, "mov", OPS(Cd, Rd), MODRM, .modrm_reg = true, PRIV, ARG(1)),
	[0x23] = ROW(x_mov_dr, "mov", OPS(Cd, Rd), MODRM, .modrm_reg = true, PRIV, ARG(1)),
	SSE8(0x28),
	[0x30] = ROW(x_wrmsr, "wrmsr", PRIV),
	[0x31] = ROW(x_rdtsc, "rdtsc"),
	[0x32] = ROW(x_rdmsr, "rdmsr", PRIV),
	[0x33] = UNIMPL("rdpmc"),
	[0x34] = ROW(x_sysenter, "sysenter"),
	[0x35] = ROW(x_sysexit, "sysexit", PRIV),
	/* 0F 38 and 0F 3A: the three-byte escapes (decode.c) */
	CMOV(0x0), CMOV(0x1), CMOV(0x2), CMOV(0x3), CMOV(0x4), CMOV(0x5), CMOV(0x6), CMOV(0x7),
	CMOV(0x8), CMOV(0x9), CMOV(0xa), CMOV(0xb), CMOV(0xc), CMOV(0xd), CMOV(0xe), CMOV(0xf),
	SSE8(0x50), SSE8(0x58), SSE8(0x60), SSE8(0x68),
	SSE_IB(0x70), SSE_IB(0x71), SSE_IB(0x72), SSE_IB(0x73),
	SSE(0x74), SSE(0x75), SSE(0x76), [0x77] = UNIMPL("emms"),
	SSE(0x7c), SSE(0x7d), SSE(0x7e), SSE(0x7f),
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
	SSE_IB(0xc2), [0xc3] = UNIMPL("movnti", MODRM), SSE_IB(0xc4), SSE_IB(0xc5), SSE_IB(0xc6),
	[0xc7] = BYMOD("grp9", grp9),
	BSWAP(0), BSWAP(1), BSWAP(2), BSWAP(3), BSWAP(4), BSWAP(5), BSWAP(6), BSWAP(7),
	SSE8(0xd0), SSE8(0xd8), SSE8(0xe0), SSE8(0xe8), SSE8(0xf0),
	SSE(0xf8), SSE(0xf9), SSE(0xfa), SSE(0xfb), SSE(0xfc), SSE(0xfd), SSE(0xfe),
	[0xff] = ROW(x_ud, "ud0", MODRM),
};

/* ================= the 0F 38 map (Table A-4) ================= */

/* MOVBE (none/66); F2 0F 38 F0/F1 is CRC32 (SSE4.2, not in the model) */
static const struct opcode op0f38f0[4] = {
	[PFX_NONE] = ROW(x_movbe, "movbe", OPS(Gv, Mv), MODRM, .feature = CPU_FEAT_MOVBE),
	[PFX_66] = ROW(x_movbe, "movbe", OPS(Gv, Mv), MODRM, .feature = CPU_FEAT_MOVBE),
};
static const struct opcode op0f38f1[4] = {
	[PFX_NONE] = ROW(x_movbe, "movbe", OPS(Mv, Gv), MODRM, .feature = CPU_FEAT_MOVBE),
	[PFX_66] = ROW(x_movbe, "movbe", OPS(Mv, Gv), MODRM, .feature = CPU_FEAT_MOVBE),
};

/* SSSE3/SSE4 rows (CPU issue 5): a ModRM, no immediate */
const struct opcode opcode_map3[256] = {
	SSE8(0x00), SSE(0x08), SSE(0x09), SSE(0x0a), SSE(0x0b),
	SSE(0x10), SSE(0x14), SSE(0x15), SSE(0x17), SSE(0x1c), SSE(0x1d), SSE(0x1e),
	SSE(0x20), SSE(0x21), SSE(0x22), SSE(0x23), SSE(0x24), SSE(0x25),
	SSE(0x28), SSE(0x29), SSE(0x2a), SSE(0x2b),
	SSE(0x30), SSE(0x31), SSE(0x32), SSE(0x33), SSE(0x34), SSE(0x35), SSE(0x37),
	SSE8(0x38), SSE(0x40), SSE(0x41),
	SSE(0xc8), SSE(0xc9), SSE(0xca), SSE(0xcb), SSE(0xcc), SSE(0xcd),
	SSE(0xdb), SSE(0xdc), SSE(0xdd), SSE(0xde), SSE(0xdf),
	[0xf0] = BYPREFIX("0f38 f0", op0f38f0),
	[0xf1] = BYPREFIX("0f38 f1", op0f38f1),
};

/* ================= the 0F 3A map (Table A-5): every row has an Ib ================= */

const struct opcode opcode_map4[256] = {
	SSE_IB(0x08), SSE_IB(0x09), SSE_IB(0x0a), SSE_IB(0x0b), SSE_IB(0x0c), SSE_IB(0x0d),
	SSE_IB(0x0e), SSE_IB(0x0f), SSE_IB(0x14), SSE_IB(0x15), SSE_IB(0x16), SSE_IB(0x17),
	SSE_IB(0x20), SSE_IB(0x21), SSE_IB(0x22), SSE_IB(0x40), SSE_IB(0x41), SSE_IB(0x42),
	SSE_IB(0x44), SSE_IB(0x60), SSE_IB(0x61), SSE_IB(0x62), SSE_IB(0x63), SSE_IB(0xcc),
	SSE_IB(0xdf),
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
