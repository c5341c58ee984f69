// SPDX-License-Identifier: GPL-2.0-only
// Opcode tables: the one-byte map and the 0F map (SDM Vol.2 Appendix A, Tables ).
//
// Rows are keyed by opcode with designated initializers; operands use the SDM's
// notation (Eb Gv Iz Jb ...). Rows with handler x_unimpl are valid instructions the
// CPU does not execute yet: they decode to their correct length and end in
// CPU_EXIT_UNHANDLED. Rows without a handler are invalid encodings (#UD).
#include <stddef.h>

#include "cpu/exec/handlers.h"

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
#define Mv { OK_M, SZ_V }
#define Mq { OK_M, SZ_Q }
#define Ob { OK_O, SZ_B }
#define Ov { OK_O, SZ_V }
#define Sw { OK_S, SZ_W }
#define Zb { OK_Z, SZ_B }
#define Zv { OK_Z, SZ_V }
#define AL { OK_AL, SZ_B }
#define AX { OK_AL, SZ_W }
#define eAX { OK_AL, SZ_V }
#define CL { OK_CL, SZ_B }
#define DX { OK_DX, SZ_W }
#define One { OK_I1, SZ_B }
#define Cd { OK_C, SZ_Q }
#define Rd { OK_R, SZ_Q }
#define Ap { OK_I, SZ_P }

#define ROW(h, n, f, a, ...) { .handler = h, .name = n, .flags = (f), .arg = (a), .op = { __VA_ARGS__ } }
#define GRP(n, f, g, ...) { .handler = NULL, .name = n, .flags = (f) | F_GROUP | F_MODRM, .group = g, \
			    .op = { __VA_ARGS__ } }
#define UNIMPL(n, f) { .handler = x_unimpl, .name = n, .flags = (f) }

/* ALU rows 00-3D: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz */
#define ALU6(base, n, op_)                                                                   \
	[base + 0] = ROW(x_alu, n, F_MODRM | F_LOCKABLE, op_, Eb, Gb),                            \
	[base + 1] = ROW(x_alu, n, F_MODRM | F_LOCKABLE, op_, Ev, Gv),                            \
	[base + 2] = ROW(x_alu, n, F_MODRM, op_, Gb, Eb),                                     \
	[base + 3] = ROW(x_alu, n, F_MODRM, op_, Gv, Ev),                                     \
	[base + 4] = ROW(x_alu, n, 0, op_, AL, Ib),                                           \
	[base + 5] = ROW(x_alu, n, 0, op_, eAX, Iz)

/* Group 1 (80, 81, 83): ADD OR ADC SBB AND SUB XOR CMP by ModRM.reg */
static const struct opcode grp1[8] = {
	[0] = ROW(x_alu, "add", F_LOCKABLE, ALU_ADD), [1] = ROW(x_alu, "or", F_LOCKABLE, ALU_OR),
	[2] = ROW(x_alu, "adc", F_LOCKABLE, ALU_ADC), [3] = ROW(x_alu, "sbb", F_LOCKABLE, ALU_SBB),
	[4] = ROW(x_alu, "and", F_LOCKABLE, ALU_AND), [5] = ROW(x_alu, "sub", F_LOCKABLE, ALU_SUB),
	[6] = ROW(x_alu, "xor", F_LOCKABLE, ALU_XOR), [7] = ROW(x_alu, "cmp", 0, ALU_CMP),
};

/* Group 1A (8F): POP Ev */
static const struct opcode grp1a[8] = {
	[0] = ROW(x_pop, "pop", F_D64, 0),
};

/* Group 2 (C0 C1 D0-D3): ROL ROR RCL RCR SHL SHR SAL SAR */
static const struct opcode grp2[8] = {
	[0] = ROW(x_shift, "rol", 0, 0), [1] = ROW(x_shift, "ror", 0, 1),
	[2] = ROW(x_shift, "rcl", 0, 2), [3] = ROW(x_shift, "rcr", 0, 3),
	[4] = ROW(x_shift, "shl", 0, 4), [5] = ROW(x_shift, "shr", 0, 5),
	[6] = ROW(x_shift, "sal", 0, 4), [7] = ROW(x_shift, "sar", 0, 7),
};

/* Group 3 (F6/F7): TEST Ib/Iz, TEST (alias), NOT, NEG, MUL, IMUL, DIV, IDIV */
static const struct opcode grp3b[8] = {
	[0] = ROW(x_test, "test", 0, 0, Eb, Ib), [1] = ROW(x_test, "test", 0, 0, Eb, Ib),
	[2] = ROW(x_not, "not", F_LOCKABLE, 0, Eb), [3] = ROW(x_neg, "neg", F_LOCKABLE, 0, Eb),
	[4] = ROW(x_mul, "mul", 0, 0, Eb), [5] = ROW(x_imul1, "imul", 0, 0, Eb),
	[6] = ROW(x_div, "div", 0, 0, Eb), [7] = ROW(x_idiv, "idiv", 0, 0, Eb),
};
static const struct opcode grp3v[8] = {
	[0] = ROW(x_test, "test", 0, 0, Ev, Iz), [1] = ROW(x_test, "test", 0, 0, Ev, Iz),
	[2] = ROW(x_not, "not", F_LOCKABLE, 0, Ev), [3] = ROW(x_neg, "neg", F_LOCKABLE, 0, Ev),
	[4] = ROW(x_mul, "mul", 0, 0, Ev), [5] = ROW(x_imul1, "imul", 0, 0, Ev),
	[6] = ROW(x_div, "div", 0, 0, Ev), [7] = ROW(x_idiv, "idiv", 0, 0, Ev),
};

/* Group 4 (FE): INC/DEC Eb */
static const struct opcode grp4[8] = {
	[0] = ROW(x_inc, "inc", F_LOCKABLE, 0, Eb), [1] = ROW(x_dec, "dec", F_LOCKABLE, 0, Eb),
};

/* Group 5 (FF) */
static const struct opcode grp5[8] = {
	[0] = ROW(x_inc, "inc", F_LOCKABLE, 0, Ev), [1] = ROW(x_dec, "dec", F_LOCKABLE, 0, Ev),
	[2] = ROW(x_call_ind, "call", F_F64, 0, Ev), [3] = ROW(x_callf_ind, "callf", 0, 0, M_),
	[4] = ROW(x_jmp_ind, "jmp", F_F64, 0, Ev), [5] = ROW(x_jmpf_ind, "jmpf", 0, 0, M_),
	[6] = ROW(x_push, "push", F_D64, 0, Ev),
};

/* Group 11 (C6/C7): MOV Eb,Ib / Ev,Iz */
static const struct opcode grp11b[8] = { [0] = ROW(x_mov, "mov", 0, 0, Eb, Ib) };
static const struct opcode grp11v[8] = { [0] = ROW(x_mov, "mov", 0, 0, Ev, Iz) };

const struct opcode opcode_map1[256] = {
	ALU6(0x00, "add", ALU_ADD),
	[0x06] = ROW(x_push_sreg, "push es", F_INV64, CPU_ES),
	[0x07] = ROW(x_pop_sreg, "pop es", F_INV64, CPU_ES),
	ALU6(0x08, "or", ALU_OR),
	[0x0e] = ROW(x_push_sreg, "push cs", F_INV64, CPU_CS),
	ALU6(0x10, "adc", ALU_ADC),
	[0x16] = ROW(x_push_sreg, "push ss", F_INV64, CPU_SS),
	[0x17] = ROW(x_pop_sreg, "pop ss", F_INV64, CPU_SS),
	ALU6(0x18, "sbb", ALU_SBB),
	[0x1e] = ROW(x_push_sreg, "push ds", F_INV64, CPU_DS),
	[0x1f] = ROW(x_pop_sreg, "pop ds", F_INV64, CPU_DS),
	ALU6(0x20, "and", ALU_AND),
	[0x27] = UNIMPL("daa", F_INV64),
	ALU6(0x28, "sub", ALU_SUB),
	[0x2f] = UNIMPL("das", F_INV64),
	ALU6(0x30, "xor", ALU_XOR),
	[0x37] = UNIMPL("aaa", F_INV64),
	ALU6(0x38, "cmp", ALU_CMP),
	[0x3f] = UNIMPL("aas", F_INV64),
	/* 40-4F: INC/DEC Zv outside 64-bit mode; REX prefixes in it (decode.c) */
	[0x40] = ROW(x_inc, "inc", F_INV64, 0, Zv), [0x41] = ROW(x_inc, "inc", F_INV64, 0, Zv),
	[0x42] = ROW(x_inc, "inc", F_INV64, 0, Zv), [0x43] = ROW(x_inc, "inc", F_INV64, 0, Zv),
	[0x44] = ROW(x_inc, "inc", F_INV64, 0, Zv), [0x45] = ROW(x_inc, "inc", F_INV64, 0, Zv),
	[0x46] = ROW(x_inc, "inc", F_INV64, 0, Zv), [0x47] = ROW(x_inc, "inc", F_INV64, 0, Zv),
	[0x48] = ROW(x_dec, "dec", F_INV64, 0, Zv), [0x49] = ROW(x_dec, "dec", F_INV64, 0, Zv),
	[0x4a] = ROW(x_dec, "dec", F_INV64, 0, Zv), [0x4b] = ROW(x_dec, "dec", F_INV64, 0, Zv),
	[0x4c] = ROW(x_dec, "dec", F_INV64, 0, Zv), [0x4d] = ROW(x_dec, "dec", F_INV64, 0, Zv),
	[0x4e] = ROW(x_dec, "dec", F_INV64, 0, Zv), [0x4f] = ROW(x_dec, "dec", F_INV64, 0, Zv),
	[0x50] = ROW(x_push, "push", F_D64, 0, Zv), [0x51] = ROW(x_push, "push", F_D64, 0, Zv),
	[0x52] = ROW(x_push, "push", F_D64, 0, Zv), [0x53] = ROW(x_push, "push", F_D64, 0, Zv),
	[0x54] = ROW(x_push, "push", F_D64, 0, Zv), [0x55] = ROW(x_push, "push", F_D64, 0, Zv),
	[0x56] = ROW(x_push, "push", F_D64, 0, Zv), [0x57] = ROW(x_push, "push", F_D64, 0, Zv),
	[0x58] = ROW(x_pop, "pop", F_D64, 0, Zv), [0x59] = ROW(x_pop, "pop", F_D64, 0, Zv),
	[0x5a] = ROW(x_pop, "pop", F_D64, 0, Zv), [0x5b] = ROW(x_pop, "pop", F_D64, 0, Zv),
	[0x5c] = ROW(x_pop, "pop", F_D64, 0, Zv), [0x5d] = ROW(x_pop, "pop", F_D64, 0, Zv),
	[0x5e] = ROW(x_pop, "pop", F_D64, 0, Zv), [0x5f] = ROW(x_pop, "pop", F_D64, 0, Zv),
	[0x60] = ROW(x_pusha, "pusha", F_INV64, 0),
	[0x61] = ROW(x_popa, "popa", F_INV64, 0),
	[0x62] = UNIMPL("bound", F_INV64 | F_MODRM),
	[0x63] = ROW(x_movsxd, "movsxd", F_MODRM, 0, Gv, Ed),
	[0x68] = ROW(x_push, "push", F_D64, 0, Iz),
	[0x69] = ROW(x_imul, "imul", F_MODRM, 0, Gv, Ev, Iz),
	[0x6a] = ROW(x_push, "push", F_D64, 0, { OK_I, SZ_B }),
	[0x6b] = ROW(x_imul, "imul", F_MODRM, 0, Gv, Ev, Ib),
	[0x6c] = ROW(x_ins, "insb", F_STRING | F_BYTEOP, 1),
	[0x6d] = ROW(x_ins, "ins", F_STRING, 0),
	[0x6e] = ROW(x_outs, "outsb", F_STRING | F_BYTEOP, 1),
	[0x6f] = ROW(x_outs, "outs", F_STRING, 0),
	[0x70] = ROW(x_jcc, "jo", F_F64, 0x0, Jb), [0x71] = ROW(x_jcc, "jno", F_F64, 0x1, Jb),
	[0x72] = ROW(x_jcc, "jb", F_F64, 0x2, Jb), [0x73] = ROW(x_jcc, "jae", F_F64, 0x3, Jb),
	[0x74] = ROW(x_jcc, "je", F_F64, 0x4, Jb), [0x75] = ROW(x_jcc, "jne", F_F64, 0x5, Jb),
	[0x76] = ROW(x_jcc, "jbe", F_F64, 0x6, Jb), [0x77] = ROW(x_jcc, "ja", F_F64, 0x7, Jb),
	[0x78] = ROW(x_jcc, "js", F_F64, 0x8, Jb), [0x79] = ROW(x_jcc, "jns", F_F64, 0x9, Jb),
	[0x7a] = ROW(x_jcc, "jp", F_F64, 0xa, Jb), [0x7b] = ROW(x_jcc, "jnp", F_F64, 0xb, Jb),
	[0x7c] = ROW(x_jcc, "jl", F_F64, 0xc, Jb), [0x7d] = ROW(x_jcc, "jge", F_F64, 0xd, Jb),
	[0x7e] = ROW(x_jcc, "jle", F_F64, 0xe, Jb), [0x7f] = ROW(x_jcc, "jg", F_F64, 0xf, Jb),
	[0x80] = GRP("grp1", 0, grp1, Eb, Ib),
	[0x81] = GRP("grp1", 0, grp1, Ev, Iz),
	[0x82] = GRP("grp1", F_INV64, grp1, Eb, Ib),
	[0x83] = GRP("grp1", 0, grp1, Ev, Ib),
	[0x84] = ROW(x_test, "test", F_MODRM, 0, Eb, Gb),
	[0x85] = ROW(x_test, "test", F_MODRM, 0, Ev, Gv),
	[0x86] = ROW(x_xchg, "xchg", F_MODRM | F_LOCKABLE, 0, Eb, Gb),
	[0x87] = ROW(x_xchg, "xchg", F_MODRM | F_LOCKABLE, 0, Ev, Gv),
	[0x88] = ROW(x_mov, "mov", F_MODRM, 0, Eb, Gb),
	[0x89] = ROW(x_mov, "mov", F_MODRM, 0, Ev, Gv),
	[0x8a] = ROW(x_mov, "mov", F_MODRM, 0, Gb, Eb),
	[0x8b] = ROW(x_mov, "mov", F_MODRM, 0, Gv, Ev),
	[0x8c] = ROW(x_mov_from_sreg, "mov", F_MODRM, 0, Ev, Sw),
	[0x8d] = ROW(x_lea, "lea", F_MODRM, 0, Gv, M_),
	[0x8e] = ROW(x_mov_to_sreg, "mov", F_MODRM, 0, Sw, Ew),
	[0x8f] = GRP("grp1a", 0, grp1a, Ev),
	[0x90] = ROW(x_xchg, "xchg", 0, 0, Zv, eAX),	/* 90 without REX.B is NOP (x_xchg) */
	[0x91] = ROW(x_xchg, "xchg", 0, 0, Zv, eAX), [0x92] = ROW(x_xchg, "xchg", 0, 0, Zv, eAX),
	[0x93] = ROW(x_xchg, "xchg", 0, 0, Zv, eAX), [0x94] = ROW(x_xchg, "xchg", 0, 0, Zv, eAX),
	[0x95] = ROW(x_xchg, "xchg", 0, 0, Zv, eAX), [0x96] = ROW(x_xchg, "xchg", 0, 0, Zv, eAX),
	[0x97] = ROW(x_xchg, "xchg", 0, 0, Zv, eAX),
	[0x98] = ROW(x_cbw, "cbw", 0, 0),
	[0x99] = ROW(x_cwd, "cwd", 0, 0),
	[0x9a] = ROW(x_callf, "callf", F_INV64, 0, Ap),
	[0x9b] = ROW(x_nop, "fwait", 0, 0),
	[0x9c] = ROW(x_pushf, "pushf", F_D64, 0),
	[0x9d] = ROW(x_popf, "popf", F_D64, 0),
	[0x9e] = ROW(x_sahf, "sahf", 0, 0),
	[0x9f] = ROW(x_lahf, "lahf", 0, 0),
	[0xa0] = ROW(x_mov, "mov", 0, 0, AL, Ob),
	[0xa1] = ROW(x_mov, "mov", 0, 0, eAX, Ov),
	[0xa2] = ROW(x_mov, "mov", 0, 0, Ob, AL),
	[0xa3] = ROW(x_mov, "mov", 0, 0, Ov, eAX),
	[0xa4] = ROW(x_movs, "movsb", F_STRING | F_BYTEOP, 1),
	[0xa5] = ROW(x_movs, "movs", F_STRING, 0),
	[0xa6] = ROW(x_cmps, "cmpsb", F_STRING | F_BYTEOP, 1),
	[0xa7] = ROW(x_cmps, "cmps", F_STRING, 0),
	[0xa8] = ROW(x_test, "test", 0, 0, AL, Ib),
	[0xa9] = ROW(x_test, "test", 0, 0, eAX, Iz),
	[0xaa] = ROW(x_stos, "stosb", F_STRING | F_BYTEOP, 1),
	[0xab] = ROW(x_stos, "stos", F_STRING, 0),
	[0xac] = ROW(x_lods, "lodsb", F_STRING | F_BYTEOP, 1),
	[0xad] = ROW(x_lods, "lods", F_STRING, 0),
	[0xae] = ROW(x_scas, "scasb", F_STRING | F_BYTEOP, 1),
	[0xaf] = ROW(x_scas, "scas", F_STRING, 0),
	[0xb0] = ROW(x_mov, "mov", 0, 0, Zb, Ib), [0xb1] = ROW(x_mov, "mov", 0, 0, Zb, Ib),
	[0xb2] = ROW(x_mov, "mov", 0, 0, Zb, Ib), [0xb3] = ROW(x_mov, "mov", 0, 0, Zb, Ib),
	[0xb4] = ROW(x_mov, "mov", 0, 0, Zb, Ib), [0xb5] = ROW(x_mov, "mov", 0, 0, Zb, Ib),
	[0xb6] = ROW(x_mov, "mov", 0, 0, Zb, Ib), [0xb7] = ROW(x_mov, "mov", 0, 0, Zb, Ib),
	[0xb8] = ROW(x_mov, "mov", 0, 0, Zv, Iv), [0xb9] = ROW(x_mov, "mov", 0, 0, Zv, Iv),
	[0xba] = ROW(x_mov, "mov", 0, 0, Zv, Iv), [0xbb] = ROW(x_mov, "mov", 0, 0, Zv, Iv),
	[0xbc] = ROW(x_mov, "mov", 0, 0, Zv, Iv), [0xbd] = ROW(x_mov, "mov", 0, 0, Zv, Iv),
	[0xbe] = ROW(x_mov, "mov", 0, 0, Zv, Iv), [0xbf] = ROW(x_mov, "mov", 0, 0, Zv, Iv),
	[0xc0] = GRP("grp2", 0, grp2, Eb, Ib),
	[0xc1] = GRP("grp2", 0, grp2, Ev, Ib),
	[0xc2] = ROW(x_ret, "ret", F_F64, 0, Iw),
	[0xc3] = ROW(x_ret, "ret", F_F64, 0),
	[0xc4] = ROW(x_lfp, "les", F_INV64 | F_MODRM, CPU_ES, Gv, M_),	/* VEX in 64-bit mode: #UD */
	[0xc5] = ROW(x_lfp, "lds", F_INV64 | F_MODRM, CPU_DS, Gv, M_),
	[0xc6] = GRP("grp11", 0, grp11b, Eb, Ib),
	[0xc7] = GRP("grp11", 0, grp11v, Ev, Iz),
	[0xc8] = ROW(x_enter, "enter", F_D64, 0, Iw, Ib),
	[0xc9] = ROW(x_leave, "leave", F_D64, 0),
	[0xca] = ROW(x_retf, "retf", 0, 0, Iw),
	[0xcb] = ROW(x_retf, "retf", 0, 0),
	[0xcc] = ROW(x_int3, "int3", 0, 0),
	[0xcd] = ROW(x_int, "int", 0, 0, Ib),
	[0xce] = ROW(x_into, "into", F_INV64, 0),
	[0xcf] = ROW(x_iret, "iret", 0, 0),
	[0xd0] = GRP("grp2", 0, grp2, Eb, One),
	[0xd1] = GRP("grp2", 0, grp2, Ev, One),
	[0xd2] = GRP("grp2", 0, grp2, Eb, CL),
	[0xd3] = GRP("grp2", 0, grp2, Ev, CL),
	[0xd4] = { .handler = x_unimpl, .name = "aam", .flags = F_INV64, .op = { Ib } },
	[0xd5] = { .handler = x_unimpl, .name = "aad", .flags = F_INV64, .op = { Ib } },
	[0xd7] = ROW(x_xlat, "xlat", 0, 0),
	/* D8-DF: x87 escape (CPU issue 5) */
	[0xd8] = UNIMPL("x87", F_MODRM), [0xd9] = UNIMPL("x87", F_MODRM),
	[0xda] = UNIMPL("x87", F_MODRM), [0xdb] = UNIMPL("x87", F_MODRM),
	[0xdc] = UNIMPL("x87", F_MODRM), [0xdd] = UNIMPL("x87", F_MODRM),
	[0xde] = UNIMPL("x87", F_MODRM), [0xdf] = UNIMPL("x87", F_MODRM),
	[0xe0] = ROW(x_loop, "loopne", F_F64, 0, Jb),
	[0xe1] = ROW(x_loop, "loope", F_F64, 1, Jb),
	[0xe2] = ROW(x_loop, "loop", F_F64, 2, Jb),
	[0xe3] = ROW(x_jcxz, "jcxz", F_F64, 0, Jb),
	[0xe4] = ROW(x_in, "in", 0, 0, AL, Ib),
	[0xe5] = ROW(x_in, "in", 0, 0, eAX, Ib),
	[0xe6] = ROW(x_out, "out", 0, 0, Ib, AL),
	[0xe7] = ROW(x_out, "out", 0, 0, Ib, eAX),
	[0xe8] = ROW(x_call, "call", F_F64, 0, Jz),
	[0xe9] = ROW(x_jmp, "jmp", F_F64, 0, Jz),
	[0xea] = ROW(x_jmpf, "jmpf", F_INV64, 0, Ap),
	[0xeb] = ROW(x_jmp, "jmp", F_F64, 0, Jb),
	[0xec] = ROW(x_in, "in", 0, 0, AL, DX),
	[0xed] = ROW(x_in, "in", 0, 0, eAX, DX),
	[0xee] = ROW(x_out, "out", 0, 0, DX, AL),
	[0xef] = ROW(x_out, "out", 0, 0, DX, eAX),
	[0xf1] = ROW(x_int, "int1", 0, 1),
	[0xf4] = ROW(x_hlt, "hlt", F_PRIV, 0),
	[0xf5] = ROW(x_cmc, "cmc", 0, 0),
	[0xf6] = GRP("grp3", 0, grp3b),
	[0xf7] = GRP("grp3", 0, grp3v),
	[0xf8] = ROW(x_flagop, "clc", 0, 0), [0xf9] = ROW(x_flagop, "stc", 0, 1),
	[0xfa] = ROW(x_flagop, "cli", 0, 2), [0xfb] = ROW(x_flagop, "sti", 0, 3),
	[0xfc] = ROW(x_flagop, "cld", 0, 4), [0xfd] = ROW(x_flagop, "std", 0, 5),
	[0xfe] = GRP("grp4", 0, grp4),
	[0xff] = GRP("grp5", 0, grp5),
};

/* ---- the 0F map ---- */

/* Group 6 (0F 00): SLDT STR LLDT LTR VERR VERW */
static const struct opcode grp6[8] = {
	[0] = ROW(x_sldt, "sldt", 0, 0, Ev), [1] = ROW(x_str, "str", 0, 0, Ev),
	[2] = ROW(x_lldt, "lldt", F_PRIV, 0, Ew), [3] = ROW(x_ltr, "ltr", F_PRIV, 0, Ew),
	[4] = UNIMPL("verr", 0), [5] = UNIMPL("verw", 0),
};

/* Group 7 (0F 01), memory forms; register forms are split in decode.c */
static const struct opcode grp7[8] = {
	[0] = ROW(x_sgdt, "sgdt", 0, 0, M_), [1] = ROW(x_sidt, "sidt", 0, 0, M_),
	[2] = ROW(x_lgdt, "lgdt", F_PRIV, 0, M_), [3] = ROW(x_lidt, "lidt", F_PRIV, 0, M_),
	[4] = ROW(x_smsw, "smsw", 0, 0, Ew), [6] = ROW(x_lmsw, "lmsw", F_PRIV, 0, Ew),
	[7] = ROW(x_invlpg, "invlpg", F_PRIV, 0, M_),
};

/* Group 8 (0F BA): BT BTS BTR BTC Ev,Ib */
static const struct opcode grp8[8] = {
	[4] = ROW(x_bt, "bt", 0, 0), [5] = ROW(x_bt, "bts", F_LOCKABLE, 1),
	[6] = ROW(x_bt, "btr", F_LOCKABLE, 2), [7] = ROW(x_bt, "btc", F_LOCKABLE, 3),
};

/* Group 9 (0F C7): CMPXCHG8B/16B Mq */
static const struct opcode grp9[8] = {
	[1] = ROW(x_cmpxchg8b, "cmpxchg8b", F_LOCKABLE, 0, Mq),
};

/* Group 15 (0F AE): fences (register forms) and CLFLUSH; FXSAVE & co. are CPU issue 5 */
static const struct opcode grp15[8] = {
	[0] = UNIMPL("fxsave", 0), [1] = UNIMPL("fxrstor", 0), [2] = UNIMPL("ldmxcsr", 0),
	[3] = UNIMPL("stmxcsr", 0), [4] = UNIMPL("xsave", 0), [5] = ROW(x_fence, "lfence", 0, 0),
	[6] = ROW(x_fence, "mfence", 0, 0), [7] = ROW(x_fence, "clflush/sfence", 0, 0),
};

#define JCC2(cc, n) [0x80 + cc] = ROW(x_jcc, n, F_F64, cc, Jz)
#define SETCC(cc) [0x90 + cc] = ROW(x_setcc, "setcc", F_MODRM, cc, Eb)
#define CMOV(cc) [0x40 + cc] = ROW(x_cmov, "cmovcc", F_MODRM, cc, Gv, Ev)
#define SSE(opc) [opc] = UNIMPL("sse", F_MODRM)
#define SSE_IB(opc) [opc] = { .handler = x_unimpl, .name = "sse", .flags = F_MODRM, .op = { Ib } }

const struct opcode opcode_map2[256] = {
	[0x00] = GRP("grp6", 0, grp6),
	[0x01] = GRP("grp7", 0, grp7),
	[0x02] = UNIMPL("lar", F_MODRM), [0x03] = UNIMPL("lsl", F_MODRM),
	[0x05] = ROW(x_syscall, "syscall", 0, 0),
	[0x06] = ROW(x_clts, "clts", F_PRIV, 0),
	[0x07] = ROW(x_sysret, "sysret", F_PRIV, 0),
	[0x08] = ROW(x_wbinvd, "invd", F_PRIV, 0),
	[0x09] = ROW(x_wbinvd, "wbinvd", F_PRIV, 0),
	[0x0b] = ROW(x_ud, "ud2", 0, 0),
	[0x0d] = ROW(x_nop, "prefetchw/nop", F_MODRM, 0, Ev),	/* register forms are NOPs */
	SSE(0x10), SSE(0x11), SSE(0x12), SSE(0x13), SSE(0x14), SSE(0x15), SSE(0x16), SSE(0x17),
	/* 0F 18-1F: prefetch hints and multi-byte NOPs (including ENDBR64 = F3 0F 1E FA) */
	[0x18] = ROW(x_nop, "hint", F_MODRM, 0), [0x19] = ROW(x_nop, "hint", F_MODRM, 0),
	[0x1a] = ROW(x_nop, "hint", F_MODRM, 0), [0x1b] = ROW(x_nop, "hint", F_MODRM, 0),
	[0x1c] = ROW(x_nop, "hint", F_MODRM, 0), [0x1d] = ROW(x_nop, "hint", F_MODRM, 0),
	[0x1e] = ROW(x_nop, "hint", F_MODRM, 0), [0x1f] = ROW(x_nop, "nop", F_MODRM, 0),
	[0x20] = ROW(x_mov_cr, "mov", F_MODRM | F_MODRM_REG | F_PRIV, 0, Rd, Cd),
	[0x21] = ROW(x_mov_dr, "mov", F_MODRM | F_MODRM_REG | F_PRIV, 0, Rd, Cd),
	[0x22] = ROW(x_mov_cr, "mov", F_MODRM | F_MODRM_REG | F_PRIV, 1, Cd, Rd),
	[0x23] = ROW(x_mov_dr, "mov", F_MODRM | F_MODRM_REG | F_PRIV, 1, Cd, Rd),
	SSE(0x28), SSE(0x29), SSE(0x2a), SSE(0x2b), SSE(0x2c), SSE(0x2d), SSE(0x2e), SSE(0x2f),
	[0x30] = ROW(x_wrmsr, "wrmsr", F_PRIV, 0),
	[0x31] = ROW(x_rdtsc, "rdtsc", 0, 0),
	[0x32] = ROW(x_rdmsr, "rdmsr", F_PRIV, 0),
	[0x33] = UNIMPL("rdpmc", 0),
	[0x34] = UNIMPL("sysenter", 0), [0x35] = UNIMPL("sysexit", 0),
	CMOV(0x0), CMOV(0x1), CMOV(0x2), CMOV(0x3), CMOV(0x4), CMOV(0x5), CMOV(0x6), CMOV(0x7),
	CMOV(0x8), CMOV(0x9), CMOV(0xa), CMOV(0xb), CMOV(0xc), CMOV(0xd), CMOV(0xe), CMOV(0xf),
	SSE(0x50), SSE(0x51), SSE(0x52), SSE(0x53), SSE(0x54), SSE(0x55), SSE(0x56), SSE(0x57),
	SSE(0x58), SSE(0x59), SSE(0x5a), SSE(0x5b), SSE(0x5c), SSE(0x5d), SSE(0x5e), SSE(0x5f),
	SSE(0x60), SSE(0x61), SSE(0x62), SSE(0x63), SSE(0x64), SSE(0x65), SSE(0x66), SSE(0x67),
	SSE(0x68), SSE(0x69), SSE(0x6a), SSE(0x6b), SSE(0x6c), SSE(0x6d), SSE(0x6e), SSE(0x6f),
	SSE_IB(0x70), SSE_IB(0x71), SSE_IB(0x72), SSE_IB(0x73),
	SSE(0x74), SSE(0x75), SSE(0x76), [0x77] = UNIMPL("emms", 0),
	SSE(0x7c), SSE(0x7d), SSE(0x7e), SSE(0x7f),
	JCC2(0x0, "jo"), JCC2(0x1, "jno"), JCC2(0x2, "jb"), JCC2(0x3, "jae"),
	JCC2(0x4, "je"), JCC2(0x5, "jne"), JCC2(0x6, "jbe"), JCC2(0x7, "ja"),
	JCC2(0x8, "js"), JCC2(0x9, "jns"), JCC2(0xa, "jp"), JCC2(0xb, "jnp"),
	JCC2(0xc, "jl"), JCC2(0xd, "jge"), JCC2(0xe, "jle"), JCC2(0xf, "jg"),
	SETCC(0x0), SETCC(0x1), SETCC(0x2), SETCC(0x3), SETCC(0x4), SETCC(0x5), SETCC(0x6), SETCC(0x7),
	SETCC(0x8), SETCC(0x9), SETCC(0xa), SETCC(0xb), SETCC(0xc), SETCC(0xd), SETCC(0xe), SETCC(0xf),
	[0xa0] = ROW(x_push_sreg, "push fs", F_D64, CPU_FS),
	[0xa1] = ROW(x_pop_sreg, "pop fs", F_D64, CPU_FS),
	[0xa2] = ROW(x_cpuid, "cpuid", 0, 0),
	[0xa3] = ROW(x_bt, "bt", F_MODRM, 0, Ev, Gv),
	[0xa4] = ROW(x_shld, "shld", F_MODRM, 0, Ev, Gv, Ib),
	[0xa5] = ROW(x_shld, "shld", F_MODRM, 0, Ev, Gv, CL),
	[0xa8] = ROW(x_push_sreg, "push gs", F_D64, CPU_GS),
	[0xa9] = ROW(x_pop_sreg, "pop gs", F_D64, CPU_GS),
	[0xab] = ROW(x_bt, "bts", F_MODRM | F_LOCKABLE, 1, Ev, Gv),
	[0xac] = ROW(x_shrd, "shrd", F_MODRM, 0, Ev, Gv, Ib),
	[0xad] = ROW(x_shrd, "shrd", F_MODRM, 0, Ev, Gv, CL),
	[0xae] = GRP("grp15", 0, grp15),
	[0xaf] = ROW(x_imul, "imul", F_MODRM, 0, Gv, Ev),
	[0xb0] = ROW(x_cmpxchg, "cmpxchg", F_MODRM | F_LOCKABLE, 0, Eb, Gb),
	[0xb1] = ROW(x_cmpxchg, "cmpxchg", F_MODRM | F_LOCKABLE, 0, Ev, Gv),
	[0xb3] = ROW(x_bt, "btr", F_MODRM | F_LOCKABLE, 2, Ev, Gv),
	[0xb2] = ROW(x_lfp, "lss", F_MODRM, CPU_SS, Gv, M_),
	[0xb4] = ROW(x_lfp, "lfs", F_MODRM, CPU_FS, Gv, M_),
	[0xb5] = ROW(x_lfp, "lgs", F_MODRM, CPU_GS, Gv, M_),
	[0xb6] = ROW(x_movzx, "movzx", F_MODRM, 0, Gv, Eb),
	[0xb7] = ROW(x_movzx, "movzx", F_MODRM, 0, Gv, Ew),
	[0xb8] = ROW(x_popcnt, "popcnt", F_MODRM, 0, Gv, Ev),
	[0xba] = GRP("grp8", 0, grp8, Ev, Ib),
	[0xbb] = ROW(x_bt, "btc", F_MODRM | F_LOCKABLE, 3, Ev, Gv),
	[0xbc] = ROW(x_bsf, "bsf", F_MODRM, 0, Gv, Ev),
	[0xbd] = ROW(x_bsr, "bsr", F_MODRM, 0, Gv, Ev),
	[0xbe] = ROW(x_movsx, "movsx", F_MODRM, 0, Gv, Eb),
	[0xbf] = ROW(x_movsx, "movsx", F_MODRM, 0, Gv, Ew),
	[0xc0] = ROW(x_xadd, "xadd", F_MODRM | F_LOCKABLE, 0, Eb, Gb),
	[0xc1] = ROW(x_xadd, "xadd", F_MODRM | F_LOCKABLE, 0, Ev, Gv),
	SSE_IB(0xc2), [0xc3] = UNIMPL("movnti", F_MODRM), SSE_IB(0xc4), SSE_IB(0xc5), SSE_IB(0xc6),
	[0xc7] = GRP("grp9", 0, grp9),
	[0xc8] = ROW(x_bswap, "bswap", 0, 0, Zv), [0xc9] = ROW(x_bswap, "bswap", 0, 0, Zv),
	[0xca] = ROW(x_bswap, "bswap", 0, 0, Zv), [0xcb] = ROW(x_bswap, "bswap", 0, 0, Zv),
	[0xcc] = ROW(x_bswap, "bswap", 0, 0, Zv), [0xcd] = ROW(x_bswap, "bswap", 0, 0, Zv),
	[0xce] = ROW(x_bswap, "bswap", 0, 0, Zv), [0xcf] = ROW(x_bswap, "bswap", 0, 0, Zv),
	SSE(0xd0), SSE(0xd1), SSE(0xd2), SSE(0xd3), SSE(0xd4), SSE(0xd5), SSE(0xd6), SSE(0xd7),
	SSE(0xd8), SSE(0xd9), SSE(0xda), SSE(0xdb), SSE(0xdc), SSE(0xdd), SSE(0xde), SSE(0xdf),
	SSE(0xe0), SSE(0xe1), SSE(0xe2), SSE(0xe3), SSE(0xe4), SSE(0xe5), SSE(0xe6), SSE(0xe7),
	SSE(0xe8), SSE(0xe9), SSE(0xea), SSE(0xeb), SSE(0xec), SSE(0xed), SSE(0xee), SSE(0xef),
	SSE(0xf0), SSE(0xf1), SSE(0xf2), SSE(0xf3), SSE(0xf4), SSE(0xf5), SSE(0xf6), SSE(0xf7),
	SSE(0xf8), SSE(0xf9), SSE(0xfa), SSE(0xfb), SSE(0xfc), SSE(0xfd), SSE(0xfe),
	[0xff] = ROW(x_ud, "ud0", F_MODRM, 0),
	[0xb9] = ROW(x_ud, "ud1", F_MODRM, 0),
};

/*
 * Start-up and unit-test check of the tables: every group row has its sub-table,
 * LOCK is only allowed on rows whose first operand can be memory.
 */
int opcode_tables_check(void)
{
	const struct opcode *maps[2] = { opcode_map1, opcode_map2 };

	for (int m = 0; m < 2; m++)
		for (int i = 0; i < 256; i++) {
			const struct opcode *o = &maps[m][i];
			if ((o->flags & F_GROUP) && !o->group)
				return -1;
			if ((o->flags & F_GROUP) && o->handler)
				return -1;
			if ((o->flags & F_LOCKABLE) && !(o->flags & F_GROUP) && o->op[0].kind != OK_E &&
			    o->op[0].kind != OK_M)
				return -1;
		}
	return 0;
}

/* 0F 38 F0/F1 without F2/F3: MOVBE (SDM Vol.2 Table A-4; F2 makes them CRC32, SSE4.2) */
const struct opcode opcode_0f38_movbe[2] = {
	ROW(x_movbe, "movbe", F_MODRM, 0, Gv, Mv),
	ROW(x_movbe, "movbe", F_MODRM, 0, Mv, Gv),
};
